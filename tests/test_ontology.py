"""ontology/igsn-graph.ttl parses and declares, with label and definition, every ig: term we write."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from igsn_graph.codelists import relation_types
from igsn_graph.formats import graph
from igsn_graph.iris import Iris
from igsn_graph.record import (
    Agent,
    Classification,
    Contributor,
    Curation,
    Geometry,
    Identifier,
    LogEvent,
    Place,
    RegistryFacts,
    Relation,
    SampledFeature,
    SampleRecord,
    TimeSpan,
)
from igsn_graph.resources import ontology_dir, shapes_dir
from igsn_graph.vocab import IG, IGREL, IGSTATUS, ONTOLOGY_IRI

IRIS = Iris()
IG_NS, IGREL_NS, IGSTATUS_NS = str(IG), str(IGREL), str(IGSTATUS)
KINDS_OF_TERM = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}


@pytest.fixture(scope="module")
def onto() -> rdflib.Graph:
    return rdflib.Graph().parse(ontology_dir() / "igsn-graph.ttl", format="turtle")


def every_field_record() -> SampleRecord:
    """A record that fills every field (tests/test_vocabulary_terms.py varies it)."""
    agent = Agent("Ann Smith", Identifier("0000-0002-1825-0097", "ORCID"), Agent("CSIRO"), "Person")
    return SampleRecord(
        igsn="AU1",
        name="n",
        description="d",
        doi="10.1/x",
        landing_page="https://example.org/1",
        alternate_identifiers=[Identifier("x", "local")],
        registrant=agent,
        collectors=[agent],
        contributors=[Contributor(agent, "Editor")],
        curations=[Curation("c", "2020", "l", agent)],
        geometries=[Geometry("POINT (1 2)", "http://www.opengis.net/ont/sf#Point", "4326", "AHD", "https://g.org/1")],
        places=[Place("p", "https://p.org/1")],
        resource_types=["http://vocabulary.odm2.org/specimentype/core/"],
        alternate_resource_types=["lump"],
        materials=["http://vocabulary.odm2.org/medium/rock"],
        alternate_materials=["stone"],
        collection_method="http://pid.geoscience.gov.au/def/voc/ga/igsn/method/Corer",
        alternate_collection_methods=["by hand"],
        method_description="m",
        collection_time=TimeSpan("2020", "2019", "2021"),
        classifications=[Classification("basalt", "https://c.org/1")],
        sampled_features=[SampledFeature("f", "https://f.org/1", "http://vocabulary.odm2.org/samplingfeaturetype/x")],
        purpose="p",
        campaign="c",
        comments="c",
        parents=["AU0"],
        collections=["AUC"],
        relations=[Relation("10.1/y", "DOI", "IsCitedBy", "t", "HasThing")],
        is_public=False,
        embargo_end="2030",
        supplemental_metadata=["https://s.org/1"],
        log=[LogEvent("registered", "2020-01-01", "c", "t")],
    )


def rich_triples() -> list:
    """The triples of a record that fills every field, and of facts that set every fact."""
    record = every_field_record()
    facts = RegistryFacts(
        "AU1",
        "csiro",
        "AU",
        "2024-01-01T00:00:00Z",
        client="csiro.cap",
        landing_url="https://example.org/1",
        lifecycle="deprecated",
        replaced_by="AU2",
        registered="2020-01-01T00:00:00Z",
        doi="10.1/AU1",
    )
    return graph.record_triples(record, IRIS) + graph.facts_triples(facts, IRIS)


def ig_terms_written() -> set[str]:
    """ig: IRIs in predicate or class position of the rich triples, and every IG.name in graph.py."""
    terms = set()
    for t in rich_triples():
        terms.add(t.predicate.value)
        if t.predicate.value == str(RDF.type):
            terms.add(t.object.value)
    source = Path(graph.__file__).read_text(encoding="utf-8")
    terms |= {IG_NS + name for name in re.findall(r"\bIG\.([A-Za-z]+)", source)}
    return {t for t in terms if t.startswith(IG_NS)}


def test_ontology_header(onto: rdflib.Graph) -> None:
    assert (rdflib.URIRef(ONTOLOGY_IRI), RDF.type, OWL.Ontology) in onto


def test_every_term_written_is_declared(onto: rdflib.Graph) -> None:
    written = ig_terms_written()
    assert len(written) > 40
    for iri in sorted(written):
        term = rdflib.URIRef(iri)
        assert set(onto.objects(term, RDF.type)) & KINDS_OF_TERM, f"{iri} is not declared"
        assert onto.value(term, RDFS.label), f"{iri} has no rdfs:label"
        assert onto.value(term, SKOS.definition), f"{iri} has no skos:definition"


def test_every_ig_term_in_the_shapes_is_declared(onto: rdflib.Graph) -> None:
    shapes = rdflib.Graph()
    for path in shapes_dir().glob("*.ttl"):
        shapes.parse(path, format="turtle")
    used = {str(n) for triple in shapes for n in triple if isinstance(n, rdflib.URIRef) and str(n).startswith(IG_NS)}
    assert used and all((rdflib.URIRef(iri), RDFS.label, None) in onto for iri in used), used


def test_declared_terms_are_complete(onto: rdflib.Graph) -> None:
    """No half-declared term: every ig:, igrel:, igstatus: subject has a label and a definition."""
    for subject in set(onto.subjects()):
        if isinstance(subject, rdflib.URIRef) and str(subject).startswith((IG_NS, IGREL_NS, IGSTATUS_NS)):
            assert onto.value(subject, RDFS.label) and onto.value(subject, SKOS.definition), subject


def test_registry_classes_and_alignments(onto: rdflib.Graph) -> None:
    sub = lambda a, b: (rdflib.URIRef(IG_NS + a), RDFS.subClassOf, rdflib.URIRef(b)) in onto  # noqa: E731
    assert sub("Sample", "http://www.w3.org/ns/sosa/Sample")
    assert sub("SamplingFeature", "http://www.w3.org/ns/sosa/FeatureOfInterest")
    assert sub("AllocatingAgent", "http://www.w3.org/ns/prov#Agent")
    assert sub("Client", "http://www.w3.org/ns/prov#Agent")
    assert sub("RegistrationEvent", "http://www.w3.org/ns/prov#Activity")
    for name in ("Namespace", "Version"):
        assert (rdflib.URIRef(IG_NS + name), RDF.type, OWL.Class) in onto
    contributor = rdflib.URIRef("http://purl.org/dc/terms/contributor")
    assert (rdflib.URIRef(IG_NS + "registrant"), RDFS.subPropertyOf, contributor) in onto


def test_relation_type_concepts(onto: rdflib.Graph) -> None:
    inverse, direct = rdflib.URIRef(IG_NS + "inverseRelation"), rdflib.URIRef(IG_NS + "directProperty")
    table = relation_types()
    concepts = {s for s in onto.subjects(RDF.type, SKOS.Concept) if str(s).startswith(IGREL_NS)}
    assert {str(c)[len(IGREL_NS) :] for c in concepts} == set(table.types)
    for name, t in table.types.items():
        c = rdflib.URIRef(IGREL_NS + name)
        assert str(onto.value(c, SKOS.notation)) == name
        assert onto.value(c, inverse) == (rdflib.URIRef(IGREL_NS + t.inverse) if t.inverse else None), name
        assert onto.value(c, direct) == (rdflib.URIRef(t.direct_property) if t.direct_property else None), name


def test_status_concepts(onto: rdflib.Graph) -> None:
    declared = {str(s) for s in onto.subjects(RDF.type, SKOS.Concept) if str(s).startswith(IGSTATUS_NS)}
    assert declared == {IGSTATUS_NS + s for s in ("active", "inactive", "deprecated", "destroyed")}
    written = {t.object.value for t in rich_triples() if t.predicate.value == IG_NS + "status"}
    assert written <= declared


def test_every_term_the_registry_writes_is_declared(onto: rdflib.Graph, registry) -> None:  # type: ignore[no-untyped-def]
    """History activities, versions and the public accounts graph use declared ig: terms only."""
    from igsn_graph.registry.accounts import Principal

    one = Principal("client", "ZTEST.ONE", "ZTEST")
    registry.mint(one, "ZTA1", "https://example.org/1")
    registry.deprecate(one, "ZTA1")
    used: set[str] = set()
    graphs = [
        registry.iris.provenance_graph("ZTA1"),
        registry.iris.accounts_graph(),
        registry.iris.record_graph("ZTA1"),
    ]
    for g in graphs:
        for t in registry.store.graph(g):
            for term in (t.predicate, t.object):
                value = getattr(term, "value", "")
                if value.startswith(IG_NS) and not isinstance(term, type(None)):
                    used.add(value)
    assert used, "no ig: terms found"
    for term in used:
        ref = rdflib.URIRef(term)
        assert (ref, RDFS.label, None) in onto and (ref, SKOS.definition, None) in onto, term
