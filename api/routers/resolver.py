"""/{IGSN}: resolves a sample in any path form to the representation negotiated by profile and media type.

Registered last, so every fixed route wins; reserved first segments are answered 404 here too, so a
method another router does not offer never turns ``/igsn`` into a sample lookup.
"""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from igsn_graph import resolver
from igsn_graph.errors import InvalidIdentifier
from igsn_graph.record import RegistryFacts
from igsn_graph.registry.service import Registry

__all__ = ["router"]

router = APIRouter(tags=["resolver"])

VARY = "Accept, Accept-Profile"


def _text(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(message + "\n", status_code=status, media_type="text/plain; charset=utf-8", headers=headers)


def _http_date(datestamp: str) -> str:
    stamp = datetime.strptime(datestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return format_datetime(stamp, usegmt=True)


def _not_modified(request: Request, tag: str, datestamp: str) -> bool:
    """RFC 9110 §13.1: If-None-Match decides when present; If-Modified-Since only without it."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or tag in tags
    since = request.headers.get("if-modified-since")
    if since:
        try:
            when = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        modified = datetime.strptime(datestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        return when.tzinfo is not None and modified <= when
    return False


def _external(url: str, registry: Registry) -> bool:
    return not url.startswith(registry.settings.base_url)


def _body(registry: Registry, name: str, facts: RegistryFacts, choice: resolver.Choice, resource: str,
          available: list[str]) -> bytes:
    token, media_type = choice.profile.token, choice.media_type
    if media_type == "text/html":
        record = registry.record(name) if facts.is_public else None
        return resolver.landing_page(facts, record, resource, available)
    if token == "alt":
        return resolver.render_alt(resource, available, media_type)
    if token == "prov":
        graph = registry.iris.provenance_graph(name)
        return resolver.render_rdf(registry.store.graph(graph), graph, media_type)
    if media_type in resolver.RDF_FORMATS:
        return resolver.render_rdf(registry.graph_of(name), registry.iris.record_graph(name), media_type)
    record = registry.record(name)
    if record is None:  # available_profiles keeps this out; a race with a write could not
        raise resolver.NotAcceptable(f"{name} has no description to write as {token}")
    return resolver.render_xml(token, record, facts, registry.settings.base_url)


def _finish(request: Request, response: Response) -> Response:
    """HEAD: the GET response's status and headers (Content-Length included) without the body."""
    if request.method != "HEAD":
        return response
    return Response(b"", status_code=response.status_code, headers=dict(response.headers))


@router.api_route("/{identifier:path}", methods=["GET", "HEAD"], include_in_schema=False, name="resolve")
def resolve(identifier: str, request: Request) -> Response:
    # a plain def: FastAPI runs it in a worker thread, so store reads and serialising stay off the loop
    return _finish(request, _resolve(identifier, request))


def _resolve(identifier: str, request: Request) -> Response:
    # 404s go through the app's error handler: an unknown path answers as it did before the resolver existed
    if identifier.split("/", 1)[0] in resolver.RESERVED:
        raise HTTPException(404, "Not Found")
    registry: Registry = request.app.state.registry
    try:
        igsn = registry.parse(identifier)
    except InvalidIdentifier as exc:
        raise HTTPException(404, f"not an IGSN: {exc}") from None
    name = igsn.name
    row = registry.row(name)
    facts = registry.facts(name) if row is not None else None
    if row is None or facts is None:
        raise HTTPException(404, f"IGSN not found: {name}")
    if identifier != name:
        # only known samples are redirected: an unknown name gets its 404 at once
        location = str(request.base_url) + resolver.resource_url("", name)
        if request.url.query:
            location += "?" + request.url.query
        return Response(status_code=301, headers={"Location": location})
    if not facts.active:
        return _text(410, f"IGSN {name} has been deactivated")

    resource = resolver.resource_url(registry.settings.base_url, name)
    available = resolver.available_profiles(facts)
    headers = {"Vary": VARY}
    query = request.query_params
    try:
        choice = resolver.negotiate(profile_arg=query.get("_profile"), mediatype_arg=query.get("_mediatype"),
                                    accept_profile=request.headers.get("accept-profile"),
                                    accept=request.headers.get("accept"), available=available)
    except resolver.NotAcceptable as exc:
        headers["Link"] = resolver.link_header(resource, available, None)
        listing = "\n".join(f"{t}\t{mt}\t{resolver.PROFILES[t].uri}" for t in available
                            for mt in resolver.PROFILES[t].offered)
        return _text(406, f"{exc}\navailable (profile, media type, profile URI):\n{listing}", headers)

    headers["Link"] = resolver.link_header(resource, available, choice)
    if choice.media_type == "text/html" and choice.profile is resolver.DEFAULT_PROFILE and facts.landing_url \
            and _external(facts.landing_url, registry):
        # the registrant's own page; an explicit ?_profile=landing always gets ours
        headers["Location"] = facts.landing_url
        return Response(status_code=303, headers=headers)

    if choice.media_type != "text/html":
        headers["Access-Control-Allow-Origin"] = "*"
    tag = resolver.etag(row.version, choice)
    headers["ETag"] = tag
    headers["Last-Modified"] = _http_date(facts.datestamp)
    if _not_modified(request, tag, facts.datestamp):
        return Response(status_code=304, headers=headers)
    try:
        body = _body(registry, name, facts, choice, resource, available)
    except resolver.NotAcceptable as exc:
        return _text(406, str(exc), {"Vary": VARY, "Link": resolver.link_header(resource, available, None)})
    media_type = choice.media_type
    if media_type.startswith("text/") or media_type in ("application/json", "application/xml"):
        media_type += "; charset=utf-8"
    return Response(body, media_type=media_type, headers=headers)
