"""/{IGSN}: path forms and redirects, negotiation by profile and media type, status codes, caching headers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from pyoxigraph import NamedNode, RdfFormat, parse

from api.app import create_app
from igsn_graph import resolver
from igsn_graph.registry.service import Registry, Submission, init_data_dir
from igsn_graph.settings import Settings
from tests.conftest import ADMIN_PASSWORD, SHARED, add_test_accounts
from tests.oai.samples import ONE, rich

NATIVE = "https://w3id.org/igsn-graph/ontology"
EXTERNAL = "ZTA001"   # landing URL on the registrant's host
OWN = "ZTA002"        # no landing URL: our page
GONE = "ZTA003"       # deactivated
DESTROYED = "ZTA004"
BARE = "ZTA005"       # minted, no description


@pytest.fixture(scope="module", params=["embedded", "remote"])
def client(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    """The resolver answers the same whichever graph store holds the samples."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("resolver") / "data", admin_password=ADMIN_PASSWORD)
    if request.param == "remote":
        import httpx
        url = request.getfixturevalue("oxigraph_engine")
        httpx.post(url + "/update", content=b"DROP ALL", headers={"Content-Type": "application/sparql-update"},
                   timeout=30).raise_for_status()
        settings = settings.with_(store=url)
    init_data_dir(settings)
    # one opener per process: the registry is closed before the app opens its own
    with Registry(settings) as registry:
        add_test_accounts(registry)
        subs = [Submission(rich(EXTERNAL), "igsn_desc", None, "https://example.org/s/" + EXTERNAL),
                Submission(rich(OWN, name="Core <b>&amp; section"), "igsn_desc", None, None),
                Submission(rich(GONE), "igsn_desc", None, "https://example.org/s/" + GONE),
                Submission(rich(DESTROYED), "igsn_desc", None, None)]
        outcomes = registry.register(ONE, subs)
        assert all(o.ok for o in outcomes), outcomes
        registry.deactivate(ONE, GONE)
        registry.destroy(ONE, DESTROYED)
        registry.mint(ONE, BARE, "https://example.org/s/" + BARE)
    with TestClient(create_app(settings), follow_redirects=False) as c:
        yield c


def _links(response) -> str:  # type: ignore[no-untyped-def]
    return response.headers.get("link", "")


@pytest.mark.parametrize("params,headers,status,content_type,profile", [
    ({}, {}, 200, "text/turtle", NATIVE),
    ({}, {"Accept": "text/turtle"}, 200, "text/turtle", NATIVE),
    ({}, {"Accept": "application/x-turtle"}, 200, "text/turtle", NATIVE),
    ({}, {"Accept": "application/ld+json"}, 200, "application/ld+json", NATIVE),
    ({}, {"Accept": "application/n-triples"}, 200, "application/n-triples", NATIVE),
    ({}, {"Accept": "text/plain"}, 200, "application/n-triples", NATIVE),
    ({}, {"Accept": "application/n-quads"}, 200, "application/n-quads", NATIVE),
    ({}, {"Accept": "application/trig"}, 200, "application/trig", NATIVE),
    ({}, {"Accept": "application/rdf+xml"}, 200, "application/rdf+xml", NATIVE),
    ({}, {"Accept": "text/csv;q=0.9, application/trig;q=0.5, */*;q=0.1"}, 200, "application/trig", NATIVE),
    ({}, {"Accept": "application/xml"}, 200, "application/xml", "http://igsn.org/schema/kernel-v.1.0"),
    ({}, {"Accept": "application/vnd.datacite.datacite+xml"}, 200, "application/vnd.datacite.datacite+xml",
     "http://datacite.org/schema/kernel-4"),
    ({"_profile": "igsn_desc"}, {}, 200, "application/xml", "http://schema.igsn.org/description/1.1"),
    ({"_profile": "igsn-r1"}, {}, 200, "application/xml", "http://schema.igsn.org/description/1.1"),
    ({"_profile": "oai_dc"}, {}, 200, "application/xml", "http://www.openarchives.org/OAI/2.0/oai_dc/"),
    ({"_profile": "datacite", "_mediatype": "application/xml"}, {}, 200, "application/xml",
     "http://datacite.org/schema/kernel-4"),
    ({}, {"Accept-Profile": "<http://igsn.org/schema/kernel-v.1.0>"}, 200, "application/xml",
     "http://igsn.org/schema/kernel-v.1.0"),
    ({"_profile": "oai_dc"}, {"Accept-Profile": "<http://igsn.org/schema/kernel-v.1.0>"}, 200, "application/xml",
     "http://www.openarchives.org/OAI/2.0/oai_dc/"),  # the query beats the header
    ({"_mediatype": "application/ld json"}, {"Accept": "text/turtle"}, 200, "application/ld+json", NATIVE),
    ({"_profile": "prov"}, {"Accept": "application/n-triples"}, 200, "application/n-triples",
     "http://www.w3.org/ns/prov#"),
    ({"_profile": "alt"}, {}, 200, "application/json", "http://www.w3.org/ns/dx/connegp/altr"),
    ({"_profile": "alt", "_mediatype": "text/turtle"}, {}, 200, "text/turtle", "http://www.w3.org/ns/dx/connegp/altr"),
    ({"_profile": "no-such-profile"}, {}, 200, "text/turtle", NATIVE),  # unknown profile → default
    ({}, {"Accept-Profile": "<urn:example:unknown>"}, 200, "text/turtle", NATIVE),
    ({"_profile": "landing"}, {}, 200, "text/html", NATIVE.replace("ontology", "landing")),
    ({}, {"Accept": "image/png"}, 406, "text/plain", None),
    ({}, {"Accept": "text/turtle;q=0"}, 406, "text/plain", None),
    ({"_mediatype": "image/png"}, {}, 406, "text/plain", None),
    ({"_profile": "igsn", "_mediatype": "text/turtle"}, {}, 406, "text/plain", None),
])
def test_negotiation_table(client: TestClient, params: dict[str, str], headers: dict[str, str], status: int,
                           content_type: str, profile: str | None) -> None:
    r = client.get("/" + EXTERNAL, params=params, headers=headers)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].split(";")[0] == content_type
    assert r.headers["vary"] == "Accept, Accept-Profile"
    links = _links(r)
    if profile is None:
        assert 'rel="profile"' not in links and 'rel="alternate"' in links
        assert "text/turtle" in r.text  # the body lists the alternates
    else:
        assert f'<{profile}>; rel="profile"' in links
        assert 'rel="canonical"' in links and "_mediatype=application/ld%2Bjson" in links
        if content_type != "text/html":
            assert r.headers["access-control-allow-origin"] == "*"


def test_turtle_parses_and_describes_the_sample(client: TestClient) -> None:
    r = client.get("/" + EXTERNAL, headers={"Accept": "text/turtle"})
    triples = list(parse(r.content, format=RdfFormat.TURTLE))
    subjects = {t.subject for t in triples}
    assert any(isinstance(s, NamedNode) and s.value.endswith("/" + EXTERNAL) for s in subjects)
    quads = list(parse(client.get("/" + EXTERNAL, headers={"Accept": "application/n-quads"}).content,
                       format=RdfFormat.N_QUADS))
    assert {q.graph_name.value for q in quads} == {next(iter(quads)).graph_name.value}
    assert json.loads(client.get("/" + EXTERNAL, headers={"Accept": "application/ld+json"}).content)


def test_alt_lists_only_what_can_be_served(client: TestClient) -> None:
    full = {p["token"] for p in client.get("/" + EXTERNAL, params={"_profile": "alt"}).json()["profiles"]}
    bare = {p["token"] for p in client.get("/" + BARE, params={"_profile": "alt"}).json()["profiles"]}
    assert {"ig", "igsn", "igsn_desc", "oai_dc", "datacite", "prov", "alt"} <= full
    assert bare == full - {"igsn", "igsn_desc", "oai_dc", "datacite", "citation"}


def test_without_description_the_kernels_are_not_acceptable(client: TestClient) -> None:
    assert client.get("/" + BARE, headers={"Accept": "application/xml"}).status_code == 406
    # an explicit profile it cannot give falls back to the default (W3C)
    r = client.get("/" + BARE, params={"_profile": "igsn"})
    assert r.status_code == 200 and f'<{NATIVE}>; rel="profile"' in _links(r)


@pytest.mark.parametrize("path,target", [
    ("/zta001", "/ZTA001"), ("/10273/ZTA001", "/ZTA001"), ("/igsn:ZTA001", "/ZTA001"),
    ("/IGSN:zta001", "/ZTA001"), ("/10.99990/ZTA001", "/ZTA001"), ("/zta001?_profile=igsn", "/ZTA001?_profile=igsn"),
])
def test_path_forms_redirect_to_the_canonical_one(client: TestClient, path: str, target: str) -> None:
    r = client.get(path)
    assert r.status_code == 301
    assert r.headers["location"] == "http://testserver" + target
    assert client.get(path, follow_redirects=True).status_code == 200


@pytest.mark.parametrize("path,status", [
    ("/ZTA999", 404), ("/zta999", 404), ("/bad%20name", 404), ("/10.12345/ZTA001", 404), ("/" + GONE, 410), ("/" + GONE.lower(), 301),
])
def test_unknown_malformed_and_inactive(client: TestClient, path: str, status: int) -> None:
    r = client.get(path)
    assert r.status_code == status
    if status == 404:  # the app's own 404, as for any unknown path
        assert r.headers["content-type"].startswith("application/json") and "detail" in r.json()
    elif status == 410:
        assert r.headers["content-type"].startswith("text/plain")


def test_browsers_go_to_the_registrants_page_or_ours(client: TestClient) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    r = client.get("/" + EXTERNAL, headers=browser)
    assert r.status_code == 303 and r.headers["location"] == "https://example.org/s/" + EXTERNAL
    r = client.get("/" + OWN, headers=browser)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = etree.HTML(r.content)
    assert page.findtext(".//h1") == "Core <b>&amp; section"  # escaped text, not markup
    assert "access-control-allow-origin" not in r.headers
    assert any(a.get("href", "").endswith("_mediatype=text/turtle") for a in page.iter("a"))
    r = client.get("/" + EXTERNAL, params={"_profile": "landing"}, headers=browser)
    assert r.status_code == 200 and b"example.org/s/ZTA001" in r.content


def test_destroyed_sample_has_a_notice(client: TestClient) -> None:
    r = client.get("/" + DESTROYED, headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert etree.HTML(r.content).find(".//p[@class='notice']") is not None
    assert client.get("/" + DESTROYED).status_code == 200


def test_head_is_get_without_body(client: TestClient) -> None:
    for headers in ({"Accept": "text/turtle"}, {"Accept": "text/html"}, {"Accept": "image/png"}):
        get, head = client.get("/" + OWN, headers=headers), client.head("/" + OWN, headers=headers)
        assert head.status_code == get.status_code and head.content == b""
        for name in ("content-type", "content-length", "etag", "link", "vary"):
            assert head.headers.get(name) == get.headers.get(name)
    assert client.head("/ZTA999").status_code == 404


def test_etag_and_conditional_get(client: TestClient) -> None:
    r = client.get("/" + EXTERNAL, headers={"Accept": "text/turtle"})
    tag, modified = r.headers["etag"], r.headers["last-modified"]
    assert tag != client.get("/" + EXTERNAL, headers={"Accept": "application/trig"}).headers["etag"]
    again = client.get("/" + EXTERNAL, headers={"Accept": "text/turtle", "If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    assert client.get("/" + EXTERNAL, headers={"Accept": "text/turtle", "If-Modified-Since": modified}).status_code == 304
    assert client.get("/" + EXTERNAL, headers={"Accept": "text/turtle", "If-None-Match": '"other"'}).status_code == 200


@pytest.mark.parametrize("profile,xsd", [
    ("igsn", "igsn/registration/1.0/igsn.xsd"), ("igsn_desc", "igsn/description/1.1/resource.xsd"),
])
def test_xml_is_valid_against_the_official_schema(client: TestClient, profile: str, xsd: str) -> None:
    if not SHARED.is_dir():
        pytest.skip("../shared is absent: official schemas are not available")
    schema = etree.XMLSchema(etree.parse(str(Path(SHARED) / "schemas" / xsd)))
    r = client.get("/" + EXTERNAL, params={"_profile": profile})
    doc = etree.fromstring(r.content)
    assert schema.validate(doc), "\n".join(str(e) for e in schema.error_log)


def test_fixed_routes_win(client: TestClient) -> None:
    assert client.get("/health").status_code == 200
    r = client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and "boolean" in r.json()
    # reserved words are never looked up as IGSNs, whatever the method the fixed router offers
    assert client.get("/api/whatever").status_code == 404
    assert client.get("/graph/ZTA001").status_code == 404


def test_negotiate_core_rules() -> None:
    every = list(resolver.PROFILES)
    choice = resolver.negotiate(profile_arg="<http://schema.igsn.org/description/1.1>", available=every)
    assert choice.profile.token == "igsn_desc" and not choice.fallback
    assert resolver.negotiate(profile_arg="nope", available=every).fallback
    with pytest.raises(resolver.NotAcceptable):
        resolver.negotiate(accept="application/pdf, image/*", available=every)
