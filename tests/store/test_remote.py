"""store.remote against a real `oxigraph serve` (started on a free loopback port): the registry, verify,
dump and the SPARQL endpoint work unchanged over a remote engine; an engine that goes away gives clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from igsn_graph.errors import StorageFailure
from igsn_graph.index.rebuild import verify
from igsn_graph.registry.accounts import Principal
from igsn_graph.registry.service import Registry, init_data_dir
from igsn_graph.settings import Settings
from tests.conftest import AGENT, CLIENT_ONE, add_test_accounts, free_port, start_oxigraph

pytestmark = pytest.mark.slow
ONE = Principal("client", CLIENT_ONE[0], AGENT[0])


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[tuple[str, Path, int]]:
    port = free_port()
    location = tmp_path / "engine"
    proc = start_oxigraph(location, port)
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
    solutions = reg.store.raw.query(
        "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", use_default_graph_as_union=False
    )
    assert int(next(iter(solutions))["n"].value) >= 21 * 2


def test_sparql_endpoint_over_a_remote_engine(remote_registry: Registry, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    remote_registry.mint(ONE, "ZTA0002", "https://example.org/2")
    settings = remote_registry.settings
    remote_registry.close()
    app = create_app(settings)
    with TestClient(app) as c:
        q = "PREFIX ig: <https://w3id.org/igsn-graph/ontology#> SELECT ?i WHERE { ?s ig:igsn ?i }"
        r = c.get("/sparql", params={"query": q}, headers={"Accept": "application/sparql-results+json"})
        assert r.status_code == 200
        assert {b["i"]["value"] for b in r.json()["results"]["bindings"]} == {"ZTA0002"}
        r = c.get(
            "/sparql",
            params={"query": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3"},
            headers={"Accept": "text/turtle"},
        )
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
        assert c.get("/sparql", params={"query": "SELEKT"}).status_code == 400


def test_engine_going_away_gives_clear_errors_and_no_partial_write(tmp_path: Path) -> None:
    port = free_port()
    location = tmp_path / "engine"
    proc = start_oxigraph(location, port)
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
        proc = start_oxigraph(location, port)  # recovery when it returns
        assert reg.mint(ONE, "ZTA0004", "https://example.org/4").created
        assert verify(reg.db, reg.store, reg.iris).ok
    finally:
        reg.close()
        proc.terminate()
        proc.wait(timeout=30)


WRITER = """
import sys
from pathlib import Path
from igsn_graph.registry.accounts import Principal
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
data, url, tag = sys.argv[1], sys.argv[2], sys.argv[3]
one = Principal("client", "ZTEST.ONE", "ZTEST")
with Registry(Settings(data_dir=Path(data), store=url)) as reg:
    for i in range(25):
        reg.mint(one, f"ZTA{tag}{i:03d}", f"https://example.org/{tag}/{i}")
        reg.mint(one, "ZTASHARED", f"https://example.org/shared/{tag}/{i}")
"""


def test_several_processes_share_the_engine_and_registry(tmp_path: Path, engine: tuple[str, Path, int]) -> None:
    settings = Settings(data_dir=tmp_path / "data", store=engine[0])
    init_data_dir(settings)
    with Registry(settings) as reg:
        add_test_accounts(reg)
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(settings.data_dir), engine[0], tag]) for tag in ("A", "B")
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    with Registry(settings) as reg:
        assert reg.count() == 51
        from igsn_graph.store import history

        shared = history.versions_of(reg.db.read(), "ZTASHARED")
        # writes to one IGSN from two processes are serialised: every one is kept, in order
        assert [v.version for v in shared] == list(range(1, 51))
        assert verify(reg.db, reg.store, reg.iris).ok
