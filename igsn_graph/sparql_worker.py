"""A SPARQL query worker: a child process that answers queries from a read-only store, streaming the results.

Started by ``sparql_workers`` as ``run([REQUESTS, ANSWERS, LIFELINE, NICE])`` in a new interpreter (three
inherited pipe descriptors and a niceness). pyoxigraph cannot cancel a query from Python; a separate process can be
killed, which is why queries run here and not in a thread of the server. The worker reads one request at a
time, evaluates it and writes the answer, serialised by pyoxigraph itself (no Python object per term).

Frames, both ways: one byte of kind, four bytes of length (big-endian), the payload.
Requests: ``Q`` + JSON (query, dataset arguments, base IRI, the media type chosen for each result kind and
the source: a snapshot folder or a remote engine). Answers: ``H`` + JSON head (kind, media type), ``D`` +
bytes of the body (any number), then ``E``; or ``N`` + JSON (the result kind has no acceptable media type),
or ``X`` + JSON (error kind — syntax, storage, timeout (a remote engine's own limit) or evaluation — and
message) instead of ``E`` at any point.

The worker exits when the server goes away: a thread waits for the end of the lifeline pipe, whose other end
only the server holds (pyoxigraph releases the GIL while it evaluates, so that thread runs during a query).
Imports are kept to pyoxigraph and the standard library so that a new worker starts in a few tens of ms.
"""

from __future__ import annotations

import gc
import json
import os
import struct
import sys
import threading
from typing import Any

from pyoxigraph import (
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Store,
    serialize,
)

from .errors import StorageFailure
from .formats.xmltext import CleanXmlWriter
from .sparql import QueryTimeout

__all__ = ["FRAME", "GRAPH_FORMATS", "RESULT_FORMATS", "frame", "main", "run"]

FRAME = struct.Struct(">cI")
#: bytes of body gathered before they are sent on (one write for a small result)
CHUNK = 64 * 1024

RESULT_FORMATS = {
    "application/sparql-results+json": QueryResultsFormat.JSON,
    "application/json": QueryResultsFormat.JSON,
    "application/sparql-results+xml": QueryResultsFormat.XML,
    "application/xml": QueryResultsFormat.XML,
    "text/csv": QueryResultsFormat.CSV,
    "text/tab-separated-values": QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "text/turtle": RdfFormat.TURTLE,
    "application/n-triples": RdfFormat.N_TRIPLES,
    "application/n-quads": RdfFormat.N_QUADS,
    "application/trig": RdfFormat.TRIG,
    "application/rdf+xml": RdfFormat.RDF_XML,
    "application/ld+json": RdfFormat.JSON_LD,
    "text/plain": RdfFormat.N_TRIPLES,
}


def frame(kind: bytes, payload: bytes = b"") -> bytes:
    return FRAME.pack(kind, len(payload)) + payload


class _Frames:
    """Request frames from a blocking descriptor, read in as large pieces as are there (a query's frame
    usually takes one read)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()

    def next(self) -> tuple[bytes, bytes] | None:
        """The next frame; None at the end."""
        while True:
            if len(self.buffer) >= FRAME.size:
                kind, length = FRAME.unpack_from(self.buffer)
                if len(self.buffer) >= FRAME.size + length:
                    payload = bytes(self.buffer[FRAME.size : FRAME.size + length])
                    del self.buffer[: FRAME.size + length]
                    return kind, payload
            data = os.read(self.fd, 1 << 16)
            if not data:
                return None
            self.buffer += data


def _write_all(fd: int, data: bytes | bytearray) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class _Answer:
    """The body as pyoxigraph writes it, sent on in frames of up to CHUNK bytes (head first)."""

    def __init__(self, fd: int, head: bytes) -> None:
        self.fd = fd
        self.pending = bytearray(frame(b"H", head))
        self.body = bytearray()

    def write(self, data: bytes) -> int:
        self.body += data
        if len(self.body) >= CHUNK:
            self._send()
        return len(data)

    def flush(self) -> None:
        pass

    def _send(self) -> None:
        if self.body:
            self.pending += frame(b"D", bytes(self.body))
            self.body.clear()
        _write_all(self.fd, self.pending)
        self.pending.clear()

    def end(self) -> None:
        if self.body:
            self.pending += frame(b"D", bytes(self.body))
            self.body.clear()
        self.pending += frame(b"E")
        _write_all(self.fd, self.pending)
        self.pending.clear()


class _Source:
    """The store queries read: a snapshot folder opened read-only (reopened when the server names a newer one)
    or a remote engine."""

    def __init__(self) -> None:
        self.key: dict[str, Any] | None = None
        self.store: Any = None

    def get(self, spec: dict[str, Any]) -> Any:
        if spec != self.key:
            self.key = self.store = None
            gc.collect()  # the old snapshot's files are released before the next is opened
            if "path" in spec:
                self.store = Store.read_only(spec["path"])
            else:
                from .store.remote import RemoteEndpoints, RemoteStore

                self.store = RemoteStore(RemoteEndpoints(**spec["remote"])).raw
            self.key = spec
        return self.store


def _error(fd: int, kind: str, message: str) -> None:
    _write_all(fd, frame(b"X", json.dumps({"error": kind, "message": message}).encode("utf-8")))


def _dataset(request: dict[str, Any]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if request.get("union"):
        kwargs["use_default_graph_as_union"] = True
    if request.get("default") is not None:
        kwargs["default_graph"] = [NamedNode(g) for g in request["default"]]
    if request.get("named") is not None:
        kwargs["named_graphs"] = [NamedNode(g) for g in request["named"]]
    if request.get("base"):
        kwargs["base_iri"] = request["base"]
    return kwargs


def answer(store: Any, request: dict[str, Any], fd: int) -> None:
    """Evaluates one request and writes its answer frames to ``fd``."""
    try:
        result = store.query(request["query"], **_dataset(request))
    except (SyntaxError, ValueError) as exc:
        _error(fd, "syntax", str(exc))
        return
    except OSError as exc:
        _error(fd, "storage", str(exc))
        return
    except QueryTimeout as exc:  # a remote engine stopped it at its own time limit
        _error(fd, "timeout", exc.message)
        return
    except StorageFailure as exc:  # the remote engine is unreachable
        _error(fd, "storage", exc.message)
        return
    kind = "ask" if isinstance(result, QueryBoolean) else "select" if isinstance(result, QuerySolutions) else "graph"
    media_type = request["graph"] if kind == "graph" else request["select"]
    if media_type is None:
        _write_all(fd, frame(b"N", json.dumps({"kind": kind}).encode()))
        return
    out = _Answer(fd, json.dumps({"kind": kind, "media_type": media_type}).encode())
    # pyoxigraph copies a stored NUL or U+FFFE into XML as it is: dropped on the way (formats.xmltext)
    sink = CleanXmlWriter(out) if "xml" in media_type else out
    try:
        if isinstance(result, (QueryBoolean, QuerySolutions)):
            # pyoxigraph only calls write(); its stubs ask for a whole IO[bytes]
            result.serialize(sink, format=RESULT_FORMATS[media_type])  # type: ignore[arg-type]
        elif isinstance(result, QueryTriples):
            result.serialize(sink, format=GRAPH_FORMATS[media_type])  # type: ignore[arg-type]  # as above
        else:  # a remote engine's CONSTRUCT arrives as a list of triples
            sink.write(serialize(result, format=GRAPH_FORMATS[media_type]) or b"")
        if isinstance(sink, CleanXmlWriter):
            sink.finish()
    except (OSError, ValueError, SyntaxError, RuntimeError) as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        _error(fd, "evaluation", str(exc))
        return
    finally:
        del result
    out.end()


def _watch(lifeline: int) -> None:
    # returns only when the server closed its end: it stopped, or it died
    while os.read(lifeline, 1):
        pass
    os._exit(0)


def main(argv: list[str]) -> int:
    requests, answers, lifeline = (int(a) for a in argv[:3])
    threading.Thread(target=_watch, args=(lifeline,), daemon=True, name="lifeline").start()
    if len(argv) > 3 and int(argv[3]):
        os.nice(int(argv[3]))  # queries yield the processor to the server's own work
    source = _Source()
    frames = _Frames(requests)
    _write_all(answers, frame(b"R"))
    while True:
        got = frames.next()
        if got is None:
            return 0
        kind, payload = got
        if kind == b"O":  # open the store ahead of the first query (a standby worker)
            try:
                source.get(json.loads(payload))
            except Exception:  # noqa: BLE001 - tried again, and reported, with the first query
                pass
            continue
        if kind != b"Q":
            continue
        request = json.loads(payload)
        try:
            store = source.get(request["source"])
        except Exception as exc:  # noqa: BLE001 - reported to the server, which answers 503
            _error(answers, "storage", f"cannot open the query store: {exc}")
            continue
        answer(store, request, answers)


def run(argv: list[str]) -> None:
    try:
        sys.exit(main(argv))
    except BrokenPipeError:
        os._exit(0)  # the server stopped reading: nothing to tell anyone


if __name__ == "__main__":
    run(sys.argv[1:])
