"""The public accounts graph: agents, clients and namespaces as RDF nodes (symbols, names, identifiers — no secrets)."""

from __future__ import annotations

from pyoxigraph import Literal, NamedNode, Triple

from ..iris import Iris
from ..store.base import GraphStore, GraphWrite
from ..vocab import IG, RDF_TYPE, SCHEMA
from .accounts import Accounts

__all__ = ["accounts_triples", "publish_accounts"]


def accounts_triples(accounts: Accounts, iris: Iris) -> list[Triple]:
    """The public nodes of every agent, client and namespace."""
    triples: list[Triple] = []
    for a in accounts.agents():
        node = iris.agent(a.symbol)
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
            triples.append(Triple(node, IG.ownsNamespace, iris.namespace(ns)))
    for c in accounts.clients():
        node = iris.client(c.symbol)
        triples += [
            Triple(node, RDF_TYPE, IG.Client),
            Triple(node, IG.symbol, Literal(c.symbol)),
            Triple(node, SCHEMA.name, Literal(c.name)),
            Triple(node, IG.allocatingAgent, iris.agent(c.agent)),
        ]
        if c.ror:
            triples += [
                Triple(node, SCHEMA.identifier, NamedNode(c.ror)),
                Triple(node, SCHEMA.sameAs, NamedNode(c.ror)),
            ]
    for ns, (agent, client) in sorted(accounts.namespace_table().items()):
        node = iris.namespace(ns)
        triples += [
            Triple(node, RDF_TYPE, IG.Namespace),
            Triple(node, IG.symbol, Literal(ns)),
            Triple(node, IG.ownedBy, iris.client(client) if client else iris.agent(agent)),
        ]
    return triples


def publish_accounts(accounts: Accounts, iris: Iris, store: GraphStore) -> None:
    """Rewrites the accounts graph when it differs from the accounts tables (a crash between the two is mended)."""
    triples = accounts_triples(accounts, iris)
    graph = iris.accounts_graph()
    if {str(t) for t in triples} != {str(t) for t in store.graph(graph)}:
        store.apply(GraphWrite(replace={graph: triples}))
