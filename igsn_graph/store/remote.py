"""The graph store protocol over HTTP: SPARQL 1.1 Protocol (query, update) and Graph Store Protocol.

For deployments that outgrow one process: the graph lives in an external engine (tested with
``oxigraph serve``). One change is one SPARQL Update request, which the engine applies as one
transaction. Engine-specific paths and the union-default-graph switch are settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Sequence

import httpx
from pyoxigraph import NamedNode, QueryResultsFormat, RdfFormat, Triple, parse, parse_query_results, serialize

from ..errors import StorageFailure
from .base import GraphWrite, update_request

__all__ = ["RemoteEndpoints", "RemoteStore"]


@dataclass(frozen=True)
class RemoteEndpoints:
    """Where an engine answers. Defaults are Oxigraph's (`oxigraph serve`)."""

    base: str
    query_path: str = "/query"
    update_path: str = "/update"
    gsp_path: str = "/store"
    #: the request parameter that makes the default graph the union of all graphs (None: not offered)
    union_param: str | None = "union-default-graph"
    #: HTTP timeout of writes and internal reads
    timeout_s: float = 60.0
    #: HTTP timeout of queries from the SPARQL endpoint (its time limit: the client has its answer by then)
    query_timeout_s: float = 30.0

    def url(self, path: str) -> str:
        return self.base.rstrip("/") + path


def _fail(exc: Exception) -> StorageFailure:
    # a request that never reached the engine applied nothing; any other transport failure may have
    applied = False if isinstance(exc, httpx.ConnectError) else None
    return StorageFailure(f"the remote SPARQL engine is unavailable: {exc}", applied=applied)


class _Queryable:
    """A pyoxigraph-like ``query()`` over the engine, so the SPARQL endpoint serves either store."""

    def __init__(self, store: "RemoteStore") -> None:
        self._store = store

    def query(
        self,
        query: str,
        *,
        use_default_graph_as_union: bool = False,
        default_graph: Any = None,
        named_graphs: Any = None,
        base_iri: str | None = None,
    ) -> Any:
        return self._store.query(
            query,
            union=use_default_graph_as_union,
            default_graphs=[g.value for g in default_graph or []],
            named_graphs=[g.value for g in named_graphs or []],
            base_iri=base_iri,
            timeout=self._store.endpoints.query_timeout_s,
        )


class RemoteStore:
    """GraphStore over SPARQL 1.1 Protocol and the Graph Store Protocol."""

    def __init__(self, endpoints: RemoteEndpoints) -> None:
        self.endpoints = endpoints
        self._http = httpx.Client(timeout=endpoints.timeout_s)

    @property
    def raw(self) -> _Queryable:
        return _Queryable(self)

    def _post(self, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.post(self.endpoints.url(path), **kwargs)
        except httpx.HTTPError as exc:
            raise _fail(exc) from None
        if response.status_code >= 500:
            raise StorageFailure(
                f"the remote SPARQL engine failed ({response.status_code}): {response.text[:200]}", applied=None
            )
        return response

    def _get(self, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.get(self.endpoints.url(path), **kwargs)
        except httpx.HTTPError as exc:
            raise _fail(exc) from None
        if response.status_code >= 500:
            raise StorageFailure(f"the remote SPARQL engine failed ({response.status_code}): {response.text[:200]}")
        return response

    def apply(self, write: GraphWrite) -> None:
        request = update_request(write)
        if not request:
            return
        response = self._post(
            self.endpoints.update_path,
            content=request.encode("utf-8"),
            headers={"Content-Type": "application/sparql-update"},
        )
        if response.status_code >= 300:
            raise StorageFailure(
                f"the remote SPARQL engine refused an update ({response.status_code}): {response.text[:200]}",
                applied=False,
            )

    def graph(self, graph: NamedNode) -> list[Triple]:
        response = self._get(
            self.endpoints.gsp_path, params={"graph": graph.value}, headers={"Accept": "application/n-triples"}
        )
        if response.status_code == 404:
            return []
        if response.status_code >= 300:
            raise StorageFailure(f"graph store GET failed ({response.status_code})")
        return [q.triple for q in parse(input=response.content, format=RdfFormat.N_TRIPLES)]

    def graphs(self, graphs: Sequence[NamedNode]) -> dict[NamedNode, list[Triple]]:
        """One SPARQL query for all of them, not one Graph Store request per graph."""
        out: dict[NamedNode, list[Triple]] = {g: [] for g in graphs}
        if not graphs:
            return out
        names = " ".join(str(g) for g in graphs)  # pyoxigraph's N-Triples form: nothing spliced in raw
        for solution in self.query(f"SELECT ?g ?s ?p ?o WHERE {{ VALUES ?g {{ {names} }} GRAPH ?g {{ ?s ?p ?o }} }}"):
            out[solution["g"]].append(Triple(solution["s"], solution["p"], solution["o"]))
        return out

    def has_graph(self, graph: NamedNode) -> bool:
        return bool(self.graph(graph))

    def serialize_graph(
        self, graph: NamedNode, format: RdfFormat, prefixes: dict[str, str] | None = None
    ) -> bytes | None:
        """One named graph in a graph syntax (read as N-Triples, written here); None when it is empty."""
        triples = self.graph(graph)
        return (serialize(triples, format=format, prefixes=prefixes) or b"") if triples else None

    def graphs_with_prefix(self, prefix: str) -> Iterator[NamedNode]:
        escaped = prefix.replace("\\", "\\\\").replace('"', '\\"')
        query = f'SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ }} FILTER(STRSTARTS(STR(?g), "{escaped}")) }}'
        for solution in self.query(query):
            g = solution["g"]
            if isinstance(g, NamedNode):
                yield g

    def query(
        self,
        sparql: str,
        *,
        union: bool = False,
        default_graphs: Iterable[str] = (),
        named_graphs: Iterable[str] = (),
        base_iri: str | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Runs a query on the engine; results as pyoxigraph objects (solutions, boolean or triples)."""
        params: list[tuple[str, str]] = [("default-graph-uri", g) for g in default_graphs]
        params += [("named-graph-uri", g) for g in named_graphs]
        if union and not params and self.endpoints.union_param:
            params.append((self.endpoints.union_param, "true"))
        if base_iri and not sparql.lstrip().upper().startswith("BASE"):
            sparql = f"BASE <{base_iri}>\n{sparql}"
        response = self._post(
            self.endpoints.query_path,
            params=params,
            content=sparql.encode("utf-8"),
            headers={
                "Content-Type": "application/sparql-query",
                "Accept": "application/sparql-results+json, application/n-triples;q=0.9",
            },
            **({"timeout": timeout} if timeout else {}),
        )
        if response.status_code == 400:
            raise SyntaxError(response.text.strip())
        if response.status_code >= 300:
            raise StorageFailure(f"the remote SPARQL engine refused a query ({response.status_code})")
        kind = response.headers.get("content-type", "").split(";")[0]
        if kind == "application/n-triples":
            from pyoxigraph import QueryTriples  # noqa: F401 - the same shape the embedded store returns

            return [q.triple for q in parse(input=response.content, format=RdfFormat.N_TRIPLES)]
        return parse_query_results(response.content, format=QueryResultsFormat.JSON)

    def dump_nquads(self) -> Iterator[bytes]:
        """The engine's whole dataset, streamed as it arrives (memory stays bounded); no read deadline."""
        timeout = httpx.Timeout(self.endpoints.timeout_s, read=None)
        url = self.endpoints.url(self.endpoints.gsp_path)
        try:
            with self._http.stream("GET", url, headers={"Accept": "application/n-quads"}, timeout=timeout) as response:
                if response.status_code >= 300:
                    raise StorageFailure(f"graph store dump failed ({response.status_code})")
                yield from response.iter_bytes()
        except httpx.HTTPError as exc:
            raise _fail(exc) from None

    def load_nquads(self, chunks: Iterable[bytes]) -> None:
        for chunk in chunks:
            if chunk:
                response = self._post(
                    self.endpoints.gsp_path, content=chunk, headers={"Content-Type": "application/n-quads"}
                )
                if response.status_code >= 300:
                    raise StorageFailure(f"graph store load failed ({response.status_code})")

    def is_empty(self) -> bool:
        result = self.query("ASK { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }")
        return not bool(result)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._http.close()
