"""SPARQL queries in child processes that can be killed: slots, a per-client limit, a bounded queue, deadlines.

pyoxigraph cannot cancel a query from Python (``oxigraph serve --timeout-s`` can, but answers a timed-out query
as a 200 with a cut body: README, SPARQL). A query therefore runs in a worker process (``sparql_worker``) that
is killed when the query passes its time limit, when its client goes away, or when the server stops. Killing
costs a new process (~50 ms): a worker whose query nears its limit gets a standby started beside it, so the
slot it frees has a ready process at once and ``ASK {}`` answers right after any number of runaway queries.

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

The parts: ``limits`` (the pool's settings), ``source`` (what workers read), ``process`` (one worker process and
its pipes), ``job`` (a query running in one), ``fair_use`` (slots, per-client counts, the queue), ``priority``
(renicing long queries), ``answer`` (a query's answer, whole or streamed) and ``pool`` (``QueryPool``: workers,
jobs and the supervisor).
"""

from __future__ import annotations

from .answer import Answer
from .job import query_hash
from .limits import PoolLimits
from .pool import QueryPool
from .source import FixedSource, Source

__all__ = ["Answer", "FixedSource", "PoolLimits", "QueryPool", "Source", "query_hash"]
