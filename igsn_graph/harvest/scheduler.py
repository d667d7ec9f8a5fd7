"""Runs of a harvest source (resumable, incremental) and the server's background task that starts due ones.

A run asks ``ListRecords`` with ``from`` = the responseDate of the last complete run, cut to the granularity
the provider's Identify states (a full harvest the first time). After each page is stored, the resumption
token and the position are stored too, so a run killed or stopped mid-way continues from that page (a page
may be registered twice: a second identical version, never a lost one). A token the provider no longer
knows (``badResumptionToken``) restarts the run from its ``from``. A run that fails (network, HTTP, an OAI
error) marks the source failing with the reason, keeps its token, and is not tried again before a backoff
that doubles with each failure (5 minutes to a day), so a broken provider is never asked in a hot loop.

Each run has its own id (``run_id``: its start and a random part, kept in the registry's ``meta`` while it is
under way, so a resumed run keeps it); what a page said about each sample is kept under that id, and a complete
full run flags what earlier runs stored and it did not list. A responseDate would not do: a provider states it in
seconds (or days), so two runs in one second would be one run and flag nothing.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from ..registry.lease import Lease
from ..registry.periodic import PeriodicCheck
from ..registry.service import Registry
from ..store.base import GraphWrite
from . import origins, sources
from .client import HarvestFailed, OaiError, PoliteClient
from .sources import HarvestSource
from .storage import store_page

__all__ = ["RunReport", "run", "due", "Harvester", "from_date", "new_run_id", "CHECK_SECONDS"]

log = logging.getLogger(__name__)

#: how often the server looks for due sources
CHECK_SECONDS = 60.0
_FIRST_BACKOFF = 300
_MAX_BACKOFF = 86400


@dataclass
class RunReport:
    """One run of one source: pages and records seen, stored, refused (with reasons), whether it finished."""

    source: str
    resumed: bool = False
    pages: int = 0
    records: int = 0
    stored: int = 0
    deleted: int = 0
    refused: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: records kept beside the description shown (registered here, or a more recent source's), with the reason
    beside: list[str] = field(default_factory=list)
    requests: int = 0
    complete: bool = False
    error: str | None = None
    total: int | None = None  # completeListSize, when the provider states it
    #: samples a complete full run no longer saw (stored by an earlier run): flagged, not deleted
    unlisted: list[str] = field(default_factory=list)


def from_date(response_date: str | None, granularity: str | None) -> str | None:
    """The ``from`` argument for an incremental run: the last responseDate at the provider's granularity."""
    if not response_date:
        return None
    if (granularity or "YYYY-MM-DD") == "YYYY-MM-DD":
        return response_date[:10]
    return response_date


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_run_id(moment: datetime) -> str:
    """A run's id: when it started (to read it) and a random part (unique even for runs in the same second)."""
    return f"{_stamp(moment)}/{uuid.uuid4().hex[:12]}"


def _run_key(name: str) -> str:
    """The ``meta`` key holding the id of the source's run under way."""
    return f"harvest-run:{name}"


def _backoff(failures: int) -> int:
    """Seconds before a failing source is tried again: 5 minutes, doubling per failure, at most a day."""
    seconds: int = _FIRST_BACKOFF * 2 ** max(failures - 1, 0)
    return min(seconds, _MAX_BACKOFF)


def run(
    registry: Registry,
    name: str,
    *,
    client: PoliteClient | None = None,
    on_page: Callable[[RunReport], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> RunReport:
    """Harvests source ``name`` until its list ends (or ``stop()`` says so after a page; the run resumes next
    time). Failures are reported in ``RunReport.error`` and marked on the source, never raised.

    Over a shared (PostgreSQL) registry one run of a source at a time, wherever it is started (a node's scheduler,
    ``igsn-graph harvest`` on any machine): the run holds the source's lease (``registry.lease``); a run started
    while another holds it does nothing and says so in ``error`` (the source's state is left as it is)."""
    source = sources.get(registry, name)
    lease = Lease(registry.db.url, f"harvest source {name}")
    if not lease.hold():
        error = f"a run of {name} is under way elsewhere (another node or command): not started again"
        return RunReport(source=name, resumed=source.token is not None, error=error)
    try:
        source = sources.get(registry, name)  # as the last run left it (it may have ended just now)
        report = RunReport(source=name, resumed=source.token is not None)
        _run(registry, source, client, report, on_page, stop)
    finally:
        lease.close()
    return report


def _run(
    registry: Registry,
    source: HarvestSource,
    client: PoliteClient | None,
    report: RunReport,
    on_page: Callable[[RunReport], None] | None,
    stop: Callable[[], bool] | None,
) -> None:
    name = source.name
    client = client or PoliteClient(source.url, rate=source.rate, timeout_s=source.timeout_s)
    started = datetime.now(timezone.utc)
    try:
        _pages(registry, source, client, report, on_page, stop)
    except (HarvestFailed, OaiError) as exc:
        failures = source.failures + 1
        report.error = exc.message
        sources.update_state(
            registry,
            name,
            last_error=exc.message,
            failures=failures,
            last_run=_stamp(started),
            next_due=_stamp(started + timedelta(seconds=_backoff(failures))),
        )
        log.warning("harvest of %s failed (%d in a row): %s", name, failures, exc.message)
    finally:
        report.requests = client.requests


def _pages(
    registry: Registry,
    source: HarvestSource,
    client: PoliteClient,
    report: RunReport,
    on_page: Callable[[RunReport], None] | None,
    stop: Callable[[], bool] | None,
) -> None:
    name = source.name
    position = source.position
    run_date = source.run_response_date
    run_id = registry.db.get_meta(_run_key(name)) if source.token is not None else None
    if source.token is not None:
        params = {"verb": "ListRecords", "resumptionToken": source.token}
    else:
        params = _fresh(registry, source, client)
    if run_id is None:
        run_id = new_run_id(datetime.now(timezone.utc))
        registry.db.set_meta(_run_key(name), run_id)
    restarted = False
    while True:
        try:
            page = client.get(**params)
        except OaiError as exc:
            if exc.code == "noRecordsMatch":  # nothing changed since the last run: a complete run
                run_date = run_date or exc.data.get("response_date") or _stamp(datetime.now(timezone.utc))
                break
            if exc.code == "badResumptionToken" and "resumptionToken" in params and not restarted:
                log.warning("harvest of %s: the stored resumption token is refused; starting the run again", name)
                restarted, position, run_date = True, 0, None
                params = _fresh(registry, source, client, again=True)
                run_id = new_run_id(datetime.now(timezone.utc))
                registry.db.set_meta(_run_key(name), run_id)
                continue
            raise
        if run_date is None:
            run_date = page.response_date  # the run's first page: the next run asks from here
            sources.update_state(registry, name, run_response_date=run_date)
        result = store_page(registry, source, page)
        position += result.records
        report.pages += 1
        report.records += result.records
        report.stored += result.stored
        report.deleted += result.deleted
        report.refused += result.refused
        report.warnings += result.warnings
        report.beside += result.beside
        report.total = page.complete_list_size or report.total
        sources.note_records(registry, name, result.seen, run=run_id, response_date=page.response_date)
        current = sources.get(registry, name)
        sources.update_state(
            registry,
            name,
            token=page.token,
            position=position,
            stored=current.stored + result.stored,
            refused=current.refused + len(result.refused),
        )
        if on_page is not None:
            on_page(report)
        if page.token is None:
            break
        if stop is not None and stop():
            return  # the token is stored: the next run continues from the next page
        params = {"verb": "ListRecords", "resumptionToken": page.token}
    now = datetime.now(timezone.utc)
    current = sources.get(registry, name)
    every = current.every_s
    if current.run_from is None and run_date is not None:  # a full run lists all the source has
        report.unlisted = sources.flag_unlisted(registry, name, run=run_id)
        kept = [n for n in report.unlisted if origins.origin(registry.db.read(), name, n) is not None]
        if kept:
            registry.store.apply(
                GraphWrite(
                    add={
                        origins.record_graph(registry.iris, name, n): origins.unlisted_triples(registry.iris, name, n)
                        for n in kept
                    }
                )
            )
    sources.update_state(
        registry,
        name,
        token=None,
        position=0,
        run_response_date=None,
        last_response_date=run_date,
        last_run=_stamp(now),
        last_error=None,
        failures=0,
        next_due=_stamp(now + timedelta(seconds=every)) if every else None,
    )
    report.complete = True


def _fresh(registry: Registry, source: HarvestSource, client: PoliteClient, *, again: bool = False) -> dict[str, str]:
    """The first request of a run: the prefix, the set, and ``from`` at the provider's granularity."""
    current = sources.get(registry, source.name)
    start = current.run_from if again else None
    if not again:
        granularity = client.granularity()
        start = from_date(current.last_response_date, granularity)
        sources.update_state(
            registry, source.name, granularity=granularity, run_from=start, position=0, run_response_date=None
        )
    else:
        sources.update_state(registry, source.name, token=None, position=0, run_response_date=None)
    params = {"verb": "ListRecords", "metadataPrefix": source.prefix}
    if source.set_spec:
        params["set"] = source.set_spec
    if start:
        params["from"] = start
    return params


def due(registry: Registry, now: datetime | None = None) -> list[HarvestSource]:
    """Sources the server harvests now: scheduled (``--every``), not paused, their next run due."""
    stamp = _stamp(now or datetime.now(timezone.utc))
    return [
        s
        for s in sources.all_sources(registry)
        if s.every_s and not s.paused and (s.next_due is None or s.next_due <= stamp)
    ]


class Harvester(PeriodicCheck):
    """The server's background task: every ``interval`` seconds, runs each due source (one at a time)."""

    name = "igsn-graph-harvest"
    what = "the harvest scheduler"
    log = log

    def __init__(self, registry: Registry, *, interval: float = CHECK_SECONDS) -> None:
        super().__init__(registry, interval=interval)
        self.reports: list[RunReport] = []

    def check(self, stop: Callable[[], bool]) -> None:
        for source in due(self.registry):
            if stop():
                break
            report = run(self.registry, source.name, stop=stop)
            self.reports = (self.reports + [report])[-50:]
            log.warning(
                "harvested %s: %d stored, %d refused%s",
                source.name,
                report.stored,
                len(report.refused),
                f"; failed: {report.error}" if report.error else "",
            )
