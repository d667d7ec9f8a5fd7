"""HTTP answers shared by the negotiated resources (samples, and the registry's own nodes).

The resolver and the pages of agents, clients, namespaces and versions answer alike: HEAD without a
body, an HTML error page for a browser and text for everyone else, a 406 that lists the alternates.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response

from igsn_graph import conneg, resolver
from igsn_graph.registry.service import Registry

__all__ = [
    "VARY",
    "finish",
    "iri_path_name",
    "none_match",
    "not_acceptable",
    "redirect",
    "tag_matches",
    "text",
    "wants_html",
]

#: what a negotiated representation depends on
VARY = "Accept, Accept-Profile"


def text(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """A one-line plain-text answer (errors of the resolver surface)."""
    return Response(message + "\n", status_code=status, media_type="text/plain; charset=utf-8", headers=headers)


def wants_html(request: Request, other: str) -> bool:
    """A browser (text/html preferred over ``other``) gets an HTML error page."""
    return conneg.choose(request.headers.get("accept"), [other, "text/html"]) == "text/html"


def none_match(request: Request, tag: str) -> bool | None:
    """RFC 9110 §13.1.2: whether ``If-None-Match`` names ``tag`` (weak comparison) or is ``*``; None without
    the header (then ``If-Modified-Since`` may decide)."""
    return tag_matches(request.headers.get("if-none-match"), tag)


def tag_matches(if_none_match: str | None, tag: str) -> bool | None:
    """``none_match`` on the header's value (None: no header)."""
    if if_none_match is None:
        return None
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or tag in tags


def finish(request: Request, response: Response) -> Response:
    """HEAD: the GET response's status and headers (Content-Length included) without the body."""
    if request.method != "HEAD":
        return response
    return Response(b"", status_code=response.status_code, headers=dict(response.headers))


def iri_path_name(path: str, registry: Registry) -> str:
    """``path`` (without its leading slash) less the path of the IRI base, when the registry's IRIs live under a
    path of this host (IRI base ``https://host/id/igsn/``: ``id/igsn/X`` → ``X``); otherwise ``path``."""
    prefix = urlsplit(registry.iris.base).path.lstrip("/")
    return path[len(prefix) :] if prefix and path.startswith(prefix) else path


def redirect(request: Request, path: str, status: int = 301) -> Response:
    """A redirect to ``path`` on this service, with the request's query (301: another form of the same name)."""
    location = str(request.base_url).rstrip("/") + path
    if request.url.query:
        location += "?" + request.url.query
    return Response(status_code=status, headers={"Location": location})


def not_acceptable(message: str, resource: str, available: Sequence[str]) -> Response:
    """406 with the alternates in Link and in the body (and no rel=profile: nothing was served)."""
    listing = "\n".join(
        f"{t}\t{mt}\t{resolver.PROFILES[t].uri}" for t in available for mt in resolver.PROFILES[t].offered
    )
    return text(
        406,
        f"{message}\navailable (profile, media type, profile URI):\n{listing}",
        {"Vary": VARY, "Link": resolver.link_header(resource, available, None)},
    )
