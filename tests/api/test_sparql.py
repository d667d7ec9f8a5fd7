"""/sparql: SPARQL 1.1 Protocol queries over the public graph — formats, errors, limits, read-only."""

from __future__ import annotations

import csv
import io
import json
from typing import Iterator

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from api.app import create_app
from api.routers import sparql as sparql_router
from igsn_graph.demo_load import demo_submissions, load_demo_accounts
from igsn_graph.registry.accounts import ADMIN
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings

COUNT_SAMPLES = (
    "PREFIX ig: <https://w3id.org/igsn-graph/ontology#> "
    "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ig:igsn ?i ; ig:hasMetadata true }"
)


@pytest.fixture
def loaded(registry: Registry) -> Registry:
    load_demo_accounts(registry)
    registry.register(ADMIN, demo_submissions(), strict=False)
    return registry


@pytest.fixture(scope="module")
def module_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """One demo store for the read-only tests of this module (loading it per test costs seconds)."""
    from igsn_graph.registry.service import init_data_dir
    from tests.conftest import add_test_accounts

    settings = Settings(data_dir=tmp_path_factory.mktemp("sparql") / "data")
    init_data_dir(settings)
    with Registry(settings) as registry:
        add_test_accounts(registry)
        load_demo_accounts(registry)
        registry.register(ADMIN, demo_submissions(), strict=False)
    return settings


def _client(settings: Settings) -> TestClient:
    app = create_app(settings)
    return TestClient(app)


@pytest.fixture(scope="module")
def client(module_settings: Settings) -> Iterator[TestClient]:
    with Registry(module_settings) as registry:
        expected = _raw_count(registry)
    with _client(module_settings) as c:
        c.expected_count = expected  # type: ignore[attr-defined]
        yield c


def _raw_count(registry: Registry) -> int:
    """The same query straight on pyoxigraph (results dropped before the store is closed)."""
    return int(next(iter(registry.store.raw.query(COUNT_SAMPLES, use_default_graph_as_union=True)))["n"].value)


def test_select_json_matches_raw_pyoxigraph(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": COUNT_SAMPLES}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/sparql-results+json")
    n = int(r.json()["results"]["bindings"][0]["n"]["value"])
    assert n == client.expected_count > 0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "accept,check",
    [
        ("application/sparql-results+xml", lambda b: etree.fromstring(b).tag.endswith("sparql")),
        ("text/csv", lambda b: next(csv.reader(io.StringIO(b.decode()))) == ["s", "name"]),
        ("text/tab-separated-values", lambda b: b.decode().splitlines()[0] == "?s\t?name"),
        ("application/json", lambda b: "bindings" in json.loads(b)["results"]),
    ],
)
def test_result_formats(client: TestClient, accept: str, check) -> None:  # type: ignore[no-untyped-def]
    q = "PREFIX dcterms: <http://purl.org/dc/terms/> SELECT ?s ?name WHERE { ?s dcterms:title ?name } LIMIT 3"
    r = client.get("/sparql", params={"query": q}, headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["content-type"].startswith(accept)
    assert check(r.content)


def test_ask_construct_and_post_forms(client: TestClient) -> None:
    ask = "ASK { ?s <https://w3id.org/igsn-graph/ontology#igsn> ?o }"
    r = client.post("/sparql", data={"query": ask}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and r.json()["boolean"] is True
    r = client.post("/sparql", content=ask, headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 200 and r.json()["boolean"] is True
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 5"
    r = client.get("/sparql", params={"query": construct}, headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    r = client.get("/sparql", params={"query": construct, "format": "jsonld"})
    assert r.status_code == 200 and isinstance(r.json(), (list, dict))


@pytest.mark.parametrize(
    "request_kwargs,status",
    [
        (
            dict(
                method="POST",
                url="/sparql",
                content="INSERT DATA { <a:b> <a:c> <a:d> }",
                headers={"Content-Type": "application/sparql-update"},
            ),
            403,
        ),
        (dict(method="POST", url="/sparql", data={"update": "DELETE WHERE { ?s ?p ?o }"}), 403),
        (dict(method="GET", url="/sparql", params={"query": "DELETE WHERE { ?s ?p ?o }"}), 403),
        (dict(method="GET", url="/sparql", params={"query": "SELEKT * WHERE { ?s ?p ?o }"}), 400),
        (dict(method="GET", url="/sparql?query=ASK%7B%7D&query=ASK%7B%7D"), 400),
        (dict(method="POST", url="/sparql", content="ASK {}", headers={"Content-Type": "text/plain"}), 415),
        (dict(method="GET", url="/sparql", params={"query": "ASK {}"}, headers={"Accept": "image/png"}), 406),
    ],
)
def test_protocol_errors(client: TestClient, request_kwargs: dict, status: int) -> None:  # type: ignore[type-arg]
    before = client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"}).json()
    r = client.request(**request_kwargs)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("text/plain") and r.text.strip()
    after = client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"}).json()
    assert before == after  # nothing changed


def test_syntax_errors_carry_the_parsers_message(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p }"})
    assert r.status_code == 400 and "malformed query" in r.text and len(r.text) > 30


def test_service_description_and_query_page(client: TestClient) -> None:
    r = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and "sparql-service-description" in r.text and "UnionDefaultGraph" in r.text
    r = client.get("/sparql", headers={"Accept": "text/html"})
    assert r.status_code == 200 and "<form" in r.text and "cdn" not in r.text.lower()


def test_time_limit(loaded: Registry, settings: Settings) -> None:
    loaded.close()
    slow = settings.with_(sparql_timeout_s=0.3)
    with _client(slow) as c:
        # no row before the limit (an aggregate over a cross product): the answer is a 503, not a cut stream
        r = c.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"})
        assert r.status_code == 503 and "limit of 0.3 s" in r.text
        # the server keeps answering
        assert c.get("/health").status_code == 200


def test_the_page_offers_the_example_queries(client: TestClient) -> None:
    """The query page lists the examples of mappings/sparql-examples (tests/test_sparql_examples.py runs them)."""
    from igsn_graph.sparql_examples import examples

    assert sparql_router.EXAMPLES == list(examples()) and len(examples()) >= 3
    page = client.get("/sparql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    for title, _ in examples():
        assert title in page.text


def test_federated_queries_are_refused(client: TestClient) -> None:
    q = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } }"
    r = client.get("/sparql", params={"query": q})
    assert r.status_code == 403 and "SERVICE" in r.text
    r = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p 'SERVICE' } LIMIT 1"})
    assert r.status_code == 200
    r = client.get("/sparql", params={"query": "ASK {}", "default-graph-uri": "not an iri"})
    assert r.status_code == 400
