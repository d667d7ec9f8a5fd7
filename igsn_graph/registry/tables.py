"""Registry tables as gzip-compressed JSON lines: the accounts file and the registry file of a dump.

Each table is a line ``{"table": NAME, "columns": [...]}`` followed by one ``{"r": [...]}`` line per row,
in key order; a bytes value is ``{"b64": ...}``. Password hashes are written as stored (salted scrypt).
"""

from __future__ import annotations

import base64
import gzip
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from ..errors import InvalidInput

__all__ = [
    "ACCOUNTS",
    "REGISTRY",
    "TABLES",
    "DumpBroken",
    "encode_value",
    "decode_value",
    "write_tables",
    "read_tables",
    "json_lines",
]

#: the accounts file: tables in an order that satisfies foreign keys, with their sort keys
ACCOUNTS = {"agents": "symbol", "clients": "symbol", "namespaces": "namespace", "doi_prefixes": "prefix"}
#: the registry file: settings fixed at init, reservations, harvest sources, what they said of each sample, and
#: each source's current record of each sample (its XML as received), which the harvest graphs describe
REGISTRY = {
    "meta": "key",
    "draft": "igsn",
    "harvest_source": "name",
    "harvest_record": "source, igsn",
    "harvest_origin": "source, igsn",
}
#: every table a dump restores rows of (``versions``: read from the history's N-Quads, or an older dump's rows)
TABLES = {**ACCOUNTS, **REGISTRY, "versions": "igsn, version"}


class DumpBroken(InvalidInput):
    """A dump that cannot be restored (not a dump, cut short, or its parts do not parse or add up)."""


def encode_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"b64": base64.b64encode(value).decode("ascii")}
    return value


def decode_value(value: Any) -> Any:
    if isinstance(value, dict) and "b64" in value:
        return base64.b64decode(value["b64"])
    return value


def write_tables(conn: sqlite3.Connection, tables: dict[str, str], path: Path) -> dict[str, int]:
    """Writes the tables' rows in key order; the rows written per table."""
    counts: dict[str, int] = {}
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=3) as out:
        for table, order in tables.items():
            cursor = conn.execute(f"SELECT * FROM {table} ORDER BY {order}")
            out.write(json.dumps({"table": table, "columns": [d[0] for d in cursor.description]}) + "\n")
            n = 0
            for row in cursor:
                out.write(json.dumps({"r": [encode_value(v) for v in row]}) + "\n")
                n += 1
            counts[table] = n
    return counts


def json_lines(f: IO[str], path: Path, *, read: int = 0) -> Iterator[dict[str, Any]]:
    """The objects of a JSON-lines text (blank lines skipped) whose first ``read`` lines were read already (a
    header); ``DumpBroken`` naming the line where one is not an object or the gzip stream breaks."""
    n = read
    try:
        for line in f:
            n += 1
            if line.strip():
                rec = json.loads(line)
                if not isinstance(rec, dict):
                    raise ValueError("not an object")
                yield rec
    except (OSError, EOFError, ValueError) as exc:  # gzip: CRC or length wrong, stream cut short
        raise DumpBroken(f"{path} is damaged at line {n}: {exc}") from None


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    try:
        f = gzip.open(path, "rt", encoding="utf-8")
    except OSError as exc:
        raise DumpBroken(f"{path} is damaged at line 0: {exc}") from None
    with f:
        yield from json_lines(f, path)


def read_tables(
    path: Path, tables: dict[str, str], insert: Callable[[str, list[str], list[Any]], None] | None = None
) -> dict[str, int]:
    """Reads a tables file, handing every row to ``insert(table, columns, values)``; rows per table."""
    counts: dict[str, int] = {}
    table: str | None = None
    columns: list[str] = []
    for rec in _lines(path):
        if "table" in rec:
            table, columns = rec["table"], list(rec.get("columns", []))
            if table not in tables:
                raise DumpBroken(f"{path}: unknown table {table!r}")
            counts[table] = 0
        elif "r" in rec:
            if table is None:
                raise DumpBroken(f"{path}: a row before any table")
            if insert is not None:
                insert(table, columns, [decode_value(v) for v in rec["r"]])
            counts[table] += 1
        else:
            raise DumpBroken(f"{path}: a line that is neither a table nor a row")
    return counts


def inserter(conn: sqlite3.Connection) -> Callable[[str, list[str], list[Any]], None]:
    """``insert(table, columns, values)`` into a connection (inside the caller's transaction)."""

    def insert(table: str, columns: list[str], values: list[Any]) -> None:
        if table not in TABLES:
            raise DumpBroken(f"unknown table {table!r}")
        if not all(c.isidentifier() for c in columns):
            raise DumpBroken(f"table {table}: a column name that is no identifier")
        conn.execute(
            f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", values
        )

    return insert
