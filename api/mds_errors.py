"""The MDS error contract: core exception → status and one line of plain text, on MDS paths only
(``/igsn``, ``/metadata`` and DataCite's ``/doi``).

The MDS answered every error with ``response.sendError(status, message)``: one line of text, no JSON.
Other paths keep the problem+json handlers of ``api.errors``; ``install_mds_errors`` wraps them so the
choice is made per request path.
"""

from __future__ import annotations

import inspect
import logging
import re
import uuid
from typing import Awaitable, Callable, Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from igsn_graph import errors

from . import testmode
from .auth.basic import REALM
from .errors import retry_after, status_in

__all__ = [
    "STATUS",
    "TEST_MODE_SUFFIX",
    "MdsRefusal",
    "status_of",
    "message_of",
    "one_line",
    "with_test_mode",
    "reword_not_found",
    "is_mds_path",
    "mds_response",
    "install_mds_errors",
    "GET_METADATA_NOT_FOUND",
    "DELETE_METADATA_NOT_FOUND",
    "GET_DOI_NOT_FOUND",
]

log = logging.getLogger("igsn_graph.api.mds")

TEST_MODE_SUFFIX = " (only test mode!)"

#: core error class → HTTP status, most specific first (the MDS contract, IGSN.md §2.1–2.2)
STATUS: list[tuple[type[errors.IgsnGraphError], int]] = [
    (errors.NotAuthenticated, 401),
    (errors.LoginThrottled, 429),
    (errors.QuotaExceeded, 403),
    # the MDS treats a URL outside the datacentre's domains as a validation error, not a refusal
    (errors.DomainNotAllowed, 400),
    (errors.NotAllowed, 403),
    (errors.NotFound, 404),
    (errors.Gone, 410),
    # the only conflict on this surface is ``handle.metadataRequired``: 412
    (errors.Conflict, 412),
    (errors.InvalidInput, 400),
    (errors.StoreBusy, 503),
    (errors.StorageFailure, 503),  # the store failed and nothing was kept: try again later
]

#: per-route wording of 404s where the contract words them differently from the core
GET_METADATA_NOT_FOUND: Mapping[str, str] = {"IGSN not found": "IGSN is unknown to MDS"}
DELETE_METADATA_NOT_FOUND: Mapping[str, str] = {
    "IGSN not found": "IGSN doesn't exist",
    "no metadata for the IGSN": "Metadata doesn't exist",
}
GET_DOI_NOT_FOUND: Mapping[str, str] = {"IGSN not found": "DOI not found"}

_MAX_MESSAGE = 4000
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
# the IGSN MDS resources and DataCite's /doi
_MDS_PATH = re.compile(r"/(?:igsn|metadata|doi)(?:/.*)?", re.S)


class MdsRefusal(Exception):
    """An HTTP-level refusal of the MDS surface that no core error expresses (413, 415, …)."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def status_of(exc: errors.IgsnGraphError) -> int:
    """The MDS status for a core error (``STATUS``)."""
    return status_in(STATUS, exc)


def one_line(text: str) -> str:
    """Control characters (newlines included) become spaces; very long texts are cut."""
    text = _CONTROLS.sub(" ", text).strip()
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


_PREFIX_NOT_ALLOWED = "IGSN prefix is not allowed"


def _identifier_message(exc: errors.InvalidIdentifier) -> str:
    if exc.reason == "whitespace":
        return "IGSN must not contain any spaces"
    if exc.reason == "doi_prefix":
        return f"{_PREFIX_NOT_ALLOWED}: {exc.message}"
    if exc.message.startswith("malformed IGSN"):
        return exc.message
    return f"malformed IGSN: {exc.message}"


def message_of(exc: errors.IgsnGraphError) -> str:
    """The one-line text for a core error, in the contract's wording where it has one."""
    if isinstance(exc, errors.InvalidIdentifier):
        return one_line(_identifier_message(exc))
    if isinstance(exc, errors.NamespaceNotAllowed) and not exc.message.startswith(_PREFIX_NOT_ALLOWED):
        # the contract words every refused prefix so (a DOI prefix of another owner included)
        return one_line(f"{_PREFIX_NOT_ALLOWED}: {exc.message}")
    if isinstance(exc, errors.InvalidRecord):
        return one_line("; ".join(exc.reasons()))
    if isinstance(exc, errors.MalformedDocument) and exc.line is not None:
        return one_line(f"{exc.message} (line {exc.line}, column {exc.column})")
    if isinstance(exc, errors.StoreBusy):
        return "the registry is busy, please try again"
    if isinstance(exc, errors.ReadOnly):
        return one_line(exc.message)  # written for the caller: says why and names no files
    if isinstance(exc, errors.StorageFailure):
        # the core's text may name files; callers only need to know nothing was acknowledged
        return "storage failure: the operation was not acknowledged, please try again"
    return one_line(exc.message)


def reword_not_found(exc: errors.NotFound, wording: Mapping[str, str]) -> errors.NotFound:
    """The same 404 in a route's own contract wording (``IGSN is unknown to MDS`` …)."""
    text = wording.get(exc.message)
    return exc if text is None else errors.NotFound(text, **exc.data)


def with_test_mode(message: str, test_mode: bool) -> str:
    return message + TEST_MODE_SUFFIX if test_mode else message


def _test_mode(request: Request) -> bool:
    return testmode.test_mode(request, strict=False)  # wording an error: an unknown value is no test


def _text(status: int, message: str, headers: Mapping[str, str] | None = None) -> PlainTextResponse:
    all_headers = dict(headers or {})
    if status == 401:
        all_headers["WWW-Authenticate"] = f'Basic realm="{REALM}"'
    return PlainTextResponse(message, status_code=status, headers=all_headers)


def mds_response(request: Request, exc: Exception) -> Response:
    """The plain-text response for any exception raised while serving an MDS path."""
    if isinstance(exc, errors.IgsnGraphError):
        status = status_of(exc)
        message = message_of(exc)
        if status == 412:
            # the MDS builds this one with makeResponseMessage, test-mode suffix included
            message = with_test_mode(message, _test_mode(request))
        if status >= 500:
            log.error("MDS %s %s failed: %s", request.method, request.url.path, exc.message)
        return _text(status, message, retry_after(exc))
    if isinstance(exc, MdsRefusal):
        return _text(exc.status, one_line(exc.message), exc.headers)
    if isinstance(exc, StarletteHTTPException):
        return _text(exc.status_code, one_line(str(exc.detail)), exc.headers)
    if isinstance(exc, RequestValidationError):
        return _text(400, "malformed request")
    request_id = uuid.uuid4().hex[:12]
    log.exception("unhandled error (request %s) on %s %s", request_id, request.method, request.url.path, exc_info=exc)
    return _text(500, f"uncaught exception (request {request_id})")


def is_mds_path(request: Request) -> bool:
    path: str = request.scope.get("path", "")
    root: str = request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return _MDS_PATH.fullmatch(path) is not None


Handler = Callable[[Request, Exception], Awaitable[Response] | Response]


def install_mds_errors(app: FastAPI) -> None:
    """Answers errors on MDS paths in plain text; other paths keep the handlers installed before."""

    def wrap(previous: Handler | None) -> Callable[[Request, Exception], Awaitable[Response]]:
        async def handle(request: Request, exc: Exception) -> Response:
            if is_mds_path(request) or previous is None:
                return mds_response(request, exc)
            result = previous(request, exc)
            return await result if inspect.isawaitable(result) else result

        return handle

    for cls in (errors.IgsnGraphError, StarletteHTTPException, RequestValidationError, Exception):
        app.add_exception_handler(cls, wrap(app.exception_handlers.get(cls)))
    # raised only by the MDS router
    app.add_exception_handler(MdsRefusal, wrap(None))
