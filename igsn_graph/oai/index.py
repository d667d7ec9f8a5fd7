"""Harvest queries over the catalogue table: keyset pages, counts, the earliest datestamp, one item.

An OAI item is a catalogue row that is not a test registration and has metadata (a name minted
without metadata has no format to disseminate yet; it enters the lists with the datestamp of its
first metadata). Pages are keyset scans in (datestamp, igsn) order on the catalogue's indexes, so a
page costs the same wherever it lies.
"""

from __future__ import annotations

import sqlite3
from dataclasses import fields

from ..index.catalogue import CatalogueRow
from .sets import SetFilter

__all__ = ["page", "count", "earliest", "item", "version_graphs", "ITEM_CONDITION"]

#: what makes a catalogue row an OAI item
ITEM_CONDITION = "test = 0 AND has_metadata = 1"
_COLUMNS = [f.name for f in fields(CatalogueRow)]
_BOOLS = {"active", "is_public", "has_metadata", "has_url", "test", "deleted"}
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM catalogue"


def _row(r: tuple) -> CatalogueRow:  # type: ignore[type-arg]
    return CatalogueRow(**{k: (bool(v) if k in _BOOLS else v) for k, v in zip(_COLUMNS, r)})


def _where(flt: SetFilter, from_: str | None, until: str | None,
           after: tuple[str, str] | None) -> tuple[str, list[object]]:
    where = [ITEM_CONDITION]
    args: list[object] = []
    # one equality on an indexed column first: (agent|client|namespace, datestamp, igsn) indexes
    for column, value in (("client", flt.client), ("agent", flt.agent), ("namespace", flt.namespace)):
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    if after is not None:
        where.append("(datestamp, igsn) > (?, ?)")
        args.extend(after)
    elif from_ is not None:
        where.append("datestamp >= ?")
        args.append(from_)
    if until is not None:
        where.append("datestamp <= ?")
        args.append(until)
    return " WHERE " + " AND ".join(where), args


def page(conn: sqlite3.Connection, flt: SetFilter, *, from_: str | None, until: str | None,
         after: tuple[str, str] | None, limit: int) -> list[CatalogueRow]:
    """Up to ``limit`` items after ``after`` (or from ``from_``), in (datestamp, igsn) order."""
    if flt.empty:
        return []
    where, args = _where(flt, from_, until, after)
    sql = f"{_SELECT}{where} ORDER BY datestamp, igsn LIMIT ?"
    return [_row(r) for r in conn.execute(sql, [*args, limit])]


def count(conn: sqlite3.Connection, flt: SetFilter, *, from_: str | None, until: str | None) -> int:
    """How many items the list selects (completeListSize)."""
    if flt.empty:
        return 0
    where, args = _where(flt, from_, until, None)
    return int(conn.execute(f"SELECT COUNT(*) FROM catalogue{where}", args).fetchone()[0])


def earliest(conn: sqlite3.Connection) -> tuple[str, str] | None:
    """(datestamp, igsn) of the first item, deletions included: the smallest datestamp (order index)."""
    r = conn.execute(f"SELECT datestamp, igsn FROM catalogue WHERE {ITEM_CONDITION} "
                     "ORDER BY datestamp, igsn LIMIT 1").fetchone()
    return (r[0], r[1]) if r else None


def item(conn: sqlite3.Connection, igsn: str) -> CatalogueRow | None:
    """The catalogue row of a name when it is not a test registration (metadata or not)."""
    r = conn.execute(f"{_SELECT} WHERE igsn = ? AND test = 0", (igsn,)).fetchone()
    return _row(r) if r else None


def version_graphs(conn: sqlite3.Connection, keys: list[tuple[str, int]]) -> dict[tuple[str, int], bytes]:
    """The stored (compressed N-Triples) graph of each (igsn, version) — the exact content of that version."""
    out: dict[tuple[str, int], bytes] = {}
    for i in range(0, len(keys), 400):
        chunk = keys[i:i + 400]
        cond = " OR ".join("(igsn = ? AND version = ?)" for _ in chunk)
        flat = [v for key in chunk for v in key]
        for igsn, version, graph in conn.execute(f"SELECT igsn, version, graph FROM versions WHERE {cond}", flat):
            out[(igsn, version)] = graph
    return out
