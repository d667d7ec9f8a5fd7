"""Translation of core errors to HTTP: RFC 9457 problem+json for the JSON API (other surfaces add their tables)."""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from igsn_graph import errors

__all__ = ["install_error_handlers", "STATUS", "problem"]

log = logging.getLogger("igsn_graph.api")

#: core error class -> HTTP status, most specific first
STATUS: list[tuple[type[errors.IgsnGraphError], int]] = [
    (errors.NotAuthenticated, 401),
    (errors.QuotaExceeded, 403),
    (errors.NotAllowed, 403),
    (errors.NotFound, 404),
    (errors.Gone, 410),
    (errors.Conflict, 409),
    (errors.InvalidInput, 400),
    (errors.StoreBusy, 503),
    (errors.StorageFailure, 503),
]


def status_of(exc: errors.IgsnGraphError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def problem(status: int, title: str, detail: str, type_: str = "about:blank", **extra: object) -> JSONResponse:
    body = {"type": type_, "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def install_error_handlers(app: FastAPI) -> None:
    async def core_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, errors.IgsnGraphError)
        status = status_of(exc)
        extra: dict[str, object] = {}
        if isinstance(exc, errors.InvalidRecord):
            extra["violations"] = [str(v) for v in exc.violations]
        return problem(status, type(exc).__name__, exc.message,
                       f"https://w3id.org/igsn-graph/problems/{type(exc).__name__}", **extra)

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = uuid.uuid4().hex[:12]
        log.exception("unhandled error (request %s) on %s %s", request_id, request.method, request.url.path)
        return problem(500, "Internal Server Error", f"an unexpected error occurred (request {request_id})")

    app.add_exception_handler(errors.IgsnGraphError, core_error)
    app.add_exception_handler(Exception, unexpected)
