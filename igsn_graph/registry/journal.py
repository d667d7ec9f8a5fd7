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
"""

from __future__ import annotations

import base64
import json
import os
import signal
import threading
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property

from pyoxigraph import NamedNode, Triple

from ..db import Database
from ..errors import StorageFailure
from ..formats.rdf import NTriplesText, ntriples
from ..index import catalogue, search
from ..index.catalogue import CatalogueRow
from ..index.search import RecordIndex
from ..iris import Iris
from ..privacy import public_view
from ..record import SampleRecord
from ..store import history
from ..store.base import GraphStore, GraphWrite
from . import displaced, embargo
from .embargo import Known
from .transfer import Moves

__all__ = ["Change", "Journal"]


def _describing(changes: list[Change]) -> list[str]:
    """The samples whose description these changes set here (``displaced``)."""
    return displaced.describing([(c.row.igsn, c.event, c.has_document) for c in changes])


@dataclass
class Change:
    """One sample's new state: its whole record graph, the activity that made it, its index row."""

    row: CatalogueRow
    #: the full graph of the sample (kept in history); the public graph is ``public_view`` of it
    graph: Sequence[Triple]
    activity: Sequence[Triple]
    event: str
    principal: str
    format: str | None = None
    document: bytes | None = None
    new: bool = False
    #: account rows that move with this change (a transfer's namespace and drafts), written with the index
    moves: Moves | None = None
    #: the record ``graph`` was made from, when the writer has it: indexed without reading the graph back
    #: (not journaled: a replay reads it from the graph)
    record: SampleRecord | None = None
    #: ``graph_text`` and ``document`` compressed already (``history.compress``), when the writer has them
    graph_z_given: bytes | None = None
    document_z_given: bytes | None = None
    #: what search and relations keep of the description, and its embargo end, when derived with it
    #: (``registry.derivation``): the index step reads neither the record nor the graph
    indexed: RecordIndex | None = None
    embargo_end: Known | None = None

    @property
    def has_document(self) -> bool:
        return self.document is not None or self.document_z_given is not None

    @cached_property
    def graph_text(self) -> str:
        """``graph`` as N-Triples, written once for the journal, the graph store and history."""
        return ntriples(self.graph)

    @cached_property
    def activity_text(self) -> str:
        return ntriples(self.activity)

    @cached_property
    def graph_z(self) -> bytes:
        """``graph_text`` compressed, once for the journal and history (``history.compress``)."""
        if self.graph_z_given is not None:
            return self.graph_z_given
        return history.compress(self.graph_text.encode("utf-8"))

    @cached_property
    def document_z(self) -> bytes | None:
        if self.document_z_given is not None:
            return self.document_z_given
        return history.compress(self.document) if self.document is not None else None

    def to_payload(self) -> bytes:
        """A JSON object whose graph and document are history's compressed bytes (base64): compressed once
        for both. (An older payload, the whole JSON compressed, is still read: ``from_payload``.)"""
        body = {
            "row": {k: getattr(self.row, k) for k in self.row.__dataclass_fields__},
            "graph_z": _b64(self.graph_z),
            "activity": self.activity_text,
            "event": self.event,
            "principal": self.principal,
            "format": self.format,
            "document_z": _b64(self.document_z),
            "new": self.new,
            "moves": self.moves.to_json() if self.moves else None,
        }
        return json.dumps(body).encode("utf-8")

    @classmethod
    def from_payload(cls, payload: bytes) -> "Change":
        payload = bytes(payload)  # whatever bytes-like object the database driver gives
        graph_z = None
        if payload[:1] == b"{":
            body = json.loads(payload)
            graph_z = base64.b64decode(body["graph_z"])
            graph_text = history.decompress(graph_z).decode("utf-8")
            document_z = body["document_z"]
            document = history.decompress(base64.b64decode(document_z)) if document_z is not None else None
        else:  # written before the graph was compressed on its own
            body = json.loads(zlib.decompress(payload))
            graph_text = body["graph"]
            document = base64.b64decode(body["document"]) if body["document"] is not None else None
        return cls(
            row=CatalogueRow(**body["row"]),
            graph=NTriplesText(graph_text),
            activity=NTriplesText(body["activity"]),
            event=body["event"],
            principal=body["principal"],
            format=body["format"],
            document=document,
            new=False,
            moves=Moves.from_json(body.get("moves")),
            graph_z_given=graph_z,
        )  # on replay a graph may exist already: always drop before writing


def _b64(data: bytes | None) -> str | None:
    return base64.b64encode(data).decode("ascii") if data is not None else None


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
        return max(low, self.next_datestamp())

    def release(self, *, force: bool = False) -> None:
        """Withdraws a reservation that no write used (refused, test mode); ``force``: also another's."""
        if self._reserved or force:
            with self.db.write(durable=False) as conn:
                conn.execute("DELETE FROM meta WHERE key = 'inflight'")
            self._reserved = False

    def inflight(self) -> str | None:
        """The lowest datestamp a write under way may still publish, or None."""
        return self.db.get_meta("inflight")

    def last_datestamp(self) -> str | None:
        return self.db.get_meta("last_datestamp")

    def next_datestamp(self, now: datetime | None = None) -> str:
        return catalogue.next_datestamp(self.last_datestamp(), now or datetime.now(timezone.utc))

    def commit(self, changes: list[Change]) -> None:
        """Makes the changes durable in graph, history and index; returns only when all hold them."""
        if not changes:
            return
        now = catalogue.format_datestamp(datetime.now(timezone.utc))
        with self.db.write() as conn:
            cur = conn.executemany(
                "INSERT INTO journal (created, payload) VALUES (?, ?)", [(now, c.to_payload()) for c in changes]
            )
            first = conn.execute("SELECT MAX(seq) FROM journal").fetchone()[0] - len(changes) + 1
            del cur
        seqs = list(range(first, first + len(changes)))
        self._maybe_crash("after-journal")
        # the graph write runs in a thread (the store releases the GIL) while transaction B is written here;
        # B commits only once the graph holds the changes, so the index never points at a missing graph
        graph = _graph_writer().submit(self.store.apply, self._graph_write(changes))
        try:
            self._finish(changes, seqs, before_commit=lambda: self._graph_written(graph))
        except _GraphFailed as failed:
            exc = failed.error
            # the embedded store's writes are transactions, and a remote engine that could not be reached
            # or refused the update applied nothing: forget the entry. When that is unknown (a remote
            # timeout), keep it: the next write or start redoes it, so graph and index agree again.
            if _applied(exc) is False:
                self._forget(seqs)
                raise StorageFailure(f"graph store write failed: {exc}", applied=False) from exc
            raise StorageFailure(
                f"graph store write failed and may have been applied; it will be completed "
                f"before the next write: {exc}",
                applied=None,
            ) from exc
        except Exception:
            # B failed on its own before it asked for the graph: when the graph write failed too and applied
            # nothing, nothing of this write holds anywhere, so its entry must not be redone later either
            wait([graph])
            error = graph.exception()
            if error is not None and _applied(error) is False:
                self._forget(seqs)
            raise
        finally:
            wait([graph])  # whatever B did, the store's write is over before this returns or raises
        self._maybe_crash("after-index")

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
        self._reserved = False
        # not synced: lost only with its journal rows, which then redo it (module docstring)
        with self.db.write(durable=False) as conn:
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
            conn.execute("DELETE FROM meta WHERE key = 'inflight'")  # visible now
            prev = conn.execute("SELECT value FROM meta WHERE key = 'last_datestamp'").fetchone()
            if prev is None or prev[0] < last:
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('last_datestamp', ?)", (last,))
            if before_commit is not None:
                before_commit()

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
