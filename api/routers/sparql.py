"""/sparql: the SPARQL 1.1 Protocol query endpoint (read-only), its service description and a query page.

HEAD answers as GET does, without the body; any other method than GET, HEAD and POST is a 405 naming them.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from lxml.html import tostring as html_tostring
from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, serialize

from igsn_graph import conneg, sparql_examples
from igsn_graph.errors import IgsnGraphError, StorageFailure
from igsn_graph.pages import E  # lxml.html.builder with XML-safe values
from igsn_graph.sparql import (GRAPH_TYPES, RESULT_TYPES, UPDATE_REFUSED, Limits, QuerySyntaxError, QueryTimeout,
                               ResultTooLarge, ServiceRefused, UpdateRefused, run_query, serialize_result)

from ..negotiation import finish

router = APIRouter(tags=["sparql"])

#: short names for the `format` argument (browsers cannot set Accept)
FORMAT_NAMES = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
                "csv": "text/csv", "tsv": "text/tab-separated-values", "turtle": "text/turtle", "ttl": "text/turtle",
                "ntriples": "application/n-triples", "nt": "application/n-triples", "nquads": "application/n-quads",
                "trig": "application/trig", "rdfxml": "application/rdf+xml", "jsonld": "application/ld+json"}
SD = "http://www.w3.org/ns/sparql-service-description#"
#: worker threads for queries; a query past its limit may keep its thread until the engine returns
MAX_WORKERS = 4

#: the page's example queries: data in mappings/sparql-examples (the README shows the same)
EXAMPLES = list(sparql_examples.examples())


def _executor(request: Request) -> ThreadPoolExecutor:
    state = request.app.state
    if getattr(state, "sparql_executor", None) is None:
        state.sparql_executor = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="sparql")
    return state.sparql_executor  # type: ignore[no-any-return]


def _text(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(message + "\n", status_code=status, media_type="text/plain; charset=utf-8", headers=headers)


def _service_description(request: Request, accept: str | None) -> Response:
    endpoint = NamedNode(str(request.url_for("sparql_get")))
    svc = NamedNode(str(request.url_for("sparql_get")) + "#service")
    sd = lambda name: NamedNode(SD + name)  # noqa: E731
    triples = [
        Triple(svc, NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), sd("Service")),
        Triple(svc, sd("endpoint"), endpoint),
        Triple(svc, sd("supportedLanguage"), sd("SPARQL11Query")),
        Triple(svc, sd("feature"), sd("UnionDefaultGraph")),
        Triple(svc, NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"), Literal(
            "Read-only. The default graph is the union of all named graphs: one graph per sample "
            "(<IRI-BASE>graph/NAME: description and registry facts), one per sample's history "
            "(<IRI-BASE>provenance/NAME: PROV activities) and <IRI-BASE>accounts (agents, clients, namespaces).")),
    ]
    for media_type in RESULT_TYPES[:4] + list(GRAPH_TYPES)[:6]:
        triples.append(Triple(svc, sd("resultFormat"), Literal(media_type)))
    offered = ["text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json"]
    chosen = conneg.choose(accept, offered) or "text/turtle"
    body = serialize(triples, format=GRAPH_TYPES[chosen] if chosen in GRAPH_TYPES else RdfFormat.TURTLE) or b""
    return Response(body, media_type=chosen)


def _query_page(request: Request) -> Response:
    action = str(request.url_for("sparql_get"))
    examples = [E.LI(E.A(title, href="#", **{"data-query": query})) for title, query in EXAMPLES]
    page = E.HTML(
        E.HEAD(E.META(charset="utf-8"), E.TITLE("igsn-graph SPARQL"),
               E.STYLE("body{font-family:sans-serif;max-width:60em;margin:2em auto}textarea{width:100%;"
                       "font-family:monospace}")),
        E.BODY(
            E.H1("SPARQL query"),
            E.P("Read-only SPARQL 1.1 over the public graph. The default graph is the union of all sample graphs."),
            E.FORM(E.TEXTAREA(EXAMPLES[0][1], name="query", rows="14", id="query"), E.BR(),
                   E.LABEL("Results as ", E.SELECT(*[E.OPTION(n, value=n) for n in
                                                      ("json", "xml", "csv", "tsv", "turtle", "jsonld")],
                                                    name="format")),
                   " ", E.BUTTON("Run", type="submit"), action=action, method="get"),
            E.H2("Examples"), E.UL(*examples),
            E.SCRIPT("document.querySelectorAll('a[data-query]').forEach(function(a){a.onclick=function(e){"
                     "e.preventDefault();document.getElementById('query').value=a.dataset.query;};});"),
        ))
    return Response(html_tostring(page, doctype="<!DOCTYPE html>", encoding="utf-8"),
                    media_type="text/html; charset=utf-8")


async def _answer(request: Request, query: str, defaults: list[str], named: list[str], fmt: str | None) -> Response:
    registry = request.app.state.registry
    settings = registry.settings
    limits = Limits(timeout_s=settings.sparql_timeout_s, max_rows=settings.sparql_max_rows)
    accept = FORMAT_NAMES.get(fmt.lower(), fmt) if fmt else request.headers.get("accept")
    cancel = threading.Event()
    endpoint = str(request.url_for("sparql_get"))
    loop = asyncio.get_running_loop()

    def work() -> object:
        # errors come back as values without a traceback: its frames would keep the store open
        try:
            return run_query(registry.store.raw, query, default_graphs=defaults, named_graphs=named,
                             limits=limits, cancel=cancel, base_iri=endpoint)
        except IgsnGraphError as exc:
            return exc.with_traceback(None)

    future = loop.run_in_executor(_executor(request), work)
    try:
        result = await asyncio.wait_for(asyncio.shield(future), timeout=limits.timeout_s + 0.5)
        if isinstance(result, IgsnGraphError):
            raise result
    except asyncio.TimeoutError:
        cancel.set()
        return _text(503, f"the query ran longer than the limit of {limits.timeout_s:g} s", {"Retry-After": "60"})
    except QuerySyntaxError as exc:
        return _text(400, f"malformed query: {exc.message}")
    except (UpdateRefused, ServiceRefused) as exc:
        return _text(403, exc.message)
    except ResultTooLarge as exc:
        return _text(400, exc.message)
    except QueryTimeout as exc:
        return _text(503, exc.message, {"Retry-After": "60"})
    except StorageFailure as exc:  # the engine is unreachable: not the client's fault
        return _text(503, exc.message, {"Retry-After": "10"})
    except IgsnGraphError as exc:
        return _text(400, exc.message)
    offered = list(GRAPH_TYPES) if result.kind == "graph" else RESULT_TYPES
    chosen = conneg.choose(accept, offered)
    if chosen is None:
        return _text(406, "none of the accepted media types can represent this result; available: "
                     + ", ".join(offered))
    body = serialize_result(result, chosen)
    media_type = chosen + ("; charset=utf-8" if chosen.startswith("text/") or "json" in chosen else "")
    return Response(body, media_type=media_type, headers={"Vary": "Accept"})


@router.head("/sparql", include_in_schema=False)
async def sparql_head(request: Request) -> Response:
    return finish(request, await sparql_get(request))


@router.get("/sparql", name="sparql_get", summary="SPARQL 1.1 query (GET)",
            responses={200: {"description": "results, a service description, or the query page"}})
async def sparql_get(request: Request) -> Response:
    params = parse_qs(request.url.query, keep_blank_values=True)
    if "update" in params:
        return _text(403, UPDATE_REFUSED)
    queries = params.get("query", [])
    if len(queries) > 1:
        return _text(400, "more than one query parameter")
    if not queries:
        accept = request.headers.get("accept")
        if conneg.choose(accept, ["text/html", "text/turtle"]) == "text/html":
            return _query_page(request)
        return _service_description(request, accept)
    fmt = (params.get("format") or [None])[0]
    return await _answer(request, queries[0], params.get("default-graph-uri", []),
                         params.get("named-graph-uri", []), fmt)


@router.post("/sparql", summary="SPARQL 1.1 query (POST form-encoded or application/sparql-query)")
async def sparql_post(request: Request) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    params = parse_qs(request.url.query, keep_blank_values=True)
    body = await request.body()
    if content_type == "application/sparql-update":
        return _text(403, UPDATE_REFUSED)
    if content_type == "application/x-www-form-urlencoded":
        try:
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            return _text(400, "the form body is not UTF-8")
        if "update" in form:
            return _text(403, UPDATE_REFUSED)
        queries = form.get("query", [])
        if len(queries) != 1:
            return _text(400, "exactly one query parameter is required")
        defaults = form.get("default-graph-uri", []) + params.get("default-graph-uri", [])
        named = form.get("named-graph-uri", []) + params.get("named-graph-uri", [])
        fmt = (form.get("format") or params.get("format") or [None])[0]
        return await _answer(request, queries[0], defaults, named, fmt)
    if content_type == "application/sparql-query":
        charset = request.headers.get("content-type", "").lower()
        if "charset=" in charset and "utf-8" not in charset and "utf8" not in charset:
            return _text(415, "application/sparql-query bodies must be UTF-8")
        try:
            query = body.decode("utf-8")
        except UnicodeDecodeError:
            return _text(400, "the query is not UTF-8")
        if "query" in params:
            return _text(400, "a query in both the URL and the body")
        return await _answer(request, query, params.get("default-graph-uri", []), params.get("named-graph-uri", []),
                             (params.get("format") or [None])[0])
    return _text(415, "POST a query as application/x-www-form-urlencoded or application/sparql-query")


# every other method: a 405 naming all the allowed ones (the framework's names those of one route only). A
# Response is an ASGI app, and a route to an ASGI app (not a function) matches every method.
_NOT_ALLOWED = JSONResponse({"detail": "Method Not Allowed"}, 405, headers={"Allow": "GET, HEAD, POST"})
router.add_route("/sparql", _NOT_ALLOWED, include_in_schema=False)  # type: ignore[arg-type]
