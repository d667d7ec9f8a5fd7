"""Login state shared by the nodes of one registry database: failed logins (the throttle's buckets), the
accounts version that empties every node's credential cache, and /health naming the job leases a node holds."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth.login_throttle import LoginThrottle
from igsn_graph.db import Database, migrations
from igsn_graph.errors import LoginThrottled
from igsn_graph.registry.lease import Lease
from igsn_graph.registry.login_failures import Bucket, LoginFailures, bucket_name
from igsn_graph.settings import Settings
from tests.conftest import ADMIN_PASSWORD, AGENT, OTHER, fresh_settings

ADMIN = ("admin", ADMIN_PASSWORD)


def _node(failures: LoginFailures, now: list[float]) -> LoginThrottle:
    return LoginThrottle(
        burst=3, refill_s=10.0, address_burst=100, address_refill_s=1.0, clock=lambda: now[0], shared=failures
    )


def _fail(throttle: LoginThrottle, account: str = "ZOTHER", address: str = "10.0.0.1") -> None:
    throttle.settle(throttle.admit(account, address), ok=False)


def test_failures_on_one_node_count_on_another_over_sqlite(tmp_path: Path) -> None:
    """Two throttles (two nodes) over one SQLite registry database: the failures of one refuse on the other,
    the bucket refills by the wall clock, and rows of full buckets are deleted by a later failure."""
    db = Database(tmp_path / "registry.sqlite")
    wall = [1_000_000.0]
    try:
        failures = LoginFailures(db, keep_s=30.0, clock=lambda: wall[0])
        one, two = _node(failures, [5.0]), _node(failures, [900.0])  # their monotonic clocks differ
        _fail(one)
        _fail(two)
        _fail(one)
        with pytest.raises(LoginThrottled):
            two.admit("ZOTHER", "10.0.0.1")  # its own count is 1; the shared count 3
        with pytest.raises(LoginThrottled):
            two.check("ZOTHER", "10.0.0.1")
        two.admit("ZOTHER", "10.0.0.2")  # another pair is not refused
        wall[0] += 10.0  # one token back
        two.settle(two.admit("ZOTHER", "10.0.0.1"), ok=True)
        rows = db.read().execute("SELECT COUNT(*) FROM login_failure").fetchone()[0]
        assert rows == 2  # the pair's and the address's (global off)
        wall[0] += 31.0  # every bucket full again: the next failure deletes their rows
        _fail(one, "ZTEST", "10.9.9.9")
        assert db.read().execute("SELECT COUNT(*) FROM login_failure").fetchone()[0] == 2  # the new pair, address
    finally:
        db.close()


def test_a_successful_login_writes_nothing_and_a_cached_one_reads_nothing(tmp_path: Path) -> None:
    """The success path: no row written; a cached login does not touch the throttle at all (``authenticate``)."""
    settings = fresh_settings(tmp_path)
    with TestClient(create_app(settings)) as app:
        assert app.get("/igsn", auth=AGENT).status_code in (200, 204)
        db = app.app.state.registry.db  # type: ignore[attr-defined]
        assert db.read().execute("SELECT COUNT(*) FROM login_failure").fetchone()[0] == 0
        assert app.get("/igsn", auth=(OTHER[0], "wrong")).status_code == 401
        assert db.read().execute("SELECT COUNT(*) FROM login_failure").fetchone()[0] >= 1


@pytest.fixture
def two_nodes(tmp_path: Path, postgres_url: str) -> Iterator[tuple[TestClient, TestClient]]:
    """Two apps (nodes) with data folders of their own over one PostgreSQL registry database."""
    first = fresh_settings(tmp_path / "one", database=postgres_url)
    second = Settings(data_dir=tmp_path / "two" / "data", admin_password=ADMIN_PASSWORD, database=postgres_url)
    second.data_dir.mkdir(parents=True)
    with TestClient(create_app(first)) as one, TestClient(create_app(second)) as two:
        yield one, two


def test_failed_logins_on_one_node_are_throttled_on_the_other(two_nodes: tuple[TestClient, TestClient]) -> None:
    one, two = two_nodes
    statuses = [one.get("/igsn", auth=(OTHER[0], f"guess-{i}")).status_code for i in range(6)]
    assert statuses[-1] == 429, statuses
    refused = two.get("/igsn", auth=(OTHER[0], "guess-on-two"))
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert two.get("/igsn", auth=AGENT).status_code in (200, 204)  # another account logs in as before


def test_a_password_changed_on_one_node_is_refused_by_the_other(two_nodes: tuple[TestClient, TestClient]) -> None:
    one, two = two_nodes
    assert two.get("/igsn", auth=OTHER).status_code in (200, 204)  # verified, and cached on node two
    changed = one.patch("/api/v1/admin/agents/" + OTHER[0], json={"password": "other-secret-2"}, auth=ADMIN)
    assert changed.status_code == 200, changed.text
    time.sleep(1.1)  # node two reads the accounts version at most once a second
    assert two.get("/igsn", auth=OTHER).status_code == 401
    assert two.get("/igsn", auth=(OTHER[0], "other-secret-2")).status_code in (200, 204)
    deactivated = one.patch("/api/v1/admin/agents/" + OTHER[0], json={"active": False}, auth=ADMIN)
    assert deactivated.status_code == 200, deactivated.text
    time.sleep(1.1)
    assert two.get("/igsn", auth=(OTHER[0], "other-secret-2")).status_code == 401


def test_health_names_the_job_leases_this_node_holds(
    two_nodes: tuple[TestClient, TestClient], postgres_url: str
) -> None:
    one, two = two_nodes
    lease = Lease(postgres_url, "a test job")
    try:
        assert lease.hold()
        assert "a test job" in one.get("/health").json()["leases"]
    finally:
        lease.close()
    assert "a test job" not in one.get("/health").json()["leases"]


def test_health_names_no_leases_on_sqlite(tmp_path: Path) -> None:
    with TestClient(create_app(fresh_settings(tmp_path))) as app:
        assert app.get("/health").json()["leases"] is None


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_version_1_database_gets_the_login_failure_table(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Schema step 2 on a database made before it (the table dropped, version 1): ``migrate`` creates it."""
    target = tmp_path / "registry.sqlite" if kind == "sqlite" else request.getfixturevalue("postgres_url")
    db = Database(target, migrate=True)
    try:
        with db.write() as conn:
            conn.execute("DROP TABLE login_failure")
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', '1')")
        assert [s.version for s in migrations.migrate(db)] == list(range(2, migrations.SCHEMA_VERSION + 1))
        LoginFailures(db, keep_s=10.0).spend([Bucket(bucket_name("pair", "X", "a"), 3, 1.0)])
        assert db.read().execute("SELECT tokens FROM login_failure").fetchone()[0] == 2.0
    finally:
        db.close()
