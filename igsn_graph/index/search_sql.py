"""How SQLite finds the documents a search matches: one table drives, every other condition is probed.

The driving table is the text index when there is a text query (ranking reads it alone), else the facet rows of
the filter with the fewest samples (known from ``search_facet_total``) or the boxes, when a bounded count finds
fewer there, else every document. Each other condition is a correlated ``EXISTS`` on the driving row's document
number: one primary-key (or R*Tree rowid) look-up per row, never a list of every sample of an agent built first.
So a count, a page or the facet counts can stop after the first N matches (``LIMIT``), at the cost of N rows.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .search_params import FACETS

__all__ = ["Matches", "box_spans", "matches"]

#: facets a sample has one value of at most: their rows list a sample once whichever values are asked for
_SINGLE_VALUED = ("agent", "client", "namespace", "year")


def box_spans(west: float, east: float) -> list[tuple[float, float]]:
    """The longitude spans of a box: two across the antimeridian (west > east)."""
    return [(west, east)] if west <= east else [(west, 180.0), (-180.0, east)]


@dataclass(frozen=True)
class Matches:
    """FROM and WHERE of the matching documents, each once; ``doc`` is the SQL of a match's document number."""

    table: str
    doc: str
    conditions: tuple[str, ...]
    args: tuple[object, ...]
    #: the text index drives (``t``): ``bm25(search_text, …)`` can rank the rows
    text: bool

    def where(self, *extra: str) -> str:
        return " AND ".join([*self.conditions, *extra]) or "1 = 1"

    def ids(self, limit: int | None = None) -> tuple[str, list[object]]:
        """SELECT of the matching document numbers (``doc``), at most ``limit`` of them, the first the driving
        table gives."""
        sql = f"SELECT {self.doc} AS doc FROM {self.table} WHERE {self.where()}"
        args = list(self.args)
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return sql, args

    def joined(self) -> str:
        """FROM and WHERE with the document rows as ``d`` (for their columns: a page, its order). CROSS JOIN keeps
        the driver outside: walking every document in IGSN order and probing an agent's rows instead would read
        most of the registry before the first IGSN of an agent whose IGSNs sort late."""
        if self.doc == "d.doc":
            return f"FROM {self.table} WHERE {self.where()}"
        return f"FROM {self.table} CROSS JOIN search_doc d ON d.doc = {self.doc} WHERE {self.where()}"


def _box(spans: list[tuple[float, float]], south: float, north: float) -> tuple[str, list[object]]:
    ors: list[str] = []
    args: list[object] = []
    for lo, hi in spans:
        ors.append("(west <= ? AND east >= ? AND south <= ? AND north >= ?)")
        args += [hi, lo, north, south]
    return " OR ".join(ors), args


def _facet_estimate(conn: sqlite3.Connection, facet: str, values: list[str]) -> int:
    marks = ",".join("?" * len(values))
    sql = f"SELECT COALESCE(SUM(n), 0) FROM search_facet_total WHERE facet = ? AND value IN ({marks})"
    found: int = conn.execute(sql, [facet, *values]).fetchone()[0]
    return found


def matches(
    conn: sqlite3.Connection,
    match: str | None,
    filters: dict[str, list[str]],
    bbox: tuple[float, float, float, float] | None,
    from_: str | None,
    until: str | None,
) -> Matches:
    """The plan of a search's matches (``match``: its FTS5 query; ``bbox``: west, east, south, north)."""
    asked = [(f, filters[f]) for f in FACETS if filters.get(f)]
    box = None
    if bbox is not None:
        w, e, s, n = bbox
        box = _box(box_spans(w, e), s, n)
    # the driver: the text index, else the smallest facet filter or the boxes, else every document
    driver: tuple[str, str] | None = None  # "facet" name or "box"
    if match is None:
        best: int | None = None
        for facet, values in asked:
            if len(values) == 1 or facet in _SINGLE_VALUED:  # its rows name no sample twice
                n = _facet_estimate(conn, facet, values)
                if best is None or n < best:
                    best, driver = n, ("facet", facet)
        if box is not None:
            # counted up to the best facet's size only: a box larger than that does not drive
            cap = best if best is not None else 1
            sql = f"SELECT COUNT(*) FROM (SELECT doc FROM search_box WHERE {box[0]} LIMIT ?)"
            if driver is None or conn.execute(sql, [*box[1], cap]).fetchone()[0] < cap:
                driver = ("box", "")
    conditions: list[str] = []
    args: list[object] = []
    if match is not None:
        table, doc = "search_text t", "t.rowid"
        conditions.append("search_text MATCH ?")
        args.append(match)
    elif driver is not None and driver[0] == "facet":
        facet = driver[1]
        values = filters[facet]
        table, doc = "search_facet f0", "f0.doc"
        conditions.append(f"f0.facet = ? AND f0.value IN ({','.join('?' * len(values))})")
        args += [facet, *values]
    elif driver is not None:
        assert box is not None
        table, doc = "search_box b0", "b0.doc"
        conditions.append(f"({box[0]})")
        args += box[1]
    else:
        table, doc = "search_doc d", "d.doc"
    if box is not None and table != "search_box b0":
        conditions.append(f"EXISTS (SELECT 1 FROM search_box WHERE doc = {doc} AND ({box[0]}))")
        args += box[1]
    for facet, values in asked:
        if table == "search_facet f0" and facet == driver[1]:  # type: ignore[index]
            continue
        marks = ",".join("?" * len(values))
        conditions.append(f"EXISTS (SELECT 1 FROM search_facet WHERE facet = ? AND value IN ({marks}) AND doc = {doc})")
        args += [facet, *values]
    times, time_args = [], []
    if from_ is not None:
        times.append("collected_to >= ?")
        time_args.append(from_)
    if until is not None:
        times.append("collected_from <= ?")
        time_args.append(until)
    if times and doc == "d.doc":
        conditions += [f"d.{c}" for c in times]
        args += time_args
    elif times:
        conditions.append(f"EXISTS (SELECT 1 FROM search_doc x WHERE x.doc = {doc} AND x.{' AND x.'.join(times)})")
        args += time_args
    return Matches(table, doc, tuple(conditions), tuple(args), match is not None)
