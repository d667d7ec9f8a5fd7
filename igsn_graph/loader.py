"""Reads files and folders of records (any supported XML kernel, OAI-PMH responses, Turtle, JSON-LD) into
submissions, and the samples a harvest reports deleted.

A file that cannot be read is reported, never fatal to the whole load. An OAI-PMH response's deleted records
become deactivations, applied in input order: after every record read before them is written (``segments``),
so a later file that registers the sample again wins, as it would at the source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Collection, Iterable, Iterator

from .errors import IgsnGraphError, InvalidInput, NotFound
from .registry.accounts import Principal
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
    "apply_deletions",
    "RDF_SUFFIXES",
    "XML_SUFFIXES",
]

XML_SUFFIXES = {".xml"}
RDF_SUFFIXES = {
    ".ttl": "text/turtle",
    ".jsonld": "application/ld+json",
    ".json": "application/ld+json",
    ".nt": "application/n-triples",
}


@dataclass
class FileProblem:
    path: Path
    reason: str


@dataclass
class DocumentInput:
    """What one document asks of the registry: records to register, and samples to deactivate (the normal-form
    IGSNs of an OAI-PMH response's deleted records)."""

    submissions: list[Submission]
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
    return got.submissions


class Segment:
    """The submissions of consecutive files up to and including the first that reports deletions; iterate it
    (lazily, file by file), then read ``deleted``. Files that cannot be read go to ``on_problem``."""

    def __init__(
        self,
        files: Iterator[Path],
        max_bytes: int,
        on_problem: Callable[[Path, str], None],
        context_urls: Collection[str] = (),
    ) -> None:
        self._files = files
        self._max_bytes = max_bytes
        self._context_urls = context_urls
        self._on_problem = on_problem
        self.deleted: list[str] = []
        #: True once the files ran out (no further segment)
        self.last = False

    def __iter__(self) -> Iterator[Submission]:
        for path in self._files:
            try:
                got = read_file(path, max_bytes=self._max_bytes, context_urls=self._context_urls)
            except IgsnGraphError as exc:
                self._on_problem(path, exc.message)
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
    context_urls: Collection[str] = (),
) -> Iterator[Segment]:
    """``files`` cut after each file that reports deletions: register a segment's submissions, then apply its
    ``deleted``, then take the next segment — so deletions land in input order. ``context_urls``: where this
    deployment publishes our JSON-LD context (``formats.contexts.own_context_urls``)."""
    remaining = iter(files)
    while True:
        segment = Segment(remaining, max_bytes, on_problem, context_urls)
        yield segment
        if segment.last:
            return


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
