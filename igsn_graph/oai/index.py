"""Harvest queries over the catalogue table: keyset pages, counts, the earliest datestamp, one item.

An OAI item is a catalogue row that is not a test registration and has metadata (a name minted
without metadata has no format to disseminate yet; it enters the lists with the datestamp of its
first metadata). Pages are keyset scans in (datestamp, igsn) order on the catalogue's indexes, so a
page costs the same wherever it lies.
"""

from __future__ import annotations

import sqlite3
from typing import NamedTuple

from ..index.catalogue import keyset_conditions
from .sets import SetFilter

__all__ = ["Item", "page", "count", "earliest", "item", "version_graphs", "ITEM_CONDITION"]

#: what makes a catalogue row an OAI item
ITEM_CONDITION = "test = 0 AND has_metadata = 1"


class Item(NamedTuple):
    """The catalogue columns a header and its metadata need (a tuple: pages build hundreds of them)."""

    igsn: str
    datestamp: str
    deleted: bool
    agent: str
    client: str | None
    namespace: str
    version: int
    has_metadata: bool


_SELECT = "SELECT igsn, datestamp, deleted, agent, client, namespace, version, has_metadata FROM catalogue"


def _items(conn: sqlite3.Connection, sql: str, args: list[object]) -> list[Item]:
    cur = conn.cursor()
    cur.row_factory = None  # plain tuples, whatever the connection's row factory
    return [Item(i, d, bool(x), a, c, n, v, bool(m)) for i, d, x, a, c, n, v, m in cur.execute(sql, args)]


def _where(
    flt: SetFilter, from_: str | None, until: str | None, after: tuple[str, str] | None
) -> tuple[str, list[object]]:
    where, args = keyset_conditions(
        client=flt.client,
        agent=flt.agent,
        namespace=None if flt.below else flt.namespace,
        after=after,
        from_=from_,
        until=until,
    )
    if flt.source is not None:  # samples a harvest source has a record of (harvest.origins)
        if flt.source == "*":
            where.insert(0, "igsn IN (SELECT igsn FROM harvest_origin)")
        else:
            where.insert(0, "igsn IN (SELECT igsn FROM harvest_origin WHERE source = ?)")
            args.insert(0, flt.source)
    if flt.below and flt.namespace:  # every namespace that starts with it: a range on the namespace index
        prefix = flt.namespace
        where.insert(0, "namespace >= ? AND namespace < ?")
        args[:0] = [prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)]
    return " WHERE " + " AND ".join([ITEM_CONDITION, *where]), args


def page(
    conn: sqlite3.Connection,
    flt: SetFilter,
    *,
    from_: str | None,
    until: str | None,
    after: tuple[str, str] | None,
    limit: int,
) -> list[Item]:
    """Up to ``limit`` items after ``after`` (or from ``from_``), in (datestamp, igsn) order."""
    if flt.empty:
        return []
    where, args = _where(flt, from_, until, after)
    return _items(conn, f"{_SELECT}{where} ORDER BY datestamp, igsn LIMIT ?", [*args, limit])


def count(conn: sqlite3.Connection, flt: SetFilter, *, from_: str | None, until: str | None) -> int:
    """How many items the list selects (completeListSize)."""
    if flt.empty:
        return 0
    where, args = _where(flt, from_, until, None)
    return int(conn.execute(f"SELECT COUNT(*) FROM catalogue{where}", args).fetchone()[0])


def earliest(conn: sqlite3.Connection) -> tuple[str, str] | None:
    """(datestamp, igsn) of the first item, deletions included: the smallest datestamp (order index)."""
    r = conn.execute(
        f"SELECT datestamp, igsn FROM catalogue WHERE {ITEM_CONDITION} ORDER BY datestamp, igsn LIMIT 1"
    ).fetchone()
    return (r[0], r[1]) if r else None


def item(conn: sqlite3.Connection, igsn: str) -> Item | None:
    """The catalogue row of a name when it is not a test registration (metadata or not)."""
    found = _items(conn, f"{_SELECT} WHERE igsn = ? AND test = 0", [igsn])
    return found[0] if found else None


def version_graphs(conn: sqlite3.Connection, keys: list[tuple[str, int]]) -> dict[tuple[str, int], tuple[bytes, str]]:
    """The stored (compressed N-Triples) graph of each (igsn, version) — the exact content of that version — and
    the datestamp it was written with (the graph does not hold it)."""
    out: dict[tuple[str, int], tuple[bytes, str]] = {}
    for i in range(0, len(keys), 400):
        chunk = keys[i : i + 400]
        cond = " OR ".join("(igsn = ? AND version = ?)" for _ in chunk)
        flat = [v for key in chunk for v in key]
        for igsn, version, graph, datestamp in conn.execute(
            f"SELECT igsn, version, graph, datestamp FROM versions WHERE {cond}", flat
        ):
            out[(igsn, version)] = (graph, datestamp)
    return out
