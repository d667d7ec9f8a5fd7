"""An agent's, client's or namespace's samples on its page as the search page shows hits (issue 17): a map of
the page's located samples, the list, pages by the cursor; linked both ways with the search for the same
samples. A live server on the demo data, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from lxml import html

from tests.conftest import demo_settings, live_server

BROWSER = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(demo_settings(tmp_path_factory.mktemp("accounts-pages"))) as url:
        yield url


def _page(base: str, path: str) -> html.HtmlElement:
    r = httpx.get(base + path, headers=BROWSER, timeout=30)
    assert r.status_code == 200, (path, r.status_code)
    return html.fromstring(r.content)


def _holders(base: str, facet: str) -> list[tuple[str, int]]:
    """The demo's agents (clients, namespaces) with their numbers of samples, most first."""
    counts = httpx.get(base + "/api/v1/search", params={"limit": 1}, timeout=30).json()["facets"][facet]
    return [(c["value"], c["count"]) for c in counts]


def _listed(section: html.HtmlElement) -> list[str]:
    return [a.get("href") for a in section.xpath("./ol[@class='samples']/li/a")]


@pytest.mark.parametrize("facet", ["agent", "client", "namespace"])
def test_the_samples_of_a_node_are_mapped_listed_and_paged(base: str, facet: str) -> None:
    value, total = _holders(base, facet)[0]
    assert total >= 3, "the demo gives each holder a few samples"
    seen: list[str] = []
    path = f"/{facet}/{value}?limit=2"
    for _ in range(total):  # at most one page per sample: the cursor ends
        section = _page(base, path).xpath("//section[@class='samples']")[0]
        listed = _listed(section)
        assert 1 <= len(listed) <= 2 and not set(listed) & set(seen)
        seen += listed
        mapped = section.xpath("./figure//svg//a/@href")
        assert set(mapped) <= set(listed)  # the map shows this page's samples, each linked to its page
        following = section.xpath("./nav[@class='pages']/a[@rel='next']/@href")
        if not following:
            break
        if len(seen) > len(listed):  # a later page leads back to the first
            assert section.xpath("./nav[@class='pages']/a[@rel='first']/@href")
        path = following[0]
    assert len(seen) == total and seen == sorted(seen)  # every sample once, in IGSN order, as search sorts them


def test_a_page_with_located_samples_has_their_map(base: str) -> None:
    value, _ = _holders(base, "agent")[0]
    section = _page(base, f"/agent/{value}").xpath("//section[@class='samples']")[0]
    assert section.xpath("./figure//svg"), "the demo's samples have locations"
    mapped = section.xpath("./figure//svg//a/@href")
    assert mapped and set(mapped) <= set(_listed(section))


@pytest.mark.parametrize("facet", ["agent", "namespace"])
def test_the_page_and_the_search_link_each_other(base: str, facet: str) -> None:
    value, total = _holders(base, facet)[0]
    section = _page(base, f"/{facet}/{value}").xpath("//section[@class='samples']")[0]
    [search] = section.xpath(".//a[starts-with(@href, '/search?')]/@href")
    found = _page(base, search)
    assert found.xpath("//main//p[starts-with(normalize-space(.), '%d sample')]" % total)
    assert found.xpath("//p[@class='holder']/a/@href") == [f"/{facet}/{value}"]
    # the search lists the page's samples in the same order
    assert found.xpath("//ol[@class='samples']/li/a/@href")[: len(_listed(section))] == _listed(section)
