"""Transfers: samples, and the names reserved beside them, move to another owner in one journaled step.

An agent moves samples between its own clients (or to itself); the administrator moves them between agents.
What moves is named by IGSN (one or a list) or by namespace (every sample and draft in it, and the namespace
itself). The namespace rule of registrations holds afterwards: a moved sample lies in a namespace its new owner
owns — the receiver owns it already, or it is the namespace the transfer moves.

One step, all or nothing: every sample gets a new version (event ``transferred``, its PROV activity, a new
datestamp, so set-based harvesters see it leave one set and join another) through one journal commit, which
carries the account rows that move with the samples (the namespace, the drafts) in its payload; a crash after
the journal entry redoes the whole of it (``journal.Journal.recover``), one before it leaves nothing.
The old owner's credentials no longer write the samples: ownership is read from the catalogue row.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from pyoxigraph import NamedNode, Triple

from ..errors import Conflict, ForeignSample, InvalidInput, NamespaceNotAllowed, NotAllowed, NotFound
from ..identifiers import TEST_NAMESPACE, namespace_of, normalise_namespace
from ..index import catalogue
from ..index.catalogue import CatalogueRow
from ..vocab import IG
from . import lifecycle
from .accounts import Principal, changed_accounts

if TYPE_CHECKING:
    from .journal import Change
    from .service import Registry

__all__ = ["EVENT", "MAX_NAMES", "Moves", "Receiver", "TransferResult", "transfer"]

#: the history event of a transfer (``store.history.EVENTS``)
EVENT = "transferred"
#: most names one transfer lists (a namespace transfer takes all of it)
MAX_NAMES = 10_000


@dataclass(frozen=True)
class Receiver:
    """Who receives: an agent (``client`` None: its own samples) or one of its clients."""

    agent: str
    client: str | None

    @property
    def symbol(self) -> str:
        return self.client or self.agent


@dataclass(frozen=True)
class Moves:
    """The account rows a transfer moves with its samples; idempotent, so a journal replay may apply them again.

    ``namespaces``: (namespace, agent, client, agent_level); ``drafts``: (igsn, agent, client, namespace).
    """

    namespaces: tuple[tuple[str, str, str | None, int], ...] = ()
    drafts: tuple[tuple[str, str, str | None, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.namespaces or self.drafts)

    def to_json(self) -> dict[str, Any]:
        return {"namespaces": [list(n) for n in self.namespaces], "drafts": [list(d) for d in self.drafts]}

    @classmethod
    def from_json(cls, body: dict[str, Any] | None) -> Moves | None:
        if not body:
            return None
        return cls(
            namespaces=tuple((n[0], n[1], n[2], int(n[3])) for n in body.get("namespaces", [])),
            drafts=tuple((d[0], d[1], d[2], d[3]) for d in body.get("drafts", [])),
        )

    def apply(self, conn: sqlite3.Connection) -> None:
        """Writes the moves in the caller's SQLite transaction (the journal's last one)."""
        conn.executemany(
            "UPDATE namespaces SET agent = ?, client = ?, agent_level = ? WHERE namespace = ?",
            [(agent, client, level, ns) for ns, agent, client, level in self.namespaces],
        )
        if self.namespaces:
            changed_accounts(conn)  # the owners' principals changed: every node's credential cache is emptied
        if self.drafts:
            conn.execute(lifecycle.DDL)
            conn.executemany(
                "UPDATE draft SET agent = ?, client = ?, namespace = ? WHERE igsn = ?",
                [(agent, client, ns, name) for name, agent, client, ns in self.drafts],
            )


@dataclass
class TransferResult:
    """What a transfer did: the samples and drafts moved (in IGSN order), those the receiver held already."""

    to: str
    moved: list[str] = field(default_factory=list)
    drafts: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    #: the namespace that moved with them
    namespace: str | None = None
    #: the datestamp of the moved samples' new versions (None when no sample moved)
    datestamp: str | None = None


def receiver_of(registry: Registry, principal: Principal, to: str) -> Receiver:
    """The account named ``to`` (an agent, or ``AGENT.CLIENT``), active, and one the caller may give samples to."""
    if principal.kind == "client":
        raise NotAllowed("a client cannot transfer samples: its agent or the administrator moves them")
    if "." in to:
        client = registry.accounts.client(to)  # NotFound
        receiver, active = Receiver(client.agent, client.symbol), client.active
        active = active and registry.accounts.agent(client.agent).active
    else:
        agent = registry.accounts.agent(to)
        receiver, active = Receiver(agent.symbol, None), agent.active
    if not active:
        raise Conflict(f"{receiver.symbol} is disabled: it cannot receive samples")
    if principal.kind == "agent" and receiver.agent != principal.symbol:
        raise NotAllowed(
            f"an agent moves samples between its own clients: {receiver.symbol} is not one of {principal.symbol}'s"
        )
    return receiver


def _namespace_row(conn: sqlite3.Connection, ns: str) -> tuple[str, str | None, int]:
    row = conn.execute("SELECT agent, client, agent_level FROM namespaces WHERE namespace = ?", (ns,)).fetchone()
    if row is None:
        raise NotFound(f"namespace {ns} not found")
    return row[0], row[1], int(row[2])


def _owned(row: CatalogueRow | lifecycle.Draft, to: Receiver) -> bool:
    return row.agent == to.agent and row.client == to.client


def transfer(
    registry: Registry,
    principal: Principal,
    to: str,
    *,
    names: list[str] | None = None,
    namespace: str | None = None,
) -> TransferResult:
    """Moves the named samples (and drafts), or every sample and draft of ``namespace`` with the namespace, to
    ``to``; all or nothing. Refused (nothing changed): a caller that may not act for a sample or the namespace,
    a receiver that is not the caller's (an agent's) or is disabled, a sample whose namespace the receiver would
    not own, the receiver's quota."""
    from .service import Owner  # service imports the journal, which imports this module

    if (names is None) == (namespace is None):
        raise InvalidInput("name the samples to transfer (names) or a namespace, not both")
    if names is not None and not 1 <= len(names) <= MAX_NAMES:
        raise InvalidInput(f"names: give 1 to {MAX_NAMES} IGSNs to transfer")
    with registry.writing():
        to_ = receiver_of(registry, principal, to)
        conn = registry.db.read()
        result = TransferResult(to=to_.symbol)
        table = registry.accounts.namespace_table()
        moved_ns: tuple[str, str, str | None, int] | None = None
        if namespace is not None:
            ns = normalise_namespace(namespace)
            agent, client, level = _namespace_row(conn, ns)
            if not principal.may_act_for(agent, client):
                raise ForeignSample(f"namespace {ns} belongs to another party")
            if (agent, client) != (to_.agent, to_.client):
                # another agent receives it as its own; between one agent's accounts it keeps its level
                level = 1 if to_.agent != agent or to_.client is None else level
                moved_ns = (ns, to_.agent, to_.client, level)
                table = {**table, ns: (to_.agent, to_.client)}
            result.namespace = ns
            selected = [
                r[0] for r in conn.execute("SELECT igsn FROM catalogue WHERE namespace = ? ORDER BY igsn", (ns,))
            ]
            rows = catalogue.get_many(conn, selected)
            drafts = lifecycle.drafts_in(conn, ns)
        else:
            assert names is not None
            parsed = [registry.parse(n).name for n in names]
            if len(set(parsed)) != len(parsed):
                raise InvalidInput("names: an IGSN is given twice")
            rows = catalogue.get_many(conn, sorted(parsed))
            drafts = []
            for name in sorted(parsed):
                if name not in rows:
                    draft = lifecycle.get(conn, name)
                    if draft is None:
                        raise NotFound("IGSN not found", igsn=name)
                    drafts.append(draft)
        held: list[CatalogueRow | lifecycle.Draft] = [*rows.values(), *drafts]
        for item in held:
            if not principal.may_act_for(item.agent, item.client):
                raise ForeignSample("cannot access dataset which belongs to another party", igsn=item.igsn)
        # where each one lies afterwards: the longest namespace (as the transfer leaves the table), the receiver's
        target: dict[str, str] = {}
        for item in held:
            if item.namespace == TEST_NAMESPACE:
                target[item.igsn] = TEST_NAMESPACE
                continue
            ns_after = namespace_of(item.igsn, table)
            if ns_after is None or table[ns_after] != (to_.agent, to_.client):
                owner = "no one" if ns_after is None else (table[ns_after][1] or table[ns_after][0])
                raise NamespaceNotAllowed(
                    f"{item.igsn} lies in namespace {ns_after or item.namespace} of {owner}: {to_.symbol} must own "
                    f"it, or the transfer must name the namespace that moves with the samples",
                    igsn=item.igsn,
                )
            target[item.igsn] = ns_after
        moving = [r for r in rows.values() if not _owned(r, to_) or r.namespace != target[r.igsn]]
        moving_drafts = [d for d in drafts if not _owned(d, to_) or d.namespace != target[d.igsn]]
        going = {r.igsn for r in moving} | {d.igsn for d in moving_drafts}
        result.unchanged = sorted(x.igsn for x in held if x.igsn not in going)
        arriving: list[CatalogueRow | lifecycle.Draft] = [*moving, *moving_drafts]
        gained = sum(1 for x in arriving if not _owned(x, to_) and target[x.igsn] != TEST_NAMESPACE)
        registry.policy.check_quota(Owner(to_.agent, to_.client, ""), gained)
        moves = Moves(
            namespaces=(moved_ns,) if moved_ns else (),
            drafts=tuple((d.igsn, to_.agent, to_.client, target[d.igsn]) for d in moving_drafts),
        )
        result.moved = sorted(r.igsn for r in moving)
        result.drafts = sorted(d.igsn for d in moving_drafts)
        if moving:
            stamp = registry.journal.reserve()
            result.datestamp = stamp
            changes = [_change(registry, principal, row, to_, target[row.igsn], stamp) for row in moving]
            changes[0].moves = moves or None
            registry.journal.commit(changes)
        elif moves:
            with registry.db.write() as w:
                moves.apply(w)
        if moved_ns:
            registry.publish_accounts()  # also mended at the next start, should this process die first
    return result


def _change(
    registry: Registry, principal: Principal, row: CatalogueRow, to: Receiver, namespace: str, stamp: str
) -> Change:
    """The sample's next version: the same description and state under its new owner, with a new datestamp."""
    facts = registry.facts(row.igsn)
    if facts is None:
        raise NotFound("IGSN not found", igsn=row.igsn)
    record = registry.record(row.igsn) if facts.has_metadata else None
    moved = replace(facts, agent=to.agent, client=to.client, namespace=namespace, datestamp=stamp)
    change = registry.admin_change(facts=moved, record=record, previous=row, event=EVENT, principal=principal)
    # the activity says from whom to whom (its version's facts say only where the sample is now)
    activity = registry.iris.activity(f"{row.igsn}/{change.row.version}")
    change.activity = [
        *change.activity,
        Triple(activity, IG.transferredFrom, _account(registry, row.agent, row.client)),
        Triple(activity, IG.transferredTo, _account(registry, to.agent, to.client)),
    ]
    return change


def _account(registry: Registry, agent: str, client: str | None) -> NamedNode:
    return registry.iris.client(client) if client else registry.iris.agent(agent)
