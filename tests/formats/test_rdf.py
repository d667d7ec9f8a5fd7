"""formats.rdf: native Turtle / N-Triples / JSON-LD input reads back the records the graph model writes."""

from __future__ import annotations

import json

import pytest
from pyoxigraph import RdfFormat, serialize

from igsn_graph.demo import small_demo
from igsn_graph.errors import InvalidRecord, MalformedDocument, UnsupportedFormat
from igsn_graph.formats import graph as graphmap
from igsn_graph.formats.rdf import CONTEXT_URL, MAX_LISTED, own_context_urls, read_rdf
from igsn_graph.iris import Iris
from igsn_graph.record import Geometry


def _canonical(record):  # type: ignore[no-untyped-def]
    iris = Iris()
    return graphmap.record_from_triples(graphmap.record_triples(record, iris), iris, record.igsn)


@pytest.mark.parametrize("base", ["https://igsn.org/", "https://samples.example.org/id/"])
@pytest.mark.parametrize(
    "fmt,media",
    [
        (RdfFormat.TURTLE, "text/turtle"),
        (RdfFormat.N_TRIPLES, "application/n-triples"),
        (RdfFormat.JSON_LD, "application/ld+json"),
    ],
)
def test_round_trip_of_demo_records(base: str, fmt: RdfFormat, media: str) -> None:
    iris = Iris(base)
    records = [_canonical(s.record) for s in small_demo()[:12]]
    triples = [t for r in records for t in graphmap.record_triples(r, iris)]
    data = serialize(triples, format=fmt)
    got = read_rdf(data, media)
    assert sorted(got, key=lambda r: r.igsn) == sorted(records, key=lambda r: r.igsn)
    assert [w for r in got for w in r.warnings] == []  # what the model writes, it carries whole


def test_json_ld_with_our_context_is_never_fetched() -> None:
    doc = {
        "@context": CONTEXT_URL,
        "@id": "https://igsn.org/ZZQ0001",
        "@type": "Sample",
        "igsn": "zzq0001",
        "title": "A core",
        "material": "http://vocabulary.odm2.org/medium/rock",
        "parent": "https://igsn.org/ZZQ0000",
    }
    [record] = read_rdf(json.dumps(doc).encode(), "application/ld+json")
    assert record.igsn == "ZZQ0001" and record.name == "A core"
    assert record.materials == ["http://vocabulary.odm2.org/medium/rock"]
    assert record.parents == ["ZZQ0000"]


@pytest.mark.parametrize(
    "data,media,error",
    [
        (b"<a> <b> ", "text/turtle", MalformedDocument),
        (b"{not json", "application/ld+json", MalformedDocument),
        (b"<https://x.org/a> <https://x.org/b> <https://x.org/c> .", "text/turtle", UnsupportedFormat),
        (b"", "text/csv", UnsupportedFormat),
    ],
)
def test_refusals(data: bytes, media: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        read_rdf(data, media)


def test_control_characters_and_deep_nesting_are_refused() -> None:
    bad = (
        b'<https://igsn.org/ZZQ1> <https://w3id.org/igsn-graph/ontology#igsn> "ZZQ1" .\n'
        b'<https://igsn.org/ZZQ1> <http://purl.org/dc/terms/title> "bell \\u0007" .\n'
    )
    with pytest.raises(MalformedDocument, match="control characters"):
        read_rdf(bad, "application/n-triples")
    deep = b"[" * 100000 + b"]" * 100000
    with pytest.raises(MalformedDocument):
        read_rdf(deep, "application/ld+json")
    with pytest.raises(UnsupportedFormat):
        read_rdf(b"<rdf:RDF/>", "application/rdf+xml")  # DTD-bearing RDF/XML is not an input format


# --- JSON-LD: encodings and contexts -----------------------------------------------------------


def _sample_doc(context: object = CONTEXT_URL) -> dict[str, object]:
    return {
        "@context": context,
        "@id": "https://igsn.org/ZZQ0002",
        "@type": "Sample",
        "igsn": "ZZQ0002",
        "title": "Ünïcode core ☃",
    }


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"]
)
def test_json_ld_in_any_unicode_encoding(encoding: str) -> None:
    """RFC 8259 §8.1 / RFC 4627 §3: the encoding is read from a byte-order mark or the first four bytes."""
    data = json.dumps(_sample_doc(), ensure_ascii=False).encode(encoding)
    [record] = read_rdf(data, "application/ld+json")
    assert record.name == "Ünïcode core ☃" and record.warnings == []


@pytest.mark.parametrize("data", [b"\xff\xfe{\x00\x00\xd8", b'{"a": "\xc3\x28"}', b'{"a": 1, "a": 2}'])
def test_json_that_cannot_be_decoded_or_is_ambiguous_is_refused(data: bytes) -> None:
    with pytest.raises(MalformedDocument):
        read_rdf(data, "application/ld+json")


@pytest.mark.parametrize(
    "context",
    [
        CONTEXT_URL,
        [CONTEXT_URL],
        [CONTEXT_URL, {"extra": "https://example.org/extra"}],
        # the same context where this deployment publishes it (the public URL and the IRI base)
        "https://registry.example.org/context.jsonld",
        "https://igsn.org/context.jsonld",
    ],
)
def test_our_context_by_any_of_its_urls(context: object) -> None:
    extra = own_context_urls("https://registry.example.org/", "https://igsn.org/")
    [record] = read_rdf(json.dumps(_sample_doc(context)).encode(), "application/ld+json", context_urls=extra)
    assert record.igsn == "ZZQ0002" and record.name == "Ünïcode core ☃"


@pytest.mark.parametrize(
    "context", ["https://schema.org", "http://schema.org/", "https://schema.org/docs/jsonldcontext.jsonld"]
)
def test_schema_org_context_from_the_local_copy(context: str) -> None:
    doc = {
        "@context": [context, {"ig": "https://w3id.org/igsn-graph/ontology#"}],
        "@id": "https://igsn.org/ZZQ0003",
        "ig:igsn": "ZZQ0003",
        "description": "read in the schema.org vocabulary",
    }
    [record] = read_rdf(json.dumps(doc).encode(), "application/ld+json")
    assert record.igsn == "ZZQ0003"
    assert record.warnings == [
        'not mapped: <https://igsn.org/ZZQ0003> <https://schema.org/description> "read in the schema.org vocabulary"'
    ]


@pytest.mark.parametrize("where", ["top", "list", "scoped", "import", "nested node"])
def test_an_unknown_remote_context_is_refused_naming_it(where: str) -> None:
    url = "https://contexts.example.org/samples.jsonld"
    doc: dict[str, object] = _sample_doc()
    if where == "top":
        doc["@context"] = url
    elif where == "list":
        doc["@context"] = [CONTEXT_URL, url]
    elif where == "scoped":
        doc["@context"] = [CONTEXT_URL, {"part": {"@id": "https://example.org/part", "@context": url}}]
    elif where == "import":
        doc["@context"] = [CONTEXT_URL, {"@import": url}]
    else:
        doc["https://example.org/part"] = {"@context": url, "@id": "https://example.org/p1"}
    with pytest.raises(UnsupportedFormat) as info:
        read_rdf(json.dumps(doc).encode(), "application/ld+json")
    assert url in str(info.value) and "inline it" in str(info.value)


# --- nothing dropped silently ------------------------------------------------------------------

PREFIXES = """@prefix ig: <https://w3id.org/igsn-graph/ontology#> . @prefix dcterms: <http://purl.org/dc/terms/> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> . @prefix schema: <https://schema.org/> .
"""


def _turtle(body: str) -> bytes:
    return (PREFIXES + '<https://igsn.org/ZZQ0004> ig:igsn "ZZQ0004" ; dcterms:title "A core" ' + body).encode()


def test_blank_node_geometries_are_read_in_document_order() -> None:
    [record] = read_rdf(
        _turtle(
            '; geo:hasGeometry [ a geo:Geometry ; geo:asWKT "POINT (1 2)"^^geo:wktLiteral ] , '
            '[ geo:asWKT "POINT (3 4)" ; ig:srid "EPSG:4326" ] .'
        ),
        "text/turtle",
    )
    assert record.geometries == [Geometry("POINT (1 2)"), Geometry("POINT (3 4)", srid="EPSG:4326")]
    assert record.warnings == []


def test_nested_nodes_under_any_iri_are_carried() -> None:
    """A registrant named by its own IRI, a geometry by a fragment of the submitter's choosing: the record holds
    them at its own fragments, and nothing is reported."""
    [record] = read_rdf(
        _turtle(
            "; ig:registrant <https://example.org/agent/1> ; dcterms:creator "
            "<https://example.org/agent/1> ; geo:hasGeometry <https://igsn.org/ZZQ0004#where> ."
            '<https://example.org/agent/1> schema:name "CSIRO" .'
            '<https://igsn.org/ZZQ0004#where> geo:asWKT "POINT (5 6)" .'
        ),
        "text/turtle",
    )
    assert record.registrant is not None and record.registrant.name == "CSIRO"
    assert [a.name for a in record.collectors] == ["CSIRO"] and record.geometries == [Geometry("POINT (5 6)")]
    assert record.warnings == []


def test_triples_the_record_does_not_carry_are_reported() -> None:
    [record] = read_rdf(
        _turtle(
            '; schema:keywords "granite" ; geo:hasGeometry [ geo:asWKT "POINT (1 2)" ; '
            'schema:note "field GPS" ] .\n_:stray schema:name "nobody" .'
        ),
        "text/turtle",
    )
    assert record.geometries == [Geometry("POINT (1 2)")]
    assert len(record.warnings) == 3
    assert 'not mapped: <https://igsn.org/ZZQ0004> <https://schema.org/keywords> "granite"' in record.warnings
    assert any(
        w.startswith("not mapped: _:") and w.endswith('<https://schema.org/note> "field GPS"') for w in record.warnings
    )
    assert any(w.endswith('<https://schema.org/name> "nobody"') for w in record.warnings)


def test_derived_triples_copied_from_our_output_are_not_reported() -> None:
    [record] = read_rdf(
        _turtle(
            "; geo:hasGeometry <https://igsn.org/ZZQ0004#geometry-1> .\n"
            '<https://igsn.org/ZZQ0004#geometry-1> geo:asWKT "POINT (1 2)" ; '
            "ig:wktType <http://www.opengis.net/ont/sf#Polygon> ; ig:westBound 99 ."
        ),
        "text/turtle",
    )
    assert record.warnings == []


@pytest.mark.parametrize(
    "wkt",
    [
        "SRID=8311;POINTZ(137.8563726 -33.7108293 51)",
        "POINTZ(1 2 3)",
        "<http://www.opengis.net/def/crs/EPSG/0/4326> POINT(-33 137)",
    ],
)
def test_wkt_the_writer_normalises_is_carried_as_written(wkt: str) -> None:
    [record] = read_rdf(_turtle(f'; geo:hasGeometry [ geo:asWKT "{wkt}" ] .'), "text/turtle")
    assert [g.wkt for g in record.geometries] == [wkt] and record.warnings == []


def test_a_relation_target_is_derived_but_a_sample_level_relation_is_reported() -> None:
    [record] = read_rdf(
        _turtle(
            '; <http://www.w3.org/ns/dcat#qualifiedRelation> [ schema:identifier "10.5880/x" ; '
            'ig:identifierScheme "DOI" ; <http://www.w3.org/ns/dcat#hadRole> "IsCitedBy" ; '
            "dcterms:relation <https://example.org/elsewhere> ] ; "
            "dcterms:relation <https://example.org/other> ."
        ),
        "text/turtle",
    )
    assert [(r.identifier, r.identifier_type, r.relation_type) for r in record.relations] == [
        ("10.5880/x", "DOI", "IsCitedBy")
    ]
    assert record.warnings == [
        "not mapped: <https://igsn.org/ZZQ0004> <http://purl.org/dc/terms/relation> <https://example.org/other>"
    ]


def test_warnings_are_bounded() -> None:
    extra = "".join(f'; schema:k{i} "v{i}" ' for i in range(MAX_LISTED + 15))
    [record] = read_rdf(_turtle(extra + "."), "text/turtle")
    assert len(record.warnings) == MAX_LISTED + 1 and record.warnings[-1] == "not mapped: and 15 more triples"


@pytest.mark.parametrize(
    "body,what",
    [
        ('; dcterms:title "Another name" .', "more than one title"),
        ('; dcterms:description "one", "two" .', "more than one description"),
        ('; geo:hasGeometry [ geo:asWKT "POINT (1 2)", "POINT (3 4)" ] .', "more than one WKT geometry"),
    ],
)
def test_a_second_value_where_the_record_holds_one_is_refused(body: str, what: str) -> None:
    with pytest.raises(InvalidRecord) as info:
        read_rdf(_turtle(body), "text/turtle")
    assert what in str(info.value) and "nothing was stored" in str(info.value)


def test_two_igsns_for_one_subject_are_refused() -> None:
    with pytest.raises(InvalidRecord, match="two IGSNs"):
        read_rdf(_turtle('; ig:igsn "ZZQ0005" .'), "text/turtle")
