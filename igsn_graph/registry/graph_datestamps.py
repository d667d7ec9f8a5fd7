"""Drops the ``ig:datestamp`` triples that sample graphs written before the datestamp left the graph still hold.

The datestamp is the catalogue's (the OAI header's), not part of a sample's description: the graph no longer
holds it, so a restamp changes SQLite rows only (``restamp``). Data folders written before keep one such triple
per sample graph; every reader ignores it, and this one-time migration removes it. It runs in keyset batches
(IGSN order) under the write lock, registrations going on in between; each batch reads the triples it drops
(whatever their values) and removes exactly those, then tells ``changed`` which samples' graphs changed (the
server and the CLI drop their kept ``ig`` bodies, which held the triple: ``resolver.stored.forget``). Resumable: it is done up to ``_AFTER``; when it finishes
``_DONE`` is recorded, and a new data folder records it at ``init``. The server runs it in the background before a
restamp (``Restamper``), ``igsn-graph restamp`` and ``igsn-graph reindex`` first; ``verify`` reports a graph that
still holds the triple. History versions keep theirs: a version is kept as it was written.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from pyoxigraph import Literal, NamedNode, Triple

from ..store.base import GraphWrite
from ..vocab import IG

if TYPE_CHECKING:
    from .service import Registry

__all__ = ["DONE_KEY", "drop", "pending"]

log = logging.getLogger("igsn_graph.graph_datestamps")

DONE_KEY = _DONE = "graph_datestamps_dropped"  # "1": no sample graph holds ig:datestamp
_AFTER = "graph_datestamps_after"  # a run under way: done up to this IGSN (in IGSN order)

#: sample graphs per batch: one SPARQL read and one store transaction each, under the write lock
DEFAULT_BATCH = 2000


def pending(registry: Registry) -> bool:
    """Sample graphs may still hold ``ig:datestamp`` (a data folder from before, or a run interrupted)."""
    return registry.db.get_meta(_DONE) is None


def _held(registry: Registry, names: list[str]) -> dict[NamedNode, list[Triple]]:
    """The ``ig:datestamp`` triples the graphs of ``names`` hold, by graph (one query)."""
    graphs = {registry.iris.record_graph(name): name for name in names}
    values = " ".join(str(g) for g in graphs)
    query = f"SELECT ?g ?s ?o WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s {IG.datestamp} ?o }} }}"
    found: dict[NamedNode, list[Triple]] = {}
    for solution in registry.store.query(query):  # type: ignore[attr-defined]  # a SELECT: solutions
        subject, value = solution["s"], solution["o"]
        if isinstance(subject, NamedNode) and isinstance(value, Literal):
            found.setdefault(solution["g"], []).append(Triple(subject, IG.datestamp, value))
    return found


def drop(
    registry: Registry,
    *,
    batch: int = DEFAULT_BATCH,
    stop: Callable[[], bool] | None = None,
    duty: float = 1.0,
    busy: Callable[[], bool] | None = None,
    changed: Callable[[list[str]], None] | None = None,
) -> int:
    """Removes the ``ig:datestamp`` triples of every sample graph; returns how many graphs held one.

    ``stop`` is asked between batches (a server shutting down: the next run resumes); ``duty`` and ``busy`` as in
    ``restamp.restamp`` (the share of the time the run works while requests keep the server busy); ``changed`` is
    told, per batch, the samples whose graphs changed (bodies rendered from them before are stale)."""
    from .restamp import rest_after  # the one pacing rule (restamp imports this module)

    if not 0 < duty <= 1:
        raise ValueError("duty must lie in (0, 1]")
    db = registry.db
    if not pending(registry):
        return 0
    after, dropped = db.get_meta(_AFTER) or "", 0
    while True:
        if stop is not None and stop():
            return dropped
        began = time.monotonic()
        with registry.writing():
            names = [
                r[0]
                for r in db.read().execute(
                    "SELECT igsn FROM catalogue WHERE igsn > ? ORDER BY igsn LIMIT ?", (after, batch)
                )
            ]
            if names:
                held = _held(registry, names)
                if held:
                    registry.store.apply(GraphWrite(remove=held))
                    if changed is not None:  # changed without a new version: bodies rendered before named the triple
                        prefix = registry.iris.record_graph("").value
                        changed([g.value[len(prefix) :] for g in held])
                dropped += len(held)
                db.set_meta(_AFTER, names[-1])
        if not names:
            break
        after = names[-1]
        rest = rest_after(time.monotonic() - began, pause=0.0, duty=duty, busy=busy is None or busy())
        if rest > 0:
            time.sleep(rest)
    with db.write() as conn:
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, '1')", (_DONE,))
        conn.execute("DELETE FROM meta WHERE key = ?", (_AFTER,))
    if dropped:
        log.warning("dropped the ig:datestamp triple of %d sample graphs (the datestamp is the catalogue's)", dropped)
    return dropped
