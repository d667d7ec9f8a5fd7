"""SHACL validation: defects named by path, batches split per sample, URL-only IGSNs, the shapes files."""

from __future__ import annotations

import dataclasses
import random
import re
import shutil
from pathlib import Path

import pyshacl
import pytest
import rdflib
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib.namespace import SH

from api.app import create_app
from igsn_graph.codelists import CODELISTS, codelist, relation_types
from igsn_graph.demo import small_demo
from igsn_graph.formats.graph import ACCESS_NON_PUBLIC, ACCESS_PUBLIC, date_literal, facts_triples, record_triples
from igsn_graph.iris import DEFAULT_IRI_BASE
from igsn_graph.record import (
    LOG_EVENTS,
    Agent,
    Geometry,
    Relation,
    SampleRecord,
)
from igsn_graph.resources import shapes_dir
from igsn_graph.validation import SHAPES_NS, ShapesError, ValidationReport, Validator, Violation, with_elements
from igsn_graph.vocab import DCTERMS, IG, IGREL
from testkit.validation_cases import DEFECTS, IRIS, facts, good
from tests.conftest import demo_settings

IGSH = rdflib.Namespace(SHAPES_NS)
VALIDATOR = Validator(IRIS)


@pytest.fixture(scope="module")
def validator() -> Validator:
    return VALIDATOR


def iri(term: object) -> str:
    """The IRI of a pyoxigraph NamedNode (whose str() has angle brackets) or an rdflib URIRef."""
    return getattr(term, "value", None) or str(term)


def check(validator: Validator, record: SampleRecord) -> ValidationReport:
    return validator.validate(record.igsn, record_triples(record, IRIS))


def test_good_records_conform(validator: Validator) -> None:
    assert check(validator, good()) == ValidationReport(True, ())
    for record in [
        SampleRecord(
            "F1",
            kind="Feature",
            registrant=Agent("GA"),
            resource_types=["http://vocabulary.odm2.org/samplingfeaturetype/borehole"],
        ),
        SampleRecord("C1", kind="Collection", registrant=Agent("GA"), is_public=False),
        good(geometries=[Geometry("POINT (500000 6000000)", srid="EPSG:28355")]),  # projected: no range check
        good(geometries=[Geometry("POLYGON ((0 0, 1 0, 1 1, 0 0))")], embargo_end="2024-02-29"),
    ]:
        assert check(validator, record).conforms, check(validator, record)


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_each_defect_is_named_by_its_path(validator: Validator, defect: str) -> None:
    changes, fragment, path = DEFECTS[defect]
    record = good(**changes)
    report = check(validator, record)
    assert not report.conforms
    focus = IRIS.sample(record.igsn).value + fragment
    assert [(v.focus_node, v.path) for v in report.violations] == [(focus, iri(path))], report
    violation = report.violations[0]
    assert violation.severity == "Violation" and violation.source_shape.startswith(SHAPES_NS)
    assert violation.message and "\n" not in str(violation)


def test_batch_splits_per_sample(validator: Validator) -> None:
    records = {
        "A1": good("A1"),
        "A2": good("A2", materials=["http://example.org/cheese"]),
        "A3": good("A3", registrant=None, geometries=[Geometry("POINT (1 95)")]),
        "A4": good("A4"),
    }
    reports = validator.validate_many({k: record_triples(r, IRIS) for k, r in records.items()})
    assert set(reports) == set(records)
    assert reports["A1"].conforms and reports["A4"].conforms
    assert [v.path for v in reports["A2"].violations] == [iri(IG.material)]
    assert {v.path for v in reports["A3"].violations} == {iri(IG.registrant), iri(IG.northBound)}
    for igsn, report in reports.items():
        assert all(v.focus_node.startswith(IRIS.sample(igsn).value) for v in report.violations)


def test_batch_agrees_with_single_validations(validator: Validator) -> None:
    rng = random.Random(7)
    pool = [changes for changes, _, _ in DEFECTS.values() if "igsn" not in changes] + [{}] * 5
    records = [good(f"B{i}", **rng.choice(pool)) for i in range(30)]
    batch = validator.validate_many({r.igsn: record_triples(r, IRIS) for r in records})
    for r in records:
        assert batch[r.igsn] == check(validator, r)


def test_empty_graph_does_not_conform(validator: Validator) -> None:
    report = validator.validate("X1", [])
    assert {v.path for v in report.violations} >= {iri(IG.igsn), iri(IG.registrant)}


def test_kind_is_required(validator: Validator) -> None:
    triples = [
        t for t in record_triples(good(), IRIS) if t.predicate.value != iri(rdflib.RDF.type) or "#" in t.subject.value
    ]
    report = validator.validate("AU1234", triples)
    assert [v.path for v in report.violations] == [iri(rdflib.RDF.type)]


def test_url_only(validator: Validator) -> None:
    ok = validator.validate("AU9", facts_triples(facts(), IRIS), url_only=True)
    assert ok.conforms, ok
    # facts alone are not a full registration
    assert not validator.validate("AU9", facts_triples(facts(), IRIS)).conforms
    bad = {
        "AU10": (facts("AU10", landing_url="ftp://example.org/x"), IG.landingPage),
        "AU11": (facts("AU11", landing_url=None), IG.landingPage),
        "au12": (facts("au12"), IG.igsn),
        "AU13": (facts("AU13", landing_url="https:///nohost"), IG.landingPage),
    }
    reports = validator.validate_many({k: facts_triples(f, IRIS) for k, (f, _) in bad.items()}, url_only=set(bad))
    for igsn, (_, path) in bad.items():
        assert [v.path for v in reports[igsn].violations] == [iri(path)], reports[igsn]


def test_mixed_batch_of_full_and_url_only(validator: Validator) -> None:
    graphs = {
        "AU1234": record_triples(good(), IRIS) + facts_triples(facts("AU1234"), IRIS),
        "AU9": facts_triples(facts(), IRIS),
    }
    reports = validator.validate_many(graphs, url_only={"AU9"})
    assert reports["AU1234"].conforms and reports["AU9"].conforms


def test_with_elements(validator: Validator) -> None:
    record = good(materials=["rock"], relations=[Relation("x", None, "IsCitedBy")])
    record.source_elements = {"materials": "/sample/materials/material", "relations": "/sample/relatedResources"}
    report = with_elements(check(validator, record), record)
    assert {v.element for v in report.violations} == {"/sample/materials/material", "/sample/relatedResources"}
    assert str(report.violations[0]).startswith("/sample/")


def test_violation_text() -> None:
    v = Violation("https://x.org/AU1#geometry-1", iri(IG.northBound), "95", "A latitude is wrong.")
    assert str(v) == "#geometry-1 ig:northBound: A latitude is wrong. (value: '95')"
    assert str(dataclasses.replace(v, element="/a/b")) == "/a/b: A latitude is wrong. (value: '95')"


# --- the shapes on the graph as served ---------------------------------------------------------
# An outside user runs pyshacl with shapes/ on what the resolver serves, adding nothing: the shapes must
# find their focus nodes in it (a broken graph fails), not only in what the validator hands pyshacl.

URL_ONLY = "ZGA.URLONLY"


def shapes_graph() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in sorted(shapes_dir().glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> dict[str, rdflib.Graph]:
    """IGSN → its graph as ``GET /{igsn}`` with ``Accept: text/turtle`` serves it: the demo samples (those
    served at all), and one IGSN minted without metadata."""
    settings = demo_settings(tmp_path_factory.mktemp("served"))
    out: dict[str, rdflib.Graph] = {}
    with TestClient(create_app(settings)) as client:
        minted = client.post(
            "/igsn",
            content=f"igsn={URL_ONLY}\nurl=https://cores.zgeo.example.org/u",
            headers={"Content-Type": "text/plain;charset=UTF-8"},
            auth=("ZGEO.CORE", "zgeo-core-demo"),
        )
        assert minted.status_code == 201, minted.text
        for name in [URL_ONLY] + [d.record.igsn for d in small_demo()]:
            response = client.get("/" + name, headers={"Accept": "text/turtle"})
            if response.status_code == 200:
                out[name] = rdflib.Graph().parse(data=response.text, format="turtle")
    assert len(out) > 40 and URL_ONLY in out
    return out


def outside_validation(graph: rdflib.Graph) -> tuple[bool, set[tuple[str, str]]]:
    """What an outside user gets: pyshacl's verdict and the (focus node, path) of each result."""
    conforms, results, _ = pyshacl.validate(graph, shacl_graph=shapes_graph())
    found = {
        (str(results.value(r, SH.focusNode)), str(results.value(r, SH.resultPath)))
        for r in results.objects(None, SH.result)
    }
    return bool(conforms), found


def test_served_graphs_conform_as_served(served: dict[str, rdflib.Graph]) -> None:
    everything = rdflib.Graph()
    for graph in served.values():
        everything += graph
    conforms, found = outside_validation(everything)
    assert conforms, sorted(found)[:10]


def test_a_broken_served_graph_fails(served: dict[str, rdflib.Graph]) -> None:
    name = next(n for n, g in served.items() if (None, rdflib.RDF.type, rdflib.URIRef(iri(IG.Sample))) in g)
    subject = rdflib.URIRef(DEFAULT_IRI_BASE + name)
    without_igsn = rdflib.Graph() + served[name]
    without_igsn.remove((subject, rdflib.URIRef(iri(IG.igsn)), None))
    assert outside_validation(without_igsn) == (False, {(str(subject), iri(IG.igsn))})
    two_titles = rdflib.Graph() + served[name]
    two_titles.add((subject, rdflib.URIRef(iri(DCTERMS["title"])), rdflib.Literal("another name")))
    assert outside_validation(two_titles) == (False, {(str(subject), iri(DCTERMS["title"]))})
    # a facts-only graph is checked too: its landing page, its IGSN
    url_only = rdflib.URIRef(DEFAULT_IRI_BASE + URL_ONLY)
    landing = rdflib.URIRef(iri(IG.landingPage))
    bad_url = rdflib.Graph() + served[URL_ONLY]
    bad_url.set((url_only, landing, rdflib.Literal("ftp://example.org/x")))
    assert outside_validation(bad_url) == (False, {(str(url_only), iri(IG.landingPage))})


# --- the shapes files -------------------------------------------------------------------------


def expected_lists() -> dict[str, set[rdflib.term.Node]]:
    lists = {name: {rdflib.URIRef(t.iri) for t in codelist(name).terms} for name in CODELISTS}
    lists["relation_type"] = {rdflib.URIRef(str(IGREL) + name) for name in relation_types().types}
    lists["log_event"] = {rdflib.Literal(e) for e in LOG_EVENTS}
    lists["access_right"] = {rdflib.URIRef(ACCESS_PUBLIC.value), rdflib.URIRef(ACCESS_NON_PUBLIC.value)}
    # the kinds: every type the converter gives a sample node, and the validator's own focus class
    kinds = {
        t.object.value
        for kind in ("Sample", "Feature", "Collection")
        for t in record_triples(SampleRecord("K1", kind=kind), IRIS)  # type: ignore[arg-type]
        if t.predicate.value == iri(rdflib.RDF.type)
    }
    lists["kind"] = {rdflib.URIRef(k) for k in kinds | {SHAPES_NS + "FullRegistration"}}
    return lists


def test_sh_in_lists_equal_the_code_lists(validator: Validator) -> None:
    shapes, lists = validator.shapes, expected_lists()
    used = set()
    for shape, head in shapes.subject_objects(SH["in"]):
        name = shapes.value(shape, IGSH.codeList)
        assert name is not None, f"{shape} has sh:in without igsh:codeList"
        assert set(rdflib.collection.Collection(shapes, head)) == lists[str(name)], name
        used.add(str(name))
    # every vocabulary the brief restricts is restricted somewhere
    assert used >= {
        "material",
        "sample_type",
        "method",
        "contributor_type",
        "relation_type",
        "identifier_type",
        "geometry_type",
    }


def test_date_pattern_agrees_with_the_converter(validator: Validator) -> None:
    patterns = {
        str(p)
        for s, p in validator.shapes.subject_objects(SH.pattern)
        if (s, SH.path, rdflib.URIRef(iri(IG.timestamp))) in validator.shapes
    }
    assert len(patterns) == 1
    pattern = re.compile(patterns.pop())
    rng = random.Random(3)
    samples = ["2020", "0000", "2020-13", "2000-02-29", "1900-02-29", "2020-05-17T24:00:00", "May 2020", "２０２０"]
    for _ in range(5000):
        y = f"{rng.choice([rng.randint(0, 9999), 0, 1900, 2000, 2020, 2021]):04d}"
        m, d = f"{rng.randint(0, 13):02d}", f"{rng.randint(0, 32):02d}"
        tz = rng.choice(["", "Z", "+10:00", "-14:00", "+14:30"])
        samples.append(
            rng.choice(
                [
                    y + tz,
                    f"{y}-{m}{tz}",
                    f"{y}-{m}-{d}{tz}",
                    f"{y}-{m}-{d}T{rng.randint(0, 25):02d}:{rng.randint(0, 61):02d}:00{tz}",
                ]
            )
        )
    for value in samples:
        typed = date_literal(value).datatype.value.split("#")[1] != "string"
        assert bool(pattern.search(value)) == typed, value
    # every date shape uses the same expression
    for s, p in validator.shapes.subject_objects(SH.path):
        dates = (IG.embargoEnd, DCTERMS.date, IG.startTime, IG.endTime, IG.curationDate, IG.timestamp)
        if str(p) in map(iri, dates):
            assert str(validator.shapes.value(s, SH.pattern)) == pattern.pattern


def copy_shapes(tmp_path: Path) -> Path:
    folder = tmp_path / "shapes"
    shutil.copytree(shapes_dir(), folder)
    return folder


def test_broken_shapes_fail_at_construction(tmp_path: Path) -> None:
    folder = copy_shapes(tmp_path)
    registration = folder / "registration.ttl"
    text = registration.read_text(encoding="utf-8")
    for broken in [
        text + "\nigsh:oops a sh:PropertyShape ; sh:path",  # not Turtle
        text.replace("sh:minCount 1 ;", 'sh:minCount "one" ;', 1),  # bad parameter
        text.replace('sh:pattern "^https?://" ;', 'sh:pattern "^(https?://" ;'),  # bad expression
        text.replace("medium:rock ", ""),  # rejects good data
    ]:
        assert broken != text
        registration.write_text(broken, encoding="utf-8")
        with pytest.raises(ShapesError):
            Validator(IRIS, folder)
    for shapes in folder.glob("*.ttl"):
        shapes.unlink()
    with pytest.raises(ShapesError):
        Validator(IRIS, folder)


@pytest.mark.slow
def test_shapes_conform_to_shacl_shacl(validator: Validator) -> None:
    """Meta-validation against the SHACL-SHACL shapes pyshacl ships (about 3 s)."""
    import pyshacl

    conforms, _, text = pyshacl.validate(validator.shapes, shacl_graph=validator.shapes, meta_shacl=True)
    assert conforms, text


text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=15)


@settings(max_examples=30, deadline=None)
@given(name=text, wkt=text, when=text, material=text, identifier=text, kind=text)
def test_any_text_validates_without_error(
    name: str, wkt: str, when: str, material: str, identifier: str, kind: str
) -> None:
    """Whatever a registrant writes, validation gives a report; dates are judged as the converter types them."""
    record = good(
        name=name,
        geometries=[Geometry(wkt)],
        embargo_end=when,
        materials=[material],
        relations=[Relation(identifier, kind, "References")],
    )
    report = check(VALIDATOR, record)
    paths = {v.path for v in report.violations}
    typed = date_literal(when).datatype.value.split("#")[1] != "string"
    assert (iri(IG.embargoEnd) in paths) == (not typed)
    assert (iri(IG.material) in paths) == (material not in codelist("material").by_iri)
