"""What the pages and projections read besides the sample's own graph: samples that name it, its history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote

from .. import relations
from ..rdfterm import term_value

if TYPE_CHECKING:
    from ..registry.service import Registry

__all__ = ["HistoryEntry", "Related", "history", "related"]


@dataclass(frozen=True)
class Related:
    """Samples that name this one: as parent (children) or as collection (members)."""

    children: tuple[str, ...] = ()
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class HistoryEntry:
    time: str
    event: str
    by: str


_IG = "https://w3id.org/igsn-graph/ontology#"
_PROV = "http://www.w3.org/ns/prov#"
_RELATED_LIMIT = 500  # a page lists at most this many children and members (each)


def related(registry: Registry, name: str) -> Related:
    """Children and members of a sample: the findable samples that name it as parent or collection
    (``relations.children`` and ``relations.members``, the one read of them)."""
    return Related(
        tuple(relations.children(registry.db, name, limit=_RELATED_LIMIT)),
        tuple(relations.members(registry.db, name, limit=_RELATED_LIMIT)),
    )


def history(registry: Registry, name: str) -> list[HistoryEntry]:
    """The registration history (PROV activities of the provenance graph), oldest first."""
    by_subject: dict[str, dict[str, str]] = {}
    for t in registry.store.graph(registry.iris.provenance_graph(name)):
        by_subject.setdefault(term_value(t.subject), {})[t.predicate.value] = term_value(t.object)
    entries = [
        HistoryEntry(
            p.get(_PROV + "endedAtTime", ""),
            p.get(_IG + "changeType", ""),
            _account_symbol(p.get(_PROV + "wasAssociatedWith", ""), registry.iris.base),
        )
        for p in by_subject.values()
        if _IG + "changeType" in p
    ]
    return sorted(entries, key=lambda e: e.time)


def _account_symbol(iri: str, base: str) -> str:
    for kind in ("agent/", "client/"):
        if iri.startswith(base + kind):
            return unquote(iri[len(base + kind) :])
    return iri
