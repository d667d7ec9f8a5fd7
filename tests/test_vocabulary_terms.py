"""Every external term the service writes is one its vocabulary defines, used with the range it defines.

The graphs checked are those the service emits: the stored graphs of a registry holding the demo data
(descriptions with registry facts, provenance, accounts), the conversion of a record that fills every
field and names every relation type, and the schema.org profile of every demo sample parsed as RDF.
Term lists are rdflib's ``DefinedNamespace``s, built from each vocabulary's published RDF; the test asks
``iri in namespace`` (some of them, DCAT, SOSA, GEO and SDO among them, only warn on an unknown attribute).
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import rdflib
from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, parse
from rdflib import namespace as rdfns

from igsn_graph.codelists import relation_types
from igsn_graph.formats import schemaorg
from igsn_graph.formats.graph import record_from_triples, record_triples
from igsn_graph.iris import Iris
from igsn_graph.record import (
    Agent,
    Contributor,
    Curation,
    Identifier,
    Relation,
    SampleRecord,
    TimeSpan,
)
from igsn_graph.registry.service import Registry
from igsn_graph.vocab import CITO, IG, IGREL, IGSTATUS
from tests.conftest import demo_settings
from tests.test_ontology import every_field_record

#: vocabularies with a published term list in rdflib
# (used as rdfns.X: pytest probes module-level names for mock attributes, and a DefinedNamespace warns)
VOCABULARIES: tuple[type[rdfns.DefinedNamespace], ...] = (
    rdfns.DCAT,
    rdfns.DCMITYPE,
    rdfns.DCTERMS,
    rdfns.FOAF,
    rdfns.GEO,
    rdfns.OWL,
    rdfns.PROV,
    rdfns.RDF,
    rdfns.RDFS,
    rdfns.SDO,
    rdfns.SKOS,
    rdfns.SOSA,
    rdfns.SSN,
    rdfns.XSD,
)
NS = {v.__name__: str(v._NS) for v in VOCABULARIES}
#: CiTO has no term list in rdflib; these are the CiTO properties mappings/relation_types.csv names (CiTO 2.8)
CITO_TERMS = {"cites", "isCitedBy"}
#: our own namespaces (ontology/igsn-graph.ttl; tests/test_ontology.py checks those)
OURS = (str(IG), str(IGREL), str(IGSTATUS))
#: terms a change is removing: ``test_no_pending_terms`` fails while the service still writes them (none now:
#: dcat:relation, which DCAT does not define, became dcterms:relation)
PENDING: dict[str, str] = {}
RDF_TYPE, RESULT_TIME, DC_DATE, DATE_TIME = (
    NS["RDF"] + "type",
    NS["SOSA"] + "resultTime",
    NS["DCTERMS"] + "date",
    NS["XSD"] + "dateTime",
)
#: properties whose range is one datatype
RANGES = {
    RESULT_TIME: DATE_TIME,
    NS["PROV"] + "startedAtTime": DATE_TIME,
    NS["PROV"] + "endedAtTime": DATE_TIME,
    NS["PROV"] + "generatedAtTime": DATE_TIME,
}


def every_field() -> SampleRecord:
    """A record that fills every field (tests/test_ontology.py's), with an agent that has a ROR affiliation, a
    collection date-time, and one related DOI per relation type (so every direct property)."""
    agent = Agent(
        "Ann Smith",
        Identifier("0000-0002-1825-0097", "ORCID"),
        Agent("CSIRO", Identifier("03qn8fb07", "ROR"), kind="Organization"),
        "Person",
    )
    base = every_field_record()
    return replace(
        base,
        registrant=agent,
        collectors=[agent],
        contributors=[Contributor(agent, "Editor")],
        curations=[Curation("c", "2020", "l", agent)],
        collection_time=TimeSpan("2020-05-17T10:00:00Z", "2019", "2021"),
        relations=[Relation(f"10.1234/{name}", "DOI", name, "t") for name in relation_types().types],
    )


@pytest.fixture(scope="module")
def emitted(tmp_path_factory: pytest.TempPathFactory) -> list[Triple]:
    """The triples of every graph of the demo registry, of ``every_field()``, and of the schema.org profiles."""
    settings = demo_settings(tmp_path_factory.mktemp("vocabulary"))
    triples: list[Triple] = record_triples(every_field(), Iris())
    with Registry(settings) as registry:
        base = registry.iris.base
        graphs = list(registry.store.graphs_with_prefix(base))
        assert any(g.value.startswith(base + "provenance/") for g in graphs)
        assert registry.iris.accounts_graph() in graphs
        for graph in graphs:
            triples += registry.store.graph(graph)
        names = [g.value[len(base + "graph/") :] for g in graphs if g.value.startswith(base + "graph/")]
        assert len(names) > 40
        for name in names:
            facts = registry.facts(name)
            assert facts is not None
            record = registry.record(name) if facts.has_metadata else None
            doc = schemaorg.document(facts, record, iri_base=base, url="https://example.org/" + name)
            triples += parse(json.dumps(doc).encode(), format=RdfFormat.JSON_LD)
    return triples


def term_positions(triples: list[Triple]) -> dict[str, str]:
    """IRI → where it was seen first: as a predicate, or as the class of an ``rdf:type``."""
    seen: dict[str, str] = {}
    for t in triples:
        seen.setdefault(t.predicate.value, "predicate")
        if t.predicate.value == RDF_TYPE and isinstance(t.object, NamedNode):
            seen.setdefault(t.object.value, "class")
    return seen


def undefined(triples: list[Triple]) -> dict[str, str]:
    """Terms in predicate or class position that their vocabulary does not define (or of an unknown one)."""
    out: dict[str, str] = {}
    for iri, position in term_positions(triples).items():
        if iri.startswith(OURS):
            continue
        vocabulary = next((v for v in VOCABULARIES if iri.startswith(str(v._NS))), None)
        if vocabulary is not None:
            local = iri[len(str(vocabulary._NS)) :]
            if rdflib.URIRef(iri) not in vocabulary:
                out[iri] = f"{position} not defined by {vocabulary.__name__}"
            elif position == "class" and not local[:1].isupper():
                out[iri] = "a property used as a class"
            elif position == "predicate" and not local[:1].islower():
                out[iri] = "a class used as a property"
        elif iri.startswith(str(CITO)):
            if iri[len(str(CITO)) :] not in CITO_TERMS:
                out[iri] = "not a CiTO property we know"
        else:
            out[iri] = f"{position} in a namespace without a term list"
    return out


def test_emitted_terms_are_defined_by_their_vocabularies(emitted: list[Triple]) -> None:
    found = {iri: why for iri, why in undefined(emitted).items() if iri not in PENDING}
    assert not found, found
    # the check sees the vocabularies it is about
    namespaces = set(NS.values())
    used = {ns for iri in term_positions(emitted) for ns in namespaces if iri.startswith(ns)}
    assert used >= {NS[name] for name in ("SOSA", "PROV", "DCTERMS", "GEO", "SDO", "DCAT")}


def test_no_pending_terms(emitted: list[Triple]) -> None:
    assert not set(undefined(emitted)) & set(PENDING)
    assert not any(t.predicate.value == NS["DCAT"] + "relation" for t in emitted)


def test_datatype_ranges(emitted: list[Triple]) -> None:
    wrong = {
        (t.predicate.value, str(t.object))
        for t in emitted
        if t.predicate.value in RANGES
        and not (isinstance(t.object, Literal) and t.object.datatype.value == RANGES[t.predicate.value])
    }
    assert not wrong, sorted(wrong)[:10]
    assert any(t.predicate.value == RESULT_TIME for t in emitted)


@pytest.mark.parametrize(
    "instant,prop",
    [
        ("2020", DC_DATE),
        ("2020-05", DC_DATE),
        ("2020-05-17", DC_DATE),
        ("2020-05-17T10:00:00Z", RESULT_TIME),
        ("2020-05-17T10:00:00", RESULT_TIME),
        ("May 2020", DC_DATE),  # no date: kept as text, for the shapes to report
    ],
)
def test_a_partial_collection_date_is_no_result_time(instant: str, prop: str) -> None:
    iris = Iris()
    record = SampleRecord("AU7", name="n", collection_time=TimeSpan(instant, "2019", "2021-01"))
    triples = record_triples(record, iris)
    sampling = iris.sample("AU7").value + "#sampling"
    times = {
        (t.predicate.value, t.object.value)
        for t in triples
        if t.subject.value == sampling and t.predicate.value in (RESULT_TIME, DC_DATE)
    }
    assert times == {(prop, instant)}
    assert record_from_triples(triples, iris, "AU7") == record  # the round-trip law of formats.graph


def test_a_result_time_stored_before_still_reads() -> None:
    """Graphs written before partial dates moved to dcterms:date carry them on sosa:resultTime."""
    iris = Iris()
    record = SampleRecord("AU8", name="n", collection_time=TimeSpan("2020-05"))
    old = [
        Triple(t.subject, NamedNode(RESULT_TIME), t.object) if t.predicate.value == DC_DATE else t
        for t in record_triples(record, iris)
    ]
    assert record_from_triples(old, iris, "AU8") == record


def test_the_check_catches_an_unknown_term() -> None:
    s = NamedNode("https://igsn.org/AU1")
    bad = [
        Triple(s, NamedNode(NS["DCAT"] + "relation"), s),
        Triple(s, NamedNode(NS["SOSA"] + "resultDate"), s),
        Triple(s, NamedNode(RDF_TYPE), NamedNode(NS["SDO"] + "name")),
        Triple(s, NamedNode("http://example.org/vocab#p"), s),
    ]
    assert set(undefined(bad)) == {
        bad[0].predicate.value,
        bad[1].predicate.value,
        NS["SDO"] + "name",
        "http://example.org/vocab#p",
    }
