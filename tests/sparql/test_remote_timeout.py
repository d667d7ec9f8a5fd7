"""A remote engine that stops a query at its own time limit (issue 14): ``oxigraph serve --timeout-s`` answers
``200`` with the results written so far and "The SPARQL operation has been cancelled"; Virtuoso 7.2 past its
``MaxQueryExecutionTime`` a 500 "Virtuoso S1T00 Error SR171: Transaction timed out". Our ``/sparql`` answers as
it does when it stops a query itself — 503 with ``Retry-After``, counted in ``/health`` and logged with the
query's hash — never a 400 or a cut result; a whole result holding that text is not mistaken for one.

Real engines (``oxigraph serve --timeout-s 1``; Virtuoso with a 2 s limit, skipped where it is not installed),
the real app over HTTP, real worker processes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from igsn_graph.registry.service import init_data_dir
from igsn_graph.settings import Settings
from igsn_graph.sparql_workers.job import query_hash
from testkit.virtuoso import start_virtuoso, virtuoso_executable
from tests.conftest import free_port, live_server, start_oxigraph

pytestmark = pytest.mark.slow

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
#: millions of rows: the engine has written part of them when its limit stops it
MANY_ROWS = "SELECT ?a ?b WHERE { ?a ?p ?c . ?d ?e ?b }"
CANCELLED = "The SPARQL operation has been cancelled"
JSON = {"Accept": "application/sparql-results+json"}


TRIPLES = [f"<http://example.org/s{i}> <http://example.org/p> <http://example.org/o{i}> ." for i in range(2000)]
#: a literal that reads like oxigraph's cancelled message
NOTE = f'<http://example.org/note> <http://example.org/says> "{CANCELLED}" .'


@pytest.fixture(params=["oxigraph", "virtuoso"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(engine name, URL): an engine with a short query time limit holding 2,000 triples in a named graph (the
    cross products above run for far longer than that limit), and ``NOTE``."""
    if request.param == "virtuoso":
        if virtuoso_executable() is None:
            pytest.skip("Virtuoso (Debian package `virtuoso-opensource`) is not installed")
        server = start_virtuoso(tmp_path / "virtuoso", max_query_s=2)
        try:
            data = " ".join([*TRIPLES, NOTE])
            insert = f"INSERT DATA {{ GRAPH <http://example.org/g> {{ {data} }} }}"
            httpx.post(f"{server.url}/sparql", data={"query": insert}, timeout=120).raise_for_status()
            yield "virtuoso", server.url
        finally:
            server.stop()
        return
    port = free_port()
    proc = start_oxigraph(tmp_path / "engine", port, timeout_s=1)
    url = f"http://127.0.0.1:{port}"
    try:
        httpx.post(
            f"{url}/store",
            params={"graph": "http://example.org/g"},
            content="\n".join([*TRIPLES, NOTE]).encode(),
            headers={"Content-Type": "application/n-triples"},
            timeout=60,
        ).raise_for_status()
        yield "oxigraph", url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def base(tmp_path: Path, engine: tuple[str, str]) -> Iterator[str]:
    # our own limit far past the engine's: the engine stops these queries, not us
    settings = Settings(data_dir=tmp_path / "data", store=engine[1], store_engine=engine[0], sparql_timeout_s=60.0)
    init_data_dir(settings)
    with live_server(settings) as url:
        yield url


def test_a_query_the_engine_stops_is_our_timeout_answer(base: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING), httpx.Client(base_url=base, timeout=120) as client:
        for query in (RUNAWAY, MANY_ROWS):
            r = client.get("/sparql", params={"query": query}, headers=JSON)
            assert r.status_code == 503, (query, r.status_code, r.text[-200:])
            assert int(r.headers["Retry-After"]) > 0
            assert "time limit" in r.text and CANCELLED not in r.text
        assert client.get("/health").json()["sparql"]["killed"] == 2
        # the worker is back in the pool and answers the next query
        r = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers=JSON)
        assert r.status_code == 200 and r.json()["boolean"] is True
    stopped = [rec.getMessage() for rec in caplog.records if "stopped after" in rec.getMessage()]
    assert len(stopped) == 2 and query_hash(RUNAWAY) in stopped[0] and query_hash(MANY_ROWS) in stopped[1]
    assert all("engine's own time limit" in m and "?a" not in m for m in stopped)


def test_a_whole_result_holding_the_cancelled_text_is_a_result(base: str) -> None:
    query = "SELECT ?o WHERE { <http://example.org/note> ?p ?o }"
    for accept in ("application/sparql-results+json", "application/sparql-results+xml", "text/csv"):
        r = httpx.get(f"{base}/sparql", params={"query": query}, headers={"Accept": accept}, timeout=60)
        assert r.status_code == 200 and CANCELLED in r.text, accept
    construct = (
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s <http://example.org/says> ?o . BIND(<http://example.org/says> AS ?p) }"
    )
    r = httpx.get(
        f"{base}/sparql", params={"query": construct}, headers={"Accept": "application/n-triples"}, timeout=60
    )
    assert r.status_code == 200 and f'"{CANCELLED}"' in r.text
