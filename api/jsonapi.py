"""JSON:API as the DataCite REST API speaks it (support.datacite.org/reference): ``{"data": {"type": "dois",
"attributes": {...}}}`` in and out, ``application/vnd.api+json``, refusals as JSON:API error objects
(``{"errors": [{"status", "title", "source": {"pointer"}}]}``) on the paths of that API (``/dois``, ``/prefixes``,
``/clients``), whatever raised them."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from igsn_graph import errors
from igsn_graph.dois import DraftsOnly, Unprocessable
from igsn_graph.dois.writes import EVENTS

from . import limits
from .bodies import content_type
from .errors import status_of

__all__ = ["JSONAPI", "JsonApiError", "document", "error_response", "install_errors", "json_body"]

JSONAPI = "application/vnd.api+json"
_PATH = re.compile(r"/(?:dois|prefixes|clients)(?:/.*)?", re.DOTALL)
_TITLES = {
    400: "Bad Request",
    401: "Bad credentials",
    403: "You are not authorized to access this resource.",
    404: "The resource you are looking for doesn't exist.",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    412: "Precondition failed",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Unprocessable entity",
    429: "Too many requests",
    503: "Service unavailable",
}


class JsonApiError(Exception):
    """A refusal of this API that no core error expresses (422, 405…), with where in the request it lies."""

    def __init__(self, status: int, title: str, pointer: str | None = None) -> None:
        super().__init__(title)
        self.status, self.title, self.pointer = status, title, pointer


def _errors(
    status: int, items: Sequence[tuple[str, str | None]], headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = {
        "errors": [
            {"status": str(status), "title": title, **({"source": {"pointer": pointer}} if pointer else {})}
            for title, pointer in items
        ]
    }
    all_headers = dict(headers or {})
    if status == 401:
        all_headers["WWW-Authenticate"] = 'Basic realm="igsn-graph"'
    return JSONResponse(body, status_code=status, media_type=JSONAPI, headers=all_headers)


def _pointer(message: str) -> str | None:
    """The JSON pointer a reader's message starts with (``/data/attributes/…: reason``), if any."""
    head = message.split(":", 1)[0]
    return head if head.startswith("/data") else None


def error_response(exc: Exception) -> Response:
    """Any exception raised while serving this API, as JSON:API error objects."""
    if isinstance(exc, JsonApiError):
        return _errors(exc.status, [(exc.title, exc.pointer)])
    if isinstance(exc, Unprocessable):
        return _errors(422, [(exc.message, exc.data.get("pointer"))])
    if isinstance(exc, DraftsOnly):
        return _errors(405, [(exc.message, None)])
    if isinstance(exc, errors.IgsnGraphError):
        status = status_of(exc)
        if isinstance(exc, errors.InvalidRecord) and exc.violations:
            items = [
                (
                    f"{getattr(v, 'element', None) or getattr(v, 'path', '')}: {getattr(v, 'message', v)}",
                    "/data/attributes",
                )
                for v in exc.violations
            ]
            return _errors(422, items)
        pointer = (
            exc.data.get("pointer")
            or _pointer(exc.message)
            or ("/data/attributes/xml" if isinstance(exc, errors.MalformedDocument) else None)
        )
        seconds = exc.data.get("retry_after")
        headers = {"Retry-After": str(int(seconds))} if isinstance(seconds, (int, float)) else None
        if status >= 500 and not isinstance(exc, (errors.StoreBusy, errors.ReadOnly)):
            return _errors(status, [("storage failure: the operation was not acknowledged, please try again", None)])
        return _errors(status, [(exc.message, pointer)], headers)
    if isinstance(exc, StarletteHTTPException):
        return _errors(exc.status_code, [(_TITLES.get(exc.status_code, str(exc.detail)), None)], exc.headers)
    if isinstance(exc, RequestValidationError):
        return _errors(400, [(e.get("msg", "malformed request"), None) for e in exc.errors()] or [("malformed", None)])
    return _errors(500, [("an unexpected error occurred", None)])


def install_errors(app: FastAPI) -> None:
    """Answers errors on this API's paths as JSON:API error objects; other paths keep the handlers before."""
    Handler = Callable[[Request, Exception], Awaitable[Response] | Response]

    def wrap(previous: Handler | None) -> Callable[[Request, Exception], Awaitable[Response]]:
        async def handle(request: Request, exc: Exception) -> Response:
            if _PATH.fullmatch(request.scope.get("path", "")) or previous is None:
                if (
                    not isinstance(
                        exc, (errors.IgsnGraphError, JsonApiError, StarletteHTTPException, RequestValidationError)
                    )
                    and previous is not None
                ):
                    return await _call(previous, request, exc)  # logged with a request id as everywhere
                return error_response(exc)
            return await _call(previous, request, exc)

        return handle

    for cls in (errors.IgsnGraphError, StarletteHTTPException, RequestValidationError, Exception):
        app.add_exception_handler(cls, wrap(app.exception_handlers.get(cls)))
    app.add_exception_handler(JsonApiError, wrap(None))


async def _call(
    handler: Callable[[Request, Exception], Awaitable[Response] | Response], request: Request, exc: Exception
) -> Response:
    result = handler(request, exc)
    return await result if inspect.isawaitable(result) else result


def document(data: object, status: int = 200, **extra: object) -> JSONResponse:
    """A JSON:API document of ``data`` (and ``meta``, ``links``…)."""
    return JSONResponse({"data": data, **extra}, status_code=status, media_type=JSONAPI)


async def json_body(request: Request) -> dict[str, Any]:
    """``data.attributes`` of a JSON:API body (``application/vnd.api+json`` or ``application/json``)."""
    media = content_type(request).media_type
    if media and media not in (JSONAPI, "application/json"):
        raise JsonApiError(415, f"Content-Type {media} is not supported: send {JSONAPI}")
    raw = await limits.read_body(request)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise JsonApiError(400, "the body is not valid JSON", "") from None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise JsonApiError(400, "the body must be a JSON:API document with a data object", "/data")
    if data.get("type") not in (None, "dois"):
        raise JsonApiError(409, f"type must be dois, not {data.get('type')!r}", "/data/type")
    attributes = data.get("attributes", {})
    if not isinstance(attributes, dict):
        raise JsonApiError(400, "attributes must be an object", "/data/attributes")
    event = attributes.get("event")
    if event is not None and event not in EVENTS:
        raise JsonApiError(422, f"event must be one of {', '.join(EVENTS)}", "/data/attributes/event")
    url = attributes.get("url")
    if url is not None and not isinstance(url, str):
        raise JsonApiError(422, "url must be a string", "/data/attributes/url")
    return attributes
