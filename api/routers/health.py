"""/health: liveness and a few counts. HEAD answers as GET does, without the body; other methods are a 405."""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter, Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from igsn_graph.registry import restamp
from igsn_graph.registry.lease import held_jobs
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings

from ..deps import get_registry, get_settings, sparql_pool
from ..errors import problem_responses
from ..negotiation import finish

router = APIRouter(tags=["health"])


class SparqlHealth(BaseModel):
    """Saturation of the SPARQL endpoint's query workers (zeros until the first query)."""

    #: worker processes alive, those evaluating a query, and how many may evaluate at once
    workers: int = 0
    busy: int = 0
    limit: int = 0
    #: queries waiting for a worker
    queued: int = 0
    #: queries stopped (past the time limit, or their client went away), since start
    killed: int = 0
    #: queries refused since start: the client had too many (429), or the endpoint was saturated (503)
    refused_client: int = 0
    refused_busy: int = 0
    #: every worker is busy: new queries wait or are refused
    saturated: bool = False


def _sparql(request: Request) -> SparqlHealth:
    pool = sparql_pool(request)
    if pool is None:
        return SparqlHealth(limit=request.app.state.registry.settings.sparql_workers)
    stats = pool.stats()
    return SparqlHealth(
        workers=stats["workers"],
        busy=stats["busy"],
        limit=stats["limit"],
        queued=stats["queued"],
        killed=stats["killed"],
        refused_client=stats["refused_client"],
        refused_busy=stats["refused_busy"],
        saturated=stats["busy"] >= stats["limit"],
    )


class RestampHealth(BaseModel):
    """A restamp run by this server (``registry.restamp``): how far, how fast, and when it is expected to end."""

    running: bool
    #: records stamped so far, and how many the run had to stamp when it started
    done: int
    total: int
    #: UTC, whole seconds
    started: str
    records_per_s: float
    #: while running: the expected end at the current rate; afterwards, when it ended
    expected_end: str | None


def _restamp(request: Request) -> RestampHealth | None:
    restamper = getattr(request.app.state, "restamper", None)
    progress = restamper.progress() if restamper is not None else None
    return RestampHealth(**dataclasses.asdict(progress)) if progress is not None else None


class Health(BaseModel):
    #: "ok", or "degraded" while SPARQL is saturated (the rest of the service still answers)
    status: str
    samples: int
    pending_writes: int
    repository_id: str
    iri_base: str
    #: records still to be restamped after a writer, crosswalk or code-list change (harvesters wait for them);
    #: never after a public-URL change: no document names the public URL
    restamp_pending: bool
    #: the restamp this server runs or ran since it started (null: none)
    restamp: RestampHealth | None = None
    #: the registry serves reads only (setting, or a data folder that is not writable): every write is 503
    read_only: bool
    sparql: SparqlHealth
    #: on PostgreSQL (nodes sharing the registry): the background jobs whose lease this node holds, so it runs
    #: them (``registry.lease``); null on SQLite, where the one server runs every job
    leases: list[str] | None = None


@router.get("/health", response_model=Health, summary="Service health", responses=problem_responses(503))
def health(
    request: Request, registry: Registry = Depends(get_registry), settings: Settings = Depends(get_settings)
) -> Health:
    state = restamp.status(registry)
    sparql = _sparql(request)
    return Health(
        status="degraded" if sparql.saturated else "ok",
        samples=registry.count(),
        pending_writes=registry.journal.pending(),
        repository_id=registry.repository_id,
        iri_base=registry.iris.base,
        restamp_pending=state.pending or state.in_progress,
        read_only=registry.read_only,
        sparql=sparql,
        restamp=_restamp(request),
        leases=held_jobs(registry.db.url) if registry.db.url is not None else None,
    )


@router.head("/health", include_in_schema=False)
def health_head(
    request: Request, registry: Registry = Depends(get_registry), settings: Settings = Depends(get_settings)
) -> Response:
    # the GET's JSON (as FastAPI writes a response model), so Content-Length is the GET's
    return finish(request, JSONResponse(jsonable_encoder(health(request, registry, settings))))


# every other method: a 405 naming all the allowed ones (the framework's names those of one route only). A
# Response is an ASGI app, and a route to an ASGI app (not a function) matches every method.
_NOT_ALLOWED = JSONResponse({"detail": "Method Not Allowed"}, 405, headers={"Allow": "GET, HEAD"})
# a Response is an ASGI app; Starlette types a route endpoint as a function
router.add_route("/health", _NOT_ALLOWED, include_in_schema=False)  # type: ignore[arg-type]
