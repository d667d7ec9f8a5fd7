"""A server's restamp batches in a process of their own (SQLite registries).

Run in a thread of the server, a batch's SQL gave the interpreter lock back and took it again for every statement
(some thirty per batch), and each time it took it the event loop answering the resolver's requests was made to
stop for it. The worker process has a lock of its own. It runs at the niceness the thread had (``lower``), in the
server's session: where Linux shares the processor between sessions first (autogroup), it then takes its share
from the server's, as the thread did, and not from the rest of the machine (a session of its own at a lower
priority yielded to every other process too: at load 4 on two cores it stamped 5,500 records/s with no request
coming in, the thread 10,000-30,000).

Where the system lets it come back (``can_leave_idle``), the worker also runs in Linux's idle scheduling class: on a
processor only while nothing else wants one, a request's wake-up taking it back at once (niceness alone left it a
share of the server's time while requests waited: resolver p99 during a restamp x1.59 of after it, median of eight
rounds, against x1.22 idle). But it stamps under the server's write lock, so a writer must never wait on a process
that gets no processor time: the worker is raised to normal scheduling (at its niceness) for the rest of a batch
when a writer of this process waits for the lock (``WriteLock.waiters_call``), or when the batch has not answered
within ``BOOST_AFTER`` (writers of other processes, a busy machine), and goes back to idle after it.

The server's thread keeps everything but the batch: the write lock, held while the worker stamps a batch (so a
registration never sees a batch half done, nor a batch a registration half done), the walk's start and end,
its pacing, progress and stop. The worker reads one position at a time from its input and answers how many
records it stamped and the next position, one JSON line each (``BatchWorker.step``). A batch is one
transaction of the worker's connection, so a worker killed halfway leaves none of it; the server's run then
stops with an error and resumes at its next start. The worker ends when its input does (the server closed it,
or died).
"""

from __future__ import annotations

import ctypes
import functools
import json
import os
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

if TYPE_CHECKING:
    from ..iris import Iris
    from ..store.base import GraphStore

__all__ = ["BOOST_AFTER", "BatchWorker", "WorkerFailed", "can_leave_idle", "lower", "main"]

#: seconds a batch may take in the idle class before the worker is raised to normal scheduling for the rest of it
#: (a batch of 5,000 takes 30-160 ms on an idle processor at a million records): bounds how long a writer of
#: another process, or the server's stop, waits behind a batch on a machine with no processor time to spare
BOOST_AFTER = 1.0

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_BOOT = (
    "import sys; sys.path.insert(0, sys.argv.pop(1)); "
    "from igsn_graph.registry.restamp_worker import main; main(sys.argv[1:])"
)


class WorkerFailed(RuntimeError):
    """The worker ended or failed before answering a batch: nothing of that batch was kept."""


def lower(pid: int, niceness: int) -> bool:
    """Lowers process (or, on Linux, thread) ``pid`` to ``niceness`` unless it is lower already; False where the
    system has no such thing or refuses."""
    try:
        if os.getpriority(os.PRIO_PROCESS, pid) < niceness:
            os.setpriority(os.PRIO_PROCESS, pid, niceness)
    except (AttributeError, OSError):
        return False
    return True


def _policy(pid: int, policy: int) -> bool:
    try:
        os.sched_setscheduler(pid, policy, os.sched_param(0))
    except (AttributeError, OSError):
        return False
    return True


@functools.cache
def can_leave_idle(niceness: int) -> bool:
    """Whether a process of this user at ``niceness`` may go back from the idle scheduling class to normal
    scheduling: Linux allows it to a process with CAP_SYS_NICE, or whose RLIMIT_NICE reaches that niceness.
    Tried once, on a thread of its own that ends with the trial (whichever way it went)."""
    if not hasattr(os, "SCHED_IDLE"):
        return False
    answer: list[bool] = []

    def trial() -> None:
        own = threading.get_native_id()
        answer.append(lower(own, niceness) and _policy(own, os.SCHED_IDLE) and _policy(own, os.SCHED_OTHER))

    thread = threading.Thread(target=trial, name="igsn-graph-idle-trial")
    thread.start()
    thread.join()
    return answer == [True]


class BatchWorker:
    """The worker process of one run over the registry database at ``path``, ``batch`` records a step.

    ``boost_after``: seconds a batch may take in the idle class before the worker is raised for the rest of it."""

    def __init__(self, path: Path, batch: int, *, niceness: int, boost_after: float = BOOST_AFTER) -> None:
        from ..db import SCHEMA_VERSION

        self.proc = subprocess.Popen(
            [sys.executable, "-c", _BOOT, _PACKAGE_ROOT, str(path), str(batch), str(os.getpid()), str(SCHEMA_VERSION)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.lowered = lower(self.proc.pid, niceness)
        #: whether it may go in the idle class once started (only where it may be raised again: else a waiting
        #: writer could not); it starts, and ends, at its niceness, so that neither a start nor a stop waits on it
        self._may_idle = self.lowered and can_leave_idle(niceness)
        #: in the idle class between boosts
        self.idle = False
        self.boost_after = boost_after
        #: batches raised to normal scheduling before they answered (a writer waited, or ``boost_after`` passed)
        self.boosts = 0
        self._boosted = False
        self._in_batch = False  # a boost outside a batch (a writer's late call) does nothing
        self._scheduling = threading.Lock()  # a waiting writer's thread boosts, the run's thread settles and closes
        self._started = False

    def boost(self) -> None:
        """Raises the worker to normal scheduling (at its niceness) until its batch answers: a writer waits for
        the lock it stamps under, or the batch took too long. Never raises (a waiting writer's thread calls it)."""
        with self._scheduling:
            if self.idle and self._in_batch and not self._boosted:
                self._boosted = _policy(self.proc.pid, os.SCHED_OTHER)
                self.boosts += self._boosted

    def _settle(self) -> None:
        """The batch is over: back to the idle class if it was raised."""
        with self._scheduling:
            self._in_batch = False
            if self._boosted:
                _policy(self.proc.pid, os.SCHED_IDLE)
                self._boosted = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def ready(self, timeout: float = 60.0) -> None:
        """Waits until the worker has started (its interpreter, imports and database: ~0.3 s of a processor, more
        at its priority on a busy machine), so that its start is not taken for its first batch's time, after which
        the run rests as long (``restamp.rest_after``); then puts it in the idle class where it may. ``WorkerFailed``
        when it did not start (within ``timeout``)."""
        if self._started:
            return
        stdout = cast(IO[bytes], self.proc.stdout)
        line = stdout.readline() if _readable(stdout, timeout) else b""
        try:
            said = json.loads(line or b"null")
        except ValueError:
            said = None
        if said != "ready":
            self.kill()
            message = said.get("error") if isinstance(said, dict) else None
            raise WorkerFailed(f"the restamp worker did not start ({message or f'exit status {self.proc.returncode}'})")
        self._started = True
        with self._scheduling:
            self.idle = self._may_idle and _policy(self.proc.pid, os.SCHED_IDLE)

    def step(self, after: str) -> tuple[int, str]:
        """Stamps the batch after ``after`` (the caller holds the write lock); how many records, and the new
        position. ``WorkerFailed`` when the worker failed or is gone."""
        self.ready()
        with self._scheduling:
            self._in_batch = True
        try:
            line = self._ask(after)
            answer = json.loads(line) if line else None
        except BaseException:
            self.kill()  # whatever went wrong here, no batch may commit once the caller has let the lock go
            raise
        finally:
            self._settle()
        if answer is None:
            raise WorkerFailed(f"the restamp worker ended (exit status {self.proc.wait()})")
        if isinstance(answer, dict):
            raise WorkerFailed(f"the restamp worker failed: {answer.get('error')}")
        count, last = answer
        return int(count), str(last)

    def _ask(self, after: str) -> bytes:
        """Sends the position, waits for the answer line (raising the worker if it takes ``boost_after``)."""
        stdin, stdout = cast(IO[bytes], self.proc.stdin), cast(IO[bytes], self.proc.stdout)
        try:
            stdin.write(json.dumps(after).encode() + b"\n")
            stdin.flush()
        except OSError as exc:  # gone (a broken pipe)
            raise WorkerFailed(f"the restamp worker is gone ({exc})") from None
        if self.idle and not _readable(stdout, self.boost_after):
            self.boost()
        return stdout.readline()

    def kill(self) -> None:
        """Ends the worker at once (a batch under way is rolled back with it) and waits until it is gone."""
        with self._scheduling:
            self.idle = False
            self.proc.kill()
            self.proc.wait()

    def close(self, timeout: float = 30.0) -> None:
        """Ends the worker (its input closed: it stops after the batch under way, if any), raised out of the idle
        class first so that its end does not wait for a processor nothing else wants."""
        with self._scheduling:
            if self.idle:
                _policy(self.proc.pid, os.SCHED_OTHER)
            self.idle = False  # no boost after this: the process may be gone, its pid reused
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _readable(stream: IO[bytes], timeout: float) -> bool:
    """Whether ``stream`` has something to read (or its end) within ``timeout`` seconds (``poll``: any descriptor
    number, where ``select`` refuses those past 1024)."""
    poller = select.poll()
    poller.register(stream.fileno(), select.POLLIN)
    return bool(poller.poll(max(timeout, 0.0) * 1000))


def die_with(parent: int) -> None:
    """Killed when the thread that started this process ends (Linux ``PR_SET_PDEATHSIG``), and gone at once if
    ``parent`` already has: a worker outliving its server would commit a batch after the server's write lock was
    released, under a datestamp older than one a new writer may have issued meanwhile."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    except (AttributeError, OSError):
        pass  # not Linux: the parent check and the closed input remain
    if os.getppid() != parent:
        raise SystemExit(1)


def _refuse(out: IO[str], message: str) -> None:
    out.write(json.dumps({"error": message}) + "\n")
    out.flush()
    raise SystemExit(1)


def main(argv: list[str]) -> None:
    """The worker: ``PATH BATCH PARENT SCHEMA``; positions in on standard input, answers out on standard output."""
    from ..db import SCHEMA_VERSION, Database, connect_read_only
    from .journal import Journal
    from .restamp import stamp_batch, writer_cache

    # the server's session's interrupt (Ctrl-C) stops the server, which ends this worker between batches
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    path, batch, parent, schema = Path(argv[0]), int(argv[1]), int(argv[2]), int(argv[3])
    die_with(parent)
    out = sys.stdout
    # opening the database brings an older schema up to date: never from here, outside the server's write lock,
    # nor with code other than the server's (a package upgraded under a running server)
    probe = connect_read_only(path)
    try:
        found = probe.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    finally:
        probe.close()
    if schema != SCHEMA_VERSION or found is None or int(found[0]) != schema:
        _refuse(out, f"schema {found and found[0]} on disk, {schema} in the server, {SCHEMA_VERSION} in this code")
    db = Database(path)
    # only its reservation of datestamps is used, which reads and writes the database alone
    journal = Journal(db, cast("GraphStore", None), cast("Iris", None))
    out.write(json.dumps("ready") + "\n")
    out.flush()
    try:
        with writer_cache(db):
            for line in sys.stdin.buffer:
                count, last = stamp_batch(db, journal, json.loads(line), batch)
                out.write(json.dumps([count, last]) + "\n")
                out.flush()
    except Exception as exc:  # the server raises it (WorkerFailed); the batch under way was rolled back
        try:
            out.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
            out.flush()
        except OSError:
            pass  # the server is gone
        raise SystemExit(1) from None
    finally:
        db.close()
