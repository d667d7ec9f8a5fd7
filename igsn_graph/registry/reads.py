"""Reads of samples as stored: catalogue rows, public graphs, registry facts, current descriptions, documents.

Registry facts and public descriptions come from the sample's public graph; a private or inactive sample's
description from its latest history version (its graph holds facts only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pyoxigraph import Triple

from ..db import Database
from ..errors import ForeignSample, Gone, NotFound
from ..formats import graph as graphmap
from ..formats.rdf import parse_ntriples
from ..index import catalogue, search
from ..index.catalogue import CatalogueRow
from ..iris import Iris
from ..record import RegistryFacts, SampleRecord
from ..store import history
from ..store.base import GraphStore
from . import lifecycle
from .accounts import Principal

__all__ = ["Reads", "SampleSource", "Visible", "resolvable"]


def resolvable(row: CatalogueRow | None, name: str) -> CatalogueRow:
    """The one rule for following a sample's IRI: anyone may resolve a registered, active sample — its registry
    facts always, its description when it is public (the profiles offered say which); NotFound when it is
    unknown, Gone when it is deactivated. ``visible`` and ``findable_row`` narrow it."""
    if row is None:
        raise NotFound("IGSN not found", igsn=name)
    if not row.active:
        raise Gone(f"IGSN {name} has been deactivated", igsn=name)
    return row


class SampleSource(Protocol):
    """What a check reads of a sample: as stored (``Reads``), or as a write in progress sees it."""

    def row(self, name: str) -> CatalogueRow | None: ...

    def facts(self, name: str) -> RegistryFacts | None: ...


@dataclass(frozen=True)
class Visible:
    """A sample as one reader may see it: its row and facts, and the graph that reader may read."""

    row: CatalogueRow
    facts: RegistryFacts
    #: the reader owns the sample (or acts for its owner): the whole description, also of a private one
    owner: bool
    triples: list[Triple]


class Reads:
    """The reads of one registry's database and graph store."""

    def __init__(self, db: Database, store: GraphStore, iris: Iris) -> None:
        self.db = db
        self.store = store
        self.iris = iris

    def row(self, name: str) -> CatalogueRow | None:
        return catalogue.get(self.db.read(), name)

    def rows(self, names: list[str]) -> dict[str, CatalogueRow]:
        return catalogue.get_many(self.db.read(), names)

    def graph_of(self, name: str) -> list[Triple]:
        return self.store.graph(self.iris.record_graph(name))

    def facts(self, name: str) -> RegistryFacts | None:
        """The sample's registry facts: from its graph, the datestamp from its catalogue row."""
        row = self.row(name)
        datestamp = row.datestamp if row is not None else ""
        return graphmap.facts_from_triples(self.graph_of(name), self.iris, name, datestamp=datestamp)

    def record(self, name: str) -> SampleRecord | None:
        """The current description (from history when the sample is private or inactive: the graph holds facts only)."""
        triples = self.graph_of(name)
        facts = graphmap.facts_from_triples(triples, self.iris, name, datestamp="")
        if facts is None or not facts.has_metadata:
            return None
        if not (facts.is_public and facts.active):
            latest = history.latest_version(self.db.read(), name)
            if latest is None:
                return None
            triples = parse_ntriples(latest.graph_ntriples)
        return graphmap.record_from_triples(triples, self.iris, name)

    def existing(
        self, name: str, principal: Principal, source: SampleSource | None = None
    ) -> tuple[CatalogueRow, RegistryFacts]:
        """The sample's row and facts (as ``source`` sees them, when given); NotFound, or ForeignSample."""
        seen: SampleSource = source if source is not None else self
        row = seen.row(name)
        if row is None:
            raise NotFound("IGSN not found", igsn=name)
        facts = seen.facts(name)
        if facts is None:
            raise NotFound("IGSN not found", igsn=name)
        if not principal.may_act_for(row.agent, row.client):
            raise ForeignSample("cannot access dataset which belongs to another party", igsn=name)
        return row, facts

    def visible(self, name: str, reader: Principal | None) -> Visible:
        """The one visibility rule for reading a sample: its owner reads its whole description (from history,
        also when it is private, embargoed or deactivated); anyone else reads the public graph of an active,
        public sample — Gone when it is deactivated, NotFound when it is private or embargoed, or unknown."""
        row = self.row(name)
        facts = self.facts(name) if row is not None else None
        if row is None or facts is None:
            raise NotFound("IGSN not found", igsn=name)
        owner = reader is not None and reader.may_act_for(row.agent, row.client)
        if owner:
            latest = history.latest_version(self.db.read(), name)
            triples = parse_ntriples(latest.graph_ntriples) if latest is not None else self.graph_of(name)
            return Visible(row, facts, True, triples)
        resolvable(row, name)  # the catalogue row's status is the facts' (catalogue.row_from_facts)
        if not facts.is_public:
            raise NotFound("IGSN not found", igsn=name)
        return Visible(row, facts, False, self.graph_of(name))

    def resolvable_row(self, name: str) -> CatalogueRow:
        """The catalogue row of a sample anyone may resolve (``resolvable``); NotFound, or Gone."""
        return resolvable(self.row(name), name)

    def findable_row(self, name: str) -> CatalogueRow:
        """The catalogue row of a sample the public may find and follow (``index.search.findable``: active,
        public, described, not a test registration) — the rule for reads that list or link samples; Gone when
        it is deactivated, NotFound when it is unknown or not findable."""
        row = self.resolvable_row(name)
        if not search.findable(row):
            raise NotFound("no public description of this IGSN", igsn=name)
        return row

    def draft_for(self, name: str, reader: Principal | None) -> lifecycle.Draft | None:
        """The draft (reserved IGSN) ``name`` if ``reader`` may see it — its owner, the owning client's agent, the
        administrator; None when there is none or it is another's (answered as an unknown name)."""
        if reader is None:
            return None
        draft = lifecycle.get(self.db.read(), name)
        return draft if draft is not None and reader.may_act_for(draft.agent, draft.client) else None

    def active_facts(self, name: str, principal: Principal) -> RegistryFacts:
        """The facts of an owned sample that is active; Gone when it is deactivated."""
        _, facts = self.existing(name, principal)
        if not facts.active:
            raise Gone("dataset inactive", igsn=name)
        return facts

    def metadata_document(self, name: str, principal: Principal) -> history.Version:
        """The latest submitted document of an owned, active sample; NotFound when it has none."""
        self.active_facts(name, principal)
        version = history.latest_document(self.db.read(), name)
        if version is None:
            raise NotFound("no metadata for the IGSN", igsn=name)
        return version

    def names_of(self, principal: Principal) -> list[str]:
        """Every name the principal owns (all of them for the administrator), in order."""
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

    def namespace_use(self, namespace: str) -> int:
        """How many samples lie in a namespace."""
        used: int = (
            self.db.read().execute("SELECT COUNT(*) FROM catalogue WHERE namespace = ?", (namespace,)).fetchone()[0]
        )
        return used
