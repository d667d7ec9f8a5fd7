"""No reflected or stored markup: hostile input in paths, queries, headers and registered content never comes
back unescaped in HTML pages (landing, tombstone, 404, search, SPARQL page) or breaks XML answers (OAI-PMH,
MDS documents); plain-text errors that echo input are ``text/plain`` with ``nosniff``.

HTML answers are parsed with lxml.html: no executable script, no event-handler attribute, no ``javascript:``
URL, no element the input carried (``<img src=x>``); the JSON-LD data blocks parse as JSON and keep the
hostile text as data. XML answers must be well-formed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import lxml.html
import pytest
from fastapi.testclient import TestClient
from lxml import etree

from api.app import create_app
from tests.conftest import CLIENT_ONE, fresh_settings

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
BREAKOUT = "</script><script>alert(2)</script>"
XML_SPECIALS = "&amp; & < > \" ' ]]> <!-- -->"
HOSTILE = [SCRIPT, IMG, BREAKOUT, XML_SPECIALS, "javascript:alert(3)", "' onmouseover='alert(4)"]
#: markup that must never come back raw in an HTML page
RAW = [SCRIPT.encode(), b"<img src=x", b"<script>alert(2)"]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def hostile_record(name: str) -> bytes:
    """A CSIRO v3 record whose texts are all hostile (escaped in the XML, so they arrive as text)."""
    title = _escape(f"{SCRIPT}{IMG}{BREAKOUT}")
    return (
        '<resources xmlns="https://igsn.csiro.au/schemas/3.0"><resource registeredObjectType='
        '"http://pid.geoscience.gov.au/def/voc/igsn-codelists/PhysicalSample">'
        f"<resourceIdentifier>{name}</resourceIdentifier><landingPage>https://example.org/{name}</landingPage>"
        f"<isPublic>true</isPublic><resourceTitle>{title}</resourceTitle>"
        f"<comments>{_escape(XML_SPECIALS)} {_escape(IMG)}</comments>"
        "</resource></resources>"
    ).encode()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(create_app(fresh_settings(tmp_path_factory.mktemp("reflection")))) as client:
        for name in ("ZTA0001", "ZTA0002"):
            r = client.post(
                "/metadata", content=hostile_record(name), headers={"Content-Type": "application/xml"}, auth=CLIENT_ONE
            )
            assert r.status_code == 201, r.text
        assert client.delete("/metadata/ZTA0002", auth=CLIENT_ONE).status_code == 200
        yield client


def inline_scripts(r: httpx.Response) -> frozenset[str]:
    """The executable inline scripts of a page (as served without hostile input: the page's own)."""
    doc = lxml.html.document_fromstring(r.content)
    return frozenset(s.text or "" for s in doc.iter("script") if not s.get("type"))


def assert_safe_html(r: httpx.Response, own_scripts: frozenset[str] = frozenset()) -> lxml.html.HtmlElement:
    assert r.headers["content-type"].startswith("text/html"), r.headers
    assert r.headers["x-content-type-options"] == "nosniff"
    for raw in RAW:
        assert raw not in r.content, (raw, r.text[:2000])
    doc = lxml.html.document_fromstring(r.content)
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue  # comments, processing instructions
        tag = el.tag.lower()
        if tag == "script" and not el.get("type") and (el.text or "") in own_scripts:
            continue  # the page's own script, the same as without hostile input
        if tag == "script":
            # only data blocks, and they hold JSON (the hostile texts as data)
            assert (el.get("type") or "").lower() == "application/ld+json", lxml.html.tostring(el)
            json.loads(el.text or "null")
        assert not (tag == "img" and el.get("src") == "x"), lxml.html.tostring(el)
        for attr, value in el.attrib.items():
            assert not attr.lower().startswith("on"), (tag, attr, value)
            if attr.lower() in ("href", "src", "action", "formaction"):
                assert not value.strip().lower().startswith(("javascript:", "data:text")), (tag, attr, value)
    return doc


def json_ld_texts(doc: lxml.html.HtmlElement) -> str:
    return " ".join(json.dumps(json.loads(s.text)) for s in doc.iter("script"))


# -- HTML pages -----------------------------------------------------------------------------------------------
def test_the_landing_page_shows_hostile_content_as_text(app: TestClient) -> None:
    r = app.get("/ZTA0001?_profile=landing", headers={"Accept": "text/html"})
    assert r.status_code == 200
    doc = assert_safe_html(r)
    # the texts are shown, as text
    assert SCRIPT in doc.text_content() and IMG in doc.text_content()
    assert BREAKOUT in json_ld_texts(doc) or SCRIPT in json_ld_texts(doc)


def test_the_tombstone_page_is_safe(app: TestClient) -> None:
    r = app.get("/ZTA0002", headers={"Accept": "text/html"})
    assert r.status_code == 410
    assert_safe_html(r)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_paths_on_the_html_404_page(app: TestClient, hostile: str) -> None:
    for path in (quote(hostile, safe=""), "ZTA" + quote(hostile, safe=""), quote(hostile, safe="") + "/x"):
        r = app.get(f"/{path}", headers={"Accept": "text/html"}, follow_redirects=False)
        assert r.status_code in (404, 400), (path, r.status_code)
        if r.headers["content-type"].startswith("text/html"):
            assert_safe_html(r)
        else:
            assert r.headers["x-content-type-options"] == "nosniff"
            assert not r.headers["content-type"].startswith(("text/xml", "application/xhtml"))


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_queries_and_headers_on_the_landing_page(app: TestClient, hostile: str) -> None:
    headers = {
        "Accept": "text/html",
        "Accept-Language": hostile,
        "User-Agent": hostile,
        "Referer": hostile,
        "X-Forwarded-Host": hostile,
        "X-Forwarded-Proto": hostile,
        "Accept-Profile": hostile,
    }
    for query in (
        {"_profile": "landing", "x": hostile},
        {"_profile": "landing", "style": hostile},
        {"_profile": hostile},
        {"_mediatype": hostile},
        {"_profile": "landing", "locale": hostile},
    ):
        r = app.get("/ZTA0001", params=query, headers=headers, follow_redirects=False)
        assert r.status_code in (200, 303, 400, 404, 406), (query, r.status_code)
        if r.headers.get("content-type", "").startswith("text/html"):
            assert_safe_html(r)
        elif r.status_code >= 400:
            assert r.headers["content-type"].startswith(
                ("text/plain", "application/json", "application/problem+json")
            ), r.headers
        # a redirect never goes where the input says
        assert hostile not in r.headers.get("location", "")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_search_parameters(app: TestClient, hostile: str) -> None:
    for params in (
        {"q": hostile},
        {"q": f'"{hostile}'},
        {"bbox": hostile},
        {"from": hostile},
        {"agent": hostile},
        {"sort": hostile},
        {"cursor": hostile},
        {"limit": hostile},
        {hostile: "1"},
    ):
        r = app.get("/search", params=params, headers={"Accept": "text/html", "Referer": hostile})
        assert r.status_code in (200, 400), (params, r.status_code)
        assert_safe_html(r)
        api = app.get("/api/v1/search", params=params)
        assert api.status_code in (200, 400) and api.headers["content-type"].startswith(
            ("application/json", "application/problem+json")
        )


@pytest.mark.parametrize("hostile", HOSTILE)
def test_the_sparql_page_reflects_nothing(app: TestClient, hostile: str) -> None:
    own = inline_scripts(app.get("/sparql", headers={"Accept": "text/html"}))
    r = app.get("/sparql", params={"x": hostile}, headers={"Accept": "text/html", "Referer": hostile})
    assert r.status_code == 200
    assert_safe_html(r, own)
    # a malformed query's error is plain text
    bad = app.get("/sparql", params={"query": hostile}, headers={"Accept": "text/html"})
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("text/plain")


# -- XML answers --------------------------------------------------------------------------------------------
OAI = "{http://www.openarchives.org/OAI/2.0/}"


def assert_well_formed(r: httpx.Response) -> etree._Element:
    assert r.headers["content-type"].startswith("text/xml") or r.headers["content-type"].startswith(
        "application/xml"
    ), r.headers
    root = etree.fromstring(r.content, etree.XMLParser(resolve_entities=False, no_network=True))
    for el in root.iter():
        if isinstance(el.tag, str):
            assert etree.QName(el).localname not in ("script", "img"), etree.tostring(el)
    return root


OAI_HOSTILE = HOSTILE + ["\x01\x02", "\ud7ff\ufffe", "a\x00b"]


@pytest.mark.parametrize("hostile", OAI_HOSTILE, ids=[f"h{i}" for i in range(len(OAI_HOSTILE))])
def test_hostile_oai_arguments_get_well_formed_errors(app: TestClient, hostile: str) -> None:
    for params in (
        {"verb": hostile},
        {"verb": "GetRecord", "identifier": hostile, "metadataPrefix": "oai_dc"},
        {"verb": "GetRecord", "identifier": "oai:test.igsn-graph.org:ZTA0001", "metadataPrefix": hostile},
        {"verb": "ListRecords", "resumptionToken": hostile},
        {"verb": "ListRecords", "set": hostile, "metadataPrefix": "oai_dc"},
        {"verb": "ListIdentifiers", "from": hostile, "metadataPrefix": "oai_dc"},
        {"verb": "Identify", hostile: "x"},
    ):
        query = "&".join(
            f"{quote(k.encode('utf-8', 'surrogatepass'), safe='')}={quote(v.encode('utf-8', 'surrogatepass'), safe='')}"
            for k, v in params.items()
        )
        for r in (
            app.get(f"/oai?{query}"),
            app.post("/oai", content=query.encode(), headers={"Content-Type": "application/x-www-form-urlencoded"}),
        ):
            assert r.status_code == 200, (params, r.status_code, r.text[:300])
            root = assert_well_formed(r)
            assert root.find(f"{OAI}error") is not None, (params, r.text[:500])


def test_invalid_utf8_in_oai_arguments(app: TestClient) -> None:
    r = app.get("/oai?verb=GetRecord&identifier=%FF%FE&metadataPrefix=oai_dc")
    assert r.status_code == 200
    assert assert_well_formed(r).find(f"{OAI}error") is not None


def test_hostile_content_in_oai_records_stays_well_formed(app: TestClient) -> None:
    for prefix in ("oai_dc", "igsn", "igsn_desc", "datacite"):
        r = app.get(
            "/oai",
            params={"verb": "GetRecord", "metadataPrefix": prefix, "identifier": "oai:test.igsn-graph.org:ZTA0001"},
        )
        assert r.status_code == 200
        root = assert_well_formed(r)
        if prefix == "oai_dc":
            assert SCRIPT in "".join(root.itertext())  # the title, as text


@pytest.mark.parametrize("hostile", HOSTILE)
def test_mds_errors_echoing_input_are_plain_text(app: TestClient, hostile: str) -> None:
    encoded = quote(hostile, safe="")
    answers = [
        app.get(f"/metadata/{encoded}", auth=CLIENT_ONE),
        app.get(f"/igsn/{encoded}", auth=CLIENT_ONE),
        app.get(f"/doi/10273/{encoded}", auth=CLIENT_ONE),
        app.post(
            "/igsn",
            content=f"igsn={hostile}\nurl=https://example.org/x".encode(),
            headers={"Content-Type": "text/plain"},
            auth=CLIENT_ONE,
        ),
        app.post(
            "/igsn",
            content=f"igsn=ZTA0009\nurl={hostile}".encode(),
            headers={"Content-Type": "text/plain"},
            auth=CLIENT_ONE,
        ),
        app.post(
            "/metadata",
            content=hostile_record(_escape(hostile)),
            headers={"Content-Type": "application/xml"},
            auth=CLIENT_ONE,
        ),
        app.post("/metadata", content=hostile.encode(), headers={"Content-Type": "application/xml"}, auth=CLIENT_ONE),
        app.post("/metadata", content=b"<x/>", headers={"Content-Type": hostile}, auth=CLIENT_ONE),
    ]
    for r in answers:
        assert 400 <= r.status_code < 500, (r.request.url, r.status_code, r.text)
        assert r.headers["content-type"].startswith("text/plain"), r.headers
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "\n" not in r.text.strip()


def test_the_stored_document_comes_back_well_formed(app: TestClient) -> None:
    r = app.get("/metadata/ZTA0001", auth=CLIENT_ONE)
    assert r.status_code == 200
    root = assert_well_formed(r)
    assert SCRIPT in "".join(root.itertext())
