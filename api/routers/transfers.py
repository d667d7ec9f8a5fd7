"""Transfers over HTTP: an agent moves samples between its own clients (``POST /api/v1/transfers``); the
administrator moves them between agents through the admin API (``POST /api/v1/admin/transfers``, same body).

HTTP ⇄ ``registry.transfer.transfer``, nothing more: the samples named, or every one of a namespace with the
namespace, all or nothing; refusals as the JSON API's problem documents.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from igsn_graph.registry.accounts import Principal
from igsn_graph.registry.transfer import MAX_NAMES, transfer

from ..auth import principal
from ..deps import get_registry
from ..errors import problem_responses

__all__ = ["TransferIn", "TransferOut", "router", "run"]

router = APIRouter(tags=["JSON API"])

#: malformed (400), not logged in (401), not the caller's (403), unknown (404), receiver disabled (409), busy (503)
RESPONSES = problem_responses(400, 401, 403, 404, 409, 503)


class TransferIn(BaseModel):
    """The receiver and what moves: IGSNs, or a namespace (all of its samples and drafts, and the namespace)."""

    model_config = ConfigDict(extra="forbid")
    to: str = Field(description="the receiving agent, or client (AGENT.CLIENT)")
    names: list[str] | None = Field(default=None, max_length=MAX_NAMES, description="IGSNs in any written form")
    namespace: str | None = Field(default=None, description="moves every sample and draft of it, and itself")


class TransferOut(BaseModel):
    to: str
    moved: list[str]
    drafts: list[str]
    unchanged: list[str]
    namespace: str | None
    datestamp: str | None


def run(request: Request, who: Principal, body: TransferIn) -> TransferOut:
    done = transfer(get_registry(request), who, body.to, names=body.names, namespace=body.namespace)
    return TransferOut(
        to=done.to,
        moved=done.moved,
        drafts=done.drafts,
        unchanged=done.unchanged,
        namespace=done.namespace,
        datestamp=done.datestamp,
    )


@router.post(
    "/api/v1/transfers",
    response_model=TransferOut,
    responses=RESPONSES,
    summary="Move samples between the caller's (an agent's) clients: named ones, or a namespace with its samples",
)
def transfer_samples(body: TransferIn, request: Request, who: Principal = Depends(principal)) -> TransferOut:
    """An agent's own samples to one of its clients (or itself); the receiver must own each sample's namespace,
    or the transfer names the namespace, which then moves too. All or nothing; each sample gets a new version
    (``transferred``) and datestamp. Clients cannot transfer; between agents only the administrator can."""
    return run(request, who, body)
