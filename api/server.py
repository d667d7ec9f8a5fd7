"""The HTTP/1.1 protocols ``igsn-graph serve`` runs: uvicorn's, with a deadline for each request head.

Uvicorn closes a connection that is idle between requests (``timeout_keep_alive``), but waits for ever for the
first request on a new connection and for the rest of a head that has begun: a client that opens connections
and sends nothing, or one header line a minute, holds them all. Here a request's whole head must arrive within
``header_timeout_s`` of the connection opening or of the previous response, else the connection is closed
(after a 408 when part of a head had come). Pauses inside a body are bounded by ``api.limits.BodyGuard``, the
number of connections by uvicorn's ``limit_concurrency``; ``igsn_graph.cli`` sets all three from the settings.

``HeadTimeoutHttpTools`` (httptools, C) is what ``serve`` runs; ``serve --http h11`` runs ``HeadTimeoutProtocol``
(h11, pure Python), whose header handling was a quarter of a resolution's time in a profile (README, issue 22).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from igsn_graph.settings import Settings

__all__ = ["HeadTimeoutHttpTools", "HeadTimeoutProtocol"]

_MESSAGE = b"the request head did not arrive in time\n"
_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
    b"content-length: %d\r\n\r\n%s" % (len(_MESSAGE), _MESSAGE)
)


class _HeadDeadline:
    """The deadline itself, for either protocol: armed when a head is awaited, disarmed once it is complete."""

    #: seconds a request head may take; None: from the settings (the environment ``serve`` prepared), once
    header_timeout_s: float | None = None
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport

    def _init_deadline(self) -> None:
        if _HeadDeadline.header_timeout_s is None:
            _HeadDeadline.header_timeout_s = Settings.from_env().header_timeout_s
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_begun = False

    def _awaiting_head(self) -> bool:
        raise NotImplementedError

    def _arm(self) -> None:
        self._disarm()
        timeout = _HeadDeadline.header_timeout_s
        if timeout and timeout > 0:
            self._head_timer = self.loop.call_later(timeout, self._expired)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _expired(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or not self._awaiting_head():
            return
        if self._head_begun:
            self.transport.write(_TIMEOUT)
        self.transport.close()


class HeadTimeoutProtocol(_HeadDeadline, H11Protocol):
    """``H11Protocol`` that closes a connection whose request head is not complete in time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_deadline()

    def _awaiting_head(self) -> bool:
        return self.conn.their_state is h11.IDLE

    # narrower than asyncio.Protocol's BaseTransport, as uvicorn's own connection_made is
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def _arm(self) -> None:
        self._head_begun = False  # armed only while h11 is IDLE: nothing of the next head has come
        super()._arm()

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


class HeadTimeoutHttpTools(_HeadDeadline, HttpToolsProtocol):
    """``HttpToolsProtocol`` that closes a connection whose request head is not complete in time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_deadline()

    def _awaiting_head(self) -> bool:
        # armed only from a response's end (or the connection's start) to the next head's end
        return self.cycle is None or self.cycle.response_complete

    # narrower than asyncio.Protocol's BaseTransport, as uvicorn's own connection_made is
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        self._head_begun = True  # the first byte of a request line: a head has begun
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._disarm()  # the head is complete: the app (and BodyGuard) take over
        self._head_begun = False
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # self.cycle is the last request parsed: complete, so no pipelined one runs now
        if not self.transport.is_closing() and self.cycle.response_complete:
            self._arm()  # the next request's head (uvicorn's keep-alive timer covers an idle wait before it)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)
