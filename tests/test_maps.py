"""igsn_graph.maps: shapes read from WKT as what they are, views zoomed to them, the Natural Earth base map."""

from __future__ import annotations

import json
import re
import sqlite3
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import etree

from igsn_graph import maps
from igsn_graph.db import create_schema
from igsn_graph.resources import mappings_dir


def _view_box(svg: etree._Element) -> tuple[float, float, float, float]:
    x, y, w, h = (float(v) for v in svg.get("viewBox").split())
    return x, y, w, h


def test_the_asset_is_natural_earth_land_and_borders_with_its_licence() -> None:
    folder = mappings_dir() / "world"
    data = json.loads((folder / "world-110m.json").read_text())
    assert "Natural Earth" in data["source"] and len(data["land"]) > 100 and len(data["borders"]) > 200
    lons = [p[0] for ring in data["land"] for p in ring]
    lats = [p[1] for ring in data["land"] for p in ring]
    assert -180 <= min(lons) < -170 and 170 < max(lons) <= 180 and -90 <= min(lats) and max(lats) < 85
    assert "ISC" in (folder / "NOTICE.md").read_text() and "Bostock" in (folder / "LICENSE.world-atlas").read_text()


@pytest.mark.parametrize(
    ("wkt", "srid", "kinds", "first"),
    [
        ("POINT (151.2 -33.9)", None, ["point"], (151.2, -33.9)),
        ("<http://www.opengis.net/def/crs/EPSG/0/4326> POINT(-25.27 28.20)", None, ["point"], (28.20, -25.27)),
        ("SRID=8311;POINT(137.6 -34.2)", None, ["point"], (137.6, -34.2)),
        ("POLYGON ((10 40, 12 40, 12 42, 10 42, 10 40))", None, ["polygon"], (10.0, 40.0)),
        ("LINESTRING (0 0, 1 1, 2 1)", None, ["line"], (0.0, 0.0)),
        ("MULTIPOINT (0 1, 2 3)", None, ["point", "point"], (0.0, 1.0)),
        ("MULTIPOINT ((0 1), (2 3))", None, ["point", "point"], (0.0, 1.0)),
        ("POINT Z (10 20 -300)", None, ["point"], (10.0, 20.0)),
    ],
)
def test_shapes_are_read_as_what_they_are_longitude_first(
    wkt: str, srid: str | None, kinds: list[str], first: tuple[float, float]
) -> None:
    shapes = maps.shapes_of_wkt(wkt, srid)
    assert [s.kind for s in shapes] == kinds and shapes[0].points[0] == pytest.approx(first)


@pytest.mark.parametrize("wkt", ["POINT EMPTY", "not wkt", "POINT (500000 6000000)"])
def test_nothing_to_place_draws_nothing(wkt: str) -> None:
    assert maps.shapes_of_wkt(wkt) == []


def test_a_point_map_is_zoomed_to_it_with_coastline_scale_and_osm_link() -> None:
    sydney = maps.shapes_of_wkt("POINT (151.2 -33.9)", label="Harbour mud")
    figure = maps.figure(sydney, "Map of Harbour mud", "Longitude/latitude")
    svg = figure.find("svg")
    x, y, w, h = _view_box(svg)
    k = 0.83  # cos(33.9°): x is longitude × cos φ₀
    assert x < 151.2 * k < x + w and y < 33.9 < y + h  # the point is inside, y = -latitude
    assert h <= maps.MIN_SPAN + 0.01 and w / h == pytest.approx(maps.ASPECT)
    assert svg.get("role") == "img" and svg.find("title").text == "Map of Harbour mud"
    land = svg.findall("path")[0].get("d")
    assert land.count("M") >= 1 and len(land) > 200  # Australia's coast around Sydney
    circle = svg.find(".//circle")
    assert float(circle.get("cx")) == pytest.approx(151.2 * 0.8300, abs=0.01)
    assert circle.getparent().find("title").text == "Harbour mud"
    text = "".join(svg.itertext())
    assert re.search(r"15\d°E", text) and "34°S" in text and svg.find("g[@class='graticule']") is not None  # labelled
    scale = re.search(r"(\d+) km", "".join(svg.find("g[@class='scale']").itertext()))
    assert scale and int(scale.group(1)) in (100, 200, 500)
    osm = figure.find(".//figcaption/a").get("href")
    parts = urlsplit(osm)
    assert parts.netloc == "www.openstreetmap.org" and parse_qs(parts.query)["mlat"] == ["-33.9"]
    zoom, lat, lon = parts.fragment.removeprefix("map=").split("/")
    assert 5 <= int(zoom) <= 8 and float(lat) == -33.9 and float(lon) == 151.2


def test_a_polygon_is_drawn_as_a_polygon_and_a_world_sized_one_shows_the_world() -> None:
    box = maps.shapes_of_wkt("POLYGON ((10 40, 12 40, 12 42, 10 42, 10 40))")
    svg = maps.world_svg(box, "box")
    marks = svg.find("g[@class='marks']")
    assert marks.find("path").get("d").endswith("Z") and marks.find("circle") is None
    world = maps.world_svg(maps.shapes_of_wkt("POLYGON ((-170 -80, 170 -80, 170 80, -170 80, -170 -80))"), "w")
    assert _view_box(world) == (-180, -90, 360, 180)


def test_the_map_of_hits_links_each_located_hit() -> None:
    conn = sqlite3.connect(":memory:")
    create_schema(conn)
    for doc, (igsn, box) in enumerate(
        [("AU123", (151.2, 151.2, -33.9, -33.9)), ("AU124", (10, 12, 40, 42)), ("AU125", None)], start=1
    ):
        conn.execute(
            "INSERT INTO search_doc (doc, igsn, kind, agent, namespace, status, collected_sort) "
            "VALUES (?, ?, 'sample', 'A', 'AU', 'active', '')",
            (doc, igsn),
        )
        if box:
            conn.execute("INSERT INTO search_box VALUES (?, ?, ?, ?, ?)", (doc, *box))
    figure = maps.hits_map(conn, [("AU123", "Mud"), ("AU124", None), ("AU125", "Nowhere")])
    links = {a.get("href"): a.find("title").text for a in figure.iter("a") if a.find("title") is not None}
    assert links == {"/AU123": "Mud", "/AU124": "AU124"}
    assert "2 of 3 samples" in figure.find("figcaption").text
    assert maps.hits_map(conn, [("AU125", None)]) is None and maps.hits_map(conn, []) is None
    world = maps.all_samples_map(conn)
    circles = world.findall(".//circle")
    assert len(circles) == 2 and _view_box(world.find("svg")) == (-180, -90, 360, 180)
    near = [a.get("href") for a in world.iter("a")]
    assert "/search?bbox=150,-35,155,-30" in near


@pytest.mark.parametrize(
    "wkt", ["POINT(10 50)", "POLYGON((-120 -30, 40 -30, 40 60, -120 60, -120 -30))", "POINT(179 -10)"]
)
def test_meridian_labels_never_overlap(wkt: str) -> None:
    svg = maps.world_svg(maps.shapes_of_wkt(wkt), "x")
    [labels] = [g for g in svg.iter("{*}g") if g.get("font-size")]
    size = float(labels.get("font-size"))
    xs = sorted(float(t.get("x")) for t in labels.iter("{*}text") if t.text.endswith(("E", "W")))  # meridians
    assert len(xs) >= 2
    # a label such as "135°W" is about 3.5 font sizes wide: the next one starts after it
    assert all(b - a >= 4 * size for a, b in zip(xs, xs[1:], strict=False)), xs
