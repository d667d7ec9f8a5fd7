"""HTTP Basic: the credentials of an ``Authorization`` header, the scheme the OpenAPI document declares, and the
caller's address (the throttle's key)."""

from __future__ import annotations

import base64
import binascii

from fastapi import Request
from fastapi.openapi.models import HTTPBase as HTTPBaseModel
from fastapi.security.base import SecurityBase

from igsn_graph.errors import NotAuthenticated

__all__ = ["BASIC", "REALM", "basic_credentials", "client_address"]

#: realm announced in ``WWW-Authenticate``
REALM = "igsn-graph"


def client_address(request: Request, trusted_hops: int) -> str:
    """The caller's address: the socket peer, or with ``trusted_hops`` reverse proxies in front, the
    ``X-Forwarded-For`` entry that many from the right (each trusted proxy appends the peer it saw; entries
    further left are the client's own word and are not believed). Too few entries: the socket peer."""
    peer = request.client.host if request.client is not None else ""
    if trusted_hops <= 0:
        return peer
    entries = [e.strip() for header in request.headers.getlist("x-forwarded-for") for e in header.split(",")]
    if len(entries) < trusted_hops:
        return peer
    return entries[-trusted_hops] or peer


def basic_credentials(header: str | None) -> tuple[str, str]:
    """(user, password) from an ``Authorization: Basic …`` header, or ``NotAuthenticated``."""
    if not header:
        raise NotAuthenticated("not logged in")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        raise NotAuthenticated("not logged in")
    try:
        raw = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise NotAuthenticated("not logged in") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        # RFC 7617 leaves the charset open; old clients send ISO-8859-1
        text = raw.decode("latin-1")
    user, sep, password = text.partition(":")
    if not sep or not user:
        raise NotAuthenticated("not logged in")
    return user, password


class _BasicScheme(SecurityBase):
    """Declares HTTP Basic in the OpenAPI document for the operations that need it; reads nothing.

    FastAPI's ``HTTPBasic`` would answer malformed headers itself (ASCII only, its own 401); credentials are
    read by ``basic_credentials`` alone, so that every surface refuses them in its own error form.
    """

    def __init__(self) -> None:
        self.model = HTTPBaseModel(
            scheme="basic", description="an agent, a client (AGENT.CLIENT) or the administrator, with its password"
        )
        self.scheme_name = "basic"

    async def __call__(self, request: Request) -> None:
        return None


#: the security scheme of the OpenAPI document
BASIC = _BasicScheme()
