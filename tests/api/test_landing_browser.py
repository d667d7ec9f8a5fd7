"""The landing page in headless Chromium (Debian package ``chromium``): it renders, logs no console
errors, loads nothing from elsewhere, and its embedded JSON-LD parses and describes the sample."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Iterator

import pytest
from lxml import etree
from pyoxigraph import RdfFormat, parse

from igsn_graph.registry.service import Registry, Submission
from tests.conftest import fresh_settings, live_server
from tests.oai.samples import ONE, rich

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
NAME = "ZTA001"
#: console messages Chromium writes to stderr with --enable-logging=stderr (``:INFO:CONSOLE:1] "…"`` in current
#: builds, ``CONSOLE(1)`` in older ones); the level is not reliable there, and the page runs no script, so any
#: console message at all (an uncaught error, a blocked or failed load) is a failure
CONSOLE = re.compile(r":CONSOLE[:(]\d+\)?\] (.*)")


@pytest.fixture(scope="module")
def page_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = fresh_settings(tmp_path_factory.mktemp("browser"))
    with Registry(settings) as registry:
        subs = [
            Submission(rich(NAME), "igsn_desc", None, None),
            Submission(rich("ZTA002", parents=[NAME]), "igsn_desc", None, None),
        ]
        assert all(o.ok for o in registry.register(ONE, subs))
    with live_server(settings) as base:
        yield f"{base}/{NAME}"


def _chromium(url: str, tmp: str) -> tuple[str, str]:
    proc = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={tmp}",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    return proc.stdout, proc.stderr


def test_landing_page_renders_without_console_errors(page_url: str, tmp_path: object) -> None:
    dom, log = _chromium(page_url, str(tmp_path))
    page = etree.HTML(dom.encode())
    assert page is not None and page.findtext(".//h1") == f"Core section {NAME}", dom[:500]
    assert page.find(".//svg") is not None  # the map is drawn inline
    console = [m.group(1) for m in CONSOLE.finditer(log)]
    assert not console, console
    assert "Uncaught" not in log
    [block] = page.xpath("//script[@type='application/ld+json']")
    doc = json.loads(block.text)
    assert doc["@id"].endswith("/" + NAME) and doc["hasPart"]
    triples = list(parse(block.text.encode(), format=RdfFormat.JSON_LD))
    assert any(
        t.subject.value.endswith("/" + NAME)
        and t.predicate.value == "https://schema.org/name"
        and t.object.value == f"Core section {NAME}"
        for t in triples
    )
