"""Restore a dump (a folder, a tar of one, or an older single-file dump) or a backup into an empty data folder.

A restore is made in a staging folder inside the data folder, checked (counts against the manifest or
trailer, ``index.rebuild.verify``), and only then moved into place: a failed restore leaves the data folder as
it was (with a remote graph store the error names what to clear there).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..db import RESTORE_LOCK, Database
from ..errors import Conflict, IgsnGraphError, StorageFailure
from ..index.rebuild import verify
from ..iris import Iris
from ..store import history
from . import backup, dump_v2
from .datadir import rebuild_indexes
from .dump import ACCOUNTS_FILE, GRAPH, HISTORY, PARTS, REGISTRY_FILE, check, is_dump
from .graph_file import GraphFileBroken, load_graph
from .history_file import read_history
from .tables import ACCOUNTS, REGISTRY, TABLES, DumpBroken, inserter, read_tables

__all__ = ["restore", "STAGING"]

#: the folder inside the data folder a restore is built in before it is moved into place
STAGING = ".restore-incomplete"
#: where a tar of a dump is unpacked inside the staging folder
_UNPACKED = "dump"


def _target_empty(settings: Any) -> None:
    """Refuses a data folder (or PostgreSQL database) that holds registry data (accounts, history, samples, any
    graph)."""
    if settings.shared_database or settings.database_path.exists():
        db = Database(settings.database_target)
        try:
            conn = db.read()
            if (
                conn.execute("SELECT COUNT(*) FROM meta WHERE key = 'iri_base'").fetchone()[0]
                or conn.execute("SELECT COUNT(*) FROM agents").fetchone()[0]
                or conn.execute("SELECT COUNT(*) FROM versions").fetchone()[0]
            ):
                where = "the PostgreSQL registry database" if settings.shared_database else str(settings.data_dir)
                raise Conflict(f"{where} is not empty: restore only into an empty data folder and database")
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
    with _sole_restore(settings):
        return _restore(settings, path)


@contextmanager
def _sole_restore(settings: Any) -> Iterator[None]:
    """Holds the data folder (``flock`` on it) and, on PostgreSQL, the database (an advisory lock of its own, not
    the write lock: the staged registry takes that) for the whole restore, or raises ``Conflict`` at once: two
    restores at the same time would each find the target empty, and a failing one empties the database the other
    filled."""
    folder = os.open(settings.data_dir, os.O_RDONLY)
    try:
        try:
            fcntl.flock(folder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Conflict(f"another restore into {settings.data_dir} is under way") from None
        if not settings.shared_database:
            yield
            return
        from ..db.postgres import AdvisoryLock

        lock = AdvisoryLock(settings.database_target, RESTORE_LOCK)
        try:
            if not lock.try_acquire():
                raise Conflict("another restore into the PostgreSQL registry database is under way")
            try:
                yield
            finally:
                lock.release()
        finally:
            lock.close()
    finally:
        os.close(folder)  # and the flock with it


def _restore(settings: Any, path: Path) -> dict[str, int]:
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
        _empty_shared_database(settings)
        if remote and loaded:
            message = exc.message if isinstance(exc, IgsnGraphError) else str(exc)
            raise StorageFailure(
                f"restore failed: {message}; the graph store {settings.store} holds part of "
                "the dump's graph: clear it before restoring again"
            ) from exc
        raise
    except BaseException:  # interrupted: the staging folder is no part of the data either
        shutil.rmtree(staging, ignore_errors=True)
        _empty_shared_database(settings)
        raise
    return counts


def _empty_shared_database(settings: Any) -> None:
    """PostgreSQL has no staging file: a failed restore empties the database it found empty (``_target_empty``)."""
    if settings.shared_database:
        db = Database(settings.database_target)
        try:
            db.clear()
        finally:
            db.close()


def _restore_into(settings: Any, path: Path) -> tuple[dict[str, int], bool]:
    """Restores into the (staging) data folder of ``settings``; counts, and whether the graph was loaded."""
    path = Path(path)
    if backup.is_backup(path):
        return backup.restore_into(settings, path)
    if path.is_file() and _is_tar(path):
        from .dump_stream import extract

        unpacked = settings.data_dir / _UNPACKED
        with open(path, "rb") as f:
            extract(f, unpacked, set(PARTS))
        path = unpacked
    if is_dump(path):
        return _restore_dump(settings, path)
    if path.is_dir():
        raise DumpBroken(f"{path} is neither a dump nor a backup (no manifest.json, or one of another kind)")
    return _restore_legacy(settings, path)


def _is_tar(path: Path) -> bool:
    import tarfile

    try:
        return tarfile.is_tarfile(path)
    except OSError:
        return False


def _restore_dump(settings: Any, path: Path) -> tuple[dict[str, int], bool]:
    counts = check(path)  # every statement parsed and every count checked before anything is written
    db = Database(settings.database_target)
    try:
        with db.write() as w:
            insert = inserter(w)
            read_tables(path / ACCOUNTS_FILE, ACCOUNTS, insert)
            read_tables(path / REGISTRY_FILE, REGISTRY, insert)
            row = w.execute("SELECT value FROM meta WHERE key = 'iri_base'").fetchone()
        if row is None:
            raise DumpBroken(f"{path}: {REGISTRY_FILE} holds no IRI base")

        def add(versions: list[history.Version]) -> None:
            with db.write(durable=False) as w:  # a staging folder: synced once it is complete
                history.add_versions(w, versions)

        read_history(path / HISTORY, Iris(row[0]), add)
    finally:
        db.close()
    return _load_graph(settings, path, counts, lambda store: load_graph(store, path / GRAPH))


def _restore_legacy(settings: Any, path: Path) -> tuple[dict[str, int], bool]:
    db = Database(settings.database_target)
    try:
        with db.write() as w:
            counts, nquads = dump_v2.read_into(path, inserter(w), TABLES)
    finally:
        db.close()
    return _load_graph(settings, path, counts, lambda store: store.load_nquads(nquads))


def _load_graph(settings: Any, path: Path, counts: dict[str, int], load: Any) -> tuple[dict[str, int], bool]:
    """Opens the staged registry, loads the graph, rebuilds the catalogue and verifies it all."""
    from .service import Registry  # the service module imports this one's siblings only

    registry = Registry(settings)
    loaded = False
    try:
        # opening the registry publishes the (restored) accounts graph; any sample graph means not empty
        for prefix in (registry.iris.record_graph("").value, registry.iris.provenance_graph("").value):
            if next(iter(registry.store.graphs_with_prefix(prefix)), None) is not None:
                raise Conflict("the graph store is not empty: restore only into an empty one")
        loaded = True
        load(registry.store)
        counts["catalogue"] = rebuild_indexes(registry.db, registry.store, registry.iris)
        report = verify(registry.db, registry.store, registry.iris)
        if not report.ok:
            raise DumpBroken(f"{path}: the restored registry does not verify: " + "; ".join(report.problems[:5]))
    except GraphFileBroken as exc:
        raise DumpBroken(exc.message) from None
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
    if not settings.shared_database:  # on PostgreSQL the registry is restored in place: nothing to move
        conn = sqlite3.connect(staging / database)
        try:  # one file: no write-ahead log to move beside it
            conn.execute("PRAGMA journal_mode=DELETE")
        finally:
            conn.close()
    for name in ("-wal", "-shm", "-journal"):  # of an empty database an earlier attempt left (checked)
        (settings.data_dir / (database + name)).unlink(missing_ok=True)
    shutil.rmtree(staging / _UNPACKED, ignore_errors=True)  # a tar unpacked to restore from: no part of the data
    for entry in sorted(staging.iterdir(), key=lambda p: p.name.startswith(database)):
        target = settings.data_dir / entry.name
        if target.is_dir():  # an empty store left by an earlier attempt (``_target_empty`` checked it)
            shutil.rmtree(target)
        os.replace(entry, target)
    staging.rmdir()
