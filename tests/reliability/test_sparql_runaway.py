"""Runaway SPARQL queries cannot knock the endpoint over (issue 14).

Each query past the time limit is stopped: its worker process is gone (so it costs no CPU) and its slot is
free, and ``ASK {}`` answers right after any number of them. A client beyond its limit gets 429, a saturated
endpoint 503, both with Retry-After; ``/health`` reports saturation; the log line of a stopped query names its
hash, client and duration, never credentials or the query text. Real server (uvicorn on loopback, in this
process, so the pool can be inspected) and real worker processes; timings are printed, and asserted only with
bounds generous enough for a loaded 2-core machine (bench/sparql.py --runaway-ask measures them).

Several clients are simulated by ``X-Forwarded-For`` addresses, read by the app's own trusted-proxy setting
(``trusted_proxy_hops=1``) with uvicorn's proxy headers off, as ``igsn-graph serve`` runs it: nothing rests on
uvicorn's default of trusting loopback proxies.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from igsn_graph.demo_load import demo_submissions, load_demo_accounts
from igsn_graph.registry.accounts import ADMIN
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
from igsn_graph.sparql_workers import QueryPool, query_hash
from tests.conftest import CLIENT_ONE, CLIENT_TWO, fresh_settings, live_server

pytestmark = pytest.mark.slow

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
ASK = {"query": "ASK {}"}
LIMIT_S = 2.0


def _data(tmp: Path) -> Settings:
    """The small demo set: a cross product of three of its triple patterns runs for hours. One trusted proxy:
    each ``X-Forwarded-For`` address is a client."""
    settings = fresh_settings(tmp, sparql_timeout_s=LIMIT_S, trusted_proxy_hops=1)
    with Registry(settings) as registry:
        load_demo_accounts(registry)
        registry.register(ADMIN, demo_submissions(), strict=False)
    return settings


@contextmanager
def _server(settings: Settings) -> Iterator[tuple[str, object]]:
    app = create_app(settings)
    # uvicorn's proxy headers off (as in `igsn-graph serve`): the forwarded address is the app's to read
    with live_server(settings, app=app, proxy_headers=False) as base:
        assert httpx.get(base + "/sparql", params=ASK, timeout=30).status_code == 200  # the pool exists
        yield base, app


def _pool(app: object) -> QueryPool:
    return app.state.sparql_executor  # type: ignore[attr-defined,no-any-return]


def _gone(pid: int) -> bool:
    """No such process, or a zombie (it runs no more: only its exit status is left to collect)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False


def _wait_for(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def _runaways(base: str, n: int, **kwargs: object) -> tuple[ThreadPoolExecutor, list[Future[httpx.Response]]]:
    pool = ThreadPoolExecutor(n)
    futures = [
        pool.submit(
            httpx.get,
            base + "/sparql",
            params={"query": RUNAWAY},
            timeout=60,
            headers={"X-Forwarded-For": f"10.9.0.{i}"},
            **kwargs,
        )
        for i in range(n)
    ]
    return pool, futures


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object]]:
    data = _data(Path(tmp_path_factory.mktemp("runaway")))
    with _server(data.with_(sparql_workers=4, sparql_per_client=2)) as running:
        yield running


def test_runaway_queries_are_stopped_and_ask_answers_right_after(
    server: tuple[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    base, app = server
    pool = _pool(app)
    killed_before = pool.stats()["killed"]
    # the client that asks afterwards has its connection open already (its setup is not the server's time)
    asker = httpx.Client(base_url=base, headers={"X-Forwarded-For": "10.9.1.1"}, timeout=30)
    assert asker.get("/sparql", params=ASK).status_code == 200
    # six runaways on four workers: four run, two wait for them, then run to the limit themselves
    threads, futures = _runaways(base, 6)
    try:
        with caplog.at_level(logging.WARNING, logger="igsn_graph.sparql"):
            # all six arrived: four running, two waiting (six clients: one address would have had 2, then 429s)
            _wait_for(lambda: (pool.stats()["busy"], pool.stats()["queued"]) == (4, 2))
            first = set(pool.pids()[1])
            health = httpx.get(base + "/health", timeout=30).json()
            assert health["status"] == "degraded"
            assert health["sparql"]["saturated"] is True and health["sparql"]["busy"] == 4
            assert health["sparql"]["queued"] == 2 and health["sparql"]["limit"] == 4
            # the first four passed their limit: their slots are free at once, while the last two still run
            _wait_for(lambda: sum(f.done() for f in futures) >= 4)
            start = time.monotonic()
            between = asker.get("/sparql", params=ASK)
            between_ms = (time.monotonic() - start) * 1000
            assert between.status_code == 200 and between.json()["boolean"] is True
            answers = [f.result() for f in futures]
    finally:
        threads.shutdown()
    limit_passed = time.monotonic()
    for r in answers:
        assert r.status_code == 503 and f"limit of {LIMIT_S:g} s" in r.text and r.headers["retry-after"]
    # each runaway was counted for the address it was forwarded for: the trusted-proxy setting took effect
    stopped = [rec.getMessage() for rec in caplog.records if "stopped after" in rec.getMessage()]
    assert {f"address 10.9.0.{i}" for i in range(6)} <= {m.split(" from ")[1].split(" stopped")[0] for m in stopped}
    start = time.monotonic()
    ask = asker.get("/sparql", params=ASK)
    took = time.monotonic() - start
    print(
        f"ASK {{}} while 2 runaways still ran: {between_ms:.0f} ms; after all 6 were stopped: {took * 1000:.0f} ms "
        f"({(time.monotonic() - limit_passed) * 1000:.0f} ms after the last limit's answer came)"
    )
    asker.close()
    assert ask.status_code == 200 and ask.json()["boolean"] is True
    assert took < 2.0  # the issue asks for 100 ms (bench/sparql.py --runaway-ask); generous on a loaded machine
    # the first four workers were killed at the limit: those processes are gone (no CPU) within a second
    _wait_for(lambda: all(_gone(pid) for pid in first), timeout=3.0)
    stats = pool.stats()
    assert stats["killed"] - killed_before == 6 and stats["busy"] == 0 and stats["queued"] == 0
    health = httpx.get(base + "/health", timeout=30).json()
    assert health["status"] == "ok" and health["sparql"]["killed"] >= 6 and not health["sparql"]["saturated"]


def test_a_query_is_stopped_when_its_client_goes_away(server: tuple[str, object]) -> None:
    base, app = server
    pool = _pool(app)
    killed_before = pool.stats()["killed"]
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(base + "/sparql", params={"query": RUNAWAY}, timeout=0.8)
    # stopped before its limit, not left to run out its time
    _wait_for(lambda: pool.stats()["killed"] > killed_before, timeout=LIMIT_S)
    assert pool.stats()["busy"] == 0


def test_the_log_names_hash_client_and_duration_never_credentials(
    server: tuple[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    base, _ = server
    with caplog.at_level(logging.WARNING, logger="igsn_graph.sparql"):
        r = httpx.get(base + "/sparql", params={"query": RUNAWAY}, auth=CLIENT_ONE, timeout=30)
    assert r.status_code == 503
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "igsn_graph.sparql"]
    line = next(m for m in lines if query_hash(RUNAWAY) in m)
    assert f"account {CLIENT_ONE[0]}" in line and "stopped after" in line and "limit" in line
    everything = "\n".join(lines)
    assert CLIENT_ONE[1] not in everything and "COUNT" not in everything
    assert "Basic" not in everything


def test_per_client_limit_and_saturation(tmp_path: Path) -> None:
    tight = _data(tmp_path).with_(sparql_workers=1, sparql_per_client=1, sparql_queue=1, sparql_queue_wait_s=0.5)
    with _server(tight) as (base, app):
        pool = _pool(app)
        threads = ThreadPoolExecutor(1)
        try:
            runaway = threads.submit(
                httpx.get,
                base + "/sparql",
                params={"query": RUNAWAY},
                timeout=60,
                headers={"X-Forwarded-For": "10.8.0.1"},
            )
            _wait_for(lambda: pool.stats()["busy"] == 1)
            # the same client again: 429 at once
            r = httpx.get(base + "/sparql", params=ASK, headers={"X-Forwarded-For": "10.8.0.1"}, timeout=30)
            assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
            # another client waits in the queue for the busy worker, then gets 503
            r = httpx.get(base + "/sparql", params=ASK, headers={"X-Forwarded-For": "10.8.0.2"}, timeout=30)
            assert r.status_code == 503 and int(r.headers["retry-after"]) >= 1 and "saturated" in r.text
            health = httpx.get(base + "/health", timeout=30).json()["sparql"]
            assert health["refused_client"] == 1 and health["refused_busy"] == 1
            assert runaway.result().status_code == 503
        finally:
            threads.shutdown()
        # the limit passed: the worker is free again
        assert (
            httpx.get(base + "/sparql", params=ASK, headers={"X-Forwarded-For": "10.8.0.1"}, timeout=30).status_code
            == 200
        )


def test_per_account_limit_and_a_full_queue(tmp_path: Path) -> None:
    """An authenticated client is counted by its account, whatever its address (and its address is not charged);
    with every worker busy and the queue full, a query is refused at once (503, Retry-After) rather than queued."""
    # a longer limit: the checks below (two logins among them) must all run before the first runaway's ends
    tight = _data(tmp_path).with_(
        sparql_workers=2, sparql_per_client=1, sparql_queue=1, sparql_queue_wait_s=30, sparql_timeout_s=3 * LIMIT_S
    )
    with _server(tight) as (base, app):
        pool = _pool(app)
        threads = ThreadPoolExecutor(3)

        def get(query: str, address: str, auth: tuple[str, str] | None = None) -> httpx.Response:
            return httpx.get(
                base + "/sparql", params={"query": query}, headers={"X-Forwarded-For": address}, auth=auth, timeout=60
            )

        try:
            by_account = threads.submit(get, RUNAWAY, "10.8.1.1", CLIENT_ONE)
            _wait_for(lambda: pool.stats()["busy"] == 1)
            # the same account from another address: 429 (counted by the account)
            r = get("ASK {}", "10.8.1.2", CLIENT_ONE)
            assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1 and "this client" in r.text
            # the runaway's address without credentials, and another account there: not limited
            assert get("ASK {}", "10.8.1.1").status_code == 200
            assert get("ASK {}", "10.8.1.1", CLIENT_TWO).status_code == 200
            # both workers busy, then one query waiting: the queue (1) is full
            anonymous = threads.submit(get, RUNAWAY, "10.8.1.3")
            _wait_for(lambda: pool.stats()["busy"] == 2)
            waiting = threads.submit(get, "ASK {}", "10.8.1.4")
            _wait_for(lambda: pool.stats()["queued"] == 1)
            r = get("ASK {}", "10.8.1.5")
            assert r.status_code == 503 and int(r.headers["retry-after"]) >= 1 and "queue is full" in r.text
            assert not waiting.done()  # refused at once, while the queued query still waits for a worker
            health = httpx.get(base + "/health", timeout=30).json()["sparql"]
            assert health["refused_client"] == 1 and health["refused_busy"] == 1 and health["queued"] == 1
            # the first limit that passes gives the waiting query a worker
            assert waiting.result().status_code == 200
            assert by_account.result().status_code == 503 and anonymous.result().status_code == 503
        finally:
            threads.shutdown()
