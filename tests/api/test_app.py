"""api.app: the app factory, /health, the OpenAPI document and problem+json errors, over real HTTP in process."""

from __future__ import annotations

from typing import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings


@pytest.fixture
def client(registry: Registry, settings: Settings) -> Iterator[TestClient]:
    registry.close()  # the app opens the store itself (one process, one opener)
    with TestClient(create_app(settings)) as c:
        yield c


def test_health(client: TestClient) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["samples"] == 0 and body["pending_writes"] == 0
    assert body["repository_id"] == "test.igsn-graph.org"


def test_openapi_and_docs(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/health" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_unknown_route_is_404(client: TestClient) -> None:
    assert client.get("/no-such-route").status_code == 404


def test_ontology_and_context_are_served(client: TestClient) -> None:
    r = client.get("/ontology", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and "owl:Ontology" in r.text
    r = client.get("/ontology", headers={"Accept": "application/ld+json"})
    assert r.status_code == 200 and isinstance(r.json(), (list, dict))
    assert client.get("/ontology", headers={"Accept": "image/png"}).status_code == 406
    ctx = client.get("/context.jsonld").json()["@context"]
    assert ctx["igsn"] == "ig:igsn" and ctx["ig"].startswith("https://w3id.org/igsn-graph/")
