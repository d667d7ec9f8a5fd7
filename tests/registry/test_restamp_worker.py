"""A server's restamp stamps its batches in a worker process (SQLite) at a lower priority, the server's write
lock held for each batch, a batch whole or not at all when the worker dies, resumed afterwards."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from igsn_graph.db import SCHEMA_VERSION
from igsn_graph.index.rebuild import verify
from igsn_graph.registry import restamp, restamp_worker
from igsn_graph.registry.restamp_worker import BatchWorker, WorkerFailed
from igsn_graph.registry.service import Registry
from tests.registry.test_restamp import _everything, _populate, _stale, _versions

pytestmark = [pytest.mark.both_stores, pytest.mark.sqlite_only("the worker process stamps SQLite registries")]


#: a batch fails after its catalogue update, in its transaction: the write of the run's first stamp is refused
_CRASH = (
    "CREATE TRIGGER crash BEFORE INSERT ON meta WHEN NEW.key = 'restamp_since' BEGIN SELECT RAISE(ABORT, 'killed'); END"
)


def _wait(condition: object, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_a_server_run_stamps_in_a_worker_process_at_a_lower_priority(registry: Registry) -> None:
    names = _populate(registry)
    _stale(registry)
    before = {n: (registry.row(n), _versions(registry, n)) for n in names}
    time.sleep(1.1)  # stamps visibly later than the registrations
    runner = restamp.Restamper(registry, batch=1, pause=0.3)  # slow enough to look at the worker
    assert runner.start()
    _wait(lambda: runner.worker is not None and runner.done >= 1, "the run did not start")
    worker = runner.worker
    assert worker is not None and worker.pid != os.getpid()
    assert os.getsid(worker.pid) == os.getsid(0)  # the server's session: its share of the processor, not more
    own = os.getpriority(os.PRIO_PROCESS, 0)
    if worker.lowered:
        assert os.getpriority(os.PRIO_PROCESS, worker.pid) == max(restamp.NICENESS, own)
    # the server's thread only passes positions: not lowered, so never put off while it holds the interpreter lock
    thread = runner._thread
    assert thread is not None and thread.native_id is not None
    assert os.getpriority(os.PRIO_PROCESS, thread.native_id) == own
    _wait(lambda: not runner.running, "the run did not end")
    assert runner.error is None and worker.proc.returncode == 0  # ended with the walk
    progress = runner.progress()
    assert progress is not None and progress.done == progress.total == len(names)
    for name in names:  # new datestamps, in both tables; no history version
        row, (old, versions) = registry.row(name), before[name]
        assert row is not None and old is not None and row.datestamp > old.datestamp
        assert row.version == old.version and _versions(registry, name) == versions
    assert not restamp.status(registry).pending and not restamp.status(registry).in_progress
    assert registry.db.get_meta("inflight") is None  # each batch's reservation ended with it


def test_a_killed_worker_ends_the_run_which_resumes_without_stamping_twice(registry: Registry) -> None:
    names = _populate(registry)
    _stale(registry)
    before = {n: registry.row(n) for n in names}
    history = {n: _versions(registry, n) for n in names}
    time.sleep(1.1)
    runner = restamp.Restamper(registry, batch=1, pause=0.5)
    assert runner.start()
    _wait(lambda: runner.worker is not None and runner.done >= 1, "the run did not start")
    assert runner.worker is not None
    os.kill(runner.worker.pid, signal.SIGKILL)
    _wait(lambda: not runner.running, "the run did not stop")
    assert isinstance(runner.error, WorkerFailed)
    state = restamp.status(registry)
    assert state.pending and state.in_progress
    stamped = [n for n in names if registry.row(n) != before[n]]
    assert names[: len(stamped)] == stamped and 1 <= len(stamped) < len(names)  # walked in IGSN order
    first = {n: registry.row(n) for n in stamped}
    time.sleep(1.1)
    resumed = restamp.Restamper(registry, batch=2)  # the next start
    assert resumed.start()
    _wait(lambda: not resumed.running, "the resumed run did not end")
    assert resumed.error is None and resumed.done == len(names) - len(stamped)
    for name in names:
        row = registry.row(name)
        assert row is not None and row.datestamp > before[name].datestamp  # type: ignore[union-attr]
        assert _versions(registry, name) == history[name]
    assert all(registry.row(n) == first[n] for n in stamped)  # not stamped again
    assert not restamp.status(registry).in_progress
    report = verify(registry.db, registry.store, registry.iris)
    assert report.ok, report.problems


def test_a_batch_failing_in_the_worker_changes_nothing_and_says_why(registry: Registry) -> None:
    names = _populate(registry)
    _stale(registry)
    with registry.db.write() as conn:  # the batch fails after its catalogue update, in its transaction
        conn.execute(_CRASH)
    assert registry.db.path is not None
    everything = _everything(registry, names)
    worker = BatchWorker(registry.db.path, 10, niceness=restamp.NICENESS)
    try:
        with registry.writing(), pytest.raises(WorkerFailed, match="IntegrityError: killed"):
            worker.step("")
    finally:
        worker.close()
    assert worker.proc.returncode == 1
    with registry.db.write() as conn:
        conn.execute("DROP TRIGGER crash")
    assert _everything(registry, names) == everything  # rows, history, graphs, the last datestamp issued


def test_a_worker_never_outlives_the_process_that_started_it(registry: Registry) -> None:
    """A server killed while its worker stamps a batch: the worker dies with it, so no batch is committed after
    the server's write lock is gone. The worker is held inside its batch by a write transaction of the test's."""
    names = _populate(registry)
    _stale(registry)
    assert registry.db.path is not None
    everything = _everything(registry, names)
    script = (
        "import os, sys; from pathlib import Path\n"
        "from igsn_graph.registry.restamp_worker import BatchWorker\n"
        "w = BatchWorker(Path(sys.argv[1]), 10, niceness=10); w.ready()\n"
        "print(w.pid, flush=True); sys.stdin.readline()\n"
        "w.proc.stdin.write(b'\"\"\\n'); w.proc.stdin.flush(); os._exit(0)\n"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", script, str(registry.db.path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert server.stdin is not None and server.stdout is not None
    worker = int(server.stdout.readline())
    blocker = sqlite3.connect(registry.db.path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")  # the worker's batch waits for it (its busy timeout is 30 s)
        server.stdin.write("go\n")
        server.stdin.flush()
        assert server.wait(60) == 0

        def gone() -> bool:
            try:
                os.kill(worker, 0)
            except ProcessLookupError:
                return True
            return Path(f"/proc/{worker}/stat").read_text().split(") ")[1].startswith("Z")  # exited, not reaped

        _wait(gone, "the worker outlived its server", seconds=20)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    time.sleep(0.5)
    assert _everything(registry, names) == everything  # nothing stamped after the server died


def test_a_worker_refuses_a_schema_other_than_the_servers(registry: Registry) -> None:
    """Opening the database would bring an older schema up to date: a worker of other code, or given another
    version than the file's, refuses before opening it, and says why."""
    assert registry.db.path is not None
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            restamp_worker._BOOT,
            restamp_worker._PACKAGE_ROOT,
            str(registry.db.path),
            "10",
            str(os.getpid()),
            str(SCHEMA_VERSION + 1),
        ],
        input=b"",
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert json.loads(proc.stdout.splitlines()[0])["error"].startswith(f"schema {SCHEMA_VERSION} on disk")
    assert registry.db.get_meta("schema_version") == str(SCHEMA_VERSION)


def test_a_failed_batch_leaves_no_reservation_behind(registry: Registry) -> None:
    """The worker reserves the batch's datestamp itself; when it fails the server's run clears the reservation
    (OAI-PMH caps its responseDate before a reservation), as an in-process batch does."""
    names = _populate(registry)
    _stale(registry)
    with registry.db.write() as conn:
        conn.execute(_CRASH)
    runner = restamp.Restamper(registry, batch=len(names))
    assert runner.start()
    _wait(lambda: not runner.running, "the run did not stop")
    with registry.db.write() as conn:
        conn.execute("DROP TRIGGER crash")
    assert isinstance(runner.error, WorkerFailed)
    assert registry.db.get_meta("inflight") is None


def _idle_worker(registry: Registry, boost_after: float) -> BatchWorker:
    if not restamp_worker.can_leave_idle(restamp.NICENESS):
        pytest.skip("this user may not bring a process back from the idle scheduling class (no CAP_SYS_NICE)")
    assert registry.db.path is not None
    worker = BatchWorker(registry.db.path, 1000, niceness=restamp.NICENESS, boost_after=boost_after)
    # it starts at its niceness (its start is not left to spare processor time), idle once ready
    assert os.sched_getscheduler(worker.pid) != os.SCHED_IDLE
    worker.ready()
    assert worker.idle and os.sched_getscheduler(worker.pid) == os.SCHED_IDLE
    return worker


def _blocked_batch(registry: Registry, worker: BatchWorker) -> tuple[sqlite3.Connection, threading.Thread]:
    """The worker's batch under way and held inside its transaction by a write transaction of the test's (its
    busy timeout is 30 s), stepped by a thread holding the write lock as the server's run does."""
    assert registry.db.path is not None
    blocker = sqlite3.connect(registry.db.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")

    def run() -> None:
        with registry.writing(), registry.gate.lock.waiters_call(worker.boost):
            worker.step("")

    thread = threading.Thread(target=run)
    thread.start()
    return blocker, thread


def test_the_worker_runs_idle_and_a_waiting_writer_raises_it_for_the_batch(registry: Registry) -> None:
    """A registration waiting for the lock a batch is stamped under must not wait on a process that gets no
    processor time: it raises the worker to normal scheduling (its niceness kept) until the batch answers."""
    names = _populate(registry)
    _stale(registry)
    worker = _idle_worker(registry, boost_after=600)
    try:
        blocker, run = _blocked_batch(registry, worker)
        try:
            _wait(lambda: registry.gate.lock._owner is not None, "the run did not take the lock")
            time.sleep(0.3)
            assert os.sched_getscheduler(worker.pid) == os.SCHED_IDLE and worker.boosts == 0
            wrote = threading.Event()

            def write() -> None:
                with registry.writing():
                    wrote.set()

            writer = threading.Thread(target=write)
            writer.start()
            _wait(lambda: os.sched_getscheduler(worker.pid) == os.SCHED_OTHER, "the waiting writer did not raise it")
            assert os.getpriority(os.PRIO_PROCESS, worker.pid) >= restamp.NICENESS  # raised, not above the server
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        run.join(60)
        writer.join(60)
        assert not run.is_alive() and wrote.is_set()
        assert worker.boosts == 1 and os.sched_getscheduler(worker.pid) == os.SCHED_IDLE  # idle again after it
    finally:
        worker.close()
    assert all(registry.row(n) is not None for n in names)


def test_a_batch_that_takes_long_is_raised_whoever_waits(registry: Registry) -> None:
    """Writers of other processes (a remote engine's API workers) cannot call the hook, nor can a stopping
    server: a batch not answered within ``boost_after`` is raised all the same, and goes back to idle after."""
    _populate(registry)
    _stale(registry)
    worker = _idle_worker(registry, boost_after=0.05)
    try:
        blocker, run = _blocked_batch(registry, worker)
        try:
            _wait(lambda: os.sched_getscheduler(worker.pid) == os.SCHED_OTHER, "the long batch was not raised")
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        run.join(60)
        assert not run.is_alive() and worker.boosts == 1
        assert os.sched_getscheduler(worker.pid) == os.SCHED_IDLE
    finally:
        worker.close()


def test_a_writers_late_call_does_not_raise_the_next_batch(registry: Registry) -> None:
    """A writer that read the hook during a batch may call it after the batch answered: nothing is raised then."""
    _populate(registry)
    _stale(registry)
    worker = _idle_worker(registry, boost_after=600)
    try:
        with registry.writing():
            count, _ = worker.step("")
        assert count > 0
        worker.boost()
        assert worker.boosts == 0 and os.sched_getscheduler(worker.pid) == os.SCHED_IDLE
    finally:
        worker.close()


def test_a_worker_answers_on_descriptors_past_1024(registry: Registry) -> None:
    """A server holds many files (the store's); the answer is waited for with poll, which takes any descriptor
    (select refuses those past 1024, and the batch then committed after its caller had let the lock go)."""
    import resource

    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < 1200:
        pytest.skip("fewer than 1,200 descriptors allowed")
    _populate(registry)
    _stale(registry)
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        worker = _idle_worker(registry, boost_after=0.001)  # polled with a timeout at every batch
        assert worker.proc.stdout is not None and worker.proc.stdout.fileno() > 1024
        try:
            with registry.writing():
                count, last = worker.step("")
            assert count > 0 and registry.db.get_meta("restamp_after") == last
        finally:
            worker.close()
    finally:
        for fd in held:
            os.close(fd)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to become another user")
def test_a_user_who_could_not_raise_it_again_keeps_the_worker_out_of_the_idle_class() -> None:
    """Linux lets a process back from the idle class only with CAP_SYS_NICE or an RLIMIT_NICE reaching its
    niceness; without either, a waiting writer could not raise the worker, so it is not made idle at all."""
    script = (
        "import os, resource\n"
        "from igsn_graph.registry.restamp_worker import can_leave_idle\n"
        "print(can_leave_idle.__wrapped__(10))\n"  # root: CAP_SYS_NICE
        "resource.setrlimit(resource.RLIMIT_NICE, (0, 0))\n"
        "os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"  # imported first: nobody may not read the venv
        "print(can_leave_idle.__wrapped__(10))\n"
    )
    said = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    if said[0] != "True":
        pytest.skip("root here has no CAP_SYS_NICE")
    assert said == ["True", "False"]
