"""The graph store protocol over HTTP: SPARQL 1.1 Protocol (query, update) and Graph Store Protocol.

For deployments that outgrow one process: the graph lives in an external engine (tested with
``oxigraph serve`` and Virtuoso 7.2). One change is one SPARQL Update request, which the engine applies as one
transaction. How an engine departs from the protocols is data, ``PROFILES``; its paths can be set apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Sequence

import httpx
from pyoxigraph import (
    NamedNode,
    Quad,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    Triple,
    parse,
    parse_query_results,
    serialize,
)

from ..errors import StorageFailure
from ..sparql import QueryTimeout, query_form
from .base import GraphWrite, group_by_graph, update_request
from .engines import (
    PROFILES,
    EngineProfile,
    as_written,
    ask_answer,
    stored_write,
    timed_out,
    written_datatypes_in_json,
)

__all__ = ["RemoteEndpoints", "RemoteStore"]

JSON = QueryResultsFormat.JSON


@dataclass(frozen=True)
class RemoteEndpoints:
    """Where an engine answers and which engine it is (a key of ``PROFILES``); paths default to the engine's."""

    base: str
    query_path: str = ""
    update_path: str = ""
    gsp_path: str = ""
    #: the request parameter that makes the default graph the union of all graphs ("": the engine's, None: none)
    union_param: str | None = ""
    #: HTTP timeout of writes and internal reads
    timeout_s: float = 60.0
    #: HTTP timeout of queries from the SPARQL endpoint (its time limit: the client has its answer by then)
    query_timeout_s: float = 30.0

    #: which engine (a key of ``PROFILES``)
    engine: str = "oxigraph"

    def __post_init__(self) -> None:
        if self.engine not in PROFILES:
            raise ValueError(f"unknown SPARQL engine {self.engine!r} (known: {', '.join(sorted(PROFILES))})")
        profile = PROFILES[self.engine]
        for name in ("query_path", "update_path", "gsp_path", "union_param"):
            if getattr(self, name) == "":
                object.__setattr__(self, name, getattr(profile, name))

    @property
    def profile(self) -> EngineProfile:
        return PROFILES[self.engine]

    def url(self, path: str) -> str:
        return self.base.rstrip("/") + path


#: named graphs read by one query when a dump goes graph by graph; quads written by one update when a load does
DUMP_GRAPHS = 500
LOAD_QUADS = 5000


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

    def _post(self, path: str, *, query: bool = False, **kwargs: Any) -> httpx.Response:
        """``query``: the answer to a query, which may be the engine's report of its own time limit."""
        try:
            response = self._http.post(self.endpoints.url(path), **kwargs)
        except httpx.HTTPError as exc:
            raise _fail(exc) from None
        if query and timed_out(response.status_code, response.headers, response.content, self.endpoints.profile):
            raise QueryTimeout("the SPARQL engine stopped the query at its own time limit")
        if response.status_code >= 500:
            raise StorageFailure(
                f"the remote SPARQL engine failed ({response.status_code}): {response.text[:200]}", applied=None
            )
        cut = self.endpoints.profile.truncated_header
        if cut and cut in response.headers:
            raise StorageFailure(
                f"the remote SPARQL engine cut a result at its row limit ({cut}: {response.headers[cut]}); "
                "raise the limit (Virtuoso: [SPARQL] ResultSetMaxRows)"
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
        profile = self.endpoints.profile
        request = update_request(stored_write(write, profile), drop_template=profile.drop_template)
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
        triples = [q.triple for q in parse(input=response.content, format=RdfFormat.N_TRIPLES)]
        return as_written(triples, self.endpoints.profile)

    def graphs(self, graphs: Sequence[NamedNode]) -> dict[NamedNode, list[Triple]]:
        """One SPARQL query for all of them, not one Graph Store request per graph."""
        out: dict[NamedNode, list[Triple]] = {g: [] for g in graphs}
        if not graphs:
            return out
        names = " ".join(str(g) for g in graphs)  # pyoxigraph's N-Triples form: nothing spliced in raw
        for solution in self.query(f"SELECT ?g ?s ?p ?o WHERE {{ VALUES ?g {{ {names} }} GRAPH ?g {{ ?s ?p ?o }} }}"):
            out[solution["g"]].append(Triple(solution["s"], solution["p"], solution["o"]))
        return {g: as_written(triples, self.endpoints.profile) for g, triples in out.items()}

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
        pattern = self.endpoints.profile.graph_pattern
        # (no filter for every graph: Virtuoso 7.2 finds no string that starts with "")
        where = f'FILTER(STRSTARTS(STR(?g), "{escaped}"))' if prefix else ""
        query = f"SELECT DISTINCT ?g WHERE {{ {pattern} {where} }}"
        for solution in self.query(query):
            g = solution["g"]
            if isinstance(g, NamedNode):
                yield g

    def _data_graphs(self) -> list[NamedNode]:
        """Every named graph but the engine's own."""
        own = self.endpoints.profile.own_graphs
        return [g for g in self.graphs_with_prefix("") if not g.value.startswith(own)]

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
        profile = self.endpoints.profile
        params: list[tuple[str, str]] = [("default-graph-uri", g) for g in default_graphs]
        named = [("named-graph-uri", g) for g in named_graphs]
        if params and not named and profile.no_named_graph:
            named = [("named-graph-uri", profile.no_named_graph)]
        params += named
        if union and not params and self.endpoints.union_param:
            params.append((self.endpoints.union_param, "true"))
        if base_iri and not sparql.lstrip().upper().startswith("BASE"):
            sparql = f"BASE <{base_iri}>\n{sparql}"
        form = query_form(sparql)
        # one media type asked for, the one of the query's form: some engines take the first listed, not the best
        accept = "application/n-triples" if form in ("CONSTRUCT", "DESCRIBE") else "application/sparql-results+json"
        headers = {"Accept": accept}
        if profile.query_as_form:
            body: dict[str, Any] = {"data": {"query": sparql}}
        else:
            body = {"content": sparql.encode("utf-8")}
            headers["Content-Type"] = "application/sparql-query"
        response = self._post(
            self.endpoints.query_path,
            query=True,
            params=params,
            headers=headers,
            **body,
            **({"timeout": timeout} if timeout else {}),
        )
        if response.status_code == 400:
            raise SyntaxError(response.text.strip())
        if response.status_code >= 300:
            raise StorageFailure(f"the remote SPARQL engine refused a query ({response.status_code})")
        kind = response.headers.get("content-type", "").split(";")[0]
        if kind == "application/n-triples":
            return as_written([q.triple for q in parse(input=response.content, format=RdfFormat.N_TRIPLES)], profile)
        results = parse_query_results(written_datatypes_in_json(response.content, profile), format=JSON)
        if form == "ASK" and profile.ask_variable and isinstance(results, QuerySolutions):
            return ask_answer(results, profile.ask_variable)
        return results

    def dump_nquads(self) -> Iterator[bytes]:
        """The engine's whole dataset (its own graphs left out), streamed as it arrives; no read deadline."""
        if not self.endpoints.profile.gsp_dataset:
            yield from self._dump_by_graph()
            return
        timeout = httpx.Timeout(self.endpoints.timeout_s, read=None)
        url = self.endpoints.url(self.endpoints.gsp_path)
        try:
            with self._http.stream("GET", url, headers={"Accept": "application/n-quads"}, timeout=timeout) as response:
                if response.status_code >= 300:
                    raise StorageFailure(f"graph store dump failed ({response.status_code})")
                yield from response.iter_bytes()
        except httpx.HTTPError as exc:
            raise _fail(exc) from None

    def _dump_by_graph(self) -> Iterator[bytes]:
        """The dataset read graph by graph, ``DUMP_GRAPHS`` graphs a query (memory bounded by a batch)."""
        names = self._data_graphs()
        for i in range(0, len(names), DUMP_GRAPHS):
            found = self.graphs(names[i : i + DUMP_GRAPHS])
            quads = [Quad(t.subject, t.predicate, t.object, g) for g, triples in found.items() for t in triples]
            if quads:
                yield serialize(quads, format=RdfFormat.N_QUADS) or b""

    def load_nquads(self, chunks: Iterable[bytes]) -> None:
        gsp = self.endpoints.profile.gsp_dataset
        for chunk in chunks:
            if not chunk:
                continue
            if not gsp:  # SPARQL Updates of at most LOAD_QUADS quads, grouped by graph (into an empty store)
                part: dict[NamedNode, Sequence[Triple]] = {}
                size = 0
                for graph, triples in group_by_graph(parse(input=chunk, format=RdfFormat.N_QUADS)).items():
                    part[graph] = triples
                    size += len(triples)
                    if size >= LOAD_QUADS:
                        self.apply(GraphWrite(add=part))
                        part, size = {}, 0
                if part:
                    self.apply(GraphWrite(add=part))
                continue
            response = self._post(
                self.endpoints.gsp_path, content=chunk, headers={"Content-Type": "application/n-quads"}
            )
            if response.status_code >= 300:
                raise StorageFailure(f"graph store load failed ({response.status_code})")

    def is_empty(self) -> bool:
        own = self.endpoints.profile.own_graphs
        if own:  # its default graph is the union of the named ones, its own among them
            kept = " && ".join(f'!STRSTARTS(STR(?g), "{prefix}")' for prefix in own)  # (profile data, no quotes)
            result = self.query(f"ASK {{ GRAPH ?g {{ ?s ?p ?o }} FILTER({kept}) }}")
        else:
            result = self.query("ASK { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }")
        return not bool(result)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._http.close()
