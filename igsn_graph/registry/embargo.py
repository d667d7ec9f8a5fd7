"""Embargoes: a description kept private until a date, then made public by the registry itself.

ARDC's ``<isPublic embargoEnd="…">`` (and ``ig:embargoEnd`` wherever a record carries one) says when a
private description becomes public. The rule, applied to every registration (``with_embargo``):

* an embargo that has not ended keeps the description private, also when the record says it is public
  (``isPublic=true`` with a future ``embargoEnd`` contradicts itself; private until then is the reading that
  cannot publish too early) — with a warning;
* an embargo that has ended makes it public at once, also when the record says it is private (the embargo
  was the reason it was private);
* an embargo runs to the end of the period it names: a date lifts at the next midnight (of its zone, UTC
  without one), a year or year-month at the start of the next one, a date-time at that instant.

The record's ``is_public`` is set to what applies, so the description, its registry facts and every writer
agree. Private samples with an embargo are kept in the ``embargo`` table (written with the catalogue in the
journal's transaction, rebuilt with the index); ``lift`` turns the due ones public through the journal — a new
version, event ``embargo-ended``, by the registry itself — so harvesters see a new datestamp. The server runs
it every few minutes (``Lifter``); ``igsn-graph embargoes --lift`` does it where no server runs.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from pyoxigraph import Literal, Triple

from ..formats.rdf import parse_ntriples
from ..index import catalogue
from ..index.catalogue import CatalogueRow
from ..iris import Iris
from ..record import RegistryFacts, SampleRecord
from ..store import history
from ..vocab import IG
from .accounts import ADMIN
from .periodic import PeriodicCheck

if TYPE_CHECKING:
    from .service import Registry

__all__ = [
    "CHECK_SECONDS",
    "EVENT",
    "Embargo",
    "Known",
    "Lifter",
    "index",
    "lift",
    "lifts_at",
    "rebuild",
    "running",
    "with_embargo",
]

log = logging.getLogger("igsn_graph.embargo")

#: the history event of a lift (a PROV activity like any other change)
EVENT = "embargo-ended"
#: how often the server looks for embargoes that have ended (one indexed query when none has)
CHECK_SECONDS = 300.0

_INDEXED = "embargo_index"  # meta: the embargo table holds every embargo (set by ``rebuild``)
_FORM = re.compile(r"(\d{4})(?:-(\d\d)(?:-(\d\d)(?:T(\d\d):(\d\d):(\d\d)(\.\d+)?)?)?)?(Z|[+-]\d\d:\d\d)?")
_NEVER = datetime.max.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Embargo:
    """A private sample's embargo: its end as the record gives it, and when it lifts (a datestamp, UTC)."""

    igsn: str
    ends: str
    lifts_at: str

    def due(self, now: datetime) -> bool:
        return self.lifts_at <= catalogue.format_datestamp(_utc(now))


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    return now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)


def lifts_at(value: str) -> datetime | None:
    """The instant an embargo written ``value`` ends (``2021`` → 2022-01-01T00:00:00Z); None when it is no date.

    >>> lifts_at("2021").isoformat(), lifts_at("2021-02").isoformat(), lifts_at("2021-12-31+10:00").isoformat()
    ('2022-01-01T00:00:00+00:00', '2021-03-01T00:00:00+00:00', '2022-01-01T00:00:00+10:00')
    """
    m = _FORM.fullmatch(value.strip())
    if m is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = m.groups()
    y, mo, d = int(year), int(month or 1), int(day or 1)
    try:  # a day, month or zone offset the calendar does not have is no date
        tz = timezone.utc
        if zone and zone != "Z":
            sign = 1 if zone[0] == "+" else -1
            tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
        start = datetime(y, mo, d, int(hour or 0), int(minute or 0), int(second or 0), tzinfo=tz)
    except ValueError:
        return None
    try:
        if hour is not None:  # whole seconds, never early
            return start + timedelta(seconds=1) if fraction and int(fraction[1:]) else start
        if day is not None:
            return start + timedelta(days=1)
        if month is not None:
            return start.replace(year=y + 1, month=1) if mo == 12 else start.replace(month=mo + 1)
        return start.replace(year=y + 1)
    except (OverflowError, ValueError):
        return _NEVER  # ends with the calendar (9999): never lifted


def with_embargo(record: SampleRecord, now: datetime | None = None) -> SampleRecord:
    """``record`` public or private as its embargo says at ``now`` (see the module's rule); as it is without
    one, or with an end that is no date (validation reports that)."""
    if record.embargo_end is None:
        return record
    lifts = lifts_at(record.embargo_end)
    if lifts is None:
        return record
    if lifts <= _utc(now):
        return record if record.is_public else replace(record, is_public=True)
    warnings = list(record.warnings)
    if record.is_public:
        warnings.append(
            f"embargo end {record.embargo_end}: the record says public, but its embargo has not "
            f"ended; the description is kept private until then and becomes public on its own"
        )
    return replace(record, is_public=False, warnings=warnings)


# -- the embargo table --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Known:
    """A sample's ``ig:embargoEnd`` as its graph has it (None: none), known without reading the graph."""

    end: str | None


def _entry(row: CatalogueRow, graph: Iterable[Triple] | Known, iris: Iris) -> Embargo | None:
    """The embargo of a sample as stored (``graph``: its whole graph, or its embargo end); None unless it is
    private by one."""
    if row.is_public or not row.has_metadata:
        return None
    if isinstance(graph, Known):
        end = graph.end
    else:
        node = iris.sample(row.igsn)
        end = next(
            (
                t.object.value
                for t in graph
                if t.predicate == IG.embargoEnd and t.subject == node and isinstance(t.object, Literal)
            ),
            None,
        )
    at = lifts_at(end) if end is not None else None
    return Embargo(row.igsn, end, catalogue.format_datestamp(at)) if end is not None and at is not None else None


def index(
    conn: sqlite3.Connection, iris: Iris, changes: Iterable[tuple[CatalogueRow, Iterable[Triple] | Known]]
) -> None:
    """Keeps the embargo table in step with written samples (``changes``: each one's row and whole graph, or its
    embargo end); run in the transaction that writes their catalogue rows."""
    keep: list[tuple[str, str, str]] = []
    drop: list[tuple[str]] = []
    for row, graph in changes:
        e = _entry(row, graph, iris)
        if e is None:
            drop.append((row.igsn,))
        else:
            keep.append((e.igsn, e.ends, e.lifts_at))
    conn.executemany("DELETE FROM embargo WHERE igsn = ?", drop)
    conn.executemany("INSERT OR REPLACE INTO embargo VALUES (?, ?, ?)", keep)


def _derive(conn: sqlite3.Connection, iris: Iris, names: list[str] | None = None) -> list[Embargo]:
    """The embargoes of ``names`` (default: every private described sample), from their latest versions."""
    if names is None:
        names = [r[0] for r in conn.execute("SELECT igsn FROM catalogue WHERE is_public = 0 AND has_metadata = 1")]

    rows = catalogue.get_many(conn, names)
    found: list[Embargo] = []
    for name in names:
        row = rows.get(name)
        latest = history.latest_version(conn, name) if row is not None else None
        if row is None or latest is None or IG.embargoEnd.value not in latest.graph_ntriples:
            continue
        e = _entry(row, parse_ntriples(latest.graph_ntriples), iris)
        if e is not None:
            found.append(e)
    return found


def rebuild(conn: sqlite3.Connection, iris: Iris) -> int:
    """Replaces the embargo table with what the catalogue and history say (after ``index.rebuild``, or for a
    data folder older than the table); returns how many embargoes run."""
    found = _derive(conn, iris)
    conn.execute("DELETE FROM embargo")
    conn.executemany("INSERT INTO embargo VALUES (?, ?, ?)", [(e.igsn, e.ends, e.lifts_at) for e in found])
    conn.execute("INSERT OR REPLACE INTO meta VALUES (?, '1')", (_INDEXED,))
    return len(found)


def _ensure_indexed(registry: "Registry") -> bool:
    """Fills the table once for a data folder written before it existed; False when read-only and not filled."""
    if registry.db.get_meta(_INDEXED) is not None:
        return True
    if registry.read_only:
        return False
    with registry.writing(), registry.db.write() as conn:
        if conn.execute("SELECT value FROM meta WHERE key = ?", (_INDEXED,)).fetchone() is None:
            rebuild(conn, registry.iris)
    return True


def running(registry: "Registry") -> list[Embargo]:
    """Every embargo not lifted yet (due ones included), the soonest first."""
    conn = registry.db.read()
    if not _ensure_indexed(registry):  # a read-only folder older than the table: derived, not written
        return sorted(_derive(conn, registry.iris), key=lambda e: (e.lifts_at, e.igsn))
    return [Embargo(*r) for r in conn.execute("SELECT igsn, ends, lifts_at FROM embargo ORDER BY lifts_at, igsn")]


# -- lifting --------------------------------------------------------------------------------------------
def lift(
    registry: "Registry", *, now: datetime | None = None, batch: int = 200, stop: Callable[[], bool] | None = None
) -> list[Embargo]:
    """Makes every sample whose embargo has ended at ``now`` public: one new version each (event
    ``embargo-ended``, principal the registry), in batches that hold the write lock briefly. Returns them.

    A sample written since its embargo was read is left to the next run; a table row the stored description
    does not bear out (no embargo, or a later one) is derived again instead of lifted. ``ReadOnly`` when
    the registry is.
    """
    now = _utc(now)
    cutoff = catalogue.format_datestamp(now)
    _ensure_indexed(registry)
    lifted: list[Embargo] = []
    after = ("", "")
    while stop is None or not stop():
        conn = registry.db.read()
        due = [
            Embargo(*r)
            for r in conn.execute(
                "SELECT igsn, ends, lifts_at FROM embargo WHERE lifts_at <= ? AND (lifts_at, igsn) > (?, ?) "
                "ORDER BY lifts_at, igsn LIMIT ?",
                (cutoff, *after, batch),
            )
        ]
        if not due:
            break
        after = (due[-1].lifts_at, due[-1].igsn)
        # read outside the write lock: a private sample's description comes from its latest version
        prepared: list[tuple[CatalogueRow, RegistryFacts, SampleRecord, Embargo]] = []
        stale: list[str] = []
        for e in due:
            row = registry.row(e.igsn)
            record = registry.record(e.igsn) if row is not None and not row.is_public else None
            facts = registry.facts(e.igsn) if record is not None else None
            ends = lifts_at(record.embargo_end) if record is not None and record.embargo_end else None
            if row is None or record is None or facts is None or ends is None or ends > now:
                stale.append(e.igsn)
            else:
                prepared.append((row, facts, record, e))
        with registry.writing():
            current = catalogue.get_many(registry.db.read(), [p[0].igsn for p in prepared])
            fresh = [p for p in prepared if current.get(p[0].igsn) == p[0]]
            if fresh:
                stamp = registry.journal.reserve()
                registry.journal.commit(
                    [
                        registry.admin_change(
                            facts=replace(facts, is_public=True, datestamp=stamp),
                            record=replace(record, is_public=True, warnings=[]),
                            previous=row,
                            event=EVENT,
                            principal=ADMIN,
                        )
                        for row, facts, record, _ in fresh
                    ]
                )
                lifted += [e for *_, e in fresh]
            if stale:
                with registry.db.write() as w:
                    found = _derive(w, registry.iris, stale)
                    w.executemany("DELETE FROM embargo WHERE igsn = ?", [(n,) for n in stale])
                    w.executemany("INSERT INTO embargo VALUES (?, ?, ?)", [(x.igsn, x.ends, x.lifts_at) for x in found])
    return lifted


class Lifter(PeriodicCheck):
    """Lifts ended embargoes in a background thread of the server: at start, then every ``interval`` seconds."""

    name = "igsn-graph-embargo"
    what = "lifting ended embargoes"
    log = log

    def __init__(self, registry: "Registry", *, interval: float = CHECK_SECONDS) -> None:
        super().__init__(registry, interval=interval)
        self.lifted = 0

    def check(self, stop: Callable[[], bool]) -> None:
        done = lift(self.registry, stop=stop)
        self.lifted += len(done)
        if done:
            log.warning("embargo ended: %d sample(s) are public now (%s…)", len(done), done[0].igsn)
