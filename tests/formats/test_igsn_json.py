"""formats.igsn_json: the IGSN-JSON registration examples (UTF-16LE with a BOM, remote @context) are read, what
leaves the schema is accepted with a warning, what breaks meaning is refused, and nothing is dropped silently."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest

from igsn_graph.errors import InvalidIdentifier, InvalidRecord, UnsupportedFormat
from igsn_graph.formats import graph as graphmap
from igsn_graph.formats import igsn_json, jsontext
from igsn_graph.formats.geojson import GeoJsonError, to_wkt
from igsn_graph.formats.json_input import read_json
from igsn_graph.iris import Iris
from igsn_graph.record import Agent, Curation, Geometry, Identifier, LogEvent, Relation
from igsn_graph.resources import mappings_dir

EXAMPLES = "IGSN-igsn-json/examples"
CONTEXT = "https://schema.igsn.org/json/registration/v0.1/context.jsonld"


@pytest.fixture(scope="module")
def example(shared: Path) -> Callable[[str], bytes]:
    def load(name: str) -> bytes:
        return (shared / "examples" / EXAMPLES / name).read_bytes()

    return load


def _doc(**fields: Any) -> dict[str, Any]:
    return {"@context": CONTEXT, "igsn": "XXXCSIRO0001", **fields}


def _read(doc: dict[str, Any]):  # type: ignore[no-untyped-def]
    [record] = igsn_json.read(doc)
    return record


def test_the_full_example_as_published(example: Callable[[str], bytes]) -> None:
    data = example("full_registration.json")
    assert data.startswith(b"\xff\xfe")  # UTF-16LE with a byte-order mark, as the README of the examples says
    got = read_json(data)
    assert got.format == "igsn_json" and got.documents == [data]  # the document is kept as sent
    [r] = got.records
    assert r.igsn == "XXXCSIRO0001"
    assert r.registrant == Agent("CSIRO", Identifier("0001-0001-0001-0001", "ORCID"), kind="Organization")
    assert r.relations == [
        Relation("https://igsn.org/XXXCSIRO0002", "IGSN", "Other", source_relation_type="relatedTo"),
        Relation("https://igsn.org/XXXCSIROCOLL001", "IGSN", "IsPartOf", source_relation_type="childOf"),
        Relation(
            "https://csiro.au/sampleDocs/XXCSIRO0001", "URL", "IsDocumentedBy", source_relation_type="documentedBy"
        ),
    ]
    assert [(e.event, e.timestamp) for e in r.log] == [
        ("submitted", "2020-04-13T11:33:04"),
        ("registered", "2020-05-21T14:32:58"),
        ("updated", "2020-05-21T14:33:45"),
    ]
    assert r.log[0].comment == "Initial submission by Jess to CSIRO"
    assert r.materials == ["http://vocabulary.odm2.org/medium/rock"]
    assert r.collectors == [Agent("Jess Robertson")] and r.curations == [Curation(curator="Doug Fils")]
    assert r.geometries == [Geometry("MULTIPOINT ((0 1), (2 3), (4 5), (-3 -2))")]
    assert graphmap.wkt_summary(r.geometries[0].wkt) is not None
    # every departure from the schema and everything not carried is named
    assert set(r.warnings) == {
        "not mapped: /registrant/identifiers/1 (the record keeps one identifier per agent: the first)",
        "not mapped: /registrant/identifiers/2 (the record keeps one identifier per agent: the first)",
        "/related/0/relationshipType: not a key of the IGSN-JSON schema; read as relationType",
        "/related/0: relation type 'relatedTo' is not one of the IGSN-JSON schema; read as Other",
        "/related/1: relation type 'childOf' is not one of the IGSN-JSON schema; read as IsPartOf",
        "/related/2: relation type 'documentedBy' is not one of the IGSN-JSON schema; read as IsDocumentedBy",
        "not mapped: /description/observations",
    }


def test_the_minimal_example(example: Callable[[str], bytes]) -> None:
    [r] = read_json(example("minimal_registration.json")).records
    assert r.igsn == "XXXCSIRO0001" and r.registrant is not None and r.registrant.name == "CSIRO"
    assert not r.relations and not r.log


def test_the_record_survives_the_graph(example: Callable[[str], bytes]) -> None:
    [r] = read_json(example("full_registration.json")).records
    iris = Iris()
    assert graphmap.record_from_triples(graphmap.record_triples(r, iris), iris, r.igsn) == graphmap.canonical(r)


@pytest.mark.parametrize(
    "written,datacite,source",
    [
        ("isCitedBy", "IsCitedBy", None),
        ("hasPart", "HasPart", None),
        ("isOriginalFormOf", "IsOriginalFormOf", None),
        ("isCompliedBy", "IsCompiledBy", "isCompliedBy"),  # the schema's misspelling
    ],
)
def test_schema_relation_types_map_to_datacite_without_a_warning(
    written: str, datacite: str, source: str | None
) -> None:
    r = _read(_doc(related=[{"identifier": {"id": "10.5880/x", "kind": "doi"}, "relationType": written}]))
    assert r.relations == [Relation("10.5880/x", "DOI", datacite, source_relation_type=source)]
    assert r.warnings == [
        "/related/0/identifier/kind: 'doi' is not an identifier kind of the IGSN-JSON schema; read as DOI"
    ]


def test_an_unknown_relation_term_is_kept_as_other_with_a_warning() -> None:
    r = _read(_doc(related=[{"identifier": {"id": "https://x.org/a", "kind": "uri"}, "relationship": "siblingOf"}]))
    assert r.relations == [Relation("https://x.org/a", "URL", "Other", source_relation_type="siblingOf")]
    assert r.warnings == ["/related/0: relation type 'siblingOf' is not one of the IGSN-JSON schema; read as Other"]


def test_every_key_not_mapped_is_reported_once_per_place() -> None:
    r = _read(
        _doc(
            extra=1,
            registrant={"name": "CSIRO", "homepage": "https://csiro.au"},
            related=[
                {"identifier": {"id": "a", "kind": "igsn"}, "relationType": "isPartOf", "note": "x"},
                {"identifier": {"id": "b", "kind": "igsn"}, "relationType": "isPartOf", "note": "y"},
            ],
            log=[{"type": "registered", "timestamp": "2020", "by": "me"}],
            description={"@context": "https://example.org/ctx.jsonld", "colour": "red"},
        )
    )
    assert sorted(r.warnings) == sorted(
        [
            "not mapped: /extra",
            "not mapped: /registrant/homepage",
            "not mapped: /related/*/note",
            "not mapped: /log/*/by",
            "not mapped: /description/colour",
        ]
    )
    assert r.log == [LogEvent("registered", "2020")]


def test_an_empty_timestamp_is_accepted_and_the_event_left_out() -> None:
    r = _read(_doc(log=[{"type": "submitted", "timestamp": ""}, {"type": "registered", "timestamp": "2021-03-04"}]))
    assert r.log == [LogEvent("registered", "2021-03-04")]
    assert r.warnings == ["/log/0/timestamp: no timestamp; the submitted event is left out (a log event needs a date)"]


@pytest.mark.parametrize(
    "doc,error,where",
    [
        ({"@context": CONTEXT}, InvalidRecord, "/igsn: missing"),
        (_doc(igsn="https://example.org/X"), InvalidIdentifier, "/igsn: "),
        (_doc(log=[{"type": "lost", "timestamp": "2020"}]), InvalidRecord, "/log/0/type: 'lost' is not a log event"),
        (
            _doc(log=[{"type": "updated", "timestamp": "yesterday"}]),
            InvalidRecord,
            "/log/0/timestamp: 'yesterday' is not",
        ),
        (
            _doc(description={"samplingLocation": {"geometry": {"type": "Point", "coordinates": ["x", 1]}}}),
            InvalidRecord,
            "/description/samplingLocation/geometry: not a GeoJSON geometry",
        ),
    ],
)
def test_what_breaks_meaning_is_refused_naming_the_place(
    doc: dict[str, Any], error: type[Exception], where: str
) -> None:
    with pytest.raises(error) as info:
        igsn_json.read(doc)
    assert str(info.value).startswith(where)


def test_recognised_by_its_context_in_every_published_url() -> None:
    for url in (
        "https://schema.igsn.org/json/registration/v0.1/context.jsonld",
        "http://schema.igsn.org/json/registration/v0.1/context.jsonld",
        "https://raw.githubusercontent.com/IGSN/igsn-json/master/schema.igsn.org/json/registration/v0.1/context.jsonld",
    ):
        assert igsn_json.is_igsn_json({"@context": url, "igsn": "X"})
        assert igsn_json.is_igsn_json({"@context": [url, {"x": "https://x.org/"}], "igsn": "X"})
    assert not igsn_json.is_igsn_json({"@context": "https://w3id.org/igsn-graph/context.jsonld"})
    with pytest.raises(UnsupportedFormat):
        igsn_json.read({"igsn": "X"})


def test_the_local_context_keeps_the_published_definitions(shared: Path) -> None:
    published = jsontext.loads(
        (shared / "examples/IGSN-igsn-json/schema.igsn.org/json/registration/v0.1/context.jsonld").read_bytes()
    )
    ours = json.loads((mappings_dir() / igsn_json.CONTEXT_FILE).read_text(encoding="utf-8"))
    assert ours["@context"] == published["@context"] and ours["log"] == published["log"]


@pytest.mark.parametrize(
    "geometry,wkt",
    [
        ({"type": "Point", "coordinates": [137.85, -33.71]}, "POINT (137.85 -33.71)"),
        ({"type": "Point", "coordinates": [137.85, -33.71, 51]}, "POINT Z (137.85 -33.71 51)"),
        ({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, "LINESTRING (0 0, 1 1)"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}, "POLYGON ((0 0, 1 0, 1 1, 0 0))"),
        ({"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}}, "POINT (1 2)"),
    ],
)
def test_geojson_geometries_become_wkt_the_graph_reads(geometry: dict[str, Any], wkt: str) -> None:
    assert to_wkt(geometry) == wkt
    assert graphmap.wkt_summary(wkt) is not None


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Point", "coordinates": [1]},
        {"type": "Circle", "coordinates": [1, 2]},
        "POINT (1 2)",
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]},  # ring not closed
        {"type": "MultiPoint", "coordinates": [[0, 1], [2, 3, 4]]},  # mixed dimensions
    ],
)
def test_what_is_not_a_geojson_geometry_is_refused(geometry: Any) -> None:
    with pytest.raises(GeoJsonError):
        to_wkt(geometry)


def test_control_characters_in_a_value_are_refused() -> None:
    with pytest.raises(InvalidRecord, match="^/comments: holds control characters"):
        igsn_json.read(_doc(comments="bell \u0007"))
