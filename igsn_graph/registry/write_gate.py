"""When this process may write: the read-only decision, the one write lock, and the journal's interrupted writes
redone under that lock before any write reads the state it builds on.

A registry is read-only when asked (a replica, a snapshot) or when its data folder cannot be written (a read-only
mount, a recovery): then nothing is written into the folder and every write is refused with ``ReadOnly``. One
writer at a time: ownership checks, quota counts and version numbers need a stable view; with a remote engine
other processes may share the data folder, and with the database on PostgreSQL other nodes share the registry,
so the lock spans processes and machines (``registry.locking``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import ReadOnly
from ..settings import Settings
from .datadir import unwritable
from .journal import Journal
from .locking import WriteLock

__all__ = ["WriteGate", "read_only_refusal"]

log = logging.getLogger("igsn_graph.registry")


def read_only_refusal(settings: Settings) -> str | None:
    """The message every write is refused with when the registry must open read-only (logged); None: writable."""
    blocked = unwritable(settings)
    if not settings.read_only and blocked is None:
        return None
    log.warning(
        "opening %s read-only (%s): every write is refused",
        settings.data_dir,
        "setting read_only" if settings.read_only else f"{blocked} is not writable",
    )
    if settings.read_only:
        return "the registry is read-only: this server only serves reads (setting read_only)"
    return (
        "the registry is read-only: its data folder is not writable; writes return when the server is "
        "started on a writable data folder"
    )


class WriteGate:
    """The way into every write of one registry: refused when read-only, else the write lock, after redoing any
    journaled write a dead (or failed) writer left behind."""

    def __init__(self, settings: Settings, journal: Journal, refusal: str | None) -> None:
        self.journal = journal
        self.refusal = refusal
        # PostgreSQL: nodes anywhere share the registry, so its advisory lock; a remote engine with the SQLite
        # file: worker processes on this machine, so a lock file in the data folder (registry.locking)
        if settings.shared_database:
            self.lock = WriteLock(journal.db.process_lock())
        else:
            shared = settings.store not in ("", "embedded")
            self.lock = WriteLock(settings.data_dir / "write.lock" if shared else None)
        #: interrupted writes redone from the journal since the registry opened
        self.repaired = 0

    @property
    def read_only(self) -> bool:
        return self.refusal is not None

    def check(self) -> None:
        """``ReadOnly`` (logged) when no write may start."""
        if self.refusal is not None:
            log.warning("write refused: %s", self.refusal)
            raise ReadOnly(self.refusal)

    def open(self, settings: Settings) -> bool:
        """At start: redoes the journal's interrupted writes under the lock (another process's write in flight is
        not an interrupted one); whether the registry may write. Read-only, they wait for a writable start."""
        if self.refusal is not None:
            pending = self.journal.pending()
            if pending:
                # never acknowledged, so nothing is lost; reads show the state before them until repaired
                log.warning(
                    "%d interrupted write(s) are journaled in %s and cannot be repaired read-only; "
                    "start once on a writable data folder to repair them",
                    pending,
                    settings.data_dir,
                )
            return False
        with self.lock:
            self.repaired = self.journal.recover()
            self.journal.release(force=True)  # a datestamp reserved by a writer that died before journaling
        return True

    @contextmanager
    def writing(self) -> Iterator[None]:
        """The write lock, after redoing any journaled write a dead (or failed) writer left behind.

        A pending journal entry seen under the lock is never another writer's write in flight, and it must be
        applied before this write reads the state it builds on. ``ReadOnly`` in read-only mode.
        """
        self.check()
        with self.lock:
            if self.journal.pending():
                self.repaired += self.journal.recover()
            elif self.journal.inflight() is not None:
                self.journal.release(force=True)  # left by a writer that died before journaling
            try:
                yield
            finally:
                self.journal.release()  # the write was refused or was only a test
