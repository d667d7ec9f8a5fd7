"""Writes graph, history and index as one acknowledged step, and repairs an interrupted step at start.

Protocol for a batch of changes (a single registration is a batch of one):

1. SQLite transaction A: every change goes into the ``journal`` table with all it needs to be redone.
2. Graph store: the samples' graphs are replaced and their PROV activities added (one transaction).
3. SQLite transaction B: history versions, catalogue rows, search rows, relation edges and embargoes written,
   journal rows deleted. Its statements run while the graph store writes (2 runs in a thread: the store
   releases the GIL); it commits only after 2 succeeded, and is rolled back if 2 failed.

Only then is the write acknowledged. A crash after 1 leaves journal rows; ``recover()`` (run whenever
the registry opens) redoes 2 and 3 for them — both are idempotent. A crash before 1 commits leaves
nothing. The index never points at a graph that is not there, since it is written after the graph.

Only transaction A is synced to disk before the answer (one fsync per write or group). B is committed
without a sync: it survives the process dying at once, and a power loss can only roll it back whole —
journal rows included, since B deletes them — so ``recover()`` redoes it. The next synced commit syncs it too.

Group commit pipelines these steps (``step``): while a group's graph write runs, the next group is checked,
and one transaction holds B of the first and A of the next (synced once). The next group's datestamp is
taken while the first one's reservation is visible, and that transaction swaps the reservations, so a reader
never sees neither (``stamp``).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from pyoxigraph import NamedNode

from ..db import Database
from ..errors import StorageFailure
from ..index import catalogue, search
from ..iris import Iris
from ..privacy import public_view
from ..store import history
from ..store.base import GraphStore, GraphWrite
from . import displaced, embargo
from .journal_entry import Change

__all__ = ["Change", "Journal", "Written"]


def _describing(changes: list[Change]) -> list[str]:
    """The samples whose description these changes set here (``displaced``)."""
    return displaced.describing([(c.row.igsn, c.event, c.has_document) for c in changes])


@dataclass
class Written:
    """A journaled step whose graph write is under way (``Journal.start_graph``): what its transaction B needs."""

    changes: list[Change]
    seqs: list[int]
    graph: Future[None]


class _GraphFailed(Exception):
    """The graph store's write failed (``error``); transaction B is rolled back."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


def _graph_writer() -> ThreadPoolExecutor:
    """The one thread that writes the graph store while transaction B is written: long-lived, because a store
    write in a new thread each time costs about twice the CPU (the storage engine's and the allocator's
    per-thread state built anew)."""
    global _GRAPH_WRITER
    with _GRAPH_WRITER_LOCK:
        if _GRAPH_WRITER is None:
            _GRAPH_WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="graph-write")
        return _GRAPH_WRITER


_GRAPH_WRITER: ThreadPoolExecutor | None = None
_GRAPH_WRITER_LOCK = threading.Lock()


def _forget_graph_writer() -> None:
    """A forked child has no thread of its parent's: it starts its own writer when it writes."""
    global _GRAPH_WRITER, _GRAPH_WRITER_LOCK
    _GRAPH_WRITER, _GRAPH_WRITER_LOCK = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_graph_writer)


def _applied(exc: BaseException) -> bool | None:
    """Whether a failed graph write left anything: the embedded store's writes are transactions, and a remote
    engine that could not be reached or refused the update applied nothing (False); a remote timeout: unknown."""
    applied: bool | None = exc.data.get("applied", False) if isinstance(exc, StorageFailure) else False
    return applied


class Journal:
    """The single write path for samples."""

    def __init__(self, db: Database, store: GraphStore, iris: Iris, *, crash_at: str | None = None) -> None:
        self.db = db
        self.store = store
        self.iris = iris
        # fault injection for the crash tests: SIGKILL this process at a named point of the protocol
        self._crash_at = crash_at
        self._reserved = False
        #: the latest datestamp this journal handed out: the next is never earlier, also before B wrote it
        self._issued: str | None = None

    def _maybe_crash(self, point: str) -> None:
        if self._crash_at == point:
            os.kill(os.getpid(), signal.SIGKILL)

    def reserve(self) -> str:
        """Announces a write about to become visible, then returns its datestamp.

        A record becomes visible (transaction B) a moment after its datestamp is issued. The reservation
        lets readers such as the OAI-PMH provider answer with a response date before any datestamp not yet
        visible, so a harvester that continues from that date misses nothing. The stamp is taken after the
        reservation is committed, so it is never earlier than the reservation a reader may have missed.
        """
        low = self.next_datestamp()
        # readers need to see it, nothing needs it after a crash (a writer's death ends its reservation)
        with self.db.write(durable=False) as conn:
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('inflight', ?)", (low,))
        self._reserved = True
        return self.stamp()

    def stamp(self) -> str:
        """The next datestamp, taken while a reservation is visible: ``reserve``'s own, or the one of a write
        whose transaction B will replace it by this one (``step``)."""
        self._issued = self.next_datestamp()
        return self._issued

    def release(self, *, force: bool = False) -> None:
        """Withdraws a reservation that no write used (refused, test mode); ``force``: also another's.

        Kept while journal rows are pending (a step failed, its graph write's outcome unknown): their redo
        publishes them with their datestamps later, so readers must go on answering before them."""
        if (self._reserved or force) and not self.pending():
            with self.db.write(durable=False) as conn:
                conn.execute("DELETE FROM meta WHERE key = 'inflight'")
            self._reserved = False

    def inflight(self) -> str | None:
        """The lowest datestamp a write under way may still publish, or None."""
        return self.db.get_meta("inflight")

    def last_datestamp(self) -> str | None:
        return self.db.get_meta("last_datestamp")

    def next_datestamp(self, now: datetime | None = None) -> str:
        last = self.last_datestamp()
        if self._issued is not None and (last is None or self._issued > last):
            last = self._issued
        return catalogue.next_datestamp(last, now or datetime.now(timezone.utc))

    def provisional(self) -> str:
        """The datestamp writes are checked and validated with before their final one is taken (``stamp``):
        later than every datestamp stored or issued, so that ``PreparedWrite.stamped`` tells a registration
        date these writes set (this one) from an earlier one, also when the clock moves on in between."""
        provisional = self.next_datestamp()
        known = max(filter(None, (self.last_datestamp(), self._issued)), default=None)
        if known is not None and provisional <= known:
            moment = datetime.strptime(known, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
            provisional = catalogue.format_datestamp(moment + timedelta(seconds=1))
        return provisional

    def commit(self, changes: list[Change]) -> None:
        """Makes the changes durable in graph, history and index; returns only when all hold them."""
        if not changes:
            return
        rows = self.entries(changes)
        with self.db.write() as conn:
            seqs = self._insert(conn, rows)
        self._maybe_crash("after-journal")
        # the graph write runs in a thread (the store releases the GIL) while transaction B is written here;
        # B commits only once the graph holds the changes, so the index never points at a missing graph
        graph = _graph_writer().submit(self.store.apply, self._graph_write(changes))
        try:
            self._finish(changes, seqs, before_commit=lambda: self._graph_written(graph))
        except _GraphFailed as failed:
            raise self._graph_failure(failed.error, seqs) from failed.error
        except Exception:
            self._graph_over(graph, seqs)  # B failed on its own before it asked for the graph
            raise
        finally:
            wait([graph])  # whatever B did, the store's write is over before this returns or raises
        self._maybe_crash("after-index")

    @staticmethod
    def entries(changes: list[Change]) -> list[tuple[str, bytes]]:
        """The journal rows of ``changes`` (built before the transaction that inserts them)."""
        now = catalogue.format_datestamp(datetime.now(timezone.utc))
        return [(now, c.to_payload()) for c in changes]

    @staticmethod
    def _insert(conn: sqlite3.Connection, rows: list[tuple[str, bytes]]) -> list[int]:
        conn.executemany("INSERT INTO journal (created, payload) VALUES (?, ?)", rows)
        first: int = conn.execute("SELECT MAX(seq) FROM journal").fetchone()[0] - len(rows) + 1
        return list(range(first, first + len(rows)))

    def start_graph(self, changes: list[Change]) -> Future[None]:
        """The graph write of journaled ``changes``, begun in the graph-write thread (``step`` awaits it)."""
        return _graph_writer().submit(self.store.apply, self._graph_write(changes))

    def step(self, finishing: Written | None, rows: list[tuple[str, bytes]], stamp: str | None) -> list[int]:
        """One transaction: B of ``finishing`` (committed only once its graph write succeeded) and A of ``rows``
        (journal rows of writes stamped ``stamp`` by ``stamp()``, whose reservation replaces the finished
        one's). Synced when it journals. Returns the new rows' sequence numbers.

        A graph write that failed fails ``finishing`` as ``commit`` does (its entry forgotten when nothing was
        applied); nothing of ``rows`` is kept then, or when anything else failed.
        """
        try:
            with self.db.write(durable=bool(rows)) as conn:
                if finishing is not None:
                    self._index(conn, finishing.changes, finishing.seqs)
                seqs = self._insert(conn, rows) if rows else []
                if rows:  # this write's reservation in place of the finished one's
                    conn.execute("INSERT OR REPLACE INTO meta VALUES ('inflight', ?)", (stamp,))
                    self._reserved = True
                elif finishing is not None:
                    conn.execute("DELETE FROM meta WHERE key = 'inflight'")  # visible now
                    self._reserved = False
                if finishing is not None:
                    self._graph_written(finishing.graph)
        except _GraphFailed as failed:
            assert finishing is not None
            raise self._graph_failure(failed.error, finishing.seqs) from failed.error
        except Exception:
            if finishing is not None:
                self._graph_over(finishing.graph, finishing.seqs)
            raise
        if finishing is not None:
            self._maybe_crash("after-index")
        if rows:
            self._maybe_crash("after-journal")
        return seqs

    def _graph_failure(self, exc: BaseException, seqs: list[int]) -> StorageFailure:
        """The error of a write whose graph write failed; its entry is forgotten when nothing was applied."""
        # the embedded store's writes are transactions, and a remote engine that could not be reached
        # or refused the update applied nothing: forget the entry. When that is unknown (a remote
        # timeout), keep it: the next write or start redoes it, so graph and index agree again.
        if _applied(exc) is False:
            self._forget(seqs)
            return StorageFailure(f"graph store write failed: {exc}", applied=False)
        return StorageFailure(
            f"graph store write failed and may have been applied; it will be completed before the next write: {exc}",
            applied=None,
        )

    def _graph_over(self, graph: Future[None], seqs: list[int]) -> None:
        """After B failed on its own: waits for the graph write; when that failed too and applied nothing,
        nothing of the write holds anywhere, so its entry must not be redone later either."""
        wait([graph])
        error = graph.exception()
        if error is not None and _applied(error) is False:
            self._forget(seqs)

    def _graph_written(self, graph: Future[None]) -> None:
        """Waits for the graph write; raises ``_GraphFailed`` (B is rolled back) if it failed."""
        error = graph.exception()
        if error is not None:
            raise _GraphFailed(error)
        self._maybe_crash("after-graph")

    def _graph_write(self, changes: list[Change]) -> GraphWrite:
        write = GraphWrite()
        for c in changes:
            g = self.iris.record_graph(c.row.igsn)
            # the row already says whether the sample is public: only hidden ones need their facts re-read
            if c.row.deleted:
                write.replace[g] = public_view(list(c.graph), self.iris, c.row.igsn)
                write.text.pop(g, None)
            else:
                write.replace[g] = c.graph
                write.text[g] = c.graph_text
            if c.new:
                write.new_graphs.add(g)
            p = self.iris.provenance_graph(c.row.igsn)
            known = write.add.get(p)  # the sample's earlier change in this write (rare): its activity too
            write.add[p] = c.activity if known is None else [*known, *c.activity]
            write.text[p] = write.text.get(p, "") + c.activity_text
        displaced.unmark_in_graphs(self.db.read(), self.iris, _describing(changes), write)
        return write

    def _finish(
        self, changes: list[Change], seqs: list[int], *, before_commit: Callable[[], None] | None = None
    ) -> None:
        """Transaction B: history, index, journal rows deleted. ``before_commit``: called last inside it (it
        waits for the graph write, and raises to roll B back)."""
        # not synced: lost only with its journal rows, which then redo it (module docstring)
        with self.db.write(durable=False) as conn:
            self._index(conn, changes, seqs)
            conn.execute("DELETE FROM meta WHERE key = 'inflight'")  # visible now
            self._reserved = False
            if before_commit is not None:
                before_commit()

    def _index(self, conn: sqlite3.Connection, changes: list[Change], seqs: list[int]) -> None:
        """Transaction B's statements: history, catalogue, search, relations, embargoes; journal rows deleted."""
        versions = [
            history.Version(
                c.row.igsn,
                c.row.version,
                c.row.datestamp,
                c.event,
                c.principal,
                c.format,
                c.document,
                c.graph_text,
                document_z=c.document_z,
                graph_z=c.graph_z,
            )
            for c in changes
        ]
        last = max(c.row.datestamp for c in changes)
        history.add_versions(conn, versions)
        catalogue.upsert(conn, [c.row for c in changes])
        search.index_samples(
            conn, self.iris, [(c.row, c.graph) for c in changes], [c.indexed or c.record for c in changes]
        )
        embargo.index(conn, self.iris, [(c.row, c.embargo_end or c.graph) for c in changes])
        displaced.mark_displaced(conn, _describing(changes))
        for c in changes:
            if c.moves:
                c.moves.apply(conn)
        conn.executemany("DELETE FROM journal WHERE seq = ?", [(s,) for s in seqs])
        prev = conn.execute("SELECT value FROM meta WHERE key = 'last_datestamp'").fetchone()
        if prev is None or prev[0] < last:
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('last_datestamp', ?)", (last,))

    def _forget(self, seqs: list[int]) -> None:
        try:
            with self.db.write() as conn:
                conn.executemany("DELETE FROM journal WHERE seq = ?", [(s,) for s in seqs])
                conn.execute("DELETE FROM meta WHERE key = 'inflight'")
            self._reserved = False
        except Exception:  # noqa: BLE001 - the journal entry is then redone at the next start
            pass

    def pending(self) -> int:
        count: int = self.db.read().execute("SELECT COUNT(*) FROM journal").fetchone()[0]
        return count

    def recover(self) -> int:
        """Redoes every interrupted write; returns how many changes were repaired."""
        rows = self.db.read().execute("SELECT seq, payload FROM journal ORDER BY seq").fetchall()
        if not rows:
            return 0
        changes = [Change.from_payload(r["payload"]) for r in rows]
        self.store.apply(self._graph_write(changes))
        self._finish(changes, [r["seq"] for r in rows])
        return len(changes)

    def principal_iri(self, symbol: str) -> NamedNode:
        if symbol == "admin":
            return self.iris.agent("admin")
        return self.iris.client(symbol) if "." in symbol else self.iris.agent(symbol)
