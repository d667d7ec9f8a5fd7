"""The SPARQL query pool: worker processes over one ``Source``, a job per running query, idle and standby
workers, and the supervisor thread (standbys, reaping, a last-resort kill of queries past their limit whose
request is gone, renicing long queries). Slots and queueing are ``FairUse``'s."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import threading
import time
from collections import deque
from collections.abc import AsyncGenerator
from typing import Any

from ..errors import StorageFailure
from ..sparql import QueryTimeout
from ..sparql_worker import frame
from .answer import STREAM_AFTER, Answer, error_of
from .fair_use import FairUse
from .job import Job
from .limits import PoolLimits
from .priority import lower_long_queries, renice
from .process import Worker, WorkerGone
from .source import Source

__all__ = ["QueryPool"]

log = logging.getLogger("igsn_graph.sparql")

#: the supervisor's period (s), and how long past its limit a query whose request is gone may run
TICK_S = 0.1

GRACE_S = 0.3


class _Unavailable(Exception):
    """No snapshot or no worker process could be had."""


class QueryPool:
    """Worker processes over one ``Source``. Use from one event loop at a time (the server's)."""

    def __init__(self, limits: PoolLimits, source: Source) -> None:
        self.limits = limits
        self.source = source
        self._lock = threading.RLock()
        self.fair_use = FairUse(limits)
        self._idle: deque[Worker] = deque()
        self._jobs: dict[int, Job] = {}  # by worker pid
        self._dying: list[Worker] = []
        self._used = False
        self._closed = False
        #: the server's own niceness: what workers run at, and go back to after a long query
        self._niceness = os.getpriority(os.PRIO_PROCESS, 0)
        self.killed = 0
        self.answered = 0
        self._supervisor = threading.Thread(target=self._supervise, name="sparql-supervisor", daemon=True)
        self._supervisor.start()

    # -- slots (event loop only) ----------------------------------------------------------------------
    def _release(self, job: Job) -> None:
        """Gives back the job's slot and its client's count, once (on the job's event loop)."""
        if job.released:
            return
        job.released = True
        self.fair_use.release(job.client)

    def _release_soon(self, job: Job) -> None:
        if threading.current_thread() is not self._supervisor:
            self._release(job)
            return
        try:
            job.loop.call_soon_threadsafe(self._release, job)
        except RuntimeError:  # that loop is closed: nobody waits on it any more
            job.released = True

    # -- workers ----------------------------------------------------------------------------------
    def _spawn(self, spec: dict[str, Any] | None) -> Worker:
        worker = Worker()
        if spec is not None:  # open the store before the first query arrives
            try:
                if not worker.send_now(frame(b"O", json.dumps(spec).encode())):
                    worker.spec = spec
                    self.source.hold(spec)
            except WorkerGone:
                pass
        return worker

    def _take_worker(self) -> Worker:
        """The idle worker that answered last (its caches are warm; standbys wait at the other end)."""
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.proc.poll() is None:
                    return worker
                self._discard(worker)
        return self._spawn(None)

    def _discard(self, worker: Worker) -> None:
        """Kills a worker and forgets it (the supervisor reaps the process)."""
        worker.kill()
        if worker.spec is not None:
            self.source.release(worker.spec)
            worker.spec = None
        with self._lock:
            self._dying.append(worker)

    def _stop_job(self, job: Job, reason: str) -> None:
        """Kills the job's worker (its query stops costing anything) and frees the slot."""
        with self._lock:
            if job.ended:
                return
            job.ended = True
            self._jobs.pop(job.worker.pid, None)
            self.killed += 1
        self._discard(job.worker)
        log.warning(
            "SPARQL query %s from %s stopped after %.2f s: %s",
            job.hash,
            job.client,
            time.monotonic() - job.started,
            reason,
        )
        self._release_soon(job)

    def _end_job(self, job: Job, worker_ok: bool) -> None:
        """The query is over: its worker goes back to the pool (or away) and the slot is freed."""
        with self._lock:
            if job.ended:
                return
            job.ended = True
            self._jobs.pop(job.worker.pid, None)
            if worker_ok and job.worker.reniced:
                worker_ok = renice(job.worker, self._niceness)
                job.worker.reniced = not worker_ok
            if worker_ok and not self._closed:
                self._idle.append(job.worker)
        if not worker_ok:
            self._discard(job.worker)
        self._release_soon(job)

    # -- running a query (event loop) ---------------------------------------------------------------
    async def run(self, client: str, request: dict[str, Any]) -> Answer:
        """Runs ``request`` (see ``sparql_worker``; ``source`` is added here) for ``client``.

        Raises ``TooManyQueries``, ``EndpointBusy``, ``QueryTimeout``, ``QuerySyntaxError``,
        ``QueryEvaluationError`` or ``StorageFailure``. A streaming answer holds its slot until it is read
        to the end or closed.
        """
        await self.fair_use.admit(client)
        self._used = True
        loop = asyncio.get_running_loop()
        job: Job | None = None
        try:
            try:
                spec = await self.source.spec()
                worker = self._take_worker()
            except OSError as exc:  # no checkpoint (disk full…), no new process (too many open files…)
                raise _Unavailable(str(exc)) from None
            if worker.spec != spec:
                if worker.spec is not None:
                    self.source.release(worker.spec)
                self.source.hold(spec)
                worker.spec = spec
            now = time.monotonic()
            job = Job(worker, client, request["query"], now, now + self.limits.timeout_s, loop)
            with self._lock:
                self._jobs[worker.pid] = job
            payload = json.dumps({**request, "source": spec}).encode("utf-8")
            async with asyncio.timeout_at(loop.time() + self.limits.timeout_s):
                await worker.send(frame(b"Q", payload))
                return await self._first(job)
        except TimeoutError:
            assert job is not None
            self._stop_job(job, f"past the time limit of {self.limits.timeout_s:g} s")
            raise QueryTimeout(f"the query ran longer than the limit of {self.limits.timeout_s:g} s") from None
        except WorkerGone:
            assert job is not None
            self._end_job(job, worker_ok=False)
            if time.monotonic() >= job.deadline:  # stopped by the supervisor
                raise QueryTimeout(f"the query ran longer than the limit of {self.limits.timeout_s:g} s") from None
            raise StorageFailure("the query worker stopped before it answered") from None
        except BaseException as exc:
            if job is not None:
                self._stop_job(
                    job,
                    "its client went away"
                    if isinstance(exc, asyncio.CancelledError)
                    else f"an error in the server ({type(exc).__name__})",
                )
            else:
                self.fair_use.release(client)
            if isinstance(exc, _Unavailable):
                raise StorageFailure(f"the query could not be started: {exc}") from None
            raise

    async def _first(self, job: Job) -> Answer:
        """Frames until the answer is complete (sent with a length) or large enough to stream."""
        head: dict[str, Any] | None = None
        body = bytearray()
        while True:
            kind, payload = await job.worker.frame()
            if kind == b"H":
                head = json.loads(payload)
            elif kind == b"D" and head is not None:
                body += payload
                if len(body) >= STREAM_AFTER:
                    return Answer(
                        head["kind"],
                        head["media_type"],
                        bytes(body),
                        streaming=True,
                        _rest=self._rest(job),
                        _abandon=lambda: self._stop_job(job, "its answer was abandoned"),
                    )
            elif kind == b"E" and head is not None:
                self._end_job(job, worker_ok=True)
                self.answered += 1
                return Answer(head["kind"], head["media_type"], bytes(body))
            elif kind == b"N":
                self._end_job(job, worker_ok=True)
                return Answer(json.loads(payload)["kind"], None)
            elif kind == b"X":
                raise self._failed(job, payload)

    def _failed(self, job: Job, payload: bytes) -> Exception:
        """The worker reported an error (``X``): it goes back to the pool; a query that a remote engine stopped at
        its own time limit is counted and logged as a stopped query."""
        error = json.loads(payload)
        if error.get("error") == "timeout":
            with self._lock:
                self.killed += 1
            log.warning(
                "SPARQL query %s from %s stopped after %.2f s: %s",
                job.hash,
                job.client,
                time.monotonic() - job.started,
                "past the engine's own time limit",
            )
        self._end_job(job, worker_ok=True)
        return error_of(error)

    async def _rest(self, job: Job) -> AsyncGenerator[bytes, None]:
        """The rest of a streamed answer, within the query's time limit."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout_at(loop.time() + (job.deadline - time.monotonic())):
                while True:
                    kind, payload = await job.worker.frame()
                    if kind == b"D":
                        yield payload
                    elif kind == b"E":
                        self._end_job(job, worker_ok=True)
                        self.answered += 1
                        return
                    elif kind == b"X":
                        raise self._failed(job, payload)
        except TimeoutError:
            self._stop_job(job, f"past the time limit of {self.limits.timeout_s:g} s (while streaming)")
            raise QueryTimeout(f"the query ran longer than the limit of {self.limits.timeout_s:g} s") from None
        except WorkerGone:
            self._end_job(job, worker_ok=False)
            raise StorageFailure("the query worker stopped while streaming") from None
        finally:
            self._stop_job(job, "its client stopped reading")  # nothing when the query ended above

    # -- supervisor -------------------------------------------------------------------------------
    def _supervise(self) -> None:
        while not self._closed:
            time.sleep(TICK_S)
            try:
                self._tick()
            except Exception:
                log.exception("SPARQL worker supervisor")

    def _tick(self) -> None:
        now = time.monotonic()
        with self._lock:
            jobs = list(self._jobs.values())
            dying, self._dying = self._dying, []
            self._dying = [w for w in dying if w.proc.poll() is None]  # reaped when they are gone
            idle = len(self._idle)
        for job in jobs:
            if now > job.deadline + GRACE_S:  # its request no longer watches it
                self._stop_job(job, f"past the time limit of {self.limits.timeout_s:g} s (supervisor)")
        lower_long_queries(jobs, self.limits, self._niceness, now, self._lock)
        if not self._used or self._closed:
            return
        busy = sum(1 for j in jobs if not j.ended)
        at_risk = sum(1 for j in jobs if not j.ended and now >= j.deadline - self.limits.standby_lead_s)
        wanted = min(self.limits.workers, max(0, min(1, self.limits.workers - busy) + at_risk))
        for _ in range(wanted - idle):
            worker = self._spawn(self.source.spec_now())
            with self._lock:
                if self._closed:
                    worker.kill()
                    break
                self._idle.appendleft(worker)  # taken after the warm ones
        self._refresh_idle()

    def _refresh_idle(self) -> None:
        """Idle workers open the current checkpoint ahead of their next query: a standby that waits long
        behind the warm worker does not keep an old checkpoint's files on disk meanwhile."""
        spec = self.source.spec_now()
        if spec is None:
            return
        opened = frame(b"O", json.dumps(spec).encode())
        left: list[dict[str, Any]] = []
        with self._lock:  # an idle worker is not taken meanwhile; "O" goes before any query it gets next
            for worker in self._idle:
                if worker.spec is None or worker.spec == spec:
                    continue
                try:
                    if worker.send_now(opened):  # a short frame goes whole or not at all
                        continue
                except WorkerGone:
                    continue
                self.source.hold(spec)
                left.append(worker.spec)
                worker.spec = spec
        for old in left:
            self.source.release(old)  # (may remove that checkpoint: outside the lock)

    # -- state ------------------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self._closed

    def stats(self) -> dict[str, int]:
        """Saturation, for /health."""
        with self._lock:
            busy = sum(1 for j in self._jobs.values() if not j.ended)
            return {
                "workers": busy + len(self._idle),
                "busy": busy,
                "limit": self.limits.workers,
                "queued": self.fair_use.queued,
                "killed": self.killed,
                "refused_client": self.fair_use.refused_client,
                "refused_busy": self.fair_use.refused_busy,
                "answered": self.answered,
            }

    def pids(self) -> tuple[list[int], list[int]]:
        """The worker processes (idle, busy): a test checks that a stopped query's process is gone."""
        with self._lock:
            return [w.pid for w in self._idle], list(self._jobs)

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        """Stops every worker (the ``Executor`` signature: the app's lifespan stops the pool as it would one)."""
        with self._lock:
            self._closed = True
            workers = list(self._idle) + [j.worker for j in self._jobs.values()]
            self._idle.clear()
            self._jobs.clear()
        self.fair_use.close()
        for worker in workers:
            self._discard(worker)
        if wait:
            self._supervisor.join(timeout=5)
        for worker in self._dying:
            try:
                worker.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.source.close()
