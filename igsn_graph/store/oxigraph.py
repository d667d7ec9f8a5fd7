"""The embedded graph store: pyoxigraph (RocksDB) in a folder, one writer process per folder."""

from __future__ import annotations

import gc
import io
import os
import queue
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator, Sequence, cast

from pyoxigraph import NamedNode, Quad, RdfFormat, Store, Triple

from ..errors import StorageFailure, StoreBusy
from .base import GraphWrite, update_request

__all__ = ["OxigraphStore", "open_store", "BULK_QUADS"]

#: writes of at least this many quads into new graphs use the bulk loader
BULK_QUADS = 20_000
#: every triple of the query's default graph (``graph``: one named graph)
_GRAPH_TRIPLES = "CONSTRUCT WHERE { ?s ?p ?o }"


class OxigraphStore:
    """A pyoxigraph store on disk (or in memory when ``path`` is None).

    Writes are serialised by a lock (pyoxigraph allows one writer); reads run concurrently and see
    a consistent snapshot. ``read_only``: opened without writing anything into the folder (which may be on
    a read-only file system); every write fails with ``StorageFailure``. A write the store could not keep
    (disk full, I/O error, read-only file system) is a ``StorageFailure`` too: its transaction applied nothing.
    """

    def __init__(self, path: Path | None, *, read_only: bool = False) -> None:
        self.path = path
        busy = StoreBusy(
            f"the graph store in {path} is in use by another process "
            "(is `igsn-graph serve` running on this data folder?)"
        )
        try:
            if path is None:
                self._store = Store()
            elif read_only:
                # reading a folder another process writes is undefined behaviour in RocksDB: refuse it
                if _locked_elsewhere(path / "LOCK"):
                    raise busy
                self._store = Store.read_only(str(path))
            else:
                self._store = Store(str(path))
        except OSError as exc:
            if "lock" in str(exc).lower():
                raise busy from None
            raise StorageFailure(f"cannot open the graph store in {path}: {exc}") from None
        self._write_lock = threading.Lock()

    @property
    def raw(self) -> Store:
        """The pyoxigraph store, for read-only queries."""
        return self._store

    def apply(self, write: GraphWrite) -> None:
        with self._write_lock, _storage_errors():
            replaced = [g for g in write.replace if g not in write.new_graphs]
            if not replaced and not any(write.remove.values()):
                # only new graphs and additions, from N-Quads text (the journal has it already): parsed in Rust,
                # no Python object per quad, the GIL released meanwhile. Big batches go through the bulk loader
                # (atomic since pyoxigraph 0.5, it writes SST files); small ones are one load() = one transaction
                # (less work than extend() of Quad objects, which are built and read back holding the GIL)
                if write.size() >= BULK_QUADS:
                    self._store.bulk_load(input=write.nquads(), format=RdfFormat.N_QUADS)
                else:
                    self._store.load(input=write.nquads(), format=RdfFormat.N_QUADS)
                return
            # replacing existing graphs or removing triples: DROP + DELETE DATA + INSERT DATA in one update
            # request = one transaction
            self._store.update(update_request(write))

    def graph(self, graph: NamedNode) -> list[Triple]:
        # the same triples in the same order (one scan of the graph's index) as quads_for_pattern, for a sixth
        # less CPU (the graph's name is not looked up for every quad, no Quad objects) and part of it without
        # the GIL: looking terms up in RocksDB is nearly all of a sample's read (prerender, verify, misses)
        return list(cast(Iterable[Triple], self._store.query(_GRAPH_TRIPLES, default_graph=graph)))

    def graphs(self, graphs: Sequence[NamedNode]) -> dict[NamedNode, list[Triple]]:
        # one index scan per graph is as fast as one SPARQL query over all of them (the cost is decoding terms)
        return {g: self.graph(g) for g in graphs}

    def has_graph(self, graph: NamedNode) -> bool:
        return next(iter(self._store.quads_for_pattern(None, None, None, graph)), None) is not None

    def serialize_graph(
        self, graph: NamedNode, format: RdfFormat, prefixes: dict[str, str] | None = None
    ) -> bytes | None:
        """One named graph in a graph syntax, written by the store itself (no Python object per triple);
        the same bytes as serialising ``graph(graph)``. None when the graph is empty."""
        if not self.has_graph(graph):
            return None
        return self._store.dump(format=format, from_graph=graph, prefixes=prefixes) or b""

    def graphs_with_prefix(self, prefix: str) -> Iterator[NamedNode]:
        for g in self._store.named_graphs():
            if isinstance(g, NamedNode) and g.value.startswith(prefix):
                yield g

    def query(self, sparql: str, *args: Any, **kwargs: Any) -> object:
        return self._store.query(sparql, *args, **kwargs)

    def dump_nquads(self) -> Iterator[bytes]:
        """The whole dataset (one snapshot) as N-Quads, in chunks split anywhere; memory stays bounded."""

        def write(out: _QueueWriter) -> None:
            self._store.dump(cast(IO[bytes], out), RdfFormat.N_QUADS)

        return _streamed(write)

    def load_nquads(self, chunks: Iterable[bytes]) -> None:
        with self._write_lock, _storage_errors():
            for chunk in chunks:
                if chunk:
                    self._store.load(input=chunk, format=RdfFormat.N_QUADS)

    def quads(self) -> Iterator[Quad]:
        return iter(self._store.quads_for_pattern(None, None, None, None))

    def is_empty(self) -> bool:
        return next(iter(self._store.quads_for_pattern(None, None, None, None)), None) is None

    def flush(self) -> None:
        self._store.flush()

    def close(self) -> None:
        # pyoxigraph releases the RocksDB lock when the object is collected
        store = self.__dict__.pop("_store", None)
        if store is None:
            return
        try:
            store.flush()
        except Exception:  # noqa: BLE001 - closing must not raise
            pass
        del store
        # stray references (a finished query's traceback, an exhausted iterator) keep RocksDB's lock until
        # collected; then collect now, so the folder can be opened again at once. Only then: a full collection
        # walks every object of the process (~50 ms in a test process), and closing a store is frequent in tests
        if self.path is not None and str(os.getpid()) in _lock_holders(self.path / "LOCK", unknown={str(os.getpid())}):
            gc.collect()


class _Cancelled(Exception):
    """The reader of a streamed dump went away."""


class _QueueWriter(io.RawIOBase):
    """A binary file the store writes into; its bytes go to a bounded queue in chunks of about 1 MiB."""

    def __init__(self, chunks: "queue.Queue[bytes | BaseException | None]", cancelled: threading.Event) -> None:
        self._chunks = chunks
        self._cancelled = cancelled
        self._buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._buffer += data
        if len(self._buffer) >= 1 << 20:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self._buffer:
            while True:
                if self._cancelled.is_set():
                    raise _Cancelled()
                try:
                    self._chunks.put(bytes(self._buffer), timeout=0.5)
                    break
                except queue.Full:
                    continue
            self._buffer.clear()


def _streamed(write: Callable[[_QueueWriter], None]) -> Iterator[bytes]:
    """What ``write`` writes, as chunks, written by a thread while they are read (at most ~8 MiB ahead)."""
    chunks: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=8)
    cancelled = threading.Event()

    def run() -> None:
        out = _QueueWriter(chunks, cancelled)
        try:
            write(out)
            out.flush()
            end: BaseException | None = None
        except _Cancelled:
            return
        except BaseException as exc:  # noqa: BLE001 - handed to the reader
            end = exc
        while not cancelled.is_set():
            try:
                chunks.put(end, timeout=0.5)
                return
            except queue.Full:
                continue

    thread = threading.Thread(target=run, name="nquads-dump", daemon=True)
    thread.start()
    try:
        while True:
            item = chunks.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise StorageFailure(f"graph store dump failed: {item}")
            yield item
    finally:
        cancelled.set()
        thread.join()


@contextmanager
def _storage_errors() -> Iterator[None]:
    # pyoxigraph reports a failed RocksDB write as OSError (disk full, I/O error, read-only file system)
    # and a write on a read-only instance as RuntimeError; either way the transaction applied nothing
    try:
        yield
    except (OSError, RuntimeError) as exc:
        raise StorageFailure(f"graph store write failed: {exc}", applied=False) from None


def _locked_elsewhere(lock_file: Path) -> bool:
    """Whether another process holds RocksDB's lock (an fcntl lock on ``LOCK``), read from ``/proc/locks``.

    Not by trying a lock: opening and closing the file would drop the locks this process holds on it
    (POSIX), which a store of ours opened read-write in this process relies on. Without ``/proc`` (not
    Linux) nothing can be told, and the store is opened.
    """
    return bool(_lock_holders(lock_file, unknown=set()) - {str(os.getpid())})


def _lock_holders(lock_file: Path, *, unknown: set[str]) -> set[str]:
    """The ids of the processes holding an fcntl lock on ``lock_file`` (none when it does not exist), read
    from ``/proc/locks``; ``unknown`` when that cannot be read (not Linux)."""
    try:
        st = lock_file.stat()
    except FileNotFoundError:
        return set()
    except OSError:
        return unknown
    try:
        table = Path("/proc/locks").read_text()
    except OSError:
        return unknown
    holders = set()
    for line in table.splitlines():
        fields = line.split()
        if "->" in fields:  # a waiter: "1: -> POSIX …"
            continue
        if len(fields) < 6:
            continue
        pid, file_id = fields[4], fields[5].split(":")
        if (
            len(file_id) == 3
            and int(file_id[2]) == st.st_ino
            and (int(file_id[0], 16), int(file_id[1], 16)) == (os.major(st.st_dev), os.minor(st.st_dev))
        ):
            holders.add(pid)
    return holders


def open_store(path: Path | None) -> OxigraphStore:
    return OxigraphStore(path)
