"""Request bodies (issue 21, availability): every endpoint that reads a body holds it to the limit while it
streams in, chunked or not, and answers 413 in its surface's form (OAI-PMH: a badArgument); a body declared
too large is refused before any of it is read; a client that stops sending in the middle of its body is
answered 408.

The 800 MB chunked SPARQL query of the outside attack runs against the real server in a subprocess, whose
peak memory is read from /proc (the server once held the whole body: 3.4 GB)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.test_mds import kernel
from tests.conftest import ADMIN_PASSWORD, CLIENT_ONE, fresh_settings, live_server
from tests.reliability.server import ServerProcess
from tests.reliability.test_hostile_xml import _peak_rss_kib

ADMIN = ("admin", ADMIN_PASSWORD)
LIMIT = 4000


def chunks(total: int, piece: bytes = b"#" + b"x" * 1023) -> Iterator[bytes]:
    """``total`` bytes in 1 KiB pieces from a generator: sent chunked, without a Content-Length."""
    sent = 0
    while sent < total:
        yield piece
        sent += len(piece)


#: (method, path, content type, credentials, error form) of every endpoint that reads a body
ENDPOINTS = [
    ("POST", "/sparql", "application/sparql-query", None, "text"),
    ("POST", "/sparql", "application/x-www-form-urlencoded", None, "text"),
    ("POST", "/igsn", "text/plain", CLIENT_ONE, "text"),
    ("POST", "/metadata", "application/xml", CLIENT_ONE, "text"),
    ("PUT", "/doi/10273/ZTA0001", "text/plain", CLIENT_ONE, "text"),
    ("POST", "/api/v1/samples", "text/turtle", CLIENT_ONE, "problem"),
    ("PUT", "/api/v1/samples/ZTA0001", "application/ld+json", CLIENT_ONE, "problem"),
    ("POST", "/api/v1/samples/bulk", "application/xml", CLIENT_ONE, "problem"),
    ("POST", "/api/v1/admin/agents", "application/json", ADMIN, "problem"),
    ("PUT", "/api/v1/admin/domains/ZTEST.ONE", "application/json", ADMIN, "problem"),
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = fresh_settings(tmp_path_factory.mktemp("bodies"), max_body_bytes=LIMIT)
    with TestClient(create_app(settings)) as client:
        yield client


def assert_refused(r: httpx.Response, status: int, form: str) -> None:
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers.get("connection") == "close"  # the unread rest of the body is not read
    if form == "text":
        assert r.headers["content-type"].startswith("text/plain"), r.headers["content-type"]
        assert "\n" not in r.text.strip() and r.text.strip()
    else:
        assert r.headers["content-type"] == "application/problem+json", r.headers["content-type"]
        assert r.json()["status"] == status and r.json()["detail"]


@pytest.mark.parametrize("method,path,ctype,auth,form", ENDPOINTS, ids=[f"{m} {p} {c}" for m, p, c, _, _ in ENDPOINTS])
def test_a_chunked_body_over_the_limit_is_413_in_the_surfaces_form(
    app: TestClient, method: str, path: str, ctype: str, auth: tuple[str, str] | None, form: str
) -> None:
    r = app.request(method, path, content=chunks(LIMIT * 4), headers={"Content-Type": ctype}, auth=auth)
    assert_refused(r, 413, form)
    assert str(LIMIT) in r.text


@pytest.mark.parametrize("method,path,ctype,auth,form", ENDPOINTS, ids=[f"{m} {p} {c}" for m, p, c, _, _ in ENDPOINTS])
def test_a_declared_length_over_the_limit_is_413(
    app: TestClient, method: str, path: str, ctype: str, auth: tuple[str, str] | None, form: str
) -> None:
    r = app.request(method, path, content=b"x" * (LIMIT + 1), headers={"Content-Type": ctype}, auth=auth)
    assert_refused(r, 413, form)


@pytest.mark.parametrize("chunked", [True, False])
def test_an_oai_post_over_its_limit_is_a_bad_argument(app: TestClient, chunked: bool) -> None:
    """OAI-PMH answers in its own form (HTTP 200, a badArgument error) like any argument it refuses."""
    body = b"verb=Identify&x=" + b"y" * (LIMIT * 4)
    r = app.post(
        "/oai",
        content=chunks(LIMIT * 4) if chunked else body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
    assert 'code="badArgument"' in r.text and str(LIMIT) in r.text
    assert (
        'code="badArgument"'
        not in app.post(
            "/oai", content=b"verb=Identify", headers={"Content-Type": "application/x-www-form-urlencoded"}
        ).text
    )


def test_credentials_are_checked_before_the_body_is_read(app: TestClient) -> None:
    r = app.post(
        "/metadata",
        content=chunks(LIMIT * 4),
        headers={"Content-Type": "application/xml"},
        auth=(CLIENT_ONE[0], "wrong"),
    )
    assert r.status_code == 401


def test_bodies_under_the_limit_are_read_as_before(app: TestClient) -> None:
    small = json.dumps({"symbol": "ZSMALL", "name": "Small", "password": "small-secret-1", "namespaces": ["ZSM"]})
    assert (
        app.post(
            "/api/v1/admin/agents", content=small, headers={"Content-Type": "application/json"}, auth=ADMIN
        ).status_code
        == 201
    )
    r = app.post(
        "/sparql",
        content=b"ASK { ?s ?p ?o }",
        headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
    )
    assert r.status_code == 200 and "boolean" in r.json()
    assert (
        app.post(
            "/metadata", content=kernel("ZTA0001"), headers={"Content-Type": "application/xml"}, auth=CLIENT_ONE
        ).status_code
        == 201
    )


def _raw(port: int, head: bytes, timeout: float) -> tuple[bytes, float]:
    """Sends ``head`` on a new connection and reads until the server closes it: (answer, seconds)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head)
        start = time.monotonic()
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except TimeoutError:
            pass
        return answer, time.monotonic() - start


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(tmp_path: Path) -> None:
    """``Expect: 100-continue`` with a 1 GB Content-Length: the 413 comes without a byte of body sent."""
    settings = fresh_settings(tmp_path, max_body_bytes=LIMIT)
    with live_server(settings) as base:
        port = int(base.rsplit(":", 1)[1])
        head = (
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
            b"Content-Length: 1000000000\r\nExpect: 100-continue\r\n\r\n"
        )
        answer, _ = _raw(port, head, timeout=20)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"100 Continue" not in answer


def test_a_client_that_stops_sending_its_body_is_answered_408(tmp_path: Path) -> None:
    settings = fresh_settings(tmp_path, body_timeout_s=1.0)
    with live_server(settings) as base:
        port = int(base.rsplit(":", 1)[1])
        head = (
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
            b"Content-Length: 1000\r\n\r\nASK { ?s ?p ?o }"
        )
        answer, seconds = _raw(port, head, timeout=30)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert seconds < 15  # generous: the timeout is 1 s; before, the connection was held for ever


@pytest.mark.slow
def test_an_800_mb_chunked_sparql_query_is_refused_without_being_held(tmp_path: Path) -> None:
    data = fresh_settings(tmp_path).data_dir
    server = ServerProcess(data)
    server.start()
    try:
        before = _peak_rss_kib(server)
        try:
            r = httpx.post(
                server.base_url + "/sparql",
                content=chunks(800 * 1024 * 1024, b"#" + b"x" * 65535),
                headers={"Content-Type": "application/sparql-query"},
                timeout=120,
            )
            assert r.status_code == 413, (r.status_code, r.text[:300])
        except (httpx.RemoteProtocolError, httpx.WriteError):
            pass  # the server closes the connection once it has answered 413 mid-upload
        grown_mib = (_peak_rss_kib(server) - before) / 1024
        assert grown_mib < 40, f"the server's peak memory grew by {grown_mib:.0f} MiB for a refused body"
        assert httpx.get(server.base_url + "/health", timeout=30).status_code == 200
    finally:
        server.stop()
