"""/health: liveness and a few counts."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from igsn_graph.registry.service import Registry

from ..deps import get_registry

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    samples: int
    pending_writes: int
    repository_id: str
    iri_base: str


@router.get("/health", response_model=Health, summary="Service health")
def health(registry: Registry = Depends(get_registry)) -> Health:
    return Health(status="ok", samples=registry.count(), pending_writes=registry.journal.pending(),
                  repository_id=registry.repository_id, iri_base=registry.iris.base)
