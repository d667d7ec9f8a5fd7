"""The batch driver of the write pipeline (``registry.writes``); group commit of single-record writes, the other
driver, is ``registry.group_commit``.

Both run under the registry's write lock, check ``PreparedWrite``s (``registry.prepare``), validate them
(``writes.validate``), then check parent cycles and quotas, stamp them with one reserved datestamp and
commit them as one journal step (``commit`` here). Neither acknowledges a write before that commit returns.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from .. import relations
from ..batching import batched
from ..errors import DomainNotAllowed, ForeignSample, IgsnGraphError, InvalidInput, InvalidRecord, QuotaExceeded
from . import prepare
from .accounts import ADMIN, Principal
from .derivation import Derived
from .policy import REFUSALS, Owner, holder
from .writes import Outcome, Precondition, PreparedWrite, SampleState, Submission, validate

if TYPE_CHECKING:
    from .service import Registry

__all__ = ["commit", "load_records", "register_batch"]

log = logging.getLogger("igsn_graph.registry")


def commit(
    registry: Registry, writes: Sequence[PreparedWrite], *, provisional: str | None = None
) -> list[PreparedWrite]:
    """Reserves one datestamp for the writes, journals them as one step; returns them as written.

    Under the write lock. ``provisional``: the datestamp they were prepared with (a new sample's
    registration date becomes the final one too).
    """
    if not writes:
        return []
    final = registry.journal.reserve()
    stamped = [w.stamped(final, provisional if provisional is not None else final) for w in writes]
    registry.journal.commit(
        [w.change(registry.iris, registry.journal.principal_iri(w.principal.symbol)) for w in stamped]
    )
    return stamped


# -- batches -----------------------------------------------------------------------------------------------
def register_batch(
    registry: Registry,
    principal: Principal,
    submissions: Sequence[Submission | Derived],
    *,
    test_mode: bool,
    strict: bool,
    expected: Precondition | None,
    event: str | None = None,
) -> list[Outcome]:
    """Registers a batch against the stored state; ``strict``: raise the first refusal, else one ``Outcome`` each.

    ``event``: the history event of every version written, instead of metadata-registered/-updated.

    Validation is one SHACL run over the batch (a name twice goes to a later round); quotas count the
    distinct new names per holder, all or none of them; several records of one name follow each other
    as versions, each keeping what the one before it gave.
    """
    outcomes: list[Outcome] = []
    with registry.writing(), registry.accounts.remembered():
        # a provisional stamp for validation; the records get their real one after it (``commit``), so
        # that no record appears with a datestamp older than the moment it became visible
        stamp = registry.journal.provisional()
        state = SampleState(registry, [name_of(s) for s in submissions])  # a name twice builds on the stored state
        prepared: list[tuple[int, PreparedWrite]] = []  # with the submission's index
        for i, sub in enumerate(submissions):
            try:
                write = prepare.registration(registry, principal, sub, state, stamp)
                if expected is not None:  # after the ownership checks: no version leaks
                    expected.check(write.name, state.stored.get(write.name))
                prepared.append((i, write))
            except (InvalidInput, ForeignSample, DomainNotAllowed) as exc:
                if strict:
                    raise
                outcomes.append(
                    Outcome(name_of(sub), False, reasons=[exc.message], index=i, refused=isinstance(exc, REFUSALS))
                )
        valid: list[tuple[int, PreparedWrite]] = []
        for (i, w), report in zip(prepared, validate(registry, [w for _, w in prepared]), strict=True):
            if report.conforms:
                valid.append((i, w))
                continue
            from ..validation import with_elements  # not before: a load validated where it was read needs no rdflib

            assert w.record is not None  # a registration always has one
            report = with_elements(report, w.record)
            if strict:
                raise InvalidRecord(
                    "; ".join(str(v) for v in report.violations), igsn=w.name, violations=report.violations
                )
            reasons = [str(v) for v in report.violations]
            outcomes.append(Outcome(w.name, False, reasons=reasons, violations=list(report.violations), index=i))
        # parent links must not form a cycle, within the batch or with registered samples (relations.py)
        cycles = relations.parent_cycles(registry.db, {w.name: w.parents or [] for _, w in valid})
        if cycles and strict:
            raise InvalidRecord(next(iter(cycles.values())), igsn=next(iter(cycles)))
        outcomes += [Outcome(w.name, False, reasons=[cycles[w.name]], index=i) for i, w in valid if w.name in cycles]
        valid = [(i, w) for i, w in valid if w.name not in cycles]
        over = _over_quota(registry, [w for _, w in valid], strict=strict)
        kept: list[tuple[int, PreparedWrite]] = []
        last: dict[str, PreparedWrite] = {}  # each sample's latest write of the batch
        for i, w in valid:
            if w.previous is None and holder(w.owner) in over:
                reason = f"datacentre quota exceeded: {holder(w.owner)}"
                outcomes.append(Outcome(w.name, False, reasons=[reason], index=i, refused=True))
                continue
            created = w.previous is None and w.name not in last
            if w.name in last:  # several records for one IGSN in a batch: versions follow each other
                w = w.after(last[w.name])
            last[w.name] = w
            kept.append((i, replace(w, event=event) if event is not None else w))
            warnings = list(w.record.warnings) if w.record is not None else []
            outcomes.append(Outcome(w.name, True, created=created, index=i, version=w.version, warnings=warnings))
        if not test_mode:
            commit(registry, [w for _, w in kept], provisional=stamp)
    return outcomes


def name_of(sub: Submission | Derived) -> str:
    return sub.igsn if isinstance(sub, Derived) else sub.record.igsn


def _over_quota(registry: Registry, writes: list[PreparedWrite], *, strict: bool) -> set[str]:
    """The quota holders whose distinct new names of the batch do not all fit (QuotaExceeded when ``strict``)."""
    new_per_holder: dict[str, tuple[Owner, set[str]]] = {}
    for w in writes:
        if w.previous is None:
            new_per_holder.setdefault(holder(w.owner), (w.owner, set()))[1].add(w.name)
    over: set[str] = set()
    for symbol, (owner, new) in new_per_holder.items():
        try:
            registry.policy.check_quota(owner, len(new))
        except QuotaExceeded:
            if strict:
                raise
            over.add(symbol)
    return over


def load_records(
    registry: Registry,
    submissions: Iterable[Submission | Derived],
    *,
    principal: Principal = ADMIN,
    batch_size: int | None = None,
    test_mode: bool = False,
) -> Iterator[list[Outcome]]:
    """Registers records in batches (validated and written together); yields each batch's outcomes. Records
    derived where they were read (``loader.read_files``) come as ``Derived``.

    An outcome's ``index`` counts from the first submission of all batches. A batch whose write fails
    once an earlier one is stored does not hide their fate: its records come back ``failed`` (with the
    reason; none of that batch is stored) and the next batch is tried. When the first write fails,
    nothing is stored and the error is raised.
    """
    size = batch_size or registry.settings.batch_size
    offset = 0
    stored = False

    def run(batch: list[Submission | Derived]) -> list[Outcome]:
        nonlocal stored
        try:
            outcomes = register_batch(registry, principal, batch, strict=False, test_mode=test_mode, expected=None)
        except Exception as exc:  # noqa: BLE001 - said per record below; raised when nothing is stored yet
            if not stored:
                raise
            log.exception("a bulk batch of %d records failed; none of them is stored", len(batch))
            reason = exc.message if isinstance(exc, IgsnGraphError) else "an unexpected error"
            return [
                Outcome(
                    name_of(s),
                    False,
                    reasons=[f"not stored, the write of its batch failed: {reason}"],
                    index=offset + i,
                    failed=True,
                )
                for i, s in enumerate(batch)
            ]
        stored = stored or any(o.ok for o in outcomes)
        for o in outcomes:
            o.index += offset
        return outcomes

    for batch in batched(submissions, size):
        yield run(batch)
        offset += len(batch)
