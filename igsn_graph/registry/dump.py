"""Dump and restore everything — public graph, history, accounts, settings fixed at init — as one file.

The file is gzip-compressed JSON lines: a header, the rows of each registry table in key order, the
graph as sorted N-Quads, and a trailer with the counts of every part (a file without it is cut short).
The catalogue index is not dumped: restore rebuilds it from the graph. Restoring a dump into an empty
data folder reproduces the store exactly, whatever text the records hold.

N-Quads statements end at a line feed (or carriage return), and the writer escapes both inside literals;
every other character — U+2028, U+0085, form feed… which ``str.splitlines()`` would also take for line
ends — is literal text. So the graph is split into statements at ``\\r``/``\\n`` bytes only (``_statements``).

A dump is read back and checked before it takes its name: a dump that could not be restored is never
left behind as if it could. A restore is made in a staging folder inside the data folder, checked
(counts against the trailer, ``index.rebuild.verify``), and only then moved into place: a failed restore
leaves the data folder as it was (with a remote graph store the error names what to clear there).
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import shutil
import sqlite3
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

from pyoxigraph import RdfFormat, parse

from ..errors import Conflict, IgsnGraphError, InvalidInput, StorageFailure
from ..index.rebuild import rebuild, verify
from .database import Database

__all__ = ["dump", "check", "restore", "TABLES", "STAGING", "DumpBroken"]

FORMAT = "igsn-graph-dump"
#: 2: statements split at line feeds only, a trailer with counts (1: split with ``str.splitlines``)
VERSION = 2
#: tables dumped, in an order that satisfies foreign keys, with their sort keys
TABLES = {
    "meta": "key",
    "agents": "symbol",
    "clients": "symbol",
    "namespaces": "namespace",
    "doi_prefixes": "prefix",
    "versions": "igsn, version",
    "draft": "igsn",
    # harvest sources an administrator set up, and what each source last said of each sample
    "harvest_source": "name",
    "harvest_record": "source, igsn",
}
_CHUNK_LINES = 20000
#: the folder inside the data folder a restore is built in before it is moved into place
STAGING = ".restore-incomplete"
#: the N-Quads end of line (grammar: EOL ::= [#xD#xA]+); nothing else ends a statement
_EOL = re.compile(rb"[\r\n]+")


class DumpBroken(InvalidInput):
    """A dump file that cannot be restored (not a dump, cut short, or its parts do not parse or add up)."""


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"b64": base64.b64encode(value).decode("ascii")}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "b64" in value:
        return base64.b64decode(value["b64"])
    return value


def _statements(chunks: Iterable[bytes]) -> list[bytes]:
    """The N-Quads statements of the chunks, sorted (by code point, as UTF-8 bytes sort)."""
    return sorted(line for chunk in chunks for line in _EOL.split(chunk) if line.strip())


def dump(registry: Any, path: Path) -> dict[str, int]:
    """Writes the whole registry to ``path``, reads it back and checks it; returns counts per part.

    The file is written beside ``path`` and renamed only once the check passed; ``DumpBroken`` otherwise
    (and nothing is left at ``path``).
    """
    counts: dict[str, int] = {}
    conn = registry.db.read()
    partial = path.with_name(path.name + ".partial")
    try:
        with gzip.open(partial, "wt", encoding="utf-8", compresslevel=6) as out:
            out.write(json.dumps({"format": FORMAT, "version": VERSION}) + "\n")
            for table, order in TABLES.items():
                cursor = conn.execute(f"SELECT * FROM {table} ORDER BY {order}")
                columns = [d[0] for d in cursor.description]
                out.write(json.dumps({"table": table, "columns": columns}) + "\n")
                n = 0
                for row in cursor:
                    out.write(json.dumps({"r": [_encode(v) for v in row]}) + "\n")
                    n += 1
                counts[table] = n
            lines = _statements(registry.store.dump_nquads())
            counts["quads"] = len(lines)
            for i in range(0, len(lines), _CHUNK_LINES):
                text = b"".join(line + b"\n" for line in lines[i : i + _CHUNK_LINES]).decode("utf-8")
                out.write(json.dumps({"nquads": text}) + "\n")
            del lines
            out.write(json.dumps({"end": counts}) + "\n")
        with open(partial, "rb") as f:
            os.fsync(f.fileno())
        read_back = check(partial)
        if read_back != counts:
            raise DumpBroken(f"the dump read back holds {read_back}, not the {counts} written")
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return counts


def _open(path: Path) -> tuple[IO[str], int]:
    """The dump opened after its header; its format version. ``DumpBroken`` when it is no dump."""
    try:
        f = gzip.open(path, "rt", encoding="utf-8")
        header = json.loads(f.readline())
    except (OSError, EOFError, ValueError) as exc:
        raise DumpBroken(f"{path} is not an igsn-graph dump: {exc}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("version") not in (1, VERSION):
        f.close()
        raise DumpBroken(f"{path} is not an igsn-graph dump (or one of a later version)")
    return f, header["version"]


def _records(f: IO[str], path: Path) -> Iterator[dict[str, Any]]:
    n = 1
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


def _parsed_quads(text: str, path: Path, version: int) -> int:
    """How many statements a chunk of the dump's N-Quads holds; ``DumpBroken`` when it does not parse."""
    try:
        return sum(1 for _ in parse(input=text.encode("utf-8"), format=RdfFormat.N_QUADS))
    except SyntaxError as exc:
        hint = (
            "; dumps of format version 1 split the graph at U+2028, U+0085 and other characters that "
            "are not line ends in N-Quads, so a text holding one cannot be restored from them"
            if version == 1
            else ""
        )
        raise DumpBroken(f"{path}: the graph in the dump does not parse: {exc}{hint}") from None


def check(path: Path) -> dict[str, int]:
    """Reads a whole dump and checks every part (rows, N-Quads parsed, trailer); returns counts per part."""
    f, version = _open(path)
    counts: dict[str, int] = {}
    end: dict[str, int] | None = None
    with f:
        table: str | None = None
        for rec in _records(f, path):
            if "table" in rec:
                table = rec["table"]
                if table not in TABLES:
                    raise DumpBroken(f"{path}: unknown table {table!r} in dump")
                counts[table] = 0
            elif "r" in rec:
                if table is None:
                    raise DumpBroken(f"{path}: a row before any table")
                counts[table] += 1
            elif "nquads" in rec:
                counts["quads"] = counts.get("quads", 0) + _parsed_quads(rec["nquads"], path, version)
            elif "end" in rec:
                end = rec["end"]
    counts.setdefault("quads", 0)
    if version >= 2 and end != counts:
        raise DumpBroken(
            f"{path} is incomplete: it holds {counts}, its trailer says {end}"
            if end is not None
            else f"{path} is cut short (no trailer): it holds {counts}"
        )
    return counts


def _target_empty(settings: Any) -> None:
    """Refuses a data folder that holds registry data (accounts, history, samples, any graph)."""
    if settings.database_path.exists():
        db = Database(settings.database_path)
        try:
            conn = db.read()
            if (
                conn.execute("SELECT COUNT(*) FROM meta WHERE key = 'iri_base'").fetchone()[0]
                or conn.execute("SELECT COUNT(*) FROM agents").fetchone()[0]
                or conn.execute("SELECT COUNT(*) FROM versions").fetchone()[0]
            ):
                raise Conflict(f"{settings.data_dir} is not empty: restore only into an empty data folder")
        finally:
            db.close()
    if settings.store in ("", "embedded") and settings.graph_dir.exists():
        from ..store.oxigraph import OxigraphStore

        store = OxigraphStore(settings.graph_dir)
        try:
            if not store.is_empty():
                raise Conflict(
                    f"the graph store {settings.graph_dir} is not empty: restore only into an empty "
                    f"data folder (remove {settings.graph_dir} if it is left from a failed attempt)"
                )
        finally:
            store.close()


def restore(settings: Any, path: Path) -> dict[str, int]:
    """Restores a dump into an empty data folder and rebuilds the index; returns counts per part.

    Built in ``<data>/.restore-incomplete`` and moved into place once checked; on any failure that folder
    is removed again and the error says why (``DumpBroken`` for the file, ``Conflict`` for the target).
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    _target_empty(settings)
    staging = settings.data_dir / STAGING
    if staging.exists():  # left by a restore that was killed: never part of the data
        shutil.rmtree(staging)
    staged = settings.with_(data_dir=staging)
    remote = settings.store not in ("", "embedded")
    loaded = False
    try:
        staging.mkdir()
        counts, loaded = _restore_into(staged, path)
        _move_into_place(staging, settings)
    except Exception as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if remote and loaded:
            message = exc.message if isinstance(exc, IgsnGraphError) else str(exc)
            raise StorageFailure(
                f"restore failed: {message}; the graph store {settings.store} holds part of "
                "the dump's graph: clear it before restoring again"
            ) from exc
        raise
    except BaseException:  # interrupted: the staging folder is no part of the data either
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return counts


def _restore_into(settings: Any, path: Path) -> tuple[dict[str, int], bool]:
    """Restores into the (staging) data folder of ``settings``; counts, and whether the graph was loaded."""
    from . import backup
    from .service import Registry  # the service module imports this one's siblings only

    if backup.is_backup(path):
        return backup.restore_into(settings, path)

    counts: dict[str, int] = {}
    nquads: list[bytes] = []
    end: dict[str, int] | None = None
    f, version = _open(path)
    db = Database(settings.database_path)
    try:
        with f, db.write() as w:
            table: str | None = None
            columns: list[str] = []
            for rec in _records(f, path):
                if "table" in rec:
                    table, columns = rec["table"], rec["columns"]
                    if table not in TABLES:
                        raise DumpBroken(f"{path}: unknown table {table!r} in dump")
                    counts[table] = 0
                elif "r" in rec:
                    if table is None:
                        raise DumpBroken(f"{path}: a row before any table")
                    w.execute(
                        f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) "
                        f"VALUES ({', '.join('?' * len(columns))})",
                        [_decode(v) for v in rec["r"]],
                    )
                    counts[table] += 1
                elif "nquads" in rec:
                    text = rec["nquads"]
                    _parsed_quads(text, path, version)  # before anything is loaded
                    nquads.append(text.encode("utf-8"))
                elif "end" in rec:
                    end = rec["end"]
            counts["quads"] = sum(len(_statements([c])) for c in nquads)
            if version >= 2 and end != counts:
                raise DumpBroken(
                    f"{path} is incomplete: it holds {counts}, its trailer says {end}"
                    if end is not None
                    else f"{path} is cut short (no trailer): it holds {counts}"
                )
    finally:
        db.close()
    registry = Registry(settings)
    loaded = False
    try:
        # opening the registry publishes the (restored) accounts graph; any sample graph means not empty
        for prefix in (registry.iris.record_graph("").value, registry.iris.provenance_graph("").value):
            if next(iter(registry.store.graphs_with_prefix(prefix)), None) is not None:
                raise Conflict("the graph store is not empty: restore only into an empty one")
        loaded = True
        registry.store.load_nquads(nquads)
        del nquads
        counts["catalogue"] = rebuild(registry.db, registry.store, registry.iris)
        report = verify(registry.db, registry.store, registry.iris)
        if not report.ok:
            raise DumpBroken(f"{path}: the restored registry does not verify: " + "; ".join(report.problems[:5]))
    except SyntaxError as exc:  # checked above: only a remote engine reading it otherwise gets here
        raise DumpBroken(f"{path}: the graph store refused the dump's N-Quads: {exc}") from None
    finally:
        registry.close()
    return counts, loaded


def _move_into_place(staging: Path, settings: Any) -> None:
    """Moves the restored registry database and graph store from ``staging`` into the data folder.

    The graph first, the database last: a folder without its database is no data folder, so an
    interruption in between leaves nothing that opens as an (empty) registry.
    """
    database = settings.database_path.name
    conn = sqlite3.connect(staging / database)
    try:  # one file: no write-ahead log to move beside it
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()
    for name in ("-wal", "-shm", "-journal"):  # of an empty database an earlier attempt left (checked)
        (settings.data_dir / (database + name)).unlink(missing_ok=True)
    for entry in sorted(staging.iterdir(), key=lambda p: p.name.startswith(database)):
        target = settings.data_dir / entry.name
        if target.is_dir():  # an empty store left by an earlier attempt (``_target_empty`` checked it)
            shutil.rmtree(target)
        os.replace(entry, target)
    staging.rmdir()
