"""/{IGSN}: resolves a sample in any path form to the representation negotiated by profile and media type.

Registered last, so every fixed route wins; reserved first segments are answered 404 here too, so a
method another router does not offer never turns ``/igsn`` into a sample lookup.

What a request costs: negotiation, ``Link``, ``ETag``/``Last-Modified`` and 304s come from the catalogue
row (one indexed SQLite read, on the event loop); a body rendered before for the same catalogue version
comes from the app's ``resolver.RenderCache`` (``app.state.render_cache``); only then is the sample's graph
read (once) and rendered, in a worker thread. ``Shortcut`` lets sample paths skip the router's walk past every
fixed route.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State
from starlette.types import ASGIApp, Receive, Scope, Send

from igsn_graph import family, relations, resolver
from igsn_graph.errors import Gone, InvalidIdentifier, LoginThrottled, NotAuthenticated, NotFound
from igsn_graph.identifiers import parse_igsn
from igsn_graph.index.catalogue import CatalogueRow
from igsn_graph.iris import RESERVED_PATHS
from igsn_graph.registry import lifecycle
from igsn_graph.registry.accounts import Principal
from igsn_graph.registry.reads import resolvable
from igsn_graph.registry.service import Registry
from igsn_graph.resolver.stored import StoredRepresentations

from ..auth import authenticate
from ..negotiation import VARY
from ..negotiation import finish as _finish
from ..negotiation import iri_path_name as _iri_path_name
from ..negotiation import not_acceptable as _not_acceptable
from ..negotiation import redirect as _moved
from ..negotiation import tag_matches as _tag_matches
from ..negotiation import text as _text
from ..negotiation import wants_html as _wants_html
from ..security import COMMON

__all__ = ["FastPath", "Shortcut", "fast_answer", "router"]

router = APIRouter(tags=["resolver"])


@lru_cache(maxsize=4096)
def _http_date(datestamp: str) -> str:
    stamp = datetime.strptime(datestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return format_datetime(stamp, usegmt=True)


def _not_modified(request: Request, tag: str, datestamp: str) -> bool:
    headers = request.headers
    return _fresh(headers.get("if-none-match"), headers.get("if-modified-since"), tag, datestamp)


def _fresh(if_none_match: str | None, if_modified_since: str | None, tag: str, datestamp: str) -> bool:
    """RFC 9110 §13.1: If-None-Match decides when present; If-Modified-Since only without it."""
    matched = _tag_matches(if_none_match, tag)
    if matched is not None:
        return matched
    if if_modified_since:
        try:
            when = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        modified = datetime.strptime(datestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        return when.tzinfo is not None and modified <= when
    return False


def _external(url: str, registry: Registry) -> bool:
    return not url.startswith(registry.settings.base_url)


@dataclass(frozen=True)
class _Negotiated:
    """A request decided as far as the catalogue row allows: what to serve, and the headers so far."""

    registry: Registry
    row: CatalogueRow
    choice: resolver.Choice
    resource: str
    available: list[str]
    headers: dict[str, str]

    @property
    def may_redirect(self) -> bool:
        """A browser asking for the default profile goes to the registrant's page, if it is elsewhere:
        whether it is needs the graph (the row only says there is a landing URL)."""
        return (
            self.choice.media_type == "text/html"
            and self.choice.profile is resolver.DEFAULT_PROFILE
            and self.row.has_url
        )


@dataclass(frozen=True)
class _Unregistered:
    """A name the catalogue does not hold, asked for with credentials: a draft answers its owner."""

    name: str


@router.api_route("/{identifier:path}", methods=["GET", "HEAD"], include_in_schema=False, name="resolve")
async def resolve(identifier: str, request: Request) -> Response:
    # Negotiation, conditional requests and cached bodies need one indexed SQLite read: done on the loop.
    # Reading the graph and rendering block, so they run in a worker thread.
    step = _negotiate(identifier, request)
    if isinstance(step, Response):
        return _finish(request, step)
    if isinstance(step, _Unregistered):
        return _finish(request, await _draft_or_not_found(request, step.name))
    if not step.may_redirect:
        answer = _not_modified_or_cached(request, step)
        if answer is not None:
            return _finish(request, answer)
    return _finish(request, await run_in_threadpool(_respond, request, step))


#: a first path segment without a lower-case letter: no fixed route has one (they are lower-case words,
#: resolver.RESERVED), so only the resolver can answer the path
_SAMPLE_PATH = re.compile(r"/[^/a-z]+(?:/|$)")


class Shortcut:
    """ASGI middleware: a GET or HEAD of a path only the resolver can answer goes straight to it.

    The resolver's route is the catch-all, registered last, so the router would first try every fixed
    route (most of a resolution's time); this skips that. Anything but a response (a 404 raised for the
    app's error handler, a failure) is left to the full stack, which answers it as for any other path.
    Install inside ``SecurityHeaders``, so resolved responses get the same headers.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and not scope.get("root_path")
            and _SAMPLE_PATH.match(scope["path"])
        ):
            response: Response | None
            try:
                response = await resolve(scope["path"][1:], Request(scope, receive))
            except Exception:  # noqa: BLE001 - answered by the full stack, in the app's error form
                response = None
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


#: a sample's canonical path: nothing but the name (an IGSN name has no lower-case letter, slash or query)
_CANONICAL_PATH = re.compile(r"/[^/a-z?]+")
#: the request headers the fast path reads (it leaves requests with credentials to the full stack)
_READ = {b"accept": "accept", b"accept-profile": "accept-profile", b"if-none-match": "if-none-match"}
_READ |= {b"if-modified-since": "if-modified-since", b"authorization": "authorization"}


class FastPath:
    """Outermost ASGI middleware: answers the commonest resolution — GET or HEAD of a sample's canonical path,
    no query, no credentials, a representation kept by version (memory or ``representations.sqlite``) or a 304 —
    without the framework: no Request object, no thread, no middleware wrapping ``send``.

    Everything else, and anything this path cannot decide, goes to the full stack unchanged. The answer is the
    one the full stack gives (same decisions — ``_negotiate``'s rules on the row, ``_validators``'s headers —
    and ``api.security.COMMON``; ``tests/api/test_resolver_fast_path.py`` compares both).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        #: requests answered here (the rest went to the full stack)
        self.answered = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and not scope["query_string"]
            and not scope.get("root_path")
            and _CANONICAL_PATH.fullmatch(scope["path"])
        ):
            try:
                answer = fast_answer(scope["app"].state, scope)
            except Exception:  # noqa: BLE001 - answered by the full stack, in the app's error form
                answer = None
            if answer is not None:
                self.answered += 1
                status, headers, body = answer
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
                return
        await self.app(scope, receive, send)


def fast_answer(state: State, scope: Scope) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
    """(status, headers, body) when the answer is a kept representation or a 304; None for the full stack.

    ``state`` holds ``registry`` (a ``Registry``, or ``api.readers.ReadView`` in a reader process),
    ``render_cache`` and ``stored_representations``."""
    registry: Registry = state.registry
    name = scope["path"][1:]
    if (
        resolver.resource_url("/", name) != scope["path"]
        or _iri_path_name(name, registry) != name
        or name.split("/", 1)[0] in resolver.RESERVED
    ):
        return None
    try:
        # Registry.parse less its DOI prefixes (a table read): a path without a slash is never a DOI form
        if parse_igsn(name).name != name:
            return None  # another form of the name: redirected by the full stack
    except InvalidIdentifier:
        return None
    try:
        row = registry.resolvable_row(name)
    except (NotFound, Gone):
        return None  # unknown (perhaps a draft) or withdrawn: answered by the full stack
    asked: dict[str, str] = {}
    for key, value in scope["headers"]:
        wanted = _READ.get(key.lower())
        if wanted is not None:
            if wanted in asked:
                return None  # a repeated header: the full stack combines them
            asked[wanted] = value.decode("latin-1")
    if "authorization" in asked:
        return None
    available = resolver.available_profiles(row)
    try:
        choice = resolver.negotiate(
            accept_profile=asked.get("accept-profile"), accept=asked.get("accept"), available=available
        )
    except resolver.NotAcceptable:
        return None
    key = resolver.RenderCache.key(row, choice)
    if key is None or choice.media_type == "text/html":
        return None  # pages, and documents listing other samples: rendered every time
    resource = resolver.resource_url(registry.settings.base_url, name)
    step = _Negotiated(
        registry,
        row,
        choice,
        resource,
        available,
        {"Vary": VARY, "Link": resolver.link_header(resource, available, choice)},
    )
    headers = _validators(step)
    if _fresh(asked.get("if-none-match"), asked.get("if-modified-since"), headers["ETag"], row.datestamp):
        return 304, [*_encoded(headers), *COMMON], b""
    rendered = _kept(state, key)
    if rendered is None:
        return None
    raw = _encoded({**headers, "Content-Type": rendered.content_type})
    return 200, [*raw, (b"content-length", str(len(rendered.body)).encode()), *COMMON], rendered.body


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


def _negotiate(identifier: str, request: Request) -> Response | _Negotiated | _Unregistered:
    # 404s go through the app's error handler: an unknown path answers as it did before the resolver existed
    registry: Registry = request.app.state.registry
    local = _iri_path_name(identifier, registry)
    if local.split("/", 1)[0] in resolver.RESERVED:
        if local != identifier and local.split("/", 1)[0] in RESERVED_PATHS:
            # the IRI of a registry node (agent/…, version/…) under the IRI base path: its page is at that
            # path below the root (routers.entities), as a sample's is
            return _moved(request, "/" + local)
        raise HTTPException(404, "Not Found")
    identifier = local
    try:
        igsn = registry.parse(identifier)
    except InvalidIdentifier as exc:
        if _wants_html(request, "application/json"):
            return Response(resolver.not_found_page(identifier), 404, media_type="text/html; charset=utf-8")
        raise HTTPException(404, f"not an IGSN: {exc}") from None
    name = igsn.name
    # the catalogue row says all negotiation needs (status, public, described, version, datestamp)
    row = registry.row(name)
    if row is None:
        if request.headers.get("authorization"):
            return _Unregistered(name)  # perhaps a draft of the caller's: needs the credentials checked
        return _not_found(request, name)
    canonical = resolver.resource_url("/", name)
    if request.url.path != canonical:
        # every other form of the name (and the IRI path) is sent to the one canonical URL
        return _moved(request, canonical)
    try:
        resolvable(row, name)  # the registry's rule (a private sample resolves to its registry facts)
    except Gone as gone:
        if _wants_html(request, "text/plain"):
            return Response(
                resolver.tombstone_page(row), 410, media_type="text/html; charset=utf-8", headers={"Vary": VARY}
            )
        return _text(410, gone.message, {"Vary": VARY})

    resource = resolver.resource_url(registry.settings.base_url, name)
    available = resolver.available_profiles(row)
    try:
        choice = _choose(request, available)
    except resolver.NotAcceptable as exc:
        return _not_acceptable(str(exc), resource, available)
    headers = {"Vary": VARY, "Link": resolver.link_header(resource, available, choice)}
    return _Negotiated(registry, row, choice, resource, available, headers)


def _choose(request: Request, available: list[str]) -> resolver.Choice:
    """The profile and media type the request asks for (query arguments, then headers); ``NotAcceptable``."""
    query = request.query_params
    mediatype_arg = query.get("_mediatype")
    if mediatype_arg is None and (query.get("style") or query.get("locale")):
        # ?style=&locale= (as DataCite and Crossref take them) ask for a formatted citation
        mediatype_arg = "text/x-bibliography"
    if mediatype_arg is not None and "text/x-bibliography" in mediatype_arg.replace(" ", "+"):
        extra = [f"{k}={query[k]}" for k in ("style", "locale") if query.get(k) and k not in mediatype_arg]
        mediatype_arg = "; ".join([mediatype_arg, *extra])
    return resolver.negotiate(
        profile_arg=query.get("_profile"),
        mediatype_arg=mediatype_arg,
        accept_profile=request.headers.get("accept-profile"),
        accept=request.headers.get("accept"),
        available=available,
    )


def _not_found(request: Request, name: str) -> Response:
    if _wants_html(request, "application/json"):
        return Response(resolver.not_found_page(name), 404, media_type="text/html; charset=utf-8")
    raise HTTPException(404, f"IGSN not found: {name}")


def _validators(step: _Negotiated) -> dict[str, str]:
    """The headers of a representation served from the sample (CORS for data, ETag, Last-Modified)."""
    headers = dict(step.headers)
    if step.choice.media_type != "text/html":
        headers["Access-Control-Allow-Origin"] = "*"
        headers["Access-Control-Expose-Headers"] = "Link, ETag, Vary"
    extra = "&".join(f"{k}={v}" for k, v in step.choice.params)
    datestamp = step.row.datestamp
    if not resolver.cacheable(step.choice):
        # it lists the samples that name this one (children, members), and the page its whole family (parents
        # up to the root, siblings, collections): they are part of its state
        stamp, latest = relations.inbound_state(step.registry.db, step.row.igsn)
        kin, kin_latest = family.state(step.registry.db.read(), step.row.igsn)
        extra, datestamp = f"{extra}|{stamp}|{kin}", max(datestamp, latest or datestamp, kin_latest or datestamp)
    # the datestamp too: a restamp (writers or crosswalks changed) changes documents without a new version
    headers["ETag"] = resolver.etag(step.row.version, step.choice, f"{extra}|{step.row.datestamp}")
    headers["Last-Modified"] = _http_date(datestamp)
    return headers


def _not_modified_or_cached(request: Request, step: _Negotiated) -> Response | None:
    """304, or the body rendered before for this version; None when the graph must be read."""
    headers = _validators(step)
    if _not_modified(request, headers["ETag"], step.row.datestamp):
        return Response(status_code=304, headers=headers)
    key = resolver.RenderCache.key(step.row, step.choice)
    rendered = _kept(request.app.state, key) if key is not None else None
    if rendered is None:
        return None
    return Response(rendered.body, headers={**headers, "Content-Type": rendered.content_type})


def _kept(state: State, key: resolver.CacheKey) -> resolver.Rendered | None:
    """A body rendered before for this version: from memory, else from disk (then kept in memory too)."""
    cache: resolver.RenderCache = state.render_cache
    rendered = cache.get(key)
    if rendered is None:
        stored: StoredRepresentations | None = state.stored_representations
        rendered = stored.get(key) if stored is not None else None
        if rendered is not None:
            cache.put(key, rendered)
    return rendered


def _keep(state: State, key: resolver.CacheKey, rendered: resolver.Rendered) -> None:
    cache: resolver.RenderCache = state.render_cache
    cache.put(key, rendered)
    stored: StoredRepresentations | None = state.stored_representations
    if stored is not None and not key[5]:
        # on disk one row per sample and representation: parameters (citation styles, any text a client
        # sends) would let a client grow the file without bound; those stay in the bounded memory cache
        stored.put([(key, rendered)])


def _respond(request: Request, step: _Negotiated) -> Response:
    """Reads the sample's graph (once) and renders what was negotiated; runs in a worker thread."""
    registry, choice = step.registry, step.choice
    view = resolver.SampleView(registry, step.row)
    try:
        if step.may_redirect:
            landing_url = view.facts.landing_url
            if landing_url and _external(landing_url, registry):
                # the registrant's own page; an explicit ?_profile=landing always gets ours
                return Response(status_code=303, headers={**step.headers, "Location": landing_url})
            answer = _not_modified_or_cached(request, step)
            if answer is not None:
                return answer
        headers = _validators(step)
        if choice.media_type == "text/html" and choice.profile.token != "alt":
            return Response(
                resolver.landing_page(view, step.resource, step.available),
                media_type="text/html; charset=utf-8",
                headers=headers,
            )
        rendered = resolver.render(view, choice, step.resource, step.available)
    except resolver.SampleMissing:
        return _not_found(request, step.row.igsn)
    except resolver.NotAcceptable as exc:
        return _not_acceptable(str(exc), step.resource, step.available)
    key = resolver.RenderCache.key(step.row, choice)
    if key is not None:
        _keep(request.app.state, key, rendered)
    return Response(rendered.body, headers={**headers, "Content-Type": rendered.content_type})


# -- drafts ---------------------------------------------------------------------------------------
#: a draft's representations are its owner's: kept by no cache (nor in the render cache or representations.sqlite)
_PRIVATE = {"Cache-Control": "private, no-store", "Vary": f"{VARY}, Authorization"}


async def _draft_or_not_found(request: Request, name: str) -> Response:
    """A draft (reserved IGSN) resolves for its owner, the owning client's agent and the administrator; anyone
    else gets the answer of an unknown name, wrong or throttled credentials too (a 401 or 429 here would tell a
    draft from an unknown name). The credentials are checked for every unknown name asked with them, so the time
    taken does not tell either."""
    registry: Registry = request.app.state.registry
    try:
        who: Principal | None = await authenticate(request)
    except (NotAuthenticated, LoginThrottled):
        who = None
    draft = registry.draft_for(name, who)
    if draft is None:
        return _not_found(request, name)
    canonical = resolver.resource_url("/", name)
    if request.url.path != canonical:
        moved = _moved(request, canonical)
        moved.headers.update(_PRIVATE)
        return moved
    return await run_in_threadpool(_respond_draft, request, registry, draft)


def _respond_draft(request: Request, registry: Registry, draft: lifecycle.Draft) -> Response:
    """The draft's partial description in the negotiated representation, or 406 for one it cannot be written
    in yet (a profile needing a description it lacks, or a format whose required properties are missing)."""
    view = resolver.draft_view(registry, draft)
    resource = resolver.resource_url(registry.settings.base_url, draft.igsn)
    available = view.available
    try:
        choice = _choose(request, available)
        headers = {**_PRIVATE, "Link": resolver.link_header(resource, available, choice)}
        if choice.media_type == "text/html" and choice.profile.token != "alt":
            page = resolver.landing_page(view, resource, available)
            return Response(page, media_type="text/html; charset=utf-8", headers=headers)
        rendered = resolver.render(view, choice, resource, available)
    except resolver.NotAcceptable as exc:
        refused = _not_acceptable(str(exc), resource, available)
        refused.headers.update(_PRIVATE)
        return refused
    return Response(rendered.body, headers={**headers, "Content-Type": rendered.content_type})
