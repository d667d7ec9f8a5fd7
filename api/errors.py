"""Translation of core errors to HTTP: RFC 9457 problem+json for the JSON API (other surfaces add their tables).

Every error under ``/api/`` is ``application/problem+json`` — core errors, HTTP-level refusals
(``ApiProblem``: 406, 413, 415), unknown routes and methods, malformed parameters. Other paths keep
FastAPI's own answers for routing errors (the resolver and the protocol routers rely on them).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from igsn_graph import errors
from igsn_graph.registry.service import PreconditionFailed

from .auth.basic import REALM

__all__ = [
    "PROBLEM_JSON",
    "STATUS",
    "ApiProblem",
    "ProblemModel",
    "ViolationModel",
    "install_error_handlers",
    "problem",
    "problem_responses",
    "problem_type",
    "retry_after",
    "status_in",
    "status_of",
    "violation_json",
]

log = logging.getLogger("igsn_graph.api")

PROBLEM_JSON = "application/problem+json"
_TYPE_BASE = "https://w3id.org/igsn-graph/problems/"

#: core error class -> HTTP status, most specific first
STATUS: list[tuple[type[errors.IgsnGraphError], int]] = [
    (errors.NotAuthenticated, 401),
    (errors.LoginThrottled, 429),
    (errors.QuotaExceeded, 403),
    (errors.NotAllowed, 403),
    (errors.NotFound, 404),
    (errors.Gone, 410),
    (PreconditionFailed, 412),
    (errors.Conflict, 409),
    # another party's namespace or DOI prefix: a refusal here (the MDS words it as a 400)
    (errors.NamespaceNotAllowed, 403),
    (errors.InvalidInput, 400),
    (errors.StoreBusy, 503),
    (errors.StorageFailure, 503),
]

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    410: "Gone",
    412: "Precondition Failed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class ViolationModel(BaseModel):
    """One reason a record was refused: where (XML element or property IRI), why, and the offending value."""

    path: str | None = None
    message: str
    value: str | None = None
    focusNode: str | None = None


class ProblemModel(BaseModel):
    """RFC 9457 problem details, with the SHACL violations of an invalid record."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str
    igsn: str | None = None
    violations: list[ViolationModel] | None = None


_PROBLEM_REF = "#/components/schemas/ProblemModel"


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries (for a route's ``responses=``) of the problem+json answers it may give.

    Only ``application/problem+json`` is documented: no error of the JSON API is plain ``application/json``.
    """
    return {
        status: {
            "description": _TITLES.get(status, "Error"),
            "content": {PROBLEM_JSON: {"schema": {"$ref": _PROBLEM_REF}}},
        }
        for status in statuses
    }


class ApiProblem(Exception):
    """An HTTP-level refusal of the JSON API that no core error expresses (406, 413, 415…)."""

    def __init__(
        self, status: int, detail: str, *, name: str | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.name = name or _TITLES.get(status, "Error").replace(" ", "")
        self.headers = dict(headers or {})


def status_in(table: list[tuple[type[errors.IgsnGraphError], int]], exc: errors.IgsnGraphError) -> int:
    """The status of the first class in a surface's ``table`` that ``exc`` is an instance of; 500 for none."""
    return next((status for cls, status in table if isinstance(exc, cls)), 500)


def status_of(exc: errors.IgsnGraphError) -> int:
    """The JSON API's status for a core error (``STATUS``)."""
    return status_in(STATUS, exc)


def problem_type(name: str) -> str:
    return _TYPE_BASE + name


def problem(
    status: int,
    title: str,
    detail: str,
    type_: str = "about:blank",
    *,
    headers: Mapping[str, str] | None = None,
    **extra: object,
) -> JSONResponse:
    body = {"type": type_, "title": title, "status": status, "detail": detail, **extra}
    all_headers = dict(headers or {})
    if status == 401:
        all_headers.setdefault("WWW-Authenticate", f'Basic realm="{REALM}", charset="UTF-8"')
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=all_headers)


def violation_json(violation: Any) -> dict[str, Any]:
    """One SHACL violation as the API lists it: where (the XML element, else the property IRI), why, what value."""
    message = getattr(violation, "message", None)
    if message is None:  # a reason given as text
        return {"path": None, "message": str(violation), "value": None}
    return {
        "path": violation.element or violation.path,
        "message": message,
        "value": violation.value,
        "focusNode": violation.focus_node,
    }


def _core_problem(exc: errors.IgsnGraphError) -> JSONResponse:
    status = status_of(exc)
    name = type(exc).__name__
    extra: dict[str, object] = {}
    igsn = exc.data.get("igsn")
    if isinstance(igsn, str):
        extra["igsn"] = igsn
    if isinstance(exc, errors.InvalidRecord):
        extra["violations"] = [violation_json(v) for v in exc.violations]
    if isinstance(exc, errors.MalformedDocument) and exc.line is not None:
        extra["line"], extra["column"] = exc.line, exc.column
    detail = exc.message
    headers = retry_after(exc)
    # a ReadOnly refusal's text is written for the caller (the registry logged it)
    if isinstance(exc, errors.StorageFailure) and not isinstance(exc, (errors.StoreBusy, errors.ReadOnly)):
        log.error("storage failure: %s", exc.message)
        detail = "storage failure: the operation was not acknowledged, please try again"
    return problem(status, _TITLES.get(status, name), detail, problem_type(name), headers=headers, **extra)


def retry_after(exc: errors.IgsnGraphError) -> dict[str, str]:
    """The ``Retry-After`` header a refusal asks for (a throttled login), else none."""
    seconds = exc.data.get("retry_after")
    return {"Retry-After": str(int(seconds))} if isinstance(seconds, (int, float)) else {}


def _is_api_path(request: Request) -> bool:
    path: str = request.scope.get("path", "")
    return path == "/api" or path.startswith("/api/")


def _document_invalid_requests(app: FastAPI) -> None:
    """Makes the OpenAPI document say what ``invalid_request`` does under ``/api/``: a malformed request is a
    400 problem, never the 422 FastAPI lists for every operation with parameters or a body."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        if "ProblemModel" not in schemas:
            # pydantic nests ViolationModel under $defs; the document keeps every schema in components
            problem_schema = ProblemModel.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(problem_schema.pop("$defs", {}))
            schemas["ProblemModel"] = problem_schema
        for path, item in document.get("paths", {}).items():
            if path != "/api" and not path.startswith("/api/"):
                continue
            for operation in item.values():
                responses = operation.get("responses", {})
                if responses.pop("422", None) is not None:
                    responses.setdefault("400", problem_responses(400)[400])
                if "401" in responses:  # whoever checks a password may answer a throttled login
                    responses.setdefault(
                        "429",
                        {
                            **problem_responses(429)[429],
                            "headers": {
                                "Retry-After": {
                                    "description": "seconds until the next attempt",
                                    "schema": {"type": "integer"},
                                }
                            },
                        },
                    )
        return document

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise the schema


def install_error_handlers(app: FastAPI) -> None:
    async def core_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, errors.IgsnGraphError)
        return _core_problem(exc)

    async def api_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiProblem)
        return problem(
            exc.status, _TITLES.get(exc.status, exc.name), exc.detail, problem_type(exc.name), headers=exc.headers
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not _is_api_path(request):
            return await http_exception_handler(request, exc)
        title = _TITLES.get(exc.status_code, "Error")
        return problem(exc.status_code, title, str(exc.detail), headers=exc.headers)

    async def invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if not _is_api_path(request):
            return await request_validation_exception_handler(request, exc)
        problems = [
            {"path": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", ""), "value": None}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{p['path']}: {p['message']}" for p in problems) or "malformed request"
        return problem(400, "Bad Request", detail, problem_type("InvalidRequest"), violations=problems)

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = uuid.uuid4().hex[:12]
        log.exception("unhandled error (request %s) on %s %s", request_id, request.method, request.url.path)
        return problem(500, "Internal Server Error", f"an unexpected error occurred (request {request_id})")

    _document_invalid_requests(app)
    app.add_exception_handler(errors.IgsnGraphError, core_error)
    app.add_exception_handler(ApiProblem, api_problem)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(Exception, unexpected)
