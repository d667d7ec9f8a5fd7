"""The relations API (ancestors, descendants, related, by identifier, by agent): HTTP ⇄ core calls, nothing more.

Sample paths accept every written form of an IGSN, including the handle form ``10273/NAME`` (hence the
``path`` converter with a fixed suffix). Only public facts are answered: a sample the public cannot
see is 404 (410 when deactivated).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from igsn_graph import relations
from igsn_graph.errors import InvalidInput
from igsn_graph.registry.service import Registry

from ..deps import get_registry
from ..errors import problem_responses
from ..urls import public_base, sample_links

__all__ = ["router"]

router = APIRouter(tags=["relations"])

#: a sample path: malformed IGSN or parameter (400), unknown or not public (404), deactivated (410)
_SAMPLE_PROBLEMS = problem_responses(400, 404, 410, 503)
_QUERY_PROBLEMS = problem_responses(400, 503)
#: an agent path: no route matches one with a line break (404)
_AGENT_PROBLEMS = problem_responses(400, 404, 503)


class LinkOut(BaseModel):
    kind: str
    relation_type: str | None
    identifier: str
    identifier_type: str
    inferred: bool
    links: dict[str, str] | None = None


class RelatedOut(BaseModel):
    igsn: str
    related: list[LinkOut]


class NodeOut(BaseModel):
    igsn: str
    depth: int
    links: dict[str, str]


class LineageOut(BaseModel):
    igsn: str
    direction: str
    depth: int | None
    count: int
    items: list[NodeOut]
    links: dict[str, str]


class LinkedSample(BaseModel):
    igsn: str
    relation_type: str
    via_ancestor: bool
    links: dict[str, str]


class ByIdentifierOut(BaseModel):
    identifier: str
    identifier_type: str
    count: int
    items: list[LinkedSample]


class AgentSampleOut(BaseModel):
    igsn: str
    roles: list[str]
    links: dict[str, str]


class AgentSamplesOut(BaseModel):
    agent: str
    count: int
    items: list[AgentSampleOut]
    links: dict[str, str]


def _public_name(registry: Registry, text: str) -> str:
    """The IGSN of a sample the public may follow (the registry's rule), else NotFound / Gone."""
    name = registry.parse(text).name
    registry.findable_row(name)
    return name


#: typed query parameters: FastAPI refuses anything else with a 400 problem (api.errors)
_DEPTH = Query(None, ge=1, le=relations.MAX_DEPTH, description="levels to follow (default: all)")
_LIMIT = Query(1000, ge=1, le=10_000, description="items per page")


def _flag(value: str | None, name: str) -> bool:
    if value in (None, "", "false"):
        return False
    if value == "true":
        return True
    raise InvalidInput(f"{name} must be true or false")


@router.get("/api/v1/samples/{igsn:path}/ancestors", responses=_SAMPLE_PROBLEMS, response_model=LineageOut)
def ancestors(
    igsn: str, request: Request, depth: int | None = _DEPTH, registry: Registry = Depends(get_registry)
) -> JSONResponse:
    """Parents, their parents… nearest first, each once (a diamond's shared ancestor once, at its nearest depth)."""
    name = _public_name(registry, igsn)
    nodes = relations.ancestors(registry, name, depth)
    base = public_base(request)
    out = LineageOut(
        igsn=name,
        direction="ancestors",
        depth=depth,
        count=len(nodes),
        items=[NodeOut(igsn=n.igsn, depth=n.depth, links=sample_links(base, n.igsn)) for n in nodes],
        links={"self": str(request.url)},
    )
    return JSONResponse(out.model_dump())


@router.get("/api/v1/samples/{igsn:path}/descendants", responses=_SAMPLE_PROBLEMS, response_model=LineageOut)
def descendants(
    igsn: str,
    request: Request,
    depth: int | None = _DEPTH,
    limit: int = _LIMIT,
    after: str | None = None,
    registry: Registry = Depends(get_registry),
) -> JSONResponse:
    """Children, their children… by (depth, IGSN), each once; `limit` (≤ 10,000, default 1,000) and the
    keyset `after=DEPTH:IGSN` from `links.next` page through large trees."""
    name = _public_name(registry, igsn)
    position = None
    if after:
        head, _, tail = after.partition(":")
        if not head.isdigit() or not tail:
            raise InvalidInput("after must be DEPTH:IGSN, as in links.next")
        position = (int(head), tail)
    nodes = relations.descendants(registry, name, depth, limit=limit + 1, after=position)
    base = public_base(request)
    links = {"self": str(request.url)}
    if len(nodes) > limit:
        nodes = nodes[:limit]
        last = nodes[-1]
        links["next"] = str(request.url.include_query_params(after=f"{last.depth}:{last.igsn}"))
    out = LineageOut(
        igsn=name,
        direction="descendants",
        depth=depth,
        count=len(nodes),
        items=[NodeOut(igsn=x.igsn, depth=x.depth, links=sample_links(base, x.igsn)) for x in nodes],
        links=links,
    )
    return JSONResponse(out.model_dump())


@router.get("/api/v1/samples/{igsn:path}/related", responses=_SAMPLE_PROBLEMS, response_model=RelatedOut)
def related(igsn: str, request: Request, registry: Registry = Depends(get_registry)) -> JSONResponse:
    """Every link of the sample: those it states, and inverses other samples state (`inferred: true`)."""
    name = _public_name(registry, igsn)
    base = public_base(request)
    items = [
        LinkOut(
            kind=x.kind,
            relation_type=x.relation_type,
            identifier=x.identifier,
            identifier_type=x.identifier_type,
            inferred=x.inferred,
            links=sample_links(base, x.igsn) if x.igsn else None,
        )
        for x in relations.related(registry, name)
    ]
    return JSONResponse(RelatedOut(igsn=name, related=items).model_dump())


@router.get("/api/v1/related", response_model=ByIdentifierOut, responses=_QUERY_PROBLEMS)
def by_identifier(
    request: Request,
    identifier: str | None = None,
    descendants: str | None = None,
    registry: Registry = Depends(get_registry),
) -> JSONResponse:
    """Every public sample linked to a dataset or publication (DOI, URL, other identifier); with
    `descendants=true` also their descendants (`via_ancestor: true`)."""
    if not identifier or not identifier.strip():
        raise InvalidInput("identifier is required: a DOI, URL or other related identifier")
    kind, value = relations.normal_identifier(identifier)
    found = relations.samples_related_to(registry, identifier, descendants_too=_flag(descendants, "descendants"))
    base = public_base(request)
    out = ByIdentifierOut(
        identifier=value,
        identifier_type=kind,
        count=len(found),
        items=[LinkedSample(igsn=i, relation_type=r, via_ancestor=v, links=sample_links(base, i)) for i, r, v in found],
    )
    return JSONResponse(out.model_dump())


@router.get("/api/v1/agents/{agent:path}/samples", response_model=AgentSamplesOut, responses=_AGENT_PROBLEMS)
def agent_samples(
    agent: str,
    request: Request,
    limit: int = _LIMIT,
    after: str | None = None,
    registry: Registry = Depends(get_registry),
) -> JSONResponse:
    """Public samples naming a person (ORCID iD) or organisation (ROR id) as collector, registrant,
    curator, contributor or affiliation; ordered by IGSN, `after=IGSN` pages."""
    found = relations.agent_samples(registry, agent, limit=limit + 1, after=after or None)
    links = {"self": str(request.url)}
    if len(found) > limit:
        found = found[:limit]
        links["next"] = str(request.url.include_query_params(after=found[-1].igsn))
    base = public_base(request)
    out = AgentSamplesOut(
        agent=relations.normal_agent(agent),
        count=len(found),
        links=links,
        items=[
            AgentSampleOut(igsn=s.igsn, roles=sorted(set(s.role.split(" "))), links=sample_links(base, s.igsn))
            for s in found
        ],
    )
    return JSONResponse(out.model_dump())
