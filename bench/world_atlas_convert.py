"""Converts world-atlas's countries TopoJSON once into the compact map asset the pages draw (mappings/world/).

TopoJSON keeps each boundary once, as a delta-encoded, quantized arc shared by the shapes it bounds. The
pages need plain lines in degrees: the land's outer rings (coastlines, from the ``land`` object) and the
boundaries between countries (arcs two different countries share). Coordinates are rounded to 0.01°
(about 1 km, finer than the 1:110m source). Run by ``bench/refresh_world_atlas.sh``; no runtime dependency.

Usage: python bench/world_atlas_convert.py countries-110m.json mappings/world/world-110m.json
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """Every arc in degrees: undo the delta encoding, then the quantization transform."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def line(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    """The arcs of a ring joined (a negative index ``~i`` is arc ``i`` reversed; joints are not repeated)."""
    out: list[tuple[float, float]] = []
    for i in indexes:
        points = arcs[i] if i >= 0 else arcs[~i][::-1]
        out += points[1:] if out else points
    return out


def rings_of(geometry: dict) -> list[list[int]]:
    if geometry["type"] == "Polygon":
        return geometry["arcs"]
    if geometry["type"] == "MultiPolygon":
        return [ring for polygon in geometry["arcs"] for ring in polygon]
    return []


def rounded(points: list[tuple[float, float]]) -> list[list[float]]:
    out: list[list[float]] = []
    for x, y in points:
        p = [round(x, 2), round(y, 2)]
        if not out or out[-1] != p:
            out.append(p)
    return out


def convert(topology: dict) -> dict:
    arcs = decode_arcs(topology)
    land = [rounded(line(arcs, ring)) for g in topology["objects"]["land"]["geometries"] for ring in rings_of(g)]
    # an arc that two countries use is a border between them; one country's alone is a coast
    users: Counter[int] = Counter()
    for country in topology["objects"]["countries"]["geometries"]:
        used = {i if i >= 0 else ~i for ring in rings_of(country) for i in ring}
        users.update(used)
    borders = [rounded(arcs[i]) for i, n in sorted(users.items()) if n > 1]
    return {
        "source": "Natural Earth 1:110m (public domain) via world-atlas (ISC), countries-110m.json",
        "land": [r for r in land if len(r) > 2],
        "borders": [b for b in borders if len(b) > 1],
    }


if __name__ == "__main__":
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    data = convert(json.loads(source.read_text()))
    target.write_text(json.dumps(data, separators=(",", ":")) + "\n")
    print(f"{target}: {len(data['land'])} land rings, {len(data['borders'])} borders, {target.stat().st_size} bytes")
