"""``POST /metadata``'s fast path: a registration by a caller whose credentials are cached, without the framework.

The full stack spends about as long routing, solving dependencies and wrapping ``send`` in middleware as the
registration's own Python takes (issue 22's profile: two thirds of the event loop's time per write). This
ASGI layer answers the common case itself — ``POST /metadata``, no root path, one ``Authorization`` header
whose Basic credentials ``CredentialCache`` holds, an XML (or untyped) UTF-8 body of a declared length within
the body limit — with the route's own function (``mds.register_document``, in the same thread pool), the
MDS error form (``mds_errors.mds_response``), BodyGuard's read timeout (408) and ``SecurityHeaders``' headers
for an answer to credentials. Everything else — first logins (hashing and the throttle), other types,
chunked or over-long bodies, repeated headers — goes to the full stack unchanged, before a byte of the body
is read. ``tests/api/test_mds_fast_path.py`` compares both.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from igsn_graph.settings import Settings

from ..auth import cached_principal
from ..bodies import parse_content_type
from ..limits import timed_receive
from ..mds_errors import mds_response
from ..security import COMMON, NO_STORE
from .mds import register_document

__all__ = ["FastPath"]

#: the request headers the fast path decides on; any of them twice: the full stack (it combines them)
_READ = (b"authorization", b"content-length", b"content-type", b"transfer-encoding")


class FastPath:
    """ASGI middleware outside the stack: answers ``POST /metadata`` with cached credentials (module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        #: requests answered here (the rest went to the full stack)
        self.answered = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] != "/metadata"
            or scope.get("root_path")
            or not self._takes(scope)
        ):
            await self.app(scope, receive, send)
            return
        settings: Settings = scope["app"].state.settings
        request = Request(scope, timed_receive(receive, settings.body_timeout_s))
        try:
            who = await cached_principal(request)
        except Exception:  # noqa: BLE001 - e.g. the accounts version unreadable: the full stack answers it its way
            who = None
        if who is None:  # a first login (hashed, throttled, then cached) or a 401: the full stack's
            await self.app(scope, receive, send)
            return
        self.answered += 1
        response: Response
        try:
            body = await request.body()
            response = await run_in_threadpool(register_document, request, who, body, None)
        except Exception as exc:  # noqa: BLE001 - every failure in the MDS form, as the full stack answers it
            response = mds_response(request, exc)
        present = {k for k, _ in response.raw_headers}
        response.raw_headers.extend((k, v) for k, v in COMMON if k not in present)
        if NO_STORE[0] not in present:
            response.raw_headers.append(NO_STORE)
        await response(scope, receive, send)

    @staticmethod
    def _takes(scope: Scope) -> bool:
        """Whether the headers leave nothing for the full stack to decide: one Basic ``Authorization``, a
        declared length within the limit, XML or no type, UTF-8."""
        seen: dict[bytes, bytes] = {}
        for key, value in scope["headers"]:
            key = key.lower()
            if key in _READ:
                if key in seen:
                    return False
                seen[key] = value
        declared = seen.get(b"content-length", b"").strip()
        if b"authorization" not in seen or b"transfer-encoding" in seen or not declared.isdigit():
            return False
        settings: Settings = scope["app"].state.settings
        if int(declared) > settings.max_body_bytes:
            return False
        given = parse_content_type(seen[b"content-type"].decode("latin-1")) if b"content-type" in seen else None
        # a charset without a media type is still checked (``; charset=iso-8859-1``: the full stack's 415)
        return given is None or ((given.media_type is None or given.xml) and given.utf8)
