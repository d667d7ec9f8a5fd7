"""A 100,000-row SELECT streams (issue 14): its first bytes reach the client while the worker is still writing
it — the query is not over and the worker has written a fraction of the result — and the server never holds
it whole (its resident memory grows by far less than the result while a slow client reads it).

Behaviour, not timing: the client reads a little and pauses, and the test looks at the server from outside
(``/health``, and ``/proc`` for the processes' memory and the bytes the worker has written). Real server
(uvicorn in a child process, as deployed) and real worker processes; Linux only (``/proc``).
"""

from __future__ import annotations

import http.client
import json
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from testkit.harness import start_server, stop_server
from tests.conftest import fresh_settings

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads process memory from /proc"),
]

VALUES = " ".join(str(i) for i in range(100))
#: 100 × 100 × 10 = 100,000 rows from no data (about 27 MB of SPARQL JSON)
BIG = (
    f"SELECT ?a ?b ?c WHERE {{ VALUES ?a {{ {VALUES} }} VALUES ?b {{ {VALUES} }} "
    "VALUES ?c { 1 2 3 4 5 6 7 8 9 10 } }"
)


def _rss(pid: int) -> int:
    """Resident memory of a process (bytes)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def _written(pid: int) -> int:
    """Bytes a process has passed to write() so far (pipes included)."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    raise AssertionError("no wchar")


def _workers(pid: int) -> list[int]:
    """The server's child processes (its SPARQL workers; a worker is the child of the thread that started it)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        children += [int(p) for p in task.read_text().split()]
    return children


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    settings = fresh_settings(Path(tmp_path_factory.mktemp("sparql-stream")))
    proc, base = start_server(settings.data_dir, env={"IGSN_GRAPH_AUTO_RESTAMP": "0"})
    try:
        yield base, proc.pid
    finally:
        stop_server(proc)


def test_a_large_result_arrives_while_it_is_written_and_is_never_held_whole(server: tuple[str, int]) -> None:
    base, pid = server
    # the pool and a worker exist, and the server has answered a large result once (its buffers are grown)
    with httpx.stream("GET", base + "/sparql", params={"query": BIG}, timeout=120) as r:
        for _ in r.iter_raw():
            pass
    written_before = {w: _written(w) for w in _workers(pid)}
    rss_before = _rss(pid)

    where = urlsplit(base)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=120)
    conn.connect()
    assert conn.sock is not None
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)  # a slow reader's small window
    conn.request("GET", "/sparql?" + urlencode({"query": BIG}), headers={"Accept": "application/sparql-results+json"})
    response = conn.getresponse()
    assert response.status == 200 and response.getheader("content-length") is None
    body = bytearray(response.read(64 * 1024))
    assert body.startswith(b"{")
    time.sleep(1.0)  # a slow client: the worker runs until the pipes and buffers on the way are full

    # the first bytes are here, the query is not over: the server still counts its worker busy
    assert httpx.get(base + "/health", timeout=30).json()["sparql"]["busy"] == 1
    written = max(_written(w) - written_before.get(w, 0) for w in _workers(pid))
    peak = _rss(pid)
    # read the rest slowly, watching the server's memory
    while chunk := response.read(256 * 1024):
        body += chunk
        peak = max(peak, _rss(pid))
        time.sleep(0.005)
    conn.close()
    size = len(body)
    assert len(json.loads(body)["results"]["bindings"]) == 100_000
    print(
        f"100,000-row SELECT, {size:,} bytes: the worker had written {written:,} when the client had read 64 KiB; "
        f"server RSS {rss_before / 2**20:.1f} MiB, at most {peak / 2**20:.1f} MiB while it was read"
    )
    # when the client had 64 KiB, the worker had written a fraction of the result (pipe, socket buffers)
    assert written < size / 3
    # the server never held the result: its memory grew by far less than the result's size
    assert peak - rss_before < size / 4
