"""Reads files and folders of records (any supported XML kernel, Turtle, JSON-LD) into submissions.

A file that cannot be read is reported, never fatal to the whole load.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from lxml import etree

from .errors import InvalidInput
from .registry.service import Submission

__all__ = ["FileProblem", "iter_files", "read_file", "read_document", "RDF_SUFFIXES", "XML_SUFFIXES"]

XML_SUFFIXES = {".xml"}
RDF_SUFFIXES = {".ttl": "text/turtle", ".jsonld": "application/ld+json", ".json": "application/ld+json",
                ".nt": "application/n-triples"}


@dataclass
class FileProblem:
    path: Path
    reason: str


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Every readable record file under the given files and folders, in a stable order."""
    for path in paths:
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                if p.is_file() and p.suffix.lower() in XML_SUFFIXES | RDF_SUFFIXES.keys():
                    yield p
        else:
            yield path


def read_file(path: Path, *, max_bytes: int) -> list[Submission]:
    """The records of one file; raises ``InvalidInput`` (with the reason) when it cannot be read."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InvalidInput(f"cannot read: {exc.strerror}") from None
    if size > max_bytes:
        raise InvalidInput(f"file is larger than {max_bytes} bytes")
    return read_document(path.read_bytes(), RDF_SUFFIXES.get(path.suffix.lower()))


def read_document(data: bytes, rdf_media_type: str | None = None) -> list[Submission]:
    """The records of one document: RDF in ``rdf_media_type``, else XML of any kernel (one or several records)."""
    if rdf_media_type is not None:
        from .formats.rdf import read_rdf
        records = read_rdf(data, rdf_media_type)
        # a document of several samples is not kept once per sample (history has each sample's graph)
        return [Submission(r, "rdf", data if len(records) == 1 else None) for r in records]
    from .formats.kernels import read_xml
    doc = read_xml(data)
    if len(doc.records) == 1:
        return [Submission(doc.records[0], doc.format.name, data)]
    return [Submission(r, doc.format.name, _single(el)) for r, el in zip(doc.records, doc.elements)]


def _single(element: etree._Element) -> bytes:
    """One record of a batch as a document of its own: the batch's root around just this record, so
    that what is kept as the submitted document reads back in the same format."""
    root = element.getparent()
    if root is None:
        return etree.tostring(element, encoding="utf-8", xml_declaration=True)
    wrapper = etree.Element(root.tag, attrib=dict(root.attrib), nsmap=root.nsmap)
    wrapper.append(deepcopy(element))
    return etree.tostring(wrapper, encoding="utf-8", xml_declaration=True)
