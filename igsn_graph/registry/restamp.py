"""Restamping: new datestamps, and nothing else, for every harvestable record when its documents change
without a registration.

OAI-PMH promises that a record whose metadata changed carries a newer datestamp, so incremental harvests
pick it up. A record's documents change not only when it is registered again but also when a writer's code
(a format's ``revision`` in ``formats.table``) or a crosswalk or code list the writers read in ``mappings/``
changes; ``formats.table.fingerprint`` names these, and the data folder remembers the fingerprint its datestamps were
issued under. The public URL is not part of it: no document names it (only OAI ``baseURL``, ``Link`` headers
and landing pages do, computed per request), so moving the server restamps nothing. Inverse relations
computed at read time never restamp anything either.

A datestamp is not a version: the history records content changes only. So a restamp writes no history
version and no PROV activity. Nor does it touch the graph: the datestamp is the catalogue's (the OAI header's),
not part of a sample's description, and no graph holds it (``graph_datestamps`` drops what older data folders
kept; it runs first). Per batch of records (in IGSN order, the catalogue's physical order: ``_next_batch``;
under the write lock, registrations going on in between) a restamp reserves one new datestamp (``Journal.reserve``)
and changes the catalogue rows' datestamp (search rows keep none) in one database transaction of one range update,
which also moves the position and makes the stamp visible.

Resumable: the run is done up to ``restamp_after``, written in each batch's transaction, so a crash loses at
most the batch under way, which the next run does again. At the end, live records still dated before the run's
first stamp (the walk misses none, short of a position lost while a run was interrupted) are stamped too
(``_missed``). Deleted records (inactive or withdrawn) are left alone: their headers carry no metadata.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from ..db import SQLITE, Database
from ..formats.table import fingerprint
from ..index.catalogue import format_datestamp
from . import graph_datestamps
from .restamp_worker import BatchWorker, lower

if TYPE_CHECKING:
    from .journal import Journal
    from .service import Registry

__all__ = [
    "DEFAULT_BATCH",
    "DEFAULT_DUTY",
    "BatchStep",
    "NICENESS",
    "WRITER_CACHE_KIB",
    "RestampProgress",
    "RestampStatus",
    "Restamper",
    "adopt",
    "finish_interrupted",
    "lower_priority",
    "remaining",
    "rest_after",
    "restamp",
    "stamp_batch",
    "writer_cache",
    "status",
]

log = logging.getLogger("igsn_graph.restamp")

#: records per batch: one SQLite transaction each, under the write lock (~30 ms at a million records; half the
#: commits of 2000)
DEFAULT_BATCH = 5000
#: the share of the time a server's background restamp works while requests come in (it yields to them); with
#: none coming in it takes all of it, as the CLI does. At a million records under a saturating resolver load
#: (bench/restamp.py), a quarter kept 24,500-26,800 records/s and the resolver's p99 at x0.86-1.11 of after the
#: run; half gave 49,000-53,600 records/s and x0.97-1.62
DEFAULT_DUTY = 0.25
#: the writer's page cache during a run (KiB): the catalogue pages a batch rewrites (the walk's table
#: pages and the tails of the datestamp indexes) stay in memory from one batch to the next instead of being spilled
#: and read back; the working set grows with the records stamped per second, not with the catalogue
WRITER_CACHE_KIB = 65536
#: the background thread's niceness (Linux): when the run and the requests compete for a processor, the requests
#: get ~10 times its share (not the lowest priority: the run holds the write lock during a batch, which a
#: registration may be waiting for)
NICENESS = 10

_DONE = "projection_fingerprint"  # the fingerprint the current datestamps were issued under
_TARGET = "restamp_target"  # a restamp under way: towards this fingerprint…
_AFTER = "restamp_after"  # …done up to this IGSN (``_next_batch``)
_SINCE = "restamp_since"  # …whose first stamp this is: a live record stamped before it was missed (``_missed``)
_BATCH = "restamp_batch"  # left by a run of the code that also wrote graphs, interrupted (``finish_interrupted``)

#: what a restamp selects: live records with a description (deleted ones' headers carry no metadata)
_LIVE = "deleted = 0 AND has_metadata = 1"

#: stamps the batch after the position given, called under the write lock; returns how many records it held and
#: the new position (``stamp_batch`` in this process, ``restamp_worker.BatchWorker`` in a process of its own)
BatchStep = Callable[[str], tuple[int, str]]


@dataclass(frozen=True)
class RestampStatus:
    current: str
    recorded: str | None
    #: a restamp was started and not finished
    in_progress: bool

    @property
    def pending(self) -> bool:
        """The datestamps were issued under another fingerprint: harvesters would miss changed documents."""
        return self.recorded is not None and self.recorded != self.current


@dataclass(frozen=True)
class RestampProgress:
    """A restamp run by this process: how far, how fast, and when it is expected to end (UTC, whole seconds)."""

    running: bool
    done: int
    total: int
    started: str
    records_per_s: float
    expected_end: str | None


def status(registry: Registry, base_url: str | None = None) -> RestampStatus:
    """Whether the datestamps are current. ``base_url`` is ignored (no document names the public URL); it is
    accepted while callers still pass it."""
    db = registry.db
    in_progress = db.get_meta(_TARGET) is not None or db.get_meta(_BATCH) is not None
    return RestampStatus(fingerprint(), db.get_meta(_DONE), in_progress)


def adopt(registry: Registry, base_url: str | None = None) -> bool:
    """Records the current fingerprint when the data folder has none yet (new, or older than restamping).

    Returns True when it did. For a folder that has none, what its datestamps were issued under is
    unknown; taking the current fingerprint then is the only choice that does not restamp on a guess.
    ``base_url`` is ignored, as in ``status``.
    """
    with registry.db.write() as conn:
        cur = conn.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (_DONE, fingerprint()))
        return cur.rowcount == 1


def remaining(registry: Registry) -> int:
    """How many records a restamp (started, or resumed where it stopped) still has to stamp."""
    after = registry.db.get_meta(_AFTER) or ""
    return int(
        registry.db.read().execute(f"SELECT COUNT(*) FROM catalogue WHERE igsn > ? AND {_LIVE}", (after,)).fetchone()[0]
    )


def _next_batch(db: Database, after: str, limit: int) -> tuple[int, str]:
    """How many records the batch after ``after`` holds (at most ``limit``), and the position of the last.

    Keyset on the IGSN, the catalogue's primary key and physical order (SQLite: clustered; PostgreSQL, which keeps
    no row order, walks it too): each batch costs the same at the start and the end of 10 M rows, its rows are
    neighbours in the table, and as they get one datestamp they are appended to each datestamp index in order."""
    count, last = (
        db.read()
        .execute(
            f"SELECT COUNT(*), MAX(igsn) FROM (SELECT igsn FROM catalogue WHERE igsn > ? AND {_LIVE} "
            "ORDER BY igsn LIMIT ?) AS batch",
            (after, limit),
        )
        .fetchone()
    )
    return int(count), after if last is None else str(last)


def _commit_batch(db: Database, stamp: str, after: str, last: str) -> None:
    """Gives the records after ``after`` up to ``last`` the datestamp ``stamp`` (their catalogue rows: neighbours
    in the clustered table); the run is then done up to ``last`` and the stamp visible. One transaction, under the
    write lock (so the range holds exactly the records ``_next_batch`` counted): one range update.

    Not synced to disk (one fsync less per batch): lost with a power failure, the batch is done again from the
    position before it, which was synced with an earlier transaction or the run's start."""
    live, bounds = f"igsn > ? AND igsn <= ? AND {_LIVE}", (after, last)
    with db.write(durable=False) as conn:
        conn.execute(f"UPDATE catalogue SET datestamp = ? WHERE {live}", (stamp, *bounds))
        _done_up_to(conn, stamp, last)


def stamp_batch(db: Database, journal: Journal, after: str, limit: int) -> tuple[int, str]:
    """One batch (at most ``limit`` records after ``after``): a new datestamp reserved, the records given it; under
    the write lock. How many records it held and the position of the last (``after`` when none was left)."""
    count, last = _next_batch(db, after, limit)
    if count:
        _commit_batch(db, journal.reserve(), after, last)
    return count, last


def _done_up_to(conn: sqlite3.Connection, stamp: str, last: str) -> None:
    """The position, the run's first stamp, the stamp visible: the end of a batch's transaction."""
    conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_AFTER, last))
    conn.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (_SINCE, stamp))
    conn.execute("DELETE FROM meta WHERE key = 'inflight'")  # visible now (as the journal's step 3 does)
    prev = conn.execute("SELECT value FROM meta WHERE key = 'last_datestamp'").fetchone()
    if prev is None or prev[0] < stamp:
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('last_datestamp', ?)", (stamp,))


def _missed(registry: Registry, batch: int) -> int:
    """Stamps the live records the walk did not reach (none, unless a run's position was lost while it was
    interrupted): those still dated before the run's first stamp (every record written since has a later
    datestamp, and the writers' current documents). Through the datestamp index."""
    since = registry.db.get_meta(_SINCE)
    if since is None:
        return 0
    found = 0
    while True:
        with registry.writing():
            names = [
                r[0]
                for r in registry.db.read().execute(
                    f"SELECT igsn FROM catalogue WHERE datestamp < ? AND {_LIVE} ORDER BY datestamp, igsn LIMIT ?",
                    (since, batch),
                )
            ]
            if not names:
                return found
            stamp, marks = registry.journal.reserve(), ", ".join("?" * len(names))
            with registry.db.write(durable=False) as conn:
                conn.execute(f"UPDATE catalogue SET datestamp = ? WHERE igsn IN ({marks})", (stamp, *names))
                _done_up_to(conn, stamp, registry.db.get_meta(_AFTER) or "")
        found += len(names)
        log.warning("restamped %d records the walk had missed (its position lost?)", len(names))


def finish_interrupted(registry: Registry) -> int:
    """Clears what an interrupted run of the earlier restamp (which wrote graphs too) left in ``meta``; returns 0.

    Its SQLite half was one transaction with the position, so the run resumes from that position; what it
    wrote into graphs ``graph_datestamps`` drops."""
    if registry.db.get_meta(_BATCH) is None:
        return 0
    with registry.writing(), registry.db.write() as conn:
        conn.execute("DELETE FROM meta WHERE key = ?", (_BATCH,))
    return 0


@contextmanager
def writer_cache(db: Database) -> Iterator[None]:
    """The SQLite writer's page cache at ``WRITER_CACHE_KIB`` for the run, as it was afterwards."""
    if db.dialect != SQLITE:
        yield
        return
    with db.write(durable=False) as conn:
        before = int(conn.execute("PRAGMA cache_size").fetchone()[0])
        conn.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
    try:
        yield
    finally:
        with db.write(durable=False) as conn:
            conn.execute(f"PRAGMA cache_size = {before}")


def rest_after(took: float, *, pause: float, duty: float, busy: bool) -> float:
    """Seconds to rest after a batch that took ``took``: ``pause``, and while requests come in (``busy``) as much
    more as keeps the run at ``duty`` of the time."""
    return pause + (took * (1 - duty) / duty if busy else 0.0)


def lower_priority(niceness: int = NICENESS) -> bool:
    """Lowers the calling thread's CPU priority to ``niceness`` unless it is lower already (Linux: a thread has a
    niceness of its own); False where the system has no such thing or refuses."""
    return lower(threading.get_native_id(), niceness)


def restamp(
    registry: Registry,
    base_url: str | None = None,
    *,
    force: bool = False,
    batch: int = DEFAULT_BATCH,
    progress: Callable[[int], None] | None = None,
    stop: Callable[[], bool] | None = None,
    pause: float = 0.0,
    duty: float = 1.0,
    busy: Callable[[], bool] | None = None,
    graphs_changed: Callable[[list[str]], None] | None = None,
    step: BatchStep | None = None,
) -> int:
    """Gives every harvestable record a new datestamp if the fingerprint changed (or ``force``).

    Returns how many records were restamped. No history version is written (see the module). ``stop`` is
    asked between batches (a server shutting down); a stopped run is resumed by the next one. ``pause``
    (seconds) after each batch lets waiting writers take the lock; ``duty`` (0 < duty <= 1) is the share of
    the time the run works while requests come in: after a batch that took t seconds it rests
    t * (1 - duty) / duty more, leaving the cores to the requests a server answers meanwhile. ``busy`` (a
    server's: requests kept it answering a share of the time since it was last asked, ``api.activity``) is asked
    after each batch; when it says no, the run goes straight on (``rest_after``). Without it, every batch counts
    as busy. ``step`` stamps each batch (a server's: in a process of its own, ``restamp_worker``); by default
    this process does (``stamp_batch``). ``base_url`` is ignored, as in ``status``.
    """
    if not 0 < duty <= 1:
        raise ValueError("duty must lie in (0, 1]")
    db = registry.db
    # a data folder from before: its graphs' datestamps out first (``graphs_changed``: ``graph_datestamps.drop``)
    graph_datestamps.drop(registry, stop=stop, duty=duty, busy=busy, changed=graphs_changed)
    current = fingerprint()
    if not force and db.get_meta(_DONE) == current and db.get_meta(_TARGET) is None and db.get_meta(_BATCH) is None:
        return 0
    done = finish_interrupted(registry)
    after = db.get_meta(_AFTER) if db.get_meta(_TARGET) == current else None
    # not synced: lost with a power failure, so are the batches after it (the WAL keeps commits in order), and the
    # run starts again from what was synced
    with db.write(durable=False) as conn:
        if after is None:  # a new run (a run towards another fingerprint is not resumed: it starts again)
            conn.execute("DELETE FROM meta WHERE key = ?", (_SINCE,))
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_TARGET, current))
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_AFTER, after or ""))
    after = after or ""
    # a worker's connection sets its own cache
    with writer_cache(db) if step is None else nullcontext():
        step = step or partial(stamp_batch, db, registry.journal, limit=batch)
        while True:
            if stop is not None and stop():
                return done
            began = time.monotonic()
            with registry.writing():
                count, last = step(after)
            if not count:
                break
            after = last
            done += count
            if progress is not None:
                progress(done)
            took = time.monotonic() - began
            rest = rest_after(took, pause=pause, duty=duty, busy=busy is None or busy())
            if rest > 0:
                time.sleep(rest)
        done += _missed(registry, batch)
    with db.write() as conn:
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_DONE, current))
        conn.execute("DELETE FROM meta WHERE key IN (?, ?, ?)", (_TARGET, _AFTER, _SINCE))
    return done


class Restamper:
    """Runs a pending restamp in the background of the server; ``stop`` ends it between batches.

    A thread of the server runs it; with an SQLite registry its batches are stamped by a worker process
    (``restamp_worker``: the interpreter lock stays the server's) unless ``in_process``. It yields to the
    server's requests twice over: at a lower CPU priority (``NICENESS``: the worker's, else the thread's; the
    worker also in the idle scheduling class, raised while a writer waits for the lock it stamps under), and
    while requests come in (``busy``, the server's: requests kept it answering a share of the time since it was
    last asked) it works ``duty`` of the time; with none coming in it runs at full speed. ``base_url`` is
    ignored, as in ``status``.
    """

    def __init__(
        self,
        registry: Registry,
        base_url: str | None = None,
        *,
        batch: int = DEFAULT_BATCH,
        pause: float = 0.005,
        duty: float = DEFAULT_DUTY,
        busy: Callable[[], bool] | None = None,
        graphs_changed: Callable[[list[str]], None] | None = None,
        in_process: bool = False,
    ) -> None:
        self.registry = registry
        #: stamp the batches in this process (else, with SQLite, in a worker process)
        self.in_process = in_process
        #: the worker process of the run under way, if any
        self.worker: BatchWorker | None = None
        #: whether requests kept the server busy since it was last asked (None: always taken as yes)
        self.busy = busy
        #: told the samples whose graphs ``graph_datestamps`` changed (bodies rendered from them before are stale)
        self.graphs_changed = graphs_changed
        self.batch = batch
        #: seconds between batches: the server's own writes take the lock in between
        self.pause = pause
        #: the share of the time the restamp works (``restamp``): the rest is the resolver's and the harvesters'
        self.duty = duty
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.done = 0
        self.total = 0
        self._started: float | None = None  # monotonic seconds, at the start and the end of the run
        self._ended: float | None = None
        self._started_at: datetime | None = None
        self.error: BaseException | None = None

    def start(self) -> bool:
        """Starts when a restamp is pending or was interrupted, or graphs still hold ``ig:datestamp`` (dropped first:
        ``graph_datestamps``); returns whether it started."""
        finish_interrupted(self.registry)
        state = status(self.registry)
        migrate = graph_datestamps.pending(self.registry)
        if not (state.pending or state.in_progress or migrate):
            return False
        if state.pending or state.in_progress:
            log.warning(
                "documents changed since the datestamps were issued (writers, crosswalks or code lists): "
                "restamping harvestable records in the background"
            )
        self._thread = threading.Thread(target=self._run, name="igsn-graph-restamp", daemon=True)
        self._thread.start()
        return True

    def _run(self) -> None:
        def progress(n: int) -> None:
            self.done = n

        db = self.registry.db
        separate = not self.in_process and db.dialect == SQLITE and db.path is not None
        if not separate:
            # with a worker, this thread only takes the lock and passes positions: lowered, it would be put off
            # while holding the interpreter lock, and the event loop with it
            lower_priority()
        try:
            # before the clock starts: the rate and expected end are the restamp's
            graph_datestamps.drop(
                self.registry, stop=self._stop.is_set, duty=self.duty, busy=self.busy, changed=self.graphs_changed
            )
            state = status(self.registry)
            if self._stop.is_set() or not (state.pending or state.in_progress):
                return
            self.total = remaining(self.registry)
            self._started, self._started_at = time.monotonic(), datetime.now(UTC)
            if separate:
                assert db.path is not None
                self.worker = BatchWorker(db.path, self.batch, niceness=NICENESS)
            try:
                if self.worker is not None:
                    self.worker.ready()
                n = restamp(
                    self.registry,
                    progress=progress,
                    stop=self._stop.is_set,
                    batch=self.batch,
                    pause=self.pause,
                    duty=self.duty,
                    busy=self.busy,
                    step=None if self.worker is None else self._worker_step,
                )
            finally:
                if self.worker is not None:
                    self.worker.close()
            log.warning("restamped %d records", n)
        except Exception as exc:
            self.error = exc
            log.exception("restamp stopped; it resumes at the next start or with `igsn-graph restamp`")
        finally:
            self._ended = time.monotonic()

    def _worker_step(self, after: str) -> tuple[int, str]:
        """The worker's batch, under the write lock this thread holds. The worker is closed by ``_run`` once the
        lock is let go: its end (reading its input's end, closing the database) keeps no writer waiting."""
        assert self.worker is not None
        try:
            # a writer waiting for the lock this thread holds raises the worker out of the idle class
            with self.registry.gate.lock.waiters_call(self.worker.boost):
                return self.worker.step(after)
        except BaseException:
            # the worker is gone (``step`` kills it on anything but an answer); its reservation of a datestamp was
            # its own: cleared here, under the lock, or OAI-PMH would cap its responseDate before it until the
            # next write
            self.registry.journal.release(force=True)
            raise

    def progress(self) -> RestampProgress | None:
        """How the run of this process goes (or went); None when none was started."""
        if self._started is None or self._started_at is None:
            return None
        ended = self._ended
        elapsed = max((ended if ended is not None else time.monotonic()) - self._started, 1e-6)
        rate = self.done / elapsed
        end: str | None = None
        if ended is not None:  # finished (or stopped: then when it stopped)
            end = format_datestamp(self._started_at + timedelta(seconds=elapsed))
        elif rate > 0:
            left = max(self.total - self.done, 0) / rate
            end = format_datestamp(datetime.now(UTC) + timedelta(seconds=left))
        return RestampProgress(
            ended is None, self.done, self.total, format_datestamp(self._started_at), round(rate, 1), end
        )

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()
