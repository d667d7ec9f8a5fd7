"""One layout, one stylesheet, a strict policy (issue 17): every HTML page of ours shares the shell of
``igsn_graph.pages`` (the header with home and search), links the one stylesheet file and nothing else, has no
inline style, and its Content-Security-Policy allows styles and scripts from this service only. The vendored
UIs (the API docs' Swagger UI, the SPARQL editor's YASGUI) style their markup inline: only their pages allow it.
Over HTTP from a live server on the demo data, every kind of page ``test_pages_browser`` opens."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from lxml import html

from igsn_graph.pages import STYLE, STYLESHEET_URL
from tests.api.test_pages_browser import html_pages, pages_demo
from tests.conftest import live_server

#: pages of vendored UIs that style their markup inline (the SPARQL editor is in our shell, with its own sheets)
INLINE_STYLES = {"SPARQL editor", "API docs"}
#: pages not built on our shell: Swagger UI's
VENDORED = {"API docs"}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(pages_demo(tmp_path_factory.mktemp("shell"))) as url:
        yield url


def _directives(policy: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}


def test_every_page_of_ours_has_the_shell_the_stylesheet_and_a_strict_policy(base: str) -> None:
    for name, (path, status) in html_pages(base).items():
        r = httpx.get(base + path, headers={"Accept": "text/html"}, timeout=30)
        assert r.status_code == status, name
        policy = _directives(r.headers["content-security-policy"])
        assert policy["default-src"] == ["'none'"] and policy["script-src"][0] == "'self'", name
        assert "'unsafe-inline'" not in policy["script-src"], name
        if name in INLINE_STYLES:
            assert policy["style-src"] == ["'self'", "'unsafe-inline'"], name
        else:
            assert policy["style-src"] == ["'self'"], name
        if name in VENDORED:
            continue
        doc = html.fromstring(r.content)
        assert doc.xpath("//link[@rel='stylesheet']/@href")[0] == STYLESHEET_URL, name
        if name not in INLINE_STYLES:
            assert doc.xpath("//link[@rel='stylesheet']/@href") == [STYLESHEET_URL], name
        assert not doc.xpath("//style | //*[@style]"), name
        header = doc.xpath("//body/header[@class='site']")
        assert header and header[0].xpath(".//a[@href='/']") and header[0].xpath(".//form[@action='/search']"), name
        assert len(doc.xpath("//main")) == 1, name


def test_the_stylesheet_is_served_and_cached_by_its_url(base: str) -> None:
    r = httpx.get(base + STYLESHEET_URL, timeout=30)
    assert r.status_code == 200 and r.headers["content-type"] == "text/css; charset=utf-8"
    assert r.text == STYLE and "max-age=86400" in r.headers["cache-control"]
    head = httpx.head(base + STYLESHEET_URL, timeout=30)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(r.content))
