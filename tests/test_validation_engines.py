"""The fast validation engine reports what pyshacl reports, record by record, and refuses shapes it cannot compile.

Differential: both engines validate the same batches and must give every sample the same violations — focus
node, path, constraint component, severity, and also value, message and source shape. The corpus: the demo
generator's samples, features and collections as they are and each broken by every defect of
tests/test_validation.py, good records with every defect, URL-only IGSNs, graphs with no type or nothing at
all, the real records of ../shared/examples, and raw graphs no converter writes (odd literals, blank nodes,
subclasses, a node shared by two samples). Shapes of our own (a copy of shapes/ plus extra rules) cover the
compiled components shapes/ uses little or not yet: sh:targetNode, exclusive bounds, severities, flags.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Mapping, Sequence

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from igsn_graph.demo import generate_samples, small_demo
from igsn_graph.formats.graph import facts_triples, record_triples
from igsn_graph.formats.kernels import read_xml
from igsn_graph.record import RegistryFacts, SampleRecord
from igsn_graph.resources import shapes_dir
from igsn_graph.settings import Settings
from igsn_graph.validation import ENGINES, ShapesError, ValidationReport, Validator, Violation
from igsn_graph.vocab import DCTERMS, GEO, IG, RDF, RDFS, SCHEMA, XSD
from testkit.validation_cases import DEFECTS, IRIS, facts, good

COMPILED = Validator(IRIS, engine="compiled")
PYSHACL = Validator(IRIS, engine="pyshacl")
SH = "http://www.w3.org/ns/shacl#"

Graphs = Mapping[str, Sequence[Triple]]


def key(v: Violation, *, message: bool = True, value: bool = True) -> tuple[str, ...]:
    return (
        v.focus_node,
        v.path or "",
        v.constraint or "",
        v.severity,
        v.value or "" if value else "",
        v.message if message else "",
        v.source_shape or "",
    )


def agree(
    graphs: Graphs,
    url_only: frozenset[str] = frozenset(),
    *,
    fast: Validator = COMPILED,
    reference: Validator = PYSHACL,
    messages: bool = True,
    values: bool = True,
) -> dict[str, ValidationReport]:
    """Both engines on one batch; every sample's violations equal. Returns the fast engine's reports."""
    ours, theirs = fast.validate_many(graphs, url_only=url_only), reference.validate_many(graphs, url_only=url_only)
    assert set(ours) == set(theirs) == set(graphs)
    for name in graphs:
        mine = sorted(key(v, message=messages, value=values) for v in ours[name].violations)
        expected = sorted(key(v, message=messages, value=values) for v in theirs[name].violations)
        assert mine == expected, (name, mine, expected)
        assert ours[name].conforms == theirs[name].conforms
    return ours


def registered(record: SampleRecord, landing: str | None = None) -> list[Triple]:
    """The graph the registry validates for a description: the record and its registry facts."""
    return record_triples(record, IRIS) + facts_triples(
        RegistryFacts(
            record.igsn,
            "ZGEO",
            record.igsn[:3],
            "2026-01-02T03:04:05Z",
            client="ZGEO.CORE",
            landing_url=landing,
            has_metadata=True,
        ),
        IRIS,
    )


def broken(record: SampleRecord, defect: str) -> SampleRecord:
    changes = dict(DEFECTS[defect][0])
    if "igsn" in changes:
        changes["igsn"] = record.igsn.lower()
    return dataclasses.replace(record, **changes)  # type: ignore[arg-type]


def test_engines_and_default() -> None:
    assert ENGINES[0] == "compiled" == Settings().validation_engine == Validator(IRIS).engine
    assert Settings.from_env({"IGSN_GRAPH_VALIDATION_ENGINE": "pyshacl"}).validation_engine == "pyshacl"
    with pytest.raises(ShapesError, match="unknown validation engine"):
        Validator(IRIS, engine="fast")


def test_demo_corpus_and_every_defect() -> None:
    """351 demo records as generated and twice broken by a defect of test_validation (1,053 in one batch)."""
    demo = [d for d in small_demo()] + list(generate_samples(300, seed=7))
    defects = sorted(DEFECTS)
    graphs = {d.record.igsn: registered(d.record, d.landing_url) for d in demo}
    # every defect on at least six records of different kinds
    for i, d in enumerate(demo):
        for suffix, defect in (("-A", defects[i % len(defects)]), ("-B", defects[(i * 7 + 3) % len(defects)])):
            bad = broken(dataclasses.replace(d.record, igsn=d.record.igsn + suffix), defect)
            graphs[bad.igsn] = registered(bad, d.landing_url)
    assert len(graphs) > 1000
    reports = agree(graphs)
    invalid = [name for name, r in reports.items() if not r.conforms]
    assert len(invalid) > 400
    found = {v.constraint.rsplit("#", 1)[1] for r in reports.values() for v in r.violations}  # type: ignore[union-attr]
    assert found >= {
        "MinCountConstraintComponent",
        "InConstraintComponent",
        "PatternConstraintComponent",
        "MinLengthConstraintComponent",
        "MaxInclusiveConstraintComponent",
    }
    # the same records in small batches, as single writes are validated
    names = sorted(graphs)[:120]
    for start in range(0, len(names), 7):
        agree({n: graphs[n] for n in names[start : start + 7]})


def test_good_records_with_every_defect() -> None:
    records = [broken(good(f"D{i}"), name) for i, name in enumerate(sorted(DEFECTS))] + [good("OK")]
    graphs = {r.igsn: record_triples(r, IRIS) for r in records}
    reports = agree(graphs)
    assert sum(not r.conforms for r in reports.values()) == len(DEFECTS)
    for name, graph in graphs.items():  # one by one, as the MDS validates a single write
        agree({name: graph})


def test_url_only_facts_and_graphs_without_a_description() -> None:
    bad = {
        "AU10": facts("AU10", landing_url="ftp://example.org/x"),
        "AU11": facts("AU11", landing_url=None),
        "au12": facts("au12"),
        "AU13": facts("AU13", landing_url="https:///nohost"),
        "AU9": facts(),
    }
    graphs = {k: facts_triples(f, IRIS) for k, f in bad.items()}
    agree(graphs, url_only=frozenset(graphs))
    agree(graphs)  # facts alone are not a full registration
    kindless = [t for t in record_triples(good(), IRIS) if t.predicate != RDF.type or "#" in t.subject.value]
    agree({"X1": [], "AU1234": kindless, "AU5": record_triples(good("AU5"), IRIS) + facts_triples(facts("AU5"), IRIS)})


def test_real_records(shared: Path) -> None:
    """Every record of ../shared/examples the XML readers read, as read (registrant and name missing or not)."""
    graphs: dict[str, list[Triple]] = {}
    for path in sorted((shared / "examples").rglob("*.xml")):
        try:
            doc = read_xml(path.read_bytes())
        except Exception:  # noqa: BLE001 - not a record format we read (Identify, ListSets...)
            continue
        for record in doc.records:
            graphs.setdefault(record.igsn, record_triples(record, IRIS))
    assert len(graphs) >= 15
    agree(graphs)


S, S2 = IRIS.sample("RAW1"), IRIS.sample("RAW2")
AGENT = NamedNode("https://orcid.org/0000-0000-0000-0001")


def raw(subject: NamedNode, *extra: tuple[object, NamedNode, object]) -> list[Triple]:
    """A minimal good description of ``subject`` plus ``extra`` triples (no converter writes these)."""
    registrant = NamedNode(subject.value + "#registrant")
    base = [
        (subject, RDF.type, IG.Sample),
        (subject, IG.igsn, Literal(subject.value.rsplit("/", 1)[1])),
        (subject, DCTERMS["title"], Literal("x")),
        (subject, IG.registrant, registrant),
        (registrant, SCHEMA.name, Literal("Org")),
    ]
    return [Triple(s, p, o) for s, p, o in base + list(extra)]  # type: ignore[arg-type]


UNUSUAL: dict[str, list[tuple[object, NamedNode, object]]] = {
    "blank-node parent and literal collection": [(S, IG.parent, BlankNode("p")), (S, IG.memberOf, Literal("C1"))],
    "ill-formed and odd numbers": [
        (S, GEO.hasGeometry, NamedNode(S.value + "#g")),
        (NamedNode(S.value + "#g"), GEO.asWKT, Literal("POINT (1 2)")),
        (NamedNode(S.value + "#g"), IG.elevation, Literal("abc", datatype=XSD.decimal)),
        (NamedNode(S.value + "#g"), IG.northBound, Literal("95")),
        (NamedNode(S.value + "#g"), IG.southBound, Literal("-1e3", datatype=XSD.double)),
        (NamedNode(S.value + "#g"), IG.westBound, Literal("NaN", datatype=XSD.double)),
        (NamedNode(S.value + "#g"), IG.eastBound, Literal("180.000", datatype=XSD.decimal)),
        (NamedNode(S.value + "#g"), IG.wktType, Literal("Point")),
    ],
    "typed and tagged strings": [
        (S, DCTERMS["title"], Literal("y", language="en")),
        (S, IG.doi, Literal("10.1/x y")),
        (S, IG.embargoEnd, Literal("2020-05-17T10:00:00+00:00", datatype=XSD.dateTime)),
        (S, IG.embargoEnd, Literal("2020-13", datatype=XSD.gYearMonth)),
    ],
    "IRIs where literals go and back": [
        (S, IG.igsn, NamedNode("https://example.org/RAW1")),
        (S, IG.material, Literal("http://vocabulary.odm2.org/medium/rock")),
        (S, IG.landingPage, BlankNode("lp")),
    ],
    "a subclass of ig:Sample": [
        (NamedNode("https://example.org/Core"), RDFS.subClassOf, IG.Sample),
        (NamedNode("https://example.org/c1"), RDF.type, NamedNode("https://example.org/Core")),
    ],
}


@pytest.mark.parametrize("case", sorted(UNUSUAL))
def test_unusual_graphs(case: str) -> None:
    # a double's value is reported as written ("-1e3"); pyshacl reports rdflib's rewriting of it ("-1000.0")
    numbers = case == "ill-formed and odd numbers"
    reports = agree({"RAW1": raw(S, *UNUSUAL[case]), "RAW2": raw(S2)}, values=not numbers)
    if numbers:
        assert {v.value for v in reports["RAW1"].violations} == {"POINT (1 2)", "abc", "95", "-1e3", "NaN"}


def test_a_node_shared_by_two_samples() -> None:
    """An agent IRI in two samples' graphs: its triples repeat (counted once) or disagree (two names)."""
    same = [(S, SCHEMA.creator, AGENT), (AGENT, SCHEMA.name, Literal("A. Person"))]
    agree(
        {"RAW1": raw(S, (S, DCTERMS.creator, AGENT), same[1]), "RAW2": raw(S2, (S2, DCTERMS.creator, AGENT), same[1])}
    )
    agree(
        {
            "RAW1": raw(S, (S, DCTERMS.creator, AGENT), same[1]),
            "RAW2": raw(S2, (S2, DCTERMS.creator, AGENT), (AGENT, SCHEMA.name, Literal("Another"))),
        }
    )


EXTRA = """
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix ig: <https://w3id.org/igsn-graph/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> . @prefix ex: <https://example.org/shapes#> .

ex:by-node a sh:PropertyShape ; sh:targetNode <https://igsn.example.org/RAW2> , "a literal node" ;
    sh:path dcterms:title ; sh:minCount 2 ; sh:severity sh:Warning .
ex:exclusive a sh:PropertyShape ; sh:targetSubjectsOf ig:northBound ; sh:path ig:northBound ;
    sh:minExclusive 0 ; sh:maxExclusive 50.5 ; sh:severity sh:Info ; sh:message "between 0 and 50.5"@en .
ex:flags a sh:PropertyShape ; sh:targetClass ig:Sample ; sh:path dcterms:title ; sh:pattern "^X" ; sh:flags "i" ;
    sh:severity sh:Warning .
ex:lengths a sh:PropertyShape ; sh:targetClass ig:Sample ; sh:path ig:parent ; sh:minLength 40 ; sh:maxLength 60 ;
    sh:nodeKind sh:BlankNodeOrIRI .
ex:off a sh:PropertyShape ; sh:targetClass ig:Sample ; sh:path dcterms:title ; sh:maxCount 0 ; sh:deactivated true .
ex:Thing a rdfs:Class , sh:PropertyShape ; sh:path ig:elevation ; sh:minCount 1 ; sh:datatype xsd:decimal .
[] a sh:PropertyShape ; sh:targetObjectsOf ig:parent ; sh:path ig:igsn ; sh:minCount 1 ; sh:datatype rdfs:Literal .
"""


@pytest.fixture(scope="module")
def extra_shapes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("shapes") / "shapes"
    shutil.copytree(shapes_dir(), folder)
    (folder / "zz-extra.ttl").write_text(EXTRA, encoding="utf-8")
    return folder


def test_components_our_shapes_use_little(extra_shapes: Path) -> None:
    fast, reference = Validator(IRIS, extra_shapes), Validator(IRIS, extra_shapes, engine="pyshacl")
    thing = NamedNode("https://example.org/t1")
    graphs = {
        "RAW1": raw(
            S,
            (S, DCTERMS["title"], Literal("xylophone")),
            (S, IG.parent, IRIS.sample("P")),
            (S, GEO.hasGeometry, NamedNode(S.value + "#g")),
            (NamedNode(S.value + "#g"), IG.northBound, Literal("50.5", datatype=XSD.decimal)),
            (thing, RDF.type, NamedNode("https://example.org/shapes#Thing")),
        ),
        "RAW2": raw(
            S2,
            (S2, IG.parent, BlankNode("b")),
            (S2, IG.northBound, Literal("0.0001", datatype=XSD.decimal)),
            (S2, IG.parent, NamedNode("https://example.org/a-very-long-parent-name-beyond-sixty-chars/x")),
        ),
    }
    # shapes without sh:message get each engine's own generic text
    reports = agree(graphs, fast=fast, reference=reference, messages=False)
    severities = {v.severity for r in reports.values() for v in r.violations}
    assert severities == {"Violation", "Warning", "Info"}
    assert all(v.source_shape != "https://example.org/shapes#off" for r in reports.values() for v in r.violations)


REFUSED = {
    "sh:class": "ex:s a sh:PropertyShape ; sh:targetClass ig:Sample ; sh:path ig:parent ; sh:class ig:Sample .",
    "sh:or": "ex:s a sh:PropertyShape ; sh:targetClass ig:Sample ; sh:path ig:parent ; "
    "sh:or ( [ sh:nodeKind sh:IRI ] [ sh:nodeKind sh:Literal ] ) .",
    "sh:sparql": 'ex:s a sh:NodeShape ; sh:targetClass ig:Sample ; sh:sparql [ sh:select "SELECT $this {}" ] .',
    "sh:property": "ex:s a sh:NodeShape ; sh:targetClass ig:Sample ; sh:property [ sh:path ig:parent ; "
    "sh:maxCount 1 ] .",
    "path expression": "ex:s a sh:PropertyShape ; sh:targetClass ig:Sample ; sh:path [ sh:inversePath ig:parent ] ; "
    "sh:maxCount 1 .",
    "node shape": "ex:s a sh:NodeShape ; sh:targetClass ig:Sample ; sh:nodeKind sh:IRI .",
    "a bound that is no number": "ex:s a sh:PropertyShape ; sh:targetClass ig:Sample ; sh:path ig:x ; "
    'sh:minInclusive "2020-01-01"^^xsd:date .',
    "two sh:maxCount": "ex:s a sh:PropertyShape ; sh:targetClass ig:Sample ; sh:path ig:x ; sh:maxCount 1 , 2 .",
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_shape_it_does_not_compile_is_refused_at_start(case: str, tmp_path: Path) -> None:
    folder = tmp_path / "shapes"
    shutil.copytree(shapes_dir(), folder)
    (folder / "zz-new.ttl").write_text(EXTRA.split("\n\n")[0] + "\n" + REFUSED[case] + "\n", encoding="utf-8")
    with pytest.raises(ShapesError, match=r"<https://example.org/shapes#s>|blank-node shape") as raised:
        Validator(IRIS, folder)
    assert "pyshacl" in str(raised.value) or "SHACL allows one" in str(raised.value) or "number" in str(raised.value)
    if case in ("sh:class", "sh:or", "sh:property"):  # the reference engine runs them
        assert Validator(IRIS, folder, engine="pyshacl").engine == "pyshacl"
