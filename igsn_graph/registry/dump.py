"""Dump and restore everything — public graph, history, accounts, settings fixed at init — as one file.

The file is gzip-compressed JSON lines: a header, the rows of each registry table in key order,
then the graph as sorted N-Quads. The catalogue index is not dumped: restore rebuilds it from the
graph. Restoring a dump into an empty data folder reproduces the store exactly.
"""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import IO, Any, Iterator

from ..errors import Conflict, InvalidInput
from ..index.rebuild import rebuild
from .database import Database

__all__ = ["dump", "restore", "TABLES"]

FORMAT = "igsn-graph-dump"
#: tables dumped, in an order that satisfies foreign keys, with their sort keys
TABLES = {
    "meta": "key", "agents": "symbol", "clients": "symbol", "namespaces": "namespace",
    "doi_prefixes": "prefix", "versions": "igsn, version",
}
_CHUNK_LINES = 20000


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"b64": base64.b64encode(value).decode("ascii")}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "b64" in value:
        return base64.b64decode(value["b64"])
    return value


def dump(registry: Any, path: Path) -> dict[str, int]:
    """Writes the whole registry to ``path``; returns counts per part."""
    counts: dict[str, int] = {}
    conn = registry.db.read()
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=6) as out:
        out.write(json.dumps({"format": FORMAT, "version": 1}) + "\n")
        for table, order in TABLES.items():
            cursor = conn.execute(f"SELECT * FROM {table} ORDER BY {order}")
            columns = [d[0] for d in cursor.description]
            out.write(json.dumps({"table": table, "columns": columns}) + "\n")
            n = 0
            for row in cursor:
                out.write(json.dumps({"r": [_encode(v) for v in row]}) + "\n")
                n += 1
            counts[table] = n
        lines = sorted(line for chunk in registry.store.dump_nquads()
                       for line in chunk.decode("utf-8").splitlines() if line)
        counts["quads"] = len(lines)
        for i in range(0, len(lines), _CHUNK_LINES):
            out.write(json.dumps({"nquads": "\n".join(lines[i:i + _CHUNK_LINES]) + "\n"}) + "\n")
    return counts


def _records(f: IO[str]) -> Iterator[dict[str, Any]]:
    for line in f:
        if line.strip():
            yield json.loads(line)


def restore(settings: Any, path: Path) -> dict[str, int]:
    """Restores a dump into an empty data folder and rebuilds the index; returns counts per part."""
    from .service import Registry  # the service module imports this one's siblings only

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.database_path)
    try:
        conn = db.read()
        if conn.execute("SELECT COUNT(*) FROM meta WHERE key = 'iri_base'").fetchone()[0] or \
                conn.execute("SELECT COUNT(*) FROM agents").fetchone()[0] or \
                conn.execute("SELECT COUNT(*) FROM versions").fetchone()[0]:
            raise Conflict(f"{settings.data_dir} is not empty: restore only into an empty data folder")
        counts: dict[str, int] = {}
        nquads: list[bytes] = []
        try:
            f = gzip.open(path, "rt", encoding="utf-8")
            header = json.loads(f.readline())
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"{path} is not an igsn-graph dump: {exc}") from None
        if header.get("format") != FORMAT:
            raise InvalidInput(f"{path} is not an igsn-graph dump")
        with f, db.write() as w:
            table: str | None = None
            columns: list[str] = []
            for rec in _records(f):
                if "table" in rec:
                    table, columns = rec["table"], rec["columns"]
                    if table not in TABLES:
                        raise InvalidInput(f"unknown table {table!r} in dump")
                    counts[table] = 0
                elif "r" in rec:
                    assert table is not None
                    w.execute(f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) "
                              f"VALUES ({', '.join('?' * len(columns))})", [_decode(v) for v in rec["r"]])
                    counts[table] += 1
                elif "nquads" in rec:
                    nquads.append(rec["nquads"].encode("utf-8"))
    finally:
        db.close()
    registry = Registry(settings)
    try:
        # opening the registry publishes the (restored) accounts graph; any sample graph means not empty
        for prefix in (registry.iris.record_graph("").value, registry.iris.provenance_graph("").value):
            if next(iter(registry.store.graphs_with_prefix(prefix)), None) is not None:
                raise Conflict("the graph store is not empty: restore only into an empty one")
        registry.store.load_nquads(nquads)
        counts["quads"] = sum(c.count(b"\n") for c in nquads)
        counts["catalogue"] = rebuild(registry.db, registry.store, registry.iris)
    finally:
        registry.close()
    return counts
