"""Failed logins (issue 21, availability): their cost is bounded per client address and in all, unknown account
names included; password hashing never holds the threads that serve reads; a right password is never refused
for someone else's failures from another client address; the address behind a reverse proxy is the trusted
``X-Forwarded-For`` hop only.

Hashes are counted (hashlib.scrypt, as the accounts module calls it), not timed; the one timed check (reads
beside a queue of logins) has a bound several times what it takes."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from igsn_graph.registry import accounts as accounts_module
from igsn_graph.settings import Settings
from tests.api.test_mds import kernel
from tests.conftest import ADMIN_PASSWORD, AGENT, CLIENT_ONE, fresh_settings
from tests.reliability.server import ServerProcess


@pytest.fixture
def scrypt_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = hashlib.scrypt

    def counting(*args: object, **kwargs: object) -> bytes:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(accounts_module.hashlib, "scrypt", counting)
    return calls


def _random_name() -> str:
    return "Z" + secrets.token_hex(3).upper()


def _forwarded(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


# -- the cost of a flood -------------------------------------------------------------------------------------
def test_random_names_from_one_address_cost_a_bounded_number_of_hashes(tmp_path: Path, scrypt_calls: list[int]) -> None:
    """The attack: random account names (each a fresh per-account bucket) cost two hashes each, without end."""
    settings = fresh_settings(tmp_path, login_address_refill_s=600.0, login_global_burst=0)  # the address's bucket
    del scrypt_calls[:]  # the test accounts' own hashes
    with TestClient(create_app(settings)) as c:
        statuses = [c.get("/igsn", auth=(_random_name(), "guess")).status_code for _ in range(60)]
    burst = settings.login_address_burst
    assert statuses[:burst] == [401] * burst and set(statuses[burst:]) == {429}, statuses
    assert len(scrypt_calls) <= 2 * burst, len(scrypt_calls)  # 120 before


def test_failed_logins_from_many_addresses_cost_a_bounded_number_of_hashes(
    tmp_path: Path, scrypt_calls: list[int]
) -> None:
    settings = fresh_settings(tmp_path, trusted_proxy_hops=1, login_global_burst=10, login_global_refill_s=600.0)
    del scrypt_calls[:]  # the test accounts' own hashes
    with TestClient(create_app(settings)) as c:
        statuses = [
            c.get("/igsn", auth=(_random_name(), "guess"), headers=_forwarded(f"10.1.0.{i}")).status_code
            for i in range(40)
        ]
        assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}, statuses
        assert len(scrypt_calls) <= 2 * 10, len(scrypt_calls)
        # a client that logged in from its address before is not held back by everyone else's failures
        c.app.state.credential_cache.clear()  # type: ignore[attr-defined]
        assert c.get("/igsn", auth=CLIENT_ONE, headers=_forwarded("10.2.0.1")).status_code == 429
    settings = fresh_settings(
        tmp_path / "again", trusted_proxy_hops=1, login_global_burst=10, login_global_refill_s=600.0
    )
    with TestClient(create_app(settings)) as c:
        assert c.get("/igsn", auth=CLIENT_ONE, headers=_forwarded("10.2.0.1")).status_code in (200, 204)
        for i in range(20):
            c.get("/igsn", auth=(_random_name(), "guess"), headers=_forwarded(f"10.1.0.{i}"))
        c.app.state.credential_cache.clear()  # type: ignore[attr-defined]
        assert c.get("/igsn", auth=CLIENT_ONE, headers=_forwarded("10.2.0.1")).status_code in (200, 204)


def test_concurrent_logins_with_the_same_credentials_share_one_check(tmp_path: Path, scrypt_calls: list[int]) -> None:
    """A client starting many requests before its login is cached costs one hash and is never throttled."""
    settings = fresh_settings(tmp_path, login_failures_burst=2, login_address_burst=2)

    async def many(app: object) -> list[int]:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            answers = await asyncio.gather(*(c.get("/igsn", auth=AGENT) for _ in range(20)))
        return [r.status_code for r in answers]

    app = create_app(settings)
    with TestClient(app):  # runs the lifespan
        del scrypt_calls[:]
        statuses = asyncio.run(many(app))
    assert set(statuses) <= {200, 204}, statuses
    assert len(scrypt_calls) == 1


# -- lock-out -------------------------------------------------------------------------------------------------
def test_behind_a_proxy_anothers_failures_do_not_lock_the_owner_out(tmp_path: Path) -> None:
    """The attack: 5 wrong passwords for someone else's account, through the proxy every client shares."""
    settings = fresh_settings(tmp_path, trusted_proxy_hops=1)
    with TestClient(create_app(settings)) as c:
        for i in range(settings.login_failures_burst + 1):
            c.get("/igsn", auth=(CLIENT_ONE[0], f"guess-{i}"), headers=_forwarded("203.0.113.66"))
        assert c.get("/igsn", auth=(CLIENT_ONE[0], "guess"), headers=_forwarded("203.0.113.66")).status_code == 429
        assert c.get("/igsn", auth=CLIENT_ONE, headers=_forwarded("198.51.100.7")).status_code in (200, 204)
        # only the hop the proxy appended is believed: what the caller wrote further left is not
        spoofed = {"X-Forwarded-For": "198.51.100.7, 203.0.113.66"}
        assert c.get("/igsn", auth=(CLIENT_ONE[0], "guess"), headers=spoofed).status_code == 429


def test_without_trusted_proxies_forwarded_headers_are_ignored(tmp_path: Path) -> None:
    settings = fresh_settings(tmp_path, login_address_refill_s=600.0)
    with TestClient(create_app(settings)) as c:
        statuses = [
            c.get("/igsn", auth=(_random_name(), "guess"), headers=_forwarded(f"10.3.0.{i}")).status_code
            for i in range(settings.login_address_burst + 1)
        ]
    assert statuses[-1] == 429  # a new X-Forwarded-For per request does not make a new client


def test_a_known_client_at_the_attackers_address_still_logs_in(tmp_path: Path) -> None:
    """Its pair (account, address) logged in before: the address's spent bucket does not refuse it."""
    settings = fresh_settings(tmp_path, login_address_refill_s=600.0)
    with TestClient(create_app(settings)) as c:
        assert c.get("/igsn", auth=CLIENT_ONE).status_code in (200, 204)
        for _ in range(settings.login_address_burst + 1):
            c.get("/igsn", auth=(_random_name(), "guess"))
        assert c.get("/igsn", auth=(_random_name(), "guess")).status_code == 429
        c.app.state.credential_cache.clear()  # type: ignore[attr-defined]
        assert c.get("/igsn", auth=CLIENT_ONE).status_code in (200, 204)
        # guessing that very account from there is still limited by the account's own bucket
        for i in range(settings.login_failures_burst):
            assert c.get("/igsn", auth=(CLIENT_ONE[0], f"guess-{i}")).status_code == 401
        assert c.get("/igsn", auth=(CLIENT_ONE[0], "guess")).status_code == 429


# -- reads never wait behind logins ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def unthrottled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The real server, every login throttle off: failed logins queue for the one hashing thread."""
    settings: Settings = fresh_settings(tmp_path_factory.mktemp("flood"))
    server = ServerProcess(
        settings.data_dir,
        env={
            "IGSN_GRAPH_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "IGSN_GRAPH_LOGIN_FAILURES_BURST": "0",
            "IGSN_GRAPH_LOGIN_ADDRESS_BURST": "0",
            "IGSN_GRAPH_LOGIN_GLOBAL_BURST": "0",
            "IGSN_GRAPH_LOGIN_HASH_THREADS": "1",
        },
    )
    server.start()
    try:
        r = httpx.post(
            server.base_url + "/metadata",
            content=kernel("ZTA0001"),
            auth=CLIENT_ONE,
            timeout=60,
            headers={"Content-Type": "application/xml"},
        )
        assert r.status_code == 201, r.text
        yield server
    finally:
        server.kill()


@pytest.mark.slow
def test_reads_do_not_wait_behind_a_login_flood(unthrottled: ServerProcess) -> None:
    """300 failed logins at once (600 hashes, many seconds of work for the hashing thread); meanwhile the
    resolver, OAI-PMH and search answer as usual. Before, the logins held every worker thread."""
    base = unthrottled.base_url
    reads = ["/10273/ZTA0001", "/oai?verb=Identify", "/api/v1/search?q=jane", "/api/v1/samples/ZTA0001"]

    async def run() -> tuple[list[float], int]:
        limits = httpx.Limits(max_connections=400)
        async with (
            httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as flood,
            httpx.AsyncClient(base_url=base, timeout=120, follow_redirects=True) as reader,
        ):
            attempts = [asyncio.create_task(flood.get("/igsn", auth=(_random_name(), "guess"))) for _ in range(300)]
            await asyncio.sleep(2.0)  # every attempt has arrived and waits for its hash
            took = []
            for path in reads * 3:
                start = time.monotonic()
                r = await reader.get(path, headers={"Accept": "text/turtle"} if "ZTA" in path else {})
                took.append(time.monotonic() - start)
                assert r.status_code == 200, (path, r.status_code)
            pending = sum(not t.done() for t in attempts)
            for t in attempts:
                t.cancel()
            await asyncio.gather(*attempts, return_exceptions=True)
            return took, pending

    took, pending = asyncio.run(run())
    assert max(took) < 3.0, took  # generous: a read takes milliseconds; behind the flood it took many seconds
    assert pending > 100, f"only {pending} logins were still waiting: the flood proved nothing"
