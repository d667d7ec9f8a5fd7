"""Reads a geometry as registrations write it: its type, lon/lat bounds, elevation and GeoSPARQL literal.

Forms read (every one found in ../shared/examples, and the ones agents are known to send):

- the OGC simple-features types ``POINT`` … ``GEOMETRYCOLLECTION``, any keyword case, ``EMPTY``;
- ``Z``, ``M`` and ``ZM`` ordinates, the tag written apart (``POINT Z``) or glued (``POINTZ``, Oracle and
  PostGIS style), or left out (``POINT(x y z)`` is read as Z and ``POINT(x y z m)`` as ZM, as PostGIS does);
- a length unit after the third ordinate (``POINT(x y 434.4 m)``; units in ``mappings/length_units.csv``);
- the EWKT prefix ``SRID=n;`` and a leading CRS IRI (``<http://www.opengis.net/def/crs/EPSG/0/4326> POINT(…)``,
  the GeoSPARQL form).

Axis order — which ordinate is the longitude — is decided like this:

- A CRS IRI inside the literal is honoured in that CRS's own axis order, from ``mappings/crs.csv``:
  ``…/EPSG/0/4326`` is latitude first, ``…/OGC/1.3/CRS84`` longitude first. That is what GeoSPARQL says, and
  the acceptance case of issue 12: ``<…/EPSG/0/4326> POINT(-25.27 28.20)`` lies at 28.20 E, 25.27 S.
- A CRS number given beside the WKT — the kernels' srid attribute (description kernel ``@sridType``, CSIRO
  ``@srid``), ``ig:srid``, or the EWKT ``SRID=n;`` prefix — follows the agents' practice, not the EPSG axis
  order: IGSN, Geoscience Australia and CSIRO records write ``POINT(lon lat)`` with srid 4326 or 4283 (see
  the CSIRO, ARDC and GA examples: every one is longitude first), so a geographic code given this way means
  longitude first.
- Without any CRS the WKT is CRS84: longitude first.

``8311`` needs a word: Geoscience Australia writes ``SRID=8311`` and ``<…/EPSG/0/8311>``, always longitude
first. In the EPSG register 8311 is a projected zone in Oregon; GA means Oracle Spatial's SRID 8311,
"Longitude / Latitude (GDA 94)". ``crs.csv`` says so (``same_as`` 4283, ``axis_order`` lon-lat).

What comes out (``Wkt``):

- ``bounds``: (west, east, south, north) in degrees, always longitude/latitude whatever the input order,
  and only in a geographic CRS of ``crs.csv`` (projected or unknown coordinates cannot be range-checked
  as degrees or searched by a box);
- ``elevation``: the Z ordinate when every vertex has the same one (a point, a level line), with its unit
  when the WKT names one; M ordinates are measures, never elevations;
- ``literal``: the text for ``geo:asWKT``, valid GeoSPARQL: the CRS IRI inside the literal when it is not
  CRS84, ``POINT Z`` tags, no SRID prefix, no unit. It is the text as written whenever that is already
  valid (so plain WKT is stored verbatim); otherwise it is rewritten, swapping the first two ordinates when
  the written order differs from the order of the CRS IRI written (``SRID=8311;POINTZ(137.6 -34.2 103)``
  becomes ``<…/EPSG/0/4283> POINT Z (-34.2 137.6 103)``);
- ``notes``: what was read although it is off-form, for a reader's ``record.warnings`` (the reader prefixes
  the element path).

Text that is not WKT raises ``WktError``; the graph then has no ``ig:wktType`` and SHACL refuses it.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Callable, TypeVar

from ..resources import mappings_dir

__all__ = ["Bounds", "Crs", "Wkt", "WktError", "crs_of", "length_unit", "read_wkt", "wkt_summary"]

Bounds = tuple[Decimal, Decimal, Decimal, Decimal]

_EPSG_IRI = "http://www.opengis.net/def/crs/EPSG/0/"
_TOKEN = re.compile(r"\s*(?:([A-Za-z]+)|([-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)|([(),]))")
_EWKT = re.compile(r"\s*SRID\s*=\s*([^;]*);", re.I)
_MAX_DEPTH = 8  # collections of collections; deeper is an attack, not a location
_KINDS = {
    "POINT": "Point",
    "LINESTRING": "LineString",
    "POLYGON": "Polygon",
    "MULTIPOINT": "MultiPoint",
    "MULTILINESTRING": "MultiLineString",
    "MULTIPOLYGON": "MultiPolygon",
    "GEOMETRYCOLLECTION": "GeometryCollection",
}
_KEYWORDS = {kind: keyword for keyword, kind in _KINDS.items()}
_TAGS = ("ZM", "Z", "M")  # longest first, for tags glued to the keyword
_LONLAT_OUTPUT = ("4326", "CRS84")  # WGS 84 longitude first is CRS84: written without an IRI


class WktError(ValueError):
    """The text is not WKT we can read; the message says where and why."""


# --- mappings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Crs:
    """One row of ``mappings/crs.csv``.

    ``axis_order`` is the order of the first two ordinates when the CRS is named inside the literal;
    ``same_as`` the EPSG code written in GeoSPARQL output for a code that is not EPSG's own (Oracle's).
    """

    code: str
    iri: str | None
    kind: str
    axis_order: str
    same_as: str | None
    name: str

    @property
    def geographic(self) -> bool:
        return self.kind == "geographic"


@lru_cache(maxsize=None)
def _crs_table() -> dict[str, Crs]:
    """Every written form (code, IRI, alias; case-folded) -> its row."""
    table: dict[str, Crs] = {}
    with open(mappings_dir() / "crs.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            crs = Crs(
                row["code"], row["iri"] or None, row["kind"], row["axis_order"], row["same_as"] or None, row["name"]
            )
            for key in [crs.code, crs.iri or "", *row["aliases"].split("|")]:
                if key:
                    table.setdefault(key.casefold(), crs)
    return table


def _last_segment(text: str) -> str:
    return re.split(r"[/:#=]", text.strip().rstrip("/"))[-1]


def crs_of(text: str) -> Crs | None:
    """The ``crs.csv`` row a CRS is named by: a code (``4326``), ``EPSG:4326``, an IRI or URN, an alias."""
    table = _crs_table()
    key = text.strip().casefold()
    if key in table:
        return table[key]
    return table.get(_last_segment(key))


def _epsg_code(text: str) -> str | None:
    """The EPSG number a CRS not in ``crs.csv`` is named by, when it is one (``28355``, ``EPSG:28355``…)."""
    last = _last_segment(text)
    if last.isdigit() and (text.strip().isdigit() or "epsg" in text.casefold()):
        return last
    return None


@lru_cache(maxsize=None)
def _units() -> dict[str, str]:
    units: dict[str, str] = {}
    with open(mappings_dir() / "length_units.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            for key in [row["iri"], row["notation"], *row["aliases"].split("|")]:
                if key:
                    units.setdefault(key.casefold(), row["iri"])
    return units


def length_unit(token: str) -> str | None:
    """The unit IRI (QUDT) of a written length unit (``m``, ``metres``, ``ft``…), or None."""
    return _units().get(token.strip().casefold())


# --- parsing ----------------------------------------------------------------------------------

Coord = tuple[str, ...]
_T = TypeVar("_T")


@dataclass
class _Node:
    """One parsed geometry: ``body`` is nested lists of coordinates (members for a collection), None for EMPTY."""

    kind: str
    tag: str
    body: list[Any] | None


class _Parser:
    """Recursive descent over the simple-features grammar, lenient where agents are (see the module doc)."""

    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        self.written: list[str] = []  # each token as written, for messages
        pos, text = 0, text.rstrip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                raise WktError(f"unexpected text {text[pos : pos + 20].strip()!r}")
            word, number, punct = m.groups()
            self.tokens.append(("w", word.upper()) if word else ("n", number) if number else ("p", punct))
            self.written.append(word or number or punct)
            pos = m.end()
        self.i = 0
        self.depth = 0
        self.notes: list[str] = []
        self.xs: list[Decimal] = []
        self.ys: list[Decimal] = []
        self.zs: list[Decimal] = []
        self.units: set[str] = set()
        self.rewrite = False  # off-form: the literal must be rewritten to be GeoSPARQL

    def parse(self) -> _Node:
        node = self.geometry()
        if self.i != len(self.tokens):
            raise WktError(f"unexpected {self.written[self.i]!r} after the geometry")
        return node

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, kind: str, value: str | None = None) -> str:
        tok = self.peek()
        if tok is None or tok[0] != kind or (value is not None and tok[1] != value):
            wanted = value or {"w": "a keyword", "n": "a number", "p": "punctuation"}[kind]
            raise WktError(f"expected {wanted}, found " + (repr(self.written[self.i]) if tok else "the end"))
        self.i += 1
        return tok[1]

    def listed(self, item: Callable[[], _T]) -> list[_T]:
        self.take("p", "(")
        out = [item()]
        while self.peek() == ("p", ","):
            self.i += 1
            out.append(item())
        self.take("p", ")")
        return out

    def keyword(self) -> tuple[str, str | None]:
        word = self.take("w")
        if word in _KINDS:
            tok = self.peek()
            if tok is not None and tok[0] == "w" and tok[1] in _TAGS:
                self.i += 1
                return _KINDS[word], tok[1]
            return _KINDS[word], None
        for tag in _TAGS:  # POINTZ, POLYGONZM: the tag glued to the keyword
            if word.endswith(tag) and word[: -len(tag)] in _KINDS:
                self.notes.append(f"{word}: the {tag} tag is written apart in WKT ({word[: -len(tag)]} {tag})")
                self.rewrite = True
                return _KINDS[word[: -len(tag)]], tag
        raise WktError(f"unknown geometry type {self.written[self.i - 1]!r}")

    def geometry(self) -> _Node:
        kind, tag = self.keyword()
        if self.peek() == ("w", "EMPTY"):
            self.i += 1
            return _Node(kind, tag or "", None)
        node = _Node(kind, tag or "", None)
        dims: list[int] = []  # ordinates per coordinate in this geometry: all alike

        def coord() -> Coord:
            return self.coordinate(node, dims)

        def line() -> list[Coord]:
            return self.path(coord, 2, closed=False)

        def polygon() -> list[list[Coord]]:
            return self.listed(lambda: self.path(coord, 4, closed=True))

        if kind == "Point":
            node.body = self.listed(coord)
            if len(node.body) != 1:
                raise WktError("a POINT has one coordinate")
        elif kind == "LineString":
            node.body = line()
        elif kind == "Polygon":
            node.body = polygon()
        elif kind == "MultiPoint":  # MULTIPOINT((1 2),(3 4)) and the older MULTIPOINT(1 2, 3 4)
            node.body = self.listed(lambda: self.listed(coord) if self.peek() == ("p", "(") else [coord()])
            if any(len(p) != 1 for p in node.body):
                raise WktError("each point of a MULTIPOINT has one coordinate")
        elif kind == "MultiLineString":
            node.body = self.listed(line)
        elif kind == "MultiPolygon":
            node.body = self.listed(polygon)
        else:
            self.depth += 1
            if self.depth > _MAX_DEPTH:
                raise WktError("collections nested too deeply")
            node.body = self.listed(self.geometry)
            self.depth -= 1
        if tag is None and dims and dims[0] > 2:
            node.tag = "Z" if dims[0] == 3 else "ZM"
            keyword = _KEYWORDS[kind]
            self.notes.append(
                f"{keyword} with {dims[0]} ordinates and no tag: read as {keyword} {node.tag}, "
                "the third ordinate as the elevation"
            )
            self.rewrite = True
        return node

    def path(self, coord: Callable[[], Coord], minimum: int, closed: bool) -> list[Coord]:
        start = len(self.xs)
        coords = self.listed(coord)
        xs, ys = self.xs[start:], self.ys[start:]
        if len(coords) < minimum:
            raise WktError(f"{'a ring' if closed else 'a line'} needs at least {minimum} points")
        if closed and (xs[0], ys[0]) != (xs[-1], ys[-1]):
            raise WktError("a polygon ring must end where it starts")
        return coords

    def coordinate(self, node: _Node, dims: list[int]) -> Coord:
        numbers: list[str] = []
        while (tok := self.peek()) is not None and tok[0] == "n":
            numbers.append(self.take("n"))
            if len(numbers) == 3 and (unit := self.peek()) is not None and unit[0] == "w":
                self.unit(self.written[self.i], node.tag)
        wanted = {"Z": (3,), "M": (3,), "ZM": (4,)}.get(node.tag, (2, 3, 4))
        if len(numbers) not in wanted:
            tag = f" {node.tag}" if node.tag else ""
            raise WktError(
                f"{_KEYWORDS[node.kind]}{tag}: a coordinate has {len(numbers)} ordinates, "
                f"not {' or '.join(map(str, wanted))}"
            )
        if dims and dims[0] != len(numbers):
            raise WktError(f"{_KEYWORDS[node.kind]}: coordinates with {dims[0]} and {len(numbers)} ordinates")
        dims[:1] = [len(numbers)]
        values = [_number(n) for n in numbers]
        self.xs.append(values[0])
        self.ys.append(values[1])
        if len(values) > 2 and node.tag != "M":
            self.zs.append(values[2])
        return tuple(numbers)

    def unit(self, word: str, tag: str) -> None:
        iri = length_unit(word)
        if iri is None or tag == "M":
            what = "a measure (M)" if tag == "M" else "an elevation"
            raise WktError(f"{word!r} after {what} is not a length unit we know")
        self.i += 1
        if not self.units:
            self.notes.append(f"unit {word!r} after the elevation: kept as the elevation's unit")
        self.units.add(iri)
        if len(self.units) > 1:
            raise WktError("elevations in different units")
        self.rewrite = True


def _number(token: str) -> Decimal:
    try:
        value = Decimal(token)
    except InvalidOperation as e:  # pragma: no cover - the token pattern admits only numbers
        raise WktError(f"{token!r} is not a number") from e
    # an exponent this large is no coordinate, and would print as a huge xsd:decimal
    if value and abs(value.adjusted()) > 40:
        raise WktError(f"{token!r} is out of range")
    return value


# --- writing ----------------------------------------------------------------------------------


def _body_text(body: list[Any] | Coord, swap: bool) -> str:
    if isinstance(body, tuple):
        return " ".join((body[1], body[0], *body[2:]) if swap else body)
    return "(" + ", ".join(_body_text(b, swap) for b in body) + ")"


def _node_text(node: _Node, swap: bool) -> str:
    head = _KEYWORDS[node.kind] + (f" {node.tag}" if node.tag else "")
    if node.body is None:
        return head + " EMPTY"
    if node.kind == "GeometryCollection":
        return head + " (" + ", ".join(_node_text(member, swap) for member in node.body) + ")"
    return head + " " + _body_text(node.body, swap)


# --- the result -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wkt:
    """A geometry read: see the module docstring for each field."""

    kind: str
    bounds: Bounds | None
    elevation: Decimal | None
    elevation_unit: str | None
    literal: str
    crs: Crs | None
    notes: tuple[str, ...]


def _output_crs(crs: Crs | None, named: str | None, in_literal: bool) -> tuple[str | None, bool]:
    """(the CRS IRI to write inside the literal, None for CRS84; whether to swap the first two ordinates)."""
    if crs is None:
        if named is None:
            return None, False
        if in_literal:
            return named, False
        code = _epsg_code(named)
        if code is not None:
            return _EPSG_IRI + code, False
        return (named, False) if re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"]+", named.strip()) else (None, False)
    if not crs.geographic:
        return crs.iri or _EPSG_IRI + crs.code, False
    order = crs.axis_order if in_literal else "lon-lat"
    target = _crs_table()[crs.same_as.casefold()] if crs.same_as else crs
    if not in_literal and target.code in _LONLAT_OUTPUT:
        return None, False
    return target.iri, order != target.axis_order


def read_wkt(text: str, srid: str | None = None) -> Wkt:
    """Reads ``text`` (WKT, EWKT or a GeoSPARQL literal) whose CRS, when the text names none, is ``srid``.

    Raises ``WktError`` when the text is not a geometry we can read.
    """
    # one geometry is read by the graph writer, canonical() and the readers' notes: short texts (points,
    # boxes) are cached; long polygons are not, so the cache stays small whatever is sent
    return _read_cached(text, srid) if len(text) <= _CACHED_LENGTH else _read(text, srid)


_CACHED_LENGTH = 2000


def _read(text: str, srid: str | None) -> Wkt:
    rest, named, in_literal = text.strip(), None, False
    notes: list[str] = []
    if rest.startswith("<"):
        end = rest.find(">")
        if end < 0:
            raise WktError("the CRS IRI is opened with < but never closed")
        named, rest, in_literal = rest[1:end].strip(), rest[end + 1 :], True
    prefix = _EWKT.match(rest)
    if prefix:
        rest = rest[prefix.end() :]
        if not in_literal:
            named = prefix.group(1)
            notes.append(f"EWKT prefix SRID={named.strip()}: read as the CRS, longitude first")
    elif not in_literal and srid is not None and srid.strip():
        named = srid
    parser = _Parser(rest)
    node = parser.parse()
    notes += parser.notes
    crs = crs_of(named) if named is not None else crs_of("CRS84")
    if named is not None and crs is None:
        notes.append(
            f"CRS {named.strip()!r} is not in mappings/crs.csv: coordinates kept as written, no bounds "
            "(a box search does not find it)"
        )
    iri, swap = _output_crs(crs if named is not None else None, named, in_literal)
    rewrite = parser.rewrite or prefix is not None or swap or iri != (named if in_literal else None)
    literal = text
    if rewrite:
        literal = (f"<{iri}> " if iri else "") + _node_text(node, swap)
    bounds = None
    if parser.xs and crs is not None and crs.geographic:
        lat_first = in_literal and crs.axis_order == "lat-lon"
        lons, lats = (parser.ys, parser.xs) if lat_first else (parser.xs, parser.ys)
        bounds = (min(lons), max(lons), min(lats), max(lats))
    zs = parser.zs
    elevation = zs[0] if zs and len(zs) == len(parser.xs) and all(z == zs[0] for z in zs) else None
    unit = next(iter(parser.units)) if parser.units and elevation is not None else None
    return Wkt(node.kind, bounds, elevation, unit, literal, crs, tuple(notes))


_read_cached = lru_cache(maxsize=4096)(_read)


def wkt_summary(wkt: str, srid: str | None = None) -> tuple[str, Bounds | None] | None:
    """The simple-features type name and lon/lat bounds of a geometry, or None when it is not WKT.

    Bounds are None for an EMPTY geometry and in a CRS that is not geographic or not in ``crs.csv``.
    """
    try:
        parsed = read_wkt(wkt, srid)
    except WktError:
        return None
    return parsed.kind, parsed.bounds
