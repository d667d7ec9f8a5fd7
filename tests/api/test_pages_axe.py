"""The pages a researcher meets pass axe-core's WCAG 2.1 A/AA rules in headless Chromium (issue 17).

Each page is opened from a live server over the demo data exactly as served — its stylesheet, its
Content-Security-Policy — and axe-core's vendored build (``tests/_vendor/axe-core``, MPL-2.0, refreshed by
``bench/refresh_world_atlas.sh``) is run in it over the DevTools protocol (``tests.api._chromium``), which the
page's policy does not govern: no copy of the page, nothing injected into what the server sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api._chromium import CHROMIUM, Browser
from tests.api.test_pages_browser import html_pages, pages_demo
from tests.conftest import live_server

AXE = Path(__file__).resolve().parent.parent / "_vendor" / "axe-core" / "axe.min.js"
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not vendored (bench/refresh_world_atlas.sh)"),
]

#: WCAG 2.0 and 2.1, levels A and AA
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN = (
    "axe.run(document, {runOnly: {type: 'tag', values: %s}}).then(function (r) {"
    "return r.violations.map(function (v) {"
    "return {id: v.id, impact: v.impact, nodes: v.nodes.map(function (n) { return n.target.join(' '); })}; }); })"
) % json.dumps(TAGS)
#: pages not ours to fix: the API docs are Swagger UI's own markup
NOT_OURS = {"API docs"}
#: (page, rule) accepted with a reason: YASGUI's tab list holds a non-tab child (upstream markup, issue 14)
ACCEPTED = {("SPARQL editor", "aria-required-children")}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(pages_demo(tmp_path_factory.mktemp("axe"))) as url:
        yield url


def test_pages_have_no_wcag_a_or_aa_violation(base: str, tmp_path: Path) -> None:
    axe = AXE.read_text(encoding="utf-8")
    browser = Browser(tmp_path / "profile", base)
    found = {}
    try:
        for name, (path, _) in html_pages(base).items():
            if name in NOT_OURS:
                continue
            visit = browser.visit(base + path, scripts=(axe + "\n;true", RUN))
            violations = [v for v in visit.result if (name, v["id"]) not in ACCEPTED]
            if violations:
                found[f"{name} {path}"] = violations
    finally:
        browser.close()
    assert not found, json.dumps(found, indent=1)
