"""Harvest sources as registry data: which OAI-PMH provider to ask for what, and where its last run stopped.

A source is a row of the registry database's ``harvest_source`` table, so that a harvest killed mid-run
resumes from the stored resumption token and position, and the next incremental run asks ``from`` the
responseDate of the last successful one. A source that ``speaks for`` an agent registers as that agent (its
namespaces are checked per record); one without an agent is *unverified* (see ``harvest.storage``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..errors import Conflict, InvalidInput, NotFound
from ..store.base import GraphWrite

if TYPE_CHECKING:
    from ..registry.service import Registry

__all__ = ["HarvestSource", "add", "get", "all_sources", "set_paused", "remove", "parse_every", "format_every"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_EVERY = re.compile(r"^(\d+)\s*([smhdw]?)$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True)
class HarvestSource:
    """One source and its harvest state (``token``/``position``: a run under way; ``last_response_date``: the
    responseDate of the last complete run, the next run's ``from``)."""

    name: str
    url: str
    prefix: str
    set_spec: str | None
    agent: str | None
    every_s: int | None
    rate: float
    timeout_s: float
    paused: bool
    created: str
    token: str | None
    position: int
    run_from: str | None
    run_response_date: str | None
    last_response_date: str | None
    granularity: str | None
    last_run: str | None
    last_error: str | None
    failures: int
    next_due: str | None
    stored: int
    refused: int

    @property
    def verified(self) -> bool:
        """Whether an agent vouches for what the source says (its namespaces are then checked per record)."""
        return self.agent is not None

    @property
    def state(self) -> str:
        """paused, failing (the last run failed), resuming (a run stopped mid-way), never run, or ok."""
        if self.paused:
            return "paused"
        if self.last_error:
            return f"failing ({self.failures}x)"
        if self.token is not None:
            return "resuming"
        return "ok" if self.last_run else "never run"

    def as_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out.update(verified=self.verified, state=self.state, every=format_every(self.every_s))
        return out


def now_stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_every(text: str | None) -> int | None:
    """``30m``, ``6h``, ``1d``, ``2w`` or seconds → seconds; None/empty → None (harvested on demand only)."""
    if text is None or not text.strip():
        return None
    m = _EVERY.match(text.strip().lower())
    if not m or int(m.group(1)) <= 0:
        raise InvalidInput(f"--every {text!r}: not an interval (e.g. 30m, 6h, 1d, 2w)")
    seconds = int(m.group(1)) * _UNIT[m.group(2)]
    if seconds < 60:
        raise InvalidInput(f"--every {text!r}: at least one minute between runs")
    return seconds


def format_every(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    for unit in ("w", "d", "h", "m"):
        if seconds % _UNIT[unit] == 0:
            return f"{seconds // _UNIT[unit]}{unit}"
    return f"{seconds}s"


def _row(row: Any) -> HarvestSource:
    data = dict(row)
    data["paused"] = bool(data["paused"])
    return HarvestSource(**data)


def get(registry: Registry, name: str) -> HarvestSource:
    row = registry.db.read().execute("SELECT * FROM harvest_source WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise NotFound(f"harvest source {name!r} is not known")
    return _row(row)


def all_sources(registry: Registry) -> list[HarvestSource]:
    return [_row(r) for r in registry.db.read().execute("SELECT * FROM harvest_source ORDER BY name")]


def add(
    registry: Registry,
    name: str,
    *,
    url: str,
    prefix: str,
    set_spec: str | None = None,
    agent: str | None = None,
    every: str | None = None,
    rate: float = 1.0,
    timeout_s: float = 60,
) -> HarvestSource:
    """Adds a source; ``InvalidInput`` naming the argument that is wrong, ``Conflict`` for a known name."""
    if not _NAME.match(name):
        raise InvalidInput(f"source name {name!r}: letters, digits, '.', '_' or '-' (at most 64)")
    if not re.match(r"^https?://[^\s/]+", url or ""):
        raise InvalidInput(f"--url {url!r}: an http(s) URL of an OAI-PMH base URL")
    if not prefix or not re.match(r"^[A-Za-z0-9_.!~*'()-]+$", prefix):
        raise InvalidInput(f"--prefix {prefix!r}: a metadataPrefix (e.g. igsn_desc, csirov3, datacite, oai_dc)")
    if rate <= 0 or timeout_s <= 0:
        raise InvalidInput("--rate and --timeout must be positive")
    if agent is not None:
        agent = registry.accounts.agent(agent.upper()).symbol  # NotFound for an unknown agent
    seconds = parse_every(every)
    with registry.db.write() as conn:
        if conn.execute("SELECT 1 FROM harvest_source WHERE name = ?", (name,)).fetchone():
            raise Conflict(f"harvest source {name!r} exists already")
        conn.execute(
            "INSERT INTO harvest_source (name, url, prefix, set_spec, agent, every_s, rate, timeout_s, "
            "created, next_due) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                name,
                url,
                prefix,
                set_spec or None,
                agent,
                seconds,
                rate,
                timeout_s,
                now_stamp(),
                now_stamp() if seconds else None,
            ),
        )
    return get(registry, name)


def set_paused(registry: Registry, name: str, paused: bool) -> HarvestSource:
    """Pauses (the server's scheduler skips it; an explicit ``harvest NAME`` still runs) or resumes a source;
    resuming clears a failure mark, so the source is tried at once."""
    get(registry, name)
    with registry.db.write() as conn:
        if paused:
            conn.execute("UPDATE harvest_source SET paused = 1 WHERE name = ?", (name,))
        else:
            conn.execute(
                "UPDATE harvest_source SET paused = 0, failures = 0, last_error = NULL, "
                "next_due = CASE WHEN every_s IS NULL THEN NULL ELSE ? END WHERE name = ?",
                (now_stamp(), name),
            )
    return get(registry, name)


def remove(registry: Registry, name: str) -> HarvestSource:
    """Forgets a source, its harvest state and its records (their harvest graphs, the source's node, its
    ``source:NAME`` set); the samples it brought stay registered with the descriptions shown (and their history,
    which says where each version came from)."""
    from . import origins  # origins reads HarvestSource from here

    source = get(registry, name)
    iris = registry.iris
    names = [r[0] for r in registry.db.read().execute("SELECT igsn FROM harvest_origin WHERE source = ?", (name,))]
    for i in range(0, len(names), _DROP_BATCH):  # graphs first: a failure leaves rows that a retry drops again
        chunk = names[i : i + _DROP_BATCH]
        registry.store.apply(GraphWrite(replace={origins.record_graph(iris, name, n): None for n in chunk}))
    registry.store.apply(GraphWrite(replace={origins.source_node(iris, name): None}))
    with registry.db.write() as conn:
        conn.execute("DELETE FROM harvest_source WHERE name = ?", (name,))
        conn.execute("DELETE FROM harvest_record WHERE source = ?", (name,))
        conn.execute("DELETE FROM harvest_origin WHERE source = ?", (name,))
    return source


#: harvest graphs dropped per store write when a source is removed
_DROP_BATCH = 10000


def note_records(registry: Registry, name: str, seen: dict[str, str], *, run: str, response_date: str) -> None:
    """Keeps what a run's page said about each sample (``stored``, ``refused``, ``deleted``), by run."""
    if not seen:
        return
    with registry.db.write() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO harvest_record VALUES (?, ?, ?, ?, ?)",
            [(name, igsn, status, run, response_date) for igsn, status in seen.items()],
        )


def flag_unlisted(registry: Registry, name: str, *, run: str) -> list[str]:
    """After a complete full run: the samples an earlier run stored that this one did not list are marked
    ``unlisted`` (a provider may drop records without a deleted header; the samples stay as they are)."""
    with registry.db.write() as conn:
        gone = [
            r[0]
            for r in conn.execute(
                "SELECT igsn FROM harvest_record WHERE source = ? AND run != ? AND status = 'stored' ORDER BY igsn",
                (name, run),
            )
        ]
        conn.execute(
            "UPDATE harvest_record SET status = 'unlisted' WHERE source = ? AND run != ? AND status = 'stored'",
            (name, run),
        )
    return gone


def record_status(registry: Registry, name: str, igsn: str) -> str | None:
    """What the source last said about the sample (stored, refused, deleted, unlisted), or None."""
    row = (
        registry.db.read()
        .execute("SELECT status FROM harvest_record WHERE source = ? AND igsn = ?", (name, igsn))
        .fetchone()
    )
    return str(row[0]) if row is not None else None


def record_counts(registry: Registry, name: str) -> dict[str, int]:
    """How many samples the source last said were stored, refused, deleted, or no longer listed."""
    rows = registry.db.read().execute(
        "SELECT status, COUNT(*) FROM harvest_record WHERE source = ? GROUP BY status", (name,)
    )
    return {status: n for status, n in rows}


def update_state(registry: Registry, name: str, **values: object) -> None:
    """Writes harvest state columns (the harvester's bookkeeping: token, position, dates, failures)."""
    allowed = {
        "token",
        "position",
        "run_from",
        "run_response_date",
        "last_response_date",
        "granularity",
        "last_run",
        "last_error",
        "failures",
        "next_due",
        "stored",
        "refused",
    }
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"not harvest state: {sorted(unknown)}")
    if not values:
        return
    assignments = ", ".join(f"{k} = ?" for k in values)
    with registry.db.write() as conn:
        conn.execute(f"UPDATE harvest_source SET {assignments} WHERE name = ?", (*values.values(), name))
