"""Fair use of the SPARQL workers (igsn_graph/sparql_workers/fair_use.py) on its own: slots, the per-client
count, the FIFO queue and its bound, and closing. The pool over real worker processes:
tests/reliability/test_sparql_runaway.py."""

from __future__ import annotations

import asyncio

import pytest

from igsn_graph.sparql import EndpointBusy, TooManyQueries
from igsn_graph.sparql_workers.fair_use import FairUse
from igsn_graph.sparql_workers.limits import PoolLimits


def test_slots_a_client_limit_and_a_bounded_fifo_queue() -> None:
    async def scenario() -> None:
        fair = FairUse(PoolLimits(workers=1, per_client=2, queue=1, queue_wait_s=60.0))
        await fair.admit("a")  # the one slot
        waiting = asyncio.create_task(fair.admit("b"))  # queued
        await asyncio.sleep(0)
        assert fair.queued == 1
        with pytest.raises(EndpointBusy):
            await fair.admit("c")  # the queue is full
        fair.release("a")  # the slot goes to the longest waiting request
        await asyncio.wait_for(waiting, 5)
        assert fair.queued == 0
        b_again = asyncio.create_task(fair.admit("b"))  # b: one running, one waiting (its limit is 2)
        await asyncio.sleep(0)
        with pytest.raises(TooManyQueries):
            await fair.admit("b")
        assert (fair.refused_client, fair.refused_busy) == (1, 1)
        fair.close()  # the waiting request ends, later ones are refused
        with pytest.raises(asyncio.CancelledError):
            await b_again
        with pytest.raises(EndpointBusy):
            await fair.admit("d")

    asyncio.run(scenario())


def test_a_wait_past_the_limit_is_refused_and_takes_nothing() -> None:
    async def scenario() -> None:
        fair = FairUse(PoolLimits(workers=1, per_client=1, queue=4, queue_wait_s=0.01))
        await fair.admit("a")
        with pytest.raises(EndpointBusy):
            await fair.admit("b")
        assert fair.queued == 0 and fair.refused_busy == 1
        fair.release("a")
        await fair.admit("b")  # b's count was given back with its refusal; the slot is free again

    asyncio.run(scenario())
