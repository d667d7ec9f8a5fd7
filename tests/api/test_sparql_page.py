"""The /sparql query page: the vendored editor (YASGUI) loads from this service only, its files are served with
their media types, and in headless Chromium (Debian package ``chromium``) it loads without a console error, runs
an example query against the endpoint and shows the results as a table whose IRIs link to this service.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: file descriptors 3 and 4,
messages ended by NUL), so the test needs no WebSocket client."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from lxml import html

from api.app import create_app
from api.routers.sparql import ASSETS, EXAMPLES
from igsn_graph.pages import STYLESHEET_URL
from tests.api._chromium import CHROMIUM, Browser, Page
from tests.conftest import demo_settings, live_server

browser = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="module")
def settings_dir(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return demo_settings(tmp_path_factory.mktemp("sparql-page"))


@pytest.fixture(scope="module")
def client(settings_dir: Any) -> Iterator[TestClient]:
    with TestClient(create_app(settings_dir)) as c:
        yield c


def _page(client: TestClient) -> html.HtmlElement:
    r = client.get("/sparql", headers=HTML)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    return html.fromstring(r.content)


def test_the_page_loads_scripts_and_styles_from_this_service_only(client: TestClient) -> None:
    page = _page(client)
    loaded = page.xpath("//script/@src | //link[@rel='stylesheet']/@href | //img/@src | //iframe/@src")
    assert len(loaded) == 5 and loaded[0] == STYLESHEET_URL, loaded  # the site's shell, then the editor's files
    for url in loaded[1:]:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and parts.path.startswith("/sparql/assets/"), url
    assert not [s for s in page.xpath("//script[not(@src)]") if (s.get("type") or "") != "application/json"]
    # the editor points at this endpoint; every example is on the page
    [root] = page.xpath("//div[@id='yasgui']")
    assert root.get("data-endpoint") == "http://testserver/sparql"
    assert json.loads(root.get("data-prefixes"))["xsd"] == "http://www.w3.org/2001/XMLSchema#"  # results read short
    assert [a.text for a in page.xpath("//a[@data-query]")] == [title for title, _ in EXAMPLES]


def test_without_javascript_a_form_runs_a_query(client: TestClient) -> None:
    [form] = _page(client).xpath("//noscript/form")
    assert form.get("action") == "http://testserver/sparql" and form.get("method") == "get"
    query = form.xpath(".//textarea[@name='query']")[0].text
    r = client.get("/sparql", params={"query": query, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert len(r.text.splitlines()) > 1


def test_the_policy_stays_strict_on_the_page(client: TestClient) -> None:
    policy = client.get("/sparql", headers=HTML).headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["connect-src"] == "'self'"
    assert "unsafe-eval" not in policy


@pytest.mark.parametrize("name", sorted(ASSETS))
def test_assets_are_served_with_their_media_types(client: TestClient, name: str) -> None:
    path, media_type = ASSETS[name]
    r = client.get(f"/sparql/assets/{name}")
    assert r.status_code == 200
    assert r.headers["content-type"] == media_type
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.content == Path(path).read_bytes()
    head = client.head(f"/sparql/assets/{name}")
    assert head.status_code == 200 and head.headers["content-type"] == media_type and not head.content


def test_an_unknown_asset_is_a_404_and_no_path_reaches_the_disk(client: TestClient) -> None:
    assert client.get("/sparql/assets/nothing.js").status_code == 404
    assert client.get("/sparql/assets/..%2Fsparql-page.js").status_code == 404


def test_the_vendored_editor_has_its_licence_version_and_notices(client: TestClient) -> None:
    """The package's own licence (its holders named), and the notices of every package the bundle includes
    (bench/refresh_yasgui.sh writes both from the npm package), linked from the page."""
    folder = Path(ASSETS["yasgui.min.js"][0]).parent
    version = (folder / "VERSION").read_text(encoding="ascii").strip()
    assert version.count(".") == 2
    licence = (folder / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in licence and f"@zazuko/yasgui {version}" in licence and "Copyright (c) " in licence
    notices = (folder / "THIRD-PARTY-NOTICES").read_text(encoding="utf-8")
    # what the bundle's source map lists: the editor, the table, the CSV writer…, each with its licence text
    for bundled in ("codemirror", "datatables.net", "jquery", "papaparse", "dompurify", "@json2csv/plainjs"):
        assert f"\n{bundled} " in notices, bundled
    assert notices.count("Permission is hereby granted") >= 10 and "Apache License" in notices
    links = {a.text: a.get("href") for a in _page(client).xpath("//a[starts-with(@href, '/sparql/assets/')]")}
    assert links["MIT licence"].startswith("/sparql/assets/LICENSE.yasgui?")
    assert links["third-party notices"].startswith("/sparql/assets/THIRD-PARTY-NOTICES.yasgui?")


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Browser, str]]:
    # a data folder of its own: the TestClient's app holds the other one open
    with live_server(demo_settings(tmp_path_factory.mktemp("sparql-browser"))) as base:
        browser = Browser(tmp_path_factory.mktemp("chromium"), base)
        try:
            yield browser, base
        finally:
            browser.close()


@contextmanager
def _editor(chromium: tuple[Browser, str]) -> Iterator[Page]:
    """The query page in a tab of its own, once the editor is there; it asked nothing of another origin."""
    browser, base = chromium
    page = browser.open(f"{base}/sparql")
    try:
        page.wait_for("document.readyState === 'complete' && !!document.querySelector('#yasgui .CodeMirror')")
        yield page
        assert not page.visit.external, page.visit.external
    finally:
        page.close()


@browser
def test_in_chromium_the_editor_runs_an_example_and_shows_a_table(chromium: tuple[Browser, str]) -> None:
    with _editor(chromium) as tools:
        # one tab per example, the first one active with its query in the editor
        tabs = tools.evaluate("Array.from(document.querySelectorAll('#yasgui .tab a span')).map(s => s.textContent)")
        assert len(tabs) == len(EXAMPLES) and all(
            title.startswith(tab.rstrip("\u2026")) for tab, (title, _) in zip(tabs, EXAMPLES, strict=True)
        ), tabs
        assert tools.evaluate("igsnSparql.getTab().getYasqe().getValue()") == EXAMPLES[0][1]
        tools.evaluate("igsnSparql.getTab().getYasqe().query(); true")
        rows = tools.wait_for("document.querySelectorAll('#yasgui .yasr table.dataTable tbody tr').length")
        assert rows > 0
        assert tools.evaluate("document.querySelector('#yasgui .yasr .dataTables_empty') === null")
        # the results download (the table as CSV; the "response" view downloads the endpoint's JSON)
        assert tools.evaluate("!!document.querySelector('#yasgui .yasr .yasr_downloadIcon')")
        assert not tools.problems, tools.problems


@browser
def test_in_chromium_iris_of_this_registry_link_to_its_pages(chromium: tuple[Browser, str]) -> None:
    with _editor(chromium) as tools:
        base = chromium[1]
        query = "PREFIX ig: <https://w3id.org/igsn-graph/ontology#> SELECT ?s WHERE { ?s ig:igsn ?n } LIMIT 3"
        tools.evaluate(f"var y = igsnSparql.getTab().getYasqe(); y.setValue({json.dumps(query)}); y.query(); true")
        hrefs = tools.wait_for("Array.from(document.querySelectorAll('#yasgui .yasr a.iri')).map(a => a.href)")
        assert len(hrefs) == 3 and all(h.startswith(base + "/") for h in hrefs), hrefs
        assert not tools.problems, tools.problems


@browser
def test_in_chromium_a_numeric_column_is_charted(chromium: tuple[Browser, str]) -> None:
    """Results with a numeric column offer the "Chart" view: one SVG bar per row, labelled by the first other
    column (prefixed names as in the table); results without one do not offer it."""
    with _editor(chromium) as tools:
        query = (
            "PREFIX ig: <https://w3id.org/igsn-graph/ontology#> "
            "SELECT ?material (COUNT(?s) AS ?n) WHERE { ?s ig:material ?material } GROUP BY ?material ORDER BY DESC(?n)"
        )
        tools.evaluate(f"var y = igsnSparql.getTab().getYasqe(); y.setValue({json.dumps(query)}); y.query(); true")
        rows = tools.wait_for("document.querySelectorAll('#yasgui .yasr table.dataTable tbody tr').length")
        assert tools.evaluate("igsnSparql.getTab().getYasr().plugins.chart.canHandleResults()") is True
        tools.evaluate("document.querySelector('#yasgui .yasr .select_chart').click(); true")
        bars = tools.wait_for("document.querySelectorAll('#yasgui svg.igsn-chart rect.igsn-chart-bar').length")
        assert bars == min(rows, 40)
        chart = tools.evaluate(
            "(() => { const svg = document.querySelector('#yasgui svg.igsn-chart'); return {"
            "label: svg.getAttribute('aria-label'),"
            "names: Array.from(svg.querySelectorAll('text.igsn-chart-label')).map(t => t.textContent),"
            "values: Array.from(svg.querySelectorAll('text.igsn-chart-value')).map(t => Number(t.textContent)),"
            "widths: Array.from(svg.querySelectorAll('rect.igsn-chart-bar')).map(r => Number(r.getAttribute('width')))"
            "}; })()"
        )
        assert chart["label"] == "Bar chart of ?n by ?material"
        assert chart["values"] == sorted(chart["values"], reverse=True) and chart["values"][0] > 0
        assert chart["widths"] == sorted(chart["widths"], reverse=True)  # longer bar, larger count
        assert all(name and not name.startswith("http") for name in chart["names"]), chart["names"]
        # no numeric column: no chart
        tools.evaluate("igsnSparql.getTab().getYasr().selectPlugin('table'); true")
        text_only = "PREFIX ig: <https://w3id.org/igsn-graph/ontology#> SELECT ?s WHERE { ?s ig:igsn ?n } LIMIT 3"
        tools.evaluate(f"var y = igsnSparql.getTab().getYasqe(); y.setValue({json.dumps(text_only)}); y.query(); true")
        tools.wait_for("document.querySelectorAll('#yasgui .yasr a.iri').length === 3")
        assert tools.evaluate("igsnSparql.getTab().getYasr().plugins.chart.canHandleResults()") is False
        assert not tools.problems, tools.problems


def _type(tools: Page, text: str) -> None:
    """Types ``text`` into the focused element as keyboard input (what a person typing sends, not a value set)."""
    tools.browser.send("Input.insertText", {"text": text}, tools.session, visit=tools.visit)


def _press(tools: Page, key: str, code: int) -> None:
    for kind in ("keyDown", "keyUp"):
        event = {"type": kind, "key": key, "code": key, "windowsVirtualKeyCode": code}
        tools.browser.send("Input.dispatchKeyEvent", event, tools.session, visit=tools.visit)


@browser
def test_in_chromium_typing_a_known_prefix_offers_its_iri(chromium: tuple[Browser, str]) -> None:
    """Prefix completion from the bundled list (no request elsewhere): ``PREFIX rdfs`` offers the rdfs IRI and
    Enter takes it; a prefixed name used without a declaration gets its PREFIX line added."""
    with _editor(chromium) as tools:
        tools.evaluate("var y = igsnSparql.getTab().getYasqe(); y.setValue(''); y.focus(); true")
        _type(tools, "PREFIX rdfs")
        hints = tools.wait_for(
            "Array.from(document.querySelectorAll('.CodeMirror-hints li')).map(li => li.textContent)"
        )
        assert "rdfs: <http://www.w3.org/2000/01/rdf-schema#>" in hints, hints
        _press(tools, "Enter", 13)
        value = tools.wait_for(
            "igsnSparql.getTab().getYasqe().getValue().includes('<') && igsnSparql.getTab().getYasqe().getValue()"
        )
        assert value.strip() == "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>", value
        # a prefixed name in the query: its declaration is added
        tools.evaluate("var y = igsnSparql.getTab().getYasqe(); y.setValue(''); y.focus(); true")
        _type(tools, "SELECT * WHERE { ?s dcterms:")
        value = tools.wait_for(
            "igsnSparql.getTab().getYasqe().getValue().startsWith('PREFIX') && "
            "igsnSparql.getTab().getYasqe().getValue()"
        )
        assert "PREFIX dcterms: <http://purl.org/dc/terms/>" in value, value
        assert not tools.problems, tools.problems


#: the facet count of the demo data: one row per material, a numeric column to sort by
FACET = (
    "PREFIX ig: <https://w3id.org/igsn-graph/ontology#> "
    "SELECT ?material (COUNT(?s) AS ?n) WHERE { ?s ig:material ?material } GROUP BY ?material ORDER BY ?material"
)


def _column(tools: Page, index: int) -> list[int]:
    """The numbers of a column of the results table as shown (cells read ``"4"^^xsd:integer``)."""
    cells = tools.evaluate(
        "Array.from(document.querySelectorAll('#yasgui .yasr table.dataTable tbody tr'))"
        f".map(tr => tr.querySelectorAll('td')[{index}].textContent.trim())"
    )
    return [int(re.match(r'"?(-?\d+)', cell).group(1)) for cell in cells]  # type: ignore[union-attr]


@browser
def test_in_chromium_a_results_column_sorts(chromium: tuple[Browser, str]) -> None:
    """Clicking a column's header sorts the table by it (numbers as numbers), a second click the other way."""
    with _editor(chromium) as tools:
        tools.evaluate(f"var y = igsnSparql.getTab().getYasqe(); y.setValue({json.dumps(FACET)}); y.query(); true")
        tools.wait_for("document.querySelectorAll('#yasgui .yasr table.dataTable tbody tr').length > 2")
        headers = tools.evaluate(
            "Array.from(document.querySelectorAll('#yasgui .yasr table.dataTable thead th'))"
            ".map(th => th.textContent.trim())"
        )
        n = next(i for i, h in enumerate(headers) if h.startswith("?n") or h == "n")
        before = _column(tools, n)
        header = f"document.querySelectorAll('#yasgui .yasr table.dataTable thead th')[{n}]"
        tools.evaluate(f"{header}.click(); true")
        ascending = _column(tools, n)
        tools.evaluate(f"{header}.click(); true")
        descending = _column(tools, n)
        assert ascending == sorted(before) and descending == sorted(before, reverse=True), (ascending, descending)
        assert len(set(before)) > 1  # (the demo's materials do not all have one count)
        assert not tools.problems, tools.problems


def _download(tools: Page, folder: Path, before: set[str]) -> Path:
    """Clicks the results' download button; the file the browser saved."""
    tools.evaluate("document.querySelector('#yasgui .yasr .yasr_downloadIcon').click(); true")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if p.name not in before and not p.name.endswith(".crdownload")]
        if done:
            return done[0]
        tools.wait_for("true")  # let the page and the browser go on
        time.sleep(0.1)
    raise AssertionError(f"nothing was downloaded into {folder}")


@browser
def test_in_chromium_results_download_as_csv_and_json(
    chromium: tuple[Browser, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The download button saves the table as CSV and, in the "response" view, the endpoint's JSON — the
    results themselves, as files the browser wrote."""
    browser, _ = chromium
    folder = tmp_path_factory.mktemp("downloads")
    browser.send("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)})
    with _editor(chromium) as tools:
        tools.evaluate(f"var y = igsnSparql.getTab().getYasqe(); y.setValue({json.dumps(FACET)}); y.query(); true")
        rows = tools.wait_for("document.querySelectorAll('#yasgui .yasr table.dataTable tbody tr').length")
        table = _download(tools, folder, set())
        lines = list(csv.reader(io.StringIO(table.read_text(encoding="utf-8"))))
        assert lines[0] == ["material", "n"] and len(lines) == rows + 1, lines[:3]
        assert all(int(n) > 0 for _, n in lines[1:])
        tools.evaluate("igsnSparql.getTab().getYasr().selectPlugin('response'); true")
        tools.wait_for("!document.querySelector('#yasgui .yasr .yasr_downloadIcon').classList.contains('disabled')")
        response = _download(tools, folder, {table.name})
        data = json.loads(response.read_text(encoding="utf-8"))
        assert data["head"]["vars"] == ["material", "n"] and len(data["results"]["bindings"]) == rows
        counts = {b["material"]["value"]: int(b["n"]["value"]) for b in data["results"]["bindings"]}
        assert counts == {material: int(n) for material, n in lines[1:]}  # the same results in both files
        assert not tools.problems, tools.problems


AXE = Path(__file__).resolve().parent.parent / "_vendor" / "axe-core" / "axe.min.js"
#: WCAG 2.0 and 2.1, levels A and AA (as tests/api/test_pages_browser.py)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: YASGUI puts its "add a tab" button inside the tablist (upstream markup; moving it breaks YASGUI's tab
#: insertion): the one violation the page accepts
ACCEPTED = {("aria-required-children", ".tabsList")}


@browser
@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not vendored (bench/refresh_world_atlas.sh)")
def test_in_chromium_the_page_with_results_passes_axe(chromium: tuple[Browser, str]) -> None:
    with _editor(chromium) as tools:
        tools.evaluate("igsnSparql.getTab().getYasqe().query(); true")
        tools.wait_for("document.querySelectorAll('#yasgui .yasr table.dataTable tbody tr').length")
        tools.evaluate(AXE.read_text(encoding="utf-8") + ";true")  # DevTools evaluation: not subject to the page's CSP
        run = (
            "axe.run(document, {runOnly: {type: 'tag', values: %s}}).then(r => r.violations.flatMap("
            "v => v.nodes.map(n => [v.id, n.target.join(' '), n.failureSummary])))"
        ) % json.dumps(AXE_TAGS)
        found = tools.evaluate(run, timeout=120)
        violations = [v for v in found if (v[0], v[1]) not in ACCEPTED]
        assert not violations, violations
