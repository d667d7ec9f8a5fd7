"""Which description the registry shows when a registered one and harvested ones disagree (README: Precedence).

- Registry facts — owner, landing URL, status (lifecycle, active) — always come from the registry: a harvested
  record never changes the owner (its namespace's), never replaces a landing URL the sample has, and never
  changes its lifecycle; it sets them only for a sample the registry did not know.
- The description comes from the one registered here when the owner registered one (the latest
  description-setting version is not ``harvested``), else from the most recent source record (the greatest record datestamp; a tie goes to the source harvested last).
- A sample deactivated here stays deactivated; one deactivated because this source reported it deleted comes
  back when the source lists it again.

What is shown is the sample's public graph (resolver, OAI-PMH, search, DataCite and SPARQL's ``graph/`` read it),
so every output follows these rules by construction; a record that is not in force is kept in its own harvest
graph (``origins``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace

from ..index.catalogue import CatalogueRow
from ..record import SampleRecord
from .origins import Origin, OriginRow

__all__ = ["DESCRIPTION_EVENTS", "HARVESTED", "Decision", "described_here", "decide", "registry_facts_kept"]

#: history events that set a sample's description without necessarily keeping a submitted document
DESCRIPTION_EVENTS = ("metadata-registered", "metadata-updated", "harvested")
#: the event of a version whose description a harvest source gave
HARVESTED = "harvested"


@dataclass(frozen=True)
class Decision:
    """``apply``: the record becomes the sample's description (a ``harvested`` version); else it is kept beside
    it in its harvest graph, for ``reason``."""

    apply: bool
    reason: str = ""


def described_here(conn: sqlite3.Connection, igsn: str) -> bool:
    """Whether the sample's current description was registered here (not harvested): the latest version that set
    a description (it keeps the submitted document; any registration event, DataCite transitions included) is not
    a ``harvested`` one."""
    marks = ",".join("?" * len(DESCRIPTION_EVENTS))
    r = conn.execute(
        f"SELECT event FROM versions WHERE igsn = ? AND (document IS NOT NULL OR event IN ({marks})) "
        "ORDER BY version DESC LIMIT 1",
        (igsn, *DESCRIPTION_EVENTS),
    ).fetchone()
    return r is not None and r[0] != HARVESTED


def decide(
    conn: sqlite3.Connection,
    row: CatalogueRow | None,
    candidate: Origin,
    others: list[OriginRow],
    *,
    deleted_by_source: bool,
) -> Decision:
    """Where one source record goes (``others``: the other sources' current records of the sample)."""
    if row is None or not row.has_metadata:
        return Decision(True)
    if not row.active and not deleted_by_source:
        return Decision(False, "deactivated here")
    if described_here(conn, candidate.igsn):
        return Decision(False, "the owner registered a description here")
    for other in others:
        if other.origin.source != candidate.source and other.in_force:
            if (other.origin.datestamp or "") > (candidate.datestamp or ""):
                return Decision(False, f"source {other.origin.source} has a more recent record")
    return Decision(True)


def registry_facts_kept(record: SampleRecord, row: CatalogueRow | None) -> SampleRecord:
    """The record without the registry facts it may not change: a known sample keeps its landing URL, and its
    status (a log event ``deprecated``/``destroyed`` is left out, with a warning: the registry's status stands)."""
    if row is None:
        return record
    status_events = [e for e in record.log if e.event in _STATUS_EVENTS]
    out = replace(
        record,
        landing_page=None if row.has_url else record.landing_page,
        log=[e for e in record.log if e.event not in _STATUS_EVENTS],
    )
    out.warnings = list(record.warnings) + [
        f"harvest: log event {e.event} ({e.timestamp}) not applied: the status of a known sample is the registry's"
        for e in status_events
    ]
    return out


_STATUS_EVENTS = ("deprecated", "destroyed")
