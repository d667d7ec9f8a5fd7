"""The admin API (/api/v1/admin): agents, clients, namespaces, DOI prefixes, quotas, domains, harvest sources.

HTTP ⇄ the same registry calls as ``igsn-graph agent add`` / ``client add``, nothing more. Only the
administrator of the settings (HTTP Basic) may call it: 401 without credentials, 403 for any other
account. Disabling an account refuses its logins at once (cached logins are dropped on every change).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from igsn_graph.harvest import sources
from igsn_graph.index import catalogue
from igsn_graph.registry.accounts import ADMIN, Agent, Client
from igsn_graph.registry.service import Registry

from ..auth import admin, forget_credentials
from ..deps import get_registry
from ..errors import problem_responses
from . import transfers

__all__ = ["PREFIX", "router"]

PREFIX = "/api/v1/admin"

#: every operation: not logged in (401), not the administrator (403), storage busy (503)
router = APIRouter(
    prefix=PREFIX, tags=["admin"], dependencies=[Depends(admin)], responses=problem_responses(401, 403, 503)
)
#: an account or assignment named in the path: malformed (400) or unknown (404)
_NAMED = problem_responses(400, 404)
#: a change: malformed (400), naming something unknown (404), clashing with what exists (409)
_CHANGE = problem_responses(400, 404, 409)


# -- models --------------------------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgentOut(BaseModel):
    symbol: str
    name: str
    quota: int
    namespaces: list[str]
    doiPrefixes: list[str]
    ror: str | None
    active: bool


class ClientOut(AgentOut):
    agent: str
    domains: list[str]


class AgentIn(_Strict):
    symbol: str
    name: str
    password: str = Field(min_length=1)
    namespaces: list[str] = []
    doiPrefixes: list[str] = []
    quota: int = -1
    ror: str | None = None


class ClientIn(_Strict):
    symbol: str = Field(description="AGENT.CLIENT")
    password: str = Field(min_length=1)
    name: str | None = None
    namespaces: list[str] = []
    doiPrefixes: list[str] = []
    domains: list[str] = []
    quota: int = -1
    ror: str | None = None


class AccountUpdate(_Strict):
    """Fields to change; absent fields stay. ``ror: ""`` removes the ROR identifier."""

    name: str | None = None
    password: str | None = Field(default=None, min_length=1)
    quota: int | None = None
    ror: str | None = None
    active: bool | None = None


class ClientUpdate(AccountUpdate):
    domains: list[str] | None = None


class Assignment(_Strict):
    """A namespace or DOI prefix and the agent or client (``AGENT.CLIENT``) it is given to."""

    value: str
    owner: str


class AssignmentOut(BaseModel):
    value: str
    agent: str
    client: str | None


class Quota(BaseModel):
    symbol: str
    kind: str
    quota: int
    used: int


class QuotaIn(_Strict):
    quota: int = Field(ge=-1, description="distinct IGSNs; -1 for unlimited")


class Domains(BaseModel):
    client: str
    domains: list[str]


class DomainsIn(_Strict):
    domains: list[str] = Field(description="allowed landing-page domains (sub-domains included); empty: any")


# -- helpers -------------------------------------------------------------------------------------
def _agent(a: Agent) -> dict[str, Any]:
    return AgentOut(
        symbol=a.symbol,
        name=a.name,
        quota=a.quota,
        namespaces=list(a.namespaces),
        doiPrefixes=list(a.doi_prefixes),
        ror=a.ror,
        active=a.active,
    ).model_dump()


def _client(c: Client) -> dict[str, Any]:
    return ClientOut(
        symbol=c.symbol,
        agent=c.agent,
        name=c.name,
        quota=c.quota,
        namespaces=list(c.namespaces),
        doiPrefixes=list(c.doi_prefixes),
        domains=list(c.domains),
        ror=c.ror,
        active=c.active,
    ).model_dump()


def _changed(request: Request, body: dict[str, Any], status: int = 200) -> JSONResponse:
    forget_credentials(request)
    return JSONResponse(body, status_code=status)


def _update_fields(update: AccountUpdate) -> dict[str, Any]:
    return update.model_dump(exclude_none=True)


def _assignment(table: dict[str, tuple[str, str | None]], value: str) -> dict[str, Any]:
    """One row of a namespace or DOI-prefix table (value → agent, client or None) as the API shows it."""
    agent, client = table[value]
    return AssignmentOut(value=value, agent=agent, client=client).model_dump()


# -- agents --------------------------------------------------------------------------------------
@router.get("/agents", response_model=list[AgentOut], summary="Every allocating agent")
def list_agents(request: Request) -> list[dict[str, Any]]:
    return [_agent(a) for a in get_registry(request).accounts.agents()]


@router.post("/agents", status_code=201, response_model=AgentOut, summary="Add an allocating agent", responses=_CHANGE)
def add_agent(body: AgentIn, request: Request) -> JSONResponse:
    agent = get_registry(request).add_agent(
        body.symbol,
        name=body.name,
        password=body.password,
        namespaces=body.namespaces,
        doi_prefixes=body.doiPrefixes,
        quota=body.quota,
        ror=body.ror,
    )
    return _changed(request, _agent(agent), 201)


@router.get("/agents/{symbol}", response_model=AgentOut, summary="One allocating agent", responses=_NAMED)
def get_agent(symbol: str, request: Request) -> dict[str, Any]:
    return _agent(get_registry(request).accounts.agent(symbol))


@router.patch(
    "/agents/{symbol}",
    response_model=AgentOut,
    summary="Change an agent (name, password, quota, ROR, active)",
    responses=_CHANGE,
)
def update_agent(symbol: str, body: AccountUpdate, request: Request) -> JSONResponse:
    return _changed(request, _agent(get_registry(request).update_agent(symbol, **_update_fields(body))))


@router.delete(
    "/agents/{symbol}",
    response_model=AgentOut,
    summary="Disable an agent: it and its clients can no longer log in (samples stay)",
    responses=_NAMED,
)
def disable_agent(symbol: str, request: Request) -> JSONResponse:
    return _changed(request, _agent(get_registry(request).update_agent(symbol, active=False)))


# -- clients -------------------------------------------------------------------------------------
@router.get(
    "/clients",
    response_model=list[ClientOut],
    summary="Every client, or those of one agent",
    responses=problem_responses(400),
)
def list_clients(request: Request, agent: str | None = Query(default=None)) -> list[dict[str, Any]]:
    registry: Registry = get_registry(request)
    return [_client(c) for c in registry.accounts.clients(agent.upper() if agent else None)]


@router.post(
    "/clients", status_code=201, response_model=ClientOut, summary="Add a client of an agent", responses=_CHANGE
)
def add_client(body: ClientIn, request: Request) -> JSONResponse:
    client = get_registry(request).add_client(
        body.symbol,
        password=body.password,
        namespaces=body.namespaces,
        name=body.name,
        doi_prefixes=body.doiPrefixes,
        domains=body.domains,
        quota=body.quota,
        ror=body.ror,
    )
    return _changed(request, _client(client), 201)


@router.get("/clients/{symbol}", response_model=ClientOut, summary="One client", responses=_NAMED)
def get_client(symbol: str, request: Request) -> dict[str, Any]:
    return _client(get_registry(request).accounts.client(symbol))


@router.patch(
    "/clients/{symbol}",
    response_model=ClientOut,
    summary="Change a client (name, password, quota, ROR, domains, active)",
    responses=_CHANGE,
)
def update_client(symbol: str, body: ClientUpdate, request: Request) -> JSONResponse:
    return _changed(request, _client(get_registry(request).update_client(symbol, **_update_fields(body))))


@router.delete(
    "/clients/{symbol}",
    response_model=ClientOut,
    summary="Disable a client: it can no longer log in (samples stay)",
    responses=_NAMED,
)
def disable_client(symbol: str, request: Request) -> JSONResponse:
    return _changed(request, _client(get_registry(request).update_client(symbol, active=False)))


# -- namespaces and DOI prefixes -----------------------------------------------------------------
@router.get("/namespaces", response_model=list[AssignmentOut], summary="Every namespace and its owner")
def list_namespaces(request: Request) -> list[dict[str, Any]]:
    table = get_registry(request).accounts.namespace_table()
    return [_assignment(table, ns) for ns in sorted(table)]


@router.post(
    "/namespaces",
    status_code=201,
    response_model=AssignmentOut,
    summary="Give a namespace to an agent, or to a client within its agent's namespaces",
    responses=_CHANGE,
)
def add_namespace(body: Assignment, request: Request) -> JSONResponse:
    registry: Registry = get_registry(request)
    ns = registry.add_namespace(body.value, body.owner)
    return _changed(request, _assignment(registry.accounts.namespace_table(), ns), 201)


@router.delete(
    "/namespaces/{namespace:path}",
    status_code=204,
    summary="Take a namespace away (refused while samples lie in it)",
    responses=_CHANGE,
)
def remove_namespace(namespace: str, request: Request) -> Response:
    get_registry(request).remove_namespace(namespace)
    return Response(status_code=204)


@router.get("/doi-prefixes", response_model=list[AssignmentOut], summary="Every DOI prefix and its owner")
def list_doi_prefixes(request: Request) -> list[dict[str, Any]]:
    table = get_registry(request).accounts.doi_prefix_table()
    return [_assignment(table, p) for p in sorted(table)]


@router.post(
    "/doi-prefixes",
    status_code=201,
    response_model=AssignmentOut,
    summary="Give a DOI prefix to an agent, or to a client",
    responses=_CHANGE,
)
def add_doi_prefix(body: Assignment, request: Request) -> JSONResponse:
    registry: Registry = get_registry(request)
    prefix = registry.add_doi_prefix(body.value, body.owner)
    return _changed(request, _assignment(registry.accounts.doi_prefix_table(), prefix), 201)


@router.delete("/doi-prefixes/{prefix:path}", status_code=204, summary="Take a DOI prefix away", responses=_NAMED)
def remove_doi_prefix(prefix: str, request: Request) -> Response:
    get_registry(request).remove_doi_prefix(prefix)
    return Response(status_code=204)


# -- transfers -----------------------------------------------------------------------------------
@router.post(
    "/transfers",
    response_model=transfers.TransferOut,
    summary="Move samples between agents or clients: named ones, or a namespace with all its samples and drafts",
    responses=problem_responses(400, 404, 409),
)
def transfer_samples(body: transfers.TransferIn, request: Request) -> transfers.TransferOut:
    """As ``POST /api/v1/transfers``, to any agent or client; all or nothing."""
    return transfers.run(request, ADMIN, body)


# -- quotas and domains --------------------------------------------------------------------------
def _quota(registry: Registry, account: Agent | Client) -> dict[str, Any]:
    conn = registry.db.read()
    if isinstance(account, Client):
        used, kind = catalogue.count_owned(conn, client=account.symbol), "client"
    else:
        used, kind = catalogue.count_owned(conn, agent=account.symbol), "agent"
    return Quota(symbol=account.symbol, kind=kind, quota=account.quota, used=used).model_dump()


@router.get(
    "/quotas", response_model=list[Quota], summary="Quota (distinct IGSNs, -1 unlimited) and use of every account"
)
def list_quotas(request: Request) -> list[dict[str, Any]]:
    registry: Registry = get_registry(request)
    accounts: list[Agent | Client] = [*registry.accounts.agents(), *registry.accounts.clients()]
    return [_quota(registry, a) for a in accounts]


@router.put(
    "/quotas/{symbol}", response_model=Quota, summary="Set the quota of an agent or a client", responses=_CHANGE
)
def set_quota(symbol: str, body: QuotaIn, request: Request) -> JSONResponse:
    registry: Registry = get_registry(request)
    account: Agent | Client = (
        registry.update_client(symbol, quota=body.quota)
        if "." in symbol
        else registry.update_agent(symbol, quota=body.quota)
    )
    return _changed(request, _quota(registry, account))


@router.get("/domains", response_model=list[Domains], summary="The landing-page domains each client may use")
def list_domains(request: Request) -> list[dict[str, Any]]:
    return [
        Domains(client=c.symbol, domains=list(c.domains)).model_dump() for c in get_registry(request).accounts.clients()
    ]


@router.put(
    "/domains/{client}", response_model=Domains, summary="Replace a client's allowed domains", responses=_CHANGE
)
def set_domains(client: str, body: DomainsIn, request: Request) -> JSONResponse:
    updated = get_registry(request).update_client(client, domains=body.domains)
    return _changed(request, Domains(client=updated.symbol, domains=list(updated.domains)).model_dump())


# -- harvest sources (igsn_graph.harvest.sources; the same as `igsn-graph source …`) ---------------
class SourceIn(_Strict):
    name: str
    url: str = Field(description="the provider's OAI-PMH base URL")
    prefix: str = Field(description="metadataPrefix to ask for (igsn_desc, csirov3, datacite, oai_dc, …)")
    set: str | None = None
    agent: str | None = Field(default=None, description="the agent the source speaks for; none: unverified")
    every: str | None = Field(default=None, description="30m, 6h, 1d, …; none: harvested on demand only")
    rate: float = Field(default=1.0, gt=0, description="requests per second at most")
    timeout: float = Field(default=60.0, gt=0, description="seconds per request")


class SourceOut(BaseModel):
    name: str
    url: str
    prefix: str
    set: str | None
    agent: str | None
    verified: bool
    every: str | None
    rate: float
    timeout: float
    paused: bool
    state: str
    lastRun: str | None
    lastResponseDate: str | None
    lastError: str | None
    failures: int
    nextDue: str | None
    resumptionToken: str | None
    position: int
    stored: int
    refused: int


def _source(s: sources.HarvestSource) -> dict[str, Any]:
    return SourceOut(
        name=s.name,
        url=s.url,
        prefix=s.prefix,
        set=s.set_spec,
        agent=s.agent,
        verified=s.verified,
        every=sources.format_every(s.every_s),
        rate=s.rate,
        timeout=s.timeout_s,
        paused=s.paused,
        state=s.state,
        lastRun=s.last_run,
        lastResponseDate=s.last_response_date,
        lastError=s.last_error,
        failures=s.failures,
        nextDue=s.next_due,
        resumptionToken=s.token,
        position=s.position,
        stored=s.stored,
        refused=s.refused,
    ).model_dump()


@router.get("/sources", response_model=list[SourceOut], summary="Every OAI-PMH harvest source and its state")
def list_sources(request: Request) -> list[dict[str, Any]]:
    return [_source(s) for s in sources.all_sources(get_registry(request))]


@router.post(
    "/sources", status_code=201, response_model=SourceOut, summary="Add an OAI-PMH harvest source", responses=_CHANGE
)
def add_source(body: SourceIn, request: Request) -> JSONResponse:
    added = sources.add(
        get_registry(request),
        body.name,
        url=body.url,
        prefix=body.prefix,
        set_spec=body.set,
        agent=body.agent,
        every=body.every,
        rate=body.rate,
        timeout_s=body.timeout,
    )
    return JSONResponse(_source(added), status_code=201)


@router.get("/sources/{name}", response_model=SourceOut, summary="One harvest source", responses=_NAMED)
def get_source(name: str, request: Request) -> dict[str, Any]:
    return _source(sources.get(get_registry(request), name))


@router.post(
    "/sources/{name}/pause", response_model=SourceOut, summary="Stop scheduled harvests of a source", responses=_NAMED
)
def pause_source(name: str, request: Request) -> dict[str, Any]:
    return _source(sources.set_paused(get_registry(request), name, True))


@router.post(
    "/sources/{name}/resume",
    response_model=SourceOut,
    summary="Schedule a paused or failing source again (its failure mark is cleared)",
    responses=_NAMED,
)
def resume_source(name: str, request: Request) -> dict[str, Any]:
    return _source(sources.set_paused(get_registry(request), name, False))


@router.delete(
    "/sources/{name}", status_code=204, summary="Forget a source (the samples it brought stay)", responses=_NAMED
)
def remove_source(name: str, request: Request) -> Response:
    sources.remove(get_registry(request), name)
    return Response(status_code=204)
