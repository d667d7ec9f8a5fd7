"""A draft (a reserved IGSN) as its owner resolves it: its partial description, read from the draft table.

A draft is nowhere in the graph or the catalogue (``registry.lifecycle``), so its view is built from the draft
row alone: the description its attributes give (the triples ``/api/v1/samples`` returns for it) and registry
facts from the row, with the status ``draft``. It has no history, so no ``prov`` profile; the profiles written
from a description only when it has one (a format whose required properties are still missing answers
``NotAcceptable`` from ``render``). The router serves it privately and keeps none of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyoxigraph import Triple

from ..formats import datacite_rest
from ..formats.graph import record_triples
from ..index.catalogue import row_from_facts
from ..once import once
from ..record import RegistryFacts, SampleRecord
from ..registry import lifecycle
from .profiles import available_profiles
from .rendering import SampleView, render_rdf

if TYPE_CHECKING:
    from ..registry.service import Registry

__all__ = ["DraftView", "draft_view"]

#: profiles a draft has nothing for: the history (PROV activities) starts when it is registered
_NOT_FOR_DRAFTS = frozenset({"prov"})


class DraftView(SampleView):
    """A ``SampleView`` of a draft: the same renderers, fed from the draft's partial description."""

    def __init__(self, registry: Registry, facts: RegistryFacts, description: SampleRecord) -> None:
        super().__init__(registry, row_from_facts(facts, 0))
        self._facts = facts
        self._description = description

    @once
    def triples(self) -> list[Triple]:
        return record_triples(self._description, self.registry.iris)

    @once
    def facts(self) -> RegistryFacts:
        return self._facts

    @once
    def record(self) -> SampleRecord | None:
        return self._description if self._facts.has_metadata else None

    def rdf(self, media_type: str) -> bytes:
        return render_rdf(self.triples, self.registry.iris.record_graph(self.name), media_type)

    @property
    def available(self) -> list[str]:
        """The profiles this draft can be given in."""
        return [t for t in available_profiles(self._facts) if t not in _NOT_FOR_DRAFTS]


def draft_view(registry: Registry, draft: lifecycle.Draft) -> DraftView:
    """The view of a draft; its description as ``lifecycle.description`` reads it (``InvalidInput`` if its
    stored ``xml`` no longer reads, which the write that stored it had checked)."""
    description = lifecycle.description(draft, max_bytes=registry.settings.max_body_bytes)
    facts = RegistryFacts(
        igsn=draft.igsn,
        agent=draft.agent,
        namespace=draft.namespace,
        datestamp=draft.updated,
        client=draft.client,
        landing_url=draft.url,
        lifecycle=lifecycle.DRAFT,  # shown as its status (``RegistryFacts.status``), on its page too
        # seen by its owner only, but described as far as it is: the profiles that need a description are offered
        is_public=True,
        has_metadata=datacite_rest.has_metadata(draft.attributes),
        doi=draft.doi,
    )
    return DraftView(registry, facts, description)
