"""The OAI-PMH 2.0 endpoint ``/oai`` (GET and form-encoded POST): HTTP ⇄ ``igsn_graph.oai``, nothing more.

Protocol errors are OAI ``error`` elements sent with HTTP 200 (the reference validator treats every
4xx/5xx as unparseable); responses are ``text/xml; charset=utf-8``, gzip-compressed when the client's
``Accept-Encoding`` offers gzip. Arguments are read from the raw query string or body, never from the
framework's collapsed parameters, so repeated arguments are seen. Endpoints are plain ``def`` (the
core runs in the thread pool); only reading a POST body is ``async``. HEAD answers as GET does, without
the body; any other method is a 405 that names the three allowed.
"""

from __future__ import annotations

import gzip
import threading
from datetime import datetime, timezone

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from igsn_graph import conneg
from igsn_graph.oai.args import decode_form, parse_request
from igsn_graph.oai.errors import BadArgument, OaiErrors
from igsn_graph.oai.verbs import Repository, handle, settled
from igsn_graph.oai.xml import render, render_errors

from .. import limits
from ..bodies import content_type, read_body
from ..deps import get_registry
from ..negotiation import finish

__all__ = ["router", "MEDIA_TYPE", "MAX_FORM_BYTES", "repository_of"]

router = APIRouter(tags=["OAI-PMH"])

MEDIA_TYPE = "text/xml; charset=utf-8"
#: the largest POST body read: OAI arguments are short, a token is a few hundred bytes
MAX_FORM_BYTES = 64 * 1024
_FORM = "application/x-www-form-urlencoded"
_LOCK = threading.Lock()
_DESCRIPTION = (
    "OAI-PMH 2.0 data provider. Verbs Identify, ListMetadataFormats, ListSets, GetRecord, "
    "ListIdentifiers, ListRecords; formats oai_dc, igsn (registration kernel 1.0), igsn_desc "
    "(description kernel 1.1), datacite (kernel-4); sets AGENT, AGENT:AGENT.CLIENT, ns:NAMESPACE."
)


def repository_of(request: Request) -> Repository:
    """The app's data provider, created on first use for the app's current registry."""
    state = request.app.state
    registry = get_registry(request)
    repo: Repository | None = getattr(state, "oai_repository", None)
    if repo is None or repo.registry is not registry:
        with _LOCK:
            repo = getattr(state, "oai_repository", None)
            if repo is None or repo.registry is not registry:
                if repo is not None:
                    repo.close()  # the app was restarted with a new registry
                repo = Repository(registry, page_size=registry.settings.oai_page_size)
                state.oai_repository = repo
    return repo


def _accepts_gzip(request: Request) -> bool:
    for item in conneg.parse_weighted(request.headers.get("accept-encoding")):
        if item.value.lower() in ("gzip", "x-gzip"):
            return item.q > 0
    return False


def _answer(request: Request, pairs: list[tuple[str, str]] | OaiErrors) -> Response:
    repo = repository_of(request)
    # the start of processing (GL-repo §3), moved before any datestamp a write under way may still publish
    now = settled(repo, datetime.now(timezone.utc).replace(microsecond=0))
    attributes: dict[str, str] | None = None
    try:
        if isinstance(pairs, OaiErrors):
            raise pairs
        oai_request = parse_request(pairs)
        attributes = oai_request.echo
        body = render(handle(repo, oai_request, now), attributes, repo.base_url, now)
    except OaiErrors as errors:
        body = render_errors(errors, attributes, repo.base_url, now)
    headers = {"Vary": "Accept-Encoding"}
    if _accepts_gzip(request):
        body = gzip.compress(body, compresslevel=5, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=MEDIA_TYPE, headers=headers)


def _query_pairs(request: Request) -> list[tuple[str, str]] | OaiErrors:
    try:
        return decode_form(request.scope.get("query_string", b""))
    except OaiErrors as errors:
        return errors


async def _form_pairs(request: Request) -> list[tuple[str, str]] | OaiErrors:
    """The POST body's pairs (after any in the query string), or the badArgument that refuses it."""
    media = content_type(request).media_type
    try:
        body = await read_body(request, min(MAX_FORM_BYTES, request.app.state.settings.max_body_bytes))
    except limits.BodyRefused as refused:
        if refused.status_code != 413:
            raise
        return OaiErrors([BadArgument(refused.detail)])  # in the protocol's own form, like any bad argument
    if body and media != _FORM:
        return OaiErrors([BadArgument(f"a POST body must be {_FORM}, not {media or 'untyped'}")])
    query = _query_pairs(request)
    if isinstance(query, OaiErrors):
        return query
    try:
        return query + decode_form(bytes(body))
    except OaiErrors as errors:
        return errors


@router.head("/oai", include_in_schema=False)
@router.get(
    "/oai",
    summary="OAI-PMH 2.0 (GET)",
    description=_DESCRIPTION,
    response_class=Response,
    responses={200: {"content": {"text/xml": {}}}},
)
def oai_get(request: Request) -> Response:
    return finish(request, _answer(request, _query_pairs(request)))


@router.post(
    "/oai",
    summary="OAI-PMH 2.0 (POST, application/x-www-form-urlencoded)",
    description=_DESCRIPTION,
    response_class=Response,
    responses={200: {"content": {"text/xml": {}}}},
)
def oai_post(request: Request, pairs: list[tuple[str, str]] | OaiErrors = Depends(_form_pairs)) -> Response:
    return _answer(request, pairs)


# every other method: a 405 naming all the allowed ones (the framework's names those of one route only). A
# Response is an ASGI app, and a route to an ASGI app (not a function) matches every method.
_NOT_ALLOWED = JSONResponse({"detail": "Method Not Allowed"}, 405, headers={"Allow": "GET, HEAD, POST"})
# a Response is an ASGI app; Starlette types a route endpoint as a function
router.add_route("/oai", _NOT_ALLOWED, include_in_schema=False)  # type: ignore[arg-type]
