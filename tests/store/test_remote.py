"""store.remote against a real `oxigraph serve` (started on a free loopback port): the registry, verify,
dump and the SPARQL endpoint work unchanged over a remote engine; an engine that goes away gives clear errors."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from igsn_graph.errors import StorageFailure
from igsn_graph.index.rebuild import verify
from igsn_graph.registry.accounts import Principal
from igsn_graph.registry.service import Registry, init_data_dir
from igsn_graph.settings import Settings
from tests.conftest import AGENT, CLIENT_ONE, add_test_accounts

pytestmark = pytest.mark.slow
ONE = Principal("client", CLIENT_ONE[0], AGENT[0])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # type: ignore[no-any-return]


def _oxigraph() -> str:
    exe = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(exe).exists():
        pytest.skip("the oxigraph server (PyPI package `oxigraph`) is not installed")
    return exe


def _start(location: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([_oxigraph(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/query", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("oxigraph serve did not start")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[tuple[str, Path, int]]:
    port = _free_port()
    location = tmp_path / "engine"
    proc = _start(location, port)
    try:
        yield f"http://127.0.0.1:{port}", location, port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def remote_registry(tmp_path: Path, engine: tuple[str, Path, int]) -> Iterator[Registry]:
    settings = Settings(data_dir=tmp_path / "data", store=engine[0])
    init_data_dir(settings)
    with Registry(settings) as reg:
        add_test_accounts(reg)
        yield reg


def test_registry_over_a_remote_engine(remote_registry: Registry) -> None:
    reg = remote_registry
    assert reg.mint(ONE, "ZTA0001", "https://example.org/1").created
    reg.mint(ONE, "ZTA0001", "https://example.org/1b")
    reg.deactivate(ONE, "ZTA0001")
    facts = reg.facts("ZTA0001")
    assert facts is not None and not facts.active and facts.landing_url == "https://example.org/1b"
    from igsn_graph.demo_load import demo_submissions, load_demo_accounts
    from igsn_graph.registry.accounts import ADMIN
    load_demo_accounts(reg)
    outcomes = reg.register(ADMIN, demo_submissions()[:20], strict=False)
    assert all(o.ok for o in outcomes)
    report = verify(reg.db, reg.store, reg.iris)
    assert report.ok and report.samples == 21, report.problems
    # the same query, answered by the engine through our query interface
    solutions = reg.store.raw.query("SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                                    use_default_graph_as_union=False)
    assert int(next(iter(solutions))["n"].value) >= 21 * 2


def test_sparql_endpoint_over_a_remote_engine(remote_registry: Registry, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.routers import sparql as sparql_router
    remote_registry.mint(ONE, "ZTA0002", "https://example.org/2")
    settings = remote_registry.settings
    remote_registry.close()
    app = create_app(settings)
    if not any(getattr(r, "path", "") == "/sparql" for r in app.routes):
        app.include_router(sparql_router.router)
    with TestClient(app) as c:
        q = "PREFIX ig: <https://w3id.org/igsn-graph/ontology#> SELECT ?i WHERE { ?s ig:igsn ?i }"
        r = c.get("/sparql", params={"query": q}, headers={"Accept": "application/sparql-results+json"})
        assert r.status_code == 200
        assert {b["i"]["value"] for b in r.json()["results"]["bindings"]} == {"ZTA0002"}
        r = c.get("/sparql", params={"query": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3"},
                  headers={"Accept": "text/turtle"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
        assert c.get("/sparql", params={"query": "SELEKT"}).status_code == 400


def test_engine_going_away_gives_clear_errors_and_no_partial_write(tmp_path: Path) -> None:
    port = _free_port()
    location = tmp_path / "engine"
    proc = _start(location, port)
    settings = Settings(data_dir=tmp_path / "data", store=f"http://127.0.0.1:{port}")
    init_data_dir(settings)
    reg = Registry(settings)
    try:
        add_test_accounts(reg)
        reg.mint(ONE, "ZTA0003", "https://example.org/3")
        proc.terminate()
        proc.wait(timeout=30)
        with pytest.raises(StorageFailure, match="unavailable"):
            reg.mint(ONE, "ZTA0004", "https://example.org/4")
        assert reg.row("ZTA0004") is None and reg.journal.pending() == 0
        proc = _start(location, port)  # recovery when it returns
        assert reg.mint(ONE, "ZTA0004", "https://example.org/4").created
        assert verify(reg.db, reg.store, reg.iris).ok
    finally:
        reg.close()
        proc.terminate()
        proc.wait(timeout=30)
