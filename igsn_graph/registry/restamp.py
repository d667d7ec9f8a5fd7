"""Restamping: new datestamps for every harvestable record when its documents change without a registration.

OAI-PMH promises that a record whose metadata changed carries a newer datestamp, so incremental harvests
pick it up. A record's documents change not only when it is registered again but also when something
around it changes: a writer's code (``oai.formats.WRITERS_REVISION``), a crosswalk or code list in
``mappings/``, or the public URL that landing links and identifiers are built from. ``oai.formats.fingerprint``
names all of these; the data folder remembers the fingerprint its datestamps were issued under.

``restamp`` brings the datestamps up to date through the journal, like any other write, in batches that
hold the write lock briefly (registrations go on in between). It is resumable: an interrupted run goes
on after the last finished batch. Deleted records (inactive or withdrawn) are left alone: their headers
carry no metadata. Inverse relations computed at read time never restamp anything.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable

from ..formats import graph as graphmap
from ..index import catalogue
from ..index.catalogue import CatalogueRow
from ..oai.formats import fingerprint
from .accounts import ADMIN

if TYPE_CHECKING:
    from .service import Registry

__all__ = ["RestampStatus", "status", "adopt", "restamp", "Restamper", "EVENT"]

log = logging.getLogger("igsn_graph.restamp")

#: the history event of a restamp (a PROV activity like any other change)
EVENT = "restamped"

_DONE = "projection_fingerprint"  # the fingerprint the current datestamps were issued under
_TARGET = "restamp_target"        # a restamp under way: towards this fingerprint…
_AFTER = "restamp_after"          # …done up to this IGSN (in IGSN order)


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


def status(registry: "Registry", base_url: str) -> RestampStatus:
    db = registry.db
    return RestampStatus(fingerprint(base_url), db.get_meta(_DONE), db.get_meta(_TARGET) is not None)


def adopt(registry: "Registry", base_url: str) -> bool:
    """Records the current fingerprint when the data folder has none yet (new, or older than restamping).

    Returns True when it did. For a folder that has none, what its datestamps were issued under is
    unknown; taking the current fingerprint then is the only choice that does not restamp on a guess.
    """
    with registry.db.write() as conn:
        cur = conn.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (_DONE, fingerprint(base_url)))
        return cur.rowcount == 1


def _next_rows(registry: "Registry", after: str, limit: int) -> list[CatalogueRow]:
    # keyset on the primary key: each batch costs the same at the start and the end of 10 M rows
    conn = registry.db.read()
    names = [r["igsn"] for r in conn.execute(
        "SELECT igsn FROM catalogue WHERE igsn > ? AND deleted = 0 AND has_metadata = 1 ORDER BY igsn LIMIT ?",
        (after, limit))]
    rows = catalogue.get_many(conn, names)
    return [rows[n] for n in names]


def restamp(registry: "Registry", base_url: str, *, force: bool = False, batch: int = 500,
            progress: Callable[[int], None] | None = None, stop: Callable[[], bool] | None = None,
            pause: float = 0.0) -> int:
    """Gives every harvestable record a new datestamp if the fingerprint changed (or ``force``).

    Returns how many records were restamped. Each record gets a new version in its history (same
    description, same facts but the datestamp) with the event ``restamped``. ``stop`` is asked between
    batches (a server shutting down); a stopped run is resumed by the next one.
    """
    db = registry.db
    current = fingerprint(base_url)
    if not force and db.get_meta(_DONE) == current and db.get_meta(_TARGET) is None:
        return 0
    after = db.get_meta(_AFTER) if db.get_meta(_TARGET) == current else None
    with db.write() as conn:
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_TARGET, current))
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_AFTER, after or ""))
    after = after or ""
    done = 0
    while True:
        if stop is not None and stop():
            return done
        rows = _next_rows(registry, after, batch)
        if not rows:
            break
        # read outside the write lock (one graph read each): registrations wait only for the commit
        prepared = []
        for row in rows:
            triples = registry.graph_of(row.igsn)  # a live sample's public graph is its whole graph
            facts = graphmap.facts_from_triples(triples, registry.iris, row.igsn)
            if facts is None:  # the index is ahead of the graph: `verify` reports it; nothing to stamp
                continue
            record = graphmap.record_from_triples(triples, registry.iris, row.igsn) if facts.has_metadata else None
            prepared.append((row, facts, record))
        with registry.writing():
            now = catalogue.get_many(registry.db.read(), [row.igsn for row, _, _ in prepared])
            # a sample written since it was read has a new datestamp already: nothing to do for it
            fresh = [(row, facts, record) for row, facts, record in prepared if now.get(row.igsn) == row]
            if fresh:
                stamp = registry.journal.reserve()
                registry.journal.commit([
                    registry._change(facts=replace(facts, datestamp=stamp), record=record, previous=row,
                                     event=EVENT, principal=ADMIN) for row, facts, record in fresh])
        after = rows[-1].igsn
        # after the commit: a crash in between redoes this batch, which only stamps it once more
        with db.write() as conn:
            conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_AFTER, after))
        done += len(fresh)
        if progress is not None:
            progress(done)
        if pause:
            time.sleep(pause)  # let waiting writers take the lock before the next batch
    with db.write() as conn:
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_DONE, current))
        conn.execute("DELETE FROM meta WHERE key IN (?, ?)", (_TARGET, _AFTER))
    return done


class Restamper:
    """Runs a pending restamp in a background thread of the server; ``stop`` ends it between batches."""

    def __init__(self, registry: "Registry", base_url: str) -> None:
        self.registry = registry
        self.base_url = base_url
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.done = 0
        self.error: BaseException | None = None

    def start(self) -> bool:
        """Starts when a restamp is pending or was interrupted; returns whether it started."""
        state = status(self.registry, self.base_url)
        if not (state.pending or state.in_progress):
            return False
        log.warning("documents changed since the datestamps were issued (writers, crosswalks or public URL): "
                    "restamping harvestable records in the background")
        self._thread = threading.Thread(target=self._run, name="igsn-graph-restamp", daemon=True)
        self._thread.start()
        return True

    def _run(self) -> None:
        def progress(n: int) -> None:
            self.done = n
        try:
            # small batches and a pause between them: the server's own writes come first
            n = restamp(self.registry, self.base_url, progress=progress, stop=self._stop.is_set, batch=100,
                        pause=0.05)
            log.warning("restamped %d records", n)
        except Exception as exc:  # noqa: BLE001 - logged; the next start resumes where this one stopped
            self.error = exc
            log.exception("restamp stopped; it resumes at the next start or with `igsn-graph restamp`")

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()
