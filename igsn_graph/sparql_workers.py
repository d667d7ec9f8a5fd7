"""SPARQL queries in child processes that can be killed: slots, a per-client limit, a bounded queue, deadlines.

pyoxigraph cannot cancel a query, and ``oxigraph serve --timeout-s`` does not stop one either (measured: a
cross-product COUNT kept its CPU for minutes past a 2 s timeout). A query therefore runs in a worker process
(``sparql_worker``) that is killed when the query passes its time limit, when its client goes away, or when
the server stops. Killing costs a new process (~50 ms): a worker whose query nears its limit gets a standby
started beside it, so the slot it frees has a ready process at once and ``ASK {}`` answers right after any
number of runaway queries.

Fair use: at most ``workers`` queries run at once; beyond that, queries wait in one FIFO queue of at most
``queue`` entries for at most ``queue_wait_s`` (then ``EndpointBusy``, 503). A client (address, or account
when authenticated) has at most ``per_client`` queries running or waiting (then ``TooManyQueries``, 429).
Priority: a short query (a point lookup) runs at the server's priority, so on a busy machine it is not queued
behind every other process. Queries that run past ``nice_after_s`` are long; when more of them run than
``long_at_full_priority`` (one fewer than the processors: one long query leaves the server a core), each is
moved to a lower priority (its worker reniced by ``nice``), so the server's own work keeps its latency while
SPARQL is saturated. A reniced worker is put back to the server's priority when its query ends, or replaced
where the system does not allow that (no CAP_SYS_NICE).

Everything but the supervisor thread (standbys, reaping, and a last-resort kill of queries past their limit
whose request is gone) runs on the event loop of the request.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .errors import StorageFailure
from .sparql import EndpointBusy, QueryEvaluationError, QuerySyntaxError, QueryTimeout, TooManyQueries
from .sparql_worker import FRAME, frame

__all__ = ["Answer", "FixedSource", "PoolLimits", "QueryPool", "Source", "query_hash"]

log = logging.getLogger("igsn_graph.sparql")

#: body bytes gathered before the answer starts streaming (a smaller result is sent with a Content-Length)
STREAM_AFTER = 256 * 1024
#: the supervisor's period (s), and how long past its limit a query whose request is gone may run
TICK_S = 0.1
GRACE_S = 0.3


@dataclass(frozen=True)
class PoolLimits:
    workers: int = 4
    per_client: int = 2
    queue: int = 16
    queue_wait_s: float = 5.0
    timeout_s: float = 30.0
    #: niceness given to the workers of long queries (past ``nice_after_s``) when more than
    #: ``long_at_full_priority`` run at once (0: none)
    nice: int = 10
    nice_after_s: float = 0.1
    long_at_full_priority: int = max(1, (os.cpu_count() or 2) - 1)

    @property
    def standby_lead_s(self) -> float:
        """How long before a query's limit its standby worker is started."""
        return min(1.0, self.timeout_s / 2)


class Source(Protocol):
    """What workers read: ``spec`` is sent to a worker with each query (it reopens when it changes)."""

    async def spec(self) -> dict[str, Any]: ...

    def spec_now(self) -> dict[str, Any] | None: ...

    def hold(self, spec: dict[str, Any]) -> None: ...

    def release(self, spec: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


class FixedSource:
    """A source that never changes: a remote engine, or a store folder nobody writes (read-only mode)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self._spec = spec

    async def spec(self) -> dict[str, Any]:
        return self._spec

    def spec_now(self) -> dict[str, Any] | None:
        return self._spec

    def hold(self, spec: dict[str, Any]) -> None:
        pass

    def release(self, spec: dict[str, Any]) -> None:
        pass

    def close(self) -> None:
        pass


def query_hash(query: str) -> str:
    """What logs name a query by (its text may hold anything a client typed)."""
    return hashlib.sha256(query.encode("utf-8", "surrogatepass")).hexdigest()[:16]


class _Dead(Exception):
    """The worker process ended (killed, or crashed)."""


class _Unavailable(Exception):
    """No snapshot or no worker process could be had."""


#: the folder this package is imported from: the worker imports the same code, whatever the working folder
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[1])
_BOOT = "import sys; sys.path.insert(0, sys.argv.pop(1)); from igsn_graph.sparql_worker import run; run(sys.argv[1:])"


class _Worker:
    """One worker process and this process's ends of its pipes (requests, answers, lifeline)."""

    def __init__(self) -> None:
        req_r, req_w = os.pipe()
        ans_r, ans_w = os.pipe()
        life_r, life_w = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _BOOT, _PACKAGE_ROOT, str(req_r), str(ans_w), str(life_r), "0"],
                pass_fds=(req_r, ans_w, life_r),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
            )
        except BaseException:
            for fd in (req_r, req_w, ans_r, ans_w, life_r, life_w):
                os.close(fd)
            raise
        for fd in (req_r, ans_w, life_r):
            os.close(fd)
        os.set_blocking(req_w, False)
        os.set_blocking(ans_r, False)
        self.req, self.ans, self.life = req_w, ans_r, life_w
        self.buffer = bytearray()
        self.spec: dict[str, Any] | None = None
        self.eof = False
        self.closed = False
        #: reniced (a long query): set back to 0, or replaced, when the query ends
        self.reniced = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def send_now(self, data: bytes) -> bytes:
        """Writes what the pipe takes at once; returns the rest."""
        try:
            n = os.write(self.req, data)
        except BlockingIOError:
            return data
        except OSError:
            raise _Dead() from None
        return data[n:]

    async def send(self, data: bytes) -> None:
        rest = self.send_now(data)
        if not rest:
            return
        loop = asyncio.get_running_loop()
        while rest:
            ready = loop.create_future()
            loop.add_writer(self.req, _set, ready)
            try:
                await ready
            finally:
                loop.remove_writer(self.req)
            rest = self.send_now(rest)

    def _parse(self) -> tuple[bytes, bytes] | None:
        if len(self.buffer) < FRAME.size:
            return None
        kind, length = FRAME.unpack_from(self.buffer)
        if len(self.buffer) < FRAME.size + length:
            return None
        payload = bytes(self.buffer[FRAME.size : FRAME.size + length])
        del self.buffer[: FRAME.size + length]
        return kind, payload

    def _fill(self) -> bool:
        """Reads what is there; False when nothing was."""
        try:
            data = os.read(self.ans, 1 << 20)
        except BlockingIOError:
            return False
        except OSError:
            data = b""
        if not data:
            self.eof = True
            return True
        self.buffer += data
        return True

    async def frame(self) -> tuple[bytes, bytes]:
        """The next answer frame (``R``eady frames skipped); ``_Dead`` at the end of the pipe."""
        loop: asyncio.AbstractEventLoop | None = None
        while True:
            got = self._parse()
            if got is not None:
                if got[0] == b"R":
                    continue
                return got
            if self.eof:
                raise _Dead()
            if self._fill():
                continue
            loop = loop or asyncio.get_running_loop()
            readable = loop.create_future()
            loop.add_reader(self.ans, _set, readable)
            try:
                await readable
            finally:
                loop.remove_reader(self.ans)

    def kill(self) -> None:
        """SIGKILL (a worker holds nothing that needs closing: it only reads) and close our ends."""
        try:
            self.proc.kill()
        except OSError:
            pass
        self.close_pipes()

    def close_pipes(self) -> None:
        if not self.closed:
            self.closed = True
            for fd in (self.req, self.ans, self.life):
                try:
                    os.close(fd)
                except OSError:
                    pass


@dataclass
class _Job:
    worker: _Worker
    client: str
    query: str
    started: float
    deadline: float
    loop: asyncio.AbstractEventLoop
    ended: bool = False  # the worker is back in the pool, or stopped
    released: bool = False  # the slot and the client's count were given back

    @property
    def hash(self) -> str:
        return query_hash(self.query)  # only when it is logged: most queries never are


def _renice(worker: _Worker, niceness: int) -> bool:
    """Sets the worker process's niceness; False when the system refuses (or the process is gone)."""
    try:
        os.setpriority(os.PRIO_PROCESS, worker.pid, niceness)
    except OSError:
        return False
    return True


def _set(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


@dataclass
class Answer:
    """A query's answer: ``kind`` and ``media_type``; ``body`` complete, or ``streaming`` with more to come.

    ``media_type`` None: the result kind has none of the acceptable media types (406).
    """

    kind: str
    media_type: str | None
    body: bytes = b""
    streaming: bool = False
    _rest: AsyncGenerator[bytes, None] | None = field(default=None, repr=False)
    _abandon: Any = field(default=None, repr=False)

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body; raises (and so aborts a response under way) when the query fails or passes its limit."""
        finished = False
        try:
            if self.body:
                yield self.body
            if self._rest is not None:
                async for chunk in self._rest:
                    yield chunk
            finished = True
        finally:
            if not finished:
                await self.aclose()

    async def aclose(self) -> None:
        """Abandons the rest of a streamed answer: its worker is stopped and its slot freed."""
        if self._abandon is not None:
            self._abandon()
        if self._rest is not None:
            await self._rest.aclose()


class QueryPool:
    """Worker processes over one ``Source``. Use from one event loop at a time (the server's)."""

    def __init__(self, limits: PoolLimits, source: Source) -> None:
        self.limits = limits
        self.source = source
        self._lock = threading.RLock()
        self._idle: deque[_Worker] = deque()
        self._jobs: dict[int, _Job] = {}  # by worker pid
        self._dying: list[_Worker] = []
        self._running = 0  # slots taken (jobs, and admitted requests about to start one)
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._clients: dict[str, int] = {}
        self._used = False
        self._closed = False
        #: the server's own niceness: what workers run at, and go back to after a long query
        self._niceness = os.getpriority(os.PRIO_PROCESS, 0)
        self.killed = 0
        self.refused_client = 0
        self.refused_busy = 0
        self.answered = 0
        self._supervisor = threading.Thread(target=self._supervise, name="sparql-supervisor", daemon=True)
        self._supervisor.start()

    # -- admission (event loop only) ------------------------------------------------------------------
    async def _admit(self, client: str) -> None:
        if self._closed:
            raise EndpointBusy("the server is stopping", retry_after=5)
        if self._clients.get(client, 0) >= self.limits.per_client:
            self.refused_client += 1
            raise TooManyQueries(
                f"this client already has {self.limits.per_client} SPARQL queries running or "
                "waiting; wait for one to finish",
                retry_after=1,
            )
        self._clients[client] = self._clients.get(client, 0) + 1
        if self._running < self.limits.workers and not self._waiters:
            self._running += 1
            return
        retry = max(1, round(min(self.limits.timeout_s, 10)))
        if len(self._waiters) >= self.limits.queue:
            self._leave(client)
            self.refused_busy += 1
            raise EndpointBusy(
                "the SPARQL endpoint is saturated (every worker is busy and the queue is full)", retry_after=retry
            )
        ticket: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(ticket)
        try:
            await asyncio.wait_for(asyncio.shield(ticket), self.limits.queue_wait_s)
        except BaseException as exc:
            if ticket.done() and not ticket.cancelled():
                self._free_slot()  # the slot was handed over just as the wait ended: pass it on
            else:
                ticket.cancel()
                try:
                    self._waiters.remove(ticket)
                except ValueError:
                    pass
            self._leave(client)
            if isinstance(exc, TimeoutError):
                self.refused_busy += 1
                raise EndpointBusy(
                    f"the SPARQL endpoint is saturated (no worker became free within {self.limits.queue_wait_s:g} s)",
                    retry_after=retry,
                ) from None
            raise

    def _leave(self, client: str) -> None:
        left = self._clients.get(client, 0) - 1
        if left > 0:
            self._clients[client] = left
        else:
            self._clients.pop(client, None)

    def _free_slot(self) -> None:
        while self._waiters:
            ticket = self._waiters.popleft()
            if not ticket.done():
                ticket.set_result(None)  # the slot goes to the longest waiting request
                return
        self._running -= 1

    def _release(self, job: _Job) -> None:
        """Gives back the job's slot and its client's count, once (on the job's event loop)."""
        if job.released:
            return
        job.released = True
        self._leave(job.client)
        self._free_slot()

    def _release_soon(self, job: _Job) -> None:
        if threading.current_thread() is not self._supervisor:
            self._release(job)
            return
        try:
            job.loop.call_soon_threadsafe(self._release, job)
        except RuntimeError:  # that loop is closed: nobody waits on it any more
            job.released = True

    # -- workers ----------------------------------------------------------------------------------
    def _spawn(self, spec: dict[str, Any] | None) -> _Worker:
        worker = _Worker()
        if spec is not None:  # open the store before the first query arrives
            try:
                if not worker.send_now(frame(b"O", json.dumps(spec).encode())):
                    worker.spec = spec
                    self.source.hold(spec)
            except _Dead:
                pass
        return worker

    def _take_worker(self) -> _Worker:
        """The idle worker that answered last (its caches are warm; standbys wait at the other end)."""
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.proc.poll() is None:
                    return worker
                self._discard(worker)
        return self._spawn(None)

    def _discard(self, worker: _Worker) -> None:
        """Kills a worker and forgets it (the supervisor reaps the process)."""
        worker.kill()
        if worker.spec is not None:
            self.source.release(worker.spec)
            worker.spec = None
        with self._lock:
            self._dying.append(worker)

    def _stop_job(self, job: _Job, reason: str) -> None:
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

    def _end_job(self, job: _Job, worker_ok: bool) -> None:
        """The query is over: its worker goes back to the pool (or away) and the slot is freed."""
        with self._lock:
            if job.ended:
                return
            job.ended = True
            self._jobs.pop(job.worker.pid, None)
            if worker_ok and job.worker.reniced:
                worker_ok = _renice(job.worker, self._niceness)
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
        await self._admit(client)
        self._used = True
        loop = asyncio.get_running_loop()
        job: _Job | None = None
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
            job = _Job(worker, client, request["query"], now, now + self.limits.timeout_s, loop)
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
        except _Dead:
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
                self._leave(client)
                self._free_slot()
            if isinstance(exc, _Unavailable):
                raise StorageFailure(f"the query could not be started: {exc}") from None
            raise

    async def _first(self, job: _Job) -> Answer:
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
                self._end_job(job, worker_ok=True)
                raise _error(json.loads(payload))

    async def _rest(self, job: _Job) -> AsyncGenerator[bytes, None]:
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
                        self._end_job(job, worker_ok=True)
                        raise _error(json.loads(payload))
        except TimeoutError:
            self._stop_job(job, f"past the time limit of {self.limits.timeout_s:g} s (while streaming)")
            raise QueryTimeout(f"the query ran longer than the limit of {self.limits.timeout_s:g} s") from None
        except _Dead:
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
        long = [j for j in jobs if not j.ended and now - j.started >= self.limits.nice_after_s]
        if self.limits.nice and len(long) > self.limits.long_at_full_priority:
            for job in long:
                with self._lock:
                    if not job.ended and not job.worker.reniced:  # (a worker back in the pool stays as it is)
                        job.worker.reniced = _renice(job.worker, self._niceness + self.limits.nice)
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
                except _Dead:
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
                "queued": len(self._waiters),
                "killed": self.killed,
                "refused_client": self.refused_client,
                "refused_busy": self.refused_busy,
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
        for ticket in list(self._waiters):
            if not ticket.done():
                ticket.cancel()
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


def _error(payload: dict[str, str]) -> Exception:
    kind, message = payload.get("error"), payload.get("message", "")
    if kind == "syntax":
        return QuerySyntaxError(message)
    if kind == "storage":
        return StorageFailure(message)
    return QueryEvaluationError(f"the query could not be evaluated: {message}")
