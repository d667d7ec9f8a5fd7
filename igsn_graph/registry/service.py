"""The registry: one method per operation (mint, metadata, deactivate, deprecate…), ownership, quotas, test mode.

Everything that changes a sample goes through here and then ``registry.journal``; nothing here knows
HTTP. Refusals are exceptions from ``igsn_graph.errors``; in bulk loads invalid records are reported
per record instead, and the valid ones are stored.

Single-record writes (a strict registration, a mint, a state change) are group-committed (``group``):
those that arrive while a write is under way are checked one by one in arrival order, against the state
the earlier ones of the group leave, validated by one SHACL run and written by one journal commit. Each
caller gets exactly what it would have got alone, one after the other in arrival order.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyoxigraph import Literal, NamedNode, Triple

from .. import identifiers, links, relations, text_policy
from ..errors import (
    Conflict,
    DomainNotAllowed,
    ForeignSample,
    Gone,
    IgsnGraphError,
    InvalidInput,
    InvalidRecord,
    NamespaceNotAllowed,
    NotAllowed,
    NotFound,
    QuotaExceeded,
    ReadOnly,
    UnknownNamespace,
)
from ..formats import graph as graphmap
from ..identifiers import TEST_NAMESPACE, Igsn
from ..index import catalogue
from ..index.catalogue import CatalogueRow
from ..iris import DEFAULT_IRI_BASE, Iris
from ..record import Agent as PersonOrOrg
from ..record import Identifier, RegistryFacts, SampleRecord
from ..settings import Settings
from ..store import history, open_store
from ..store.base import GraphStore, GraphWrite
from ..vocab import IG, RDF_TYPE, SCHEMA
from . import embargo, lifecycle, relink
from .accounts import ADMIN, Accounts, Agent, Client, Principal, domain_allowed
from .database import Database
from .group import GroupQueue, GroupStats, Request
from .journal import Change, Journal, parse_ntriples
from .locking import WriteLock

if TYPE_CHECKING:
    from ..validation import ValidationReport, Validator

__all__ = [
    "MintResult",
    "NotInitialised",
    "Outcome",
    "Precondition",
    "PreconditionFailed",
    "Registry",
    "Submission",
    "init_data_dir",
    "unwritable",
]

log = logging.getLogger("igsn_graph.registry")


class NotInitialised(InvalidInput):
    """The data folder has not been initialised with ``igsn-graph init``."""


class PreconditionFailed(Conflict):
    """The sample is not in the version the caller expected (a stale ``If-Match``); nothing was changed."""

    def __init__(self, message: str, *, igsn: str, current: int | None) -> None:
        super().__init__(message, igsn=igsn, current=current)
        self.igsn = igsn
        self.current = current


@dataclass(frozen=True)
class Precondition:
    """The version a writer based its change on, checked under the write lock (optimistic concurrency).

    ``versions``: the current version must be one of these; ``exists``: True — the sample must exist
    (any version), False — it must not exist yet.
    """

    versions: frozenset[int] = frozenset()
    exists: bool | None = None

    def check(self, name: str, row: CatalogueRow | None) -> None:
        current = row.version if row is not None else None
        if self.exists is False and current is not None:
            raise PreconditionFailed(f"{name} exists already (version {current})", igsn=name, current=current)
        if self.exists is True and current is None:
            raise PreconditionFailed(f"{name} is not registered", igsn=name, current=None)
        if self.versions and current not in self.versions:
            shown = "it is not registered" if current is None else f"its current version is {current}"
            raise PreconditionFailed(
                f"{name} has changed: expected version {' or '.join(str(v) for v in sorted(self.versions))}, {shown}",
                igsn=name,
                current=current,
            )


@dataclass
class Submission:
    """One record to register, with the verbatim document it came from."""

    record: SampleRecord
    format: str
    document: bytes | None = None
    landing_url: str | None = None


@dataclass
class Outcome:
    igsn: str
    ok: bool
    created: bool = False
    reasons: list[str] = field(default_factory=list)
    violations: list[object] = field(default_factory=list)
    #: position of the submission in what was registered (outcomes are not in submission order)
    index: int = -1
    #: not stored because the caller may not (namespace, ownership, domain, quota), not because it is invalid
    refused: bool = False
    #: the catalogue version written (or that would be written in test mode)
    version: int | None = None
    #: what the reader accepted off-form or did not map (``SampleRecord.warnings``): stored, but said
    warnings: list[str] = field(default_factory=list)
    #: not stored because writing its batch failed (not the record's fault): it may be sent again
    failed: bool = False


@dataclass(frozen=True)
class MintResult:
    igsn: Igsn
    created: bool
    test_mode: bool = False


@dataclass(frozen=True)
class Owner:
    agent: str
    client: str | None
    namespace: str


def init_data_dir(
    settings: Settings,
    *,
    iri_base: str = DEFAULT_IRI_BASE,
    repository_id: str = "igsn-graph.example.org",
    contact_email: str | None = None,
) -> bool:
    """Creates the data folder; fixes the IRI base and repository id. False if it existed already.

    ``contact_email``: the address OAI-PMH Identify gives as ``adminEmail`` (it may be set again later);
    without it ``contact@<repository id>``, never an account name (``Registry.contact_email``).
    """
    import re

    if contact_email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", contact_email):
        raise InvalidInput(f"contact e-mail {contact_email!r} is not an e-mail address")
    if not re.fullmatch(
        r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+", repository_id
    ):
        raise InvalidInput(f"repository id {repository_id!r} must be a dotted domain name")
    if not iri_base.startswith(("http://", "https://")) or not iri_base.endswith("/") or "#" in iri_base:
        raise InvalidInput(f"IRI base {iri_base!r} must be an http(s) URL ending in '/' (sample IRIs are base + name)")
    iri_base = Iris(iri_base).base
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.database_path)
    try:
        existing = db.get_meta("iri_base")
        if existing is not None:
            if existing != iri_base or db.get_meta("repository_id") != repository_id:
                raise Conflict(
                    f"{settings.data_dir} is initialised already with IRI base {existing} and "
                    f"repository id {db.get_meta('repository_id')}; these are fixed at init"
                )
            if contact_email is not None:
                db.set_meta("contact_email", contact_email)
            return False
        with db.write() as conn:
            conn.execute("INSERT INTO meta VALUES ('iri_base', ?)", (iri_base,))
            conn.execute("INSERT INTO meta VALUES ('repository_id', ?)", (repository_id,))
            # a new folder is written under the current link rules from its first record: nothing to relink
            conn.execute("INSERT INTO meta VALUES (?, ?)", (relink.DONE_KEY, relink.fingerprint()))
            if contact_email is not None:
                conn.execute("INSERT INTO meta VALUES ('contact_email', ?)", (contact_email,))
        return True
    finally:
        db.close()


class Registry:
    """The registry over one data folder: accounts, graph store, history, catalogue index."""

    def __init__(self, settings: Settings, *, store: GraphStore | None = None) -> None:
        self.settings = settings
        if not settings.database_path.exists():
            raise NotInitialised(f"{settings.data_dir} is not an igsn-graph data folder; run `igsn-graph init`")
        # read-only: asked for (a replica, a snapshot), or the data folder cannot be written (a read-only
        # mount, a recovery); then nothing is written into the folder and every write is refused
        blocked = unwritable(settings)
        self.read_only = settings.read_only or blocked is not None
        self._read_only_message = (
            "the registry is read-only: this server only serves reads (setting read_only)"
            if settings.read_only
            else "the registry is read-only: its data folder is not writable; writes return when the server is "
            "started on a writable data folder"
        )
        if self.read_only:
            log.warning(
                "opening %s read-only (%s): every write is refused",
                settings.data_dir,
                "setting read_only" if settings.read_only else f"{blocked} is not writable",
            )
        self.db = Database(settings.database_path, read_only=self.read_only)
        base = self.db.get_meta("iri_base")
        if base is None:
            self.db.close()
            raise NotInitialised(f"{settings.data_dir} is not initialised; run `igsn-graph init`")
        self.iris = Iris(base)
        self.repository_id = self.db.get_meta("repository_id") or ""
        #: OAI-PMH adminEmail: the setting, or the address given at init, or a default that names no account
        self.contact_email = (
            settings.oai_admin_email or self.db.get_meta("contact_email") or f"contact@{self.repository_id}"
        )
        try:
            self.store: GraphStore = store if store is not None else open_store(settings, read_only=self.read_only)
        except Exception:
            self.db.close()
            raise
        self.accounts = Accounts(self.db)
        self.journal = Journal(self.db, self.store, self.iris, crash_at=settings.crash_at)
        # one writer at a time: ownership checks, quota counts and version numbers need a stable view;
        # with a remote engine other processes may share the data folder, so the lock spans processes
        shared = settings.store not in ("", "embedded")
        self._write_lock = WriteLock(settings.data_dir / "write.lock" if shared else None)
        self._group: GroupQueue[object] = GroupQueue(self._write_group, limit=GROUP_LIMIT)
        self._validator: Validator | None = None
        self.repaired = 0
        if self.read_only:
            pending = self.journal.pending()
            if pending:
                # never acknowledged, so nothing is lost; reads show the state before them until repaired
                log.warning(
                    "%d interrupted write(s) are journaled in %s and cannot be repaired read-only; "
                    "start once on a writable data folder to repair them",
                    pending,
                    settings.data_dir,
                )
            return
        with self._write_lock:  # another process's write in flight is not an interrupted one
            self.repaired = self.journal.recover()
            self.journal.release(force=True)  # a datestamp reserved by a writer that died before journaling
            # the accounts graph follows the accounts tables; a crash between the two is mended here
            self.publish_accounts()

    # -- lifecycle ------------------------------------------------------------------------------
    def close(self) -> None:
        self.store.close()
        self.db.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """The write lock, after redoing any journaled write a dead (or failed) writer left behind.

        A pending journal entry seen under the lock is never another writer's write in flight, and it
        must be applied before this write reads the state it builds on. ``ReadOnly`` in read-only mode.
        """
        if self.read_only:
            log.warning("write refused: %s", self._read_only_message)
            raise ReadOnly(self._read_only_message)
        with self._write_lock:
            if self.journal.pending():
                self.repaired += self.journal.recover()
            elif self.journal.inflight() is not None:
                self.journal.release(force=True)  # left by a writer that died before journaling
            try:
                yield
            finally:
                self.journal.release()  # the write was refused or was only a test

    @property
    def stats(self) -> GroupStats:
        """What the group commit of single-record writes did (groups, requests, the largest group)."""
        return self._group.stats

    @property
    def validator(self) -> Validator:
        if self._validator is None:
            from ..validation import Validator

            self._validator = Validator(self.iris, engine=self.settings.validation_engine)
        return self._validator

    # -- accounts ---------------------------------------------------------------------------------
    def add_agent(self, symbol: str, **kwargs: Any) -> Agent:
        with self.writing():
            agent = self.accounts.add_agent(symbol, **kwargs)
            self.publish_accounts()
        return agent

    def add_client(self, symbol: str, **kwargs: Any) -> Client:
        with self.writing():
            client = self.accounts.add_client(symbol, **kwargs)
            self.publish_accounts()
        return client

    def update_agent(self, symbol: str, **kwargs: Any) -> Agent:
        with self.writing():
            agent = self.accounts.update_agent(symbol, **kwargs)
            self.publish_accounts()
        return agent

    def update_client(self, symbol: str, **kwargs: Any) -> Client:
        with self.writing():
            client = self.accounts.update_client(symbol, **kwargs)
            self.publish_accounts()
        return client

    def add_namespace(self, namespace: str, owner: str) -> str:
        with self.writing():
            ns = self.accounts.add_namespace(namespace, owner)
            self.publish_accounts()
        return ns

    def remove_namespace(self, namespace: str) -> str:
        """Takes a namespace away; refused while samples lie in it (their ownership and quota rest on it)."""
        with self.writing():
            ns = identifiers.normalise_namespace(namespace)
            used = self.db.read().execute("SELECT COUNT(*) FROM catalogue WHERE namespace = ?", (ns,)).fetchone()[0]
            if used:
                raise Conflict(f"namespace {ns} holds {used} sample(s); it cannot be removed")
            self.accounts.remove_namespace(ns)
            self.publish_accounts()
        return ns

    def add_doi_prefix(self, prefix: str, owner: str) -> str:
        with self.writing():
            return self.accounts.add_doi_prefix(prefix, owner)

    def remove_doi_prefix(self, prefix: str) -> str:
        with self.writing():
            return self.accounts.remove_doi_prefix(prefix)

    def publish_accounts(self) -> None:
        """Rewrites the public accounts graph (symbols, names, identifiers, namespaces — no secrets)."""
        triples: list[Triple] = []
        for a in self.accounts.agents():
            node = self.iris.agent(a.symbol)
            triples += [
                Triple(node, RDF_TYPE, IG.AllocatingAgent),
                Triple(node, IG.symbol, Literal(a.symbol)),
                Triple(node, SCHEMA.name, Literal(a.name)),
            ]
            if a.ror:  # the account is that organisation: it points at the node samples name it by
                triples += [
                    Triple(node, SCHEMA.identifier, NamedNode(a.ror)),
                    Triple(node, SCHEMA.sameAs, NamedNode(a.ror)),
                ]
            for ns in a.namespaces:
                triples.append(Triple(node, IG.ownsNamespace, self.iris.namespace(ns)))
        for c in self.accounts.clients():
            node = self.iris.client(c.symbol)
            triples += [
                Triple(node, RDF_TYPE, IG.Client),
                Triple(node, IG.symbol, Literal(c.symbol)),
                Triple(node, SCHEMA.name, Literal(c.name)),
                Triple(node, IG.allocatingAgent, self.iris.agent(c.agent)),
            ]
            if c.ror:
                triples += [
                    Triple(node, SCHEMA.identifier, NamedNode(c.ror)),
                    Triple(node, SCHEMA.sameAs, NamedNode(c.ror)),
                ]
        for ns, (agent, client) in sorted(self.accounts.namespace_table().items()):
            node = self.iris.namespace(ns)
            triples += [
                Triple(node, RDF_TYPE, IG.Namespace),
                Triple(node, IG.symbol, Literal(ns)),
                Triple(node, IG.ownedBy, self.iris.client(client) if client else self.iris.agent(agent)),
            ]
        graph = self.iris.accounts_graph()
        if {str(t) for t in triples} != {str(t) for t in self.store.graph(graph)}:
            self.store.apply(GraphWrite(replace={graph: triples}))

    # -- identifiers and ownership ----------------------------------------------------------------
    def parse(self, text: str) -> Igsn:
        """Parses a written IGSN; a DOI form must use a DOI prefix registered here."""
        return identifiers.parse_igsn(text, doi_prefixes=self.accounts.doi_prefix_table().keys())

    def owner_of_name(self, igsn: Igsn, principal: Principal | None = None) -> Owner:
        """The owner of a (new) name: the owner of its longest registered namespace."""
        if igsn.handle_prefix == identifiers.TEST_HANDLE_PREFIX and not igsn.name.startswith(TEST_NAMESPACE):
            raise NamespaceNotAllowed(
                f"IGSN prefix is not allowed: the test prefix {identifiers.TEST_HANDLE_PREFIX} "
                f"is for names in the {TEST_NAMESPACE} namespace"
            )
        if igsn.name.startswith(TEST_NAMESPACE):
            # the test namespace is open to every client; test samples belong to whoever registers them
            if principal is None or principal.kind == "admin":
                raise NamespaceNotAllowed("test registrations need a client or agent account")
            if principal.kind == "client":
                return Owner(principal.agent or "", principal.symbol, TEST_NAMESPACE)
            return Owner(principal.symbol, None, TEST_NAMESPACE)
        table = self.accounts.namespace_table()
        ns = identifiers.namespace_of(igsn.name, table)
        if ns is None:
            raise UnknownNamespace(f"IGSN prefix is not allowed: {igsn.name} lies in no registered namespace")
        agent, client = table[ns]
        owner = Owner(agent, client, ns)
        if igsn.doi_prefix is not None:
            prefixes = self.accounts.doi_prefix_table()
            p_agent, p_client = prefixes[igsn.doi_prefix]
            if p_agent != agent or (p_client is not None and client is not None and p_client != client):
                raise NamespaceNotAllowed(f"DOI prefix {igsn.doi_prefix} does not belong to the owner of {igsn.name}")
        return owner

    def check_doi_prefix(self, igsn: Igsn, principal: Principal | None = None) -> None:
        """A DOI form must use a DOI prefix of the owner of the name's namespace (``owner_of_name``'s rule),
        for existing samples too, unless it is the DOI the sample was registered with: a DOI is persistent, so a
        sample transferred to another agent keeps its own (``registry.transfer``). NamespaceNotAllowed otherwise."""
        if igsn.doi_prefix is None or igsn.name.startswith(TEST_NAMESPACE) or igsn.doi is None:
            return
        facts = self.facts(igsn.name) if self.row(igsn.name) is not None else None
        if facts is not None and facts.doi is not None and facts.doi.upper() == igsn.doi.upper():
            return
        self.owner_of_name(igsn, principal)

    def _check_owner(self, principal: Principal, owner: Owner, igsn: str, exists: bool) -> None:
        if principal.may_act_for(owner.agent, owner.client):
            return
        if exists:
            raise ForeignSample("cannot access dataset which belongs to another party", igsn=igsn)
        raise NamespaceNotAllowed(
            f"IGSN prefix is not allowed: {igsn} is in namespace {owner.namespace} of {owner.client or owner.agent}"
        )

    def _client_of(self, owner: Owner) -> Client | None:
        return self.accounts.client(owner.client) if owner.client else None

    def _check_url(self, url: str, owner: Owner) -> None:
        text_policy.check_url(url, max_length=self.settings.max_url_length)  # InvalidInput, never a ValueError
        client = self._client_of(owner)
        if client is not None and not domain_allowed(url, client.domains):
            raise DomainNotAllowed("domain of URL is not allowed", url=url)

    def _check_quota(self, owner: Owner, new_count: int) -> None:
        if new_count <= 0 or owner.namespace == TEST_NAMESPACE:
            return
        symbol = owner.client or owner.agent
        quota = (self.accounts.client(symbol) if owner.client is not None else self.accounts.agent(symbol)).quota
        if quota < 0:  # no quota: nothing to count (counting reads every sample of the holder)
            return
        conn = self.db.read()
        used = (
            catalogue.count_owned(conn, client=symbol)
            if owner.client is not None
            else catalogue.count_owned(conn, agent=symbol)
        )
        # reserved names (DataCite drafts) count as the samples they will become
        used += (
            lifecycle.count(conn, client=symbol) if owner.client is not None else lifecycle.count(conn, agent=symbol)
        )
        if used + new_count > quota:
            raise QuotaExceeded(f"datacentre quota exceeded: {symbol}", symbol=symbol)

    # -- reads --------------------------------------------------------------------------------
    def row(self, name: str) -> CatalogueRow | None:
        return catalogue.get(self.db.read(), name)

    def graph_of(self, name: str) -> list[Triple]:
        return self.store.graph(self.iris.record_graph(name))

    def facts(self, name: str) -> RegistryFacts | None:
        return graphmap.facts_from_triples(self.graph_of(name), self.iris, name)

    def record(self, name: str) -> SampleRecord | None:
        """The current description (from history when the sample is private or inactive: the graph holds facts only)."""
        triples = self.graph_of(name)
        facts = graphmap.facts_from_triples(triples, self.iris, name)
        if facts is None or not facts.has_metadata:
            return None
        if not (facts.is_public and facts.active):
            latest = history.latest_version(self.db.read(), name)
            if latest is None:
                return None
            triples = parse_ntriples(latest.graph_ntriples)
        return graphmap.record_from_triples(triples, self.iris, name)

    def _existing(
        self, name: str, principal: Principal, state: _State | None = None
    ) -> tuple[CatalogueRow, RegistryFacts]:
        """The sample's row and facts (as ``state`` sees them, when given); NotFound, or ForeignSample."""
        source: Registry | _State = state if state is not None else self
        row = source.row(name)
        if row is None:
            raise NotFound("IGSN not found", igsn=name)
        facts = source.facts(name)
        if facts is None:
            raise NotFound("IGSN not found", igsn=name)
        if not principal.may_act_for(row.agent, row.client):
            raise ForeignSample("cannot access dataset which belongs to another party", igsn=name)
        return row, facts

    def landing_url(self, principal: Principal, text: str) -> str | None:
        """The registered landing URL (None: known, not resolvable yet); Gone when inactive."""
        igsn = self.parse(text)
        _, facts = self._existing(igsn.name, principal)
        if not facts.active:
            raise Gone("dataset inactive", igsn=igsn.name)
        return facts.landing_url

    def metadata_document(self, principal: Principal, text: str) -> history.Version:
        igsn = self.parse(text)
        _, facts = self._existing(igsn.name, principal)
        if not facts.active:
            raise Gone("dataset inactive", igsn=igsn.name)
        version = history.latest_document(self.db.read(), igsn.name)
        if version is None:
            raise NotFound("no metadata for the IGSN", igsn=igsn.name)
        return version

    def names_of(self, principal: Principal) -> list[str]:
        conn = self.db.read()
        if principal.kind == "admin":
            rows = conn.execute("SELECT igsn FROM catalogue ORDER BY igsn")
        elif principal.kind == "agent":
            rows = conn.execute("SELECT igsn FROM catalogue WHERE agent = ? ORDER BY igsn", (principal.symbol,))
        else:
            rows = conn.execute("SELECT igsn FROM catalogue WHERE client = ? ORDER BY igsn", (principal.symbol,))
        return [r[0] for r in rows]

    def count(self) -> int:
        count: int = self.db.read().execute("SELECT COUNT(*) FROM catalogue").fetchone()[0]
        return count

    # -- writes -------------------------------------------------------------------------------
    def _graph(self, record: SampleRecord | None, facts: RegistryFacts) -> list[Triple]:
        triples = graphmap.facts_triples(facts, self.iris)
        if record is not None:
            triples = graphmap.record_triples(record, self.iris) + triples
        return triples

    def _change(
        self,
        *,
        facts: RegistryFacts,
        record: SampleRecord | None,
        previous: CatalogueRow | None,
        event: str,
        principal: Principal,
        fmt: str | None = None,
        document: bytes | None = None,
        version: int | None = None,
        graph: list[Triple] | None = None,
    ) -> Change:
        number = version if version is not None else (previous.version + 1 if previous else 1)
        row = catalogue.row_from_facts(facts, number)
        # the reader's warnings stay with the version they were given for (its PROV activity)
        activity = history.activity_triples(
            self.iris,
            facts.igsn,
            number,
            facts.datestamp,
            event,
            self.journal.principal_iri(principal.symbol),
            warnings=record.warnings if record is not None else (),
        )
        return Change(
            row=row,
            graph=graph if graph is not None else self._graph(record, facts),
            activity=activity,
            event=event,
            principal=principal.symbol,
            format=fmt,
            document=document,
            new=previous is None,
        )

    def mint(self, principal: Principal, text: str, url: str, *, test_mode: bool = False) -> MintResult:
        """Create-or-update: registers the IGSN with its landing URL, or changes the URL."""
        igsn = self.parse(text)

        def prepare(state: _State, stamp: str) -> _Write:
            row = state.row(igsn.name)
            owner = (
                Owner(row.agent, row.client, row.namespace) if row is not None else self.owner_of_name(igsn, principal)
            )
            self._check_owner(principal, owner, igsn.name, row is not None)
            self.check_doi_prefix(igsn, principal)
            self._check_url(url, owner)
            if row is None:
                if self.settings.metadata_required:
                    raise Conflict("You have to register metadata first!", igsn=igsn.name)
                self._check_quota(owner, 1)  # the group's own new samples are counted after validation
                record = None
                facts = RegistryFacts(
                    igsn=igsn.name,
                    agent=owner.agent,
                    client=owner.client,
                    namespace=owner.namespace,
                    datestamp=stamp,
                    landing_url=url,
                    registered=stamp,
                    doi=igsn.doi,
                )
            else:
                old = state.facts(igsn.name)
                assert old is not None
                record = state.record(igsn.name) if old.has_metadata else None
                facts = replace(old, landing_url=url, datestamp=stamp)
            return _Write(
                facts=facts,
                record=record,
                previous=row,
                owner=owner,
                event="minted" if row is None else "url-updated",
                description=graphmap.record_triples(record, self.iris) if record is not None else [],
                validated=True,
                result=lambda _: MintResult(igsn, row is None, test_mode),
            )

        # _submit returns the result that ``prepare`` makes for this write
        return self._submit(_Pending(principal, igsn.name, prepare, test_mode))  # type: ignore[return-value]

    # -- group commit of single-record writes -------------------------------------------------------
    def _submit(self, pending: _Pending) -> object:
        """Runs one single-record write in a group (see ``group``); its own result, or raises its own error."""
        if self.read_only:
            log.warning("write refused: %s", self._read_only_message)
            raise ReadOnly(self._read_only_message)
        if self._write_lock.held():  # inside a write of this thread's own (a command holding the lock)
            self._group.run([pending])
            return pending.outcome()
        return self._group.submit(pending)

    def _write_group(self, group: list[Request[object]]) -> None:
        """Checks, validates and commits a group of single-record writes; finishes every one of them.

        In arrival order, cut where a sample comes again: within a segment every sample is written once,
        so its requests are checked against the state the earlier segments left, validated by one SHACL
        run, then given quota in arrival order. One datestamp and one journal commit for the whole group;
        nobody is answered before that commit returns, and if it fails, every write of the group fails.
        """
        pending: list[_Pending] = group  # type: ignore[assignment]  # the queue holds only _Pending requests
        with self.writing():
            stamp = self.journal.next_datestamp()  # provisional, for validation (see ``register``)
            state = _State(self, [p.name for p in pending])
            taken: dict[str, int] = {}  # new samples given to each quota holder in this group
            parents: dict[str, list[str]] = {}  # parent links of the group's registrations, for cycles
            accepted: list[tuple[_Pending, _Write]] = []
            segment: list[_Pending] = []
            for p in pending + [None]:
                if p is None or any(q.name == p.name for q in segment):
                    accepted += self._write_segment(segment, state, stamp, taken, parents)
                    segment = []
                if p is not None:
                    segment.append(p)
            if not accepted:
                return
            final = self.journal.reserve()
            changes: list[Change] = []
            written: list[RegistryFacts] = []
            for p, w in accepted:
                facts = replace(
                    w.facts, datestamp=final, registered=final if w.facts.registered == stamp else w.facts.registered
                )
                written.append(facts)
                changes.append(
                    self._change(
                        facts=facts,
                        record=w.record,
                        previous=w.previous,
                        event=w.event,
                        principal=p.principal,
                        fmt=w.fmt,
                        document=w.document,
                        version=w.version,
                        graph=w.description + graphmap.facts_triples(facts, self.iris),
                    )
                )
            try:
                self.journal.commit(changes)
            except Exception as exc:  # noqa: BLE001 - none of them is acknowledged; each caller raises it
                for p, _ in accepted:
                    p.fail(exc, shared=True)
                return
            for (p, w), facts in zip(accepted, written, strict=False):
                p.succeed(w.result(facts))

    def _write_segment(
        self, segment: list[_Pending], state: _State, stamp: str, taken: dict[str, int], parents: dict[str, list[str]]
    ) -> list[tuple[_Pending, _Write]]:
        """Requests for distinct samples: checked, validated together, given quota in arrival order.

        Returns the writes to commit (test mode finishes its requests here); ``state``, ``taken`` and
        ``parents`` then include them, for the next segment.
        """
        from ..validation import with_elements

        prepared: list[tuple[_Pending, _Write]] = []
        for p in segment:
            try:
                prepared.append((p, p.prepare(state, stamp)))
            except Exception as exc:  # noqa: BLE001 - a refusal (or a fault) of this request only
                p.fail(exc)
        checked = [(p, w) for p, w in prepared if w.validated]
        reports: dict[str, ValidationReport] = {}
        if checked:
            try:
                reports = self.validator.validate_many(
                    {w.facts.igsn: w.description + graphmap.facts_triples(w.facts, self.iris) for _, w in checked},
                    url_only={w.facts.igsn for _, w in checked if w.record is None},
                )
            except Exception as exc:  # noqa: BLE001 - the SHACL run failed: so did every write it checked
                for p, _ in checked:
                    p.fail(exc, shared=True)
                return []
        accepted: list[tuple[_Pending, _Write]] = []
        for p, w in prepared:
            if p.finished:
                continue
            name = w.facts.igsn
            report = reports.get(name)
            if report is not None and not report.conforms:
                if w.record is not None:
                    report = with_elements(report, w.record)
                p.fail(
                    InvalidRecord("; ".join(str(v) for v in report.violations), igsn=name, violations=report.violations)
                )
                continue
            try:
                if w.parents is not None and w.parents:
                    # parent links must not close a cycle with registered samples or earlier writes of the group
                    cycles = relations.parent_cycles(self.db, {**parents, name: w.parents})
                    if name in cycles:
                        raise InvalidRecord(cycles[name], igsn=name)
                holder = _holder(w.owner)
                if w.previous is None:
                    self._check_quota(w.owner, taken.get(holder, 0) + 1)
            except Exception as exc:  # noqa: BLE001 - this request's own refusal
                p.fail(exc)
                continue
            if p.test_mode:
                p.succeed(w.result(w.facts))
                continue
            if w.previous is None and w.owner.namespace != TEST_NAMESPACE:
                taken[holder] = taken.get(holder, 0) + 1
            if w.parents is not None:
                parents[name] = w.parents
            state.accept(w)
            accepted.append((p, w))
        return accepted

    def _fill_registrant(self, record: SampleRecord, owner: Owner) -> SampleRecord:
        if record.registrant is not None:
            return record
        if owner.client:
            c = self.accounts.client(owner.client)
            name, ror = c.name, c.ror
        else:
            a = self.accounts.agent(owner.agent)
            name, ror = a.name, a.ror
        ident = Identifier(ror, "ROR") if ror else None
        return replace(record, registrant=PersonOrOrg(name=name, identifier=ident, kind="Organization"))

    def register(
        self,
        principal: Principal,
        submissions: Sequence[Submission],
        *,
        test_mode: bool = False,
        strict: bool = True,
        expected: Precondition | None = None,
        event: str | None = None,
    ) -> list[Outcome]:
        """Registers or updates the described samples.

        ``strict``: raise on the first refused record (single-record APIs); otherwise report every refused
        record in its ``Outcome`` and store the valid ones (bulk loads). Nothing is stored in test mode.
        ``expected``: every sample must be in that state, checked under the write lock (``PreconditionFailed``).
        One record with ``strict`` is a single-record write: it is group-committed with the others under way.
        ``event`` names the history event of every version written (a DataCite state transition; a harvest writes
        ``harvested``) instead of metadata-registered/-updated.
        """
        if strict and len(submissions) == 1:
            return [self._register_one(principal, submissions[0], test_mode=test_mode, expected=expected, event=event)]
        outcomes: list[Outcome] = []
        event_override = event
        with self.writing():
            # a provisional stamp for validation; the records get their real one after it (below), so that
            # no record appears with a datestamp older than the moment it became visible
            stamp = self.journal.next_datestamp()
            prepared: list[tuple[Submission, Owner, CatalogueRow | None, RegistryFacts, SampleRecord]] = []
            from ..validation import with_elements

            seen: dict[str, int] = {}
            names = [s.record.igsn for s in submissions]
            state = _State(self, names)  # as stored: a name twice in a batch builds on the stored state
            existing = state.stored
            position: dict[int, int] = {}  # id of a prepared item → its submission's index
            for i, sub in enumerate(submissions):
                try:
                    prepared.append(self._prepare(principal, sub, state, stamp))
                    if expected is not None:  # after the ownership checks of _prepare: no version leaks
                        expected.check(sub.record.igsn, existing.get(sub.record.igsn))
                    position[id(prepared[-1])] = i
                except (InvalidInput, ForeignSample, DomainNotAllowed) as exc:
                    if strict:
                        raise
                    outcomes.append(
                        Outcome(
                            sub.record.igsn, False, reasons=[exc.message], index=i, refused=isinstance(exc, _REFUSALS)
                        )
                    )
            # validation: the whole batch as one graph (a name twice in a batch goes to a later round)
            reports: dict[int, ValidationReport] = {}
            # descriptions are kept apart from the facts, which get the final datestamp after validation
            descriptions = [graphmap.record_triples(item[4], self.iris) for item in prepared]
            pending = list(range(len(prepared)))
            while pending:
                round_: list[int] = []
                later: list[int] = []
                names_in: set[str] = set()
                for i in pending:
                    name = prepared[i][3].igsn
                    (later if name in names_in else round_).append(i)
                    names_in.add(name)
                got = self.validator.validate_many(
                    {
                        prepared[i][3].igsn: descriptions[i] + graphmap.facts_triples(prepared[i][3], self.iris)
                        for i in round_
                    }
                )
                for i in round_:
                    reports[i] = got[prepared[i][3].igsn]
                pending = later
            valid: list[tuple[Submission, Owner, CatalogueRow | None, RegistryFacts, SampleRecord]] = []
            description_of: dict[int, list[Triple]] = {}
            for i, item in enumerate(prepared):
                report = reports[i]
                if report.conforms:
                    valid.append(item)
                    description_of[id(item)] = descriptions[i]
                    continue
                report = with_elements(report, item[4])
                if strict:
                    raise InvalidRecord(
                        "; ".join(str(v) for v in report.violations), igsn=item[3].igsn, violations=report.violations
                    )
                outcomes.append(
                    Outcome(
                        item[3].igsn,
                        False,
                        reasons=[str(v) for v in report.violations],
                        violations=list(report.violations),
                        index=position[id(item)],
                    )
                )
            # parent links must not form a cycle, within the batch or with registered samples (relations.py)
            cycles = relations.parent_cycles(self.db, {item[3].igsn: item[4].parents for item in valid})
            if cycles and strict:
                raise InvalidRecord(next(iter(cycles.values())), igsn=next(iter(cycles)))
            outcomes += [
                Outcome(item[3].igsn, False, reasons=[cycles[item[3].igsn]], index=position[id(item)])
                for item in valid
                if item[3].igsn in cycles
            ]
            valid = [item for item in valid if item[3].igsn not in cycles]
            # quotas: distinct new IGSNs per quota holder (the client, or the agent for its own namespaces)
            new_per_holder: dict[str, tuple[Owner, set[str]]] = {}
            for _sub, owner, row, facts, _record in valid:
                if row is None:
                    new_per_holder.setdefault(_holder(owner), (owner, set()))[1].add(facts.igsn)
            over: set[str] = set()
            for holder, (owner, new) in new_per_holder.items():
                try:
                    self._check_quota(owner, len(new))
                except QuotaExceeded:
                    if strict:
                        raise
                    over.add(holder)
            final_stamp = self.journal.reserve() if valid and not test_mode else stamp
            changes: list[Change] = []
            batch_facts: dict[str, RegistryFacts] = {}  # the facts each sample's latest record of the batch left
            for item in valid:
                sub, owner, row, facts, record = item
                if _holder(owner) in over and row is None:
                    outcomes.append(
                        Outcome(
                            facts.igsn,
                            False,
                            reasons=[f"datacentre quota exceeded: {owner.client or owner.agent}"],
                            index=position[id(item)],
                            refused=True,
                        )
                    )
                    continue
                # several records for one IGSN in a batch: versions follow each other, and each builds on the
                # facts the one before it left (a landing page the first gave, its registration date)
                n = seen.get(facts.igsn)
                version = (n + 1) if n is not None else ((row.version + 1) if row else 1)
                seen[facts.igsn] = version
                before = batch_facts.get(facts.igsn)
                if before is not None:
                    facts = replace(
                        facts,
                        landing_url=facts.landing_url or before.landing_url,
                        registered=before.registered,
                        doi=facts.doi or before.doi,
                    )
                    event = "metadata-updated"
                else:
                    event = "metadata-registered" if row is None or not row.has_metadata else "metadata-updated"
                if event_override is not None:
                    event = event_override
                facts = replace(
                    facts,
                    datestamp=final_stamp,
                    registered=final_stamp if facts.registered == stamp else facts.registered,
                )
                batch_facts[facts.igsn] = facts
                graph = description_of[id(item)] + graphmap.facts_triples(facts, self.iris)
                changes.append(
                    self._change(
                        facts=facts,
                        record=record,
                        previous=row if n is None else existing.get(facts.igsn),
                        event=event,
                        principal=principal,
                        fmt=sub.format,
                        document=sub.document,
                        version=version,
                        graph=graph,
                    )
                )
                if n is not None:
                    changes[-1].new = False
                outcomes.append(
                    Outcome(
                        facts.igsn,
                        True,
                        created=row is None and n is None,
                        index=position[id(item)],
                        version=version,
                        warnings=list(record.warnings),
                    )
                )
            if not test_mode and changes:
                self.journal.commit(changes)
        return outcomes

    def _register_one(
        self,
        principal: Principal,
        sub: Submission,
        *,
        test_mode: bool,
        expected: Precondition | None,
        event: str | None = None,
    ) -> Outcome:
        name = sub.record.igsn

        def prepare(state: _State, stamp: str) -> _Write:
            if expected is not None:
                current = state.row(name)
                if current is not None:  # another party learns nothing of the sample's version: 403 first
                    self._check_owner(principal, Owner(current.agent, current.client, current.namespace), name, True)
                expected.check(name, current)
            _, owner, row, facts, record = self._prepare(principal, sub, state, stamp)
            version = row.version + 1 if row is not None else 1
            return _Write(
                facts=facts,
                record=record,
                previous=row,
                owner=owner,
                event=event or ("metadata-registered" if row is None or not row.has_metadata else "metadata-updated"),
                description=graphmap.record_triples(record, self.iris),
                validated=True,
                parents=list(record.parents),
                fmt=sub.format,
                document=sub.document,
                result=lambda _: Outcome(
                    name, True, created=row is None, index=0, version=version, warnings=list(record.warnings)
                ),
            )

        # _submit returns the result that ``prepare`` makes for this write
        return self._submit(_Pending(principal, name, prepare, test_mode))  # type: ignore[return-value]

    def _prepare(
        self, principal: Principal, sub: Submission, state: _State, stamp: str
    ) -> tuple[Submission, Owner, CatalogueRow | None, RegistryFacts, SampleRecord]:
        record = sub.record
        igsn = identifiers.parse_igsn(record.igsn)  # records carry normal-form names already
        if igsn.name != record.igsn:
            raise InvalidInput(f"malformed IGSN {record.igsn!r}")
        if record.handle_prefix == identifiers.TEST_HANDLE_PREFIX and not igsn.name.startswith(TEST_NAMESPACE):
            # written 20.500.11812/NAME in the document: a test identifier, never a real registration of NAME
            raise NamespaceNotAllowed(
                f"{record.igsn}: the test prefix {identifiers.TEST_HANDLE_PREFIX} is for names in the "
                f"{TEST_NAMESPACE} namespace"
            )
        row = state.row(igsn.name)
        owner = Owner(row.agent, row.client, row.namespace) if row else self.owner_of_name(igsn, principal)
        self._check_owner(principal, owner, igsn.name, row is not None)
        # every stored string: no noncharacters or C0 controls, NFC, bounded (text_policy; InvalidRecord)
        record = text_policy.check_record(record, max_bytes=self.settings.max_literal_bytes)
        if record.doi is not None and _names(record.doi, igsn.name):
            # a record naming itself by DOI (DataCite) must use a DOI prefix of its owner
            self.check_doi_prefix(self.parse(record.doi), principal)
        url = sub.landing_url or record.landing_page
        if url:
            self._check_url(url, owner)
        record = self._fill_registrant(record, owner)
        # any written form of another sample's IGSN becomes a link to it; parents and collections per
        # mappings/relation_semantics.csv (before the cycle rule, which reads record.parents)
        record = links.resolve(record, sub.format, doi_prefixes=state.doi_prefixes, iri_base=self.iris.base)
        if not record.name:
            # the registration kernel carries no sample name; every description needs one (DataCite's
            # mandatory title), so the IGSN stands in for it, as registries commonly display it
            record = replace(record, name=igsn.name)
        # an embargo that has not ended keeps the description private; one that has ended makes it public
        record = embargo.with_embargo(record)
        old = state.facts(igsn.name) if row is not None else None
        facts = RegistryFacts(
            igsn=igsn.name,
            agent=owner.agent,
            client=owner.client,
            namespace=owner.namespace,
            datestamp=stamp,
            landing_url=url or (old.landing_url if old else None),
            active=True,  # posting metadata again reactivates
            lifecycle=record.lifecycle or (old.lifecycle if old else None),
            replaced_by=old.replaced_by if old else None,
            is_public=record.is_public,
            has_metadata=True,
            registered=(old.registered if old else stamp),
            doi=record.doi or (old.doi if old else None),
        )
        return sub, owner, row, facts, record

    def _set_state(
        self,
        principal: Principal,
        text: str,
        event: str,
        *,
        expected: Precondition | None = None,
        test_mode: bool = False,
        **changes: Any,
    ) -> RegistryFacts:
        igsn = self.parse(text)

        def prepare(state: _State, stamp: str) -> _Write:
            row, facts = self._existing(igsn.name, principal, state)
            if expected is not None:
                expected.check(igsn.name, row)
            owner = Owner(row.agent, row.client, row.namespace)
            if test_mode:
                return _Write(
                    facts=replace(facts, **changes),
                    record=None,
                    previous=row,
                    owner=owner,
                    event=event,
                    description=[],
                    validated=False,
                    result=lambda f: f,
                )
            record = state.record(igsn.name) if facts.has_metadata else None
            return _Write(
                facts=replace(facts, datestamp=stamp, **changes),
                record=record,
                previous=row,
                owner=owner,
                event=event,
                description=graphmap.record_triples(record, self.iris) if record is not None else [],
                validated=False,
                result=lambda f: f,
            )

        # _submit returns the result that ``prepare`` makes for this write
        return self._submit(_Pending(principal, igsn.name, prepare, test_mode))  # type: ignore[return-value]

    def deactivate(
        self, principal: Principal, text: str, *, expected: Precondition | None = None, test_mode: bool = False
    ) -> RegistryFacts:
        """Marks the sample inactive: hidden, resolves to 410, a deleted record for harvesters."""
        return self._set_state(principal, text, "deactivated", expected=expected, test_mode=test_mode, active=False)

    def reactivate(self, principal: Principal, text: str) -> RegistryFacts:
        return self._set_state(principal, text, "reactivated", active=True)

    def deprecate(self, principal: Principal, text: str, replaced_by: str | None = None) -> RegistryFacts:
        """Deprecated (e.g. a duplicate): stays public, optionally pointing at the record replacing it."""
        target = None
        if replaced_by:
            target = self.parse(replaced_by).name
            if self.row(target) is None:
                raise NotFound(f"replacement {target} is not registered here")
            if target == self.parse(text).name:
                raise InvalidInput("a sample cannot replace itself")
        return self._set_state(principal, text, "deprecated", lifecycle="deprecated", replaced_by=target)

    def destroy(self, principal: Principal, text: str) -> RegistryFacts:
        """The physical sample no longer exists; its metadata stays public."""
        return self._set_state(principal, text, "destroyed", lifecycle="destroyed")

    # -- bulk helpers -----------------------------------------------------------------------------
    def load_records(
        self,
        submissions: Iterable[Submission],
        *,
        principal: Principal = ADMIN,
        batch_size: int | None = None,
        test_mode: bool = False,
    ) -> Iterable[list[Outcome]]:
        """Registers records in batches (validated and written together); yields each batch's outcomes.

        An outcome's ``index`` counts from the first submission of all batches. A batch whose write fails
        once an earlier one is stored does not hide their fate: its records come back ``failed`` (with the
        reason; none of that batch is stored) and the next batch is tried. When the first write fails,
        nothing is stored and the error is raised.
        """
        size = batch_size or self.settings.batch_size
        batch: list[Submission] = []
        offset = 0
        stored = False

        def run() -> list[Outcome]:
            nonlocal stored
            try:
                outcomes = self.register(principal, batch, strict=False, test_mode=test_mode)
            except Exception as exc:  # noqa: BLE001 - said per record below; raised when nothing is stored yet
                if not stored:
                    raise
                log.exception("a bulk batch of %d records failed; none of them is stored", len(batch))
                reason = exc.message if isinstance(exc, IgsnGraphError) else "an unexpected error"
                return [
                    Outcome(
                        s.record.igsn,
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

        for sub in submissions:
            batch.append(sub)
            if len(batch) >= size:
                yield run()
                offset += len(batch)
                batch = []
        if batch:
            yield run()


#: the most single-record writes one group commit takes (a SHACL run over more costs its first callers)
GROUP_LIMIT = 64


class _State:
    """The samples as a write sees them: as stored, overlaid with the writes accepted earlier in its group."""

    def __init__(self, registry: Registry, names: Iterable[str]) -> None:
        self._registry = registry
        self._asked = set(names)
        #: the stored rows of the names given (fetched at once), and of those asked since
        self.stored: dict[str, CatalogueRow] = catalogue.get_many(registry.db.read(), sorted(self._asked))
        self._written: dict[str, tuple[CatalogueRow, RegistryFacts, SampleRecord | None]] = {}

    @cached_property
    def doi_prefixes(self) -> Collection[str]:
        """Every DOI prefix registered here, read once per write (links.resolve reads them for each record)."""
        return self._registry.accounts.doi_prefix_table().keys()

    def row(self, name: str) -> CatalogueRow | None:
        if name in self._written:
            return self._written[name][0]
        if name not in self._asked:
            self._asked.add(name)
            row = self._registry.row(name)
            if row is not None:
                self.stored[name] = row
        return self.stored.get(name)

    def facts(self, name: str) -> RegistryFacts | None:
        return self._written[name][1] if name in self._written else self._registry.facts(name)

    def record(self, name: str) -> SampleRecord | None:
        return self._written[name][2] if name in self._written else self._registry.record(name)

    def accept(self, write: _Write) -> None:
        self._written[write.facts.igsn] = (
            catalogue.row_from_facts(write.facts, write.version),
            write.facts,
            write.record,
        )


@dataclass(eq=False)
class _Write:
    """A checked single-record write: the sample's next state, with its group's provisional datestamp."""

    facts: RegistryFacts
    record: SampleRecord | None
    #: the state it follows: as stored, or as an earlier write of its group left it
    previous: CatalogueRow | None
    owner: Owner
    event: str
    #: the record's triples (the facts' follow the final datestamp)
    description: list[Triple]
    #: checked by SHACL (a state change keeps a description that was)
    validated: bool
    #: the caller's answer, from the facts as written
    result: Callable[[RegistryFacts], object]
    #: a registration's parent links, which must not close a cycle
    parents: list[str] | None = None
    fmt: str | None = None
    document: bytes | None = None

    @property
    def version(self) -> int:
        return self.previous.version + 1 if self.previous is not None else 1


class _Pending(Request[object]):
    """A single-record write waiting for its group: who asks, for which sample, and how to check it."""

    def __init__(
        self, principal: Principal, name: str, prepare: Callable[[_State, str], _Write], test_mode: bool
    ) -> None:
        super().__init__()
        self.principal = principal
        self.name = name
        self.prepare = prepare
        self.test_mode = test_mode


def unwritable(settings: Settings) -> Path | None:
    """The first part of the data folder this process may not write (a read-only mount, permissions), or None."""
    parts = [settings.data_dir, settings.database_path]
    if settings.store in ("", "embedded"):
        parts += [settings.graph_dir, settings.graph_dir / "LOCK"]
    for part in parts:
        if part.exists() and not os.access(part, os.W_OK):
            return part
    return None


#: refusals of a record the caller may not register (as opposed to an invalid one)
_REFUSALS = (NotAllowed, NamespaceNotAllowed, UnknownNamespace)


def _names(doi: str, name: str) -> bool:
    """Whether ``doi`` is a DOI form of ``name`` (a malformed one is SHACL's to report)."""
    try:
        return identifiers.parse_igsn(doi).name == name
    except InvalidInput:
        return False


def _holder(owner: Owner) -> str:
    """Who a new IGSN counts against: the owning client, or the agent for its own namespaces."""
    return owner.client or owner.agent
