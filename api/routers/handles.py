"""The handle-compatible REST API (/api/handles): HTTP ⇄ core calls, nothing more.

HTTP status per response code as the handle.net proxy answers: 1 → 200, 100 → 404, 200 → 200 (during
resolution), 102 and 301 → 400.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from igsn_graph import handles
from igsn_graph.registry.service import Registry

__all__ = ["router"]

router = APIRouter(tags=["handles"])

_STATUS = {
    handles.SUCCESS: 200,
    handles.NOT_FOUND: 404,
    handles.VALUES_NOT_FOUND: 200,
    handles.INVALID: 400,
    handles.NOT_RESPONSIBLE: 400,
}


@router.head("/api/handles/{handle:path}", include_in_schema=False)  # documented once, as GET
@router.get("/api/handles/{handle:path}", summary="Resolve an IGSN handle")
def resolve_handle(handle: str, request: Request) -> Response:
    """``/api/handles/10273/{IGSN}`` in the handle.net proxy's JSON shape; ``type=`` and ``index=`` filter."""
    registry: Registry = request.app.state.registry
    params = request.query_params
    indexes: list[int] = []
    for value in params.getlist("index"):
        try:
            indexes.append(int(value))
        except ValueError:
            return JSONResponse(
                {"responseCode": handles.INVALID, "handle": handle, "message": f"index is not a number: {value}"},
                status_code=400,
            )
    answer = handles.lookup(registry, handle, types=params.getlist("type"), indexes=indexes)
    status = _STATUS.get(answer.response_code, 400)
    response = JSONResponse(answer.body, status_code=status, headers={"Access-Control-Allow-Origin": "*"})
    if request.method == "HEAD":  # the GET's status and headers, no body
        return Response(b"", status_code=status, headers=dict(response.headers))
    return response
