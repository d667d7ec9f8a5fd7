"""The graph store protocol: named graphs per sample, replaced atomically, read concurrently."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping, Protocol, Sequence

from pyoxigraph import NamedNode, Quad, RdfFormat, Triple

__all__ = ["GraphWrite", "GraphStore", "update_request"]


@dataclass
class GraphWrite:
    """One atomic change: graphs replaced wholesale (``None`` drops the graph), triples removed, triples added.

    ``remove`` is applied before ``add``: a single value changes without the graph being read or rewritten
    (``registry.graph_datestamps`` drops the one ``ig:datestamp`` triple of graphs from before). Removing a triple that is absent does nothing.
    """

    replace: dict[NamedNode, Sequence[Triple] | None] = field(default_factory=dict)
    add: dict[NamedNode, Sequence[Triple]] = field(default_factory=dict)
    remove: dict[NamedNode, list[Triple]] = field(default_factory=dict)
    #: graphs known not to exist yet: written without a preceding drop (the fast path of bulk loads)
    new_graphs: set[NamedNode] = field(default_factory=set)
    #: the N-Triples text of a graph's triples in ``replace`` or ``add`` (the same triples, in order), when the
    #: writer has it already (the journal keeps it in history): no Python object per triple is written again
    text: dict[NamedNode, str] = field(default_factory=dict)

    def ntriples(self, graph: NamedNode, triples: Sequence[Triple]) -> str:
        """The N-Triples text of ``triples``, which ``replace`` or ``add`` holds for ``graph``."""
        known = self.text.get(graph)
        return known if known is not None else "".join(f"{t} .\n" for t in triples)

    def nquads(self) -> bytes:
        """The quads of ``replace`` and ``add`` as N-Quads. A line of N-Triples ends in `` .\n`` and nowhere else
        (a line break inside a literal is escaped), so each line gets its graph name just before that end."""
        parts = []
        for graph, triples in list(self.replace.items()) + list(self.add.items()):
            if triples:
                parts.append(self.ntriples(graph, triples).replace(" .\n", f" {graph} .\n"))
        return "".join(parts).encode("utf-8")

    def size(self) -> int:
        """How many quads ``replace`` and ``add`` hold."""
        return sum(len(t or ()) for t in self.replace.values()) + sum(len(t) for t in self.add.values())

    def quads(self) -> Iterator[Quad]:
        for graph, triples in self.replace.items():
            for t in triples or ():
                yield Quad(t.subject, t.predicate, t.object, graph)
        for graph, triples in self.add.items():
            for t in triples:
                yield Quad(t.subject, t.predicate, t.object, graph)


#: the replaced graphs emptied by one statement (``{graphs}``: their IRIs), for engines that refuse many statements
DROP_ALL_AT_ONCE = "DELETE {{ GRAPH ?g {{ ?s ?p ?o }} }} WHERE {{ VALUES ?g {{ {graphs} }} GRAPH ?g {{ ?s ?p ?o }} }} ;"


def update_request(write: GraphWrite, *, drop_template: str | None = None) -> str:
    """The change as one SPARQL Update request (DROP + DELETE DATA + INSERT DATA), which engines apply as one
    transaction.

    Terms are written in their N-Triples form by pyoxigraph, which escapes literals and refuses IRIs
    that could break out of ``<…>``; nothing user-supplied is spliced in any other way. ``drop_template``
    (e.g. ``DROP_ALL_AT_ONCE``) empties the replaced graphs in one statement instead of one DROP each.
    """
    dropped = [g for g in write.replace if g not in write.new_graphs]
    if drop_template is None:
        parts = [f"DROP SILENT GRAPH {g} ;" for g in dropped]
    else:
        parts = [drop_template.format(graphs=" ".join(str(g) for g in dropped))] if dropped else []
    removed = [
        f"GRAPH {graph} {{\n" + "".join(f"{t} .\n" for t in triples) + "}\n"
        for graph, triples in write.remove.items()
        if triples
    ]
    if removed:
        parts.append("DELETE DATA {\n" + "".join(removed) + "} ;")
    body: list[str] = []
    for graph, triples in list(write.replace.items()) + list(write.add.items()):
        if triples:
            body.append(f"GRAPH {graph} {{\n" + write.ntriples(graph, triples) + "}\n")
    if body:
        parts.append("INSERT DATA {\n" + "".join(body) + "}")
    return "\n".join(parts)


class GraphStore(Protocol):
    """What the registry needs from a graph store (embedded pyoxigraph or a remote SPARQL engine)."""

    def apply(self, write: GraphWrite) -> None:
        """Applies one change atomically; idempotent (applying it twice gives the same state)."""

    def graph(self, graph: NamedNode) -> list[Triple]:
        """The triples of one named graph (empty if absent)."""

    def graphs(self, graphs: Sequence[NamedNode]) -> dict[NamedNode, list[Triple]]:
        """The triples of each of several named graphs (empty lists for absent ones), in one read where the
        engine allows it (``verify`` reads the store in batches)."""

    def serialize_graph(
        self, graph: NamedNode, format: RdfFormat, prefixes: dict[str, str] | None = None
    ) -> bytes | None:
        """One named graph in a graph syntax (not N-Quads or TriG), the same bytes as serialising
        ``graph(graph)``; None when the graph is empty."""

    def graphs_with_prefix(self, prefix: str) -> Iterator[NamedNode]:
        """Every named graph whose IRI starts with ``prefix``."""

    def query(self, sparql: str, *args: Any, **kwargs: Any) -> object:
        """Runs a read-only SPARQL query; the keyword arguments are the engine's own (pyoxigraph's for the
        embedded store, ``union``/``default_graphs``/``named_graphs``/``timeout`` for a remote engine)."""

    def dump_nquads(self) -> Iterator[bytes]:
        """The whole dataset as N-Quads, in chunks."""

    def load_nquads(self, chunks: Iterable[bytes]) -> None:
        """Loads N-Quads into an empty store (restore)."""

    def is_empty(self) -> bool: ...

    def close(self) -> None: ...


def group_by_graph(quads: Iterable[Quad]) -> Mapping[NamedNode, list[Triple]]:
    out: dict[NamedNode, list[Triple]] = {}
    for q in quads:
        out.setdefault(q.graph_name, []).append(q.triple)  # type: ignore[arg-type]  # only named graphs are stored
    return out
