"""Every HTML page, opened in headless Chromium exactly as served (its Content-Security-Policy included), logs
no console error, throws nothing and requests nothing from another origin, and passes axe-core's WCAG 2.1 A/AA
rules (issue 17).

``tests.api._chromium.Browser`` pauses every request the page makes (the DevTools ``Fetch`` domain): one for
another origin is recorded and failed, never sent. A refused inline style or script is a console error too.
axe-core's vendored build (``tests/_vendor/axe-core``, MPL-2.0, refreshed by ``bench/refresh_world_atlas.sh``)
runs in each page once it is quiet, over the DevTools protocol, which the page's policy does not govern: no copy
of the page, nothing injected into what the server sent. Each page is opened once for both checks (a page's
load and quiet second are the cost of these tests).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from igsn_graph.record import SampleRecord
from igsn_graph.registry.accounts import ADMIN
from igsn_graph.registry.service import Registry, Submission
from igsn_graph.settings import Settings
from tests.api._chromium import CHROMIUM, Browser, Visit
from tests.conftest import demo_settings, live_server

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(pages_demo(tmp_path_factory.mktemp("browser-pages"))) as url:
        yield url


@pytest.fixture(scope="module")
def browser(base: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    chromium = Browser(tmp_path_factory.mktemp("chromium-profile"), base)
    try:
        yield chromium
    finally:
        chromium.close()


AXE = Path(__file__).resolve().parent.parent / "_vendor" / "axe-core" / "axe.min.js"
#: WCAG 2.0 and 2.1, levels A and AA
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN = (
    "axe.run(document, {runOnly: {type: 'tag', values: %s}}).then(function (r) {"
    "return r.violations.map(function (v) {"
    "return {id: v.id, impact: v.impact, nodes: v.nodes.map(function (n) { return n.target.join(' '); })}; }); })"
) % json.dumps(TAGS)
#: pages not ours to fix for axe: the API docs are Swagger UI's own markup
NOT_OURS = {"API docs"}
#: (page, rule) accepted with a reason: YASGUI's tab list holds a non-tab child (upstream markup, issue 14)
ACCEPTED = {("SPARQL editor", "aria-required-children")}


#: a sample ``pages_demo`` registers in the demo's namespace ZG and deactivates, for the tombstone page
GONE = "ZGPAGESGONE1"


def pages_demo(tmp: Path) -> Settings:
    """The demo data and one deactivated sample (a 410 tombstone page), closed again for a server."""
    settings = demo_settings(tmp)
    with Registry(settings) as registry:
        [outcome] = registry.register(ADMIN, [Submission(SampleRecord(GONE, name="Withdrawn chip"), "test")])
        assert outcome.ok, outcome
        registry.deactivate(ADMIN, GONE)
    return settings


def html_pages(base: str) -> dict[str, tuple[str, int]]:
    """Every kind of HTML page the service answers, on ``pages_demo``'s data: name → (path, status)."""
    hit = httpx.get(base + "/api/v1/search", params={"q": "core"}, timeout=30).json()["items"][0]
    igsn = hit["igsn"]
    every = httpx.get(base + "/api/v1/search", params={"limit": 200}, timeout=30).json()["items"]
    client = hit["client"] or next(h["client"] for h in every if h["client"])
    deprecated = next(h["igsn"] for h in every if h["status"] == "deprecated")
    return {
        "home": ("/", 200),
        "landing": (f"/{igsn}", 200),
        "alternates": (f"/{igsn}?_profile=alt", 200),
        "search form": ("/search", 200),
        "search with results": ("/search?q=core", 200),
        "search without results": ("/search?q=nothingmatchesthis", 200),
        "agent": (f"/agent/{hit['agent']}", 200),
        "client": (f"/client/{client}", 200),
        "namespace": (f"/namespace/{hit['namespace']}", 200),
        "version": (f"/version/{igsn}/1", 200),
        "activity": (f"/activity/{igsn}/1", 200),
        "history": (f"/provenance/{igsn}", 200),
        "accounts": ("/accounts", 200),
        "SPARQL editor": ("/sparql", 200),
        "API docs": ("/docs", 200),
        "deprecated sample": (f"/{deprecated}", 200),
        "deactivated sample": (f"/{GONE}", 410),
        "unknown sample": ("/ZZZ-NOT-REGISTERED", 404),
        "not an IGSN": ("/no%20such%20thing", 404),
        "unknown agent": ("/agent/NOSUCHAGENT", 404),
        "bad search": ("/search?bbox=north", 400),
    }


@dataclass
class Opened:
    """One page as the browser saw it once loaded and quiet, and what axe-core found in it then (None: not run)."""

    path: str
    status: int
    visit: Visit
    violations: list[dict[str, object]] | None


@pytest.fixture(scope="module")
def opened(base: str, browser: Browser) -> dict[str, Opened]:
    """Every page of ``html_pages``, opened once: what it requested and logged until quiet, then axe-core's
    violations (when axe-core is vendored and the page is ours)."""
    axe = AXE.read_text(encoding="utf-8") if AXE.exists() else None
    out = {}
    for name, (path, status) in html_pages(base).items():
        page = browser.open(base + path)
        try:
            seen = Visit(
                page.visit.url, list(page.visit.requested), list(page.visit.external), list(page.visit.console)
            )
            violations = None
            if axe is not None and name not in NOT_OURS:
                page.evaluate(axe + "\n;true")
                violations = page.evaluate(RUN, timeout=120)
        finally:
            page.close()
        out[name] = Opened(path, status, seen, violations)
    return out


def test_every_page_logs_no_error_and_loads_only_from_this_server(base: str, opened: dict[str, Opened]) -> None:
    problems: dict[str, dict[str, list[str]]] = {}
    for name, page in opened.items():
        path, status, visit = page.path, page.status, page.visit
        r = httpx.get(base + path, headers={"Accept": "text/html"}, timeout=30)
        assert r.status_code == status and r.headers["content-type"].startswith("text/html"), (name, r.status_code)
        assert visit.requested and visit.requested[0].startswith(base), (name, visit.requested)
        console = [
            m
            for m in visit.console
            # Chromium logs a document answered with an error status as a failed load: the error page's point
            if not (status >= 400 and f"the server responded with a status of {status}" in m and base + path in m)
        ]
        if console or visit.external:
            problems[name] = {"console": console, "external": visit.external}
    assert not problems, json.dumps(problems, indent=1)


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not vendored (bench/refresh_world_atlas.sh)")
def test_pages_have_no_wcag_a_or_aa_violation(opened: dict[str, Opened]) -> None:
    found = {}
    for name, page in opened.items():
        if name in NOT_OURS:
            continue
        assert page.violations is not None, name
        violations = [v for v in page.violations if (name, v["id"]) not in ACCEPTED]
        if violations:
            found[f"{name} {page.path}"] = violations
    assert not found, json.dumps(found, indent=1)


def test_the_check_sees_an_external_request_and_a_console_error(browser: Browser) -> None:
    """The check itself: a page that loads an image from elsewhere, has an inline style its policy refuses and
    logs an error is caught (a data: page, which makes no request of its own)."""
    page = (
        "<!DOCTYPE html><html lang='en'><head><title>bad</title>"
        "<meta http-equiv='Content-Security-Policy' content=\"style-src 'self'\">"
        "<style>p{color:red}</style></head><body><p>x</p><img src='https://tiles.example.invalid/1.png' alt='x'>"
        "<script>console.error('boom')</script></body></html>"
    )
    visit = browser.visit("data:text/html," + quote(page))
    assert "https://tiles.example.invalid/1.png" in visit.external
    assert any("boom" in m for m in visit.console), visit.console
    assert any("Content Security Policy" in m for m in visit.console), visit.console  # a refused inline style
