"""Fair use of the SPARQL workers: at most ``workers`` queries run at once; beyond that they wait in one FIFO
queue of at most ``queue`` entries for at most ``queue_wait_s`` (then ``EndpointBusy``, 503); a client has at most
``per_client`` queries running or waiting (then ``TooManyQueries``, 429). Event loop only."""

from __future__ import annotations

import asyncio
from collections import deque

from ..sparql import EndpointBusy, TooManyQueries
from .limits import PoolLimits

__all__ = ["FairUse"]


class FairUse:
    """The slots (taken by running queries and by admitted requests about to start one), the queue of requests
    waiting for one, and the count of each client's queries."""

    def __init__(self, limits: PoolLimits) -> None:
        self.limits = limits
        self._running = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._clients: dict[str, int] = {}
        self._closed = False
        self.refused_client = 0
        self.refused_busy = 0

    @property
    def queued(self) -> int:
        return len(self._waiters)

    async def admit(self, client: str) -> None:
        """Takes a slot for ``client``, waiting in the queue if need be; raises ``TooManyQueries`` or
        ``EndpointBusy`` having taken nothing."""
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

    def release(self, client: str) -> None:
        """Gives back a slot ``admit`` took for ``client`` (once per admission)."""
        self._leave(client)
        self._free_slot()

    def close(self) -> None:
        """Refuses every later request and wakes the waiting ones (they end cancelled)."""
        self._closed = True
        for ticket in list(self._waiters):
            if not ticket.done():
                ticket.cancel()

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
