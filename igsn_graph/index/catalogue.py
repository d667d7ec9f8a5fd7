"""The ordered catalogue: one row per sample, ordered by (datestamp, igsn), for harvests and listings.

SPARQL ``ORDER BY`` cannot page a 10-million-sample catalogue (STORE.md §3.4), so every sorted
listing reads this table with keyset scans. The table is derived from the graph's registry facts
(``index.rebuild``); it is written in the same SQLite transaction as the history.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator

from ..identifiers import TEST_NAMESPACE
from ..record import RegistryFacts

__all__ = [
    "CatalogueRow",
    "row_from_facts",
    "upsert",
    "get",
    "count_owned",
    "next_datestamp",
    "format_datestamp",
    "all_rows",
    "delete_all",
    "keyset_conditions",
]


@dataclass(frozen=True)
class CatalogueRow:
    igsn: str
    datestamp: str
    status: str
    active: bool
    is_public: bool
    has_metadata: bool
    has_url: bool
    agent: str
    client: str | None
    namespace: str
    test: bool
    deleted: bool
    version: int


_COLUMNS = [f.name for f in fields(CatalogueRow)]
_BOOLS = {"active", "is_public", "has_metadata", "has_url", "test", "deleted"}


def row_from_facts(facts: RegistryFacts, version: int) -> CatalogueRow:
    return CatalogueRow(
        igsn=facts.igsn,
        datestamp=facts.datestamp,
        status=facts.status,
        active=facts.active,
        is_public=facts.is_public,
        has_metadata=facts.has_metadata,
        has_url=facts.landing_url is not None,
        agent=facts.agent,
        client=facts.client,
        namespace=facts.namespace,
        test=facts.namespace == TEST_NAMESPACE,
        # hidden from harvesters: deactivated, or withdrawn from public view
        deleted=(not facts.active) or (not facts.is_public),
        version=version,
    )


def _row(r: sqlite3.Row) -> CatalogueRow:
    values: dict[str, Any] = {k: (bool(r[k]) if k in _BOOLS else r[k]) for k in _COLUMNS}
    return CatalogueRow(**values)


def upsert(conn: sqlite3.Connection, rows: Iterable[CatalogueRow]) -> None:
    conn.executemany(
        f"INSERT OR REPLACE INTO catalogue ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
        # the fields read by name: ``astuple`` copies each value deeply, the largest cost of a bulk load's upsert
        [tuple(int(v) if isinstance(v, bool) else v for v in (getattr(r, k) for k in _COLUMNS)) for r in rows],
    )


def get(conn: sqlite3.Connection, igsn: str) -> CatalogueRow | None:
    r = conn.execute("SELECT * FROM catalogue WHERE igsn = ?", (igsn,)).fetchone()
    return _row(r) if r else None


def get_many(conn: sqlite3.Connection, names: list[str]) -> dict[str, CatalogueRow]:
    out: dict[str, CatalogueRow] = {}
    for i in range(0, len(names), 500):
        chunk = names[i : i + 500]
        for r in conn.execute(f"SELECT * FROM catalogue WHERE igsn IN ({','.join('?' * len(chunk))})", chunk):
            out[r["igsn"]] = _row(r)
    return out


def keyset_conditions(
    *,
    agent: str | None = None,
    client: str | None = None,
    namespace: str | None = None,
    after: tuple[str, str] | None = None,
    from_: str | None = None,
    until: str | None = None,
) -> tuple[list[str], list[object]]:
    """WHERE conditions of a keyset page: one indexed equality first, then the (datestamp, igsn) range."""
    where: list[str] = []
    args: list[object] = []
    # the (client|agent|namespace, datestamp, igsn) indexes serve an equality plus the range
    for column, value in (("client", client), ("agent", agent), ("namespace", namespace)):
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    if after is not None:  # a position past ``from_`` already
        where.append("(datestamp, igsn) > (?, ?)")
        args.extend(after)
    elif from_ is not None:
        where.append("datestamp >= ?")
        args.append(from_)
    if until is not None:
        where.append("datestamp <= ?")
        args.append(until)
    return where, args


def all_rows(conn: sqlite3.Connection) -> Iterator[CatalogueRow]:
    for r in conn.execute("SELECT * FROM catalogue ORDER BY igsn"):
        yield _row(r)


def delete_all(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM catalogue")


def count_owned(conn: sqlite3.Connection, *, client: str | None = None, agent: str | None = None) -> int:
    """Distinct non-test IGSNs of a client (or of an agent's own namespaces when client is None)."""
    count: int
    if client is not None:
        count = conn.execute("SELECT COUNT(*) FROM catalogue WHERE client = ? AND test = 0", (client,)).fetchone()[0]
        return count
    count = conn.execute(
        "SELECT COUNT(*) FROM catalogue WHERE agent = ? AND client IS NULL AND test = 0", (agent,)
    ).fetchone()[0]
    return count


def format_datestamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def next_datestamp(last: str | None, now: datetime | None = None) -> str:
    """UTC whole seconds, never before ``last`` (the clock may step back; datestamps may not)."""
    stamp = format_datestamp(now or datetime.now(timezone.utc))
    return last if last is not None and last > stamp else stamp
