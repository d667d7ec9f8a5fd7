"""Group commit: single-record writes that arrive while a write is under way are done together, as groups.

One committer thread, started when a write is queued and none runs (it ends after ``idle_s`` without work),
takes the queued requests in arrival order, ``limit`` at a time, and processes them as a group; the writers
wait, each on its own event, woken once when its request is done (never by every group's end: 16 writers
woken per group cost the committer the GIL 16 times). The committer goes on with the groups queued
meanwhile (``Leading.more``, up to ``rounds`` groups while it holds the write lock, so that writers of
other kinds get their turn), which lets it check the next group while the previous one is written and
answer each group as soon as it is committed (``Leading.wake``; ``registry.group_commit``). No writer's
own answer waits for other groups, as it would if a writer's thread led them. What a group costs once (a
SHACL run, a datestamp reservation, SQLite commits and a graph transaction) is shared by its requests.
"""

from __future__ import annotations

import copy
import os
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = ["GroupQueue", "GroupStats", "Leading", "Request"]

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


class _Latch:
    """Set once, waited for by one thread: a held lock its setter releases (``threading.Event``'s condition and
    notify cost the committer several times as much per request)."""

    __slots__ = ("_lock", "_set")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()
        self._set = False

    def set(self) -> None:
        if not self._set:
            self._set = True
            self._lock.release()

    def is_set(self) -> bool:
        return self._set

    def wait(self) -> None:
        self._lock.acquire()


class Request(Generic[T]):
    """One queued write; finished exactly once, with its own result or its own exception."""

    def __init__(self) -> None:
        self._finished = False
        self._result: T | None = None
        self._error: BaseException | None = None
        #: set once its writer must look again: the request is done, or its writer leads the next group
        self._woken = _Latch()

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

    def reset(self) -> None:
        """Unfinished again, for a leader that must check it anew (its caller was not woken yet)."""
        self._finished, self._result, self._error = False, None, None

    def outcome(self) -> T:
        if self._error is not None:
            raise self._error
        return self._result  # type: ignore[return-value]  # finished without an error: the result is set


class Leading(Generic[T]):
    """What the committer may do besides processing its group: take the groups queued since (``more``) and wake
    the callers of the requests it has finished (``wake``); every request taken is woken at the end anyway."""

    def __init__(self, queue: GroupQueue[T] | None, taken: list[Request[T]], rounds: int) -> None:
        self._queue = queue
        self._taken = taken
        self._rounds = rounds

    def more(self) -> list[Request[T]]:
        """The next group from the queue (in arrival order), or [] when none is queued or the committer has had
        its rounds under this hold of the write lock."""
        if self._queue is None or self._rounds <= 1:
            return []
        group = self._queue._take()
        if group:
            self._rounds -= 1
            self._taken += group
        return group

    def wake(self, requests: list[Request[T]]) -> None:
        """Wakes the callers of those ``requests`` that are finished."""
        if self._queue is not None:
            self._queue._wake(requests)


class GroupQueue(Generic[T]):
    """Requests waiting for a group; ``process(group, leading)`` must finish every request it is given or takes."""

    def __init__(
        self,
        process: Callable[[list[Request[T]], Leading[T]], None],
        *,
        limit: int = 64,
        rounds: int = 1,
        idle_s: float = 1.0,
    ) -> None:
        self._process = process
        self._limit = limit
        self._rounds = rounds
        self._idle_s = idle_s
        self.stats = GroupStats()
        self._forget_committer()
        _QUEUES.add(self)

    def _forget_committer(self) -> None:
        """No committer, nothing queued (also in a forked child, which has none of its parent's threads)."""
        self.stats.waiting = 0
        self._queue: list[Request[T]] = []
        self._committer: threading.Thread | None = None
        #: the committer waits for work; a request queued then is handed to it as a group (``_handed``)
        self._idle = False
        self._handed: list[Request[T]] = []
        self._work = threading.Condition()

    def submit(self, request: Request[T]) -> T:
        """Queues ``request`` and returns its result (or raises its error) once a group has done it."""
        with self._work:
            self._queue.append(request)
            self.stats.waiting += 1
            # no group under way: this request is a group alone, taken now (the committer may take a moment)
            if self._committer is None:
                taken = self._take()
                committer = threading.Thread(target=self._commit, args=(taken,), name="group-commit", daemon=True)
                try:
                    committer.start()
                except BaseException as exc:  # e.g. no thread can be had: fail what it would have done, not hang
                    for r in taken:
                        r.fail(exc, shared=True)
                    self._wake(taken)
                else:  # only a running committer counts: an unstarted one would leave every later write waiting
                    self._committer = committer
            elif self._idle:
                self._handed, self._idle = self._take(), False
                self._work.notify()
        request._woken.wait()
        return request.outcome()

    def _take(self) -> list[Request[T]]:
        with self._work:
            group = self._queue[: self._limit]
            del self._queue[: self._limit]
            if group:
                self.stats.batches += 1
                self.stats.requests += len(group)
                self.stats.largest = max(self.stats.largest, len(group))
        return group

    def _commit(self, first: list[Request[T]]) -> None:
        """The committer: groups while there are any, then waits ``idle_s`` for more before it ends."""
        taken = first
        while True:
            if not taken:
                with self._work:
                    if not self._queue:
                        self._idle = True
                        self._work.wait_for(lambda: not self._idle, self._idle_s)
                        self._idle = False
                    taken, self._handed = self._handed or self._take(), []
                    if not taken:
                        self._committer = None
                        return
            try:
                self._run(taken[:], Leading(self, taken, self._rounds))
            finally:
                self._wake(taken)  # all finished now
            taken = []

    def _wake(self, requests: list[Request[T]]) -> None:
        """Wakes the callers of the finished ``requests`` not woken yet (they no longer count as waiting)."""
        ready = [r for r in requests if r.finished and not r._woken.is_set()]
        with self._work:
            self.stats.waiting -= len(ready)
        for request in ready:
            request._woken.set()

    def run(self, group: list[Request[T]]) -> None:
        """Processes ``group`` in this thread, alone (a write inside a write lock this thread holds)."""
        self.stats.batches += 1
        self.stats.requests += len(group)
        self.stats.largest = max(self.stats.largest, len(group))
        self._run(group, Leading(None, group, 1))

    def _run(self, group: list[Request[T]], leading: Leading[T]) -> None:
        """``process``; a request it left unfinished (of ``group`` or taken since) gets its error."""
        taken = leading._taken
        try:
            self._process(group, leading)
        except BaseException as exc:  # noqa: BLE001 - every request taken gets it; the committer carries on
            for request in taken:
                request.fail(exc, shared=True)
        finally:
            for request in taken:
                request.fail(RuntimeError("the write was not processed"))


#: every queue of this process, for ``_after_fork``
_QUEUES: weakref.WeakSet[GroupQueue[Any]] = weakref.WeakSet()


def _after_fork() -> None:
    for queue in list(_QUEUES):
        queue._forget_committer()


os.register_at_fork(after_in_child=_after_fork)
