"""Hostile RDF input (Turtle, JSON-LD) against the real server in a subprocess: remote contexts are never
fetched, blank-node bombs and huge literals are bounded by the body limit, and a submission may describe
only the samples it registers — triples about another sample are refused, and nothing is stored."""

from __future__ import annotations

import json
import socket
import threading
from typing import Iterator

import httpx
import pytest

from tests.api.test_samples import PREFIXES, TURTLE, turtle
from tests.conftest import ADMIN_PASSWORD, CLIENT_ONE, OTHER, fresh_settings
from tests.reliability.server import ServerProcess
from tests.reliability.test_hostile_xml import _peak_rss_kib

pytestmark = pytest.mark.slow

API = "/api/v1/samples"
JSONLD = {"Content-Type": "application/ld+json"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = fresh_settings(tmp_path_factory.mktemp("hostile-rdf")).data_dir
    proc = ServerProcess(data, env={"IGSN_GRAPH_ADMIN_PASSWORD": ADMIN_PASSWORD})
    base = proc.start()
    # samples already registered: ours (ZTA0500) and another agent's (ZO0500)
    assert (
        httpx.post(
            base + API, content=turtle("ZTA0500", "Registered core"), headers=TURTLE, auth=CLIENT_ONE, timeout=60
        ).status_code
        == 201
    )
    assert (
        httpx.post(
            base + API, content=turtle("ZO0500", "Their core"), headers=TURTLE, auth=OTHER, timeout=60
        ).status_code
        == 201
    )
    try:
        yield proc
    finally:
        proc.stop()


def _listed(base: str) -> set[str]:
    r = httpx.get(base + "/igsn", auth=CLIENT_ONE, timeout=30)
    return set(r.text.split()) if r.status_code == 200 else set()


def _title(base: str, name: str) -> str:
    return httpx.get(f"{base}/{name}", headers={"Accept": "application/n-triples"}, timeout=30).text


@pytest.mark.parametrize("target", ["ZTA0500", "ZO0500", "ZTA0599"])
@pytest.mark.parametrize("path", [API, API + "/bulk"])
def test_triples_about_another_sample_are_refused(server: ServerProcess, target: str, path: str) -> None:
    base = server.base_url
    before = {name: _title(base, name) for name in ("ZTA0500", "ZO0500")}
    listed = _listed(base)
    body = (
        turtle("ZTA0501", "Mine")
        + f'<https://igsn.org/{target}> <http://purl.org/dc/terms/title> "Hijacked" .\n'.encode()
    )
    r = httpx.post(base + path, content=body, headers=TURTLE, auth=CLIENT_ONE, timeout=60)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json" and target in r.json()["detail"]
    assert {name: _title(base, name) for name in before} == before
    assert "Hijacked" not in str(before) and _listed(base) == listed


def test_links_to_other_samples_are_fine(server: ServerProcess) -> None:
    """Naming another sample as an object (a parent, a relation) is what links are for."""
    body = turtle(
        "ZTA0502", "Child", extra="; <https://w3id.org/igsn-graph/ontology#parent> <https://igsn.org/ZO0500> "
    )
    r = httpx.post(server.base_url + API, content=body, headers=TURTLE, auth=CLIENT_ONE, timeout=60)
    assert r.status_code == 201, r.text


class _Listener:
    """A loopback socket that records whether anyone connected (a context fetch would)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.mark.parametrize("context", ["remote", "remote-in-list", "remote-scoped"])
def test_remote_contexts_are_never_fetched(server: ServerProcess, context: str) -> None:
    listener = _Listener()
    url = f"http://127.0.0.1:{listener.port}/context.jsonld"
    doc: dict[str, object] = {"@id": "https://igsn.org/ZTA0510", "https://w3id.org/igsn-graph/ontology#igsn": "ZTA0510"}
    if context == "remote":
        doc["@context"] = url
    elif context == "remote-in-list":
        doc["@context"] = ["https://w3id.org/igsn-graph/context.jsonld", url]
    else:
        doc["@context"] = {"sub": {"@id": "https://example.org/sub", "@context": url}}
        doc["sub"] = {"@id": "https://example.org/x"}
    try:
        r = httpx.post(
            server.base_url + API, content=json.dumps(doc).encode(), headers=JSONLD, auth=CLIENT_ONE, timeout=60
        )
    finally:
        listener.close()
    assert listener.connections == 0, "the server fetched a remote JSON-LD context"
    assert r.status_code < 500, r.text
    if context != "remote-scoped":
        assert r.status_code in (400, 415), r.text  # a context we cannot read is a refusal


def test_a_blank_node_bomb_is_bounded(server: ServerProcess) -> None:
    """~9 MB of chained blank nodes (inside the 10 MB body limit): answered without a 5xx, memory bounded."""
    before = _peak_rss_kib(server)
    lines = [
        PREFIXES,
        '<https://igsn.org/ZTA0520> <https://w3id.org/igsn-graph/ontology#igsn> "ZTA0520" ; '
        "<http://purl.org/dc/terms/relation> _:b0 .\n",
    ]
    lines += [f"_:b{i} <http://purl.org/dc/terms/relation> _:b{i + 1} .\n" for i in range(160_000)]
    body = "".join(lines).encode()
    assert len(body) < 10 * 1024 * 1024
    r = httpx.post(server.base_url + API, content=body, headers=TURTLE, auth=CLIENT_ONE, timeout=300)
    assert r.status_code < 500, r.text[:300]
    grown = (_peak_rss_kib(server) - before) / 1024
    assert grown < 600, f"the server's peak memory grew by {grown:.0f} MiB for a 9 MB document"
    if r.status_code == 201:  # accepted: the sample holds none of the blank nodes it does not use
        assert _title(server.base_url, "ZTA0520").count("_:") < 10


def test_a_huge_literal_is_bounded(server: ServerProcess) -> None:
    before = _peak_rss_kib(server)
    r = httpx.post(
        server.base_url + API,
        content=turtle("ZTA0530", "x" * (9 * 1024 * 1024)),
        headers=TURTLE,
        auth=CLIENT_ONE,
        timeout=300,
    )
    assert r.status_code < 500, r.text[:300]
    assert (_peak_rss_kib(server) - before) / 1024 < 600
    over = httpx.post(
        server.base_url + API,
        content=turtle("ZTA0531", "x" * (11 * 1024 * 1024)),
        headers=TURTLE,
        auth=CLIENT_ONE,
        timeout=300,
    )
    assert over.status_code == 413
