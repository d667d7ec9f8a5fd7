"""The registry: one facade over one data folder, one method per operation (mint, metadata, deactivate…).

Everything that changes a sample goes through here and then the write pipeline (``registry.writes``,
``prepare``, ``pipeline``) and ``registry.journal``; nothing here knows HTTP. The jobs live in modules of
their own: the data folder (``datadir``), when this process may write (``write_gate``), who may write what
(``policy``), reads (``reads``), the public accounts graph (``accounts_graph``). Refusals are exceptions from
``igsn_graph.errors``; in bulk loads invalid records are reported per record instead, and the valid ones are
stored.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from pyoxigraph import Triple

from .. import identifiers
from ..db import Database
from ..errors import Conflict, InvalidInput, NotFound
from ..formats import graph as graphmap
from ..identifiers import Igsn
from ..index.catalogue import CatalogueRow
from ..iris import Iris
from ..record import RegistryFacts, SampleRecord
from ..settings import Settings
from ..store import history, open_store
from ..store.base import GraphStore
from . import group_commit, pipeline, prepare
from .accounts import ADMIN, Accounts, Agent, Client, Principal
from .accounts_graph import publish_accounts
from .datadir import NotInitialised, init_data_dir, unwritable
from .derivation import Derived
from .group import GroupQueue, GroupStats
from .journal import Change, Journal
from .lifecycle import Draft
from .policy import Owner, Policy
from .reads import Reads, Visible
from .write_gate import WriteGate, read_only_refusal
from .writes import (
    MintResult,
    Outcome,
    PendingWrite,
    Precondition,
    PreconditionFailed,
    PreparedWrite,
    SampleState,
    Submission,
)

if TYPE_CHECKING:
    from ..validation import Validator

__all__ = [
    "MintResult",
    "NotInitialised",
    "Outcome",
    "Owner",
    "Precondition",
    "PreconditionFailed",
    "Registry",
    "Submission",
    "init_data_dir",
    "unwritable",
]

R = TypeVar("R")

#: the most single-record writes one group commit takes (a SHACL run over more costs its first callers)
GROUP_LIMIT = 64
#: how long ``close`` waits for a write of this process still under way (the committer ending its hold)
CLOSE_WAIT_S = 30.0

log = logging.getLogger("igsn_graph.registry")


class Registry:
    """The registry over one data folder: accounts, graph store, history, catalogue index."""

    def __init__(self, settings: Settings, *, store: GraphStore | None = None) -> None:
        self.settings = settings
        if not settings.shared_database and not settings.database_path.exists():
            raise NotInitialised(f"{settings.data_dir} is not an igsn-graph data folder; run `igsn-graph init`")
        refusal = read_only_refusal(settings)
        self.read_only = refusal is not None
        self.db = Database(settings.database_target, read_only=self.read_only, pool_size=settings.database_pool_size)
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
        self.reads = Reads(self.db, self.store, self.iris)
        self.policy = Policy(self.accounts, self.db, settings, self.reads)
        self.journal = Journal(self.db, self.store, self.iris, crash_at=settings.crash_at)
        self.gate = WriteGate(settings, self.journal, refusal)
        self._group: GroupQueue[Any] = GroupQueue(
            partial(group_commit.write_groups, self), limit=GROUP_LIMIT, rounds=group_commit.ROUNDS
        )
        self._validator: Validator | None = None
        if self.gate.open(settings):
            # the accounts graph follows the accounts tables; a crash between the two is mended here
            with self.writing():
                self.publish_accounts()

    # -- lifecycle ------------------------------------------------------------------------------
    def close(self) -> None:
        if not self.gate.lock.settle(CLOSE_WAIT_S):
            log.warning("closing the registry while a write is still under way (waited %g s)", CLOSE_WAIT_S)
        self.store.close()
        self.db.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def writing(self) -> AbstractContextManager[None]:
        """The write lock, after redoing any journaled write a dead writer left behind (``WriteGate.writing``);
        ``ReadOnly`` in read-only mode."""
        return self.gate.writing()

    @property
    def repaired(self) -> int:
        """Interrupted writes redone from the journal since the registry opened."""
        return self.gate.repaired

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
            used = self.reads.namespace_use(ns)
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
        publish_accounts(self.accounts, self.iris, self.store)

    # -- identifiers and ownership (``policy``) ---------------------------------------------------------
    def parse(self, text: str) -> Igsn:
        """Parses a written IGSN; a DOI form must use a DOI prefix registered here."""
        return self.policy.parse(text)

    def owner_of_name(self, igsn: Igsn, principal: Principal | None = None) -> Owner:
        """The owner of a (new) name: the owner of its longest registered namespace."""
        return self.policy.owner_of_name(igsn, principal)

    def check_doi_prefix(self, igsn: Igsn, principal: Principal | None = None) -> None:
        """A DOI form must use a DOI prefix of the owner of the name's namespace, for existing samples too, unless
        it is the DOI the sample was registered with (``Policy.check_doi_prefix``)."""
        self.policy.check_doi_prefix(igsn, principal)

    # -- reads (``reads``) ------------------------------------------------------------------------------
    def row(self, name: str) -> CatalogueRow | None:
        return self.reads.row(name)

    def graph_of(self, name: str) -> list[Triple]:
        return self.reads.graph_of(name)

    def facts(self, name: str) -> RegistryFacts | None:
        return self.reads.facts(name)

    def record(self, name: str) -> SampleRecord | None:
        """The current description (from history when the sample is private or inactive: the graph holds facts only)."""
        return self.reads.record(name)

    def visible(self, name: str, reader: Principal | None) -> Visible:
        """The sample as ``reader`` may see it (``Reads.visible``: the one visibility rule for reads)."""
        return self.reads.visible(name, reader)

    def resolvable_row(self, name: str) -> CatalogueRow:
        """The row of a sample anyone may resolve (``reads.resolvable``); NotFound, or Gone."""
        return self.reads.resolvable_row(name)

    def findable_row(self, name: str) -> CatalogueRow:
        """The row of a sample the public may find and follow (``Reads.findable_row``); Gone or NotFound."""
        return self.reads.findable_row(name)

    def draft_for(self, name: str, reader: Principal | None) -> Draft | None:
        """The draft ``name`` if ``reader`` may see it (``Reads.draft_for``: its owner's alone), else None."""
        return self.reads.draft_for(name, reader)

    def existing(self, name: str, principal: Principal) -> tuple[CatalogueRow, RegistryFacts]:
        """The sample's row and facts if ``principal`` may change it; NotFound, or ForeignSample."""
        return self.reads.existing(name, principal)

    def landing_url(self, principal: Principal, text: str) -> str | None:
        """The registered landing URL (None: known, not resolvable yet); Gone when inactive."""
        return self.reads.active_facts(self.parse(text).name, principal).landing_url

    def metadata_document(self, principal: Principal, text: str) -> history.Version:
        return self.reads.metadata_document(self.parse(text).name, principal)

    def names_of(self, principal: Principal) -> list[str]:
        return self.reads.names_of(principal)

    def count(self) -> int:
        return self.reads.count()

    # -- writes (``prepare``, ``pipeline``) -----------------------------------------------------------------
    def admin_change(
        self,
        *,
        facts: RegistryFacts,
        record: SampleRecord | None,
        previous: CatalogueRow | None,
        event: str,
        principal: Principal,
    ) -> Change:
        """The journal entry of an administrative rewrite (relink, embargo lift) that its caller commits."""
        description = graphmap.record_triples(record, self.iris) if record is not None else []
        write = PreparedWrite(principal, facts, record, previous, event, description, validated=False)
        return write.change(self.iris, self.journal.principal_iri(principal.symbol))

    def commit(self, writes: Sequence[PreparedWrite]) -> list[PreparedWrite]:
        """Journals prepared writes as one step under one new datestamp (under ``writing()``)."""
        return pipeline.commit(self, writes)

    def _submit(self, pending: PendingWrite[R]) -> R:
        """Runs one single-record write in a group (see ``group``); its own result, or raises its own error."""
        self.gate.check()
        if self.gate.lock.held():  # inside a write of this thread's own (a command holding the lock)
            self._group.run([pending])
        else:
            self._group.submit(pending)
        return pending.result()

    def mint(self, principal: Principal, text: str, url: str, *, test_mode: bool = False) -> MintResult:
        """Create-or-update: registers the IGSN with its landing URL, or changes the URL."""
        igsn = self.parse(text)
        return self._submit(
            PendingWrite(
                igsn.name,
                partial(prepare.mint, self, principal, igsn, url),
                lambda w: MintResult(igsn, w.previous is None, test_mode),
                test_mode=test_mode,
            )
        )

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
            sub = submissions[0]

            def answer(w: PreparedWrite) -> Outcome:
                warnings = list(w.record.warnings) if w.record is not None else []
                return Outcome(w.name, True, created=w.previous is None, index=0, version=w.version, warnings=warnings)

            pending = PendingWrite(
                sub.record.igsn,
                partial(prepare.single_registration, self, principal, sub, expected=expected, event=event),
                answer,
                test_mode=test_mode,
            )
            return [self._submit(pending)]
        return pipeline.register_batch(
            self, principal, submissions, test_mode=test_mode, strict=strict, expected=expected, event=event
        )

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
        name = self.parse(text).name

        def prepared(state: SampleState, stamp: str) -> PreparedWrite:
            return prepare.state_change(
                self, principal, name, event, state, stamp, expected=expected, test_mode=test_mode, changes=changes
            )

        return self._submit(PendingWrite(name, prepared, lambda w: w.facts, test_mode=test_mode))

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

    def load_records(
        self,
        submissions: Iterable[Submission | Derived],
        *,
        principal: Principal = ADMIN,
        batch_size: int | None = None,
        test_mode: bool = False,
    ) -> Iterable[list[Outcome]]:
        """Registers records in batches (validated and written together); yields each batch's outcomes
        (``pipeline.load_records``; ``Derived``: a record derived where it was read, ``loader.read_files``)."""
        return pipeline.load_records(self, submissions, principal=principal, batch_size=batch_size, test_mode=test_mode)
