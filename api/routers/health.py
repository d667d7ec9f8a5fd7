"""/health: liveness and a few counts. HEAD answers as GET does, without the body; other methods are a 405."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from igsn_graph.registry import restamp
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings

from ..deps import get_registry, get_settings
from ..errors import problem_responses
from ..negotiation import finish

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    samples: int
    pending_writes: int
    repository_id: str
    iri_base: str
    #: records still to be restamped after a writer, crosswalk or public-URL change (harvesters wait for them)
    restamp_pending: bool
    #: the registry serves reads only (setting, or a data folder that is not writable): every write is 503
    read_only: bool


@router.get("/health", response_model=Health, summary="Service health", responses=problem_responses(503))
def health(registry: Registry = Depends(get_registry), settings: Settings = Depends(get_settings)) -> Health:
    state = restamp.status(registry, settings.base_url)
    return Health(status="ok", samples=registry.count(), pending_writes=registry.journal.pending(),
                  repository_id=registry.repository_id, iri_base=registry.iris.base,
                  restamp_pending=state.pending or state.in_progress, read_only=registry.read_only)


@router.head("/health", include_in_schema=False)
def health_head(request: Request, registry: Registry = Depends(get_registry),
                settings: Settings = Depends(get_settings)) -> Response:
    # the GET's JSON (as FastAPI writes a response model), so Content-Length is the GET's
    return finish(request, JSONResponse(jsonable_encoder(health(registry, settings))))


# every other method: a 405 naming all the allowed ones (the framework's names those of one route only). A
# Response is an ASGI app, and a route to an ASGI app (not a function) matches every method.
_NOT_ALLOWED = JSONResponse({"detail": "Method Not Allowed"}, 405, headers={"Allow": "GET, HEAD"})
router.add_route("/health", _NOT_ALLOWED, include_in_schema=False)  # type: ignore[arg-type]
