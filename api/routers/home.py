"""/: the home page for browsers, the DCAT/VoID description of the dataset for RDF clients (by Accept).

HTTP ⇄ ``igsn_graph.home`` only. Registered before the resolver's catch-all, which would read ``/`` as an
empty IGSN.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from igsn_graph import conneg, home, maps, page_state, pages
from igsn_graph.registry.service import Registry

from ..negotiation import finish, none_match, text

__all__ = ["router"]

router = APIRouter(tags=["home"])

#: HTML first: a client that accepts anything (curl, */*) gets the page
_OFFERED = ("text/html", *home.RDF_MEDIA_TYPES)


@router.api_route(pages.STYLESHEET_PATH, methods=["GET", "HEAD"], include_in_schema=False, name="stylesheet")
async def stylesheet() -> Response:
    """The one stylesheet of every page (``pages.STYLE``); its URL changes with it, so it is cached a day."""
    headers = {"Cache-Control": "public, max-age=86400"}
    return Response(pages.STYLE.encode("utf-8"), media_type="text/css; charset=utf-8", headers=headers)


@router.api_route("/", methods=["GET", "HEAD"], include_in_schema=False, name="home")
async def home_page(request: Request) -> Response:
    registry: Registry = request.app.state.registry
    wanted = request.query_params.get("_mediatype") or request.headers.get("accept")
    media_type = conneg.choose(wanted, _OFFERED)
    if media_type is None:
        return finish(request, text(406, "the home page is offered as " + ", ".join(_OFFERED), {"Vary": "Accept"}))
    headers = {"Vary": "Accept"}
    # the tag is read before the page: a write in between leaves a tag older than the body (revalidated
    # next time), never one newer than it (a stale 304)
    headers["ETag"] = await run_in_threadpool(_tag, registry, media_type, request)
    if none_match(request, headers["ETag"]):
        return finish(request, Response(status_code=304, headers=headers))
    if media_type == "text/html":
        body = await run_in_threadpool(_html, registry)
        return finish(request, Response(body, media_type="text/html; charset=utf-8", headers=headers))
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Access-Control-Expose-Headers"] = "ETag, Vary"
    facts = await run_in_threadpool(home.home_facts, registry)
    body = home.dataset_description(facts, registry.settings.base_url, media_type)
    content_type = media_type + ("; charset=utf-8" if media_type in ("text/turtle", "application/trig") else "")
    return finish(request, Response(body, media_type=content_type, headers=headers))


def _tag(registry: Registry, media_type: str, request: Request) -> str:
    """The page's ETag: the registry-wide change state (it shows counts, recent changes, every sample's place)."""
    state = page_state.registry_state(registry.db.read())
    return page_state.etag(state, registry.settings, media_type, str(request.url.query))


def _html(registry: Registry) -> bytes:
    """The page (reads SQLite: runs in a worker thread, on that thread's connection)."""
    return home.home_page(home.home_facts(registry), maps.all_samples_map(registry.db.read()))
