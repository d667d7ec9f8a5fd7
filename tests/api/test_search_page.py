"""The /search page over the demo data through the real app over HTTP (issue 17): the applied query shown with a
link that removes each condition, pages by the cursor, and an empty result that suggests a broader search."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from lxml import html

from tests.conftest import demo_settings, live_server

Params = list[tuple[str, str | int | float | bool | None]]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(demo_settings(tmp_path_factory.mktemp("demo"))) as url:
        yield url


def page(base: str, path: str, params: Params | None = None) -> html.HtmlElement:
    r = httpx.get(base + path, params=params, timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), r.text
    return html.fromstring(r.content)


def api_total(base: str, params: Params) -> int:
    total: int = httpx.get(base + "/api/v1/search", params=params, timeout=30).json()["total"]
    return total


def test_applied_conditions_are_shown_and_each_can_be_removed(base: str) -> None:
    material = httpx.get(base + "/api/v1/search", params={"q": "core"}, timeout=30).json()["facets"]["material"][0]
    doc = page(base, "/search", [("q", "core"), ("material", material["value"])])
    applied = doc.xpath("//section[@class='applied']/ul/li")
    shown = [li.text_content() for li in applied]
    assert shown[0].startswith("Text: core") and "Material: " + (material["label"] or material["value"]) in shown[1]
    assert applied[-1].xpath("./a/text()") == ["Clear all"]
    # removing the material keeps the text query, and finds what the text query finds
    without_material = applied[1].xpath("./a/@href")[0]
    assert parse_qsl(urlsplit(without_material).query) == [("q", "core")]
    total = api_total(base, [("q", "core")])
    assert f"{total} samples found" in html.tostring(page(base, without_material), encoding="unicode")
    # removing the text keeps the material
    without_text = applied[0].xpath("./a/@href")[0]
    assert parse_qsl(urlsplit(without_text).query) == [("material", material["value"])]
    total = api_total(base, [("material", material["value"])])
    assert f"{total} sample" in html.tostring(page(base, without_text), encoding="unicode")


def test_pages_follow_the_cursor_and_lead_back_to_the_first(base: str) -> None:
    first = page(base, "/search", [("sort", "igsn"), ("limit", "5")])
    assert not first.xpath("//nav[@class='pages']/a[@rel='first']")
    hits = first.xpath("//main//ol/li/a/@href")
    following = first.xpath("//nav[@class='pages']/a[@rel='next']/@href")[0]
    second = page(base, urlsplit(following).path + "?" + urlsplit(following).query)
    assert len(hits) == 5 and not set(hits) & set(second.xpath("//main//ol/li/a/@href"))
    back = second.xpath("//nav[@class='pages']/a[@rel='first']/@href")[0]
    assert (
        "cursor" not in back
        and page(base, urlsplit(back).path + "?" + urlsplit(back).query).xpath("//main//ol/li/a/@href") == hits
    )


def test_an_empty_result_suggests_a_broader_search(base: str) -> None:
    doc = page(base, "/search", [("q", "core zzqxjw")])
    assert doc.xpath("//section[@class='suggestions']/h2/text()") == ["No sample matches"]
    tips = {a.text_content(): a.get("href") for a in doc.xpath("//section[@class='suggestions']//a")}
    # the lone word that matches, with the number it finds
    core = tips["Only the word “core”"]
    assert parse_qsl(urlsplit(core).query) == [("q", "core")]
    assert f"({api_total(base, [('q', 'core')])} found)" in doc.xpath("string(//section[@class='suggestions'])")
    assert "Search without text “core zzqxjw”" in tips and tips["Browse every sample"] == "/search?sort=igsn"
    assert "Only the word “zzqxjw”" not in tips  # a suggestion that finds nothing is not offered
    single = page(base, "/search", [("q", "zzqxjw")])
    prefix = single.xpath("//section[@class='suggestions']//a[starts-with(., 'Words beginning')]/@href")
    assert prefix and parse_qsl(urlsplit(prefix[0]).query) == [("q", "zzqxjw*")]


@pytest.fixture(scope="module")
def bounded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo data served with small search bounds (matches counted up to 10, facet values over 4)."""
    settings = demo_settings(tmp_path_factory.mktemp("bounded")).with_(search_total_bound=10, search_facet_bound=4)
    with live_server(settings) as url:
        yield url


def test_bounded_counts_are_said_in_the_json_and_on_the_page(bounded: str) -> None:
    body = httpx.get(bounded + "/api/v1/search", params={"q": "sample"}, timeout=30).json()
    assert (body["total"], body["total_exact"], body["facets_counted"]) == (10, False, 4)
    assert sum(v["count"] for v in body["facets"]["agent"]) == 4
    doc = page(bounded, "/search", [("q", "sample")])
    text = doc.xpath("string(//main)")
    assert "More than 10 samples found" in text
    assert doc.xpath("//aside/p[@class='facets-counted']/text()") == ["Counts over the first 4 of more than 10 matches"]
    # within the bounds nothing is said: 3 matches, every one counted
    small = httpx.get(bounded + "/api/v1/search", params={"q": "basalt"}, timeout=30).json()
    assert (small["total"], small["total_exact"], small["facets_counted"]) == (3, True, 3)
    assert not page(bounded, "/search", [("q", "basalt")]).xpath("//p[@class='facets-counted']")
    # one filter value: the exact total from the running totals, facet values over the first 4
    agent = page(bounded, "/search", [("agent", "ZGEO")])
    assert "19 samples found" in agent.xpath("string(//main)")
    assert agent.xpath("//p[@class='facets-counted']/text()") == ["Counts over the first 4 of 19 matches"]


def test_the_unbounded_demo_says_nothing_of_bounds(base: str) -> None:
    body = httpx.get(base + "/api/v1/search", params={"q": "sample"}, timeout=30).json()
    assert body["total_exact"] and body["facets_counted"] == body["total"] == 34
    assert not page(base, "/search", [("q", "sample")]).xpath("//p[@class='facets-counted']")
