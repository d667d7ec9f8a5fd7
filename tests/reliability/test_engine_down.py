"""The remote SPARQL engine going away under the running server: every interface answers a clear 503 (or
still answers from what it holds), never a 500; no write is half-done; all works again when it returns."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from igsn_graph.index.rebuild import verify
from igsn_graph.registry.service import Registry, init_data_dir
from igsn_graph.settings import Settings
from tests.api.test_mds import XML, kernel
from tests.conftest import ADMIN_PASSWORD, CLIENT_ONE, add_test_accounts, free_port, live_server, start_oxigraph

pytestmark = pytest.mark.slow

READS = [
    ("GET", "/ZTA0001", {"Accept": "text/turtle"}),
    ("GET", "/ZTA0001", {"Accept": "text/html"}),
    ("GET", "/sparql?query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D%20LIMIT%201", {}),
    ("GET", "/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:test.igsn-graph.org:ZTA0001", {}),
    ("GET", "/oai?verb=ListRecords&metadataPrefix=igsn", {}),
    ("GET", "/health", {}),
]


def test_engine_stops_and_returns(tmp_path: Path) -> None:
    port = free_port()
    location = tmp_path / "engine"
    engine = start_oxigraph(location, port)
    settings = Settings(data_dir=tmp_path / "data", store=f"http://127.0.0.1:{port}", admin_password=ADMIN_PASSWORD)
    init_data_dir(settings, repository_id="test.igsn-graph.org")
    with Registry(settings) as reg:
        add_test_accounts(reg)
    try:
        with live_server(settings) as base, httpx.Client(base_url=base, auth=CLIENT_ONE, timeout=30) as c:
            assert c.post("/metadata", content=kernel("10273/ZTA0001"), headers=XML).status_code == 201
            engine.terminate()
            engine.wait(timeout=30)

            r = c.post("/metadata", content=kernel("10273/ZTA0002"), headers=XML)
            assert r.status_code == 503, r.text
            assert r.headers["content-type"].startswith("text/plain") and "\n" not in r.text.strip()
            r = c.post(
                "/igsn", content="igsn=10273/ZTA0003\nurl=https://example.org/3", headers={"Content-Type": "text/plain"}
            )
            assert r.status_code == 503
            for method, path, headers in READS:
                r = c.request(method, path, headers=headers)
                assert r.status_code in (200, 503), (path, r.status_code, r.text[:300])
                assert "Traceback" not in r.text

            engine = start_oxigraph(location, port)  # it returns: writes work again
            assert c.post("/metadata", content=kernel("10273/ZTA0002"), headers=XML).status_code == 201
            assert c.get("/metadata/10273/ZTA0002").status_code == 200
            assert c.get("/igsn/10273/ZTA0003").status_code == 404  # the refused write left nothing
            assert httpx.get(f"{base}/ZTA0001", headers={"Accept": "text/turtle"}).status_code == 200
        with Registry(settings) as reg:
            assert reg.journal.pending() == 0
            assert verify(reg.db, reg.store, reg.iris).ok
    finally:
        engine.terminate()
        engine.wait(timeout=30)
