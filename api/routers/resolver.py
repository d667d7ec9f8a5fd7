"""/{IGSN}: resolves a sample in any path form to the representation negotiated by profile and media type.

Registered last, so every fixed route wins; reserved first segments are answered 404 here too, so a
method another router does not offer never turns ``/igsn`` into a sample lookup.
"""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from igsn_graph import conneg, resolver
from igsn_graph.errors import InvalidIdentifier
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


def _wants_html(request: Request, other: str) -> bool:
    """A browser (text/html preferred over ``other``) gets an HTML error page."""
    return conneg.choose(request.headers.get("accept"), [other, "text/html"]) == "text/html"


def _iri_path_name(identifier: str, registry: Registry) -> str:
    """``identifier`` without the path of the IRI base, when sample IRIs live under a path of this host."""
    prefix = urlsplit(registry.iris.base).path.lstrip("/")
    return identifier[len(prefix):] if prefix and identifier.startswith(prefix) else identifier


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
    registry: Registry = request.app.state.registry
    identifier = _iri_path_name(identifier, registry)
    if identifier.split("/", 1)[0] in resolver.RESERVED:
        raise HTTPException(404, "Not Found")
    try:
        igsn = registry.parse(identifier)
    except InvalidIdentifier as exc:
        if _wants_html(request, "application/json"):
            return Response(resolver.not_found_page(identifier), 404, media_type="text/html; charset=utf-8")
        raise HTTPException(404, f"not an IGSN: {exc}") from None
    name = igsn.name
    row = registry.row(name)
    facts = registry.facts(name) if row is not None else None
    if row is None or facts is None:
        if _wants_html(request, "application/json"):
            return Response(resolver.not_found_page(name), 404, media_type="text/html; charset=utf-8")
        raise HTTPException(404, f"IGSN not found: {name}")
    canonical = resolver.resource_url("/", name)
    if request.url.path != canonical:
        # every other form of the name (and the IRI path) is sent to the one canonical URL
        location = str(request.base_url).rstrip("/") + canonical
        if request.url.query:
            location += "?" + request.url.query
        return Response(status_code=301, headers={"Location": location})
    if not facts.active:
        if _wants_html(request, "text/plain"):
            return Response(resolver.tombstone_page(facts), 410, media_type="text/html; charset=utf-8",
                            headers={"Vary": VARY})
        return _text(410, f"IGSN {name} has been deactivated", {"Vary": VARY})

    resource = resolver.resource_url(registry.settings.base_url, name)
    available = resolver.available_profiles(facts)
    headers = {"Vary": VARY}
    query = request.query_params
    mediatype_arg = query.get("_mediatype")
    if mediatype_arg is None and (query.get("style") or query.get("locale")):
        # ?style=&locale= (as DataCite and Crossref take them) ask for a formatted citation
        mediatype_arg = "text/x-bibliography"
    if mediatype_arg is not None and "text/x-bibliography" in mediatype_arg.replace(" ", "+"):
        extra = [f"{k}={query[k]}" for k in ("style", "locale") if query.get(k) and k not in mediatype_arg]
        mediatype_arg = "; ".join([mediatype_arg, *extra])
    try:
        choice = resolver.negotiate(profile_arg=query.get("_profile"), mediatype_arg=mediatype_arg,
                                    accept_profile=request.headers.get("accept-profile"),
                                    accept=request.headers.get("accept"), available=available)
    except resolver.NotAcceptable as exc:
        return _not_acceptable(str(exc), resource, available)

    headers["Link"] = resolver.link_header(resource, available, choice)
    if choice.media_type == "text/html" and choice.profile is resolver.DEFAULT_PROFILE and facts.landing_url \
            and _external(facts.landing_url, registry):
        # the registrant's own page; an explicit ?_profile=landing always gets ours
        headers["Location"] = facts.landing_url
        return Response(status_code=303, headers=headers)

    if choice.media_type != "text/html":
        headers["Access-Control-Allow-Origin"] = "*"
        headers["Access-Control-Expose-Headers"] = "Link, ETag, Vary"
    tag = resolver.etag(row.version, choice, "&".join(f"{k}={v}" for k, v in choice.params))
    headers["ETag"] = tag
    headers["Last-Modified"] = _http_date(facts.datestamp)
    if _not_modified(request, tag, facts.datestamp):
        return Response(status_code=304, headers=headers)
    try:
        if choice.media_type == "text/html" and choice.profile.token != "alt":
            return Response(resolver.landing_page(registry, facts, resource, available),
                            media_type="text/html; charset=utf-8", headers=headers)
        rendered = resolver.render(registry, facts, choice, resource, available)
    except resolver.NotAcceptable as exc:
        return _not_acceptable(str(exc), resource, available)
    return Response(rendered.body, headers={**headers, "Content-Type": rendered.content_type})


def _not_acceptable(message: str, resource: str, available: list[str]) -> Response:
    """406 with the alternates in Link and in the body (and no rel=profile: nothing was served)."""
    listing = "\n".join(f"{t}\t{mt}\t{resolver.PROFILES[t].uri}" for t in available
                        for mt in resolver.PROFILES[t].offered)
    return _text(406, f"{message}\navailable (profile, media type, profile URI):\n{listing}",
                 {"Vary": VARY, "Link": resolver.link_header(resource, available, None)})
