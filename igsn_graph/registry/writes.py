"""The write pipeline: every change of a sample, as a ``PreparedWrite``, checked, validated, then journaled.

A request (a registration, a landing URL, a state change; ``registry.prepare``) becomes a ``PreparedWrite``
against a ``SampleState`` — the samples as stored, overlaid with the writes accepted before it. Then:
SHACL validation of the descriptions (one run; a name twice goes to a later round), parent cycles,
quotas, one datestamp reserved for all, one ``Change`` per write, one journal commit (``registry.journal``).

Two drivers share these stages. Single-record writes are group-committed (``group``): those that arrive
while a write is under way are checked one by one in arrival order, each against the state the earlier
ones leave, and each caller gets exactly what it would have got alone. A batch (``register`` of many
records, bulk loads) is checked against the stored state and answered per record with an ``Outcome``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pyoxigraph import NamedNode, Triple

from .. import links
from ..errors import Conflict
from ..formats import graph as graphmap
from ..formats.rdf import NTriplesText
from ..identifiers import Igsn
from ..index import catalogue
from ..index.catalogue import CatalogueRow
from ..iris import Iris
from ..once import once
from ..record import RegistryFacts, SampleRecord
from ..store import history
from .accounts import Principal
from .embargo import Known
from .group import Request
from .journal import Change
from .policy import Owner

if TYPE_CHECKING:
    from ..validation import ValidationReport
    from .derivation import Description
    from .service import Registry

__all__ = [
    "MintResult",
    "Outcome",
    "PendingWrite",
    "Precondition",
    "PreconditionFailed",
    "PreparedWrite",
    "SampleState",
    "Submission",
    "validate",
]

log = logging.getLogger("igsn_graph.registry")

R = TypeVar("R")


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


@dataclass(eq=False)
class PreparedWrite:
    """One checked change of one sample: its next state, stamped with its write's provisional datestamp."""

    principal: Principal
    facts: RegistryFacts
    record: SampleRecord | None
    #: the state it follows: as stored, or as an earlier write of its group or batch left it
    previous: CatalogueRow | None
    event: str
    #: the record's triples (the facts' follow the final datestamp)
    description: Sequence[Triple]
    #: to be checked by SHACL (a state change keeps a description that was)
    validated: bool = True
    #: a registration's parent links, which must not close a cycle
    parents: list[str] | None = None
    fmt: str | None = None
    document: bytes | None = None
    #: ``document`` compressed (``history.compress``), when only that came (a reading process compressed it)
    document_z: bytes | None = None
    #: the description's stored forms, derived where the record was read (``registry.derivation``)
    stored: Description | None = None
    #: its SHACL report, made where it was read with these very facts (``derivation.same_for_validation``)
    report: ValidationReport | None = None

    @property
    def name(self) -> str:
        return self.facts.igsn

    @property
    def owner(self) -> Owner:
        return Owner(self.facts.agent, self.facts.client, self.facts.namespace)

    @property
    def version(self) -> int:
        return self.previous.version + 1 if self.previous is not None else 1

    def graph(self, iris: Iris) -> list[Triple]:
        """What validation sees and the journal stores: the description and the registry facts."""
        return [*self.description, *graphmap.facts_triples(self.facts, iris)]

    def after(self, earlier: PreparedWrite) -> PreparedWrite:
        """This write of a sample following ``earlier`` of the same batch: the next version, keeping what the
        earlier one gave and this one does not (a landing page, the registration date, a DOI)."""
        facts = replace(
            self.facts,
            landing_url=self.facts.landing_url or earlier.facts.landing_url,
            registered=earlier.facts.registered,
            doi=self.facts.doi or earlier.facts.doi,
        )
        previous = catalogue.row_from_facts(earlier.facts, earlier.version)
        # facts the report was not made with: validated again
        report = self.report if self.report is not None and facts == self.facts else None
        return replace(self, facts=facts, previous=previous, event="metadata-updated", report=report)

    def stamped(self, final: str, provisional: str) -> PreparedWrite:
        """This write with its final datestamp (a new sample's registration date too)."""
        registered = final if self.facts.registered == provisional else self.facts.registered
        return replace(self, facts=replace(self.facts, datestamp=final, registered=registered))

    def change(self, iris: Iris, principal_iri: NamedNode) -> Change:
        """The journal entry: catalogue row, full graph and the PROV activity of this version."""
        # the reader's warnings stay with the version they were given for (its PROV activity)
        activity = history.activity_ntriples(
            iris,
            self.name,
            self.version,
            self.facts.datestamp,
            self.event,
            principal_iri,
            warnings=self.record.warnings if self.record is not None else (),
        )
        graph: Sequence[Triple]
        if self.stored is not None:
            # the description's text, its compressed start and index rows came with it: only the facts are added
            facts = graphmap.facts_ntriples(self.facts, iris)
            graph = NTriplesText(self.stored.text + facts)
            graph_z = history.compress_rest(self.stored.compressed, facts.encode("utf-8"))
            indexed, end = self.stored.index, Known(self.stored.embargo_end)
        else:
            graph, graph_z, indexed, end = self.graph(iris), None, None, None
        return Change(
            row=catalogue.row_from_facts(self.facts, self.version),
            graph=graph,
            activity=NTriplesText(activity),
            event=self.event,
            principal=self.principal.symbol,
            format=self.fmt,
            document=self.document,
            new=self.previous is None,
            record=self.record,  # the graph's description is record_triples of it: indexed without a re-read
            graph_z_given=graph_z,
            document_z_given=self.document_z,
            indexed=indexed,
            embargo_end=end,
        )


class SampleState:
    """The samples as a write sees them: as stored, overlaid with the writes accepted earlier in its group."""

    def __init__(self, registry: Registry, names: Iterable[str]) -> None:
        self._registry = registry
        self._asked = set(names)
        #: the stored rows of the names given (fetched at once), and of those asked since
        self.stored: dict[str, CatalogueRow] = catalogue.get_many(registry.db.read(), sorted(self._asked))
        self._written: dict[str, PreparedWrite] = {}

    @once
    def doi_prefixes(self) -> Collection[str]:
        """Every DOI prefix registered here, read once per write (links.resolve reads them for each record)."""
        return self._registry.accounts.doi_prefix_table().keys()

    @once
    def links_tag(self) -> str:
        """``links.settings_tag`` of what ``links.resolve`` reads here (a derivation made elsewhere must match)."""
        return links.settings_tag(self.doi_prefixes, self._registry.iris.base)

    def row(self, name: str) -> CatalogueRow | None:
        if name in self._written:
            w = self._written[name]
            return catalogue.row_from_facts(w.facts, w.version)
        if name not in self._asked:
            self._asked.add(name)
            row = self._registry.row(name)
            if row is not None:
                self.stored[name] = row
        return self.stored.get(name)

    def facts(self, name: str) -> RegistryFacts | None:
        return self._written[name].facts if name in self._written else self._registry.facts(name)

    def record(self, name: str) -> SampleRecord | None:
        return self._written[name].record if name in self._written else self._registry.record(name)

    def accept(self, write: PreparedWrite) -> None:
        self._written[write.name] = write


class PendingWrite(Request[Any], Generic[R]):
    """A single-record write waiting for its group: how to check it against the state, and its caller's answer."""

    def __init__(
        self,
        name: str,
        prepare: Callable[[SampleState, str], PreparedWrite],
        answer: Callable[[PreparedWrite], R],
        *,
        test_mode: bool,
    ) -> None:
        super().__init__()
        self.name = name
        self.prepare = prepare
        self.answer = answer
        self.test_mode = test_mode

    def result(self) -> R:
        answer: R = self.outcome()
        return answer


def validate(registry: Registry, writes: Sequence[PreparedWrite]) -> list[ValidationReport]:
    """SHACL reports of the writes, in their order: one run per round, a name seen again goes to the next round."""
    reports: dict[int, ValidationReport] = {}
    pending = list(range(len(writes)))
    while pending:
        round_: list[int] = []
        later: list[int] = []
        names: set[str] = set()
        for i in pending:
            (later if writes[i].name in names else round_).append(i)
            names.add(writes[i].name)
        # a report made where the record was read, with these facts, is taken as it is
        for i in round_:
            made = writes[i].report
            if made is not None:
                reports[i] = made
        todo = [i for i in round_ if i not in reports]
        got = registry.validator.validate_many(
            {writes[i].name: writes[i].graph(registry.iris) for i in todo},
            url_only={writes[i].name for i in todo if writes[i].record is None},
        )
        for i in todo:
            reports[i] = got[writes[i].name]
        pending = later
    return [reports[i] for i in range(len(writes))]
