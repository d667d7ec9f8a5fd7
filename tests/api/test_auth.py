"""The login dependency (api/auth/__init__.py) put together: a login's database reads never run on the event loop
(on PostgreSQL each is a network round trip): the throttle's shared buckets (read, a failure written) on the
password-check threads, the accounts version on the login-read thread, which never waits behind a password check."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

import api.auth
from api.app import create_app
from api.auth.credential_cache import CredentialCache
from igsn_graph.errors import NotAuthenticated
from igsn_graph.registry.accounts import Accounts, Principal, accounts_version
from igsn_graph.registry.login_failures import LoginFailures
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
from tests.api.test_mds import make_client
from tests.conftest import AGENT, OTHER, fresh_settings


@pytest.fixture
def client(registry: Registry, settings: Settings) -> Iterator[TestClient]:
    yield from make_client(registry, settings)


@pytest.mark.both_databases
def test_a_logins_database_reads_run_off_the_event_loop(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, str]] = []  # (what was read or written, the thread's name)

    def recorded(what: str, real: Callable[..., object]) -> Callable[..., object]:
        def on_thread(*args: object, **kwargs: object) -> object:
            seen.append((what, threading.current_thread().name))
            return real(*args, **kwargs)

        return on_thread

    monkeypatch.setattr(api.auth, "accounts_version", recorded("accounts version", accounts_version))
    monkeypatch.setattr(LoginFailures, "tokens", recorded("shared buckets", LoginFailures.tokens))
    monkeypatch.setattr(LoginFailures, "spend", recorded("failure written", LoginFailures.spend))
    assert client.get("/igsn", auth=AGENT).status_code in (200, 204)  # checked
    assert client.get("/igsn", auth=(OTHER[0], "wrong")).status_code == 401
    time.sleep(1.1)  # the accounts version is read at most once a second: the next cached login reads it
    assert client.get("/igsn", auth=AGENT).status_code in (200, 204)  # cached
    assert {what for what, _ in seen} == {"accounts version", "shared buckets", "failure written"}, seen
    # read at the first login and again by the cached one a second later (once more in between only when the box
    # is so loaded that the failed login came a second after the first)
    assert seen[0][0] == seen[-1][0] == "accounts version", seen
    assert 2 <= [what for what, _ in seen].count("accounts version") <= 3, seen
    for what, thread in seen:
        assert thread.startswith("login-read" if what == "accounts version" else "password-check"), seen


def test_a_cached_login_reads_the_accounts_version_while_every_password_check_is_blocked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A login flood fills the password-check queue; a cached login whose accounts-version read is due still
    answers: that read does not queue behind the checks (before, it waited for the whole backlog)."""
    release = threading.Event()
    checking = threading.Event()
    real = Accounts.authenticate

    def blocked_for_zslow(self: Accounts, symbol: str, password: str, **kwargs: object) -> Principal:
        if symbol != "ZSLOW":
            return real(self, symbol, password, **kwargs)  # type: ignore[arg-type]
        checking.set()
        release.wait(120)  # a hash that takes until the test lets it go
        raise NotAuthenticated("not logged in")

    versions: list[str] = []  # the threads that read the accounts version

    def version_read(db: object) -> str | None:
        versions.append(threading.current_thread().name)
        return accounts_version(db)  # type: ignore[arg-type]

    monkeypatch.setattr(Accounts, "authenticate", blocked_for_zslow)
    monkeypatch.setattr(api.auth, "accounts_version", version_read)
    app = create_app(fresh_settings(tmp_path, login_hash_threads=1))

    async def flood_then_cached_login() -> tuple[list[int], list[bool]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            assert (await c.get("/igsn", auth=AGENT)).status_code in (200, 204)  # checked, now cached
            # the one check thread takes the first slow login and blocks; the others queue behind it
            slow = [asyncio.create_task(c.get("/igsn", auth=("ZSLOW", f"guess-{i}"))) for i in range(3)]
            try:
                assert await asyncio.to_thread(checking.wait, 60)
                del versions[:]
                # the accounts version is due at every cached login (``version_every_s`` 0); the bound only
                # keeps a regression from hanging the suite: the answer needs no password check at all
                cached = await asyncio.wait_for(c.get("/igsn", auth=AGENT), 60)
                still_blocked = [not t.done() for t in slow]
            finally:
                release.set()
            return [cached.status_code] + [r.status_code for r in await asyncio.gather(*slow)], still_blocked

    with TestClient(app):  # runs the lifespan
        db = app.state.registry.db
        app.state.credential_cache = CredentialCache(version=lambda: api.auth.accounts_version(db), version_every_s=0)
        statuses, still_blocked = asyncio.run(flood_then_cached_login())
    assert statuses[0] in (200, 204) and statuses[1:] == [401, 401, 401], statuses
    assert still_blocked == [True, True, True]  # the cached login answered while every check was held
    assert len(versions) == 1 and versions[0].startswith("login-read"), versions
