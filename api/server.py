"""The HTTP/1.1 protocol ``igsn-graph serve`` runs: uvicorn's h11 protocol with a deadline for each request head.

Uvicorn closes a connection that is idle between requests (``timeout_keep_alive``), but waits for ever for the
first request on a new connection and for the rest of a head that has begun: a client that opens connections
and sends nothing, or one header line a minute, holds them all. Here a request's whole head must arrive within
``header_timeout_s`` of the connection opening or of the previous response, else the connection is closed
(after a 408 when part of a head had come). Pauses inside a body are bounded by ``api.limits.BodyGuard``, the
number of connections by uvicorn's ``limit_concurrency``; ``igsn_graph.cli`` sets all three from the settings.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from igsn_graph.settings import Settings

__all__ = ["HeadTimeoutProtocol"]

_MESSAGE = b"the request head did not arrive in time\n"
_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
    b"content-length: %d\r\n\r\n%s" % (len(_MESSAGE), _MESSAGE)
)


class HeadTimeoutProtocol(H11Protocol):
    """``H11Protocol`` that closes a connection whose request head is not complete in time."""

    #: seconds a request head may take; None: from the settings (the environment ``serve`` prepared), once
    header_timeout_s: float | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if type(self).header_timeout_s is None:
            type(self).header_timeout_s = Settings.from_env().header_timeout_s
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_begun = False

    # narrower than asyncio.Protocol's BaseTransport, as uvicorn's own connection_made is
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if data and self.conn.their_state is h11.IDLE:
            self._head_begun = True
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the head is complete: the app (and BodyGuard) take over
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm()  # the next request's head (uvicorn's keep-alive timer covers an idle wait before it)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._head_begun = False
        timeout = type(self).header_timeout_s
        if timeout and timeout > 0:
            self._head_timer = self.loop.call_later(timeout, self._expired)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _expired(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self._head_begun:
            self.transport.write(_TIMEOUT)
        self.transport.close()
