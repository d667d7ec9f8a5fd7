"""/sparql protocol edges: the request's dataset (default-graph-uri, named-graph-uri, FROM / FROM NAMED, the
union default graph), Accept against the ``format`` argument (SPARQLWrapper sends both), CORS, HEAD, Allow,
``/sparql/``, the service description, streamed results and fresh reads after a write."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import rdflib
from fastapi.testclient import TestClient
from pyoxigraph import Literal, NamedNode, Quad

from api.app import create_app
from igsn_graph.registry.accounts import Principal
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
from tests.conftest import AGENT, CLIENT_ONE, fresh_settings, live_server

G1, G2 = "http://example.org/g1", "http://example.org/g2"
P = NamedNode("http://example.org/p")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
VALUES = " ".join(str(i) for i in range(100))
#: 100 × 100 × 10 = 100,000 rows from no data
BIG = (
    f"SELECT ?a ?b ?c WHERE {{ VALUES ?a {{ {VALUES} }} VALUES ?b {{ {VALUES} }} "
    "VALUES ?c { 1 2 3 4 5 6 7 8 9 10 } }"
)


def _two_graphs(tmp: Path) -> Settings:
    """Two named graphs with one triple each (written before the app opens the store)."""
    settings = fresh_settings(tmp)
    with Registry(settings) as registry:
        registry.store.raw.extend(
            [
                Quad(NamedNode("http://example.org/a"), P, Literal("in g1"), NamedNode(G1)),
                Quad(NamedNode("http://example.org/b"), P, Literal("in g2"), NamedNode(G2)),
            ]
        )
    return settings


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return _two_graphs(Path(tmp_path_factory.mktemp("sparql-edges")))


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def _values(client: TestClient, query: str, **params: object) -> list[str]:
    r = client.get("/sparql", params={"query": query, **params}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    return sorted(b["x"]["value"] for b in r.json()["results"]["bindings"])


OBJECTS = "SELECT ?x WHERE { ?s <http://example.org/p> ?x }"
#: the graphs of this test (the registry has its own: accounts, …)
GRAPHS = 'SELECT DISTINCT ?x WHERE { GRAPH ?x { ?s ?p ?o } FILTER(STRSTARTS(STR(?x), "http://example.org/")) }'


@pytest.mark.parametrize(
    "query,params,expected",
    [
        # no dataset in the request or the query: the union default graph, every named graph
        (OBJECTS, {}, ["in g1", "in g2"]),
        (GRAPHS, {}, [G1, G2]),
        # named-graph-uri alone: an empty default graph, those named graphs only
        (OBJECTS, {"named-graph-uri": G1}, []),
        (GRAPHS, {"named-graph-uri": G1}, [G1]),
        # default-graph-uri alone: that default graph, no named graphs
        (OBJECTS, {"default-graph-uri": G2}, ["in g2"]),
        (GRAPHS, {"default-graph-uri": G2}, []),
        # FROM / FROM NAMED in the query decide when the request names nothing
        (f"SELECT ?x FROM <{G2}> WHERE {{ ?s <http://example.org/p> ?x }}", {}, ["in g2"]),
        (f"SELECT ?x FROM NAMED <{G1}> WHERE {{ GRAPH ?x {{ ?s ?p ?o }} }}", {}, [G1]),
        (f"SELECT ?x FROM <{G1}> WHERE {{ GRAPH ?x {{ ?s ?p ?o }} }}", {}, []),
        (f"SELECT ?x FROM NAMED <{G1}> WHERE {{ ?s <http://example.org/p> ?x }}", {}, []),
        # … and the request's dataset wins over them
        (f"SELECT ?x FROM <{G2}> WHERE {{ ?s <http://example.org/p> ?x }}", {"default-graph-uri": G1}, ["in g1"]),
        # a prefixed name or variable called "from" is not a dataset clause
        (
            "PREFIX ex: <http://example.org/> SELECT ?x WHERE { ?from ex:p ?x OPTIONAL { ?x ex:from ?y } }",
            {},
            ["in g1", "in g2"],
        ),
    ],
)
def test_dataset_rule(client: TestClient, query: str, params: dict[str, str], expected: list[str]) -> None:
    assert _values(client, query, **params) == expected


def test_a_dataset_in_a_post_body(client: TestClient) -> None:
    r = client.post(
        "/sparql", data={"query": OBJECTS, "named-graph-uri": G1}, headers={"Accept": "application/sparql-results+json"}
    )
    assert r.status_code == 200 and r.json()["results"]["bindings"] == []


CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"


@pytest.mark.parametrize(
    "query,accept,fmt,expected",
    [
        # SPARQLWrapper: Accept names the type, format carries a value meant for other servers
        (CONSTRUCT, "application/ld+json,application/x-json+ld", "json-ld", "application/ld+json"),
        (CONSTRUCT, "application/rdf+xml", "xml", "application/rdf+xml"),
        (OBJECTS, "application/sparql-results+xml", "json", "application/sparql-results+xml"),
        # a wildcard is not a choice: format decides
        (OBJECTS, "*/*", "csv", "text/csv"),
        (CONSTRUCT, "*/*", "ntriples", "application/n-triples"),
        (CONSTRUCT, None, "json", "application/ld+json"),
        # format as a media type
        (OBJECTS, None, "text/tab-separated-values", "text/tab-separated-values"),
    ],
)
def test_a_servable_accept_wins_over_format(
    client: TestClient, query: str, accept: str | None, fmt: str, expected: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    r = client.get("/sparql", params={"query": query, "format": fmt}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == expected and r.headers["vary"] == "Accept"


def test_cors(client: TestClient) -> None:
    origin = {"Origin": "https://editor.example.net"}
    r = client.options(
        "/sparql",
        headers={**origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert "POST" in r.headers["access-control-allow-methods"] and "GET" in r.headers["access-control-allow-methods"]
    assert "content-type" in r.headers["access-control-allow-headers"].lower()
    for response in (
        client.get("/sparql", params={"query": "ASK {}"}, headers=origin),
        client.post("/sparql", content="ASK {}", headers={**origin, "Content-Type": "application/sparql-query"}),
        client.get("/sparql", params={"query": "SELEKT"}, headers=origin),
    ):
        assert response.headers["access-control-allow-origin"] == "*", response.status_code


def _raw_post(base: str, head: dict[str, str], body: bytes, then: bytes = b"") -> tuple[int, dict[str, str], str]:
    """A POST /sparql over a socket: ``body`` sent at once, ``then`` after the server had time to give up."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        lines = ["POST /sparql HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in head.items()), "", ""]
        sock.sendall("\r\n".join(lines).encode() + body)
        if then:
            time.sleep(1.0)  # past the read timeout
            try:
                sock.sendall(then)
            except OSError:
                pass
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    status_line, _, rest = raw.decode("latin-1").partition("\r\n")
    header_text, _, text = rest.partition("\r\n\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in header_text.split("\r\n"))}
    return int(status_line.split()[1]), headers, text


@pytest.mark.parametrize("credentials", [False, True], ids=["fast-path", "full-stack"])
def test_a_refused_body_is_readable_cross_origin(tmp_path: Path, credentials: bool) -> None:
    """The body guard's 413 (too large: declared, or chunked past the limit) and 408 (it stopped arriving) on
    /sparql carry CORS headers in the endpoint's plain-text form, whether or not the request has credentials
    (without: ``FastPath`` takes a declared length; with: the full stack)."""
    small = fresh_settings(tmp_path).with_(max_body_bytes=100, body_timeout_s=0.3)
    head = {"Origin": "https://editor.example.net", "Content-Type": "application/sparql-query"}
    if credentials:
        head["Authorization"] = "Basic " + base64.b64encode(":".join(CLIENT_ONE).encode()).decode()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (b"ASK {}", b" " * 200)) + b"0\r\n\r\n"
    with live_server(small) as base:
        answers = {
            "declared too large": _raw_post(base, {**head, "Content-Length": "300"}, b"ASK {}" + b" " * 294),
            "chunked too large": _raw_post(base, {**head, "Transfer-Encoding": "chunked"}, chunked),
            "stalled": _raw_post(base, {**head, "Content-Length": "6"}, b"ASK", then=b" {}"),
        }
    for case, (status, headers, text) in answers.items():
        assert status == (408 if case == "stalled" else 413), (case, status, text)
        assert headers["access-control-allow-origin"] == "*", case
        assert headers["content-type"].startswith("text/plain") and text.strip(), case
        assert headers["connection"] == "close", case


def test_head_allow_and_the_trailing_slash(client: TestClient) -> None:
    got = client.get("/sparql", params={"query": "ASK {}"})
    head = client.head("/sparql", params={"query": "ASK {}"})
    assert head.status_code == got.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    r = client.request("PUT", "/sparql")
    allowed = {"GET", "HEAD", "POST", "OPTIONS"}
    assert r.status_code == 405 and {m.strip() for m in r.headers["allow"].split(",")} == allowed
    # OPTIONS without a CORS preflight's headers: the methods, no body
    r = client.options("/sparql")
    assert r.status_code == 204 and {m.strip() for m in r.headers["allow"].split(",")} == allowed and not r.content
    r = client.get("/sparql/", params={"query": "ASK {}"}, follow_redirects=False)
    assert r.status_code == 301 and r.headers["location"].endswith("/sparql?query=ASK+%7B%7D")
    r = client.post(
        "/sparql/", content="ASK {}", headers={"Content-Type": "application/sparql-query"}, follow_redirects=False
    )
    assert r.status_code == 308 and r.headers["location"].endswith("/sparql")
    assert client.get("/sparql/", params={"query": "ASK {}"}).json()["boolean"] is True


@pytest.mark.parametrize(
    "accept,expected",
    [
        (None, "text/turtle"),
        ("*/*", "text/turtle"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/ld+json", "application/ld+json"),
        # the description is RDF (Service Description §2): plain JSON or XML get the RDF syntax that is one
        ("application/json", "application/ld+json"),
        ("application/xml", "application/rdf+xml"),
        ("text/html", "text/html"),
        # what browsers send: HTML is preferred
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
    ],
)
def test_service_description(client: TestClient, accept: str | None, expected: str) -> None:
    r = client.get("/sparql", headers={"Accept": accept} if accept else {})
    assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == expected
    assert "Accept" in r.headers["vary"]
    if expected == "text/html":
        return
    fmt = {"text/turtle": "turtle", "application/rdf+xml": "xml", "application/ld+json": "json-ld"}[expected]
    g = rdflib.Graph().parse(data=r.content, format=fmt)
    service = next(g.subjects(rdflib.RDF.type, SD.Service))
    formats = {str(f) for f in g.objects(service, SD.resultFormat)}
    assert "http://www.w3.org/ns/formats/SPARQL_Results_JSON" in formats
    assert "http://www.w3.org/ns/formats/Turtle" in formats and "http://www.w3.org/ns/formats/JSON-LD" in formats
    assert all(f.startswith("http://www.w3.org/ns/formats/") for f in formats)
    assert (service, SD.feature, SD.UnionDefaultGraph) in g


def test_a_large_result_streams(client: TestClient) -> None:
    with client.stream(
        "GET", "/sparql", params={"query": BIG}, headers={"Accept": "application/sparql-results+json"}
    ) as r:
        assert r.status_code == 200 and "content-length" not in r.headers
        body = b"".join(r.iter_bytes())
    assert len(json.loads(body)["results"]["bindings"]) == 100_000
    r = client.get("/sparql", params={"query": BIG}, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.content.count(b"\r\n") == 100_001


def test_a_write_is_seen_by_the_next_query(client: TestClient) -> None:
    """Read your writes: workers read checkpoints, and a write acknowledged before a query is in its checkpoint."""
    query = 'PREFIX ig: <https://w3id.org/igsn-graph/ontology#> ASK { ?s ig:igsn "ZTA0077" }'
    assert client.get("/sparql", params={"query": query}).json()["boolean"] is False
    registry: Registry = client.app.state.registry  # type: ignore[attr-defined]
    registry.mint(Principal("client", CLIENT_ONE[0], AGENT[0]), "ZTA0077", "https://example.org/77")
    assert client.get("/sparql", params={"query": query}).json()["boolean"] is True


def test_a_query_does_not_wait_behind_a_long_write(client: TestClient) -> None:
    """A write holding the registry's lock (a bulk load, a restamp) does not hold queries back, and they still
    see every write acknowledged before them."""
    registry: Registry = client.app.state.registry  # type: ignore[attr-defined]
    registry.mint(Principal("client", CLIENT_ONE[0], AGENT[0]), "ZTA0078", "https://example.org/78")
    inside, leave = threading.Event(), threading.Event()

    def long_write() -> None:
        with registry.writing():
            inside.set()
            leave.wait(30)

    writer = threading.Thread(target=long_write)
    writer.start()
    try:
        assert inside.wait(10)
        query = 'PREFIX ig: <https://w3id.org/igsn-graph/ontology#> ASK { ?s ig:igsn "ZTA0078" }'
        start = time.monotonic()
        r = client.get("/sparql", params={"query": query})
        assert r.status_code == 200 and r.json()["boolean"] is True
        assert not leave.is_set() and time.monotonic() - start < 20  # answered while the write went on
    finally:
        leave.set()
        writer.join()


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(_two_graphs(Path(tmp_path_factory.mktemp("sparqlwrapper")))) as base:
        yield base + "/sparql"


@pytest.mark.parametrize("return_format,parse_as", [("json-ld", "json-ld"), ("rdf+xml", "xml"), ("xml", "xml")])
def test_sparqlwrapper_construct(endpoint: str, return_format: str, parse_as: str) -> None:
    """CONSTRUCT through SPARQLWrapper (Accept and format=… together) in JSON-LD and RDF/XML."""
    import SPARQLWrapper

    wrapper = SPARQLWrapper.SPARQLWrapper(endpoint)
    wrapper.setQuery(CONSTRUCT)
    wrapper.setReturnFormat(return_format)
    result = wrapper.query()
    raw = result.response.read()
    assert (
        result.response.headers["content-type"].split(";")[0]
        == {"json-ld": "application/ld+json", "rdf+xml": "application/rdf+xml", "xml": "application/rdf+xml"}[
            return_format
        ]
    )
    graph = rdflib.Graph().parse(data=raw, format=parse_as)
    assert {str(o) for o in graph.objects(None, rdflib.URIRef(P.value))} >= {"in g1", "in g2"}
