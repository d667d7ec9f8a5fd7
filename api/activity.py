"""Whether the server is answering requests: background work (a restamp) yields while it is.

``CountRequests`` is the outermost ASGI layer, outside even the fast paths: it counts in ``Requests`` the HTTP
requests that start and those not answered yet. Counted in the event loop's thread, read from the background
one (plain ints: a read sees a whole value).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["CountRequests", "Requests"]


class Requests:
    """The HTTP requests this process answers: how many started, how many are not answered yet."""

    def __init__(self) -> None:
        self.started = 0
        self.in_flight = 0
        self._seen = 0

    def busy(self) -> bool:
        """Requests are being answered, or came in since the last call (one caller: the restamp)."""
        started = self.started
        came, self._seen = started != self._seen, started
        return came or self.in_flight > 0


class CountRequests:
    """ASGI middleware counting every HTTP request in ``requests``."""

    def __init__(self, app: ASGIApp, requests: Requests) -> None:
        self.app = app
        self.requests = requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        counts = self.requests
        counts.started += 1
        counts.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            counts.in_flight -= 1
