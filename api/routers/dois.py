"""The DataCite REST API (JSON:API at ``/dois``, ``/prefixes``, ``/clients``), as the ``datacite`` package's
``DataCiteRESTClient`` and the repositories built on it (InvenioRDM, Dataverse) speak it: each route reads the
request (``api.jsonapi``), makes one call to the DOI model (``igsn_graph.dois``) and answers a JSON:API document.
"""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict

from igsn_graph.dois import resources, writes
from igsn_graph.errors import InvalidInput
from igsn_graph.registry import lifecycle
from igsn_graph.registry.accounts import Principal

from ..auth import optional_principal, principal
from ..deps import get_registry
from ..errors import problem_responses
from ..jsonapi import JsonApiError, document, json_body

__all__ = ["router"]

router = APIRouter(tags=["DataCite REST API"])


@router.post("/dois", status_code=201, summary="Create a DOI: a draft, or registered / findable with an event")
def create_doi(
    request: Request, who: Principal = Depends(principal), attributes: dict[str, Any] = Depends(json_body)
) -> JSONResponse:
    registry = get_registry(request)
    name = writes.create(registry, who, attributes)
    return document(resources.resource(registry, name), 201)


@router.put("/dois/{doi:path}", summary="Update a DOI (or create it): metadata, url, event")
def update_doi(
    doi: str, request: Request, who: Principal = Depends(principal), attributes: dict[str, Any] = Depends(json_body)
) -> JSONResponse:
    registry = get_registry(request)
    name = writes.put(registry, who, doi, attributes)
    return document(resources.resource(registry, name))


@router.delete("/dois/{doi:path}", status_code=204, summary="Delete a draft DOI")
def delete_doi(doi: str, request: Request, who: Principal = Depends(principal)) -> Response:
    writes.delete(get_registry(request), who, doi)
    return Response(status_code=204)


@router.get("/dois/{doi:path}/activities", summary="The changes of a DOI (PROV activities)")
def doi_activities(doi: str, request: Request, who: Principal | None = Depends(optional_principal)) -> JSONResponse:
    data = resources.activities(get_registry(request), who, doi)
    return document(data, meta={"total": len(data)})


@router.get("/dois/{doi:path}", summary="One DOI: its attributes, url and state")
def get_doi(doi: str, request: Request, who: Principal | None = Depends(optional_principal)) -> JSONResponse:
    return document(resources.shown(get_registry(request), who, doi))


def _page_size(request: Request) -> int:
    raw = request.query_params.get("page[size]", "25")
    if not raw.isdigit() or not 1 <= int(raw) <= 1000:
        raise JsonApiError(400, "page[size] must be a number from 1 to 1000")
    return int(raw)


def _cursor(request: Request) -> str:
    raw = request.query_params.get("page[cursor]")
    if not raw:
        return ""
    try:
        return base64.urlsafe_b64decode(raw.encode("ascii") + b"==").decode("utf-8")
    except (ValueError, UnicodeError):
        raise JsonApiError(400, "page[cursor] is not a cursor this API gave") from None


@router.get("/dois", summary="DOIs: findable ones, and the caller's in every state")
def list_dois(request: Request, who: Principal | None = Depends(optional_principal)) -> JSONResponse:
    size, q = _page_size(request), request.query_params
    data, more = resources.listed(
        get_registry(request),
        who,
        after=_cursor(request),
        size=size,
        prefix=q.get("prefix"),
        state=q.get("state"),
        client_id=q.get("client-id"),
        query=q.get("query"),
    )
    links: dict[str, str] = {"self": str(request.url)}
    if more:
        cursor = base64.urlsafe_b64encode(data[-1]["attributes"]["identifiers"][0]["identifier"].encode()).decode()
        links["next"] = str(request.url.include_query_params(**{"page[cursor]": cursor.rstrip("=")}))
    return document(data, meta={"total": None if more else len(data)}, links=links)


@router.get("/prefixes", summary="The DOI prefixes registered here, with their clients and providers")
def list_prefixes(request: Request) -> JSONResponse:
    data = resources.prefix_resources(get_registry(request))
    return document(data, meta={"total": len(data)})


@router.get("/clients/{client_id}", summary="One client (DataCite's repository): name, domains, prefixes")
def get_client(client_id: str, request: Request) -> JSONResponse:
    return document(resources.client_resource(get_registry(request), client_id))  # NotFound: 404


# -- reservations (the JSON API's door to drafts) ------------------------------------------------------
class ReserveIn(BaseModel):
    """A count and a namespace pattern, or the names."""

    model_config = ConfigDict(extra="forbid")
    count: int | None = None
    pattern: str | None = None
    names: list[str] | None = None


class ReserveOut(BaseModel):
    reserved: list[str]
    state: str


@router.post(
    "/api/v1/samples/reserve",
    status_code=201,
    tags=["JSON API"],
    response_model=ReserveOut,
    responses=problem_responses(400, 401, 403, 409, 413, 415, 503),
    summary="Reserve names as drafts: a count and a namespace pattern, or the names",
)
def reserve_samples(body: ReserveIn, request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    """``{"count": 3, "pattern": "ZTA-2024-####"}`` (a run of ``#`` numbers the names from the first free one;
    a pattern without ``#`` is a namespace, numbered with five digits) or ``{"names": ["ZTA0001", …]}``. The names
    are drafts (DataCite's reserved state): owned, counted against the quota, nowhere public, deleted through
    ``DELETE /dois/{doi}``, described and published through ``PUT /dois/{doi}``. All or none."""
    registry = get_registry(request)
    if body.names is not None:
        written = body.names
    else:
        if body.count is None or not body.pattern or not body.pattern.strip():
            raise InvalidInput("give count and pattern (a namespace pattern such as ZTA-2024-####), or names")
        pattern = body.pattern if "#" in body.pattern else body.pattern + "#####"
        written = lifecycle.pattern_names(registry, pattern, body.count)
    drafts = lifecycle.reserve_names(registry, who, [registry.parse(n) for n in written])
    return JSONResponse({"reserved": [d.igsn for d in drafts], "state": lifecycle.DRAFT}, status_code=201)
