"""The thread that does a cached login's short database reads (the accounts version), apart from password hashing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

__all__ = ["LoginReads"]


class LoginReads:
    """Short database reads a login needs, on one thread of their own: off the event loop (on PostgreSQL each is
    a network round trip), and never queued behind ``PasswordChecks``' hashes, so a cached login whose read is
    due does not wait for a backlog of password checks. Callers asking for the same read meanwhile share the one
    run in flight."""

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="login-read")
        self._running: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = {}

    async def run(self, name: str, work: Callable[[], None]) -> None:
        """Runs ``work`` on the reads' thread, or waits for the run of ``name`` under way on this event loop, so
        none goes on before it is done."""
        loop = asyncio.get_running_loop()
        found = self._running.get(name)
        if found is not None and found[0] is loop:
            await asyncio.shield(found[1])
            return
        future = loop.run_in_executor(self._thread, work)
        self._running[name] = (loop, future)
        try:
            await asyncio.shield(future)
        finally:
            if self._running.get(name, (None, None))[1] is future:
                del self._running[name]

    def close(self) -> None:
        self._thread.shutdown(wait=False, cancel_futures=True)
