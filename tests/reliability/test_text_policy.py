"""One text policy for every stored string, and writers that no stored string can break (issue 21).

The attacks: a title holding U+FFFE (accepted through JSON-LD) made its landing page, the search page and
SPARQL XML results answer 500 for everyone; an agent name with NUL (admin API) broke SPARQL XML results; an
8 MB literal (or 3 MB of emoji) was a 500; ``/search?q=%00`` and ``/api/v1/search?q=a%00b`` were 500s.

Now every write surface refuses what the policy refuses with a 400 in its own form naming the value's place,
and every output format is written for any stored text — stored here by the registry's internal write path,
as a registry written before the policy may hold it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator
from xml.sax.saxutils import escape

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from lxml import etree
from lxml import html as lxml_html

from api.app import create_app
from igsn_graph import sparql
from igsn_graph.oai.formats import PREFIXES as OAI_PREFIXES
from igsn_graph.resolver import PROFILES
from igsn_graph.settings import Settings
from igsn_graph.text_policy import check_record, problem
from tests.conftest import ADMIN_PASSWORD, CLIENT_ONE, fresh_settings

from .raw_text import TRICKY, any_text, record_with, store_raw

PROPERTY = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ADMIN = ("admin", ADMIN_PASSWORD)
API = "/api/v1/samples"
JSONLD = {"Content-Type": "application/ld+json"}
TURTLE = {"Content-Type": "text/turtle"}
CONTEXT = "https://w3id.org/igsn-graph/context.jsonld"
_XML_TYPES = ("xml",)  # media types whose body must be well-formed XML
_NEXT = iter(range(10_000))


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(
        create_app(fresh_settings(tmp_path_factory.mktemp("text-policy"))), raise_server_exceptions=False
    ) as client:
        yield client


def _check_body(label: str, response: object) -> None:
    r = response
    assert r.status_code < 500, f"{label}: {r.status_code} {r.text[:300]}"  # type: ignore[attr-defined]
    if r.status_code != 200:  # type: ignore[attr-defined]
        return
    media = r.headers.get("content-type", "").split(";")[0]  # type: ignore[attr-defined]
    body = r.content  # type: ignore[attr-defined]
    try:
        if media.endswith("xml"):
            etree.fromstring(body)  # well-formed: any XML parser reads it
        elif media.endswith("json"):
            json.loads(body)
        elif media == "text/html":
            lxml_html.document_fromstring(body)
    except (ValueError, SyntaxError) as exc:  # JSONDecodeError, XMLSyntaxError
        raise AssertionError(f"{label}: {media} does not parse: {exc}") from None


# --- writers ------------------------------------------------------------------------------------


def _outputs(app: TestClient, name: str, text: str) -> Iterator[tuple[str, object]]:
    for token, profile in PROFILES.items():
        for media in profile.media_types:
            yield f"{token} {media}", app.get(f"/{name}", params={"_profile": token, "_mediatype": media})
    yield "landing", app.get(f"/{name}", headers={"Accept": "text/html"})
    yield "samples api", app.get(f"{API}/{name}", headers={"Accept": "application/ld+json"})
    for prefix in OAI_PREFIXES:
        yield (
            f"oai {prefix}",
            app.get(
                "/oai",
                params={"verb": "GetRecord", "metadataPrefix": prefix, "identifier": f"oai:test.igsn-graph.org:{name}"},
            ),
        )
    yield "oai ListRecords", app.get("/oai", params={"verb": "ListRecords", "metadataPrefix": "oai_dc"})
    iri = f"<https://igsn.org/{name}>"
    select = f"SELECT ?p ?o WHERE {{ GRAPH ?g {{ {iri} ?p ?o }} }}"
    for media in sparql.RESULT_TYPES:
        yield f"sparql {media}", app.get("/sparql", params={"query": select}, headers={"Accept": media})
    names = "SELECT ?n WHERE { GRAPH ?g { ?a <https://schema.org/name> ?n } }"
    yield (
        "sparql account names",
        app.get("/sparql", params={"query": names}, headers={"Accept": "application/sparql-results+xml"}),
    )
    construct = f"CONSTRUCT {{ {iri} ?p ?o }} WHERE {{ GRAPH ?g {{ {iri} ?p ?o }} }}"
    for media in sparql.GRAPH_TYPES:
        yield f"sparql construct {media}", app.get("/sparql", params={"query": construct}, headers={"Accept": media})
    yield "search page", app.get("/search", params={"q": name.lower()})
    yield "search page, the text as query", app.get("/search", params={"q": text})
    yield "search api, the text as query", app.get("/api/v1/search", params={"q": text})
    yield "search api", app.get("/api/v1/search", params={"q": name.lower()})
    for token in ("landing", "ig", "alt"):
        for media in PROFILES[token].media_types:
            yield (
                f"client page {token} {media}",
                app.get("/client/ZTEST.ONE", params={"_profile": token, "_mediatype": media}),
            )


@PROPERTY
@given(text=any_text)
@example(text="a\ufffeb\uffffc\x00d\x1f")
@example(text="".join(TRICKY))
def test_every_output_format_writes_any_stored_text(app: TestClient, text: str) -> None:
    registry = app.app.state.registry  # type: ignore[attr-defined]
    name = f"ZTA-W{next(_NEXT)}"
    store_raw(registry, record_with(name, text))
    with registry.db.write() as w:
        w.execute("UPDATE clients SET name = ? WHERE symbol = 'ZTEST.ONE'", (text or "x",))
    registry.publish_accounts()
    for label, response in _outputs(app, name, text):
        _check_body(label, response)


# --- write surfaces -------------------------------------------------------------------------------


def _jsonld(name: str, title: str, **extra: object) -> bytes:
    return json.dumps(
        {"@context": CONTEXT, "@id": f"https://igsn.org/{name}", "igsn": name, "title": title, **extra}
    ).encode()


def _turtle(name: str, title: str) -> bytes:
    return (
        f'<https://igsn.org/{name}> <https://w3id.org/igsn-graph/ontology#igsn> "{name}" ; '
        f'<http://purl.org/dc/terms/title> "{title}" .\n'
    ).encode()


@pytest.mark.parametrize("title", ["a\ufffeb", "a\uffffb", "\ufdd0", "a\\u0000b", "a\\u001fb", "\U0010ffff"])
def test_rdf_input_holding_refused_characters_is_a_400_naming_the_value(app: TestClient, title: str) -> None:
    for body, headers in ((_jsonld("ZTA0700", json.loads(f'"{title}"')), JSONLD), (_turtle("ZTA0700", title), TURTLE)):
        for path in (API, API + "/bulk"):
            r = app.post(path, content=body, headers=headers, auth=CLIENT_ONE)
            if path == API:
                assert r.status_code == 400, r.text
                assert r.headers["content-type"] == "application/problem+json"
                assert "U+" in r.json()["detail"] or "control" in r.json()["detail"]
            else:  # the bulk answer says it per record
                assert r.status_code in (200, 400), r.text
                if r.status_code == 200:
                    assert r.json()["results"][0]["status"] == "invalid"
    assert app.get("/ZTA0700", headers={"Accept": "text/turtle"}).status_code == 404


def test_a_kernel_document_holding_a_noncharacter_is_refused(app: TestClient) -> None:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><resource xmlns="http://schema.igsn.org/description/1.1" '
        'type="Sample"><identifier type="IGSN">ZTA0701</identifier><name>Core\ufdd0</name>'
        "<materials><material>http://vocabulary.odm2.org/medium/rock</material></materials>"
        "<sampleAccess>Public</sampleAccess></resource>"
    ).encode()
    r = app.post("/metadata", content=body, headers={"Content-Type": "application/xml"}, auth=CLIENT_ONE)
    assert r.status_code == 400 and "/resource/name" in r.text and "U+FDD0" in r.text, r.text


def test_text_not_in_nfc_is_stored_in_nfc_with_a_warning(app: TestClient) -> None:
    r = app.post(API, content=_jsonld("ZTA0702", "Cafe\u0301 core"), headers=JSONLD, auth=CLIENT_ONE)
    assert r.status_code == 201, r.text
    assert any("NFC" in w for w in r.json()["warnings"])
    assert "Caf\u00e9 core" in app.get("/ZTA0702", headers={"Accept": "application/n-triples"}).text


@pytest.mark.parametrize("value", ["x" * (8 * 1024 * 1024), "\U0001f600" * (3 * 1024 * 1024 // 4)])
@pytest.mark.parametrize("syntax", ["json-ld", "turtle"])
def test_a_huge_literal_is_a_clear_400(app: TestClient, value: str, syntax: str) -> None:
    body, headers = (_jsonld("ZTA0703", value), JSONLD) if syntax == "json-ld" else (_turtle("ZTA0703", value), TURTLE)
    r = app.post(API, content=body, headers=headers, auth=CLIENT_ONE)
    assert r.status_code == 400, r.text[:300]
    assert "larger" in r.json()["detail"] or "longer" in r.json()["detail"]


def test_the_literal_limit_is_a_setting(tmp_path: Path) -> None:
    record = record_with("ZTA0704", "x" * 2000)
    with pytest.raises(Exception, match="longer than 1,000 bytes"):
        check_record(record, max_bytes=1000)
    assert Settings.from_env({"IGSN_GRAPH_MAX_LITERAL_BYTES": "1000"}).max_literal_bytes == 1000
    assert problem("x" * 2000, max_bytes=4000) is None


@pytest.mark.parametrize("name", ["Agent\x00Name", "Agent\ufffe", "Agent\x1b[31m"])
def test_admin_api_names_follow_the_policy(app: TestClient, name: str) -> None:
    r = app.post(
        "/api/v1/admin/agents",
        json={"symbol": "ZPOL", "name": name, "password": "pw-pol-123456", "namespaces": ["ZPOL"]},
        auth=ADMIN,
    )
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json", r.text
    assert "name" in r.json()["detail"]
    r = app.patch("/api/v1/admin/clients/ZTEST.TWO", json={"name": name}, auth=ADMIN)
    assert r.status_code == 400, r.text
    names = "SELECT ?n WHERE { GRAPH ?g { ?a <https://schema.org/name> ?n } }"
    r = app.get("/sparql", params={"query": names}, headers={"Accept": "application/sparql-results+xml"})
    assert r.status_code == 200 and etree.fromstring(r.content) is not None


@pytest.mark.parametrize(
    "query",
    [
        "/search?q=%00",
        "/search?q=%EF%BF%BE",
        "/search?q=a%00b",
        "/api/v1/search?q=%00",
        "/api/v1/search?q=a%00b",
        "/api/v1/search?q=%EF%BF%BE",
        "/search?bbox=%00",
        "/api/v1/search?material=%00",
        "/search?cursor=%EF%BF%BE",
        "/search?q=%ED%A0%80",
    ],
)
def test_search_parameters_follow_the_policy(app: TestClient, query: str) -> None:
    r = app.get(query)
    assert r.status_code in (200, 400), r.text[:300]
    if query.startswith("/search"):
        lxml_html.document_fromstring(r.content)
    else:
        assert r.headers["content-type"] == "application/problem+json"


# --- landing URLs ---------------------------------------------------------------------------------

BAD_URLS = [
    "https://[::1",
    "https://a\uff03b/",
    "https://example.org:99999/",
    "https://example.org:x/",
    "https://example.org/\x00",
    "https://example.org/\ufffe",
    "https://example.org/" + "a" * 2100,
    "https://example.org/" + "a" * (9 << 20),
]


def _csiro(records: list[tuple[str, str]]) -> bytes:
    """A CSIRO v3 document (its ``landingPage`` is the landing URL) of (name, URL) records."""
    items = "".join(
        '<resource registeredObjectType="http://pid.geoscience.gov.au/def/voc/igsn-codelists/PhysicalSample">'
        f"<resourceIdentifier>{n}</resourceIdentifier><landingPage>{escape(url)}</landingPage>"
        f"<isPublic>true</isPublic><resourceTitle>Sample {n}</resourceTitle></resource>"
        for n, url in records
    )
    return f'<resources xmlns="https://igsn.csiro.au/schemas/3.0">{items}</resources>'.encode()


@pytest.mark.parametrize("url", BAD_URLS, ids=lambda u: repr(u[:30]))
def test_a_landing_url_the_parser_rejects_is_a_400_at_every_write(app: TestClient, url: str) -> None:
    r = app.post(
        "/igsn",
        content=f"igsn=ZTA0710\nurl={url}\n".encode(),
        auth=CLIENT_ONE,
        headers={"Content-Type": "text/plain;charset=UTF-8"},
    )
    assert r.status_code == 400 and ("landing URL" in r.text or "\x00" in url), r.text[:300]  # NUL: the body
    assert app.get("/igsn/ZTA0710", auth=CLIENT_ONE).status_code == 404
    if "\x00" not in url and "\ufffe" not in url:  # XML cannot carry them
        r = app.post(
            API, content=_csiro([("ZTA0711", url)]), headers={"Content-Type": "application/xml"}, auth=CLIENT_ONE
        )
        assert r.status_code == 400 and "landing" in r.json()["detail"].lower(), r.text[:300]


def test_a_bulk_says_per_record_what_was_stored_whatever_fails(tmp_path: Path) -> None:
    """1,100 records in batches of 500; record 1,051 holds a URL the parser rejects: every record has its
    answer, the other 1,099 are stored."""
    settings_ = fresh_settings(tmp_path, batch_size=500)
    records = [(f"ZTA-B{i}", "https://[::1" if i == 1050 else f"https://example.org/{i}") for i in range(1100)]
    with TestClient(create_app(settings_), raise_server_exceptions=False) as app:
        r = app.post(
            API + "/bulk", content=_csiro(records), headers={"Content-Type": "application/xml"}, auth=CLIENT_ONE
        )
        assert r.status_code == 200, r.text[:300]
        results = r.json()["results"]
        assert [x["index"] for x in results] == list(range(1100))
        assert results[1050]["status"] == "invalid" and "landing URL" in json.dumps(results[1050])
        assert r.json()["counts"]["stored"] == 1099
        listed = set(app.get("/igsn", auth=CLIENT_ONE).text.split())
        assert len({n for n, _ in records} & listed) == 1099


def test_a_failed_batch_does_not_hide_the_earlier_ones(tmp_path: Path) -> None:
    """The third batch's write fails (an injected storage failure): the answer still says that the first two
    batches are stored, and which records were not."""
    from igsn_graph.errors import StorageFailure

    settings_ = fresh_settings(tmp_path, batch_size=500)
    records = [(f"ZTA-F{i}", f"https://example.org/{i}") for i in range(1100)]
    with TestClient(create_app(settings_), raise_server_exceptions=False) as app:
        journal = app.app.state.registry.journal  # type: ignore[attr-defined]
        real, calls = journal.commit, []

        def commit(changes: list[object]) -> None:
            calls.append(len(changes))
            if len(calls) == 3:
                raise StorageFailure("graph store write failed: injected", applied=False)
            real(changes)

        journal.commit = commit
        r = app.post(
            API + "/bulk", content=_csiro(records), headers={"Content-Type": "application/xml"}, auth=CLIENT_ONE
        )
        assert r.status_code == 200, r.text[:300]
        results, counts = r.json()["results"], r.json()["counts"]
        assert [x["status"] for x in results] == ["created"] * 1000 + ["failed"] * 100
        assert counts["stored"] == 1000 and counts["failed"] == 100
        assert "injected" in json.dumps(results[1050])
        listed = set(app.get("/igsn", auth=CLIENT_ONE).text.split())
        assert {n for n, _ in records[:1000]} <= listed and not {n for n, _ in records[1000:]} & listed
