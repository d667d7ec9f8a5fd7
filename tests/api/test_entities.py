"""/agent/…, /client/…, /namespace/…, /activity/…, /version/…, /provenance/…, /graph/…, /accounts: every
minted IRI dereferences, in HTML and RDF by negotiation, lists only public samples, pages them, links onward."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, parse

from api.app import create_app
from igsn_graph import entities
from igsn_graph.formats.table import RDF_WRITTEN, RdfSyntax
from igsn_graph.registry.service import Registry, Submission, init_data_dir
from igsn_graph.resolver.rendering import render_rdf
from igsn_graph.settings import Settings
from igsn_graph.vocab import IG, PROV, RDF_TYPE, SCHEMA
from tests.conftest import add_test_accounts, fresh_settings
from tests.oai.samples import AGENT_P, ONE, OTHER_P, register, rich

BASE = "https://igsn.org/"
PUBLIC = ("ZTA001", "ZTA002", "ZTA005")  # ONE's listed samples (ZTA005 loaded by the administrator)
PRIVATE, GONE = "ZTA003", "ZTA004"
SECRET = "SECRETWORD"
ESCAPED_NAME = "Lab <script>alert(1)</script> & Co"


def _setup(registry: Registry) -> None:
    registry.add_client("ZTEST.ESC", name=ESCAPED_NAME, password="esc-secret-1", namespaces=["ZTC"])
    register(
        registry,
        ONE,
        rich("ZTA001"),
        rich("ZTA002"),
        replace(rich(PRIVATE, name=SECRET), is_public=False),
        rich(GONE, name=SECRET),
    )
    register(registry, ONE, rich("ZTA001", name="Core section, second version"))
    registry.deactivate(ONE, GONE)
    register(registry, AGENT_P, rich("ZT0001"))
    register(registry, OTHER_P, rich("ZO0001"))
    for outcomes in registry.load_records([Submission(rich("ZTA005"), "igsn_desc", None, None)]):
        assert all(o.ok for o in outcomes), outcomes


@pytest.fixture(scope="module", params=["embedded", "remote"])
def client(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    """The pages read the same whichever graph store holds the accounts and provenance graphs."""
    overrides: dict[str, object] = {}
    if request.param == "remote":
        import httpx

        url = request.getfixturevalue("oxigraph_engine")
        httpx.post(
            url + "/update", content=b"DROP ALL", headers={"Content-Type": "application/sparql-update"}, timeout=30
        ).raise_for_status()
        overrides["store"] = url
    settings = fresh_settings(tmp_path_factory.mktemp("entities"), **overrides)
    with Registry(settings) as registry:
        _setup(registry)
    with TestClient(create_app(settings), follow_redirects=False) as c:
        yield c


def _html(client: TestClient, path: str, **params: str) -> etree._Element:
    r = client.get(path, params=params, headers={"Accept": "text/html"})
    assert r.status_code == 200, (path, r.status_code, r.text[:300])
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    return etree.HTML(r.content)


def _text(page: etree._Element) -> str:
    return " ".join(t.strip() for t in page.find(".//main").itertext() if t.strip())


def _rdf(client: TestClient, path: str, media_type: str = "text/turtle", **params: str) -> set[Triple]:
    r = client.get(path, params=params, headers={"Accept": media_type})
    assert r.status_code == 200, (path, r.text[:300])
    assert r.headers["content-type"].split(";")[0] == media_type
    fmt = {
        "text/turtle": RdfFormat.TURTLE,
        "application/ld+json": RdfFormat.JSON_LD,
        "application/n-triples": RdfFormat.N_TRIPLES,
        "application/rdf+xml": RdfFormat.RDF_XML,
    }[media_type]
    return {q.triple for q in parse(r.content, format=fmt)}


def _local(client: TestClient, href: str) -> str | None:
    """An href this service answers (a path, or a URL on its public base), as a path; None for others."""
    for base in (client.app.state.settings.base_url, str(client.base_url) + "/"):  # type: ignore[attr-defined]
        if href.startswith(base):
            href = "/" + href[len(base) :]
    return href if href.startswith("/") and not href.startswith("//") else None


def _node(path: str) -> NamedNode:
    return NamedNode(BASE + path.lstrip("/"))


PAGES = {
    "/agent/ZTEST": [
        "Allocating agent",
        "Test Agent (ZTEST)",
        "https://ror.org/00test000",
        "Client One",
        "ZT",
        "4 public samples",
    ],
    "/client/ZTEST.ONE": ["Client", "Client One (ZTEST.ONE)", "Test Agent", "ZTA", "3 public samples"],
    "/namespace/ZTA": ["Namespace", "ZTA", "Client One", "Test Agent", "3 public samples"],
    "/namespace/ZT": ["Namespace", "ZTA", "ZTB", "ZTC", "1 public sample"],
    "/namespace/TEST": ["test namespace"],
    "/agent/admin": ["registry administrator"],
    "/activity/ZTA001/2": [
        "Change 2 of IGSN ZTA001",
        "metadata-updated",
        "ZTEST.ONE",
        "version 2",
        "all changes of ZTA001",
    ],
    "/version/ZTA001/1": ["Version 1 of IGSN ZTA001", "metadata-registered", "change 1", "version 2"],
    "/activity/ZTA005/1": ["registry administrator"],
    "/provenance/ZTA001": ["Registration history of IGSN ZTA001", "change 1", "change 2", "metadata-updated"],
    "/accounts": ["Test Agent", "Other Agent", "Client One", "ZO"],
}


@pytest.mark.parametrize("path", list(PAGES))
def test_every_kind_has_a_page(client: TestClient, path: str) -> None:
    page = _html(client, path)
    text = _text(page)
    for expected in PAGES[path]:
        assert expected in text, (path, expected, text)
    hrefs = {a.get("href") for a in page.iter("a")}
    assert {"/accounts", "/search"} <= hrefs  # home (the registry's accounts) and search
    assert page.find(".//link[@rel='canonical']").get("href").endswith(path)
    assert not [e for e in page.iter() if e.get("src") or e.tag == "script"]


def test_pages_name_their_related_nodes(client: TestClient) -> None:
    hrefs = lambda path: {a.get("href") for a in _html(client, path).iter("a")}  # noqa: E731
    assert {
        "/client/ZTEST.ONE",
        "/client/ZTEST.TWO",
        "/namespace/ZT",
        "/ZTA001",
        "/ZT0001",
        "/search?agent=ZTEST",
    } <= hrefs("/agent/ZTEST")
    assert {"/agent/ZTEST", "/namespace/ZTA", "/search?client=ZTEST.ONE"} <= hrefs("/client/ZTEST.ONE")
    assert {"/client/ZTEST.ONE", "/agent/ZTEST", "/search?namespace=ZTA"} <= hrefs("/namespace/ZTA")
    assert {"/ZTA001", "/client/ZTEST.ONE", "/activity/ZTA001/1", "/version/ZTA001/2", "/provenance/ZTA001"} <= hrefs(
        "/version/ZTA001/1"
    )
    assert "/agent/admin" in hrefs("/activity/ZTA005/1")
    assert {"/version/ZTA001/1", "/version/ZTA001/2", "/activity/ZTA001/2"} <= hrefs("/provenance/ZTA001")


@pytest.mark.parametrize(
    "media_type", ["text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"]
)
@pytest.mark.parametrize(
    "path,graph",
    [
        ("/agent/ZTEST", "accounts"),
        ("/client/ZTEST.ONE", "accounts"),
        ("/namespace/ZTA", "accounts"),
        ("/activity/ZTA001/2", "provenance/ZTA001"),
        ("/version/ZTA001/1", "provenance/ZTA001"),
    ],
)
def test_rdf_carries_the_nodes_triples_from_the_store(
    client: TestClient, path: str, graph: str, media_type: str
) -> None:
    served = _rdf(client, path, media_type)
    node = _node(path)
    store = client.app.state.registry.store  # type: ignore[attr-defined]
    stored = {t for t in store.graph(NamedNode(BASE + graph)) if node in (t.subject, t.object)}
    assert stored and stored <= served
    assert all(node in (t.subject, t.object) for t in served)  # nothing about other nodes


def test_rdf_facts(client: TestClient) -> None:
    agent = _rdf(client, "/agent/ZTEST")
    assert Triple(_node("agent/ZTEST"), SCHEMA.name, Literal("Test Agent")) in agent
    # the listed samples, as their graphs state them; private and deactivated ones never
    listed = {t.subject.value for t in agent if t.predicate == IG.allocatingAgent and "/client/" not in t.subject.value}
    assert listed == {BASE + n for n in (*PUBLIC, "ZT0001")}
    version = _rdf(client, "/version/ZTA001/2")
    assert Triple(_node("version/ZTA001/2"), PROV.specializationOf, _node("ZTA001")) in version
    assert Triple(_node("version/ZTA001/2"), PROV.wasRevisionOf, _node("version/ZTA001/1")) in version
    assert Triple(_node("agent/admin"), RDF_TYPE, PROV.Agent) in _rdf(client, "/agent/admin")
    accounts = _rdf(client, "/accounts")
    assert Triple(_node("client/ZTEST.ESC"), SCHEMA.name, Literal(ESCAPED_NAME)) in accounts
    history = _rdf(client, "/provenance/ZTA001")
    assert {t.subject.value for t in history if t.object == PROV.Activity} == {
        BASE + "activity/ZTA001/1",
        BASE + "activity/ZTA001/2",
    }


def test_dataset_syntaxes_keep_each_triple_in_its_graph(client: TestClient) -> None:
    r = client.get("/client/ZTEST.ONE", headers={"Accept": "application/n-quads"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/n-quads"
    quads = list(parse(r.content, format=RdfFormat.N_QUADS))
    graphs = {(q.subject.value, q.graph_name.value) for q in quads}
    assert (BASE + "client/ZTEST.ONE", BASE + "accounts") in graphs
    assert (BASE + "ZTA001", BASE + "graph/ZTA001") in graphs


@pytest.mark.parametrize("syntax", RDF_WRITTEN, ids=lambda syntax: syntax.name)
def test_a_node_is_written_by_the_rules_a_sample_is(client: TestClient, syntax: RdfSyntax) -> None:
    """Without listed samples, a node's RDF is its triples in its graph as the resolver writes a sample's
    (``rendering.render_rdf``), byte for byte: the same table rows say which syntax is a dataset and which is
    prefixed, the same helper cleans RDF/XML."""
    registry = client.app.state.registry  # type: ignore[attr-defined]
    for path in ("/accounts", "/activity/ZTA001/2", "/version/ZTA001/1", "/provenance/ZTA001", "/agent/admin"):
        r = client.get(path, headers={"Accept": syntax.media_type})
        assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == syntax.media_type, path
        ref = entities.ref_of(path.lstrip("/"))
        assert ref is not None
        node = entities.describe(registry, ref)
        assert not node.listing
        assert r.content == render_rdf(node.triples, node.graph, syntax.media_type), path


@pytest.mark.parametrize(
    "params,headers,status,content_type",
    [
        ({}, {}, 200, "text/turtle"),
        ({}, {"Accept": "*/*"}, 200, "text/turtle"),
        ({}, {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}, 200, "text/html"),
        ({}, {"Accept": "application/ld+json"}, 200, "application/ld+json"),
        ({}, {"Accept": "text/plain"}, 200, "application/n-triples"),
        ({}, {"Accept": "application/trig"}, 200, "application/trig"),
        ({"_mediatype": "application/rdf+xml"}, {"Accept": "text/html"}, 200, "application/rdf+xml"),
        ({"_profile": "landing"}, {}, 200, "text/html"),
        ({"_profile": "alt"}, {}, 200, "application/json"),
        ({"_profile": "alt", "_mediatype": "text/html"}, {}, 200, "text/html"),
        ({}, {"Accept-Profile": "<http://www.w3.org/ns/dx/connegp/altr>", "Accept": "text/turtle"}, 200, "text/turtle"),
        ({"_profile": "prov"}, {}, 200, "text/turtle"),  # not offered for an agent: the default profile (W3C rule)
        ({}, {"Accept": "application/xml"}, 406, "text/plain"),
        ({"_mediatype": "application/pdf"}, {}, 406, "text/plain"),
    ],
)
def test_negotiation(
    client: TestClient, params: dict[str, str], headers: dict[str, str], status: int, content_type: str
) -> None:
    r = client.get("/agent/ZTEST", params=params, headers=headers)
    assert r.status_code == status, r.text[:300]
    assert r.headers["content-type"].split(";")[0] == content_type
    assert r.headers["vary"] == "Accept, Accept-Profile"
    assert 'rel="canonical"' in r.headers["link"] and "/agent/ZTEST>" in r.headers["link"]


def test_history_nodes_offer_the_prov_profile(client: TestClient) -> None:
    r = client.get("/version/ZTA001/1", params={"_profile": "prov"}, headers={"Accept": "application/ld+json"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/ld+json"
    assert '<http://www.w3.org/ns/prov#>; rel="profile"' in r.headers["link"]
    alt = client.get("/agent/ZTEST", params={"_profile": "alt"}).json()
    assert "prov" not in {p["token"] for p in alt["profiles"]}
    history = client.get("/version/ZTA001/1", params={"_profile": "alt"}).json()
    assert "prov" in {p["token"] for p in history["profiles"]}


@pytest.mark.parametrize(
    "path",
    [
        "/agent/NOPE",
        "/agent/",
        "/client/ZTEST.NOPE",
        "/namespace/NOPE",
        "/namespace/ZTA%20X",
        "/version/ZTA001/9",
        "/activity/ZTA001/0",
        "/version/ZTA001/x",
        "/version/ZTA001",
        "/activity/NOPE1/1",
        "/provenance/NOPE1",
        "/graph/NOPE1",
        "/id/agent/ZTEST",
    ],
)
def test_never_minted_is_404(client: TestClient, path: str) -> None:
    r = client.get(path, headers={"Accept": "text/turtle"})
    assert r.status_code == 404, (path, r.status_code, r.text[:200])
    page = client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("path", ["/version/ZTA004/1", "/activity/ZTA004/2", "/provenance/ZTA004"])
def test_history_of_a_deactivated_sample_is_gone(client: TestClient, path: str) -> None:
    assert client.get(path, headers={"Accept": "text/turtle"}).status_code == 410
    page = client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 410 and SECRET not in page.text


@pytest.mark.parametrize("path", ["/agent/ZTEST", "/client/ZTEST.ONE", "/namespace/ZTA", "/accounts"])
def test_private_and_inactive_samples_are_never_listed(client: TestClient, path: str) -> None:
    for media_type in ("text/html", "text/turtle", "application/n-quads"):
        body = client.get(path, params={"limit": "200"}, headers={"Accept": media_type}).text
        assert PRIVATE not in body and GONE not in body and SECRET not in body, (path, media_type)


def test_samples_are_paged_with_a_keyset_cursor(client: TestClient) -> None:
    seen: list[str] = []
    path: str | None = "/client/ZTEST.ONE?limit=1"
    while path is not None:
        page = _html(client, path)
        seen += [a.get("href")[1:] for a in page.iterfind(".//section/ol/li/a")]
        following = page.find(".//a[@rel='next']")
        path = following.get("href") if following is not None else None
        if path is not None:
            assert "cursor=" in path and "limit=1" in path
            assert page.find(".//a[@rel='first']") is not None or len(seen) == 1
    assert seen == sorted(PUBLIC)
    # the RDF forms page the same way, by Link rel="next"
    names: list[str] = []
    url: str | None = "/client/ZTEST.ONE?limit=2"
    while url is not None:
        r = client.get(url, headers={"Accept": "application/n-triples"})
        names += sorted(
            t.subject.value[len(BASE) :]
            for t in parse(r.content, format=RdfFormat.N_TRIPLES)
            if t.predicate == IG.registeredBy
        )
        nxt = [part.split(">")[0].lstrip(" <") for part in r.headers["link"].split(",") if 'rel="next"' in part]
        url = _local(client, nxt[0]) if nxt else None
    assert names == sorted(PUBLIC)


@pytest.mark.parametrize("params", [{"cursor": "not-a-cursor"}, {"limit": "0"}, {"limit": "many"}])
def test_malformed_paging_is_400(client: TestClient, params: dict[str, str]) -> None:
    r = client.get("/agent/ZTEST", params=params, headers={"Accept": "text/turtle"})
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    assert client.get("/agent/ZTEST", params=params, headers={"Accept": "text/html"}).status_code == 400


@pytest.mark.parametrize(
    "path,location",
    [
        ("/agent/ztest", "/agent/ZTEST"),
        ("/client/ztest.one", "/client/ZTEST.ONE"),
        ("/namespace/zta", "/namespace/ZTA"),
        ("/namespace/10273/ZTA", "/namespace/ZTA"),
        ("/version/zta001/01", "/version/ZTA001/1"),
        ("/provenance/zta001?_profile=prov", "/provenance/ZTA001?_profile=prov"),
    ],
)
def test_other_forms_redirect_to_the_canonical_path(client: TestClient, path: str, location: str) -> None:
    r = client.get(path)
    assert r.status_code == 301 and urlsplit(r.headers["location"])._replace(scheme="", netloc="").geturl() == location


def test_a_samples_graph_is_served_by_the_resolver(client: TestClient) -> None:
    r = client.get("/graph/ZTA001", params={"_profile": "ig"}, headers={"Accept": "text/turtle"})
    assert r.status_code == 303 and r.headers["location"].endswith("/ZTA001?_profile=ig")


def test_head_is_get_without_body(client: TestClient) -> None:
    get = client.get("/namespace/ZTA", headers={"Accept": "text/turtle"})
    head = client.head("/namespace/ZTA", headers={"Accept": "text/turtle"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"] and head.headers["link"] == get.headers["link"]


def test_user_strings_are_escaped(client: TestClient) -> None:
    r = client.get("/client/ZTEST.ESC", headers={"Accept": "text/html"})
    page = etree.HTML(r.content)
    assert ESCAPED_NAME in _text(page) and page.find(".//script") is None
    assert "<script>alert" not in r.text
    assert "script-src 'self';" in r.headers["content-security-policy"]


@pytest.mark.parametrize(
    "path",
    [
        "/agent/<script>alert(1)</script>",
        '/client/"><img src=x onerror=alert(1)>',
        "/namespace/<b>",
        "/version/<script>/1",
        "/activity/ZTA001/<i>",
    ],
)
def test_hostile_paths_are_404_without_markup(client: TestClient, path: str) -> None:
    r = client.get(path, headers={"Accept": "text/html"}, follow_redirects=True)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    page = etree.HTML(r.content)
    assert not [e for e in page.iter() if e.tag in ("script", "img", "b", "i") or e.get("onerror")]


@pytest.mark.parametrize(
    "path",
    [
        "/agent/ZTEST",
        "/client/ZTEST.ONE?limit=1",
        "/namespace/ZT",
        "/namespace/TEST",
        "/agent/admin",
        "/activity/ZTA005/1",
        "/version/ZTA001/2",
        "/provenance/ZTA001",
        "/accounts",
        "/agent/ZTEST?_profile=alt&_mediatype=text/html",
    ],
)
def test_every_link_on_a_page_resolves(client: TestClient, path: str) -> None:
    page = _html(client, path)
    targets = {_local(client, a.get("href")) for a in page.iter("a")} - {None}
    targets |= {_local(client, e.get("href")) for e in page.iter("link")} - {None}
    assert len(targets) > 5
    for target in sorted(targets):  # type: ignore[type-var]
        assert _status(client, target) < 400, (path, target)


def _status(client: TestClient, path: str) -> int:
    """The status a browser ends with, following redirects on this service (a registrant's page is elsewhere)."""
    for _ in range(5):
        r = client.get(path, headers={"Accept": "text/html"})
        target = _local(client, r.headers.get("location", "")) if r.is_redirect else None
        if target is None:
            return r.status_code
        path = target
    raise AssertionError(f"redirect loop at {path}")


def test_iris_under_a_path_of_the_iri_base(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", public_url="https://registry.example.net/")
    init_data_dir(settings, iri_base="https://registry.example.net/id/igsn/")
    with Registry(settings) as registry:
        add_test_accounts(registry)
        register(registry, ONE, rich("ZTA002"))
    base = "https://registry.example.net/id/igsn/"
    with TestClient(create_app(settings), follow_redirects=False) as c:
        for path in (
            "agent/ZTEST",
            "client/ZTEST.ONE",
            "namespace/ZTA",
            "version/ZTA002/1",
            "activity/ZTA002/1",
            "provenance/ZTA002",
            "accounts",
        ):
            r = c.get("/id/igsn/" + path, params={"_profile": "ig"})
            assert r.status_code == 301, path
            assert r.headers["location"] == f"http://testserver/{path}?_profile=ig"
            served = parse(c.get("/" + path, headers={"Accept": "text/turtle"}).content, format=RdfFormat.TURTLE)
            # a node describes itself; a graph (provenance, accounts) holds what it is about
            subject = base + {"provenance/ZTA002": "activity/ZTA002/1", "accounts": "agent/ZTEST"}.get(path, path)
            assert any(t.subject.value == subject for t in served), path
            link = c.get("/" + path).headers["link"]
            assert f'<https://registry.example.net/{path}>; rel="canonical"' in link
        assert _status(c, "/id/igsn/agent/NOPE") == 404
        assert c.get("/elsewhere/agent/ZTEST").status_code == 404
        page = etree.HTML(c.get("/version/ZTA002/1", headers={"Accept": "text/html"}).content)
        assert {"/ZTA002", "/client/ZTEST.ONE", "/activity/ZTA002/1"} <= {a.get("href") for a in page.iter("a")}
