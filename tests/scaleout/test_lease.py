"""Background jobs over a shared (PostgreSQL) registry run on one node at a time (``registry.lease``): two
Registry instances over one database and one engine start the same job, only one runs its rounds; when the holder
stops, or its process is killed with SIGKILL, the other takes over at its next round. On SQLite the one process
always runs its jobs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from igsn_graph.index.rebuild import verify
from igsn_graph.registry import restamp
from igsn_graph.registry.lease import Lease
from igsn_graph.registry.periodic import PeriodicCheck, RestampCheck
from igsn_graph.registry.service import Registry, init_data_dir
from igsn_graph.settings import Settings
from tests.conftest import ADMIN_PASSWORD, add_test_accounts
from tests.registry.test_service import ONE, registration_xml, submit

ROOT = Path(__file__).resolve().parents[2]


class Counting(PeriodicCheck):
    """A job that counts its rounds and notes any round that overlaps another node's."""

    name = "igsn-graph-test-job"
    what = "the test job"
    busy: list[str] = []
    overlaps: list[str] = []

    def check(self, stop: Callable[[], bool]) -> None:
        if Counting.busy:
            Counting.overlaps.append(str(self.registry.settings.data_dir))
        Counting.busy.append("x")
        time.sleep(0.01)
        Counting.busy.pop()


def _wait(condition: Callable[[], bool], seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.fixture
def two_registries(tmp_path: Path, postgres_url: str, oxigraph_engine: str) -> Iterator[tuple[Registry, Registry]]:
    httpx.post(
        oxigraph_engine + "/update", content=b"DROP ALL", headers={"Content-Type": "application/sparql-update"}
    ).raise_for_status()
    nodes = [
        Settings(data_dir=tmp_path / name, admin_password=ADMIN_PASSWORD, database=postgres_url, store=oxigraph_engine)
        for name in ("a", "b")
    ]
    init_data_dir(nodes[0], repository_id="lease.example.org")
    nodes[1].data_dir.mkdir()
    first, second = Registry(nodes[0]), Registry(nodes[1])
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def test_one_node_runs_the_job_and_the_other_takes_over_when_it_stops(
    two_registries: tuple[Registry, Registry],
) -> None:
    Counting.overlaps = []
    checks = [Counting(registry, interval=0.02) for registry in two_registries]
    for check in checks:
        assert check.start()
    try:
        assert _wait(lambda: sum(c.rounds for c in checks) >= 20)
        ran = [c for c in checks if c.rounds]
        assert len(ran) == 1 and Counting.overlaps == []
        holder, standby = ran[0], next(c for c in checks if not c.rounds)
        assert holder.lease.held and not standby.lease.held
        assert holder.lease.holder() == standby.lease.holder() is not None
        holder.stop()  # the holder's session ends with it: the lease is free
        assert _wait(lambda: standby.rounds >= 3)
        assert standby.lease.held and Counting.overlaps == []
    finally:
        for check in checks:
            check.stop()


def test_a_killed_holder_gives_the_job_to_another_node(two_registries: tuple[Registry, Registry]) -> None:
    registry = two_registries[0]
    url = registry.db.url
    assert url is not None
    # another node's process takes the job's lease, then dies without a word
    script = (
        "import sys, time\n"
        "from igsn_graph.registry.lease import Lease\n"
        f"lease = Lease({url!r}, {Counting.name!r})\n"
        "assert lease.hold()\n"
        "print('held', flush=True)\n"
        "time.sleep(600)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    other = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "held"
        check = Counting(registry, interval=0.02)
        check.start()
        try:
            time.sleep(0.5)  # many intervals: the job stays with the other node
            assert check.rounds == 0 and not check.lease.held
            assert "igsn-graph igsn-graph-test-job" in (Lease(url, Counting.name).holder() or "")
            other.send_signal(signal.SIGKILL)
            other.wait(timeout=30)
            assert _wait(lambda: check.rounds >= 1)  # its session ended with it: this node runs the job now
            assert check.lease.held
        finally:
            check.stop()
    finally:
        if other.poll() is None:
            other.kill()
            other.wait(timeout=30)


def test_on_sqlite_the_one_process_always_runs_its_jobs(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", admin_password=ADMIN_PASSWORD)
    init_data_dir(settings)
    with Registry(settings) as registry:
        assert Lease(registry.db.url, "any").hold()
        check = Counting(registry, interval=0.02)
        check.start()
        try:
            assert check.checked.wait(30) and check.rounds >= 1
        finally:
            check.stop()


def test_a_job_stops_at_once_between_rounds(two_registries: tuple[Registry, Registry]) -> None:
    done = threading.Event()
    check = Counting(two_registries[0], interval=3600)
    check.start()
    assert check.checked.wait(30)
    threading.Thread(target=lambda: (check.stop(), done.set())).start()
    assert done.wait(30) and not check.running and not check.lease.held


def test_one_node_restamps(two_registries: tuple[Registry, Registry]) -> None:
    first, second = two_registries
    add_test_accounts(first)
    names = [f"ZTA{i:04d}" for i in range(1, 6)]
    for name in names:
        submit(first, ONE, registration_xml(name))
    restamp.adopt(first)
    first.db.set_meta("projection_fingerprint", "before-a-writer-change")  # as if the writers changed
    time.sleep(1.1)  # datestamps have whole seconds: the new ones are visibly later
    before = {name: first.row(name) for name in names}
    checks = [RestampCheck(restamp.Restamper(registry, batch=2), interval=0.05) for registry in two_registries]
    for check in checks:
        check.start()
    try:
        assert _wait(lambda: not restamp.status(first).pending and not any(c.restamper.running for c in checks))
        ran = [c for c in checks if c.restamper.progress() is not None]
        assert len(ran) == 1 and ran[0].restamper.done == len(names)  # one node restamped, each record once
        for name in names:
            old, new = before[name], second.row(name)
            assert old is not None and new is not None and new.version == old.version
            assert new.datestamp > old.datestamp
    finally:
        for check in checks:
            check.stop()
    report = verify(second.db, second.store, second.iris)
    assert report.ok, report.problems


def test_one_run_of_a_harvest_source_at_a_time_across_nodes(two_registries: tuple[Registry, Registry]) -> None:
    from igsn_graph.harvest import scheduler, sources

    first, second = two_registries
    sources.add(first, "elsewhere", url="http://127.0.0.1:9/oai", prefix="igsn_desc", rate=50)
    running = Lease(first.db.url, "harvest source elsewhere")  # another node's run of the source, under way
    assert running.hold()
    try:
        report = scheduler.run(second, "elsewhere")
        assert report.error is not None and "under way elsewhere" in report.error and report.requests == 0
        state = sources.get(second, "elsewhere")
        assert (state.failures, state.last_run, state.last_error) == (0, None, None)  # nothing marked
    finally:
        running.close()
    after = Lease(second.db.url, "harvest source elsewhere")
    assert after.hold()  # the run's lease is free again once that run ended
    after.close()
