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
from igsn_graph.pages import STYLESHEET_URL
from igsn_graph.registry.service import Registry, Submission, init_data_dir
from igsn_graph.settings import Settings
from tests.conftest import ADMIN_PASSWORD, SHARED, add_test_accounts
from tests.oai.samples import ONE, rich

NATIVE = "https://w3id.org/igsn-graph/ontology"
EXTERNAL = "ZTA001"  # landing URL on the registrant's host
OWN = "ZTA002"  # no landing URL: our page
GONE = "ZTA003"  # deactivated
DESTROYED = "ZTA004"
BARE = "ZTA005"  # minted, no description
OLD = "ZTA006"  # deprecated, replaced by OWN
CHILD = "ZTA007"  # a sub-sample of OWN


@pytest.fixture(scope="module", params=["embedded", "remote"])
def client(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    """The resolver answers the same whichever graph store holds the samples."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("resolver") / "data", admin_password=ADMIN_PASSWORD)
    if request.param == "remote":
        import httpx

        url = request.getfixturevalue("oxigraph_engine")
        httpx.post(
            url + "/update", content=b"DROP ALL", headers={"Content-Type": "application/sparql-update"}, timeout=30
        ).raise_for_status()
        settings = settings.with_(store=url)
    init_data_dir(settings)
    # one opener per process: the registry is closed before the app opens its own
    with Registry(settings) as registry:
        add_test_accounts(registry)
        subs = [
            Submission(rich(EXTERNAL), "igsn_desc", None, "https://example.org/s/" + EXTERNAL),
            Submission(rich(OWN, name="Core <b>&amp; section"), "igsn_desc", None, None),
            Submission(rich(GONE), "igsn_desc", None, "https://example.org/s/" + GONE),
            Submission(rich(DESTROYED), "igsn_desc", None, None),
            Submission(rich(OLD), "igsn_desc", None, None),
            Submission(rich(CHILD, parents=[OWN]), "igsn_desc", None, None),
        ]
        outcomes = registry.register(ONE, subs)
        assert all(o.ok for o in outcomes), outcomes
        registry.deactivate(ONE, GONE)
        registry.destroy(ONE, DESTROYED)
        registry.deprecate(ONE, OLD, replaced_by=OWN)
        registry.mint(ONE, BARE, "https://example.org/s/" + BARE)
    with TestClient(create_app(settings), follow_redirects=False) as c:
        yield c


def _links(response) -> str:  # type: ignore[no-untyped-def]
    return response.headers.get("link", "")


@pytest.mark.parametrize(
    "params,headers,status,content_type,profile",
    [
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
        (
            {},
            {"Accept": "application/vnd.datacite.datacite+xml"},
            200,
            "application/vnd.datacite.datacite+xml",
            "http://datacite.org/schema/kernel-4",
        ),
        ({"_profile": "igsn_desc"}, {}, 200, "application/xml", "http://schema.igsn.org/description/1.1"),
        ({"_profile": "igsn-r1"}, {}, 200, "application/xml", "http://schema.igsn.org/description/1.1"),
        ({"_profile": "oai_dc"}, {}, 200, "application/xml", "http://www.openarchives.org/OAI/2.0/oai_dc/"),
        (
            {"_profile": "datacite", "_mediatype": "application/xml"},
            {},
            200,
            "application/xml",
            "http://datacite.org/schema/kernel-4",
        ),
        (
            {},
            {"Accept-Profile": "<http://igsn.org/schema/kernel-v.1.0>"},
            200,
            "application/xml",
            "http://igsn.org/schema/kernel-v.1.0",
        ),
        (
            {"_profile": "oai_dc"},
            {"Accept-Profile": "<http://igsn.org/schema/kernel-v.1.0>"},
            200,
            "application/xml",
            "http://www.openarchives.org/OAI/2.0/oai_dc/",
        ),  # the query beats the header
        ({"_mediatype": "application/ld json"}, {"Accept": "text/turtle"}, 200, "application/ld+json", NATIVE),
        (
            {"_profile": "prov"},
            {"Accept": "application/n-triples"},
            200,
            "application/n-triples",
            "http://www.w3.org/ns/prov#",
        ),
        ({"_profile": "alt"}, {}, 200, "application/json", "http://www.w3.org/ns/dx/connegp/altr"),
        (
            {"_profile": "alt", "_mediatype": "text/turtle"},
            {},
            200,
            "text/turtle",
            "http://www.w3.org/ns/dx/connegp/altr",
        ),
        ({"_profile": "no-such-profile"}, {}, 200, "text/turtle", NATIVE),  # unknown profile → default
        ({}, {"Accept-Profile": "<urn:example:unknown>"}, 200, "text/turtle", NATIVE),
        ({"_profile": "landing"}, {}, 200, "text/html", NATIVE.replace("ontology", "landing")),
        ({}, {"Accept": "image/png"}, 406, "text/plain", None),
        ({}, {"Accept": "text/turtle;q=0"}, 406, "text/plain", None),
        ({"_mediatype": "image/png"}, {}, 406, "text/plain", None),
        ({"_profile": "igsn", "_mediatype": "text/turtle"}, {}, 406, "text/plain", None),
    ],
)
def test_negotiation_table(
    client: TestClient,
    params: dict[str, str],
    headers: dict[str, str],
    status: int,
    content_type: str,
    profile: str | None,
) -> None:
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
    quads = list(
        parse(client.get("/" + EXTERNAL, headers={"Accept": "application/n-quads"}).content, format=RdfFormat.N_QUADS)
    )
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


@pytest.mark.parametrize(
    "path,target",
    [
        ("/zta001", "/ZTA001"),
        ("/10273/ZTA001", "/ZTA001"),
        ("/igsn:ZTA001", "/ZTA001"),
        ("/IGSN:zta001", "/ZTA001"),
        ("/10.99990/ZTA001", "/ZTA001"),
        ("/zta001?_profile=igsn", "/ZTA001?_profile=igsn"),
    ],
)
def test_path_forms_redirect_to_the_canonical_one(client: TestClient, path: str, target: str) -> None:
    r = client.get(path)
    assert r.status_code == 301
    assert r.headers["location"] == "http://testserver" + target
    assert client.get(path, follow_redirects=True).status_code == 200


@pytest.mark.parametrize(
    "path,status",
    [
        ("/ZTA999", 404),
        ("/zta999", 404),
        ("/bad%20name", 404),
        ("/10.12345/ZTA001", 404),
        ("/" + GONE, 410),
        ("/" + GONE.lower(), 301),
    ],
)
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


def test_deprecated_sample_names_its_replacement(client: TestClient) -> None:
    page = etree.HTML(client.get("/" + OLD, headers={"Accept": "text/html"}).content)
    notice = page.find(".//p[@class='notice']")
    assert notice is not None and "deprecated" in "".join(notice.itertext())
    assert notice.find("a").get("href") == "/" + OWN


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
    assert (
        client.get("/" + EXTERNAL, headers={"Accept": "text/turtle", "If-Modified-Since": modified}).status_code == 304
    )
    assert client.get("/" + EXTERNAL, headers={"Accept": "text/turtle", "If-None-Match": '"other"'}).status_code == 200


@pytest.mark.parametrize(
    "profile,xsd",
    [
        ("igsn", "igsn/registration/1.0/igsn.xsd"),
        ("igsn_desc", "igsn/description/1.1/resource.xsd"),
    ],
)
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
    assert client.get("/static/ZTA001").status_code == 404
    # a minted graph IRI is no IGSN path either: it leads to its sample (tests/api/test_entities.py)
    assert client.get("/graph/ZTA001").status_code == 303


def test_negotiate_core_rules() -> None:
    every = list(resolver.PROFILES)
    choice = resolver.negotiate(profile_arg="<http://schema.igsn.org/description/1.1>", available=every)
    assert choice.profile.token == "igsn_desc" and not choice.fallback
    assert resolver.negotiate(profile_arg="nope", available=every).fallback
    with pytest.raises(resolver.NotAcceptable):
        resolver.negotiate(accept="application/pdf, image/*", available=every)


# --- every media type × profile × alias, each output parsed -------------------------------------


def _rdf(fmt: RdfFormat):  # type: ignore[no-untyped-def]
    def check(content: bytes, name: str) -> None:
        triples = list(parse(content, format=fmt))
        assert any(term.value.endswith("/" + name) for t in triples for term in (t.subject, t.object))

    return check


def _xml(xsd: str | None):  # type: ignore[no-untyped-def]
    def check(content: bytes, name: str) -> None:
        doc = etree.fromstring(content)
        assert name.encode() in content
        if xsd is None or not SHARED.is_dir():
            return  # no schema to check against (or ../shared absent)
        schema = _schema(xsd)
        assert schema.validate(doc), "\n".join(str(e) for e in schema.error_log)

    return check


_SCHEMAS: dict[str, etree.XMLSchema] = {}


def _schema(relative: str) -> etree.XMLSchema:
    if relative not in _SCHEMAS:
        from tests.oai.conftest import CatalogResolver  # imports of other schemas, offline via the catalog

        parser = etree.XMLParser(no_network=True)
        parser.resolvers.add(CatalogResolver(Path(SHARED) / "schemas" / "catalog.xml"))
        _SCHEMAS[relative] = etree.XMLSchema(etree.parse(str(Path(SHARED) / "schemas" / relative), parser))
    return _SCHEMAS[relative]


def _schemaorg(content: bytes, name: str) -> None:
    triples = list(parse(content, format=RdfFormat.JSON_LD))
    subject = [t for t in triples if t.subject.value.endswith("/" + name)]
    assert any(t.predicate.value == "https://schema.org/name" for t in subject)
    assert any(t.object.value == "https://schema.org/Product" for t in subject)


def _datacite_json(content: bytes, name: str) -> None:
    from datacite import schema45

    doc = json.loads(content)
    schema45.validator.validate(doc)
    assert {"alternateIdentifier": name, "alternateIdentifierType": "IGSN"} in doc["alternateIdentifiers"]
    # and the JSON converts back to DataCite XML with the same title
    back = etree.fromstring(schema45.tostring(doc).encode())
    assert back.findtext(".//{*}title") == doc["titles"][0]["title"]


def _csl(content: bytes, name: str) -> None:
    item = json.loads(content)
    assert item["type"] == "document" and item["title"] and item["note"] == f"IGSN: {name}"
    assert item["author"] == [{"family": "Doe", "given": "Jane"}] and item["issued"] == {"date-parts": [[2015]]}


def _bibtex(content: bytes, name: str) -> None:
    import bibtexparser
    from bibtexparser.middlewares import LatexDecodingMiddleware

    library = bibtexparser.parse_string(content.decode(), append_middleware=[LatexDecodingMiddleware()])
    assert not library.failed_blocks and len(library.entries) == 1
    entry = library.entries[0]
    assert entry.entry_type == "misc" and entry["year"] == "2015" and entry["author"] == "Doe, Jane"
    assert entry["note"] == f"IGSN: {name}" and entry["url"].endswith("/" + name)


def _ris(content: bytes, name: str) -> None:
    import rispy

    [entry] = rispy.loads(content.decode())
    assert entry["type_of_reference"] == "GEN" and entry["authors"] == ["Doe, Jane"] and entry["year"] == "2015"
    assert entry["notes"] == [f"IGSN: {name}"]


def _apa(content: bytes, name: str) -> None:
    text = content.decode()
    assert text.startswith("Doe, J. (2015). Core section ") and "[Physical sample]." in text
    assert text.strip().endswith("/" + name)


def _landing(content: bytes, name: str) -> None:
    page = etree.HTML(content)
    [block] = page.xpath("//script[@type='application/ld+json']")
    _schemaorg(block.text.encode(), name)
    assert not page.xpath("//script[not(@type='application/ld+json')]")  # no other script


def _alt_json(content: bytes, name: str) -> None:
    assert {p["token"] for p in json.loads(content)["profiles"]} >= {"ig", "sdo", "citation"}


DC = "http://datacite.org/schema/kernel-4"
SDO = "https://schema.org/"
CITE = "https://w3id.org/igsn-graph/citation"
ALT = "http://www.w3.org/ns/dx/connegp/altr"
#: (query, headers, content type served, profile served, check of the body)
TABLE = [
    # native profile: every RDF syntax and alias
    ({}, {"Accept": "text/turtle"}, "text/turtle", NATIVE, _rdf(RdfFormat.TURTLE)),
    ({}, {"Accept": "application/x-turtle"}, "text/turtle", NATIVE, _rdf(RdfFormat.TURTLE)),
    ({}, {"Accept": "text/ttl"}, "text/turtle", NATIVE, _rdf(RdfFormat.TURTLE)),
    ({}, {"Accept": "application/n-triples"}, "application/n-triples", NATIVE, _rdf(RdfFormat.N_TRIPLES)),
    ({}, {"Accept": "text/plain"}, "application/n-triples", NATIVE, _rdf(RdfFormat.N_TRIPLES)),
    ({}, {"Accept": "application/n-quads"}, "application/n-quads", NATIVE, _rdf(RdfFormat.N_QUADS)),
    ({}, {"Accept": "application/trig"}, "application/trig", NATIVE, _rdf(RdfFormat.TRIG)),
    ({}, {"Accept": "application/rdf+xml"}, "application/rdf+xml", NATIVE, _rdf(RdfFormat.RDF_XML)),
    ({}, {"Accept": "application/rdf"}, "application/rdf+xml", NATIVE, _rdf(RdfFormat.RDF_XML)),
    ({}, {"Accept": "application/ld+json"}, "application/ld+json", NATIVE, _rdf(RdfFormat.JSON_LD)),
    (
        {"_profile": "ig", "_mediatype": "application/ld+json"},
        {},
        "application/ld+json",
        NATIVE,
        _rdf(RdfFormat.JSON_LD),
    ),
    # schema.org
    ({}, {"Accept": "application/vnd.schemaorg.ld+json"}, "application/vnd.schemaorg.ld+json", SDO, _schemaorg),
    ({"_profile": "sdo"}, {}, "application/ld+json", SDO, _schemaorg),
    (
        {},
        {"Accept-Profile": "<https://schema.org/>", "Accept": "application/ld+json"},
        "application/ld+json",
        SDO,
        _schemaorg,
    ),
    ({"_profile": "schemaorg", "_mediatype": "text/turtle"}, {}, "text/turtle", SDO, _rdf(RdfFormat.TURTLE)),
    # XML kernels
    (
        {},
        {"Accept": "application/xml"},
        "application/xml",
        "http://igsn.org/schema/kernel-v.1.0",
        _xml("igsn/registration/1.0/igsn.xsd"),
    ),
    (
        {},
        {"Accept": "text/xml"},
        "application/xml",
        "http://igsn.org/schema/kernel-v.1.0",
        _xml("igsn/registration/1.0/igsn.xsd"),
    ),
    (
        {"_profile": "igsn_desc"},
        {},
        "application/xml",
        "http://schema.igsn.org/description/1.1",
        _xml("igsn/description/1.1/resource.xsd"),
    ),
    (
        {"_profile": "igsn-r1"},
        {},
        "application/xml",
        "http://schema.igsn.org/description/1.1",
        _xml("igsn/description/1.1/resource.xsd"),
    ),
    (
        {"_profile": "oai_dc"},
        {},
        "application/xml",
        "http://www.openarchives.org/OAI/2.0/oai_dc/",
        _xml("oai/oai_dc.xsd"),
    ),
    # DataCite
    (
        {},
        {"Accept": "application/vnd.datacite.datacite+xml"},
        "application/vnd.datacite.datacite+xml",
        DC,
        _xml("datacite/kernel-4.7/metadata.xsd"),
    ),
    (
        {},
        {"Accept": "application/x-datacite+xml"},
        "application/vnd.datacite.datacite+xml",
        DC,
        _xml("datacite/kernel-4.7/metadata.xsd"),
    ),
    (
        {"_profile": "datacite", "_mediatype": "application/xml"},
        {},
        "application/xml",
        DC,
        _xml("datacite/kernel-4.7/metadata.xsd"),
    ),
    (
        {},
        {"Accept": "application/vnd.datacite.datacite+json"},
        "application/vnd.datacite.datacite+json",
        DC,
        _datacite_json,
    ),
    # citations
    ({}, {"Accept": "application/vnd.citationstyles.csl+json"}, "application/vnd.citationstyles.csl+json", CITE, _csl),
    ({}, {"Accept": "application/citeproc+json"}, "application/vnd.citationstyles.csl+json", CITE, _csl),
    ({}, {"Accept": "application/x-bibtex"}, "application/x-bibtex", CITE, _bibtex),
    ({}, {"Accept": "application/x-research-info-systems"}, "application/x-research-info-systems", CITE, _ris),
    ({}, {"Accept": "text/x-bibliography"}, "text/x-bibliography", CITE, _apa),
    ({}, {"Accept": "text/x-bibliography; style=apa; locale=en-US"}, "text/x-bibliography", CITE, _apa),
    ({}, {"Accept": "text/x-bibliography; style=chicago"}, "text/x-bibliography", CITE, _apa),  # stated fallback
    ({"style": "apa", "locale": "en-US"}, {}, "text/x-bibliography", CITE, _apa),
    ({"_profile": "citation", "_mediatype": "application/x-bibtex"}, {}, "application/x-bibtex", CITE, _bibtex),
    # history, alternates, HTML
    ({"_profile": "prov"}, {}, "text/turtle", "http://www.w3.org/ns/prov#", _rdf(RdfFormat.TURTLE)),
    (
        {"_profile": "prov", "_mediatype": "application/ld+json"},
        {},
        "application/ld+json",
        "http://www.w3.org/ns/prov#",
        lambda c, n: list(parse(c, format=RdfFormat.JSON_LD)),
    ),
    ({"_profile": "alt"}, {}, "application/json", ALT, _alt_json),
    ({"_profile": "alt", "_mediatype": "text/html"}, {}, "text/html", ALT, lambda c, n: etree.HTML(c)),
    ({"_profile": "landing"}, {}, "text/html", NATIVE.replace("ontology", "landing"), _landing),
    (
        {"_profile": "landing"},
        {"Accept": "application/xhtml+xml"},
        "text/html",
        NATIVE.replace("ontology", "landing"),
        _landing,
    ),
]


@pytest.mark.parametrize("params,headers,content_type,profile,check", TABLE)
def test_every_media_type_profile_and_alias(
    client: TestClient, params: dict[str, str], headers: dict[str, str], content_type: str, profile: str, check
) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/" + EXTERNAL, params=params, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == content_type
    assert f'<{profile}>; rel="profile"' in _links(r) and r.headers["vary"] == "Accept, Accept-Profile"
    assert r.headers["etag"] and r.headers["last-modified"]
    check(r.content, EXTERNAL)
    head = client.head("/" + EXTERNAL, params=params, headers=headers)
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == r.headers["etag"]
    again = client.get("/" + EXTERNAL, params=params, headers={**headers, "If-None-Match": r.headers["etag"]})
    assert again.status_code == 304


def test_bibliography_names_the_style_it_used(client: TestClient) -> None:
    r = client.get("/" + EXTERNAL, headers={"Accept": "text/x-bibliography; style=chicago; locale=de-DE"})
    assert "style=apa" in r.headers["content-type"] and "locale=en-US" in r.headers["content-type"]
    assert r.headers["etag"] != client.get("/" + EXTERNAL, headers={"Accept": "text/x-bibliography"}).headers["etag"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Accept": "application/json;;q=x, foo, /, text/turtle;q=abc"},  # malformed parts are skipped
        {"Accept": ";;;"},
        {"Accept-Profile": "<<>>, ;q=1"},
    ],
)
def test_malformed_accept_never_fails(client: TestClient, headers: dict[str, str]) -> None:
    r = client.get("/" + EXTERNAL, headers=headers)
    assert r.status_code in (200, 406) and r.status_code != 500


def test_browsers_get_html_error_pages(client: TestClient) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    r = client.get("/ZTA999", headers=browser)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "ZTA999" in etree.HTML(r.content).findtext(".//code")
    r = client.get("/" + GONE, headers=browser)
    assert r.status_code == 410 and r.headers["content-type"].startswith("text/html")
    assert "withdrawn" in etree.HTML(r.content).findtext(".//h1")
    assert client.get("/" + GONE, headers={"Accept": "text/turtle"}).status_code == 410


def test_landing_page_content(client: TestClient) -> None:
    r = client.get("/" + OWN, headers={"Accept": "text/html"})
    page = etree.HTML(r.content)
    text = "".join(page.itertext())
    for expected in (
        "IGSN: ZTA002",
        "hdl:10273/ZTA002",
        "https://igsn.org/ZTA002",
        "Doe, J. (2015)",
        "Rock",
        "Core",
        "2019-05-01",
        "Alps",
        "Smith, Ann",
        "Registration history",
        "registered",
    ):
        assert expected in text, expected
    hrefs = {a.get("href") for a in page.iter("a")}
    assert "https://orcid.org/0000-0000-0000-0001" in hrefs and "https://ror.org/00test000" in hrefs
    assert "/" + CHILD in hrefs  # children come from the inverse relation
    assert "https://doi.org/10.5072/PAPER1" in hrefs
    assert page.find(".//svg") is not None and page.find(".//svg//circle") is not None
    assert not [e for e in page.iter() if e.get("src")]
    # the one stylesheet is this service's own file
    assert [e.get("href") for e in page.iter("link") if e.get("rel") == "stylesheet"] == [STYLESHEET_URL]
    block = json.loads(page.xpath("//script[@type='application/ld+json']")[0].text)
    assert block["hasPart"] == [{"@id": "https://igsn.org/" + CHILD}]


def test_landing_page_map_navigation_and_formats(client: TestClient) -> None:
    page = etree.HTML(client.get("/" + OWN, headers={"Accept": "text/html"}).content)
    # the map: Natural Earth land around the sample, a scale, the same place on OpenStreetMap
    figure = page.find(".//figure[@class='map']")
    svg = figure.find("svg")
    x, y, w, h = (float(v) for v in svg.get("viewbox").split())
    assert w < 60 and h < 40  # zoomed to the sample, not the whole world
    assert len(svg.find("path").get("d")) > 100 and "km" in "".join(svg.itertext())
    assert any(a.get("href", "").startswith("https://www.openstreetmap.org/?mlat=") for a in figure.iter("a"))
    # the registry's own nodes are linked to their pages, which answer
    hrefs = {a.get("href") for a in page.iter("a")}
    for node in ("/agent/ZTEST", "/client/ZTEST.ONE", "/namespace/ZTA"):
        assert node in hrefs and client.get(node, headers={"Accept": "text/html"}).status_code == 200, node
    # every other representation in one folded block
    details = page.find(".//details[@class='formats']")
    links = [a.get("href") for a in details.iter("a")]
    assert details.find("summary") is not None and len(links) > 10 and all("_profile=" in h for h in links)
    assert not [s for s in page.iter("h2") if s.text == "Other representations"]


def test_sample_iris_under_a_path_resolve_too(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", public_url="https://registry.example.net/")
    init_data_dir(settings, iri_base="https://registry.example.net/id/igsn/")
    with Registry(settings) as registry:
        add_test_accounts(registry)
        assert all(o.ok for o in registry.register(ONE, [Submission(rich(OWN), "igsn_desc", None, None)]))
    with TestClient(create_app(settings), follow_redirects=False) as c:
        r = c.get("/id/igsn/" + OWN)
        assert r.status_code == 301 and r.headers["location"].endswith("/" + OWN)
        turtle = c.get("/" + OWN, headers={"Accept": "text/turtle"})
        assert turtle.status_code == 200
        assert any(
            t.subject.value == "https://registry.example.net/id/igsn/" + OWN
            for t in parse(turtle.content, format=RdfFormat.TURTLE)
        )
        assert (
            'rel="canonical"' in turtle.headers["link"]
            and "<https://registry.example.net/" + OWN + ">" in turtle.headers["link"]
        )
