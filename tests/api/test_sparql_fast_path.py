"""/sparql's fast path (``api.routers.sparql.FastPath``) and the workers' priority (``sparql_workers``).

A query without credentials is answered outside the framework's routing and middleware: the answer must be
the one the full stack gives (body, CORS, Vary, the security headers), and a POST body is held to the same
limit and read timeout. A query that runs long is moved to a lower priority while it runs, and its worker is
back at the server's priority afterwards. Real app, real worker processes, real uvicorn for the raw socket.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from pyoxigraph import Store

from api.app import create_app
from api.routers.sparql import FastPath
from igsn_graph.demo_load import demo_submissions, load_demo_accounts
from igsn_graph.registry.accounts import ADMIN
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
from igsn_graph.sparql_workers import FixedSource, PoolLimits, QueryPool
from tests.conftest import fresh_settings, live_server

SELECT = "PREFIX ig: <https://w3id.org/igsn-graph/ontology#> SELECT ?s ?i WHERE { ?s ig:igsn ?i } ORDER BY ?i LIMIT 5"
#: headers that differ between any two answers
_VOLATILE = {"date", "content-length", "server"}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = fresh_settings(tmp_path_factory.mktemp("sparql-fast"))
    with Registry(settings) as registry:
        load_demo_accounts(registry)
        registry.register(ADMIN, demo_submissions(), strict=False)
    return settings


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def _fast_path(client: TestClient) -> FastPath:
    """The SPARQL fast path among the app's outer layers (inside the resolver's)."""
    layer = client.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(layer, FastPath):
        layer = layer.app
    return layer


def _headers(response: object) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in _VOLATILE}  # type: ignore[attr-defined]


def test_queries_without_credentials_take_the_fast_path_and_answer_as_the_full_stack(client: TestClient) -> None:
    fast = _fast_path(client)
    before = fast.answered
    accept = {"Accept": "application/sparql-results+json"}
    got = client.get("/sparql", params={"query": SELECT}, headers=accept)
    form = client.post("/sparql", data={"query": SELECT}, headers=accept)
    direct = client.post(
        "/sparql", content=SELECT.encode(), headers={**accept, "Content-Type": "application/sparql-query"}
    )
    assert fast.answered == before + 3
    # a chunked body (no declared length) goes the full way: the same answer
    chunked = client.post(
        "/sparql",
        content=iter([SELECT.encode()]),
        headers={**accept, "Content-Type": "application/sparql-query"},
    )
    assert fast.answered == before + 3
    for r in (got, form, direct, chunked):
        assert r.status_code == 200, r.text
        assert r.content == got.content and len(r.json()["results"]["bindings"]) == 5
        assert _headers(r) == _headers(chunked)
    assert got.headers["x-content-type-options"] == "nosniff" and got.headers["referrer-policy"]
    assert got.headers["access-control-allow-origin"] == "*" and got.headers["vary"] == "Accept"


def test_errors_on_the_fast_path_are_the_protocols(client: TestClient) -> None:
    fast = _fast_path(client)
    before = fast.answered
    bad = client.get("/sparql", params={"query": "SELECT WHERE {"})
    update = client.post("/sparql", data={"query": "INSERT DATA { <a:b> <a:c> <a:d> }"})
    unacceptable = client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": "text/turtle"})
    assert fast.answered == before + 3
    assert bad.status_code == 400 and bad.text.startswith("malformed query")
    assert update.status_code == 403
    assert unacceptable.status_code == 406
    for r in (bad, update, unacceptable):
        assert r.headers["x-content-type-options"] == "nosniff" and r.headers["access-control-allow-origin"] == "*"


def test_the_page_head_and_credentials_take_the_full_stack(client: TestClient) -> None:
    fast = _fast_path(client)
    before = fast.answered
    page = client.get("/sparql", headers={"Accept": "text/html"})
    head = client.head("/sparql", params={"query": "ASK {}"})
    wrong = client.get("/sparql", params={"query": "ASK {}"}, auth=("nobody", "wrong"))
    assert fast.answered == before
    assert page.status_code == 200 and "content-security-policy" in page.headers
    assert head.status_code == 200 and head.content == b""
    assert wrong.status_code == 401


def test_a_post_body_that_stops_arriving_is_a_408(tmp_path: Path) -> None:
    """BodyGuard's read timeout holds on the fast path too (0.5 s here): the answer is its plain-text 408."""
    with live_server(fresh_settings(tmp_path, body_timeout_s=0.5)) as base:
        url = urlsplit(base)
        with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
            sock.sendall(
                b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                b"Content-Length: 100\r\n\r\nASK"
            )
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"s"):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), answer
    assert b"connection: close" in head.lower() and b"nosniff" in head
    assert body.startswith(b"the request body stopped arriving")


def _session_niceness(pid: int) -> int | None:
    """The niceness of a process's session where Linux shares the processor between sessions first
    (``/proc/PID/autogroup``: "/autogroup-N nice K"), else None."""
    try:
        return int(Path(f"/proc/{pid}/autogroup").read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


@pytest.mark.parametrize("allowed", [0, 1])
def test_long_queries_beyond_the_allowance_run_at_a_lower_priority(tmp_path: Path, allowed: int) -> None:
    """A query is long once it has run ``nice_after_s``; beyond ``long_at_full_priority`` such queries are
    reniced, and their worker is back in the pool at the server's priority when they end (or replaced, where
    the system does not let a process raise a priority again). Within the allowance nothing is reniced. Each
    worker has a session of its own, reniced with it where sessions are scheduled first (autogroup): a runaway's
    work is not charged to the server's session."""
    folder = tmp_path / "store"
    Store(str(folder)).flush()
    values = " ".join(str(i) for i in range(150))
    long_query = f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?a {{ {values} }} VALUES ?b {{ {values} }} VALUES ?c {{ {values} }} }}"
    request = {"union": True, "default": None, "named": None, "base": None}
    request |= {"select": "application/sparql-results+json", "graph": "text/turtle"}
    base = os.getpriority(os.PRIO_PROCESS, 0)
    seen: set[int] = set()
    sessions: set[int | None] = set()

    async def run() -> tuple[bytes, bytes]:
        limits = PoolLimits(timeout_s=120, nice=7, nice_after_s=0.05, long_at_full_priority=allowed)
        pool = QueryPool(limits, FixedSource({"path": str(folder)}))
        try:
            short = await pool.run("c", {**request, "query": "ASK {}"})
            task = asyncio.ensure_future(pool.run("c", {**request, "query": long_query}))
            while not task.done():
                for pid in pool.pids()[1]:
                    try:
                        seen.add(os.getpriority(os.PRIO_PROCESS, pid))
                        assert os.getsid(pid) != os.getsid(0)
                    except ProcessLookupError:
                        pass
                    sessions.add(_session_niceness(pid))
                await asyncio.sleep(0.01)
            answer = task.result()
            idle, busy = pool.pids()
            assert not busy
            for pid in idle:  # the worker of the long query is back at the server's priority
                assert os.getpriority(os.PRIO_PROCESS, pid) == base
                assert _session_niceness(pid) in (base, None)
            return short.body, answer.body
        finally:
            pool.shutdown()

    started = time.monotonic()
    short, long_answer = asyncio.run(run())
    print(f"long query {time.monotonic() - started:.2f} s, priorities seen {sorted(seen)}")
    assert b"true" in short and b"3375000" in long_answer
    if allowed == 0:
        assert base + 7 in seen  # reniced while it ran
        assert sessions == {None} or base + 7 in sessions  # and its session, where sessions are scheduled first
    else:
        assert seen == {base} and sessions <= {base, None}


def test_the_worker_that_answered_last_takes_the_next_query(tmp_path: Path) -> None:
    """Each worker process has its own engine caches: queries one after another go to the same (warm) worker,
    and the others stay idle for the queries that run beside it."""
    folder = tmp_path / "store"
    Store(str(folder)).flush()
    values = " ".join(str(i) for i in range(60))
    slower = f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?a {{ {values} }} VALUES ?b {{ {values} }} VALUES ?c {{ {values} }} }}"
    request = {"union": True, "default": None, "named": None, "base": None}
    request |= {"select": "application/sparql-results+json", "graph": "text/turtle"}

    async def run() -> tuple[list[int], list[list[int]]]:
        pool = QueryPool(PoolLimits(timeout_s=60), FixedSource({"path": str(folder)}))
        try:
            await asyncio.gather(*(pool.run(c, {**request, "query": slower}) for c in ("a", "b")))
            two = pool.pids()[0]
            after = []
            for _ in range(3):
                assert (await pool.run("c", {**request, "query": "ASK {}"})).body
                after.append(pool.pids()[0])
            return two, after
        finally:
            pool.shutdown()

    two, after = asyncio.run(run())
    assert len(set(two)) >= 2
    # the most recently used worker answered each time and went back where it was: the order never changed
    assert all(idle[-1] == two[-1] and set(idle) == set(two) for idle in after), (two, after)


class _Switchable(FixedSource):
    """A source whose store changes when told (as checkpoints do after a write), counting who holds what."""

    def __init__(self, spec: dict[str, str]) -> None:
        super().__init__(spec)
        self.held: dict[str, int] = {}

    def switch(self, spec: dict[str, str]) -> None:
        self._spec = spec

    def hold(self, spec: dict[str, str]) -> None:  # type: ignore[override]
        self.held[spec["path"]] = self.held.get(spec["path"], 0) + 1

    def release(self, spec: dict[str, str]) -> None:  # type: ignore[override]
        self.held[spec["path"]] -= 1


def test_idle_workers_move_to_the_current_store_without_a_query(tmp_path: Path) -> None:
    """A standby that waits behind the warm worker opens the newest store on its own, so no idle worker keeps
    an old checkpoint (and its files) alive."""
    old, new = tmp_path / "old", tmp_path / "new"
    for folder in (old, new):
        Store(str(folder)).flush()
    values = " ".join(str(i) for i in range(60))
    slower = f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?a {{ {values} }} VALUES ?b {{ {values} }} VALUES ?c {{ {values} }} }}"
    request = {"union": True, "default": None, "named": None, "base": None}
    request |= {"select": "application/sparql-results+json", "graph": "text/turtle"}
    source = _Switchable({"path": str(old)})

    async def run() -> tuple[dict[str, int], int]:
        pool = QueryPool(PoolLimits(timeout_s=60), source)
        try:
            await asyncio.gather(*(pool.run(c, {**request, "query": slower}) for c in ("a", "b")))
            source.switch({"path": str(new)})
            assert (await pool.run("c", {**request, "query": "ASK {}"})).body  # the warm worker moves now
            deadline = time.monotonic() + 10
            while source.held.get(str(old)) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)  # the supervisor moves the others
            assert (await pool.run("c", {**request, "query": "ASK {}"})).body  # and they still answer
            return dict(source.held), len(pool.pids()[0])
        finally:
            pool.shutdown()

    held, idle = asyncio.run(run())
    assert held.get(str(old)) == 0, held
    assert held[str(new)] == idle >= 2, held
