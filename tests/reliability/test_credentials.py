"""Credentials: failed logins on every surface, the cost of a failed login, no credentials in logs or at rest,
rate limiting of failed logins.

A failed login costs a full scrypt (~0.15 s on the shared machine), so each surface is tried once per kind
of failure; the isolation matrix (``test_isolation.py``) runs every operation with failing actors.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from igsn_graph.errors import NotAuthenticated
from igsn_graph.registry import accounts as accounts_module
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
from tests.api.test_mds import kernel
from tests.conftest import (
    ADMIN_PASSWORD,
    AGENT,
    CLIENT_ONE,
    OTHER,
    fresh_settings,
    live_server,
)

ADMIN = ("admin", ADMIN_PASSWORD)
DISABLED = ("ZTEST.GONE", "gone-secret-1")
TEXT = {"Content-Type": "text/plain"}
XML = {"Content-Type": "application/xml"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    # the tests here fail logins on purpose, many times: the throttle has its own tests below
    settings = fresh_settings(tmp_path_factory.mktemp("credentials"), login_failures_burst=0)
    with TestClient(create_app(settings)) as client:
        # a client created and disabled through the admin API; it could log in before
        r = client.post(
            "/api/v1/admin/clients",
            auth=ADMIN,
            json={"symbol": DISABLED[0], "password": DISABLED[1], "namespaces": ["ZTG"]},
        )
        assert r.status_code == 201, r.text
        assert client.get("/igsn", auth=DISABLED).status_code == 204
        assert client.delete(f"/api/v1/admin/clients/{DISABLED[0]}", auth=ADMIN).json()["active"] is False
        assert client.post("/metadata", content=kernel("ZTA0001"), headers=XML, auth=CLIENT_ONE).status_code == 201
        yield client


# -- 401 with WWW-Authenticate on every surface -----------------------------------------------------------
Surface = Callable[[TestClient, tuple[str, str] | None, dict[str, str]], httpx.Response]
SURFACES: dict[str, tuple[str, Surface]] = {
    # name: (error form, request)
    "mds-igsn": (
        "text",
        lambda c, a, h: c.post(
            "/igsn", content=b"igsn=ZTA0002\nurl=https://example.org/2", headers={**TEXT, **h}, auth=a
        ),
    ),
    "mds-metadata": ("text", lambda c, a, h: c.get("/metadata/ZTA0001", headers=h, auth=a)),
    "doi": ("text", lambda c, a, h: c.get("/doi/10273/ZTA0001", headers=h, auth=a)),
    "json-write": (
        "problem",
        lambda c, a, h: c.put("/api/v1/samples/ZTA0003", content=kernel("ZTA0003"), headers={**XML, **h}, auth=a),
    ),
    # a public read with credentials: wrong ones are refused, not ignored
    "json-read": ("problem", lambda c, a, h: c.get("/api/v1/samples/ZTA0001", headers=h, auth=a)),
    "bulk": (
        "problem",
        lambda c, a, h: c.post("/api/v1/samples/bulk", content=kernel("ZTA0004"), headers={**XML, **h}, auth=a),
    ),
    "admin": ("problem", lambda c, a, h: c.get("/api/v1/admin/agents", headers=h, auth=a)),
}
FAILURES: dict[str, tuple[str, str]] = {
    # a client's wrong password also tries its agent's (master login): the dearest failure
    "wrong-password": (CLIENT_ONE[0], "client-secret-2"),
    "unknown-user": ("ZNOBODY", "agent-secret-1"),
    "disabled-client": DISABLED,
}


def assert_401(form: str, r: httpx.Response) -> None:
    assert r.status_code == 401, (r.status_code, r.text)
    assert r.headers["www-authenticate"].startswith('Basic realm="igsn-graph"'), r.headers
    if form == "text":
        assert r.headers["content-type"].startswith("text/plain") and "\n" not in r.text.strip()
    else:
        assert r.headers["content-type"] == "application/problem+json" and r.json()["status"] == 401
    # one answer whatever went wrong: callers do not learn which account names exist or are disabled
    assert "unknown" not in r.text and "disabled" not in r.text and "wrong" not in r.text, r.text


def _failure_cells() -> list[object]:
    """The wrong password (the dearest failure) on every surface; the others once per error form (the isolation
    matrix runs every operation with an unknown user and a disabled client)."""
    cells = [(s, "wrong-password") for s in SURFACES]
    cells += [(s, f) for s in ("mds-igsn", "json-read", "admin") for f in ("unknown-user", "disabled-client")]
    return [pytest.param(s, f, id=f"{s}-{f}") for s, f in cells]


@pytest.mark.parametrize("surface,failure", _failure_cells())
def test_a_failed_login_is_401_with_www_authenticate(app: TestClient, surface: str, failure: str) -> None:
    form, call = SURFACES[surface]
    assert_401(form, call(app, FAILURES[failure], {}))


MALFORMED = {
    "bearer": "Bearer client-secret-1",
    "not-base64": "Basic !!!not base64!!!",
    "no-colon": "Basic " + base64.b64encode(b"ZTEST.ONE").decode(),
    "empty-user": "Basic " + base64.b64encode(b":client-secret-1").decode(),
    "scheme-only": "Basic",
}


@pytest.mark.parametrize("header", list(MALFORMED))
@pytest.mark.parametrize("surface", ["mds-igsn", "json-write", "json-read", "admin"])
def test_a_malformed_authorization_header_is_401(app: TestClient, surface: str, header: str) -> None:
    form, call = SURFACES[surface]
    assert_401(form, call(app, None, {"Authorization": MALFORMED[header]}))


def test_the_surfaces_accept_the_right_credentials(app: TestClient) -> None:
    """The failures above are failures of the credentials, not of the requests."""
    expected = {"mds-igsn": 201, "mds-metadata": 200, "doi": 204, "json-write": 201, "json-read": 200, "bulk": 200}
    for surface, status in expected.items():
        r = SURFACES[surface][1](app, CLIENT_ONE, {})
        assert r.status_code == status, (surface, r.status_code, r.text)
    assert SURFACES["admin"][1](app, ADMIN, {}).status_code == 200
    # the master login: an agent's password works for its clients, another agent's does not
    assert app.get("/igsn", auth=(CLIENT_ONE[0], AGENT[1])).status_code == 200
    assert app.get("/igsn", auth=(CLIENT_ONE[0], OTHER[1])).status_code == 401


# -- the cost of a failed login -------------------------------------------------------------------------------
@pytest.fixture
def scrypt_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts hashlib.scrypt calls (the password hash), as the accounts module makes them."""
    calls: list[int] = []
    real = hashlib.scrypt

    def counting(*args: object, **kwargs: object) -> bytes:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(accounts_module.hashlib, "scrypt", counting)
    return calls


@pytest.fixture(scope="module")
def accounts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[accounts_module.Accounts]:
    settings = fresh_settings(tmp_path_factory.mktemp("accounts"))
    with Registry(settings) as registry:
        registry.add_client(DISABLED[0], password=DISABLED[1], namespaces=["ZTG"])
        registry.update_client(DISABLED[0], active=False)
        registry.add_agent("ZOFF", name="Disabled agent", password="off-secret-1", namespaces=["ZF"])
        registry.add_client("ZOFF.LAB", password="lab-secret-1", namespaces=["ZFL"])
        registry.update_agent("ZOFF", active=False)
        yield registry.accounts


def _cost(accounts: accounts_module.Accounts, calls: list[int], user: str, password: str) -> int:
    del calls[:]
    with pytest.raises(NotAuthenticated):
        accounts.authenticate(user, password, admin=ADMIN)
    return len(calls)


# every way a login fails without a known account's password being compared
NO_ACCOUNT = {
    "unknown agent": ("ZNOBODY", "x"),
    "unknown client of a known agent": ("ZTEST.NOBODY", "x"),
    "unknown client of an unknown agent": ("ZNOBODY.LAB", "x"),
    "disabled client": DISABLED,
    "client of a disabled agent": ("ZOFF.LAB", "lab-secret-1"),
    "disabled agent": ("ZOFF", "off-secret-1"),
    "admin name, wrong password": ("admin", "wrong"),
}


def test_a_login_without_an_account_costs_what_a_wrong_password_costs(
    accounts: accounts_module.Accounts, scrypt_calls: list[int]
) -> None:
    """The same hashing whatever failed (counted, not timed): response times do not tell account names."""
    wrong_agent_password = _cost(accounts, scrypt_calls, AGENT[0], "wrong")
    assert wrong_agent_password >= 1
    costs = {case: _cost(accounts, scrypt_calls, *creds) for case, creds in NO_ACCOUNT.items()}
    assert costs == {case: wrong_agent_password for case in NO_ACCOUNT}


def test_a_clients_wrong_password_costs_what_an_unknown_client_costs(
    accounts: accounts_module.Accounts, scrypt_calls: list[int]
) -> None:
    assert _cost(accounts, scrypt_calls, CLIENT_ONE[0], "wrong") == _cost(accounts, scrypt_calls, "ZTEST.NOBODY", "x")


def test_password_hashes_are_compared_in_constant_time(
    accounts: accounts_module.Accounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def recording(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(accounts_module.hmac, "compare_digest", recording)
    assert accounts.authenticate(AGENT[0], AGENT[1], admin=ADMIN).symbol == AGENT[0]
    assert len(compared) == 1 and len(compared[0][0]) == 32  # the scrypt digests, not the passwords
    del compared[:]
    assert accounts.authenticate(*ADMIN, admin=ADMIN).is_admin
    assert compared == [(ADMIN[1].encode(), ADMIN[1].encode())]  # the admin password from the settings
    with pytest.raises(NotAuthenticated):
        accounts.authenticate(AGENT[0], "agent-secret-2", admin=ADMIN)  # one character off


def test_failed_logins_are_never_cached_and_successful_ones_are(app: TestClient, scrypt_calls: list[int]) -> None:
    for _ in range(2):
        del scrypt_calls[:]
        assert app.get("/igsn", auth=(AGENT[0], "wrong")).status_code == 401
        assert len(scrypt_calls) >= 1  # every failed attempt pays the hash again
    assert app.get("/igsn", auth=AGENT).status_code in (200, 204)
    del scrypt_calls[:]
    assert app.get("/igsn", auth=AGENT).status_code in (200, 204)
    assert scrypt_calls == []


# -- no credentials in logs, none at rest in plain ------------------------------------------------------------
class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name} {text}")


def test_no_credentials_in_logs_on_any_surface(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Failed and successful logins on every surface, with every logger at DEBUG (uvicorn's access log too)."""
    settings = fresh_settings(tmp_path, login_failures_burst=0)  # the same wrong login on every surface
    secrets = [CLIENT_ONE[1], AGENT[1], ADMIN_PASSWORD, "client-secret-9", "Bearer-token-42"]
    headers = [
        f"Basic {base64.b64encode(f'{u}:{p}'.encode()).decode()}"
        for u, p in [CLIENT_ONE, AGENT, ADMIN, (CLIENT_ONE[0], "client-secret-9"), ("ZNOBODY", "client-secret-9")]
    ]
    collect = Collect()
    names = ["", "uvicorn", "uvicorn.access", "uvicorn.error", "igsn_graph", "api", "httpx", "fastapi"]
    saved = {n: (logging.getLogger(n).level, logging.getLogger(n).propagate) for n in names}
    caplog.set_level(logging.DEBUG)
    with live_server(settings) as base:
        for n in names:  # uvicorn configured its loggers when it started: open them all
            logging.getLogger(n).setLevel(logging.DEBUG)
            logging.getLogger(n).addHandler(collect)
            logging.getLogger(n).propagate = False
        try:
            with httpx.Client(base_url=base, timeout=30) as http:
                # requests refused after the login (no SHACL to load): the login succeeds or fails on each surface
                for auth, want in ((CLIENT_ONE, 400), (("ZNOBODY", "client-secret-9"), 401)):
                    answers = [
                        http.post(
                            "/igsn", content=b"igsn=ZTA0005\nurl=https://elsewhere.net/5", headers=TEXT, auth=auth
                        ),
                        http.post("/metadata", content=b"<not xml", headers=XML, auth=auth),
                        http.get("/doi/ZTA0006", auth=auth),
                        http.put("/api/v1/samples/ZTA0007", content=kernel("ZTA0008"), headers=XML, auth=auth),
                        http.post("/api/v1/samples/bulk", content=b"<not xml", headers=XML, auth=auth),
                        http.get("/api/v1/samples/ZTA0007?limit=x", auth=auth, headers={"Accept": "image/png"}),
                    ]
                    assert [r.status_code for r in answers] == [want] * 5 + [404 if want == 400 else 401], answers
                for auth, want in ((AGENT, 403), (ADMIN, 200), ((CLIENT_ONE[0], "client-secret-9"), 401)):
                    assert http.get("/api/v1/admin/agents", auth=auth).status_code == want
                assert http.get("/igsn", auth=AGENT).status_code == 204
                assert http.get("/igsn", headers={"Authorization": "Bearer Bearer-token-42"}).status_code == 401
        finally:
            for n in names:
                logging.getLogger(n).removeHandler(collect)
                logging.getLogger(n).setLevel(saved[n][0])
                logging.getLogger(n).propagate = saved[n][1]
    logged = "\n".join(collect.lines + [r.getMessage() for r in caplog.records])
    assert "/igsn" in logged, "the access log was not captured: the test would prove nothing"
    for secret in secrets + [h.split(" ", 1)[1] for h in headers]:
        assert secret not in logged, f"{secret!r} appears in the logs"
    # nor at rest: the registry database keeps salted hashes only
    stored = b"".join(p.read_bytes() for p in settings.data_dir.rglob("*") if p.is_file())
    for secret in secrets:
        assert secret.encode() not in stored, f"{secret!r} is stored in plain"


# -- rate limiting of failed logins -----------------------------------------------------------------------------
@pytest.fixture
def settings_for_throttle(tmp_path: Path) -> Settings:
    settings = fresh_settings(tmp_path)
    assert settings.login_failures_burst == 5  # the default is what is tested
    return settings


def test_repeated_failed_logins_are_rate_limited(settings_for_throttle: Settings) -> None:
    """After a burst of failed logins for one account the API answers 429 with Retry-After (in the surface's
    error form), without paying the hash, until the bucket refills; other accounts are not affected."""
    with TestClient(create_app(settings_for_throttle)) as app:
        _rate_limited(app)


def _rate_limited(app: TestClient) -> None:
    statuses = [app.get("/igsn", auth=(OTHER[0], f"guess-{i}")).status_code for i in range(6)]
    assert statuses[-1] == 429, statuses
    r = app.get("/igsn", auth=(OTHER[0], "guess-final"))
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert r.headers["content-type"].startswith("text/plain")
    problem = app.get("/api/v1/admin/agents", auth=(OTHER[0], "guess-final"))
    assert problem.status_code == 429 and problem.headers["content-type"] == "application/problem+json"
    assert app.get("/igsn", auth=AGENT).status_code in (200, 204)  # another account logs in as before


def test_a_throttled_login_costs_no_hash(settings_for_throttle: Settings, scrypt_calls: list[int]) -> None:
    with TestClient(create_app(settings_for_throttle)) as c:
        for i in range(settings_for_throttle.login_failures_burst):
            assert c.get("/igsn", auth=(OTHER[0], f"guess-{i}")).status_code == 401
        del scrypt_calls[:]
        assert c.get("/igsn", auth=(OTHER[0], OTHER[1])).status_code == 429  # even the right password waits
        assert scrypt_calls == []
