"""How SQLite finds the documents a search matches: one table drives, every other condition is probed.

The driving table is the one with the fewest rows to read: the facet rows of the filter with the fewest samples
(known from ``search_facet_total``), the text index or the boxes when a bounded count finds fewer there, else
every document (``_driver``). The text index, when it does not drive, is joined by document number, so that
``bm25`` still ranks the rows. Each other condition is a correlated ``EXISTS`` on the driving row's document
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
    #: the text index is in the query (``t``, driving or joined): ``bm25(search_text, …)`` ranks the rows
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


#: a driver is chosen among the text index and the boxes by counting their rows up to this many (when no filter
#: gives a smaller number to count up to): bounded, so choosing costs little
_PROBE_COUNT = 10_000
#: seeking one document in the text index (FTS5 ``MATCH`` with ``rowid =``) costs about as much as reading ten of
#: its rows in order (measured at 100,000 samples: 12 µs a seek): the text index drives unless the others are
#: ten times smaller
_TEXT_SEEK = 10


def _capped_count(conn: sqlite3.Connection, sql: str, args: list[object], cap: int) -> int:
    found: int = conn.execute(f"SELECT COUNT(*) FROM ({sql} LIMIT ?)", [*args, cap]).fetchone()[0]
    return found


def _driver(
    conn: sqlite3.Connection,
    match: str | None,
    asked: list[tuple[str, list[str]]],
    box: tuple[str, list[object]] | None,
) -> str:
    """What drives: a facet's name, "text", "box", or "" (every document): the fewest rows to read.

    Filters are sized from the running totals (free); the text index, then the boxes, are counted up to the
    smallest cost known so far (``_PROBE_COUNT`` at first), so a large one costs that bound and a smaller one
    drives. Where a text query is probed rather than read in order, each row costs ``_TEXT_SEEK``."""
    weight = _TEXT_SEEK if match is not None else 1
    driver, best = "", None  # best: the cost of the driver chosen so far, in rows read in order
    for facet, values in asked:
        if len(values) == 1 or facet in _SINGLE_VALUED:  # its rows name no sample twice
            cost = _facet_estimate(conn, facet, values) * weight
            if best is None or cost < best:
                driver, best = facet, cost
    candidates: list[tuple[str, str, list[object], int]] = []
    if match is not None:
        candidates.append(("text", "SELECT rowid FROM search_text WHERE search_text MATCH ?", [match], 1))
    if box is not None:
        candidates.append(("box", f"SELECT doc FROM search_box WHERE {box[0]}", box[1], weight))
    for i, (name, sql, args, per_row) in enumerate(candidates):
        if not driver and i == len(candidates) - 1:
            return name  # nothing else to compare with: no count needed
        cap = (best if best is not None else _PROBE_COUNT) // per_row
        n = _capped_count(conn, sql, args, cap)
        if not driver or n < cap:
            driver, best = name, n * per_row
    return driver


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
    driver = _driver(conn, match, asked, box)
    conditions: list[str] = []
    args: list[object] = []
    if driver == "text":
        table, doc = "search_text t", "t.rowid"
    elif driver == "box":
        assert box is not None
        table, doc = "search_box b0", "b0.doc"
        conditions.append(f"({box[0]})")
        args += box[1]
    elif driver:
        values = filters[driver]
        table, doc = "search_facet f0", "f0.doc"
        conditions.append(f"f0.facet = ? AND f0.value IN ({','.join('?' * len(values))})")
        args += [driver, *values]
    else:
        table, doc = "search_doc d", "d.doc"
    if match is not None:
        if driver != "text":  # the text index probed by document number: FTS5 seeks that row in each term's list
            table += f" CROSS JOIN search_text t ON t.rowid = {doc}"
        conditions.append("search_text MATCH ?")
        args.append(match)
    if box is not None and driver != "box":
        conditions.append(f"EXISTS (SELECT 1 FROM search_box WHERE doc = {doc} AND ({box[0]}))")
        args += box[1]
    for facet, values in asked:
        if facet == driver:
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
