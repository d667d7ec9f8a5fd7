"""formats.rdf: native Turtle / N-Triples / JSON-LD input reads back the records the graph model writes."""

from __future__ import annotations

import json

import pytest
from pyoxigraph import RdfFormat, serialize

from igsn_graph.demo import small_demo
from igsn_graph.errors import MalformedDocument, UnsupportedFormat
from igsn_graph.formats import graph as graphmap
from igsn_graph.formats.rdf import CONTEXT_URL, read_rdf
from igsn_graph.iris import Iris


def _canonical(record):  # type: ignore[no-untyped-def]
    iris = Iris()
    return graphmap.record_from_triples(graphmap.record_triples(record, iris), iris, record.igsn)


@pytest.mark.parametrize("base", ["https://igsn.org/", "https://samples.example.org/id/"])
@pytest.mark.parametrize("fmt,media", [(RdfFormat.TURTLE, "text/turtle"), (RdfFormat.N_TRIPLES, "application/n-triples"),
                                       (RdfFormat.JSON_LD, "application/ld+json")])
def test_round_trip_of_demo_records(base: str, fmt: RdfFormat, media: str) -> None:
    iris = Iris(base)
    records = [_canonical(s.record) for s in small_demo()[:12]]
    triples = [t for r in records for t in graphmap.record_triples(r, iris)]
    data = serialize(triples, format=fmt)
    got = read_rdf(data, media)
    assert sorted(got, key=lambda r: r.igsn) == sorted(records, key=lambda r: r.igsn)


def test_json_ld_with_our_context_is_never_fetched() -> None:
    doc = {"@context": CONTEXT_URL, "@id": "https://igsn.org/ZZQ0001", "@type": "Sample", "igsn": "zzq0001",
           "title": "A core", "material": "http://vocabulary.odm2.org/medium/rock",
           "parent": "https://igsn.org/ZZQ0000"}
    [record] = read_rdf(json.dumps(doc).encode(), "application/ld+json")
    assert record.igsn == "ZZQ0001" and record.name == "A core"
    assert record.materials == ["http://vocabulary.odm2.org/medium/rock"]
    assert record.parents == ["ZZQ0000"]


@pytest.mark.parametrize("data,media,error", [
    (b"<a> <b> ", "text/turtle", MalformedDocument),
    (b"{not json", "application/ld+json", MalformedDocument),
    (b"<https://x.org/a> <https://x.org/b> <https://x.org/c> .", "text/turtle", UnsupportedFormat),
    (b"", "text/csv", UnsupportedFormat),
])
def test_refusals(data: bytes, media: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        read_rdf(data, media)


def test_control_characters_and_deep_nesting_are_refused() -> None:
    bad = b'<https://igsn.org/ZZQ1> <https://w3id.org/igsn-graph/ontology#igsn> "ZZQ1" .\n' \
          b'<https://igsn.org/ZZQ1> <http://purl.org/dc/terms/title> "bell \\u0007" .\n'
    with pytest.raises(MalformedDocument, match="control characters"):
        read_rdf(bad, "application/n-triples")
    deep = b"[" * 100000 + b"]" * 100000
    with pytest.raises(MalformedDocument):
        read_rdf(deep, "application/ld+json")
    with pytest.raises(UnsupportedFormat):
        read_rdf(b"<rdf:RDF/>", "application/rdf+xml")  # DTD-bearing RDF/XML is not an input format
