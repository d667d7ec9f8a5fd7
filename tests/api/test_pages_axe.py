"""The pages a researcher meets pass axe-core's WCAG 2.1 A/AA rules in headless Chromium (issue 17).

Each page is fetched from a live server over the demo data, exactly as served; the strict CSP (which
rightly refuses any script we did not hash) is left out by opening a copy from a file beside axe-core's
vendored build (``tests/_vendor/axe-core``, MPL-2.0, refreshed by ``bench/refresh_world_atlas.sh``). axe
writes its violations into the page; ``--virtual-time-budget`` lets it finish before ``--dump-dom``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from lxml import etree

from tests.conftest import demo_settings, live_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
AXE = Path(__file__).resolve().parent.parent / "_vendor" / "axe-core" / "axe.min.js"
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not vendored (bench/refresh_world_atlas.sh)"),
]

#: WCAG 2.0 and 2.1, levels A and AA
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN = (
    "axe.run(document, {runOnly: {type: 'tag', values: %s}}).then(function (r) {"
    "var p = document.createElement('pre'); p.id = 'axe-result';"
    "p.textContent = JSON.stringify(r.violations.map(function (v) {"
    "return {id: v.id, impact: v.impact, nodes: v.nodes.map(function (n) { return n.target.join(' '); })}; }));"
    "document.body.appendChild(p); });"
) % json.dumps(TAGS)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(demo_settings(tmp_path_factory.mktemp("axe"))) as url:
        yield url


def _violations(html: bytes, folder: Path) -> list[dict[str, object]]:
    shutil.copy(AXE, folder / "axe.min.js")
    scripts = f'<script src="axe.min.js"></script><script>{RUN}</script></body>'.encode()
    (folder / "page.html").write_bytes(html.replace(b"</body>", scripts))
    proc = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={folder / 'p'}",
            "--virtual-time-budget=20000",
            "--dump-dom",
            (folder / "page.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    page = etree.HTML(proc.stdout.encode())
    assert page is not None, proc.stderr[-2000:]
    result = page.find(".//pre[@id='axe-result']")
    assert result is not None, "axe did not finish: " + proc.stderr[-2000:]
    return json.loads(result.text)  # type: ignore[no-any-return]


def _paths(base: str) -> list[str]:
    hits = httpx.get(base + "/api/v1/search", params={"q": "core"}, timeout=30).json()["items"]
    agent = hits[0]["agent"]
    return ["/", f"/{hits[0]['igsn']}", "/search?q=core", f"/agent/{agent}", "/search?q=nothingmatchesthis"]


def test_pages_have_no_wcag_a_or_aa_violation(base: str, tmp_path: Path) -> None:
    found = {}
    for i, path in enumerate(_paths(base)):
        r = httpx.get(base + path, headers={"Accept": "text/html"}, timeout=30)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
        assert "script-src 'self'" in r.headers["content-security-policy"]
        folder = tmp_path / str(i)
        folder.mkdir()
        violations = _violations(r.content, folder)
        if violations:
            found[path] = violations
    assert not found, json.dumps(found, indent=1)
