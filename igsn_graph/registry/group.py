"""Group commit: single-record writes that arrive while a write is under way are done together, as one batch.

Leader/follower, without a thread of its own: a writer queues its request; if no group is under way it
becomes the leader, takes the queued requests (its own among them, in arrival order) and processes them as
one group; the others wait until their request is finished, or until the leader hands over to the oldest
request still queued, whose writer leads the next group. Each writer waits on its own event and is woken
once — when its request is done, or to lead — never by every group's end (16 writers woken per group
cost the leader the GIL 16 times). A lone writer pays one queue append. What a group costs once (a SHACL
run, a datestamp reservation, three SQLite commits and a graph transaction) is then shared by all its requests.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["GroupQueue", "GroupStats", "Request"]

T = TypeVar("T")


@dataclass
class GroupStats:
    """What the group commit did since the registry opened (for tests and benchmarks)."""

    #: groups processed
    batches: int = 0
    #: requests in them
    requests: int = 0
    #: the most requests in one group
    largest: int = 0
    #: requests submitted and not finished yet (queued, or in the group under way)
    waiting: int = 0


class Request(Generic[T]):
    """One queued write; finished exactly once, with its own result or its own exception."""

    def __init__(self) -> None:
        self._finished = False
        self._result: T | None = None
        self._error: BaseException | None = None
        #: set once its writer must look again: the request is done, or its writer leads the next group
        self._woken = threading.Event()

    @property
    def finished(self) -> bool:
        return self._finished

    def succeed(self, result: T) -> None:
        if not self._finished:
            self._result, self._finished = result, True

    def fail(self, error: BaseException, *, shared: bool = False) -> None:
        """``shared``: the same failure ends several requests (each caller raises its own copy)."""
        if not self._finished:
            if shared:
                try:
                    error = copy.copy(error)
                except Exception:  # noqa: BLE001, S110 - an uncopyable exception is raised as it is
                    pass
            self._error, self._finished = error, True

    def outcome(self) -> T:
        if self._error is not None:
            raise self._error
        return self._result  # type: ignore[return-value]  # finished without an error: the result is set


class GroupQueue(Generic[T]):
    """Requests waiting for a group; ``process`` must finish every request of the group it is given."""

    def __init__(self, process: Callable[[list[Request[T]]], None], *, limit: int = 64) -> None:
        self._process = process
        self._limit = limit
        self._queue: list[Request[T]] = []
        self._leading = False
        self._lock = threading.Lock()
        self.stats = GroupStats()

    def submit(self, request: Request[T]) -> T:
        """Queues ``request`` and returns its result (or raises its error) once a group has done it."""
        with self._lock:
            self._queue.append(request)
            self.stats.waiting += 1
            lead = not self._leading  # nobody leads: the queue held nothing, this request is its head
            self._leading = True
        if not lead:
            request._woken.wait()
            if request.finished:
                return request.outcome()
            # handed over: this request is the oldest queued, so it is in the group taken next
        with self._lock:
            group = self._queue[: self._limit]
            del self._queue[: self._limit]
        try:
            self.run(group)
        finally:
            with self._lock:
                self.stats.waiting -= len(group)
                if self._queue:
                    self._queue[0]._woken.set()  # the next leader (its request is not finished: not taken yet)
                else:
                    self._leading = False
            for done in group:
                done._woken.set()
        return request.outcome()

    def run(self, group: list[Request[T]]) -> None:
        """Processes ``group`` in this thread; a request ``process`` left unfinished gets its error."""
        self.stats.batches += 1
        self.stats.requests += len(group)
        self.stats.largest = max(self.stats.largest, len(group))
        try:
            self._process(group)
        except Exception as exc:  # noqa: BLE001 - every request of the group gets it; the leader carries on
            for request in group:
                request.fail(exc, shared=True)
        except BaseException as exc:  # KeyboardInterrupt, SystemExit: this thread stops, the others do not hang
            for request in group:
                request.fail(exc, shared=True)
            raise
        finally:
            for request in group:
                request.fail(RuntimeError("the write was not processed"))
