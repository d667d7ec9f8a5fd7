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
version and no PROV activity. Per batch of records (in IGSN order, under the write lock, registrations going
on in between) it changes the one ``ig:datestamp`` triple of each sample's graph in one store transaction
(the graph is neither read nor rewritten) and the catalogue and search rows' datestamp in one SQLite
transaction. A version in the history keeps the datestamp it was written with; ``index.rebuild.verify``
compares graph and history without ``ig:datestamp``.

Resumable: the run is done up to ``restamp_after``. Crash-safe: each batch (its stamp, and every row's version
and old datestamp) is written to ``meta`` before graph and index are (at once: both release the GIL); a batch
found there was interrupted and is finished first, with a new stamp, for the rows still at that version (a
write since then replaced the sample's graph as a whole). Deleted records (inactive or withdrawn) are left
alone: their headers carry no metadata.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from pyoxigraph import Literal, Triple

from ..formats.graph import date_literal
from ..formats.table import fingerprint
from ..index.catalogue import format_datestamp
from ..store.base import GraphWrite
from ..vocab import IG, XSD

if TYPE_CHECKING:
    from .service import Registry

__all__ = [
    "DEFAULT_BATCH",
    "DEFAULT_DUTY",
    "RestampProgress",
    "RestampStatus",
    "Restamper",
    "adopt",
    "finish_interrupted",
    "remaining",
    "restamp",
    "status",
]

log = logging.getLogger("igsn_graph.restamp")

#: records per batch: one store transaction and one SQLite transaction each, under the write lock
DEFAULT_BATCH = 2000
#: the share of the time a server's background restamp works (its requests come first; the CLI takes it all)
DEFAULT_DUTY = 0.5

_DONE = "projection_fingerprint"  # the fingerprint the current datestamps were issued under
_TARGET = "restamp_target"  # a restamp under way: towards this fingerprint…
_AFTER = "restamp_after"  # …done up to this IGSN (in IGSN order)
_BATCH = "restamp_batch"  # the batch being written: {"stamps", "last", "rows": [[igsn, version, datestamp]]}

#: what a restamp selects: live records with a description (deleted ones' headers carry no metadata)
_LIVE = "deleted = 0 AND has_metadata = 1"

Row = tuple[str, int, str]  # igsn, catalogue version, datestamp

_DATESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


@lru_cache(maxsize=4096)
def _literal(datestamp: str) -> Literal:
    """The ``ig:datestamp`` object as ``facts_triples`` writes it (``date_literal``), without its calendar
    checks for the datestamps the registry issued itself (they dominate building a batch)."""
    return Literal(datestamp, datatype=XSD.dateTime) if _DATESTAMP.fullmatch(datestamp) else date_literal(datestamp)


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


def _select(conn: sqlite3.Connection, after: str, limit: int) -> list[Row]:
    # keyset on the primary key: each batch costs the same at the start and the end of 10 M rows
    cur = conn.cursor()
    cur.row_factory = None  # plain tuples, whatever the connection's row factory
    return cur.execute(
        f"SELECT igsn, version, datestamp FROM catalogue WHERE igsn > ? AND {_LIVE} ORDER BY igsn LIMIT ?",
        (after, limit),
    ).fetchall()


def _graph_write(registry: Registry, rows: list[Row], stamps: list[str]) -> GraphWrite:
    """Each row's ``ig:datestamp`` triple: the old one (and any earlier stamps of the batch) out, the last in."""
    predicate, sample, record_graph = IG.datestamp, registry.iris.sample, registry.iris.record_graph
    new = _literal(stamps[-1])
    earlier = [_literal(s) for s in stamps[:-1]]
    write = GraphWrite()
    for igsn, _, old in rows:
        subject, graph = sample(igsn), record_graph(igsn)
        write.remove[graph] = [Triple(subject, predicate, o) for o in (_literal(old), *earlier)]
        write.add[graph] = [Triple(subject, predicate, new)]
    return write


def _write_batch(registry: Registry, stamps: list[str], rows: list[Row], last: str) -> None:
    """Gives ``rows`` the datestamp ``stamps[-1]`` in graph, catalogue and search rows; the run is then done up
    to ``last``. Under the write lock.

    ``stamps[:-1]``: the stamps of interrupted attempts at this batch, which graph or index may hold. The
    batch is written to ``meta`` (synced) first; then graph and index are written at once (both release the
    GIL); only when both hold it is the batch removed. A crash in between leaves each row's datestamp one of
    the batch's in graph and index, which ``finish_interrupted`` brings to a new one.
    """
    db = registry.db
    with db.write() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            (_BATCH, json.dumps({"stamps": stamps, "last": last, "rows": rows}, separators=(",", ":"))),
        )
    failed: list[BaseException] = []

    def graph() -> None:
        try:
            registry.store.apply(_graph_write(registry, rows, stamps))
        except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread below
            failed.append(exc)

    worker = threading.Thread(target=graph, name="igsn-graph-restamp-graph")
    worker.start()
    try:
        _commit_rows(registry, stamps, rows, last)
    finally:
        worker.join()
    if failed:
        raise failed[0]
    with db.write(durable=False) as conn:  # both hold it: the batch is done (a lost deletion only redoes it)
        conn.execute("DELETE FROM meta WHERE key = ?", (_BATCH,))


def _commit_rows(registry: Registry, stamps: list[str], rows: list[Row], last: str) -> None:
    """The SQLite half of a batch: catalogue and search rows, the position, the stamp visible.

    Not synced to disk (one fsync less per batch): lost with a power failure, it is redone from the batch
    in ``meta`` (synced before), and the next batch's sync makes it durable too."""
    stamp, maybe = stamps[-1], stamps[:-1]
    # a row changed since the batch was made is not touched (under the write lock none is, but a batch
    # finished after a crash may meet rows written since)
    same = f"igsn = ? AND version = ? AND datestamp IN ({', '.join('?' * (1 + len(maybe)))})"
    with registry.db.write(durable=False) as conn:
        conn.executemany(
            f"UPDATE catalogue SET datestamp = ? WHERE {same}",
            [(stamp, igsn, version, old, *maybe) for igsn, version, old in rows],
        )
        conn.executemany("UPDATE search_doc SET datestamp = ? WHERE igsn = ?", [(stamp, igsn) for igsn, _, _ in rows])
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_AFTER, last))
        conn.execute("DELETE FROM meta WHERE key = 'inflight'")  # visible now (as the journal's step 3 does)
        if rows:
            prev = conn.execute("SELECT value FROM meta WHERE key = 'last_datestamp'").fetchone()
            if prev is None or prev[0] < stamp:
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('last_datestamp', ?)", (stamp,))


def finish_interrupted(registry: Registry) -> int:
    """Finishes a batch a crash interrupted (graph, index, both or neither may hold its stamp); returns how
    many records it stamped. Only rows still at the version the batch saw, and at its old datestamp or one of
    its stamps, are stamped (a write since then replaced the sample's graph as a whole)."""
    with registry.writing():
        text = registry.db.get_meta(_BATCH)
        if text is None:
            return 0
        batch = json.loads(text)
        stamps: list[str] = batch["stamps"]
        wanted = {igsn: (version, old) for igsn, version, old in batch["rows"]}
        conn = registry.db.read()
        rows: list[Row] = []
        for i in range(0, len(batch["rows"]), 500):
            chunk = [r[0] for r in batch["rows"][i : i + 500]]
            for igsn, version, now in conn.execute(
                f"SELECT igsn, version, datestamp FROM catalogue WHERE igsn IN ({','.join('?' * len(chunk))}) "
                f"AND {_LIVE}",
                chunk,
            ):
                version_then, old = wanted[igsn]
                if version == version_then and (now == old or now in stamps):
                    rows.append((igsn, version, old))
        if not rows:
            with registry.db.write() as conn:
                conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_AFTER, batch["last"]))
                conn.execute("DELETE FROM meta WHERE key = ?", (_BATCH,))
            return 0
        # a new stamp: the interrupted ones may never have been visible, and may lie before harvests made since
        _write_batch(registry, [*stamps, registry.journal.reserve()], rows, batch["last"])
        log.warning("finished an interrupted restamp batch: %d records", len(rows))
        return len(rows)


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
) -> int:
    """Gives every harvestable record a new datestamp if the fingerprint changed (or ``force``).

    Returns how many records were restamped. No history version is written (see the module). ``stop`` is
    asked between batches (a server shutting down); a stopped run is resumed by the next one. ``pause``
    (seconds) after each batch lets waiting writers take the lock; ``duty`` (0 < duty <= 1) is the share of
    the time the run works: after a batch that took t seconds it rests t * (1 - duty) / duty more, leaving
    the cores to the requests a server answers meanwhile. ``base_url`` is ignored, as in ``status``.
    """
    if not 0 < duty <= 1:
        raise ValueError("duty must lie in (0, 1]")
    db = registry.db
    current = fingerprint()
    if not force and db.get_meta(_DONE) == current and db.get_meta(_TARGET) is None and db.get_meta(_BATCH) is None:
        return 0
    done = finish_interrupted(registry)
    after = db.get_meta(_AFTER) if db.get_meta(_TARGET) == current else None
    with db.write() as conn:
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_TARGET, current))
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_AFTER, after or ""))
    after = after or ""
    while True:
        if stop is not None and stop():
            return done
        began = time.monotonic()
        with registry.writing():
            rows = _select(db.read(), after, batch)
            if rows:
                _write_batch(registry, [registry.journal.reserve()], rows, rows[-1][0])
        if not rows:
            break
        after = rows[-1][0]
        done += len(rows)
        if progress is not None:
            progress(done)
        rest = pause + (time.monotonic() - began) * (1 - duty) / duty
        if rest > 0:
            time.sleep(rest)
    with db.write() as conn:
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_DONE, current))
        conn.execute("DELETE FROM meta WHERE key IN (?, ?)", (_TARGET, _AFTER))
    return done


class Restamper:
    """Runs a pending restamp in a background thread of the server; ``stop`` ends it between batches.

    ``base_url`` is ignored, as in ``status``.
    """

    def __init__(
        self,
        registry: Registry,
        base_url: str | None = None,
        *,
        batch: int = DEFAULT_BATCH,
        pause: float = 0.005,
        duty: float = DEFAULT_DUTY,
    ) -> None:
        self.registry = registry
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
        """Starts when a restamp is pending or was interrupted; returns whether it started.

        A batch a crash interrupted is finished first, before the server answers (it is one batch)."""
        finish_interrupted(self.registry)
        state = status(self.registry)
        if not (state.pending or state.in_progress):
            return False
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

        try:
            self.total = remaining(self.registry)
            self._started, self._started_at = time.monotonic(), datetime.now(UTC)
            n = restamp(
                self.registry,
                progress=progress,
                stop=self._stop.is_set,
                batch=self.batch,
                pause=self.pause,
                duty=self.duty,
            )
            log.warning("restamped %d records", n)
        except Exception as exc:
            self.error = exc
            log.exception("restamp stopped; it resumes at the next start or with `igsn-graph restamp`")
        finally:
            self._ended = time.monotonic()

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
