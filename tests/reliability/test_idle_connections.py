"""Idle and slow connections (issue 21, availability) against the real ``igsn-graph serve`` in a subprocess: a
connection that sends nothing, or a request head that stops half-way, is closed after the head timeout (a 408
for the half head); an idle keep-alive connection after its timeout; a client that pauses inside its body is
answered 408; connections past the cap are answered 503. Before, every slow client kept its connection for ever.

Bounds are generous: timeouts of 1-2 s, checked against 15 s."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from testkit.harness import stop_server
from tests.conftest import ROOT, free_port, fresh_settings

pytestmark = pytest.mark.slow

BOUND = 15.0


@pytest.fixture(scope="module", params=["httptools", "h11"])
def served(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[int]:
    """``igsn-graph serve`` with 1 s for a head, 1 s of pause in a body, 2 s of keep-alive, 6 connections, on
    each HTTP parser ``serve --http`` offers."""
    tmp = tmp_path_factory.mktemp("idle")
    data = fresh_settings(tmp).data_dir
    port = free_port()
    env = {
        **os.environ,
        "IGSN_GRAPH_HEADER_TIMEOUT": "1",
        "IGSN_GRAPH_BODY_TIMEOUT": "1",
        "IGSN_GRAPH_KEEP_ALIVE": "2",
        "IGSN_GRAPH_MAX_CONNECTIONS": "6",
        "IGSN_GRAPH_AUTO_RESTAMP": "false",
    }
    with open(tmp / "serve.log", "wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from igsn_graph.cli import main; sys.exit(main(sys.argv[1:]))",
                "serve",
                "--data",
                str(data),
                "--port",
                str(port),
                "--http",
                request.param,
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp / "serve.log").read_text()[-2000:])
            time.sleep(0.1)
        yield port
    finally:
        stop_server(proc)


def _until_closed(sock: socket.socket) -> tuple[bytes, float]:
    """What the server sends until it closes the connection, and how long that took (``BOUND`` at most)."""
    sock.settimeout(BOUND)
    start = time.monotonic()
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except TimeoutError:
        pass
    return answer, time.monotonic() - start


def test_a_connection_that_sends_nothing_is_closed(served: int) -> None:
    with socket.create_connection(("127.0.0.1", served)) as sock:
        answer, seconds = _until_closed(sock)
    assert seconds < BOUND - 1 and answer == b"", (seconds, answer)


def test_a_request_head_that_stops_half_way_is_408(served: int) -> None:
    with socket.create_connection(("127.0.0.1", served)) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        answer, seconds = _until_closed(sock)
    assert seconds < BOUND - 1, seconds
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]


def test_a_head_sent_one_line_at_a_time_must_still_arrive_in_time(served: int) -> None:
    with socket.create_connection(("127.0.0.1", served)) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\n")
        start = time.monotonic()
        closed = False
        for i in range(20):  # a header every half second keeps sending, but never finishes the head
            time.sleep(0.5)
            try:
                sock.sendall(b"X-Line-%d: x\r\n" % i)
            except OSError:
                closed = True
                break
        answer, _ = _until_closed(sock)
    assert closed or answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert time.monotonic() - start < BOUND


def test_an_idle_keep_alive_connection_is_closed(served: int) -> None:
    with socket.create_connection(("127.0.0.1", served)) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        answer, seconds = _until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
    assert seconds < BOUND - 1, seconds


def test_a_pause_inside_the_body_is_408(served: int) -> None:
    with socket.create_connection(("127.0.0.1", served)) as sock:
        sock.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
            b"Content-Length: 1000\r\n\r\nASK { ?s ?p ?o }"
        )
        answer, seconds = _until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert seconds < BOUND - 1, seconds


def test_requests_past_the_connection_cap_are_503(served: int) -> None:
    idle = [socket.create_connection(("127.0.0.1", served)) for _ in range(6)]
    try:
        r = httpx.get(f"http://127.0.0.1:{served}/health", timeout=BOUND)
        assert r.status_code == 503
    finally:
        for sock in idle:
            sock.close()
    time.sleep(0.5)
    assert httpx.get(f"http://127.0.0.1:{served}/health", timeout=BOUND).status_code == 200


def test_requests_in_time_are_served_as_before(served: int) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{served}", timeout=BOUND) as c:
        for _ in range(3):
            assert c.get("/health").status_code == 200
            time.sleep(0.3)  # the same connection, kept alive between requests
        assert (
            c.post(
                "/sparql",
                content=b"ASK { ?s ?p ?o }",
                headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
            ).status_code
            == 200
        )
