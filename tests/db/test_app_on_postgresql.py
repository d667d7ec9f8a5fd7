"""The whole app over a PostgreSQL registry database, through HTTP: registration, the resolver, search, OAI-PMH
and SPARQL (whose checkpoints of the embedded store are labelled with PostgreSQL's data version)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from igsn_graph.demo_load import demo_submissions, load_demo_accounts
from igsn_graph.registry.accounts import ADMIN
from igsn_graph.registry.service import Registry
from tests.conftest import fresh_settings


def test_reads_and_writes_through_http_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    settings = fresh_settings(tmp_path, database=postgres_url)
    with Registry(settings) as registry:
        load_demo_accounts(registry)
        outcomes = registry.register(ADMIN, demo_submissions()[:12], strict=False)
        stored = sorted(o.igsn for o in outcomes if o.ok)
    assert stored and not settings.database_path.exists()
    with TestClient(create_app(settings)) as client:
        home = client.get("/", headers={"Accept": "text/html"})
        assert home.status_code == 200 and any(n in home.text for n in stored)  # newest registrations, from PostgreSQL
        assert client.get(f"/{stored[0]}", headers={"Accept": "text/html"}).status_code == 200
        found = client.get("/api/v1/search", params={"limit": 50}).json()
        assert found["total"] >= 1
        oai = client.get("/oai", params={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"})
        assert oai.status_code == 200 and "<identifier>" in oai.text and "error" not in oai.text
        query = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        sparql = client.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
        assert sparql.status_code == 200 and int(sparql.json()["results"]["bindings"][0]["n"]["value"]) > len(stored)
