"""Point-in-time copies of the embedded graph store that SPARQL query workers open read-only.

A second process must not open a RocksDB folder that the server writes (undefined behaviour, pyoxigraph
says), so query workers read checkpoints instead: ``Store.backup`` hard-links the store's files into a new
folder in a few tens of milliseconds, whatever the store's size, and nobody writes a checkpoint after.

Freshness: a query sees every write acknowledged before it arrived. Every registry write changes the graph
inside ``Registry.writing()`` (the write lock) and commits to the registry database there, so a checkpoint
taken while holding that lock is exact, and is labelled with the database's ``PRAGMA data_version``: while
that number stays the same, nothing was written and queries use the checkpoint they have. Otherwise a query
takes a new checkpoint, or shares one begun after it arrived. A checkpoint waits at most ``LOCK_WAIT_S`` for
the lock: when a long write holds it (a bulk load, a restamp), queries do not wait for that write; the
checkpoint is taken at once (it holds every write acknowledged before it began) but is not labelled, so the
next query takes another. A checkpoint no worker reads any more is removed; the folder is emptied at start.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["LOCK_WAIT_S", "DataVersion", "Snapshot", "Snapshots"]

#: how long a checkpoint waits for the registry's write lock before it is taken without it
LOCK_WAIT_S = 0.05
#: tries of one checkpoint (see ``Snapshots._backup``)
BACKUP_ATTEMPTS = 3


class DataVersion:
    """``PRAGMA data_version`` of an SQLite database on a connection of its own: it changes whenever another
    connection commits."""

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()


@dataclass(frozen=True)
class Snapshot:
    path: Path
    version: int | None  # None: taken while a write may have been half done (fresh for no later query)
    taken: float  # time.time() when it was taken
    started: float  # time.monotonic() when it was begun: it holds every write acknowledged before


class _TryLock:
    """Enters ``lock()`` (a context manager without a non-blocking form) in a thread of its own, waiting at
    most ``wait`` seconds; ``held`` tells whether it got in. Leaving lets that thread leave the lock, at once
    or as soon as it gets in. ``previous``: while the attempt before this one still waits for the lock, this
    one does not try (one thread waits behind a long write, not one per checkpoint)."""

    def __init__(self, lock: Callable[[], AbstractContextManager[Any]], wait: float, previous: _TryLock | None) -> None:
        self._lock, self._wait = lock, wait
        self._inside, self._leave, self.done = threading.Event(), threading.Event(), threading.Event()
        self.skipped = previous is not None and not previous.done.is_set()
        self.held = False

    def _hold(self) -> None:
        try:
            with self._lock():
                self._inside.set()
                self._leave.wait()
        except Exception:  # noqa: BLE001 - e.g. the registry closed: the checkpoint is just not trusted
            pass
        finally:
            self.done.set()

    def __enter__(self) -> _TryLock:
        if self.skipped:
            self.done.set()
            return self
        threading.Thread(target=self._hold, name="sparql-snapshot-lock", daemon=True).start()
        self.held = self._inside.wait(self._wait)
        return self

    def __exit__(self, *exc: object) -> None:
        self._leave.set()


class Snapshots:
    """Checkpoints of ``store`` (a pyoxigraph ``Store``) in ``folder``; ``version`` and ``lock`` as above."""

    def __init__(
        self, store: Any, folder: Path, version: Callable[[], int], lock: Callable[[], AbstractContextManager[Any]]
    ) -> None:
        self._store = store
        self.folder = folder
        self._version = version
        self._lock = lock
        shutil.rmtree(folder, ignore_errors=True)  # left by a server that stopped without cleaning up
        folder.mkdir(parents=True, exist_ok=True)
        self._seq = 0
        self.current: Snapshot | None = None
        self._in_use: dict[Path, int] = {}
        self._creating: Path | None = None
        self._guard = threading.Lock()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sparql-snapshot")
        self._pending: asyncio.Future[Snapshot] | None = None
        self._waiting: _TryLock | None = None
        #: checkpoints taken, and the time the last one took (seconds), for /health and the bench
        self.taken = 0
        self.last_duration_s = 0.0

    def fresh_enough(self) -> Snapshot | None:
        """The current checkpoint if no write happened since it was taken (one SQLite pragma), else None."""
        snap = self.current
        return snap if snap is not None and snap.version is not None and snap.version == self._version() else None

    async def fresh(self) -> Snapshot:
        """A checkpoint holding every write acknowledged before this call: the current one when nothing was
        written since, else one begun after this call (concurrent callers share it)."""
        arrived = time.monotonic()
        while True:
            snap = self.fresh_enough()
            if snap is not None:
                return snap
            current = self.current
            if current is not None and current.started >= arrived:
                return current
            if self._pending is None or self._pending.get_loop() is not asyncio.get_running_loop():
                self._pending = asyncio.wrap_future(self._thread.submit(self._take))
            pending = self._pending
            try:
                await asyncio.shield(pending)
            finally:
                if self._pending is pending and pending.done():
                    self._pending = None

    def _take(self) -> Snapshot:
        start = time.monotonic()
        # RocksDB flushes the memtables into every checkpoint; flushed here first, before the write lock, the
        # checkpoint's own flush has little left and writes wait on it a third as long (median 155 -> 48 ms,
        # 2,000 demo samples, three writes between checkpoints, load 7)
        self._store.flush()
        with _TryLock(self._lock, LOCK_WAIT_S, self._waiting) as lock:
            if not lock.held and not lock.skipped:
                self._waiting = lock  # its thread waits behind a long write: the next ones do not try
            version: int | None = self._version()
            current = self.current
            if current is not None and current.version == version:
                return current
            if not lock.held:
                version = None
            path = self._backup()
        snap = Snapshot(path, version, time.time(), start)
        with self._guard:
            self.current = snap
            self._creating = None
            self.taken += 1
            self.last_duration_s = time.monotonic() - start
        self._collect()
        return snap

    def _backup(self) -> Path:
        """A new checkpoint folder. RocksDB sometimes lists a file that its compaction removes before the link
        is made ("No such file or directory: while link file"): the checkpoint is taken again, in a new folder
        (the half-made one is collected)."""
        for attempt in range(BACKUP_ATTEMPTS):
            with self._guard:
                self._seq += 1
                path = self._creating = self.folder / f"{self._seq:08d}"
            try:
                self._store.backup(str(path))
                return path
            except OSError:
                with self._guard:
                    self._creating = None
                if attempt + 1 == BACKUP_ATTEMPTS:
                    raise
            except BaseException:
                with self._guard:
                    self._creating = None
                raise
        raise AssertionError("unreachable")

    # -- the query workers' source (sparql_workers.Source) -------------------------------------------
    async def spec(self) -> dict[str, Any]:
        """What a worker opens for a query arriving now: the fresh checkpoint."""
        return {"path": str((await self.fresh()).path)}

    def spec_now(self) -> dict[str, Any] | None:
        """The current checkpoint without waiting (a new worker opens it ahead of its first query)."""
        return {"path": str(self.current.path)} if self.current is not None else None

    def hold(self, spec: dict[str, Any]) -> None:
        """A worker opened this checkpoint."""
        path = Path(spec["path"])
        with self._guard:
            self._in_use[path] = self._in_use.get(path, 0) + 1

    def release(self, spec: dict[str, Any]) -> None:
        """A worker closed this checkpoint (it moved to a newer one, or it was stopped)."""
        path = Path(spec["path"])
        with self._guard:
            left = self._in_use.get(path, 0) - 1
            if left > 0:
                self._in_use[path] = left
            else:
                self._in_use.pop(path, None)
        self._collect()

    def _collect(self) -> None:
        with self._guard:
            keep = set(self._in_use) | {p for p in (self._creating, getattr(self.current, "path", None)) if p}
            old = [p for p in self.folder.iterdir() if p not in keep]
        for path in old:
            shutil.rmtree(path, ignore_errors=True)

    def close(self) -> None:
        self._thread.shutdown(wait=True, cancel_futures=True)
        # the app object outlives its lifespan (a test restarts it; uvicorn keeps it): holding the store here
        # would keep RocksDB's lock on the data folder after the registry closed
        self._store = None
        shutil.rmtree(self.folder, ignore_errors=True)
        close = getattr(self._version, "close", None)
        if close is not None:
            close()
