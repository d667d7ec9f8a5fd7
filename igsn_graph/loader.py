"""Reads files and folders of records (any supported XML kernel, OAI-PMH responses, Turtle, JSON-LD) into
submissions, and the samples a harvest reports deleted.

A file that cannot be read is reported, never fatal to the whole load. An OAI-PMH response's deleted records
become deactivations, applied in input order: after every record read before them is written (``segments``),
so a later file that registers the sample again wins, as it would at the source.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import queue
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Collection, Iterable, Iterator, Sequence, Union

from .errors import IgsnGraphError, InvalidInput, NotFound
from .formats.table import RDF_SYNTAXES
from .registry.accounts import Principal
from .registry.derivation import DerivationSettings, Derived, derive_many
from .registry.service import Registry, Submission

__all__ = [
    "FileProblem",
    "DocumentInput",
    "DeletionOutcome",
    "Segment",
    "iter_files",
    "read_file",
    "read_input",
    "read_document",
    "segments",
    "read_files",
    "default_readers",
    "fewer_collections",
    "apply_deletions",
    "RDF_SUFFIXES",
    "XML_SUFFIXES",
]

XML_SUFFIXES = {".xml"}
#: file suffix → the media type it is read as (``formats.table``: JSON as JSON-LD, then by its content)
RDF_SUFFIXES = {suffix: syntax.media_type for syntax in RDF_SYNTAXES for suffix in syntax.suffixes}


@dataclass
class FileProblem:
    path: Path
    reason: str


@dataclass
class DocumentInput:
    """What one document asks of the registry: records to register, and samples to deactivate (the normal-form
    IGSNs of an OAI-PMH response's deleted records)."""

    submissions: Sequence[Submission | Derived]
    deleted: list[str] = field(default_factory=list)


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Every readable record file under the given files and folders, in a stable order."""
    for path in paths:
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                if p.is_file() and p.suffix.lower() in XML_SUFFIXES | RDF_SUFFIXES.keys():
                    yield p
        else:
            yield path


def read_file(path: Path, *, max_bytes: int, context_urls: Collection[str] = ()) -> DocumentInput:
    """The records (and deletions) of one file; raises ``InvalidInput`` (with the reason) when it cannot be read."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InvalidInput(f"cannot read: {exc.strerror}") from None
    if size > max_bytes:
        raise InvalidInput(f"file is larger than {max_bytes} bytes")
    return read_input(path.read_bytes(), RDF_SUFFIXES.get(path.suffix.lower()), context_urls=context_urls)


def read_input(data: bytes, rdf_media_type: str | None = None, *, context_urls: Collection[str] = ()) -> DocumentInput:
    """The records of one document — RDF in ``rdf_media_type``, else XML of any kernel or an OAI-PMH
    GetRecord/ListRecords response — and the samples it reports deleted. JSON (``application/ld+json``) is
    IGSN-JSON, AGN JSON or JSON-LD by its content; ``context_urls``: where our JSON-LD context is published."""
    if rdf_media_type == "application/ld+json":
        from .formats.json_input import read_json

        got = read_json(data, context_urls=context_urls)
        return DocumentInput([Submission(r, got.format, d) for r, d in zip(got.records, got.documents, strict=False)])
    if rdf_media_type is not None:
        from .formats.rdf import read_rdf

        records = read_rdf(data, rdf_media_type)
        # a document of several samples is not kept once per sample (history has each sample's graph)
        return DocumentInput([Submission(r, "rdf", data if len(records) == 1 else None) for r in records])
    from .formats.kernels import read_xml

    doc = read_xml(data)
    name = doc.format.name if doc.format is not None else ""
    return DocumentInput(
        [Submission(r, name, d) for r, d in zip(doc.records, doc.documents(), strict=False)], doc.deleted
    )


def read_document(
    data: bytes, rdf_media_type: str | None = None, *, context_urls: Collection[str] = ()
) -> list[Submission]:
    """The records of one document (see ``read_input``) for a caller that registers records only: a document
    that reports deleted records is refused rather than loaded without its deletions."""
    got = read_input(data, rdf_media_type, context_urls=context_urls)
    if got.deleted:
        shown = ", ".join(got.deleted[:5]) + (", …" if len(got.deleted) > 5 else "")
        raise InvalidInput(
            f"the document reports {len(got.deleted)} deleted record(s) ({shown}); deletions are "
            "applied by the bulk API (POST /api/v1/samples/bulk) and `igsn-graph load`: send the harvest there, "
            "or send the records without the deleted ones"
        )
    # read here: each one is a Submission (only a reading process derives them, ``read_files``)
    return [s for s in got.submissions if isinstance(s, Submission)]


#: one file read: what it asks, or why it cannot be read
FileRead = tuple[Path, Union[DocumentInput, str]]
#: files per block: reading processes take blocks in turn, and the loader takes their records block by block
_FILES_PER_BLOCK = 16
#: a message holds at most this many records (pickling a few at once costs less than one by one)
_RECORDS_PER_MESSAGE = 256
#: messages each reading process may be ahead of the writer: bounds the memory of a load whatever its size
_READ_AHEAD = 8
#: seconds a worker waits on a full queue before it checks that the process it reads for is still alive
_PARENT_CHECK_S = 1.0
#: the message that ends a block
_BLOCK_END = "block-end"
#: a reading process's message: files read, the end of a block, its fault, or the end of its blocks
Message = Union[list[FileRead], str, BaseException, None]


def default_readers() -> int:
    """Reading processes for a load: one per core but the writer's, at least one."""
    return max(1, (os.cpu_count() or 2) - 1)


@contextmanager
def fewer_collections(young: int = 10_000) -> Iterator[None]:
    """For a bulk load in a process of its own: the objects made before it (modules, store, registry) are frozen
    out of the garbage collector's scans, which they would otherwise pay for again at every collection a load's
    records set off (measured: a fifth of the writing process's Python time), and young collections come every
    ``young`` allocations rather than 700. Undone after — but for the freeze when something was frozen before
    (``gc.unfreeze`` would thaw that too): those objects then stay out of the scans."""
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    gc.freeze()
    gc.set_threshold(young, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if not frozen:
            gc.unfreeze()


def _read_one(path: Path, max_bytes: int, context_urls: Collection[str]) -> FileRead:
    try:
        return path, read_file(path, max_bytes=max_bytes, context_urls=context_urls)
    except IgsnGraphError as exc:
        return path, exc.message


def read_files(
    files: Iterable[Path],
    *,
    max_bytes: int,
    context_urls: Collection[str] = (),
    in_worker: bool = False,
    derive: DerivationSettings | None = None,
    readers: int = 1,
) -> Iterator[FileRead]:
    """Each file read, in order. ``in_worker``: parsed and mapped to records in ``readers`` separate processes, a
    bounded number of files ahead, so that the caller writes one batch while the next ones are read (every core;
    the caller stays the only writer). Memory stays bounded: a worker waits while its queue is full.
    ``derive``: the workers also derive each record (``registry.derivation``), and hand over ``Derived``s."""
    if not in_worker:
        for path in files:
            yield _read_one(path, max_bytes, context_urls)
        return
    paths = list(files)
    if not paths:
        return
    blocks = [paths[i : i + _FILES_PER_BLOCK] for i in range(0, len(paths), _FILES_PER_BLOCK)]
    count = max(1, min(readers, len(blocks)))
    # spawn, not fork: the parent holds the graph store and SQLite open, which a forked child must not inherit
    ctx = multiprocessing.get_context("spawn")
    queues: list[multiprocessing.Queue[Message]] = [ctx.Queue(_READ_AHEAD) for _ in range(count)]
    workers = [
        ctx.Process(
            target=_read_worker,
            args=(blocks[r::count], max_bytes, list(context_urls), derive, queues[r], os.getpid()),
            name=f"igsn-graph-reader-{r}",
            daemon=True,
        )
        for r in range(count)
    ]
    for worker in workers:
        worker.start()
    try:
        for i in range(len(blocks)):  # block i is read by worker i % count: taken in turn, the files stay in order
            while (message := _take(queues[i % count], workers[i % count])) != _BLOCK_END:
                assert isinstance(message, list)
                yield from message
        for r in range(count):  # each worker's last word: its queue is drained, so it ends
            _take(queues[r], workers[r])
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
        for worker in workers:
            worker.join()
        for q in queues:
            q.close()


def _take(results: multiprocessing.Queue[Message], worker: multiprocessing.process.BaseProcess) -> Message:
    """The next message of a reading process; its fault is raised here."""
    while True:
        try:
            message = results.get(timeout=_PARENT_CHECK_S)
        except queue.Empty:
            if not worker.is_alive() and worker.exitcode != 0:
                raise RuntimeError(f"the reading process ended unexpectedly (exit code {worker.exitcode})") from None
            continue
        if isinstance(message, BaseException):
            raise message
        return message


def _read_worker(
    blocks: list[list[Path]],
    max_bytes: int,
    context_urls: list[str],
    derive: DerivationSettings | None,
    results: multiprocessing.Queue[Message],
    parent: int,
) -> None:
    """A reading process: its blocks of files to records (derived, with ``derive``), a block's end said; stops when
    its parent is gone (a killed loader must not leave it blocked on a full queue)."""

    def put(message: Message) -> bool:
        while True:
            try:
                results.put(message, timeout=_PARENT_CHECK_S)
                return True
            except queue.Full:
                if os.getppid() != parent:
                    return False

    try:
        derived = _Deriving(derive) if derive is not None else None
        for block in blocks:
            chunk: list[FileRead] = []
            records = 0
            for path in block:
                read = _read_one(path, max_bytes, context_urls)
                if derived is not None:
                    read = derived(read)
                chunk.append(read)
                records += 0 if isinstance(read[1], str) else len(read[1].submissions)
                if records >= _RECORDS_PER_MESSAGE:
                    if not put(chunk):
                        break
                    chunk, records = [], 0
            else:
                if (not chunk or put(chunk)) and put(_BLOCK_END):
                    continue
            break
        else:
            if put(None):
                results.close()
                results.join_thread()  # everything handed over before this process ends
                return
    except BaseException as exc:  # noqa: BLE001 - a fault of the reader: raised in the loading process
        if put(exc):
            results.close()
            results.join_thread()
            return
    # the loader is gone: what is still buffered for its pipe is dropped, or this process would never end
    results.cancel_join_thread()


class _Deriving:
    """A reading process's derivation of the records it reads (``registry.derivation``): its validator made once."""

    def __init__(self, settings: DerivationSettings) -> None:
        from .iris import Iris
        from .validation import Validator

        self.settings = settings
        self.validator = Validator(Iris(settings.iri_base), engine=settings.validation_engine)

    def __call__(self, read: FileRead) -> FileRead:
        path, got = read
        if isinstance(got, str) or not got.submissions:
            return read
        subs = [s for s in got.submissions if isinstance(s, Submission)]  # as read_file gives them: each one
        return path, DocumentInput(derive_many(subs, self.settings, self.validator), got.deleted)


class Segment:
    """The submissions of consecutive files up to and including the first that reports deletions; iterate it
    (lazily, file by file), then read ``deleted``. Files that cannot be read go to ``on_problem``."""

    def __init__(
        self,
        files: Iterator[FileRead],
        on_problem: Callable[[Path, str], None],
        on_read: Callable[[Path], None] | None = None,
    ) -> None:
        self._files = files
        self._on_problem = on_problem
        self._on_read = on_read
        self.deleted: list[str] = []
        #: True once the files ran out (no further segment)
        self.last = False

    def __iter__(self) -> Iterator[Submission | Derived]:
        for path, got in self._files:
            if self._on_read is not None:
                self._on_read(path)
            if isinstance(got, str):
                self._on_problem(path, got)
                continue
            yield from got.submissions
            if got.deleted:
                self.deleted = got.deleted
                return
        self.last = True


def segments(
    files: Iterable[Path],
    *,
    max_bytes: int,
    on_problem: Callable[[Path, str], None],
    on_read: Callable[[Path], None] | None = None,
    context_urls: Collection[str] = (),
    read_ahead: bool = False,
    derive: DerivationSettings | None = None,
    readers: int = 1,
) -> Iterator[Segment]:
    """``files`` cut after each file that reports deletions: register a segment's submissions, then apply its
    ``deleted``, then take the next segment — so deletions land in input order. ``context_urls``: where this
    deployment publishes our JSON-LD context (``formats.contexts.own_context_urls``). ``on_read``: told of each
    file taken (for progress). ``read_ahead``: files are read in ``readers`` worker processes while the caller
    writes, and their records derived there with ``derive`` (``read_files``)."""
    remaining = read_files(
        files, max_bytes=max_bytes, context_urls=context_urls, in_worker=read_ahead, derive=derive, readers=readers
    )
    try:
        while True:
            segment = Segment(remaining, on_problem, on_read)
            yield segment
            if segment.last:
                return
    finally:
        close = getattr(remaining, "close", None)
        if close is not None:
            close()


@dataclass
class DeletionOutcome:
    igsn: str
    #: ``deactivated``, ``inactive`` (it was already), ``unknown`` (not registered here) or ``failed``
    status: str
    reason: str | None = None


def apply_deletions(
    registry: Registry, principal: Principal, names: Iterable[str], *, test_mode: bool = False
) -> list[DeletionOutcome]:
    """Deactivates each sample a harvest reports deleted (``Registry.deactivate``: hidden, 410, a deleted
    record for our harvesters). A sample not registered here has nothing to deactivate and one already
    inactive is left as it is (no new version); anything else refused is ``failed`` with the reason.
    ``test_mode``: every check is made, nothing is stored."""
    outcomes = []
    for name in names:
        facts = registry.facts(name)
        if facts is None:
            outcomes.append(DeletionOutcome(name, "unknown"))
            continue
        if not facts.active:
            outcomes.append(DeletionOutcome(name, "inactive"))
            continue
        try:
            registry.deactivate(principal, name, test_mode=test_mode)
        except NotFound:
            outcomes.append(DeletionOutcome(name, "unknown"))
        except IgsnGraphError as exc:
            outcomes.append(DeletionOutcome(name, "failed", exc.message))
        else:
            outcomes.append(DeletionOutcome(name, "deactivated"))
    return outcomes
