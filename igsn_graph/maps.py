"""Maps drawn on the server as inline SVG: coastlines and borders from Natural Earth, the samples on top.

No tile server, no CDN, no script: a page that shows where a sample lies works offline, under the strict
Content-Security-Policy and without JavaScript. The land and the borders come from ``mappings/world/``
(Natural Earth 1:110m, public domain, converted once from the npm package world-atlas by
``bench/refresh_world_atlas.sh``). The projection is equirectangular around the view's middle latitude
(x = lon·cos φ₀, y = −lat), so a map zoomed on a sample keeps its shapes and a scale bar can be drawn;
strokes do not scale with the zoom. Points, lines, polygons and boxes are drawn as what they are; a link
opens the same place on OpenStreetMap for people who want more.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree

from .formats.wkt import WktError, crs_of, read_wkt
from .pages import E
from .resources import mappings_dir

__all__ = ["Shape", "all_samples_map", "box_shape", "figure", "hits_map", "osm_url", "shapes_of_wkt", "world_svg"]

Point = tuple[float, float]  # lon, lat in degrees

#: the smallest span (degrees of latitude) a map shows: a point alone is drawn with ~1,300 km around it,
#: enough for the 1:110m coastlines and borders to say where it is
MIN_SPAN = 12.0
#: width / height of every map
ASPECT = 1.6
#: the most boxes the map of all samples reads (a sample of them beyond): the home page stays one cheap read
ALL_SAMPLES_LIMIT = 100_000
_KM_PER_DEGREE = 111.32


@dataclass(frozen=True)
class Shape:
    """Something to draw: a point, a line or a polygon ring, with what it stands for."""

    kind: str  # "point", "line" or "polygon"
    points: tuple[Point, ...]
    label: str | None = None
    href: str | None = None
    count: int = 1  # samples a clustered point stands for


# --- shapes from what the records hold ----------------------------------------------------------

_GROUP = re.compile(r"\(([^()]*)\)")


def shapes_of_wkt(wkt: str, srid: str | None = None, label: str | None = None) -> list[Shape]:
    """The shapes of a WKT geometry in degrees, longitude first; [] when it is not lon/lat WKT (projected,
    unknown CRS, EMPTY: there is nothing to place on a world map)."""
    try:
        parsed = read_wkt(wkt, srid)
    except WktError:
        return []
    if parsed.bounds is None:
        return []
    w, e, s, n = (float(v) for v in parsed.bounds)
    if not (-180 <= w <= e <= 180 and -90 <= s <= n <= 90):
        return []  # not degrees after all: nothing to place
    # the GeoSPARQL literal names its CRS inside when it is not CRS84, in that CRS's axis order
    # (which need not be the CRS written: SRID=8311 comes out as EPSG 4283, latitude first)
    named = crs_of(parsed.literal[1 : parsed.literal.find(">")]) if parsed.literal.startswith("<") else None
    swap = named is not None and named.axis_order == "lat-lon"
    many_points = "POINT" in parsed.kind.upper()
    shapes: list[Shape] = []
    for group in _GROUP.findall(parsed.literal):
        points: list[Point] = []
        for position in group.split(","):
            numbers = position.split()
            if len(numbers) < 2:
                continue
            x, y = float(numbers[0]), float(numbers[1])
            points.append((y, x) if swap else (x, y))
        if not points:
            continue
        if len(points) == 1 or many_points:
            shapes += [Shape("point", (p,), label) for p in points]
        elif len(points) >= 4 and points[0] == points[-1]:
            shapes.append(Shape("polygon", tuple(points), label))
        else:
            shapes.append(Shape("line", tuple(points), label))
    return shapes


def box_shape(
    box: tuple[float, float, float, float], label: str | None = None, href: str | None = None, count: int = 1
) -> Shape:
    """A (west, east, south, north) box as a point when it has no extent, else as its rectangle."""
    w, e, s, n = box
    if w == e and s == n:
        return Shape("point", ((w, s),), label, href, count)
    return Shape("polygon", ((w, s), (e, s), (e, n), (w, n), (w, s)), label, href, count)


# --- the view ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _View:
    """The part of the world a map shows: middle and spans in degrees, and the x scale (cos φ₀)."""

    lon: float
    lat: float
    lon_span: float
    lat_span: float
    k: float

    @classmethod
    def around(cls, shapes: Sequence[Shape], min_span: float = MIN_SPAN) -> _View:
        if not shapes:
            return cls(0.0, 0.0, 360.0, 180.0, 1.0)
        lons = [p[0] for s in shapes for p in s.points]
        lats = [p[1] for s in shapes for p in s.points]
        west, east, south, north = min(lons), max(lons), min(lats), max(lats)
        lat = (south + north) / 2
        k = max(math.cos(math.radians(lat)), 0.2)
        # 30 % margin, at least min_span, then widened to the aspect ratio in projected units
        height = max((north - south) * 1.3, min_span)
        width = max((east - west) * 1.3 * k, height * ASPECT)
        height = width / ASPECT
        if height >= 180 or width / k >= 360:
            return cls(0.0, 0.0, 360.0, 180.0, 1.0)
        lat = min(max(lat, -90 + height / 2), 90 - height / 2)
        return cls((west + east) / 2, lat, width / k, height, k)

    @property
    def box(self) -> tuple[float, float, float, float]:
        return (
            self.lon - self.lon_span / 2,
            self.lon + self.lon_span / 2,
            self.lat - self.lat_span / 2,
            self.lat + self.lat_span / 2,
        )

    def xy(self, p: Point, digits: int) -> str:
        return f"{round(p[0] * self.k, digits):g} {round(-p[1], digits):g}"

    @property
    def digits(self) -> int:
        return 1 if self.lat_span > 40 else 2 if self.lat_span > 4 else 3


def osm_url(shapes: Sequence[Shape]) -> str | None:
    """The same place on OpenStreetMap (its middle, at a zoom that shows about the same span)."""
    if not shapes:
        return None
    view = _View.around(shapes)
    zoom = max(1, min(18, round(math.log2(360 / view.lon_span)) + 1))
    lat, lon = round(view.lat, 5), round(view.lon, 5)
    return f"https://www.openstreetmap.org/?mlat={lat:g}&mlon={lon:g}#map={zoom}/{lat:g}/{lon:g}"


# --- the base map ----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _world() -> tuple[list[tuple[tuple[float, float, float, float], list[Point]]], ...]:
    """The asset's land rings and borders, each with its bounds (west, east, south, north)."""
    data = json.loads((mappings_dir() / "world" / "world-110m.json").read_text(encoding="utf-8"))

    def bounded(lines: Iterable[list[list[float]]]) -> list[tuple[tuple[float, float, float, float], list[Point]]]:
        out = []
        for line in lines:
            points = [(float(x), float(y)) for x, y in line]
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            out.append(((min(xs), max(xs), min(ys), max(ys)), points))
        return out

    return bounded(data["land"]), bounded(data["borders"])


def _path(view: _View, lines: Iterable[Sequence[Point]], closed: bool) -> str:
    """SVG path data; vertices closer than about a pixel to the last one kept are left out (smaller pages)."""
    tolerance = view.lat_span / 400
    d = []
    for points in lines:
        kept = [points[0]]
        for p in points[1:-1]:
            if abs(p[0] - kept[-1][0]) * view.k > tolerance or abs(p[1] - kept[-1][1]) > tolerance:
                kept.append(p)
        kept += points[-1:] if len(points) > 1 else []
        # a ring that jumps across the antimeridian (±180°) is made continuous (longitudes past ±180) and
        # drawn again a turn away, never as a line across the whole map
        unwrapped = [kept[0]]
        for lon, lat in kept[1:]:
            previous = unwrapped[-1][0]
            lon += 360 * round((previous - lon) / 360)
            unwrapped.append((lon, lat))
        lons = [p[0] for p in unwrapped]
        shifts = [0.0] + ([-360.0] if max(lons) > 180 else []) + ([360.0] if min(lons) < -180 else [])
        for shift in shifts:
            coords = [view.xy((lon + shift, lat), view.digits) for lon, lat in unwrapped]
            d.append("M" + "L".join(coords) + ("Z" if closed else ""))
    return "".join(d)


def _visible(view: _View, items: list[tuple[tuple[float, float, float, float], list[Point]]]) -> list[list[Point]]:
    w, e, s, n = view.box
    return [points for (bw, be, bs, bn), points in items if bw <= e and be >= w and bs <= n and bn >= s]


def _svg(tag: str, parent: etree._Element | None = None, text: str | None = None, **attrs: object) -> etree._Element:
    attributes = {k.rstrip("_").replace("_", "-"): str(v) for k, v in attrs.items()}
    element = etree.Element(tag, attributes) if parent is None else etree.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def _nice(km: float) -> float:
    """The largest 1, 2 or 5 × 10ⁿ not above ``km``."""
    power = 10 ** math.floor(math.log10(km))
    return float(max(m * power for m in (1, 2, 5) if m * power <= km))


def world_svg(shapes: Sequence[Shape], title: str, *, min_span: float = MIN_SPAN) -> etree._Element:
    """An SVG map of ``shapes`` on land and borders, zoomed to them (the world when there are none)."""
    view = _View.around(shapes, min_span)
    width, height = view.lon_span * view.k, view.lat_span
    x0, y0 = (view.lon - view.lon_span / 2) * view.k, -(view.lat + view.lat_span / 2)
    # a picture, unless its marks are links: an image's parts are not interactive (axe: nested-interactive)
    role = "group" if any(s.href for s in shapes) else "img"
    svg = _svg(
        "svg",
        viewBox=f"{x0:g} {y0:g} {width:g} {height:g}",
        role=role,
        class_="map",
        preserveAspectRatio="xMidYMid meet",
        aria_label=title,
    )
    _svg("title", svg, title)
    _svg("rect", svg, x=f"{x0:g}", y=f"{y0:g}", width=f"{width:g}", height=f"{height:g}", fill="#dcecf7")
    land, borders = _world()
    _svg(
        "path",
        svg,
        d=_path(view, _visible(view, land), True),
        fill="#f1ede0",
        stroke="#7d7a6c",
        stroke_width="0.8",
        vector_effect="non-scaling-stroke",
    )
    _svg(
        "path",
        svg,
        d=_path(view, _visible(view, borders), False),
        fill="none",
        stroke="#a49d8a",
        stroke_width="0.6",
        stroke_dasharray="3 2",
        vector_effect="non-scaling-stroke",
    )
    unit = height / 60  # one "pixel" of a 60-unit-high map: marks keep their size at every zoom
    _graticule(svg, view, unit)
    marks = _svg("g", svg, class_="marks", fill="#c0392b", stroke="#5e120a")
    for shape in shapes:
        parent = marks
        if shape.href:
            parent = _svg("a", marks, href=shape.href)
        if shape.label:
            _svg("title", parent, shape.label)
        if shape.kind == "point":
            x, y = view.xy(shape.points[0], 4).split()
            r = unit * (1.2 + min(math.sqrt(shape.count) - 1, 4))
            _svg(
                "circle",
                parent,
                cx=x,
                cy=y,
                r=f"{r:.4g}",
                stroke_width="1",
                fill_opacity="0.8",
                vector_effect="non-scaling-stroke",
            )
        elif shape.kind == "polygon":
            _svg(
                "path",
                parent,
                d=_path(view, [shape.points], True),
                fill_opacity="0.3",
                stroke_width="1.5",
                vector_effect="non-scaling-stroke",
            )
        else:
            _svg(
                "path",
                parent,
                d=_path(view, [shape.points], False),
                fill="none",
                stroke="#c0392b",
                stroke_width="2",
                vector_effect="non-scaling-stroke",
            )
    # scale bar: about a fifth of the width, at the bottom left
    km = _nice(width * _KM_PER_DEGREE / 5)
    length = km / _KM_PER_DEGREE
    bx, by = x0 + width * 0.04, y0 + height * 0.93
    scale = _svg("g", svg, class_="scale")
    _svg(
        "rect",
        scale,
        x=f"{bx - unit:.4g}",
        y=f"{by - unit * 4.5:.4g}",
        width=f"{length + unit * 2:.4g}",
        height=f"{unit * 5.5:.4g}",
        fill="#fff",
        fill_opacity="0.75",
    )
    _svg(
        "path",
        scale,
        d=f"M{bx:.5g} {by - unit:.5g}V{by:.5g}H{bx + length:.5g}V{by - unit:.5g}",
        fill="none",
        stroke="#000",
        stroke_width="1.5",
        vector_effect="non-scaling-stroke",
    )
    label = f"{km:g} km" if km >= 1 else f"{km * 1000:g} m"
    _svg(
        "text",
        scale,
        label,
        x=f"{bx:.5g}",
        y=f"{by - unit * 1.6:.5g}",
        font_size=f"{unit * 2.6:.4g}",
        font_family="sans-serif",
        fill="#000",
    )
    if view.lat_span < 90:
        _svg(
            "text",
            svg,
            "scale true at the map's middle latitude",
            x=f"{x0 + width * 0.96:.5g}",
            y=f"{by:.5g}",
            font_size=f"{unit * 2:.4g}",
            font_family="sans-serif",
            fill="#333",
            text_anchor="end",
        )
    return svg


def _graticule(svg: etree._Element, view: _View, unit: float) -> None:
    """Meridians and parallels at a round step, labelled in degrees along the top and left edges."""
    step = next(s for s in (0.5, 1, 2, 5, 10, 15, 30, 60) if view.lat_span / s <= 8)
    w, e, s, n = view.box
    grid = _svg(
        "g",
        svg,
        class_="graticule",
        stroke="#8fa9bf",
        stroke_width="0.5",
        fill="none",
        vector_effect="non-scaling-stroke",
    )
    labels = _svg("g", svg, font_size=f"{unit * 2:.4g}", font_family="sans-serif", fill="#2d4a63")
    # a wide map has more meridians than labels fit: label every ``every``-th (a label such as "135°W" is about
    # 7 font units wide, and wants a little room after it)
    every = max(1, math.ceil(unit * 9 / (step * view.k)))
    lon = math.ceil(w / step) * step
    while lon <= e:
        x = lon * view.k
        _svg("path", grid, d=f"M{x:.5g} {-n:.5g}V{-s:.5g}", vector_effect="non-scaling-stroke")
        if round(lon / step) % every == 0:
            _svg("text", labels, _degrees(lon, "E", "W"), x=f"{x + unit * 0.5:.5g}", y=f"{-n + unit * 2.5:.5g}")
        lon += step
    lat = math.ceil(s / step) * step
    while lat <= n:
        _svg("path", grid, d=f"M{w * view.k:.5g} {-lat:.5g}H{e * view.k:.5g}", vector_effect="non-scaling-stroke")
        _svg("text", labels, _degrees(lat, "N", "S"), x=f"{w * view.k + unit * 0.5:.5g}", y=f"{-lat - unit * 0.5:.5g}")
        lat += step


def _degrees(value: float, positive: str, negative: str) -> str:
    if value == 0:
        return "0°"
    return f"{abs(value):g}°{positive if value > 0 else negative}"


def figure(shapes: Sequence[Shape], title: str, caption: str) -> etree._Element:
    """The map in a figure, its caption and the link to the same place on OpenStreetMap."""
    parts: list[etree._Element | str] = [caption]
    url = osm_url(shapes)
    if url:
        parts += [" · ", E.A("Open this place on OpenStreetMap", href=url)]
    parts += [" · Map data: Natural Earth (public domain)"]
    return E.FIGURE(world_svg(shapes, title), E.FIGCAPTION(*parts), **{"class": "map"})


# --- maps of the index ---------------------------------------------------------------------------


def hits_map(conn: sqlite3.Connection, hits: Sequence[tuple[str, str | None]]) -> etree._Element | None:
    """A figure of the hits (IGSN, name) that have a location, each linked to its page; None without any."""
    if not hits:
        return None
    names = {igsn: name for igsn, name in hits}
    rows = conn.execute(
        f"SELECT d.igsn, b.west, b.east, b.south, b.north FROM search_doc d JOIN search_box b ON b.doc = d.doc "
        f"WHERE d.igsn IN ({','.join('?' * len(names))})",
        list(names),
    ).fetchall()
    if not rows:
        return None
    shapes = [box_shape((w, e, s, n), names[igsn] or igsn, f"/{igsn}") for igsn, w, e, s, n in rows]
    return figure(
        shapes,
        f"Map of {len(shapes)} of the samples on this page",
        f"{len(shapes)} of {len(hits)} samples on this page have a location",
    )


def all_samples_map(conn: sqlite3.Connection, cell: float = 5.0) -> etree._Element:
    """The world with every located public sample, clustered in ``cell``-degree squares (circle area ~ count)."""
    cells: dict[tuple[int, int], list[float]] = {}
    for w, e, s, n in conn.execute("SELECT west, east, south, north FROM search_box LIMIT ?", (ALL_SAMPLES_LIMIT,)):
        lon, lat = (w + e) / 2, (s + n) / 2
        acc = cells.setdefault((math.floor(lon / cell), math.floor(lat / cell)), [0, 0.0, 0.0])
        acc[0] += 1
        acc[1] += lon
        acc[2] += lat
    shapes = []
    for (i, j), (n, lons, lats) in sorted(cells.items()):
        lon, lat, count = lons / n, lats / n, int(n)
        shapes.append(
            Shape(
                "point",
                ((lon, lat),),
                f"{count} sample{'s' if count != 1 else ''} near {lat:.1f}°, {lon:.1f}°",
                _search_near(i * cell, j * cell, cell),
                count,
            )
        )
    located = sum(s.count for s in shapes)
    svg = world_svg(shapes, f"World map of {located} located samples", min_span=180)
    return E.FIGURE(
        svg,
        E.FIGCAPTION(
            f"{located} located samples, grouped by {cell:g}° squares; "
            "each circle opens a search of its square. Map data: Natural Earth."
        ),
        **{"class": "map"},
    )


def _search_near(w: float, s: float, cell: float) -> str:
    return f"/search?bbox={w:g},{s:g},{min(w + cell, 180):g},{min(s + cell, 90):g}"
