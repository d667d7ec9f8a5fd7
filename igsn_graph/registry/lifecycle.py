"""The DataCite lifecycle of an identifier: ``draft`` (reserved), ``registered`` (resolves, not listed), ``findable``.

A draft is a reservation: the name is owned and counts against its holder's quota, it may carry partial
metadata (the DataCite attributes as given, valid against the relaxed shapes of ``shapes/draft.ttl``), but it
is nowhere in the graph, the catalogue, the history or
the search rows, so OAI-PMH, SPARQL, search and relations know nothing of it, and the resolver answers it only
to its owner (``resolver/drafts.py``, private and never cached; 404 for everyone else). It is kept in
its own table (``draft``) until it is published (then it is registered like any sample, and its row goes)
or deleted. A row whose name has since been registered through another door is stale and ignored: the
catalogue always wins. ``registered`` and ``findable`` are the catalogue's private and public samples.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..db import Database
from ..errors import Conflict, ForeignSample, InvalidInput, InvalidRecord, NotFound
from ..identifiers import HANDLE_PREFIX, Igsn
from ..index.catalogue import CatalogueRow
from ..record import RegistryFacts, SampleRecord
from .accounts import Principal

if TYPE_CHECKING:
    from .service import Registry

__all__ = [
    "DDL",
    "DRAFT",
    "FINDABLE",
    "REGISTERED",
    "Draft",
    "check",
    "count",
    "delete",
    "description",
    "check_owner",
    "discard",
    "drafts_in",
    "drafts_of",
    "get",
    "put",
    "reserve",
    "state_of",
]

DRAFT, REGISTERED, FINDABLE = "draft", "registered", "findable"

DDL = """CREATE TABLE IF NOT EXISTS draft (
    igsn TEXT PRIMARY KEY, doi TEXT, agent TEXT NOT NULL, client TEXT, namespace TEXT NOT NULL, url TEXT,
    attributes TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL)"""
_LIVE = "NOT EXISTS (SELECT 1 FROM catalogue c WHERE c.igsn = draft.igsn)"


@dataclass
class Draft:
    """A reserved name: who holds it, its DOI form, and the partial DataCite attributes given so far."""

    igsn: str
    agent: str
    namespace: str
    created: str
    updated: str
    client: str | None = None
    doi: str | None = None
    url: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


def state_of(facts: RegistryFacts | CatalogueRow) -> str:
    """``findable`` for a public, active sample; ``registered`` for a private or deactivated one."""
    return FINDABLE if facts.is_public and facts.active else REGISTERED


def _draft(r: sqlite3.Row | tuple[Any, ...]) -> Draft:
    igsn, doi, agent, client, namespace, url, attributes, created, updated = tuple(r)
    return Draft(
        igsn=igsn,
        doi=doi,
        agent=agent,
        client=client,
        namespace=namespace,
        url=url,
        attributes=json.loads(attributes),
        created=created,
        updated=updated,
    )


def _select(conn: sqlite3.Connection, where: str, args: tuple[object, ...]) -> list[Draft]:
    try:
        rows = conn.execute(
            f"SELECT igsn, doi, agent, client, namespace, url, attributes, created, updated "
            f"FROM draft WHERE {_LIVE} AND {where} ORDER BY igsn",
            args,
        ).fetchall()
    except sqlite3.OperationalError as exc:  # no draft was ever made: the table is created by the first
        if "no such table" in str(exc):
            return []
        raise
    return [_draft(r) for r in rows]


def get(conn: sqlite3.Connection, name: str) -> Draft | None:
    """The live draft of ``name`` (None when there is none, or when the name is registered)."""
    found = _select(conn, "igsn = ?", (name,))
    return found[0] if found else None


def drafts_of(conn: sqlite3.Connection, principal: Principal) -> list[Draft]:
    """The drafts a caller may see: its own (an agent: its clients' too; the administrator: all)."""
    if principal.kind == "admin":
        return _select(conn, "1", ())
    if principal.kind == "agent":
        return _select(conn, "agent = ?", (principal.symbol,))
    return _select(conn, "client = ?", (principal.symbol,))


def drafts_in(conn: sqlite3.Connection, namespace: str) -> list[Draft]:
    """The live drafts of a namespace (a namespace transfer moves them with it)."""
    return _select(conn, "namespace = ?", (namespace,))


def count(conn: sqlite3.Connection, *, client: str | None = None, agent: str | None = None) -> int:
    """Live drafts held against a quota (``catalogue.count_owned``'s rule: a client's, or an agent's own)."""
    if client is not None:
        return len(_select(conn, "client = ?", (client,)))
    return len(_select(conn, "agent = ? AND client IS NULL", (agent,)))


def description(draft: Draft, *, max_bytes: int) -> SampleRecord:
    """The partial description of a draft as its attributes read (its ``xml`` document, else its DataCite
    properties), or the IGSN alone when it has none yet: what its owner reads of it."""
    from ..formats import datacite_rest

    attributes = draft.attributes
    if attributes.get("xml"):
        return datacite_rest.read_xml(attributes["xml"], max_bytes=max_bytes)[0]
    if not datacite_rest.has_metadata(attributes):
        return SampleRecord(igsn=draft.igsn)
    types = attributes.get("types")
    types = types if isinstance(types, dict) else {}
    given = {k: v for k, v in attributes.items() if k in datacite_rest.METADATA_KEYS}
    given["types"] = {**types, "resourceTypeGeneral": "PhysicalObject"}
    identifier, kind = (draft.doi, "DOI") if draft.doi else (f"{HANDLE_PREFIX}/{draft.igsn}", "Handle")
    return datacite_rest.read_attributes(given, identifier, kind)[0]


def check(registry: Registry, record: SampleRecord) -> None:
    """A draft's partial description against the relaxed draft shapes (shapes/draft.ttl): nothing is required yet,
    but what is given must be valid; ``InvalidRecord`` with the violations otherwise. Registering or publishing
    checks the whole description against the full shapes."""
    from ..formats.graph import record_triples
    from ..validation import with_elements

    report = registry.validator.validate(record.igsn, record_triples(record, registry.iris), draft=True)
    if not report.conforms:
        report = with_elements(report, record)
        raise InvalidRecord(
            "; ".join(str(v) for v in report.violations), igsn=record.igsn, violations=report.violations
        )


def put(db: Database, draft: Draft) -> None:
    """Creates or replaces a draft (one SQLite transaction)."""
    with db.write() as conn:
        conn.execute(DDL)
        conn.execute(
            "INSERT OR REPLACE INTO draft VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                draft.igsn,
                draft.doi,
                draft.agent,
                draft.client,
                draft.namespace,
                draft.url,
                json.dumps(draft.attributes, ensure_ascii=False),
                draft.created,
                draft.updated,
            ),
        )


def delete(db: Database, name: str) -> None:
    """Removes the draft row of ``name`` (deleted, or published: the catalogue holds it now)."""
    with db.write() as conn:
        conn.execute(DDL)
        conn.execute("DELETE FROM draft WHERE igsn = ?", (name,))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def reserve(
    registry: Registry, principal: Principal, igsn: Igsn, *, url: str | None, attributes: dict[str, Any]
) -> Draft:
    """Creates or updates the draft of a name that is not registered: the same namespace, DOI-prefix, ownership,
    landing-domain and quota rules as a registration; the attributes given replace those stored, key by key."""
    from .service import Owner  # service imports this module for its quota rule

    with registry.writing():  # one writer: two reservations of the last quota place cannot both pass
        conn = registry.db.read()
        old = get(conn, igsn.name)
        if old is not None:
            check_owner(old, principal)
            owner = Owner(old.agent, old.client, old.namespace)
        else:
            owner = registry.owner_of_name(igsn, principal)
            registry.policy.check_owner(principal, owner, igsn.name, False)
        registry.check_doi_prefix(igsn, principal)
        url = url or (old.url if old else None)
        if url:
            registry.policy.check_url(url, owner)
        if old is None:
            registry.policy.check_quota(owner, 1)
        now = _now()
        draft = Draft(
            igsn=igsn.name,
            agent=owner.agent,
            client=owner.client,
            namespace=owner.namespace,
            created=old.created if old else now,
            updated=now,
            doi=igsn.doi or (old.doi if old else None),
            url=url,
            attributes={**(old.attributes if old else {}), **attributes},
        )
        put(registry.db, draft)
        return draft


def check_owner(draft: Draft, principal: Principal) -> None:
    """``ForeignSample`` unless ``principal`` may change the draft (its owner, the owning client's agent, the
    administrator)."""
    if not principal.may_act_for(draft.agent, draft.client):
        raise ForeignSample("cannot access dataset which belongs to another party", igsn=draft.igsn)


def discard(registry: Registry, principal: Principal, name: str) -> Draft:
    """Deletes a draft (only drafts can be deleted: a registered identifier stays)."""
    with registry.writing():
        draft = get(registry.db.read(), name)
        if draft is None:
            raise NotFound("DOI not found", igsn=name)
        check_owner(draft, principal)
        delete(registry.db, name)
        return draft


#: most names one reservation takes
MAX_RESERVATION = 1000


def pattern_names(registry: Registry, pattern: str, count: int) -> list[str]:
    """The first ``count`` free names of a pattern whose one run of ``#`` stands for zero-padded numbers
    (``ZTA-2024-####`` → ``ZTA-2024-0001``…), skipping names registered or reserved already."""
    runs = re.findall(r"#+", pattern)
    if len(runs) != 1:
        raise InvalidInput(f"pattern {pattern!r}: give one run of # for the number (ZTA-2024-####)")
    if not 1 <= count <= MAX_RESERVATION:
        raise InvalidInput(f"count: give 1 to {MAX_RESERVATION} names to reserve")
    width = len(runs[0])
    head, tail = pattern.split(runs[0])
    conn = registry.db.read()
    names: list[str] = []
    for n in range(1, 10**width):
        name = registry.parse(f"{head}{n:0{width}d}{tail}").name
        if registry.row(name) is None and get(conn, name) is None:
            names.append(name)
            if len(names) == count:
                return names
    raise Conflict(f"pattern {pattern!r} has fewer than {count} free names")


def reserve_names(registry: Registry, principal: Principal, names: list[Igsn]) -> list[Draft]:
    """Reserves names as drafts without metadata, all or none: each free, in a namespace the caller may register
    in, within its holder's quota taken together."""
    from .service import Owner  # service imports this module for its quota rule

    if not 1 <= len(names) <= MAX_RESERVATION:
        raise InvalidInput(f"names: give 1 to {MAX_RESERVATION} names to reserve")
    if len({n.name for n in names}) != len(names):
        raise InvalidInput("names: a name is given twice")
    with registry.writing():
        conn = registry.db.read()
        owners: dict[str, Owner] = {}
        taken: dict[Owner, int] = {}
        for igsn in names:
            if registry.row(igsn.name) is not None or get(conn, igsn.name) is not None:
                raise Conflict(f"{igsn.name} is registered or reserved already", igsn=igsn.name)
            owner = registry.owner_of_name(igsn, principal)
            registry.policy.check_owner(principal, owner, igsn.name, False)
            registry.check_doi_prefix(igsn, principal)
            owners[igsn.name] = owner
            taken[owner] = taken.get(owner, 0) + 1
        for owner, n in taken.items():
            registry.policy.check_quota(owner, n)
        now = _now()
        drafts = [
            Draft(
                igsn=i.name,
                agent=owners[i.name].agent,
                client=owners[i.name].client,
                namespace=owners[i.name].namespace,
                created=now,
                updated=now,
                doi=i.doi,
            )
            for i in names
        ]
        with registry.db.write() as w:
            w.execute(DDL)
            w.executemany(
                "INSERT INTO draft VALUES (?, ?, ?, ?, ?, NULL, '{}', ?, ?)",
                [(d.igsn, d.doi, d.agent, d.client, d.namespace, d.created, d.updated) for d in drafts],
            )
        return drafts
