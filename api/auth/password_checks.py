"""The thread pool that hashes passwords (and does the throttle's database reads of a check), apart from the threads
that serve reads."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from igsn_graph.registry.accounts import Principal

__all__ = ["PasswordChecks"]


def _yield_cpu() -> None:
    """Lowers the calling thread's CPU priority (Linux: a thread's own niceness), so that when hashing and
    serving compete for the processors, serving wins; elsewhere, or when refused, nothing changes."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass


class PasswordChecks:
    """Password checks (scrypt: slow and memory-hard on purpose) on their own small thread pool.

    The threads that serve reads (resolver, OAI-PMH, search) are never taken by a login, however many
    arrive: requests wait for a check without holding a thread. Concurrent checks of the same credentials
    share one hash (a client starting many requests at once, before its login is cached, costs one check
    and one throttle token). At most ``backlog`` checks wait (``LoginThrottle.turn_away_unknown``), and the
    threads run at a lower CPU priority than the server's others. The throttle's reads and writes of a check
    (its shared buckets) run in the check, here too: on PostgreSQL each is a round trip the event loop must not
    wait for. A cached login's accounts-version read has its own thread (``LoginReads``): it never queues here.
    """

    def __init__(self, threads: int) -> None:
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, threads), thread_name_prefix="password-check", initializer=_yield_cpu
        )
        self._pending: dict[bytes, tuple[asyncio.AbstractEventLoop, asyncio.Future[Principal]]] = {}
        #: checks that may be under way or waiting before new unknown logins are turned away
        self.backlog = 4 * max(1, threads)

    def busy(self) -> bool:
        """As many checks are under way or waiting as may be."""
        return len(self._pending) >= self.backlog

    def pending(self, key: bytes) -> asyncio.Future[Principal] | None:
        """The check of these credentials under way on this event loop, if one is."""
        found = self._pending.get(key)
        return found[1] if found is not None and found[0] is asyncio.get_running_loop() else None

    async def run(self, key: bytes, check: Callable[[], Principal]) -> Principal:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool, check)
        self._pending[key] = (loop, future)
        try:
            return await asyncio.shield(future)
        finally:
            if self._pending.get(key, (None, None))[1] is future:
                del self._pending[key]

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
