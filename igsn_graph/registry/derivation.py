"""What a registration makes of a record alone: the text policy, links to other samples, the registrant a record
naming none gets, the embargo, the RDF description (N-Triples, compressed), its SHACL report, and its search
document and relation edges.

Why apart: none of it reads the registry's state, so `igsn-graph load` derives it in its reading processes
(``loader.read_files``) while the one writing process keeps what needs that state — ownership, quotas, parent
cycles, versions, datestamps, journal, graph store, SQLite. A write made in process (HTTP, MDS, a record that came
without a derivation) calls the same functions (``registry.prepare``): one code path.

A reading process cannot see the registry, so what the derivation had to foresee travels with it: the organisation
given as registrant (the owner its namespace names), the registry facts its report was made with, until when an
embargo keeps it private, the settings it read. The writer uses a derivation only where its own view gives the
same; otherwise it derives again in process (``Derived.source``: the record as read).
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from pyoxigraph import Triple

from .. import identifiers, links, text_policy
from ..errors import IgsnGraphError
from ..formats import graph as graphmap
from ..formats.rdf import ntriples
from ..identifiers import TEST_NAMESPACE
from ..index import catalogue
from ..index.search import RecordIndex, record_index
from ..iris import Iris
from ..record import Agent, RegistryFacts, SampleRecord
from ..store import history
from . import embargo
from .policy import Owner, organisation
from .writes import Submission

if TYPE_CHECKING:
    from ..validation import ValidationReport, Validator
    from .service import Registry

__all__ = [
    "Derived",
    "DerivationSettings",
    "Description",
    "checked",
    "completed",
    "derive_many",
    "describe",
    "facts_of",
    "same_for_validation",
]


@dataclass(frozen=True)
class DerivationSettings:
    """The registry state a derivation reads, taken once for a load and given to its reading processes."""

    iri_base: str
    max_literal_bytes: int
    validation_engine: str
    doi_prefixes: frozenset[str]
    #: namespace → (agent, client): the owner a new name will have, foreseen (the writer finds the real one)
    namespaces: dict[str, tuple[str, str | None]]
    #: holder symbol (client, or agent) → the organisation a record naming no registrant is given
    registrants: dict[str, Agent]

    @classmethod
    def of(cls, registry: Registry) -> DerivationSettings:
        accounts = registry.accounts
        registrants = {a.symbol: organisation(a.name, a.ror) for a in accounts.agents()}
        registrants |= {c.symbol: organisation(c.name, c.ror) for c in accounts.clients()}
        return cls(
            iri_base=registry.iris.base,
            max_literal_bytes=registry.settings.max_literal_bytes,
            validation_engine=registry.settings.validation_engine,
            doi_prefixes=frozenset(accounts.doi_prefix_table()),
            namespaces=dict(accounts.namespace_table()),
            registrants=registrants,
        )

    def links_tag(self) -> str:
        """What ``links.resolve`` reads of the settings, in short: a derivation made under others is not used."""
        return links.settings_tag(self.doi_prefixes, self.iri_base)


# -- the stages, in process or in a reading process ------------------------------------------------------------
def checked(record: SampleRecord, *, max_literal_bytes: int) -> SampleRecord:
    """The record after the text policy (NFC, no refused characters, bounded; ``InvalidRecord`` otherwise): what
    the writer's ownership, DOI-prefix and landing-URL checks read."""
    return text_policy.check_record(record, max_bytes=max_literal_bytes)


def completed(
    record: SampleRecord,
    fmt: str | None,
    *,
    registrant: Agent | None,
    doi_prefixes: Collection[str],
    iri_base: str,
    now: datetime | None = None,
) -> SampleRecord:
    """The checked record as it will be stored: ``registrant`` (the owner's organisation) when it names none, every
    written form of another sample's IGSN a link to it, a name (the IGSN, as registries display it), and public or
    private as its embargo says at ``now``."""
    if record.registrant is None and registrant is not None:
        record = replace(record, registrant=registrant)
    # parents and collections per mappings/relation_semantics.csv (before the cycle rule, which reads parents)
    record = links.resolve(record, fmt, doi_prefixes=doi_prefixes, iri_base=iri_base)
    if not record.name:
        # the registration kernel carries no sample name; every description needs one (DataCite's mandatory title)
        record = replace(record, name=record.igsn)
    return embargo.with_embargo(record, now)


def facts_of(
    record: SampleRecord, owner: Owner, url: str | None, stamp: str, old: RegistryFacts | None
) -> RegistryFacts:
    """The registry facts of a description registered or updated (``old``: the sample's facts before)."""
    return RegistryFacts(
        igsn=record.igsn,
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


def same_for_validation(a: RegistryFacts, b: RegistryFacts) -> bool:
    """Whether SHACL sees the same in both: equal but for the datestamp (not in the graph) and a registration date
    of the same form (the shapes check its form, never its value)."""
    if a.registered != b.registered and not (_stamp_form(a.registered) and _stamp_form(b.registered)):
        return False
    return replace(a, datestamp="", registered=None) == replace(b, datestamp="", registered=None)


#: a datestamp as the registry issues them (``catalogue.format_datestamp``)
_DATESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def _stamp_form(value: str | None) -> bool:
    return value is not None and _DATESTAMP.fullmatch(value) is not None


@dataclass
class Description:
    """A completed record's stored forms: N-Triples (graph store, journal, history), its start compressed, and what
    search, relations and the embargo table keep of it — none rebuilt by the writer."""

    text: str
    compressed: history.CompressedStart
    index: RecordIndex
    #: the sample's ig:embargoEnd as written in its graph (``embargo.index``)
    embargo_end: str | None


def describe(record: SampleRecord, iris: Iris) -> tuple[list[Triple], Description]:
    triples = graphmap.record_triples(record, iris)
    text = ntriples(triples)
    # record_triples writes the embargo end as a literal of this lexical form (``graph.date_literal``)
    end = record.embargo_end
    return triples, Description(text, history.compress_start(text.encode("utf-8")), record_index(record), end)


# -- a submission derived in a reading process -------------------------------------------------------------------
@dataclass
class Derived:
    """A submission as a reading process hands it over: its record derived (``record`` None when the text policy
    refused it: the writer derives again and raises that at its place), with what the derivation assumed."""

    igsn: str
    format: str
    landing_url: str | None
    document_z: bytes | None
    #: the record as read, pickled: unpickled only when the writer must derive again
    source: bytes
    record: SampleRecord | None = None
    description: Description | None = None
    #: the organisation given as registrant (the record named none): used only if it is the real owner's
    registrant: Agent | None = None
    #: ``links_tag`` of the settings ``links.resolve`` read
    links: str = ""
    #: the report, and the registry facts it was made with (None: not validated here)
    report: ValidationReport | None = None
    facts: RegistryFacts | None = None
    #: an embargo kept it private until then: derived again after
    private_until: datetime | None = None

    def source_record(self) -> SampleRecord:
        record: SampleRecord = pickle.loads(self.source)
        return record

    def submission(self) -> Submission:
        """The submission as it was read (a document is kept compressed only: ``document_z``)."""
        return Submission(self.source_record(), self.format, None, self.landing_url)

    def usable(self, registrant: Agent | None, links: str, now: datetime) -> bool:
        """Whether the writer may take this derivation: made, with the owner's registrant where it gave one, under
        the same links settings, and not past an embargo's end."""
        return (
            self.record is not None
            and self.links == links
            and (self.registrant is None or self.registrant == registrant)
            and (self.private_until is None or now < self.private_until)
        )


def derive_many(
    submissions: Sequence[Submission],
    settings: DerivationSettings,
    validator: Validator,
    *,
    now: datetime | None = None,
) -> list[Derived]:
    """The reading process's derivation of some submissions: one SHACL run for them (a name twice goes to a later
    round, as the writer would validate them)."""
    iris = Iris(settings.iri_base)
    now = now or datetime.now(timezone.utc)
    stamp = catalogue.format_datestamp(now)
    tag = settings.links_tag()
    out: list[Derived] = []
    graphs: list[tuple[int, str, list[Triple]]] = []
    for sub in submissions:
        got = Derived(
            igsn=sub.record.igsn,
            format=sub.format,
            landing_url=sub.landing_url,
            document_z=history.compress(sub.document) if sub.document is not None else None,
            source=pickle.dumps(sub.record, protocol=pickle.HIGHEST_PROTOCOL),
            links=tag,
        )
        out.append(got)
        try:
            graph = _derive(got, sub, settings, iris, now, stamp)
        except Exception:  # noqa: BLE001 - whatever fails here fails again where the writer derives it, in its place
            got.record = got.description = got.registrant = got.facts = got.private_until = None
            continue
        if graph is not None:
            graphs.append((len(out) - 1, got.igsn, graph))
    pending = graphs
    while pending:
        round_: dict[str, tuple[int, list[Triple]]] = {}
        later = []
        for i, name, graph in pending:
            if name in round_:
                later.append((i, name, graph))
            else:
                round_[name] = (i, graph)
        try:
            reports = validator.validate_many({name: graph for name, (_, graph) in round_.items()})
        except Exception:  # noqa: BLE001 - not validated here: the writer validates them
            reports = {}
        for name, (i, _) in round_.items():
            out[i].report = reports.get(name)
        pending = later
    return out


def _derive(
    got: Derived, sub: Submission, settings: DerivationSettings, iris: Iris, now: datetime, stamp: str
) -> list[Triple] | None:
    """Fills ``got`` with the derivation of ``sub``; returns the graph to validate (None: not validated here)."""
    try:
        record = checked(sub.record, max_literal_bytes=settings.max_literal_bytes)
    except IgsnGraphError:
        return None  # the writer derives it again, and refuses it where its checks come
    owner = _foreseen_owner(record.igsn, settings)
    registrant = settings.registrants.get(owner.client or owner.agent) if owner is not None else None
    if record.registrant is None and registrant is None:
        return None  # its registrant depends on an owner not foreseen here: derived by the writer
    done = completed(
        record, sub.format, registrant=registrant, doi_prefixes=settings.doi_prefixes, iri_base=iris.base, now=now
    )
    triples, description = describe(done, iris)
    got.record, got.description = done, description
    got.registrant = registrant if record.registrant is None else None
    if done.embargo_end is not None and not done.is_public:
        got.private_until = embargo.lifts_at(done.embargo_end)
    if owner is None:
        return None
    got.facts = facts_of(done, owner, sub.landing_url or done.landing_page, stamp, None)
    return triples + graphmap.facts_triples(got.facts, iris)


def _foreseen_owner(name: str, settings: DerivationSettings) -> Owner | None:
    """The owner a name's namespace gives it (``Policy.owner_of_name`` for a new name); None where that depends on
    who registers it (the test namespace) or no namespace holds it."""
    if name.startswith(TEST_NAMESPACE):
        return None
    ns = identifiers.namespace_of(name, settings.namespaces)
    if ns is None:
        return None
    agent, client = settings.namespaces[ns]
    return Owner(agent, client, ns)
