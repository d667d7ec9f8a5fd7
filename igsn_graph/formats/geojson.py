"""GeoJSON geometry objects (RFC 7946) → WKT, for JSON records that give their location as GeoJSON.

GeoJSON positions are longitude, latitude (and optionally elevation) in WGS 84, the axis order and CRS
a geometry without an SRID has in the model, so the WKT needs no SRID. A position with a third number
makes the WKT three-dimensional (``POINT Z``). A Feature is read as its geometry.

>>> to_wkt({"type": "MultiPoint", "coordinates": [[0, 1], [2, 3]]})
'MULTIPOINT ((0 1), (2 3))'
"""

from __future__ import annotations

from typing import Any

__all__ = ["GeoJsonError", "to_wkt"]

_MAX_DEPTH = 8  # collections of collections; deeper is an attack, not a location


class GeoJsonError(ValueError):
    """Not a GeoJSON geometry; the message says why."""


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GeoJsonError(f"a coordinate must be a number, not {value!r}")
    if value != value or value in (float("inf"), float("-inf")):
        raise GeoJsonError("a coordinate must be a finite number")
    return repr(value) if isinstance(value, float) else str(value)


def _position(value: Any) -> tuple[str, int]:
    if not isinstance(value, list) or len(value) not in (2, 3):
        raise GeoJsonError(f"a position is an array of 2 or 3 numbers, not {value!r}")
    return " ".join(_number(v) for v in value), len(value)


class _Writer:
    def __init__(self) -> None:
        self.dims: set[int] = set()

    def position(self, value: Any) -> str:
        text, dims = _position(value)
        self.dims.add(dims)
        return text

    def positions(self, value: Any, minimum: int) -> str:
        if not isinstance(value, list) or len(value) < minimum:
            raise GeoJsonError(f"expected an array of at least {minimum} positions")
        return "(" + ", ".join(self.position(p) for p in value) + ")"

    def rings(self, value: Any) -> str:
        if not isinstance(value, list) or not value:
            raise GeoJsonError("a polygon is an array of linear rings")
        for ring in value:
            if isinstance(ring, list) and ring and ring[0] != ring[-1]:
                raise GeoJsonError("a linear ring must end where it starts")
        return "(" + ", ".join(self.positions(r, 4) for r in value) + ")"

    def many(self, value: Any, item: Any) -> str:
        if not isinstance(value, list) or not value:
            raise GeoJsonError("expected a non-empty array")
        return "(" + ", ".join(item(v) for v in value) + ")"


def _body(geometry: Any, w: _Writer, depth: int) -> tuple[str, str]:
    if not isinstance(geometry, dict):
        raise GeoJsonError("a geometry must be an object")
    kind = geometry.get("type")
    if kind == "Feature":
        return _body(geometry.get("geometry"), w, depth)
    if kind == "GeometryCollection":
        if depth >= _MAX_DEPTH:
            raise GeoJsonError("geometry collections nested too deeply")
        members = geometry.get("geometries")
        if not isinstance(members, list) or not members:
            raise GeoJsonError("a GeometryCollection needs a non-empty geometries array")
        parts = [_wkt(g, depth + 1) for g in members]
        w.dims.update(dims for _, dims in parts)
        return "GEOMETRYCOLLECTION", "(" + ", ".join(text for text, _ in parts) + ")"
    coords = geometry.get("coordinates")
    if kind == "Point":
        return "POINT", "(" + w.position(coords) + ")"
    if kind == "MultiPoint":
        return "MULTIPOINT", w.many(coords, lambda p: "(" + w.position(p) + ")")
    if kind == "LineString":
        return "LINESTRING", w.positions(coords, 2)
    if kind == "MultiLineString":
        return "MULTILINESTRING", w.many(coords, lambda line: w.positions(line, 2))
    if kind == "Polygon":
        return "POLYGON", w.rings(coords)
    if kind == "MultiPolygon":
        return "MULTIPOLYGON", w.many(coords, w.rings)
    raise GeoJsonError(f"unknown GeoJSON geometry type {kind!r}")


def _wkt(geometry: Any, depth: int) -> tuple[str, int]:
    w = _Writer()
    keyword, body = _body(geometry, w, depth)
    if len(w.dims) > 1:
        raise GeoJsonError("positions mix two and three coordinates")
    dims = w.dims.pop() if w.dims else 2
    return f"{keyword}{' Z' if dims == 3 else ''} {body}", dims


def to_wkt(geometry: Any) -> str:
    """The WKT of a GeoJSON geometry (or Feature); ``GeoJsonError`` saying why when it is not one."""
    return _wkt(geometry, 0)[0]
