"""formats.wkt: every WKT form agents write, axis order per CRS, elevation, lon/lat bounds, GeoSPARQL output."""

from __future__ import annotations

import csv
import html
import re
from decimal import Decimal
from pathlib import Path

import pytest

from igsn_graph.formats.wkt import Wkt, WktError, crs_of, length_unit, read_wkt, wkt_summary
from igsn_graph.resources import mappings_dir

EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
METRE, FOOT = "http://qudt.org/vocab/unit/M", "http://qudt.org/vocab/unit/FT"
D = Decimal


def box(west: str, east: str, south: str, north: str) -> tuple[Decimal, ...]:
    return tuple(D(v) for v in (west, east, south, north))


def point(lon: str, lat: str) -> tuple[Decimal, ...]:
    return box(lon, lon, lat, lat)


# --- every form -------------------------------------------------------------------------------

#: (WKT, srid beside it) -> (type, lon/lat bounds, elevation, unit, geo:asWKT literal; None = as written)
FORMS: list[tuple[str, str | None, str, tuple[Decimal, ...] | None, str | None, str | None, str | None]] = [
    ("POINT (147.3 -42.9)", None, "Point", point("147.3", "-42.9"), None, None, None),
    ("point(147.3 -42.9)", None, "Point", point("147.3", "-42.9"), None, None, None),
    ("POINT Z (147.3 -42.9 12.5)", None, "Point", point("147.3", "-42.9"), "12.5", None, None),
    ("POINTZ(147.3 -42.9 12.5)", None, "Point", point("147.3", "-42.9"), "12.5", None, "POINT Z (147.3 -42.9 12.5)"),
    ("POINT(147.3 -42.9 12.5)", None, "Point", point("147.3", "-42.9"), "12.5", None, "POINT Z (147.3 -42.9 12.5)"),
    ("POINT M (147.3 -42.9 7)", None, "Point", point("147.3", "-42.9"), None, None, None),  # a measure
    ("POINTM(147.3 -42.9 7)", None, "Point", point("147.3", "-42.9"), None, None, "POINT M (147.3 -42.9 7)"),
    ("POINT ZM (147.3 -42.9 12 7)", None, "Point", point("147.3", "-42.9"), "12", None, None),
    ("POINTZM(147.3 -42.9 12 7)", None, "Point", point("147.3", "-42.9"), "12", None, "POINT ZM (147.3 -42.9 12 7)"),
    ("POINT(147.3 -42.9 12 7)", None, "Point", point("147.3", "-42.9"), "12", None, "POINT ZM (147.3 -42.9 12 7)"),
    (
        "POINT(147.3 -42.9 434.4 m)",
        None,
        "Point",
        point("147.3", "-42.9"),
        "434.4",
        METRE,
        "POINT Z (147.3 -42.9 434.4)",
    ),
    (
        "POINT Z (147.3 -42.9 -20 metres)",
        None,
        "Point",
        point("147.3", "-42.9"),
        "-20",
        METRE,
        "POINT Z (147.3 -42.9 -20)",
    ),
    ("POINT(147.3 -42.9 1200 ft)", None, "Point", point("147.3", "-42.9"), "1200", FOOT, "POINT Z (147.3 -42.9 1200)"),
    ("POINT EMPTY", None, "Point", None, None, None, None),
    ("POINTZ EMPTY", None, "Point", None, None, None, "POINT Z EMPTY"),
    ("LINESTRING (10 20, 30 40)", None, "LineString", box("10", "30", "20", "40"), None, None, None),
    ("LINESTRING Z (10 20 5, 30 40 5)", None, "LineString", box("10", "30", "20", "40"), "5", None, None),
    ("LINESTRING Z (10 20 5, 30 40 6)", None, "LineString", box("10", "30", "20", "40"), None, None, None),
    (
        "POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 3 2, 3 3, 2 2))",
        None,
        "Polygon",
        box("0", "10", "0", "10"),
        None,
        None,
        None,
    ),
    ("MULTIPOINT ((1 2), (3 4))", None, "MultiPoint", box("1", "3", "2", "4"), None, None, None),
    ("MULTIPOINT (1 2, 3 4)", None, "MultiPoint", box("1", "3", "2", "4"), None, None, None),
    ("MULTILINESTRING ((0 0, 1 1), (5 5, 6 7))", None, "MultiLineString", box("0", "6", "0", "7"), None, None, None),
    (
        "MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5)))",
        None,
        "MultiPolygon",
        box("0", "6", "0", "6"),
        None,
        None,
        None,
    ),
    (
        "MULTIPOLYGONZ(((0 0 1, 1 0 1, 1 1 1, 0 0 1)))",
        None,
        "MultiPolygon",
        box("0", "1", "0", "1"),
        "1",
        None,
        "MULTIPOLYGON Z (((0 0 1, 1 0 1, 1 1 1, 0 0 1)))",
    ),
    (
        "GEOMETRYCOLLECTION (POINT (1 2), LINESTRING (0 0, 5 85))",
        None,
        "GeometryCollection",
        box("0", "5", "0", "85"),
        None,
        None,
        None,
    ),
    (
        "GEOMETRYCOLLECTION (POINTZ (1 2 3))",
        None,
        "GeometryCollection",
        point("1", "2"),
        "3",
        None,
        "GEOMETRYCOLLECTION (POINT Z (1 2 3))",
    ),
    # EWKT: the SRID prefix, longitude first as agents write it; the GeoSPARQL literal names the CRS
    ("SRID=4326;POINT(147.3 -42.9)", None, "Point", point("147.3", "-42.9"), None, None, "POINT (147.3 -42.9)"),
    (
        "SRID=4283;POINT(147.3 -42.9)",
        None,
        "Point",
        point("147.3", "-42.9"),
        None,
        None,
        f"<{EPSG}4283> POINT (-42.9 147.3)",
    ),
    (
        "srid=8311;POINTZ(147.3 -42.9 51)",
        None,
        "Point",
        point("147.3", "-42.9"),
        "51",
        None,
        f"<{EPSG}4283> POINT Z (-42.9 147.3 51)",
    ),
    # a CRS IRI inside the literal, honoured in its own axis order
    (f"<{EPSG}4326> POINT(-25.27 28.20)", None, "Point", point("28.20", "-25.27"), None, None, None),
    (f"<{EPSG}4326> POINT(-25.27 28.20)", "8311", "Point", point("28.20", "-25.27"), None, None, None),
    (
        f"<{EPSG}4283> POLYGON((-34 140, -34 141, -33 141, -34 140))",
        None,
        "Polygon",
        box("140", "141", "-34", "-33"),
        None,
        None,
        None,
    ),
    (f"<{CRS84}> POINT(-25.27 28.20)", None, "Point", point("-25.27", "28.20"), None, None, None),
    (
        f"<{EPSG}8311> POINTZ(143.4 -26.9 219.453)",
        None,
        "Point",
        point("143.4", "-26.9"),
        "219.453",
        None,
        f"<{EPSG}4283> POINT Z (-26.9 143.4 219.453)",
    ),  # Oracle's lon/lat GDA94, as GA writes it
    (
        "<https://epsg.io/4326> POINT(-25.27 28.20)",
        None,
        "Point",
        point("28.20", "-25.27"),
        None,
        None,
        f"<{EPSG}4326> POINT (-25.27 28.20)",
    ),
    (
        "<urn:ogc:def:crs:EPSG::4326> POINT(-25.27 28.20)",
        None,
        "Point",
        point("28.20", "-25.27"),
        None,
        None,
        f"<{EPSG}4326> POINT (-25.27 28.20)",
    ),
    (f"<{EPSG}28355> POINT(500000 6000000)", None, "Point", None, None, None, None),  # projected: no bounds
    # an srid beside the WKT: longitude first, as every agent's record writes it
    ("POINT(146.067917 -34.79847)", "4326", "Point", point("146.067917", "-34.79847"), None, None, None),
    (
        "POINT(146.067917 -34.79847)",
        "https://epsg.io/4326",
        "Point",
        point("146.067917", "-34.79847"),
        None,
        None,
        None,
    ),
    (
        "POINT(146.067917 -34.79847)",
        "EPSG:4283",
        "Point",
        point("146.067917", "-34.79847"),
        None,
        None,
        f"<{EPSG}4283> POINT (-34.79847 146.067917)",
    ),
    ("POINT(146.067917 -34.79847)", "WGS84", "Point", point("146.067917", "-34.79847"), None, None, None),
    ("POINT(146.067917 -34.79847)", "8307", "Point", point("146.067917", "-34.79847"), None, None, None),
    ("POINT (500000 6000000)", "EPSG:28355", "Point", None, None, None, f"<{EPSG}28355> POINT (500000 6000000)"),
    ("POINT (500000 6000000)", "MGA55", "Point", None, None, None, None),  # unknown, and no IRI to write
]


@pytest.mark.parametrize("text, srid, kind, bounds, elevation, unit, literal", FORMS)
def test_every_form(
    text: str,
    srid: str | None,
    kind: str,
    bounds: tuple[Decimal, ...] | None,
    elevation: str | None,
    unit: str | None,
    literal: str | None,
) -> None:
    got = read_wkt(text, srid)
    assert got.kind == kind
    assert got.bounds == bounds
    assert got.elevation == (None if elevation is None else D(elevation))
    assert got.elevation_unit == unit
    assert got.literal == (text if literal is None else literal)
    assert wkt_summary(text, srid) == (kind, bounds)


GEOSPARQL = re.compile(r"(<[^<>\s]+> )?[A-Z]+( Z| M| ZM)? ?(EMPTY|\(.*\))", re.S | re.I)


@pytest.mark.parametrize("text, srid", [(f[0], f[1]) for f in FORMS])
def test_the_literal_is_geosparql_and_reads_back_the_same(text: str, srid: str | None) -> None:
    got = read_wkt(text, srid)
    assert GEOSPARQL.fullmatch(got.literal.strip()), got.literal
    assert "SRID" not in got.literal.upper()
    assert not re.search(r"\d\s+[A-Za-z]", got.literal.split(">")[-1]), "no unit after a number"
    if srid == "MGA55":
        return  # a CRS named by neither a code nor an IRI cannot be written into the literal (the note says so)
    # the literal alone says everything: read without the srid, it gives the same place and stays as it is
    again = read_wkt(got.literal)
    assert (again.kind, again.bounds, again.elevation) == (got.kind, got.bounds, got.elevation)
    assert again.literal == got.literal


# --- refusals ---------------------------------------------------------------------------------

REFUSED = [
    ("", "expected a keyword"),
    ("token", "unknown geometry type 'token'"),  # the XMLSpy skeleton's placeholder
    ("CIRCLE(1 2)", "unknown geometry type"),
    ("POINT(1)", "1 ordinates"),
    ("POINT(1 2", "expected )"),
    ("POINT(1 2, 3 4)", "one coordinate"),
    ("POINT Z (1 2)", "2 ordinates, not 3"),
    ("POINT ZM (1 2 3)", "not 4"),
    ("LINESTRING(0 0)", "at least 2"),
    ("LINESTRING(0 0, 1 1 1)", "2 and 3 ordinates"),
    ("POLYGON((0 0, 1 0, 1 1, 0 1))", "must end where it starts"),
    ("POINT(1 2 3 furlongs)", "'furlongs'"),
    ("POINT M (1 2 3 m)", "measure"),
    ("MULTIPOINT Z ((0 0 1 m), (1 1 1 ft))", "different units"),
    ("POINT(1e999 2)", "out of range"),
    ("POINT(1 2) extra", "after the geometry"),
    ("<http://www.opengis.net/def/crs/EPSG/0/4326 POINT(1 2)", "never closed"),
    ("GEOMETRYCOLLECTION(" * 12 + "POINT(1 2)" + ")" * 12, "nested too deeply"),
]


@pytest.mark.parametrize("text, reason", REFUSED)
def test_what_is_not_a_geometry_is_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(WktError, match=re.escape(reason)):
        read_wkt(text)
    assert wkt_summary(text) is None


# --- notes for the readers' warnings ----------------------------------------------------------


@pytest.mark.parametrize(
    "text, srid, note",
    [
        ("SRID=8311;POINT(1 2)", None, "EWKT prefix SRID=8311"),
        ("POINTZ(1 2 3)", None, "POINTZ: the Z tag is written apart"),
        ("POINT(1 2 3)", None, "3 ordinates and no tag"),
        ("POINT(1 2 3 m)", None, "unit 'm' after the elevation"),
        ("POINT(500000 6000000)", "EPSG:28355", "'EPSG:28355' is not in mappings/crs.csv"),
    ],
)
def test_off_form_input_is_read_with_a_note(text: str, srid: str | None, note: str) -> None:
    assert any(note in n for n in read_wkt(text, srid).notes)


@pytest.mark.parametrize(
    "text, srid", [("POINT (1 2)", None), ("POINT Z (1 2 3)", "4326"), (f"<{EPSG}4326> POINT(2 1)", None)]
)
def test_well_formed_input_has_no_notes(text: str, srid: str | None) -> None:
    assert read_wkt(text, srid).notes == ()


# --- axis order -------------------------------------------------------------------------------


def test_issue_12_acceptance_point_is_at_28_east_25_south() -> None:
    """EPSG:4326 named inside the literal is latitude first; the same numbers in CRS84 are another place."""
    epsg = read_wkt(f"<{EPSG}4326> POINT(-25.27 28.20)")
    assert epsg.bounds == point("28.20", "-25.27")
    assert read_wkt(f"<{CRS84}> POINT(-25.27 28.20)").bounds == point("-25.27", "28.20")
    assert read_wkt("POINT(-25.27 28.20)").bounds == point("-25.27", "28.20")


def test_an_srid_beside_the_wkt_means_longitude_first_as_agents_write_it() -> None:
    for srid in ["4326", "4283", "7844", "8311", "EPSG:4326", "https://epsg.io/4283", "GDA94"]:
        assert read_wkt("POINT(146.07 -34.80)", srid).bounds == point("146.07", "-34.80"), srid


def test_out_of_range_degrees_are_bounds_for_the_shapes_to_refuse() -> None:
    """Latitude first with a longitude there: read as written, and SHACL names the out-of-range latitude."""
    assert read_wkt(f"<{EPSG}4326> POINT(147.3 -42.9)").bounds == point("-42.9", "147.3")


# --- mappings ---------------------------------------------------------------------------------


def test_crs_table_is_well_formed() -> None:
    with open(mappings_dir() / "crs.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes))
    for r in rows:
        assert r["kind"] in ("geographic", "projected"), r
        assert r["axis_order"] in ("lon-lat", "lat-lon"), r
        assert bool(r["iri"]) != bool(r["same_as"]), f"{r['code']}: an IRI of its own, or the code it is"
        if r["iri"]:
            assert r["iri"].startswith("http://www.opengis.net/def/crs/"), r
            assert r["iri"].rsplit("/", 1)[1] == r["code"], r
            assert crs_of(r["iri"]).code == r["code"]  # type: ignore[union-attr]
        else:
            assert r["same_as"] in codes, r
    # the codes agents use, and the two orders GeoSPARQL users meet first
    assert {"4326", "4283", "4939", "7844", "8311", "CRS84"} <= set(codes)
    assert crs_of("4326").axis_order == "lat-lon"  # type: ignore[union-attr]
    assert crs_of("CRS84").axis_order == "lon-lat"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "written",
    [
        "4326",
        "EPSG:4326",
        "epsg:4326",
        "https://epsg.io/4326",
        "WGS84",
        "urn:ogc:def:crs:EPSG::4326",
        "https://www.opengis.net/def/crs/EPSG/0/4326",
        "http://spatialreference.org/ref/epsg/4326/",
    ],
)
def test_crs_written_forms(written: str) -> None:
    assert crs_of(written).code == "4326"  # type: ignore[union-attr]


def test_length_units() -> None:
    assert length_unit("m") == length_unit("Metres") == METRE
    assert length_unit("feet") == FOOT
    assert length_unit("furlong") is None


# --- every WKT in the real examples -----------------------------------------------------------

GA_TESTS = "GeoscienceAustralia-samples-api/_tests"
ARDC = "au-research-igsn-metadata-registry/src"
CSIRO_POLYGON = (
    "POLYGON ((127.05688476563 -20.5224609375, 124.24438476563 -28.2568359375, "
    "143.22875976563 -32.1240234375, 142.17407226563 -20.8740234375, 127.05688476563 -20.5224609375))"
)
CSIRO_BOX = box("124.24438476563", "143.22875976563", "-32.1240234375", "-20.5224609375")

#: file under ../shared/examples -> (WKT as written, srid the reader passes, bounds, elevation);
#: the srid is what the kernel's attribute says (the EWKT prefix, when there is one, wins)
EXAMPLES: dict[str, list[tuple[str, str | None, tuple[Decimal, ...] | None, str | None]]] = {
    f"{GA_TESTS}/static_data/static_GetRecord_240_igsn.xml": [
        ("SRID=8311;POINTZ(137.6284422 -34.2186182 103)", "4326", point("137.6284422", "-34.2186182"), "103")
    ],
    f"{GA_TESTS}/xml-validation/eg_GetRecord_AU239_igsn-dev.xml": [
        ("SRID=8311;POINTZ(137.8563726 -33.7108293 51)", "4326", point("137.8563726", "-33.7108293"), "51")
    ],
    f"{GA_TESTS}/static_data/static_GetRecord_240_dc.xml": [
        ("<https://epsg.io/8311> POINTZ(137.8563726 -33.7108293 51)", None, point("137.8563726", "-33.7108293"), "51")
    ],
    "GeoscienceAustralia-samples-api/test/static_data/static_GetRecord_240.xml": [
        ("<https://epsg.io/8311> POINTZ(137.8563726 -33.7108293 51)", None, point("137.8563726", "-33.7108293"), "51")
    ],
    "GeoscienceAustralia-samples-api/test/sample_eg1.ttl": [
        (
            f"<{EPSG}8311> POINTZ(143.43508333 -26.94486389 219.453)",
            None,
            point("143.43508333", "-26.94486389"),
            "219.453",
        )
    ],
    "kitchenprinzessin3880-csiro-igsn-schema/3.0/example-xml-soilarchive.xml": [
        ("POINT(146.067917 -34.79847)", "https://epsg.io/4283", point("146.067917", "-34.79847"), None)
    ],
    f"{ARDC}/main/resources/static/examples/sample_csiro_v3.xml": [
        (CSIRO_POLYGON, "https://epsg.io/4326", CSIRO_BOX, None)
    ],
    f"{ARDC}/test/resources/xml/sample_csirov3_batch.xml": [(CSIRO_POLYGON, "https://epsg.io/4326", CSIRO_BOX, None)],
    f"{ARDC}/test/resources/xml/invalid_sample_igsn_csiro_v3.xml": [
        (CSIRO_POLYGON, "https://epsg.io/4326", CSIRO_BOX, None)
    ],
    f"{ARDC}/main/resources/static/examples/sample_ardc_v1.xml": [
        (
            "POLYGON ((10.689 -25.092, 34.595 -20.17, 38.814 -35.639, 13.502 -39.155, 10.689 -25.092))",
            "https://epsg.io/4326",
            box("10.689", "38.814", "-39.155", "-20.17"),
            None,
        )
    ],
}

_WKT_START = re.compile(
    r"(?:<[^<>\s]+>\s*)?(?:SRID=\d+;)?\b(?:MULTI)?(?:POINT|LINESTRING|POLYGON|GEOMETRYCOLLECTION)"
    r"[ZM]*\s*(?:[ZM]{1,2}\s*)?\(",
    re.I,
)


def _wkts_in(text: str) -> list[str]:
    """Every WKT in a document: from its keyword (with a CRS IRI or SRID before it) to the balancing ')'."""
    text = html.unescape(text)
    found = []
    for m in _WKT_START.finditer(text):
        depth, i = 0, m.end() - 1
        while i < len(text):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
            if depth == 0:
                break
        found.append(" ".join(text[m.start() : i].split()))
    return found


def _example_files(shared: Path) -> dict[str, str]:
    root = shared / "examples"
    out = {}
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".xml", ".ttl") or not path.is_file():
            continue
        out[str(path.relative_to(root))] = path.read_text(encoding="utf-8")
    return out


def test_the_table_holds_every_wkt_in_the_examples(shared: Path) -> None:
    found = {name: _wkts_in(text) for name, text in _example_files(shared).items()}
    found = {name: sorted(set(wkts)) for name, wkts in found.items() if wkts}
    table = {name: sorted({" ".join(w.split()) for w, *_ in rows}) for name, rows in EXAMPLES.items()}
    assert found == table


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_wkt_in_the_examples_is_read(shared: Path, name: str) -> None:
    path = shared / "examples" / name
    if not path.is_file():
        pytest.skip(f"{name} is absent")
    for text, srid, bounds, elevation in EXAMPLES[name]:
        got: Wkt = read_wkt(text, srid)
        assert got.bounds == bounds and got.bounds is not None, text
        assert got.elevation == (None if elevation is None else D(elevation)), text
        west, east, south, north = got.bounds
        assert -180 <= west <= east <= 180 and -90 <= south <= north <= 90
        if not got.crs or got.crs.code not in ("4326", "CRS84"):
            assert got.literal.startswith("<http://www.opengis.net/def/crs/"), got.literal  # the CRS, in the literal
