"""schema.org JSON-LD of a sample: parses offline as RDF, types, identifiers, places and relations."""

from __future__ import annotations

import json
from dataclasses import replace

from pyoxigraph import RdfFormat, parse

from igsn_graph.formats import schemaorg
from igsn_graph.record import Agent, Curation, Identifier, RegistryFacts, Relation
from tests.oai.samples import rich

S = "https://schema.org/"
FACTS = RegistryFacts(
    "ZTA001", "ZTEST", "ZTA", "2024-01-02T03:04:05Z", registered="2015-03-04T10:00:00Z", lifecycle="destroyed"
)


def _doc() -> dict[str, object]:
    return schemaorg.document(
        FACTS,
        rich("ZTA001", parents=["ZTA000"]),
        iri_base="https://igsn.org/",
        url="https://example.org/s/ZTA001",
        children=["ZTA009"],
    )


def test_parses_as_rdf_about_the_sample() -> None:
    triples = list(parse(json.dumps(_doc()).encode(), format=RdfFormat.JSON_LD))
    about = {(t.predicate.value, t.object.value) for t in triples if t.subject.value == "https://igsn.org/ZTA001"}
    assert ("http://www.w3.org/1999/02/22-rdf-syntax-ns#type", S + "Product") in about
    assert (S + "name", "Core section ZTA001") in about
    assert (S + "isBasedOn", "https://igsn.org/ZTA000") in about and (S + "hasPart", "https://igsn.org/ZTA009") in about
    assert (S + "subjectOf", "https://doi.org/10.5072/PAPER1") in about


def test_content() -> None:
    doc = _doc()
    assert doc["identifier"][0] == {
        "@type": "PropertyValue",
        "propertyID": "IGSN",
        "value": "ZTA001",  # type: ignore[index]
        "url": "https://igsn.org/ZTA001",
    }
    assert doc["material"] == ["Rock"] and doc["creativeWorkStatus"] == "destroyed"
    creator = doc["creator"][0]  # type: ignore[index]
    assert creator["@type"] == "Person" and creator["@id"] == "https://orcid.org/0000-0000-0000-0001"
    assert creator["affiliation"]["@id"] == "https://ror.org/00test000"
    geo = [p["geo"] for p in doc["spatialCoverage"] if "geo" in p]  # type: ignore[union-attr]
    assert {"@type": "GeoCoordinates", "longitude": 10.5, "latitude": 45.25} in geo
    assert {"@type": "GeoShape", "box": "40 10 42 12"} in geo
    assert doc["temporalCoverage"] == "2019-05-01/2019-05-03"


def test_without_a_description() -> None:
    doc = schemaorg.document(FACTS, None, iri_base="https://igsn.org/", url="u")
    assert doc["name"] == "ZTA001" and "creator" not in doc


def test_no_duplicate_triples() -> None:
    """An organisation named as registrant, affiliation and curating institution is described once."""
    from igsn_graph.demo import small_demo

    org = Agent("Test University", Identifier("https://ror.org/00test000", "ROR"), kind="Organization")
    record = rich(
        "ZTA001",
        registrant=org,
        curations=[Curation(curator="Smith, Ann", institution=org)],
        relations=[Relation("10.5072/PAPER1", "DOI", "IsCitedBy"), Relation("10.5072/PAPER1", "DOI", "IsReferencedBy")],
    )
    facts = replace(FACTS, doi="10.5072/PAPER1")
    records = [(facts, record)] + [(replace(FACTS, igsn=d.record.igsn), d.record) for d in small_demo()]
    for f, r in records:
        doc = schemaorg.document(f, r, iri_base="https://igsn.org/", url="https://example.org/s/" + f.igsn)
        triples = [str(t) for t in parse(json.dumps(doc).encode(), format=RdfFormat.JSON_LD)]
        assert len(triples) == len(set(triples)), sorted(t for t in triples if triples.count(t) > 1)
    # what was said once is still said
    doc = schemaorg.document(facts, record, iri_base="https://igsn.org/", url="https://example.org/s/ZTA001")
    triples = {
        (t.subject.value, t.predicate.value, t.object.value)
        for t in parse(json.dumps(doc).encode(), format=RdfFormat.JSON_LD)
    }
    sample, ror = "https://igsn.org/ZTA001", "https://ror.org/00test000"
    assert {
        (sample, S + "publisher", ror),
        (sample, S + "provider", ror),
        (ror, S + "name", "Test University"),
        (sample, S + "subjectOf", "https://doi.org/10.5072/PAPER1"),
    } <= triples
