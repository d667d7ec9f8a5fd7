"""The search API (/api/v1/search) and the search page (/search): HTTP ⇄ core calls, nothing more.

Every parameter is read as text and checked by the core (``index.search``), so a malformed bbox, date,
limit, cursor or text query is a 400 problem+json (or a 400 page), never a validation 422 or a 500.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from lxml import etree
from pydantic import BaseModel

from igsn_graph import maps, pages
from igsn_graph.errors import InvalidInput
from igsn_graph.harvest.view import unverified_notes
from igsn_graph.index import search as core
from igsn_graph.pages import E  # lxml.html.builder with XML-safe values
from igsn_graph.registry.service import Registry

from ..deps import get_registry
from ..errors import problem_responses
from ..urls import public_base, sample_links

__all__ = ["FacetValue", "SearchItem", "SearchPage", "query_from", "router"]

router = APIRouter(tags=["search"])

#: parameters a search takes (anything else is refused: a typo must not silently widen a search)
_PARAMS = {"q", "bbox", "from", "until", "sort", "limit", "cursor", "facets", *core.FACETS}


class FacetValue(BaseModel):
    value: str
    count: int
    label: str | None = None


class SearchItem(BaseModel):
    igsn: str
    name: str | None
    kind: str
    agent: str
    client: str | None
    namespace: str
    status: str
    collected_from: str | None
    collected_to: str | None
    score: float | None
    #: set when the description shown came from a harvest source no allocating agent speaks for: says so
    unverified: str | None = None
    links: dict[str, str]


#: the fields of a search item the router adds to a hit
_NOT_OF_A_HIT = ("links", "unverified")


class SearchPage(BaseModel):
    #: the number of matches; when ``total_exact`` is false, more than this many match (counting stopped there)
    total: int
    total_exact: bool = True
    #: the number of matches the facet counts are over: ``total`` when they are exact, else the first ones found
    #: (the answer says so rather than scaling them); 0 when facets=false
    facets_counted: int = 0
    sort: str
    items: list[SearchItem]
    facets: dict[str, list[FacetValue]]
    links: dict[str, str]


def query_from(request: Request) -> core.SearchQuery:
    """A SearchQuery from the query string; InvalidInput for anything malformed."""
    params = request.query_params
    unknown = sorted(set(params.keys()) - _PARAMS)
    if unknown:
        raise InvalidInput(f"unknown parameter(s) {', '.join(unknown)}; a search takes {', '.join(sorted(_PARAMS))}")
    for name in ("q", "bbox", "from", "until", "sort", "limit", "cursor", "facets"):
        if len(params.getlist(name)) > 1:
            raise InvalidInput(f"parameter {name} is given more than once")
    query = core.SearchQuery()
    query.q = params.get("q") or None
    if params.get("bbox"):
        query.bbox = core.parse_bbox(params["bbox"])
    if params.get("from"):
        query.from_ = core.parse_date(params["from"], end=False)
    if params.get("until"):
        query.until = core.parse_date(params["until"], end=True)
    query.sort = params.get("sort") or None
    if params.get("limit"):
        try:
            query.limit = int(params["limit"])
        except ValueError:
            raise InvalidInput(f"limit must be a whole number, not {params['limit']!r}") from None
    query.cursor = params.get("cursor") or None
    facets = params.get("facets", "true").lower()
    if facets not in ("true", "false"):
        raise InvalidInput("facets must be true or false")
    query.facets = facets == "true"
    query.filters = {f: [v for v in params.getlist(f) if v] for f in core.FACETS if params.getlist(f)}
    return query


def _found(n: int, exact: bool) -> str:
    """How many a search found, as a page says it ("more than" when counting stopped at the bound)."""
    return f"{n}" if exact else f"more than {n:,}"


def _with_cursor(request: Request, path: str, cursor: str | None) -> str:
    items = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    if cursor is not None:
        items.append(("cursor", cursor))
    return f"{public_base(request)}{path}" + (f"?{urlencode(items)}" if items else "")


def _parameter(name: str, description: str, **schema: object) -> dict[str, object]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string", **schema},
    }


#: the document's description of the parameters ``query_from`` reads (as text: the core checks them)
_PARAMETERS = [
    _parameter("q", 'words and "quoted phrases", all required; `word*` is a prefix'),
    _parameter("bbox", "west,south,east,north in degrees (CRS84); west > east crosses 180°"),
    _parameter("from", "collected on or after: YYYY, YYYY-MM or YYYY-MM-DD"),
    _parameter("until", "collected on or before: YYYY, YYYY-MM or YYYY-MM-DD"),
    _parameter("sort", "default: relevance with q, else igsn", enum=list(core.SORTS)),
    _parameter("limit", f"hits per page, 1..{core.MAX_LIMIT} (default 20)"),
    _parameter("cursor", "the position of the next page, from links.next"),
    _parameter("facets", "count facet values (default true)", enum=["true", "false"]),
    *(
        {
            "name": f,
            "in": "query",
            "required": False,
            "style": "form",
            "explode": True,
            "description": f"only samples with this {f} (repeatable: any of the values)",
            "schema": {"type": "array", "items": {"type": "string"}},
        }
        for f in core.FACETS
    ),
]


@router.get(
    "/api/v1/search",
    response_model=SearchPage,
    responses=problem_responses(400, 503),
    openapi_extra={"parameters": _PARAMETERS},
)
def search_samples(request: Request, registry: Registry = Depends(get_registry)) -> JSONResponse:
    """Full text, bounding box, collection-time range and facet filters over the public samples.

    `q`: words and "quoted phrases" (all required; `word*` is a prefix) over names, descriptions,
    identifiers, people, vocabulary terms and place names. `bbox=west,south,east,north` (degrees),
    `from`/`until` (YYYY[-MM[-DD]]) on collection time; filters (repeatable) `agent`, `client`,
    `namespace`, `type`, `material`, `method`, `year`; `sort` = relevance | date | igsn; `limit` ≤ 200;
    `cursor` from `links.next`. A large result's `total` may be a lower bound (`total_exact` false: more match)
    and its facet counts over the first `facets_counted` matches only (fewer than `total`): the answer says so.
    """
    query = query_from(request)
    result = core.search(registry.db.read(), query, core.Bounds.of(registry.settings))
    base = public_base(request)
    links = {
        "self": _with_cursor(request, "api/v1/search", query.cursor),
        "html": _with_cursor(request, "search", query.cursor),
    }
    if result.next_cursor:
        links["next"] = _with_cursor(request, "api/v1/search", result.next_cursor)
    unverified = unverified_notes(registry, [h.igsn for h in result.hits])
    page = SearchPage(
        total=result.total,
        total_exact=result.total_exact,
        facets_counted=result.facets_counted,
        sort=result.sort,
        items=[
            SearchItem(
                **{k: getattr(h, k) for k in SearchItem.model_fields if k not in _NOT_OF_A_HIT},
                unverified=unverified.get(h.igsn),
                links=sample_links(base, h.igsn),
            )
            for h in result.hits
        ],
        facets={
            f: [FacetValue(value=c.value, count=c.count, label=c.label) for c in counts]
            for f, counts in result.facets.items()
        },
        links=links,
    )
    return JSONResponse(page.model_dump())


# --- the HTML page ---------------------------------------------------------------------------------

_FACET_TITLES = {
    "agent": "Allocating agent",
    "client": "Client",
    "namespace": "Namespace",
    "type": "Resource type",
    "material": "Material",
    "method": "Collection method",
    "year": "Year collected",
}
#: the query parameters a reader can remove one at a time, with how the page names them
_REMOVABLE = {"q": "Text", "bbox": "Box (W,S,E,N)", "from": "Collected from", "until": "Collected until"}
#: at most this many single words of a text query are tried as broader suggestions on an empty page
_WORD_SUGGESTIONS = 5


def _toggle(request: Request, facet: str, value: str) -> str:
    items = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    if (facet, value) in items:
        items.remove((facet, value))
    else:
        items.append((facet, value))
    return "/search" + (f"?{urlencode(items)}" if items else "")


def _without(request: Request, name: str, value: str | None = None) -> str:
    """This search without one parameter (``value``: only that value of a repeated filter), from its first page."""
    items = [
        (k, v)
        for k, v in request.query_params.multi_items()
        if k != "cursor" and not (k == name and (value is None or v == value))
    ]
    if name == "q":  # relevance needs a text query: the broader search falls back to the default order
        items = [(k, v) for k, v in items if (k, v) != ("sort", "relevance")]
    return "/search" + (f"?{urlencode(items)}" if items else "")


def _applied(request: Request, query: core.SearchQuery) -> list[tuple[str, str, str, core.SearchQuery]]:
    """What the search applies, one entry per removable condition: (label, value as shown, the link that
    removes it, the query without it)."""
    p = request.query_params
    first = replace(query, cursor=None)
    out: list[tuple[str, str, str, core.SearchQuery]] = []
    for name, label in _REMOVABLE.items():
        if p.get(name):
            broader = {
                "q": replace(first, q=None, sort=None if first.sort == "relevance" else first.sort),
                "bbox": replace(first, bbox=None),
                "from": replace(first, from_=None),
                "until": replace(first, until=None),
            }[name]
            out.append((label, p[name], _without(request, name), broader))
    for facet, values in query.filters.items():
        for value in values:
            rest = {f: [v for v in vs if not (f == facet and v == value)] for f, vs in query.filters.items()}
            shown = core.label_of(value) or value
            out.append((_FACET_TITLES[facet], shown, _without(request, facet, value), replace(first, filters=rest)))
    return out


def _applied_section(applied: list[tuple[str, str, str, core.SearchQuery]]) -> etree._Element:
    """The applied query, each condition with a link that removes it, and one that clears them all."""
    items = [
        E.LI(f"{label}: ", E.STRONG(value), " ", E.A(f"Remove “{value}”", href=href))
        for label, value, href, _ in applied
    ]
    if len(applied) > 1:
        items.append(E.LI(E.A("Clear all", href="/search?sort=igsn")))
    return E.SECTION(E.H2("Applied"), E.UL(*items), **{"class": "applied", "aria-label": "Applied search"})


#: the filters that name a registry node with a page of its own (entities: /agent/…, /client/…, /namespace/…)
_HOLDERS = ("agent", "client", "namespace")


def _holder(query: core.SearchQuery) -> etree._Element | None:
    """A search for one agent's, client's or namespace's samples links that node's page (which links back here)."""
    named = [(f, vs[0]) for f, vs in query.filters.items() if f in _HOLDERS and len(vs) == 1]
    if len(named) != 1:
        return None
    facet, value = named[0]
    href = f"/{facet}/{quote(value, safe='')}"
    return E.P(f"Samples of the {_FACET_TITLES[facet].lower()} ", E.A(value, href=href), **{"class": "holder"})


def _count(registry: Registry, query: core.SearchQuery) -> tuple[int, bool]:
    """How many ``query`` finds, and whether that is exact."""
    result = core.search(
        registry.db.read(), replace(query, cursor=None, limit=1, facets=False), core.Bounds.of(registry.settings)
    )
    return result.total, result.total_exact


def _suggestions(
    request: Request, registry: Registry, query: core.SearchQuery, applied: list[tuple[str, str, str, core.SearchQuery]]
) -> etree._Element:
    """An empty result's way out: each condition dropped (with what that finds), single words of a
    longer text query, a prefix search, or every sample."""
    tips: list[etree._Element] = []
    for label, value, href, broader in applied:
        n, exact = _count(registry, broader)
        if n:
            tips.append(
                E.LI(E.A(f"Search without {label.lower()} “{value}”", href=href), f" ({_found(n, exact)} found)")
            )
    words = (query.q or "").split()
    if len(words) > 1:
        for word in list(dict.fromkeys(words))[:_WORD_SUGGESTIONS]:
            try:
                n, exact = _count(registry, replace(query, q=word))
            except InvalidInput:  # a lone word with nothing searchable in it (punctuation): no suggestion
                continue
            if n:
                items = [(k, v) for k, v in request.query_params.multi_items() if k not in ("q", "cursor")]
                href = "/search?" + urlencode([("q", word), *items])
                tips.append(E.LI(E.A(f"Only the word “{word}”", href=href), f" ({_found(n, exact)} found)"))
    if len(words) == 1 and not words[0].endswith("*"):
        items = [(k, v) for k, v in request.query_params.multi_items() if k not in ("q", "cursor")]
        href = "/search?" + urlencode([("q", words[0] + "*"), *items])
        tips.append(E.LI(E.A(f"Words beginning with “{words[0]}”", href=href)))
    tips.append(E.LI(E.A("Browse every sample", href="/search?sort=igsn")))
    return E.SECTION(
        E.H2("No sample matches"),
        E.P("Every word and every condition must match. Try a broader search:"),
        E.UL(*tips),
        **{"class": "suggestions"},
    )


def _page(request: Request, body: list[etree._Element], status: int = 200) -> Response:
    # the shared shell (header with home and search, one stylesheet with this page's layout rules)
    return Response(
        pages.page("Search samples – igsn-graph", None, body, kind="search"),
        status_code=status,
        media_type="text/html; charset=utf-8",
    )


def _form(request: Request) -> etree._Element:
    p = request.query_params

    def field(label: str, name: str, placeholder: str = "") -> etree._Element:
        return E.LABEL(label, E.INPUT(name=name, value=p.get(name, ""), placeholder=placeholder))

    sort = E.SELECT(name="sort")
    for option in ("", *core.SORTS):
        attrs = {"value": option}
        if p.get("sort", "") == option:
            attrs["selected"] = "selected"
        sort.append(E.OPTION(option or "default", **attrs))
    hidden = [E.INPUT(type="hidden", name=k, value=v) for k, v in p.multi_items() if k in core.FACETS]
    return E.FORM(
        field("Text", "q", "basalt core"),
        field("Box (W,S,E,N)", "bbox", "-10,40,10,60"),
        field("Collected from", "from", "YYYY-MM-DD"),
        field("until", "until", "YYYY-MM-DD"),
        E.LABEL("Sort", sort),
        *hidden,
        E.BUTTON("Search", type="submit"),
        action="/search",
        method="get",
        role="search",
        **{"aria-label": "Search samples"},
    )


@router.get("/search", include_in_schema=False)
def search_page(request: Request, registry: Registry = Depends(get_registry)) -> Response:
    """The search page: the same query and facets as /api/v1/search, as HTML (no scripts, no CDN)."""
    body: list[etree._Element] = [E.H1("Search samples"), _form(request)]
    try:
        query = query_from(request)
        result = (
            core.search(registry.db.read(), query, core.Bounds.of(registry.settings)) if request.query_params else None
        )
    except InvalidInput as exc:
        body.append(E.P(exc.message, **{"class": "error", "role": "alert"}))
        return _page(request, body, 400)
    if result is None:
        return _page(request, body)
    holder = _holder(query)
    if holder is not None:
        body.insert(1, holder)
    applied = _applied(request, query)
    if applied:
        body.append(_applied_section(applied))
    if result.total == 0:
        body.append(_suggestions(request, registry, query, applied))
        return _page(request, body)
    chosen = {(k, v) for k, v in request.query_params.multi_items()}
    aside = E.ASIDE(E.H2("Refine"))
    if result.facets and (result.facets_counted < result.total or not result.total_exact):
        # counted over a bounded part of a large result: said, never passed off as the counts of every match
        of = _found(result.total, result.total_exact)
        aside.append(
            E.P(f"Counts over the first {result.facets_counted:,} of {of} matches", **{"class": "facets-counted"})
        )
    for facet, counts in result.facets.items():
        if not counts:
            continue
        items = []
        for c in counts:
            on = (facet, c.value) in chosen
            link = E.A(f"{c.label or c.value} ({c.count})", href=_toggle(request, facet, c.value))
            items.append(E.LI(link, **({"class": "on"} if on else {})))
        aside.extend([E.H3(_FACET_TITLES[facet]), E.UL(*items)])
    hits = pages.sample_list(result.hits, unverified_notes(registry, [h.igsn for h in result.hits]))
    plural = "s" if result.total != 1 or not result.total_exact else ""
    found = _found(result.total, result.total_exact)
    results = E.SECTION(E.P(f"{found[0].upper()}{found[1:]} sample{plural} found"))
    located = maps.hits_map(registry.db.read(), [(h.igsn, h.name) for h in result.hits])
    if located is not None:
        results.append(located)
    results.append(hits)
    pager: list[etree._Element] = []
    if query.cursor:  # the cursor goes forward only: the way back is the first page
        pager.append(E.A("First page", href=_with_cursor(request, "search", None), rel="first"))
    if result.next_cursor:
        pager.append(E.A("Next page", href=_with_cursor(request, "search", result.next_cursor), rel="next"))
    if pager:
        results.append(E.NAV(*pager, **{"class": "pages", "aria-label": "Result pages"}))
    body.append(E.DIV(aside, results, **{"class": "layout"}))
    return _page(request, body)
