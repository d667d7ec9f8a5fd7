"""/sparql: the SPARQL 1.1 Protocol query endpoint (read-only), its service description and a query page.

Queries run in killable worker processes (``igsn_graph.sparql_workers``) with a time limit, a per-client limit
and a bounded queue; results are written by the engine and stream when they are large. CORS is open (GET,
POST, preflight OPTIONS), so a query editor on another origin can use the endpoint. HEAD answers as GET does,
without the body; ``/sparql/`` redirects to ``/sparql``; any other method is a 405 naming the allowed ones.

``FastPath`` answers queries without credentials outside the framework's routing and middleware (most of a
point query's time in the server went there); the routes answer everything else, with the same handlers.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, serialize
from starlette.types import ASGIApp, Receive, Scope, Send

from igsn_graph import conneg, pages, sparql_examples
from igsn_graph.errors import IgsnGraphError, LoginThrottled, NotAuthenticated, StorageFailure
from igsn_graph.pages import E  # lxml.html.builder with XML-safe values
from igsn_graph.settings import Settings
from igsn_graph.sparql import (
    FORMAT_IRIS,
    GRAPH_TYPES,
    RESULT_TYPES,
    UPDATE_REFUSED,
    EndpointBusy,
    QuerySyntaxError,
    QueryTimeout,
    ServiceRefused,
    TooManyQueries,
    UpdateRefused,
    check_query,
    dataset,
    is_update,
    media_types,
)
from igsn_graph.sparql_snapshots import DataVersion, Snapshots
from igsn_graph.sparql_workers import Answer, FixedSource, PoolLimits, QueryPool, Source
from igsn_graph.vocab import PREFIXES

from ..auth import authenticate
from ..auth.basic import REALM, client_address
from ..bodies import content_type
from ..deps import sparql_pool
from ..limits import BodyRefused, timed_receive
from ..negotiation import finish, redirect
from ..security import COMMON

router = APIRouter(tags=["sparql"])

SD = "http://www.w3.org/ns/sparql-service-description#"
#: the methods a query editor on another origin may use (CORS preflight)
METHODS = "GET, HEAD, POST"
#: every method /sparql answers (Allow): a CORS preflight (OPTIONS with Origin and Access-Control-Request-Method)
#: is answered as Starlette's CORSMiddleware does, any other OPTIONS with Allow (RFC 9110 §9.3.7)
ALLOW = METHODS + ", OPTIONS"
#: CORS: any origin may query (the data is public; credentials are never needed to read)
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "Retry-After, Vary"}
PREFLIGHT = {
    **CORS,
    "Access-Control-Allow-Methods": METHODS,
    "Access-Control-Allow-Headers": "Accept, Content-Type, Authorization",
    "Access-Control-Max-Age": "86400",
}

#: the page's example queries: data in mappings/sparql-examples (the README shows the same)
EXAMPLES = list(sparql_examples.examples())


def _source(request: Request) -> Source:
    """What the query workers read: checkpoints of the embedded store, the store folder itself when nothing
    writes it (read-only mode), or the remote engine."""
    registry = request.app.state.registry
    settings = registry.settings
    if settings.store not in ("", "embedded"):
        return FixedSource({"remote": asdict(registry.store.endpoints)})
    if registry.read_only:
        return FixedSource({"path": str(settings.graph_dir)})
    return Snapshots(
        registry.store.raw,
        settings.data_dir / "sparql-snapshots",
        registry.db.data_version if settings.shared_database else DataVersion(settings.database_path),
        registry.writing,
    )


def _pool(request: Request) -> QueryPool:
    # kept as ``sparql_executor``: the app's lifespan stops it at shutdown as it would an executor
    pool = sparql_pool(request)
    if pool is None or pool.closed:  # (closed: a lifespan ended, and the app is started again)
        settings = request.app.state.registry.settings
        limits = PoolLimits(
            workers=max(1, settings.sparql_workers),
            per_client=max(1, settings.sparql_per_client),
            queue=max(0, settings.sparql_queue),
            queue_wait_s=settings.sparql_queue_wait_s,
            timeout_s=settings.sparql_timeout_s,
            nice=settings.sparql_worker_nice,
        )
        pool = request.app.state.sparql_executor = QueryPool(limits, _source(request))
    return pool


def _params(request: Request) -> dict[str, list[str]]:
    """The URL's query arguments (the query string as ``request.url.query`` has it, without building the URL)."""
    return parse_qs(request.scope["query_string"].decode("latin-1"), keep_blank_values=True)


#: base IRIs by what they are made of (a few: one per host name the server is reached by)
_BASES: dict[tuple[object, ...], str] = {}


def _base_iri(request: Request) -> str:
    """The endpoint's URL, the base of a query's relative IRIs: ``request.base_url``, built once per host name
    rather than per query."""
    scope = request.scope
    key = (
        scope.get("scheme"),
        repr(scope.get("server")),  # a list under some servers
        scope.get("root_path"),
        scope.get("app_root_path"),
        request.headers.get("host"),
    )
    base = _BASES.get(key)
    if base is None:
        base = f"{request.base_url}sparql"
        if len(_BASES) < 64:  # Host is the client's word: not kept beyond a few
            _BASES[key] = base
    return base


def _first(values: list[str] | None) -> str | None:
    """The first value of a repeated form or query parameter, None when it is absent."""
    return values[0] if values else None


def _text(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        message + "\n", status_code=status, media_type="text/plain; charset=utf-8", headers={**CORS, **(headers or {})}
    )


#: what the service description is offered as; HTML (the query page) only when a client prefers it. The
#: description must be RDF (SPARQL 1.1 Service Description §2), so a client asking for plain JSON or XML gets
#: the RDF syntax that is JSON or XML (labelled as what it is), not a 406
DESCRIPTION_TYPES = [
    "text/turtle",
    "application/n-triples",
    "application/rdf+xml",
    "application/ld+json",
    "text/html",
    "application/json",
    "application/xml",
]
DESCRIPTION_AS = {"application/json": "application/ld+json", "application/xml": "application/rdf+xml"}


def _service_description(request: Request, chosen: str) -> Response:
    endpoint = NamedNode(str(request.url_for("sparql_get")))
    svc = NamedNode(str(request.url_for("sparql_get")) + "#service")

    def sd(name: str) -> NamedNode:
        return NamedNode(SD + name)

    triples = [
        Triple(svc, NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), sd("Service")),
        Triple(svc, sd("endpoint"), endpoint),
        Triple(svc, sd("supportedLanguage"), sd("SPARQL11Query")),
        Triple(svc, sd("feature"), sd("UnionDefaultGraph")),
        Triple(
            svc,
            NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"),
            Literal(
                "Read-only. The dataset is the public graph: one named graph per sample "
                "(<IRI-BASE>graph/NAME: description and registry facts), one per sample's history "
                "(<IRI-BASE>provenance/NAME: PROV activities) and <IRI-BASE>accounts (agents, clients, namespaces). "
                "A request naming graphs (default-graph-uri, named-graph-uri) gets exactly those (no default-graph-uri: "
                "an empty default graph); otherwise FROM / FROM NAMED in the query decide; otherwise the default "
                "graph is the union of all named graphs."
            ),
        ),
    ]
    # the results this endpoint writes, as the W3C's format IRIs; no sd:inputFormat: it reads no RDF (no LOAD)
    for media_type in FORMAT_IRIS:
        triples.append(Triple(svc, sd("resultFormat"), NamedNode(FORMAT_IRIS[media_type])))
    body = serialize(triples, format=RdfFormat.from_media_type(chosen) or RdfFormat.TURTLE) or b""
    return Response(
        body,
        media_type=chosen + ("; charset=utf-8" if chosen.startswith("text/") else ""),
        headers={**CORS, "Vary": "Accept"},
    )


#: the query page's own files and the vendored editor (bench/refresh_yasgui.sh): name → (file, media type).
#: Served by the app (no CDN at run time); a fixed list, so no request names a path on disk.
STATIC = Path(__file__).resolve().parent.parent / "static"
ASSETS = {
    "yasgui.min.js": (STATIC / "yasgui" / "yasgui.min.js", "text/javascript; charset=utf-8"),
    "yasgui.min.css": (STATIC / "yasgui" / "yasgui.min.css", "text/css; charset=utf-8"),
    "LICENSE.yasgui": (STATIC / "yasgui" / "LICENSE", "text/plain; charset=utf-8"),
    "THIRD-PARTY-NOTICES.yasgui": (STATIC / "yasgui" / "THIRD-PARTY-NOTICES", "text/plain; charset=utf-8"),
    "sparql-page.js": (STATIC / "sparql-page.js", "text/javascript; charset=utf-8"),
    "sparql-page.css": (STATIC / "sparql-page.css", "text/css; charset=utf-8"),
}
#: the vendored editor's version (shown on the page)
ASSETS_VERSION = (STATIC / "yasgui" / "VERSION").read_text(encoding="ascii").strip()
#: in the assets' URLs: a changed file is a new URL, so the day-long cache of the old one does no harm
_DIGESTS = {name: hashlib.sha256(path.read_bytes()).hexdigest()[:16] for name, (path, _) in ASSETS.items()}


def _asset_url(request: Request, name: str) -> str:
    return f"{request.url_for('sparql_asset', name=name).path}?v={_DIGESTS[name]}"


def _query_page(request: Request) -> Response:
    """The editor (YASGUI, vendored) with the examples as tabs, in the site's shell (``pages.page``: the header
    with home and search); scripts and styles are files of this service, so the page's Content-Security-Policy
    stays 'self'. Without JavaScript, the <noscript> form runs a query."""
    action = str(request.url_for("sparql_get"))
    iri_base = request.app.state.registry.iris.base  # samples, agents, clients…: this service has their pages
    examples = [
        E.LI(E.A(title, href="?" + urlencode({"query": query}), **{"data-query": query})) for title, query in EXAMPLES
    ]
    # the shared shell (header with home and search, the site's stylesheet), then the editor's own styles
    head = [
        E.LINK(rel="stylesheet", href=_asset_url(request, "yasgui.min.css")),
        E.LINK(rel="stylesheet", href=_asset_url(request, "sparql-page.css")),
    ]
    body = [
        E.H1("SPARQL query"),
        E.P(
            "Read-only SPARQL 1.1 over the public graph. The default graph is the union of all sample graphs. ",
            "Results download as CSV (table) or as the endpoint's JSON (response).",
        ),
        E.DIV(
            id="yasgui",
            # the prefixes the results are shown with (besides those the query declares)
            **{"data-endpoint": action, "data-iri-base": iri_base, "data-prefixes": json.dumps(PREFIXES)},
        ),
        E.NOSCRIPT(
            E.FORM(
                E.LABEL("Query", **{"for": "query"}),
                E.TEXTAREA(EXAMPLES[0][1] if EXAMPLES else "", name="query", rows="14", id="query"),
                E.BR(),
                E.LABEL(
                    "Results as ",
                    E.SELECT(
                        *[E.OPTION(n, value=n) for n in ("json", "xml", "csv", "tsv", "turtle", "jsonld")],
                        name="format",
                    ),
                ),
                " ",
                E.BUTTON("Run", type="submit"),
                action=action,
                method="get",
            )
        ),
        E.H2("Examples"),
        E.UL(*examples, **{"class": "examples"}),
        E.P(
            "Editor: ",
            E.A("YASGUI", href="https://github.com/rdfjs/Yasgui"),
            f" {ASSETS_VERSION} (",
            E.A("MIT licence", href=_asset_url(request, "LICENSE.yasgui")),
            "; ",
            E.A("third-party notices", href=_asset_url(request, "THIRD-PARTY-NOTICES.yasgui")),
            " of what it bundles).",
        ),
        E.SCRIPT(src=_asset_url(request, "yasgui.min.js")),
        E.SCRIPT(src=_asset_url(request, "sparql-page.js")),
    ]
    page = pages.page("igsn-graph SPARQL", None, body, head, kind="sparql")
    return Response(page, media_type="text/html; charset=utf-8")


@router.api_route("/sparql/assets/{name}", methods=["GET", "HEAD"], name="sparql_asset", include_in_schema=False)
async def sparql_asset(name: str) -> Response:
    """A file of the query page (see ``ASSETS``); cached for a day (its URL changes with the editor's version)."""
    found = ASSETS.get(name)
    if found is None:
        return _text(404, f"no asset {name!r}")
    path, media_type = found
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})


async def _client_key(request: Request) -> str:
    """Who the per-client limit counts: the account when credentials are given (checked as on every public
    read: wrong ones are a 401), otherwise the address. Never the credentials themselves: it is logged."""
    settings = request.app.state.registry.settings
    if request.headers.get("authorization"):
        who = await authenticate(request)
        return f"account {who.symbol}"
    return f"address {client_address(request, settings.trusted_proxy_hops)}"


def _media_type(chosen: str) -> str:
    return chosen + ("; charset=utf-8" if chosen.startswith("text/") or "json" in chosen else "")


async def _run(request: Request, query: str, defaults: list[str], named: list[str], fmt: str | None) -> Answer:
    """The answer, or a domain error. A query that is still waiting after a moment is watched: if its client
    goes away, the query is stopped rather than left to run to its limit."""
    check_query(query)
    # none acceptable for either kind: still evaluated, as a malformed query is a 400 before it is a 406
    select_type, graph_type = media_types(request.headers.get("accept"), fmt)
    # the base IRI of relative IRIs is the endpoint's URL (url_for would search the routes on every query)
    work = {
        "query": query,
        **dataset(query, defaults, named),
        "base": _base_iri(request),
        "select": select_type,
        "graph": graph_type,
    }
    client = await _client_key(request)
    task = asyncio.ensure_future(_pool(request).run(client, work))
    watch = asyncio.get_running_loop().call_later(0.5, _watch_client, request, task)
    try:
        return await task
    except asyncio.CancelledError:
        if task.cancelled() and not _cancelling():
            raise _ClientGone() from None  # stopped by the watcher, not by the server
        raise
    finally:
        watch.cancel()


def _cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _watch_client(request: Request, task: asyncio.Future[Answer]) -> None:
    async def watch() -> None:
        while not task.done():
            message = await request.receive()  # the body was read: the next message is the disconnect
            if message["type"] == "http.disconnect":
                task.cancel()
                return

    watcher = asyncio.ensure_future(watch())
    task.add_done_callback(lambda _: watcher.cancel())


class _ClientGone(Exception):
    """The client disconnected while its query ran; the query was stopped."""


class _Stream(StreamingResponse):
    """A streamed answer; a HEAD (or a response never sent) gives its worker back."""

    def __init__(self, answer: Answer, media_type: str) -> None:
        super().__init__(answer.chunks(), media_type=media_type, headers={**CORS, "Vary": "Accept"})
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.answer.aclose()


async def _answer(request: Request, query: str, defaults: list[str], named: list[str], fmt: str | None) -> Response:
    try:
        answer = await _run(request, query, defaults, named, fmt)
    except _ClientGone:
        return _text(499, "the client closed the connection; the query was stopped")  # nginx's code, for logs
    except QuerySyntaxError as exc:
        if is_update(query):  # an update sent as a query fails to parse as one: say why it is refused
            return _text(403, UPDATE_REFUSED)
        return _text(400, f"malformed query: {exc.message}")
    except (UpdateRefused, ServiceRefused) as exc:
        return _text(403, exc.message)
    except NotAuthenticated as exc:
        return _text(401, exc.message, {"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'})
    except (TooManyQueries, LoginThrottled) as exc:
        return _text(429, exc.message, {"Retry-After": str(exc.data.get("retry_after", 1))})
    except EndpointBusy as exc:
        return _text(503, exc.message, {"Retry-After": str(exc.data.get("retry_after", 5))})
    except QueryTimeout as exc:
        return _text(503, exc.message, {"Retry-After": "60"})
    except StorageFailure as exc:  # the engine is unreachable: not the client's fault
        return _text(503, exc.message, {"Retry-After": "10"})
    except IgsnGraphError as exc:
        return _text(400, exc.message)
    if answer.media_type is None:
        offered = GRAPH_TYPES if answer.kind == "graph" else RESULT_TYPES
        return _text(
            406, "none of the accepted media types can represent this result; available: " + ", ".join(offered)
        )
    if answer.streaming:
        return _Stream(answer, _media_type(answer.media_type))
    return Response(answer.body, media_type=_media_type(answer.media_type), headers={**CORS, "Vary": "Accept"})


@router.head("/sparql", include_in_schema=False)
async def sparql_head(request: Request) -> Response:
    response = await sparql_get(request)
    if isinstance(response, _Stream):
        await response.answer.aclose()  # no body is sent: stop the query
    return finish(request, response)


@router.options("/sparql", include_in_schema=False)
async def sparql_options(request: Request) -> Response:
    """CORS preflight: the methods and headers a query editor on another origin may use; without a
    preflight's headers, the methods (Allow)."""
    if "origin" in request.headers and "access-control-request-method" in request.headers:
        return Response(status_code=204, headers=PREFLIGHT)
    return Response(status_code=204, headers={"Allow": ALLOW, **CORS})


@router.get(
    "/sparql",
    name="sparql_get",
    summary="SPARQL 1.1 query (GET)",
    responses={200: {"description": "results, a service description, or the query page"}},
)
async def sparql_get(request: Request) -> Response:
    params = _params(request)
    if "update" in params:
        return _text(403, UPDATE_REFUSED)
    queries = params.get("query", [])
    if len(queries) > 1:
        return _text(400, "more than one query parameter")
    if not queries:
        chosen = conneg.choose(request.headers.get("accept"), DESCRIPTION_TYPES) or "text/turtle"
        if chosen == "text/html":
            page = _query_page(request)
            page.headers["Vary"] = "Accept"
            return page
        return _service_description(request, DESCRIPTION_AS.get(chosen, chosen))
    fmt = _first(params.get("format"))
    return await _answer(
        request, queries[0], params.get("default-graph-uri", []), params.get("named-graph-uri", []), fmt
    )


@router.post("/sparql", summary="SPARQL 1.1 query (POST form-encoded or application/sparql-query)")
async def sparql_post(request: Request) -> Response:
    given = content_type(request)
    params = _params(request)
    try:
        body = await request.body()
    except BodyRefused as exc:  # too large, or it stopped arriving: the endpoint's own form, readable cross-origin
        return _text(exc.status_code, exc.detail, dict(exc.headers or {}))
    if given.media_type == "application/sparql-update":
        return _text(403, UPDATE_REFUSED)
    if given.media_type == "application/x-www-form-urlencoded":
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
        fmt = _first(form.get("format") or params.get("format"))
        return await _answer(request, queries[0], defaults, named, fmt)
    if given.media_type == "application/sparql-query":
        if not given.utf8:
            return _text(415, "application/sparql-query bodies must be UTF-8")
        try:
            query = body.decode("utf-8")
        except UnicodeDecodeError:
            return _text(400, "the query is not UTF-8")
        if "query" in params:
            return _text(400, "a query in both the URL and the body")
        return await _answer(
            request,
            query,
            params.get("default-graph-uri", []),
            params.get("named-graph-uri", []),
            _first(params.get("format")),
        )
    return _text(415, "POST a query as application/x-www-form-urlencoded or application/sparql-query")


# every other method: a 405 naming all the allowed ones (the framework's names those of one route only). A
# Response is an ASGI app, and a route to an ASGI app (not a function) matches every method.
_NOT_ALLOWED = JSONResponse({"detail": "Method Not Allowed"}, 405, headers={"Allow": ALLOW, **CORS})
# a Response is an ASGI app; Starlette types a route endpoint as a function
router.add_route("/sparql", _NOT_ALLOWED, include_in_schema=False)  # type: ignore[arg-type]


@router.api_route(
    "/sparql/", methods=["GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"], include_in_schema=False
)
async def sparql_slash(request: Request) -> Response:
    """``/sparql/`` is ``/sparql``: 301 for reads, 308 (method and body kept) for the rest."""
    response = redirect(request, "/sparql", 301 if request.method in ("GET", "HEAD") else 308)
    response.headers.update(CORS)
    return response


#: the start of a query argument in a query string (a GET that runs a query, not the page or the description)
_QUERY_ARG = (b"query=", b"&query=")


class _BodyStopped(Exception):
    """The body of a POST stopped arriving (BodyGuard's read timeout, applied by ``FastPath``)."""


class FastPath:
    """ASGI middleware outside the stack (inside the resolver's ``FastPath``): a SPARQL query without
    credentials — GET ``/sparql?query=…``, or POST ``/sparql`` with a declared ``Content-Length`` within the
    body limit — is answered by this module's own handlers without the router, the middleware stack or
    FastAPI's request handling.

    The answers are the routes' (same handler functions); the headers ``SecurityHeaders`` would add
    (``api.security.COMMON``; answers here are never HTML and never to credentials) are added here; the body
    is held to ``BodyGuard``'s limit (declared length) and read timeout (then 408, as ``BodyGuard``'s answer on
    this path). Everything else — HEAD, OPTIONS, credentials, the page, chunked or over-long bodies — goes on
    to the full stack unchanged.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        #: requests answered here (the rest went to the full stack)
        self.answered = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/sparql" or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        declared: int | None = None
        for key, value in scope["headers"]:
            key = key.lower()
            if key == b"authorization":
                await self.app(scope, receive, send)  # accounts: the full stack (401s, no-store)
                return
            if key == b"content-length":
                declared = int(value) if value.strip().isdigit() else -1
        if method == "GET":
            qs = scope["query_string"]
            if not (qs.startswith(_QUERY_ARG[0]) or _QUERY_ARG[1] in qs):
                await self.app(scope, receive, send)
                return
            handler = sparql_get
        elif method == "POST" and declared is not None and 0 <= declared <= _settings(scope).max_body_bytes:
            handler = sparql_post
            receive = timed_receive(receive, _settings(scope).body_timeout_s, _BodyStopped)
        else:
            await self.app(scope, receive, send)
            return
        try:
            response = await handler(Request(scope, receive))
        except _BodyStopped as exc:
            response = _text(408, str(exc), {"Connection": "close"})
        present = {k for k, _ in response.raw_headers}
        response.raw_headers.extend((k, v) for k, v in COMMON if k not in present)
        self.answered += 1
        await response(scope, receive, send)


def _settings(scope: Scope) -> Settings:
    settings: Settings = scope["app"].state.settings
    return settings
