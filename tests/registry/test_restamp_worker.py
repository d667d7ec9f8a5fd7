"""A server's restamp stamps its batches in a worker process (SQLite) at a lower priority, the server's write
lock held for each batch, a batch whole or not at all when the worker dies, resumed afterwards."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from igsn_graph.db import SCHEMA_VERSION
from igsn_graph.index.rebuild import verify
from igsn_graph.registry import restamp, restamp_worker
from igsn_graph.registry.restamp_worker import BatchWorker, WorkerFailed
from igsn_graph.registry.service import Registry
from tests.registry.test_restamp import _everything, _populate, _search_datestamp, _stale, _versions

pytestmark = [pytest.mark.both_stores, pytest.mark.sqlite_only("the worker process stamps SQLite registries")]


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
        assert _search_datestamp(registry, name) == row.datestamp
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
    with registry.db.write() as conn:  # the search rows' update fails after the catalogue's, in one transaction
        conn.execute(
            "CREATE TRIGGER crash BEFORE UPDATE OF datestamp ON search_doc BEGIN SELECT RAISE(ABORT, 'killed'); END"
        )
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
        conn.execute(
            "CREATE TRIGGER crash BEFORE UPDATE OF datestamp ON search_doc BEGIN SELECT RAISE(ABORT, 'killed'); END"
        )
    runner = restamp.Restamper(registry, batch=len(names))
    assert runner.start()
    _wait(lambda: not runner.running, "the run did not stop")
    with registry.db.write() as conn:
        conn.execute("DROP TRIGGER crash")
    assert isinstance(runner.error, WorkerFailed)
    assert registry.db.get_meta("inflight") is None
