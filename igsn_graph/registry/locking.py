"""The registry's write lock: one writer at a time across threads and, with a shared data folder, processes.

With the embedded store, RocksDB's own lock already keeps other processes out. With a remote engine,
several API worker processes share the engine and the SQLite registry, so each write (check, version,
journal, graph, index) also holds an exclusive ``flock`` on ``<data>/write.lock``.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from types import TracebackType

__all__ = ["WriteLock"]


class WriteLock:
    """Re-entrant within a thread; exclusive across threads and processes."""

    def __init__(self, path: Path | None) -> None:
        self._thread_lock = threading.RLock()
        self._path = path
        self._fd: int | None = None
        self._depth = 0
        self._owner: int | None = None

    def held(self) -> bool:
        """Whether this thread holds the lock (its writes then run directly, not in a group)."""
        return self._owner == threading.get_ident()

    def __enter__(self) -> WriteLock:
        self._thread_lock.acquire()
        if self._depth == 0 and self._path is not None:
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                os.close(fd)
                self._thread_lock.release()
                raise
            self._fd = fd
        self._depth += 1
        self._owner = threading.get_ident()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
                self._fd = None
        self._thread_lock.release()
