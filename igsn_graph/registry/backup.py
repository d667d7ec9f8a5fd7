"""Online backups: the registry as it was at one point of its journal, taken while it serves.

A backup is a folder:

* ``registry.sqlite`` — the registry database (accounts, history, catalogue, search, drafts, harvest sources),
  copied by SQLite's online backup API from the state a snapshot pinned (``registry.snapshot``);
* ``graph/`` — the embedded graph store's RocksDB checkpoint (hard links when the backup is on the data
  folder's file system, a copy otherwise), openable as a pyoxigraph ``Store``; with a remote engine instead
  ``graph.nq.gz``, the engine's whole dataset as N-Quads, read while writes wait (an engine has no checkpoint);
* ``manifest.json`` — what it is, the journal position, counts, the versions of the software that wrote it.

The write lock is held only while the snapshot is taken (embedded store), not while anything is copied. The
folder is written as ``<target>.partial`` and takes its name once complete. Not in a backup: the OAI-PMH
document cache (derived; rebuilt on use) and the settings (environment or configuration file).
``igsn-graph restore`` of the folder puts it back into an empty data folder (``restore_into``).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyoxigraph

from .. import __version__
from ..errors import Conflict, InvalidInput
from ..index.rebuild import verify
from .graph_file import fsync, load_graph, write_graph
from .new_folder import new_folder, write_manifest
from .snapshot import journal_position, remove_stale, snapshot

__all__ = ["FORMAT", "backup", "is_backup", "read_manifest", "restore_into", "BackupBroken"]

FORMAT = "igsn-graph-backup"
VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "registry.sqlite"


class BackupBroken(InvalidInput):
    """A backup folder that cannot be restored (no manifest, a part missing, counts that do not add up)."""


def software() -> dict[str, str]:
    """The versions of what wrote a backup or dump (a restore by a later version can tell what it reads)."""
    return {"igsn-graph": __version__, "pyoxigraph": pyoxigraph.__version__, "sqlite": sqlite3.sqlite_version}


def counts_of(conn: sqlite3.Connection) -> dict[str, int]:
    """The rows a restore must find again: samples, versions, accounts, drafts."""
    return {
        table: int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        for table in ("catalogue", "versions", "agents", "clients", "namespaces", "draft", "harvest_source")
    }


def backup(registry: Any, target: Path) -> dict[str, Any]:
    """Writes a backup of the (running) registry to the folder ``target``, which must not exist; its manifest."""
    if registry.settings.shared_database:
        raise InvalidInput(
            "a backup copies the SQLite registry file; the registry is on PostgreSQL: take a dump "
            "(`igsn-graph dump`, restorable into either database) or back the database up with pg_dump"
        )
    with new_folder(target, "backup") as partial:
        remove_stale(registry.settings.data_dir)
        started = datetime.now(timezone.utc)
        with snapshot(registry, open_graph=False) as snap:
            manifest: dict[str, Any] = {
                "format": FORMAT,
                "version": VERSION,
                "created": started.isoformat(timespec="seconds").replace("+00:00", "Z"),
                "journal": snap.position,
                "iri_base": registry.iris.base,
                "store": "embedded" if snap.embedded else registry.settings.store,
                "software": software(),
                "counts": counts_of(snap.db),
            }
            if snap.checkpoint is not None:
                _move_or_copy(snap.checkpoint, partial / "graph")
                manifest["graph"] = "graph/"
            elif snap.embedded:  # served read-only: nothing changes it, checkpointed straight into the backup
                registry.store.raw.backup(str(partial / "graph"))
                manifest["graph"] = "graph/"
            else:  # the lock is still held: the engine's graph is read as it is at the snapshot
                manifest["graph"] = "graph.nq.gz"
                manifest["counts"]["quads"] = write_graph(snap.store.dump_nquads(), partial / "graph.nq.gz")
            copy = sqlite3.connect(partial / DATABASE)
            try:
                snap.db.backup(copy)  # from the pinned read transaction: the state at the snapshot
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                copy.close()
        fsync(partial / DATABASE)
        manifest["seconds"] = round((datetime.now(timezone.utc) - started).total_seconds(), 3)
        write_manifest(partial, MANIFEST, manifest)
    return manifest


def _move_or_copy(checkpoint: Path, target: Path) -> None:
    """The checkpoint folder moved to ``target`` (same file system), or copied there."""
    try:
        os.replace(checkpoint, target)
    except OSError:
        shutil.copytree(checkpoint, target)


def _link_or_copy(source: str, target: str) -> None:
    """RocksDB never changes an SST file once written: those are hard-linked where they can be, the rest copied."""
    if source.endswith(".sst"):
        try:
            os.link(source, target)
            return
        except OSError:
            pass
    shutil.copy2(source, target)


def read_manifest(path: Path) -> dict[str, Any] | None:
    """The manifest of a backup or dump folder, or None when ``path`` is no such folder."""
    file = Path(path) / MANIFEST
    if not file.is_file():
        return None
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupBroken(f"{file} cannot be read: {exc}") from None
    return manifest if isinstance(manifest, dict) else None


def is_backup(path: Path) -> bool:
    manifest = read_manifest(path) if Path(path).is_dir() else None
    return manifest is not None and manifest.get("format") == FORMAT


def restore_into(settings: Any, path: Path) -> tuple[dict[str, int], bool]:
    """Restores a backup folder into the (staging) data folder of ``settings``; counts, and whether a remote
    engine was loaded. Checked against the manifest and ``index.rebuild.verify``."""
    from .service import Registry  # the service module imports this one's siblings only

    if settings.shared_database:
        raise InvalidInput(
            f"{path} is a backup, which holds an SQLite registry file; to move a registry into PostgreSQL "
            "restore a dump of it (`igsn-graph dump`)"
        )
    manifest = read_manifest(path) or {}
    if manifest.get("version") != VERSION:
        raise BackupBroken(f"{path} is a backup of version {manifest.get('version')}, not {VERSION}")
    database = path / DATABASE
    graph = path / str(manifest.get("graph", ""))
    if not database.is_file() or not graph.exists() or not str(manifest.get("graph", "")):
        raise BackupBroken(f"{path} is incomplete: {DATABASE} or {manifest.get('graph') or 'the graph'} is missing")
    shutil.copy2(database, settings.database_path)
    remote = settings.store not in ("", "embedded")
    if not remote:
        if not graph.is_dir():
            raise BackupBroken(f"{path} holds the graph of a remote engine ({graph.name}), not a store folder")
        shutil.copytree(graph, settings.graph_dir, copy_function=_link_or_copy)
    registry = Registry(settings)
    loaded = False
    try:
        if remote:
            for prefix in (registry.iris.record_graph("").value, registry.iris.provenance_graph("").value):
                if next(iter(registry.store.graphs_with_prefix(prefix)), None) is not None:
                    raise Conflict("the graph store is not empty: restore only into an empty one")
            if graph.is_dir():
                raise BackupBroken(f"{path} holds an embedded store's folder: restore it with the embedded store")
            loaded = True
            load_graph(registry.store, graph)
        counts = counts_of(registry.db.read())
        expected = manifest.get("counts", {})
        differs = {k: (counts[k], expected[k]) for k in counts if k in expected and expected[k] != counts[k]}
        if differs:
            raise BackupBroken(f"{path}: the restored registry holds {differs} (restored, in the manifest)")
        report = verify(registry.db, registry.store, registry.iris)
        if not report.ok:
            raise BackupBroken(f"{path}: the restored registry does not verify: " + "; ".join(report.problems[:5]))
        counts["journal_seq"] = int(journal_position(registry.db.read(), registry.db)["seq"])
    finally:
        registry.close()
    return counts, loaded
