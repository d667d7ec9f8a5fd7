"""/agent/…, /client/…, /namespace/…, /activity/…, /version/…, /provenance/…, /graph/…, /accounts: every
node the registry mints, in HTML or RDF by the resolver's negotiation (profiles of ``mappings/profiles.csv``).

HTTP ⇄ ``igsn_graph.entities`` only: the path names the node, ``resolver.negotiate`` picks the profile and
media type, the core reads the node (in a worker thread: it reads the store) and ``entities_html`` or
``entities.rdf`` writes it. Registered before the resolver's catch-all, which answers every other path.
With an IRI base under a path of this host (``https://host/id/igsn/``), the resolver sends
``/id/igsn/agent/X`` here to ``/agent/X``, as it sends ``/id/igsn/NAME`` to ``/NAME``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from igsn_graph import entities, entities_html, maps, page_state, resolver
from igsn_graph.errors import Gone, InvalidInput, NotFound
from igsn_graph.registry.service import Registry

from ..negotiation import VARY, finish, none_match, not_acceptable, redirect, wants_html

__all__ = ["router"]

router = APIRouter(tags=["resolver"])

#: the profiles a node is offered in: its own RDF (ig), the page (landing), PROV for history nodes, alternates
_ACCOUNT_PROFILES = ("ig", "landing", "alt")
_PROV_PROFILES = ("ig", "landing", "prov", "alt")


async def node(request: Request) -> Response:
    """One minted node: a redirect to its canonical path, or its negotiated representation."""
    registry: Registry = request.app.state.registry
    path = request.scope["path"].lstrip("/")
    ref = entities.ref_of(path)
    try:
        if ref is None:  # the routes below name only minted kinds
            raise NotFound(f"no node of this registry is named /{path}")
        canonical = entities.canonical(registry, ref)
        if canonical != ref or ref.kind == "graph":
            # a redirect only to a node that answers (the resolver, too, sends only known names on)
            await run_in_threadpool(entities.require, registry, canonical)
            if ref.kind == "graph" and canonical == ref:  # a sample's graph holds its description: the resolver
                return finish(request, redirect(request, resolver.resource_url("/", ref.key), 303))
            return finish(request, redirect(request, "/" + canonical.path))
        available = list(_PROV_PROFILES if ref.kind in entities.PROV_KINDS else _ACCOUNT_PROFILES)
        resource = resolver.resource_url(registry.settings.base_url, ref.path)
        query = request.query_params
        try:
            choice = resolver.negotiate(
                profile_arg=query.get("_profile"),
                mediatype_arg=query.get("_mediatype"),
                accept_profile=request.headers.get("accept-profile"),
                accept=request.headers.get("accept"),
                available=available,
            )
        except resolver.NotAcceptable as exc:
            return finish(request, not_acceptable(str(exc), resource, available))
        response = await run_in_threadpool(_respond, request, registry, ref, choice, resource, available)
    except (NotFound, Gone, InvalidInput) as exc:
        if not wants_html(request, "application/json"):
            raise  # problem+json, from the app's table
        status = 410 if isinstance(exc, Gone) else 404 if isinstance(exc, NotFound) else 400
        title = {404: "Not found", 410: "Withdrawn", 400: "Bad request"}[status]
        return finish(
            request,
            Response(entities_html.error_page(title, exc.message), status, media_type="text/html; charset=utf-8"),
        )
    return finish(request, response)


def _limit(request: Request) -> int:
    text = request.query_params.get("limit")
    if not text:
        return entities.DEFAULT_LIMIT
    if not text.isascii() or not text.isdigit():
        raise InvalidInput(f"limit must be a whole number, not {text!r}")
    return int(text)  # its range is checked by the search the listing runs


def _page_href(request: Request, ref: entities.Ref, cursor: str | None, base: str = "/") -> str:
    items = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    if cursor is not None:
        items.append(("cursor", cursor))
    return resolver.resource_url(base, ref.path) + (f"?{urlencode(items)}" if items else "")


def _respond(
    request: Request,
    registry: Registry,
    ref: entities.Ref,
    choice: resolver.Choice,
    resource: str,
    available: list[str],
) -> Response:
    """Reads the node and writes what was negotiated; runs in a worker thread."""
    headers = {"Vary": VARY, "Link": resolver.link_header(resource, available, choice)}
    # a node's page lists samples and names accounts that change with other writes: its tag is the registry's
    # change state, read before the node (a write in between leaves the tag older than the body, never newer)
    state = page_state.registry_state(registry.db.read())
    variant = f"{choice.profile.token} {choice.media_type}"
    headers["ETag"] = page_state.etag(state, registry.settings, variant, request.url.path + "?" + request.url.query)
    item = entities.describe(registry, ref, cursor=request.query_params.get("cursor") or None, limit=_limit(request))
    if none_match(request, headers["ETag"]):  # after describe: a node that is gone answers 410, not 304
        return Response(status_code=304, headers=headers)
    listing = item.samples
    if listing is not None and listing.next_cursor:
        following = _page_href(request, ref, listing.next_cursor, registry.settings.base_url)
        headers["Link"] += f', <{following}>; rel="next"'
    media_type = choice.media_type
    if media_type != "text/html":
        headers["Access-Control-Allow-Origin"] = "*"
        headers["Access-Control-Expose-Headers"] = "Link, ETag, Vary"
    if choice.profile.token == "alt":
        if media_type == "text/html":
            body = entities_html.alt_page(item, registry.iris, resource, available)
        else:
            body = resolver.render_alt(resource, available, media_type)
    elif media_type == "text/html":
        next_href = _page_href(request, ref, listing.next_cursor) if listing and listing.next_cursor else None
        first_href = _page_href(request, ref, None) if listing and listing.cursor else None
        located = [(s.igsn, s.name) for s in listing.items] if listing else []
        body = entities_html.node_page(
            item,
            registry.iris,
            resource,
            available,
            next_href=next_href,
            first_href=first_href,
            sample_map=maps.hits_map(registry.db.read(), located),
        )
    else:
        body = entities.rdf(item, resolver.RDF_FORMATS[media_type])
    charset = media_type.startswith("text/") or media_type == "application/json"
    return Response(body, headers={**headers, "Content-Type": media_type + ("; charset=utf-8" if charset else "")})


for _kind in entities.KINDS:
    _path = "/accounts" if _kind == "accounts" else f"/{_kind}/{{key:path}}"
    router.add_api_route(_path, node, methods=["GET", "HEAD"], include_in_schema=False, name=f"entity-{_kind}")
