"""GET /api/v1/search and the /search page over the demo data, through the real app over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from lxml import html

from igsn_graph.pages import STYLESHEET_URL
from tests.conftest import demo_settings, live_server


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(demo_settings(tmp_path_factory.mktemp("demo"))) as url:
        yield url


def get(base: str, path: str, **params: object) -> httpx.Response:
    return httpx.get(base + path, params=params, timeout=30)  # type: ignore[arg-type]


def test_search_json_with_links_facets_and_pages(base: str) -> None:
    r = get(base, "/api/v1/search", q="core", limit=3)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["sort"] == "relevance" and body["total"] > 3 and len(body["items"]) == 3
    item = body["items"][0]
    assert item["links"]["landing"] == f"{base}/{item['igsn']}"
    assert item["links"]["self"] == f"{base}/api/v1/samples/{item['igsn']}"
    assert get(
        base,
        f"/{item['igsn']}",
    ).status_code in (200, 303)  # the resolver knows it
    assert set(body["facets"]) == {"agent", "client", "namespace", "type", "material", "method", "year"}
    assert sum(f["count"] for f in body["facets"]["agent"]) == body["total"]
    seen = [i["igsn"] for i in body["items"]]
    url = body["links"].get("next")
    while url:
        page = httpx.get(url, timeout=30).json()
        seen += [i["igsn"] for i in page["items"]]
        url = page["links"].get("next")
    assert len(seen) == len(set(seen)) == body["total"]


def test_filters_combine(base: str) -> None:
    everything = get(base, "/api/v1/search").json()
    agent = everything["facets"]["agent"][0]
    narrowed = get(base, "/api/v1/search", agent=agent["value"], limit=200).json()
    assert narrowed["total"] == agent["count"] and {i["agent"] for i in narrowed["items"]} == {agent["value"]}
    material = narrowed["facets"]["material"][0]
    both = httpx.get(
        base + "/api/v1/search", params=[("agent", agent["value"]), ("material", material["value"])], timeout=30
    ).json()
    assert both["total"] == material["count"]
    two_agents = httpx.get(
        base + "/api/v1/search", params=[("agent", a["value"]) for a in everything["facets"]["agent"][:2]], timeout=30
    ).json()
    assert two_agents["total"] == sum(a["count"] for a in everything["facets"]["agent"][:2])
    world = get(base, "/api/v1/search", bbox="-180,-90,180,90", facets="false").json()
    assert world["facets"] == {} and 0 < world["total"] <= everything["total"]


@pytest.mark.parametrize(
    "params",
    [
        {"bbox": "1,2,3"},
        {"bbox": "west,south,east,north"},
        {"bbox": "0,95,1,96"},
        {"from": "2020-02-30"},
        {"until": "last year"},
        {"from": "2020", "until": "2019"},
        {"limit": "0"},
        {"limit": "ten"},
        {"limit": "100000"},
        {"sort": "size"},
        {"sort": "relevance"},
        {"cursor": "!!!"},
        {"cursor": "WzEsMl0"},
        {"q": "***"},
        {"colour": "red"},
        {"facets": "maybe"},
    ],
)
def test_bad_parameters_are_400_problems(base: str, params: dict[str, str]) -> None:
    r = get(base, "/api/v1/search", **params)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 400 and r.json()["detail"]


@pytest.mark.parametrize("q", ['"', "NEAR(", "a AND (b OR", "col:basalt", "^core", "-core", "core*", "'"])
def test_fts_syntax_in_q_is_never_a_server_error(base: str, q: str) -> None:
    r = get(base, "/api/v1/search", q=q)
    assert r.status_code in (200, 400), r.text
    if r.status_code == 400:
        assert r.headers["content-type"] == "application/problem+json"


def test_search_page_has_the_same_facets_and_no_scripts(base: str) -> None:
    r = get(base, "/search", q="core")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    doc = html.fromstring(r.content)
    assert not doc.xpath("//script") and not doc.xpath("//*[@src]")
    assert doc.xpath("//link[@rel='stylesheet']/@href") == [STYLESHEET_URL]  # the one stylesheet, of this service
    api = get(base, "/api/v1/search", q="core").json()
    assert f"{api['total']} samples found" in r.text
    facet_links = doc.xpath("//aside//a")
    assert len(facet_links) == sum(len(v) for v in api["facets"].values())
    # following a facet link narrows the result to that facet's count
    first = facet_links[0]
    narrowed = httpx.get(base + first.get("href"), timeout=30)
    count = first.text_content().rsplit("(", 1)[1].rstrip(")")
    assert f"{count} sample" in narrowed.text
    # the page's own form (the shared header has a search box too)
    assert doc.xpath("//main//form[@role='search']//input[@name='q']")[0].get("value") == "core"
    empty = get(base, "/search")
    assert empty.status_code == 200 and "found" not in empty.text
    bad = get(base, "/search", bbox="1,2")
    assert bad.status_code == 400 and "bbox" in bad.text and bad.headers["content-type"].startswith("text/html")
