"""The login dependency (api/auth/__init__.py) put together: a login's database reads (the accounts version, the
throttle's shared buckets, a failure written) run on the password-check threads, never on the event loop (on
PostgreSQL each is a network round trip)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

import api.auth
from igsn_graph.registry.accounts import accounts_version
from igsn_graph.registry.login_failures import LoginFailures
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
from tests.api.test_mds import make_client
from tests.conftest import AGENT, OTHER


@pytest.fixture
def client(registry: Registry, settings: Settings) -> Iterator[TestClient]:
    yield from make_client(registry, settings)


@pytest.mark.both_databases
def test_a_logins_database_reads_run_on_the_password_check_threads(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
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
    assert [what for what, _ in seen].count("accounts version") == 2, seen
    assert all(thread.startswith("password-check") for _, thread in seen), seen
