"""OAI sets ↔ catalogue filters: ``AGENT``, ``AGENT:AGENT.CLIENT`` and ``ns:NAMESPACE`` (under ``ns``).

Allocating agents and their clients form a two-level hierarchy (client symbols are ``AGENT.CLIENT``);
namespaces hang below the set ``ns``; harvested samples below ``source`` (issue 18): ``source:NAME`` holds
every sample of which the harvest source NAME has a record, so downstream harvesters get one aggregated feed
per source (the description each record carries is the one the registry shows: ``harvest.precedence``). Selecting a set selects its descendants (spec §2.6), which
the filters express directly: ``AGENT`` is every sample of the agent, clients' included. A namespace
may contain ``/``, which setSpec cannot carry, so it is written ``_`` (never part of an IGSN name).

``ns:X`` holds every sample whose namespace starts with X, as its setDescription says: an agent's
namespace set holds the samples of its clients' sub-namespaces too (``ns:ZT`` ⊇ ``ns:ZTA``). Those sets
are not nested in setSpec (both sit under ``ns``), so a header names every namespace set of its sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Collection

from ..harvest import sources
from .args import SET_SPEC_PATTERN

if TYPE_CHECKING:
    from ..registry.service import Registry
    from .index import Item

__all__ = [
    "SetFilter",
    "OaiSet",
    "NAMESPACES_SET",
    "SOURCES_SET",
    "source_spec",
    "header_specs",
    "parse_spec",
    "list_sets",
    "namespace_spec",
    "client_spec",
]

#: the parent of every namespace set
NAMESPACES_SET = "ns"
#: the parent of every harvest source's set
SOURCES_SET = "source"


@dataclass(frozen=True)
class SetFilter:
    """Catalogue columns a set pins (None: any); ``empty`` when the set cannot hold anything.

    ``namespace`` is a prefix when ``below`` (registered namespaces start with it), else the one namespace.
    ``source``: samples the harvest source of that name has a record of (``*``: any source).
    """

    agent: str | None = None
    client: str | None = None
    namespace: str | None = None
    empty: bool = False
    below: bool = False
    source: str | None = None


@dataclass(frozen=True)
class OaiSet:
    spec: str
    name: str
    description: str | None = None


def namespace_spec(namespace: str) -> str:
    return f"{NAMESPACES_SET}:{namespace.replace('/', '_')}"


def client_spec(agent: str, client: str) -> str:
    return f"{agent}:{client}"


def source_spec(source: str) -> str:
    return f"{SOURCES_SET}:{source}"


def header_specs(row: "Item", namespaces: Collection[str], sources: Collection[str] = ()) -> list[str]:
    """Memberships of a sample: its client set (or its agent's when it has no client; the agent's set is its
    parent), every namespace set (of ``namespaces``, the registered ones) its namespace starts with, and the set
    of each harvest source (``sources``) that has a record of it."""
    owner = client_spec(row.agent, row.client) if row.client else row.agent
    within = {ns for ns in namespaces if row.namespace.startswith(ns)} | {row.namespace}
    harvested = [source_spec(s) for s in sorted(sources) if SET_SPEC_PATTERN.fullmatch(source_spec(s))]
    return [owner, *(namespace_spec(ns) for ns in sorted(within, key=lambda ns: (len(ns), ns))), *harvested]


def parse_spec(spec: str, namespaces: Collection[str]) -> SetFilter:
    """The filter of a syntactically valid setSpec (``namespaces``: the registered ones); unknown sets give
    filters that match nothing."""
    parts = spec.split(":")
    if parts[0] == SOURCES_SET:
        return SetFilter(source="*") if len(parts) == 1 else SetFilter(source=":".join(parts[1:]))
    if parts[0] == NAMESPACES_SET:
        if len(parts) == 1:
            return SetFilter()
        if len(parts) == 2:
            prefix = parts[1].replace("_", "/")
            if prefix not in namespaces:
                return SetFilter(empty=True)
            return SetFilter(namespace=prefix, below=any(ns != prefix and ns.startswith(prefix) for ns in namespaces))
        return SetFilter(empty=True)
    if len(parts) == 1:
        return SetFilter(agent=parts[0])
    if len(parts) == 2 and parts[1].startswith(parts[0] + "."):
        return SetFilter(agent=parts[0], client=parts[1])
    return SetFilter(empty=True)


def list_sets(registry: "Registry") -> list[OaiSet]:
    """Every set of the repository, ordered by setSpec; empty when there are no accounts."""
    out: list[OaiSet] = []
    for agent in registry.accounts.agents():
        out.append(OaiSet(agent.symbol, agent.name, f"Samples registered by the allocating agent {agent.symbol}"))
    for client in registry.accounts.clients():
        out.append(
            OaiSet(
                client_spec(client.agent, client.symbol),
                client.name,
                f"Samples registered by {client.symbol}, a client of {client.agent}",
            )
        )
    table = registry.accounts.namespace_table()
    if table:
        out.append(OaiSet(NAMESPACES_SET, "Namespaces", "Samples by IGSN namespace (name prefix)"))
    for namespace, (agent_symbol, client_symbol) in table.items():
        out.append(
            OaiSet(
                namespace_spec(namespace),
                f"Namespace {namespace}",
                f"IGSNs starting with {namespace}, owned by {client_symbol or agent_symbol}",
            )
        )
    harvest_sources = sources.all_sources(registry)
    if harvest_sources:
        out.append(OaiSet(SOURCES_SET, "Harvest sources", "Samples described by OAI-PMH catalogues harvested here"))
    for source in harvest_sources:
        who = f"speaking for {source.agent}" if source.agent else "unverified: no allocating agent speaks for it"
        out.append(
            OaiSet(source_spec(source.name), f"Harvested from {source.name}", f"Samples {source.url} describes ({who})")
        )
    out = [s for s in out if SET_SPEC_PATTERN.fullmatch(s.spec)]  # an account symbol outside the pattern stays out
    out.sort(key=lambda s: s.spec)
    return out
