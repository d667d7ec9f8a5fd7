"""/ over the demo data, through the real app over HTTP: the home page, and DCAT/VoID for RDF clients."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from lxml import html
from pyoxigraph import Literal, NamedNode, RdfFormat, parse

from tests.conftest import demo_settings, live_server

DCAT = "http://www.w3.org/ns/dcat#"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(demo_settings(tmp_path_factory.mktemp("demo"))) as url:
        yield url


def test_home_page_says_what_this_is_and_leads_everywhere(base: str) -> None:
    r = httpx.get(base + "/", headers={"Accept": "text/html"}, timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "script-src 'self';" in r.headers["content-security-policy"] and "Accept" in r.headers["vary"]
    doc = html.fromstring(r.content)
    assert not doc.xpath("//script") and not doc.xpath("//*[@src]")
    api = httpx.get(base + "/api/v1/search", params={"limit": 1}, timeout=30).json()
    assert doc.findtext(".//h1").startswith("IGSN sample registry")
    assert f"{api['total']} public samples" in doc.text_content()
    # a search box sending to /search, in the page and in the shared header
    assert len(doc.xpath("//form[@action='/search' and @role='search']//input[@name='q']")) == 2
    assert doc.xpath("//header[@class='site']//a[@href='/']")
    # facet entry points open the search filtered, with the counts search gives
    agent = api["facets"]["agent"][0]
    link = doc.xpath(f"//a[@href='/search?agent={agent['value']}']")[0]
    assert link.text_content().endswith(f"({agent['count']})")
    assert httpx.get(base + link.get("href"), timeout=30).status_code == 200
    for facet in ("type", "material"):
        assert doc.xpath(f"//a[starts-with(@href, '/search?{facet}=')]")
    # recent samples link to their pages, which answer
    sections = {s.findtext("h2"): s for s in doc.iter("section")}
    recent = sections["Recently registered"].xpath(".//a/@href")
    changed = sections["Latest changes"].xpath(".//a/@href")
    assert len(recent) == 10 and len(changed) == 10
    assert httpx.get(base + recent[0], params={"_profile": "landing"}, timeout=30).status_code == 200
    # every machine interface is linked, and answers
    targets = set(sections["Machine interfaces"].xpath(".//a/@href"))
    assert {"/oai", "/sparql", "/docs", "/accounts", "/api/v1/search"} <= targets
    for path in ("/oai?verb=Identify", "/sparql", "/docs", "/accounts"):
        assert httpx.get(base + path, headers={"Accept": "text/html"}, timeout=30).status_code == 200, path
    # the map of all samples: one circle per cluster, each a search of its square
    clusters = doc.xpath("//figure//svg//a")
    assert clusters and all(a.get("href").startswith("/search?bbox=") for a in clusters)


def test_the_name_is_the_one_oai_identify_gives(base: str) -> None:
    identify = httpx.get(base + "/oai", params={"verb": "Identify"}, timeout=30).text
    page = html.fromstring(httpx.get(base + "/", timeout=30).content)
    assert f"<repositoryName>{page.findtext('.//h1')}</repositoryName>" in identify


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("text/turtle", RdfFormat.TURTLE),
        ("application/ld+json", RdfFormat.JSON_LD),
        ("application/n-triples", RdfFormat.N_TRIPLES),
    ],
)
def test_rdf_clients_get_a_dcat_and_void_description(base: str, accept: str, fmt: RdfFormat) -> None:
    r = httpx.get(base + "/", headers={"Accept": accept}, timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith(accept)
    triples = list(parse(r.content, format=fmt))
    dataset = next(t.subject for t in triples if t.predicate == RDF_TYPE and t.object == NamedNode(DCAT + "Dataset"))
    props = {(t.predicate.value, t.object) for t in triples if t.subject == dataset}
    total = httpx.get(base + "/api/v1/search", params={"limit": 1}, timeout=30).json()["total"]
    integer = NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    assert (VOID + "entities", Literal(str(total), datatype=integer)) in props
    assert (RDF_TYPE.value, NamedNode(VOID + "Dataset")) in props
    sparql = next(o for p, o in props if p == VOID + "sparqlEndpoint")
    assert sparql.value.endswith("/sparql")
    services = {t.subject for t in triples if t.predicate == RDF_TYPE and t.object == NamedNode(DCAT + "DataService")}
    assert sparql in services and any(s.value.endswith("/oai") for s in services)
    assert all(
        any(t.subject == s and t.predicate.value == DCAT + "servesDataset" and t.object == dataset for t in triples)
        for s in services
    )


def test_format_by_parameter_and_what_is_not_offered(base: str) -> None:
    r = httpx.get(base + "/", params={"_mediatype": "text/turtle"}, timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    assert httpx.get(base + "/", headers={"Accept": "*/*"}, timeout=30).headers["content-type"].startswith("text/html")
    assert httpx.get(base + "/", headers={"Accept": "image/png"}, timeout=30).status_code == 406
    head = httpx.head(base + "/", timeout=30)
    assert head.status_code == 200 and head.content == b""


def test_every_page_has_the_header_home_and_search(base: str) -> None:
    igsn = httpx.get(base + "/api/v1/search", params={"limit": 1}, timeout=30).json()["items"][0]["igsn"]
    for path in (f"/{igsn}?_profile=landing", "/search?q=core", "/accounts", "/NOSUCH0000"):
        doc = html.fromstring(httpx.get(base + path, headers={"Accept": "text/html"}, timeout=30).content)
        header = doc.xpath("/html/body/header[@class='site']")
        assert header and header[0].xpath(".//a[@href='/']") and header[0].xpath(".//form[@action='/search']"), path
