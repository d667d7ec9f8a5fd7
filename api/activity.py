"""Whether the server is answering requests: background work (a restamp) yields while it is.

``CountRequests`` is the outermost ASGI layer, outside even the fast paths: it counts in ``Requests`` the HTTP
requests that start and those not answered yet, and the time during which at least one is in flight. Counted in
the event loop's thread, read from the background one (plain numbers: a read sees a whole value; a share read
while a request starts or ends may be off by that request, which is clamped).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["BUSY_SHARE", "CountRequests", "Requests"]

#: the share of the time with a request in flight from which background work yields: a load balancer's health
#: check every second (a millisecond each) does not slow a restamp down; a harvester's pages one after another or
#: a resolver's steady load do
BUSY_SHARE = 0.05


class Requests:
    """The HTTP requests this process answers: how many started, how many are not answered yet, and for how long
    at least one was in flight."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.started = 0
        self.in_flight = 0
        self._clock = clock
        self._served = 0.0  # seconds with a request in flight, up to the start of the current stretch
        self._since = 0.0  # when the current stretch (at least one request in flight) began
        self._asked = (clock(), 0.0)  # when the share was last asked, and the time served by then

    def begin(self) -> None:
        self.started += 1
        if self.in_flight == 0:
            self._since = self._clock()
        self.in_flight += 1

    def end(self) -> None:
        self.in_flight -= 1
        if self.in_flight == 0:
            self._served += self._clock() - self._since

    def share(self) -> float:
        """Of the time since it was last asked, the share during which a request was in flight (one caller: the
        restamp)."""
        now = self._clock()
        served = self._served + (now - self._since if self.in_flight else 0.0)
        at, before = self._asked
        self._asked = (now, served)
        return min(max((served - before) / (now - at), 0.0), 1.0) if now > at else float(self.in_flight > 0)

    def busy(self) -> bool:
        """Requests kept the server answering at least ``BUSY_SHARE`` of the time since it was last asked."""
        return self.share() >= BUSY_SHARE


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
        counts.begin()
        try:
            await self.app(scope, receive, send)
        finally:
            counts.end()
