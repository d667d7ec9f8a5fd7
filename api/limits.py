"""Request bodies: one size limit and one read timeout for every endpoint, applied while the body streams in.

Every body the app reads passes through ``BodyGuard``, a pure ASGI middleware around ``receive``: a body that
declares a larger ``Content-Length`` is refused before any of it is read, a chunked one as soon as the bytes
read pass the limit, so no more than the limit is ever held, whichever router, dependency or FastAPI model
reads it (the SPARQL form, an admin JSON body, an MDS document). A client that stops sending in the middle of
its body is answered 408 after ``timeout_s``. Both refusals are ``HTTPException`` subclasses, which FastAPI
lets through its own body parsing, and carry ``Connection: close``, so the rest of the body is never read.
``install_body_errors`` answers them in each surface's form: plain text on the MDS paths, problem+json
under ``/api/``, one line of plain text elsewhere (the SPARQL Protocol's error form).

Not FastAPI's ``max_body_size``: Starlette's limiter answers every response of an over-long declared body with
its own plain ``Content Too Large`` (a 401 due before the body is read included) and has no read timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import problem, problem_type
from .mds_errors import is_mds_path

__all__ = [
    "BodyGuard",
    "BodyRefused",
    "body_stopped",
    "install_body_errors",
    "read_body",
    "timed_receive",
    "too_large",
]

_NAMES = {408: "RequestTimeout", 413: "ContentTooLarge"}
_TITLES = {408: "Request Timeout", 413: "Content Too Large"}


class BodyRefused(HTTPException):
    """A request body refused while it was being read: 413 (too large) or 408 (the client stopped sending)."""

    def __init__(self, status: int, detail: str) -> None:
        # the unread rest of the body must not be read (nor the connection reused with it pending)
        super().__init__(status, detail, headers={"Connection": "close"})


def too_large(limit: int) -> BodyRefused:
    return BodyRefused(413, f"request body is larger than {limit} bytes")


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


class BodyGuard:
    """ASGI middleware: the body's size limit and read timeout, counted on what ``receive`` hands the app."""

    def __init__(self, app: ASGIApp, *, limit: int, timeout_s: float | None = None) -> None:
        self.app = app
        self.limit = limit
        self.timeout_s = timeout_s if timeout_s and timeout_s > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        read = 0
        finished = False

        async def guarded() -> Message:
            nonlocal read, finished
            if finished:  # after the body only a disconnect can come: no limit, no timeout
                return await receive()
            if declared is not None and declared > self.limit:
                raise too_large(self.limit)  # before a byte is read (nor 100-continue sent)
            message = await self._next(receive)
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > self.limit:
                    raise too_large(self.limit)
                finished = not message.get("more_body", False)
            else:
                finished = True
            return message

        await self.app(scope, guarded, send)

    async def _next(self, receive: Receive) -> Message:
        if self.timeout_s is None:
            return await receive()
        with anyio.move_on_after(self.timeout_s):
            return await receive()
        raise BodyRefused(408, body_stopped(self.timeout_s))


def body_stopped(timeout_s: float) -> str:
    """What a 408 says: the body stopped arriving."""
    return f"the request body stopped arriving: nothing came for {timeout_s:g} s"


def timed_receive(
    receive: Receive, timeout_s: float | None, refusal: Callable[[str], Exception] = lambda m: BodyRefused(408, m)
) -> Receive:
    """``receive`` with BodyGuard's read timeout on the body, for the fast paths that run outside it: ``refusal``
    of ``body_stopped``'s text is raised when nothing came in time (each fast path answers it in its own form)."""
    if not timeout_s or timeout_s <= 0:
        return receive
    finished = False

    async def timed() -> Message:
        nonlocal finished
        if finished:  # after the body only a disconnect can come: no timeout
            return await receive()
        try:
            async with asyncio.timeout(timeout_s):
                message = await receive()
        except TimeoutError:
            raise refusal(body_stopped(timeout_s)) from None
        finished = message["type"] != "http.request" or not message.get("more_body", False)
        return message

    return timed


async def read_body(request: Request, limit: int | None = None) -> bytes:
    """The request body; 413 (``BodyRefused``) as soon as it exceeds ``limit`` (default: the app's body limit).

    ``BodyGuard`` holds every body to the app's limit already; a smaller ``limit`` is for endpoints whose
    bodies are short by nature (OAI-PMH arguments).
    """
    if limit is None:
        limit = int(request.app.state.settings.max_body_bytes)
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large(limit)
    return bytes(body)


Handler = Callable[[Request, Exception], Awaitable[Response] | Response]


def install_body_errors(app: FastAPI) -> None:
    """Answers ``BodyRefused`` in the surface's form; call after the other error tables are installed."""
    previous = app.exception_handlers.get(HTTPException)

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BodyRefused)
        path = request.url.path
        if is_mds_path(request) and previous is not None:
            answer = previous(request, exc)
            return answer if isinstance(answer, Response) else await answer
        if path == "/api" or path.startswith("/api/"):
            name = _NAMES.get(exc.status_code, "Error")
            return problem(
                exc.status_code,
                _TITLES.get(exc.status_code, "Error"),
                exc.detail,
                problem_type(name),
                headers=exc.headers,
            )
        return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)

    app.add_exception_handler(BodyRefused, refused)
