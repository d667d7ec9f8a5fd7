"""A consistent read-only view of a running registry, taken at one point of its journal.

Writes hold the registry's write lock from journaling to the last SQLite transaction, so under that lock no
write is in flight. A snapshot takes the lock only for an instant: it pins the SQLite database's state with a
read transaction on a connection of its own (WAL: writers go on, this connection keeps seeing the pinned
state) and checkpoints the embedded graph store (``Store.backup``: hard links to RocksDB's immutable files
in a folder beside the store). Then the lock is released, and backup, dump and verify read the pinned
database and the checkpoint while the server keeps writing.

A remote graph engine offers no checkpoint: its snapshot keeps the write lock until it is closed, so the
engine's graph does not change while it is read (writes wait; reads go on).
"""

from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..db import POSTGRESQL, Database, connect_read_only
from ..store.base import GraphStore
from ..store.oxigraph import OxigraphStore

__all__ = ["Snapshot", "snapshot", "journal_position", "remove_stale", "SCRATCH_PREFIX"]

#: folders of graph checkpoints inside the data folder (same file system: hard links), removed after use
SCRATCH_PREFIX = ".snapshot-"
_serial = itertools.count(1)


@dataclass
class Snapshot:
    """The pinned database connection, the graph as it was at that instant, and where in the journal that is."""

    db: sqlite3.Connection
    store: GraphStore
    #: the last journaled write (``seq``) and the last datestamp given out, at the snapshot
    position: dict[str, Any]
    #: the checkpoint folder of the embedded store (None with a remote engine, or a registry served read-only)
    checkpoint: Path | None
    embedded: bool


def journal_position(conn: sqlite3.Connection, db: Database | None = None) -> dict[str, Any]:
    """How far the journal had got: the sequence number of the last journaled write and the last datestamp.

    ``db``: the database ``conn`` belongs to, when it may be PostgreSQL (without it: SQLite)."""
    if db is not None:
        seq = db.journal_seq(conn)
    else:
        row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'journal'").fetchone()
        seq = int(row[0]) if row else 0
    stamp = conn.execute("SELECT MAX(datestamp) FROM versions").fetchone()
    return {"seq": seq, "datestamp": stamp[0] if stamp else None}


def _pinned(path: Path, *, read_only: bool) -> sqlite3.Connection:
    """A connection of its own whose read transaction holds the database's current state until it is closed
    (``read_only``: one that writes nothing into the folder, for a registry served read-only)."""
    conn = (
        connect_read_only(path)
        if read_only
        else sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    )
    conn.row_factory = sqlite3.Row
    conn.execute("BEGIN")
    conn.execute("SELECT COUNT(*) FROM meta").fetchone()  # the read transaction starts at the first read
    return conn


@contextmanager
def snapshot(registry: Any, *, open_graph: bool = True) -> Iterator[Snapshot]:
    """The registry at one point of its journal (see the module text); everything is released on exit.

    ``open_graph=False``: the checkpoint is taken but not opened (``store`` is then the live store; a backup
    moves the checkpoint folder away).
    A journaled write a dead writer left is redone first (``Registry.writing``). A read-only registry takes
    no lock and no checkpoint, and writes nothing into its folder: nothing writes it (another process writing
    the folder would have kept it from opening the store).
    """
    settings = registry.settings
    embedded = isinstance(registry.store, OxigraphStore)
    with ExitStack() as stack:
        lock = stack.enter_context(ExitStack())
        lock.enter_context(nullcontext() if registry.read_only else registry.writing())
        if registry.db.dialect == POSTGRESQL:  # a REPEATABLE READ transaction holds the state instead
            conn = registry.db.pinned()
        else:
            conn = _pinned(settings.database_path, read_only=registry.read_only)
        stack.callback(conn.close)
        position = journal_position(conn, registry.db)
        checkpoint: Path | None = None
        store: GraphStore = registry.store
        if embedded and not registry.read_only:  # read-only: nothing writes, the store is read as it is
            checkpoint = settings.data_dir / f"{SCRATCH_PREFIX}{os.getpid()}-{next(_serial)}"
            shutil.rmtree(checkpoint, ignore_errors=True)  # left by a process of the same id that was killed
            stack.callback(shutil.rmtree, checkpoint, True)
            registry.store.raw.backup(str(checkpoint))
            lock.close()  # the checkpoint and the pinned database hold the state: writes may go on
            if open_graph:
                frozen = OxigraphStore(checkpoint, read_only=True)
                stack.callback(frozen.close)
                store = frozen
        # a remote engine: the lock stays until the snapshot is closed
        yield Snapshot(conn, store, position, checkpoint, embedded)


def remove_stale(data_dir: Path) -> None:
    """Removes checkpoint folders left by processes that were killed while they held a snapshot."""
    if not Path("/proc/self").exists():  # which processes live cannot be told: leave them
        return
    for entry in data_dir.glob(SCRATCH_PREFIX + "*"):
        pid = entry.name[len(SCRATCH_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(entry, ignore_errors=True)
