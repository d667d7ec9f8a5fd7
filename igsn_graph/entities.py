"""The registry's own nodes — agents, clients, namespaces, activities, versions, graphs — read for their pages.

Every IRI the registry mints under its IRI base (``iris.Iris``: ``agent/…``, ``client/…``, ``namespace/…``,
``activity/NAME/N``, ``version/NAME/N``, ``provenance/NAME``, ``graph/NAME``, ``accounts``) names a node a
client can look up. ``describe`` reads one: its triples as the store holds them, and, for an account node,
one keyset page of the samples it holds. No HTTP here; ``entities_html`` renders a node as a page.

Only public facts are read, so a page can never say more than SPARQL does:
- account nodes come from the accounts graph (symbols, names, identifiers, namespaces; never a contact,
  quota or password, which stay in the accounts tables);
- the samples of an account are those search finds (active, public, described, not a test registration)
  and in the same order as ``/search?agent=…`` sorted by IGSN, so the page and its search link agree;
- activities and versions come from the sample's provenance graph, answered as the resolver answers the
  sample itself: ``Gone`` once it is deactivated.

``NotFound`` only for an IRI the registry never minted (an unknown symbol, a version number past the last).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Triple, serialize

from . import identifiers
from .errors import InvalidIdentifier, NotFound
from .formats.table import RDF_WRITTEN, RdfSyntax
from .formats.xmltext import xml_safe
from .index import search
from .iris import Iris
from .rdfterm import term_value
from .registry.accounts import ADMIN
from .vocab import IG, PREFIXES, PROV, RDF_TYPE, SCHEMA

if TYPE_CHECKING:
    from .registry.service import Registry

__all__ = [
    "ACCOUNT_KINDS",
    "ADMIN_LABEL",
    "DEFAULT_LIMIT",
    "KINDS",
    "PROV_KINDS",
    "Node",
    "Ref",
    "SamplePage",
    "canonical",
    "describe",
    "local_path",
    "rdf",
    "ref_of",
    "require",
]

#: first path segments of the minted IRIs (``iris.RESERVED_PATHS``), each a kind of node
KINDS = ("agent", "client", "namespace", "activity", "version", "provenance", "graph", "accounts")
#: nodes of the accounts graph, which hold samples
ACCOUNT_KINDS = ("agent", "client", "namespace")
#: nodes of a sample's provenance graph
PROV_KINDS = ("activity", "version", "provenance")
#: samples listed per page unless asked otherwise
DEFAULT_LIMIT = 50
#: the RDF syntaxes a node is written in, by pyoxigraph format (their rows say dataset and prefixed)
_WRITTEN: dict[RdfFormat, RdfSyntax] = {syntax.rdf_format: syntax for syntax in RDF_WRITTEN}

#: the search filter, and the sample's registry fact, that tie a sample to an account node
_HOLDS = {"agent": IG.allocatingAgent, "client": IG.registeredBy, "namespace": IG.inNamespace}
#: what the administrator's agent IRI (``agent/admin``, minted for its changes) is called
ADMIN_LABEL = "registry administrator"


@dataclass(frozen=True)
class Ref:
    """A minted IRI read from a path under the IRI base: its kind and the rest of the path."""

    kind: str
    key: str = ""

    @property
    def path(self) -> str:
        """The path below the IRI base (and below this service's root) that names the node."""
        return self.kind if self.kind == "accounts" else f"{self.kind}/{self.key}"


@dataclass(frozen=True)
class SamplePage:
    """One keyset page of the samples an account node holds (what ``/search?<facet>=<value>`` finds)."""

    facet: str
    value: str
    total: int
    items: tuple[search.SampleSummary, ...]
    cursor: str | None
    next_cursor: str | None


@dataclass(frozen=True)
class Node:
    """One minted node as the public graph holds it."""

    ref: Ref
    iri: NamedNode
    #: the named graph its triples live in (accounts, or the sample's provenance graph)
    graph: NamedNode
    #: its own triples: those of ``graph`` with the node as subject or object
    triples: tuple[Triple, ...]
    #: the graph around it, for what a page shows one step away (a version's activity, a client's name)
    context: tuple[Triple, ...] = ()
    #: display names of the account nodes of ``context`` (IRI → name or symbol)
    labels: dict[str, str] = field(default_factory=dict)
    #: the sample a provenance node or graph belongs to
    sample: str | None = None
    #: an account node's samples
    samples: SamplePage | None = None
    #: a namespace's narrower namespaces (registered namespaces that start with it)
    narrower: tuple[str, ...] = ()
    #: the samples of ``samples`` as the triples their graphs hold about this node, each in its graph
    listing: tuple[Quad, ...] = ()

    def objects(self, predicate: NamedNode, subject: NamedNode | None = None) -> list[str]:
        """Values of ``predicate`` on ``subject`` (the node by default) in the node's context."""
        s = subject or self.iri
        return [
            term_value(t.object) for t in self.context or self.triples if t.subject == s and t.predicate == predicate
        ]

    def subjects(self, predicate: NamedNode, obj: NamedNode | None = None) -> list[str]:
        """Subjects that point at ``obj`` (the node by default) with ``predicate``, in the node's context."""
        o = obj or self.iri
        triples = self.context or self.triples
        return sorted(term_value(t.subject) for t in triples if t.object == o and t.predicate == predicate)

    def quads(self) -> list[Quad]:
        """Everything a representation carries: the node's triples in its graph, then the listed samples'."""
        return [Quad(t.subject, t.predicate, t.object, self.graph) for t in self.triples] + list(self.listing)


def ref_of(path: str) -> Ref | None:
    """The node a path below the IRI base names, or None when it is no minted kind (a sample, another route)."""
    kind, _, key = path.partition("/")
    if kind not in KINDS or (kind == "accounts") != (key == ""):
        return None
    return Ref(kind, key)


def local_path(iri: str, base: str) -> str | None:
    """The path on this service of an IRI under the IRI base (a sample or a node), or None for others."""
    if not iri.startswith(base) or "#" in iri:
        return None
    return "/" + iri[len(base) :]


def canonical(registry: Registry, ref: Ref) -> Ref:
    """The one written form of a node's path (names and symbols upper case, numbers without leading zeros).

    A path that cannot name a node at all is ``NotFound``; the router redirects any other form to this one.
    """
    kind, key = ref.kind, ref.key
    try:
        if kind in ("agent", "client"):
            return Ref(kind, key if key == ADMIN.symbol and kind == "agent" else key.upper())
        if kind == "namespace":
            return Ref(kind, identifiers.normalise_namespace(key))
        if kind in ("activity", "version"):
            name, _, number = key.rpartition("/")
            if not number.isascii() or not number.isdigit() or int(number) < 1:
                raise NotFound(f"{kind} {key}: not NAME/NUMBER")
            return Ref(kind, f"{identifiers.validate_name(name)}/{int(number)}")
        if kind in ("provenance", "graph"):
            return Ref(kind, identifiers.validate_name(key))
    except InvalidIdentifier as exc:
        raise NotFound(f"{kind} {key}: {exc.message}") from None
    return ref


def require(registry: Registry, ref: Ref) -> None:
    """NotFound unless the registry minted ``ref`` (canonical): what a redirect to it must know first, read
    more cheaply than ``describe`` (no listing, no provenance graph)."""
    if ref.kind == "accounts":
        return
    if ref.kind in ACCOUNT_KINDS:
        iri = _account_iri(registry.iris, ref)
        if not any(t.subject == iri for t in registry.store.graph(registry.iris.accounts_graph())):
            _unpublished(ref, iri)
        return
    name, _, number = ref.key.rpartition("/") if ref.kind in ("activity", "version") else (ref.key, "", "")
    row = registry.row(name)
    if row is None or (number and int(number) > row.version):
        raise NotFound(f"no {ref.kind} {ref.key} is registered here", igsn=name)


def describe(registry: Registry, ref: Ref, *, cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> Node:
    """The node ``ref`` names (in canonical form), with a page of its samples; NotFound, Gone or InvalidInput
    (a cursor this service did not issue, a limit out of range)."""
    if ref.kind in ACCOUNT_KINDS or ref.kind == "accounts":
        return _account(registry, ref, cursor, limit)
    return _provenance(registry, ref)


def rdf(node: Node, fmt: RdfFormat) -> bytes:
    """The node in one written RDF syntax (``RDF_WRITTEN``): a graph syntax gets its triples, a dataset syntax
    each in its named graph (the node's in the accounts or provenance graph, a listed sample's fact in that
    sample's graph); the table's row says which syntax is a dataset and which gets our prefixes, as for a
    sample (``resolver.rendering``)."""
    syntax = _WRITTEN[fmt]
    prefixes = PREFIXES if syntax.prefixed else None
    quads = node.quads()
    if syntax.dataset:
        return serialize(quads, format=fmt, prefixes=prefixes) or b""
    triples = list(dict.fromkeys(q.triple for q in quads))
    if fmt == RdfFormat.RDF_XML:
        triples = xml_safe(triples)  # pyoxigraph writes a NUL or U+FFFE into RDF/XML as it is
    return serialize(triples, format=fmt, prefixes=prefixes) or b""


# --- accounts ---------------------------------------------------------------------------------


def _account(registry: Registry, ref: Ref, cursor: str | None, limit: int) -> Node:
    iris = registry.iris
    graph = iris.accounts_graph()
    context = tuple(registry.store.graph(graph))
    labels = _labels(context)
    if ref.kind == "accounts":
        return Node(ref, graph, graph, context, context, labels)
    iri = _account_iri(iris, ref)
    triples = tuple(t for t in context if iri in (t.subject, t.object))
    if not any(t.subject == iri for t in triples):
        # minted without an account; holds no sample anyone may list
        triples = _unpublished(ref, iri)
        labels[iri.value] = ADMIN_LABEL if ref.key == ADMIN.symbol else ref.key
        return Node(ref, iri, graph, triples, context + triples, labels)
    narrower: tuple[str, ...] = ()
    if ref.kind == "namespace":
        namespaces = {t.subject for t in context if t.predicate == RDF_TYPE and t.object == IG.Namespace}
        narrower = tuple(
            sorted(
                term_value(t.object)
                for t in context
                if t.predicate == IG.symbol
                and t.subject in namespaces
                and term_value(t.object) != ref.key
                and term_value(t.object).startswith(ref.key)
            )
        )
    page = _samples(registry, ref, cursor, limit)
    listing = tuple(Quad(iris.sample(s.igsn), _HOLDS[ref.kind], iri, iris.record_graph(s.igsn)) for s in page.items)
    return Node(ref, iri, graph, triples, context, labels, samples=page, narrower=narrower, listing=listing)


def _account_iri(iris: Iris, ref: Ref) -> NamedNode:
    return {"agent": iris.agent, "client": iris.client, "namespace": iris.namespace}[ref.kind](ref.key)


def _unpublished(ref: Ref, iri: NamedNode) -> tuple[Triple, ...]:
    """A node minted without an account: the administrator (named by the changes it made) and the test
    namespace (named by test registrations). What the store says of it is its type, which the ranges of
    ``prov:wasAssociatedWith`` and ``ig:inNamespace`` entail; anything else was never minted."""
    if ref.kind == "agent" and ref.key == ADMIN.symbol:
        return (Triple(iri, RDF_TYPE, PROV.Agent),)
    if ref.kind == "namespace" and ref.key == identifiers.TEST_NAMESPACE:
        return (Triple(iri, RDF_TYPE, IG.Namespace), Triple(iri, IG.symbol, Literal(ref.key)))
    raise NotFound(f"no {ref.kind} {ref.key} is registered here")


def _labels(triples: Iterable[Triple]) -> dict[str, str]:
    """IRI → name (agents, clients) or symbol (namespaces) of every account node."""
    labels: dict[str, str] = {}
    for t in triples:
        if t.predicate == SCHEMA.name or (t.predicate == IG.symbol and term_value(t.subject) not in labels):
            labels[term_value(t.subject)] = term_value(t.object)
    return labels


def _samples(registry: Registry, ref: Ref, cursor: str | None, limit: int) -> SamplePage:
    query = search.SearchQuery(filters={ref.kind: [ref.key]}, sort="igsn", limit=limit, cursor=cursor, facets=False)
    result = search.search(registry.db.read(), query, search.Bounds.of(registry.settings))
    return SamplePage(ref.kind, ref.key, result.total, tuple(result.hits), cursor, result.next_cursor)


# --- provenance -------------------------------------------------------------------------------


def _provenance(registry: Registry, ref: Ref) -> Node:
    name = ref.key.rpartition("/")[0] if ref.kind in ("activity", "version") else ref.key
    iris = registry.iris
    if ref.kind == "graph":
        # a graph IRI names the sample's graph whatever its state: a page saying where it is, nothing of its content
        if registry.row(name) is None:
            raise NotFound(f"IGSN not found: {name}", igsn=name)
        return Node(ref, iris.record_graph(name), iris.record_graph(name), (), sample=name)
    registry.resolvable_row(name)  # the resolver's rule: NotFound, or Gone once deactivated
    graph = iris.provenance_graph(name)
    context = tuple(registry.store.graph(graph))
    if ref.kind == "provenance":
        return Node(ref, graph, graph, context, context, sample=name)
    number = int(ref.key.rpartition("/")[2])
    iri = iris.activity(ref.key) if ref.kind == "activity" else iris.version(name, number)
    triples = tuple(t for t in context if iri in (t.subject, t.object))
    if not any(t.subject == iri for t in triples):
        raise NotFound(f"{name} has no {ref.kind} {number}", igsn=name)
    return Node(ref, iri, graph, triples, context, sample=name)
