"""The registry's write lock: one writer at a time across threads and, where the registry is shared, processes.

With the embedded store and the SQLite database, RocksDB's own lock already keeps other processes out. With a
remote engine and the SQLite database, several API worker processes share the engine and the SQLite file, so each
write (check, version, journal, graph, index) also holds an exclusive ``flock`` on ``<data>/write.lock``
(``FileLock``). With the database on PostgreSQL, nodes on any machine share it, so the lock is PostgreSQL's: a
session-level advisory lock (``db.postgres.AdvisoryLock``) held for the whole write — it spans the write's several
transactions (journal entry, graph, index), and the server releases it when the holding node dies, as the kernel
releases a dead process's ``flock``.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Protocol

__all__ = ["FileLock", "ProcessLock", "WriteLock"]


class ProcessLock(Protocol):
    """An exclusive lock between processes (not re-entrant; ``WriteLock`` takes it once per outermost entry)."""

    def acquire(self) -> None: ...

    def release(self) -> None: ...


class FileLock:
    """``flock`` on a file every process of one data folder opens."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


#: how often a thread waiting for the write lock calls the holder's hook again (``WriteLock.waiters_call``)
_HOOK_EVERY_S = 0.05


class WriteLock:
    """Re-entrant within a thread; exclusive across threads and (with ``across``) processes.

    ``across``: a ``ProcessLock``, or a path for a ``FileLock``; None: threads of this process only.
    """

    def __init__(self, across: Path | ProcessLock | None) -> None:
        self._thread_lock = threading.RLock()
        self._across: ProcessLock | None = FileLock(across) if isinstance(across, Path) else across
        self._depth = 0
        self._owner: int | None = None
        self._on_wait: Callable[[], None] | None = None

    @contextmanager
    def waiters_call(self, hook: Callable[[], None]) -> Iterator[None]:
        """While the calling thread holds the lock: a thread of this process that must wait for it calls ``hook``
        first, and again every ``_HOOK_EVERY_S`` while it waits. The restamp's worker runs in the idle scheduling
        class; while it stamps a batch under this lock, a registration waiting for the lock raises it to normal
        priority (``BatchWorker.boost``), or on a busy machine the registration would wait on a process that gets
        no processor time."""
        assert self.held(), "only the holder says who its waiters call"
        self._on_wait = hook
        try:
            yield
        finally:
            self._on_wait = None

    def settle(self, timeout_s: float) -> bool:
        """Waits until no thread of this process is inside a write (at most ``timeout_s``); whether none is.
        The group committer answers its last callers before it leaves its hold: whoever closes the registry
        then must not close the database under it."""
        if not self._thread_lock.acquire(timeout=timeout_s):
            return False
        self._thread_lock.release()
        return True

    def held(self) -> bool:
        """Whether this thread holds the lock (its writes then run directly, not in a group)."""
        return self._owner == threading.get_ident()

    def __enter__(self) -> WriteLock:
        if not self._thread_lock.acquire(blocking=False):
            # asked again while it waits: the holder may say whom to call only after this thread began to wait,
            # or take the lock again before it (hooks may be called more than once)
            while True:
                hook = self._on_wait
                if hook is not None:
                    hook()
                if self._thread_lock.acquire(timeout=_HOOK_EVERY_S):
                    break
        if self._depth == 0 and self._across is not None:
            try:
                self._across.acquire()
            except BaseException:
                self._thread_lock.release()
                raise
        self._depth += 1
        self._owner = threading.get_ident()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            try:
                if self._across is not None:
                    self._across.release()
            finally:  # whatever the release raised, this process's writers must not hang behind it
                self._thread_lock.release()
            return
        self._thread_lock.release()
