"""Group commit of single-record writes (``registry.group``'s process), pipelined over the journal's steps.

Each group is checked in arrival order, cut where a sample comes again: within a segment every sample is
written once, so its requests are checked against the state the earlier segments left, validated by one
SHACL run, then given quota in arrival order. One datestamp and one journal step for the group; nobody is
answered before the group's transaction B is committed, and if its step fails, every write of it fails.

While a group's graph write runs, the committer checks the next group against the stored state overlaid
with that group (its writes, the new samples it gives each quota holder, its parent links: what the
catalogue does not hold yet), then one transaction commits B of the first and journals the next
(``Journal.step``). If that transaction fails, the first group's B is tried alone and the next group is
checked again against what was then committed, so each caller still gets exactly what it would have got
alone, in arrival order. A failed step may leave journal rows (a graph write of unknown outcome): they are
redone before anything more is checked, as ``registry.writing()`` does, or the hold ends. A fault checking
the next group finishes the one in flight first, so only the next group fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import relations
from ..errors import InvalidRecord, StorageFailure
from ..identifiers import TEST_NAMESPACE
from .group import Leading, Request
from .journal import Written
from .policy import holder
from .writes import PendingWrite, PreparedWrite, SampleState, validate

if TYPE_CHECKING:
    from .service import Registry

__all__ = ["write_groups"]

#: groups one hold of the write lock may commit (writers of other kinds wait for it meanwhile)
ROUNDS = 8


@dataclass
class _Checked:
    """A group's writes that passed their checks, with what they add to the state the next group sees."""

    accepted: list[tuple[PendingWrite[Any], PreparedWrite]] = field(default_factory=list)
    #: new samples given to each quota holder
    taken: dict[str, int] = field(default_factory=dict)
    #: parent links of its registrations, for cycles
    parents: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class _InFlight:
    """A journaled group whose graph write runs: its writes (final datestamps), what its transaction B needs."""

    checked: _Checked
    step: Written


def write_groups(registry: Registry, group: list[Request[Any]], leading: Leading[Any]) -> None:
    """Checks, validates and commits ``group`` and the groups queued meanwhile (``leading.more``); finishes
    every request and wakes each group's callers once its transaction B is committed."""
    with registry.writing(), registry.accounts.remembered():
        prev: _InFlight | None = None
        while group or prev is not None:
            try:
                checked = _check(registry, group, prev.checked if prev is not None else None) if group else _Checked()
            except Exception:
                if prev is not None:  # journaled before this fault: its callers get its own outcome first
                    _finish_alone(registry, prev)
                    leading.wake([p for p, _ in prev.checked.accepted])
                raise  # this group's unfinished requests get it (``GroupQueue._run``); the hold ends
            changes, rows = _journal_rows(registry, checked, first=prev is None)
            if prev is None and not rows:  # refused, test mode or nothing to write: answered as checked
                leading.wake(group)
                group = leading.more()
                continue
            stamp = checked.accepted[0][1].facts.datestamp if rows else None
            try:
                seqs = registry.journal.step(prev.step if prev is not None else None, rows, stamp)
            except Exception as exc:  # noqa: BLE001 - said to the callers below, each its own way
                if prev is None:  # A failed: nothing of the group is journaled
                    _fail(checked, exc)
                    leading.wake(group)
                    group = leading.more()
                    continue
                if rows:  # B of the previous group and A of this one were one transaction: B alone now
                    _finish_alone(registry, prev)
                else:
                    _fail(prev.checked, exc)
                leading.wake([p for p, _ in prev.checked.accepted])
                for request in group:
                    request.reset()  # checked against a state that does not hold: checked anew
                prev = None
                if group:  # a failed step may leave its rows pending: the next check must see them
                    _redo(registry)
                continue
            if prev is not None:
                _succeed(prev.checked)
                leading.wake([p for p, _ in prev.checked.accepted])
            leading.wake(group)  # those refused or in test mode: their answers hold now
            prev = _start_graph(registry, checked, changes, seqs) if rows else None
            if rows and prev is None:  # redone in place (``_start_graph``): answered now
                leading.wake(group)
            group = leading.more()


def _redo(registry: Registry) -> None:
    """What ``registry.writing()`` does before a write reads the state: journal rows a failed step left
    (its graph write's outcome unknown) redone, so nothing is checked against a state missing them and their
    later redo never overwrites a write acknowledged meanwhile. If the redo fails, so does the rest of the
    hold (raised: ``GroupQueue._run`` fails the requests not finished), and the next write redoes them."""
    if registry.journal.pending():
        try:
            registry.gate.repaired += registry.journal.recover()
        except Exception as exc:
            raise StorageFailure(f"an earlier write could not be completed, so none can start: {exc}") from exc


def _start_graph(registry: Registry, checked: _Checked, changes: list[Any], seqs: list[int]) -> _InFlight | None:
    """The journaled group's graph write begun; if it could not even start, the group redone in place
    (``Journal.recover``: its rows are committed) and answered, and None."""
    try:
        graph = registry.journal.start_graph(changes)
    except Exception:  # noqa: BLE001 - its rows are journaled: redone now, as the next write would
        try:
            registry.gate.repaired += registry.journal.recover()
        except Exception as exc:  # still pending: redone before the next write reads the state
            _fail(checked, StorageFailure(f"{_UNFINISHED}: {exc}", applied=None))
            raise
        _succeed(checked)
        return None
    return _InFlight(checked, Written(changes, seqs, graph))


_UNFINISHED = "the write is journaled but could not be completed; it will be completed before the next write"


def _journal_rows(registry: Registry, checked: _Checked, *, first: bool) -> tuple[list[Any], list[tuple[str, bytes]]]:
    """The group's writes given their final datestamp (in ``checked``), their journal changes and rows. The
    first group of a hold reserves its datestamp (visible before it is taken); a later one takes it while the
    previous group's reservation is visible, and its transaction swaps them (``Journal.stamp``)."""
    if not checked.accepted:
        return [], []
    try:
        final = registry.journal.reserve() if first else registry.journal.stamp()
        # a write's provisional datestamp is its facts' (a new sample's registration date too)
        checked.accepted = [(p, w.stamped(final, w.facts.datestamp)) for p, w in checked.accepted]
        changes = [
            w.change(registry.iris, registry.journal.principal_iri(w.principal.symbol)) for _, w in checked.accepted
        ]
        rows = registry.journal.entries(changes)
    except Exception as exc:  # noqa: BLE001 - none of them is acknowledged; each caller raises it
        _fail(checked, exc)
        checked.accepted = []
        return [], []
    return changes, rows


def _succeed(checked: _Checked) -> None:
    for p, w in checked.accepted:
        p.succeed(p.answer(w))


def _fail(checked: _Checked, exc: Exception) -> None:
    for p, _ in checked.accepted:
        p.fail(exc, shared=True)


def _finish_alone(registry: Registry, flight: _InFlight) -> None:
    """Transaction B of ``flight`` on its own (after the transaction that also journaled the next group failed)."""
    try:
        registry.journal.step(flight.step, [], None)
    except Exception as exc:  # noqa: BLE001 - none of them is acknowledged; each caller raises it
        _fail(flight.checked, exc)
    else:
        _succeed(flight.checked)


def _check(registry: Registry, group: list[Request[Any]], before: _Checked | None) -> _Checked:
    """The group's writes checked in arrival order against the stored state overlaid with ``before`` (the
    group journaled but not yet in the catalogue); refusals and test mode are finished here."""
    pending: list[PendingWrite[Any]] = [r for r in group if isinstance(r, PendingWrite)]
    stamp = registry.journal.provisional()  # for validation (see ``pipeline.register_batch``)
    state = SampleState(registry, [p.name for p in pending])
    taken = dict(before.taken) if before is not None else {}
    parents = dict(before.parents) if before is not None else {}
    if before is not None:
        for _, w in before.accepted:
            state.accept(w)
    accepted: list[tuple[PendingWrite[Any], PreparedWrite]] = []
    segment: list[PendingWrite[Any]] = []
    for p in [*pending, None]:
        if p is None or any(q.name == p.name for q in segment):
            accepted += _write_segment(registry, segment, state, stamp, taken, parents)
            segment = []
        if p is not None:
            segment.append(p)
    own_taken = {h: n - (before.taken.get(h, 0) if before is not None else 0) for h, n in taken.items()}
    own_parents = {w.name: w.parents for _, w in accepted if w.parents is not None}
    return _Checked(accepted, {h: n for h, n in own_taken.items() if n}, own_parents)


def _write_segment(
    registry: Registry,
    segment: list[PendingWrite[Any]],
    state: SampleState,
    stamp: str,
    taken: dict[str, int],
    parents: dict[str, list[str]],
) -> list[tuple[PendingWrite[Any], PreparedWrite]]:
    """Requests for distinct samples: checked, validated together, given quota in arrival order.

    Returns the writes to commit (test mode finishes its requests here); ``state``, ``taken`` and
    ``parents`` then include them, for the next segment.
    """
    from ..validation import with_elements

    prepared: list[tuple[PendingWrite[Any], PreparedWrite]] = []
    for p in segment:
        try:
            prepared.append((p, p.prepare(state, stamp)))
        except Exception as exc:  # noqa: BLE001 - a refusal (or a fault) of this request only
            p.fail(exc)
    checked = [(p, w) for p, w in prepared if w.validated]
    reports = {}
    if checked:
        try:
            reports = {
                w.name: r for (_, w), r in zip(checked, validate(registry, [w for _, w in checked]), strict=True)
            }
        except Exception as exc:  # noqa: BLE001 - the SHACL run failed: so did every write it checked
            for p, _ in checked:
                p.fail(exc, shared=True)
            return []
    accepted: list[tuple[PendingWrite[Any], PreparedWrite]] = []
    for p, w in prepared:
        if p.finished:
            continue
        report = reports.get(w.name)
        if report is not None and not report.conforms:
            if w.record is not None:
                report = with_elements(report, w.record)
            p.fail(
                InvalidRecord("; ".join(str(v) for v in report.violations), igsn=w.name, violations=report.violations)
            )
            continue
        try:
            if w.parents:
                # parent links must not close a cycle with registered samples or earlier writes of the group
                cycles = relations.parent_cycles(registry.db, {**parents, w.name: w.parents})
                if w.name in cycles:
                    raise InvalidRecord(cycles[w.name], igsn=w.name)
            if w.previous is None:
                registry.policy.check_quota(w.owner, taken.get(holder(w.owner), 0) + 1)
        except Exception as exc:  # noqa: BLE001 - this request's own refusal
            p.fail(exc)
            continue
        if p.test_mode:
            p.succeed(p.answer(w))
            continue
        if w.previous is None and w.owner.namespace != TEST_NAMESPACE:
            taken[holder(w.owner)] = taken.get(holder(w.owner), 0) + 1
        if w.parents is not None:
            parents[w.name] = w.parents
        state.accept(w)
        accepted.append((p, w))
    return accepted
