"""One harvested ListRecords page into the registry: read each ``<metadata>`` payload, register, deactivate.

The page is read with ``kernels.read_xml`` (its OAI-PMH envelope reader: every payload by its root element,
deleted headers listed). When one record of a page cannot be read, the page is read again record by record,
so that record is reported (with its path in the response) and the others load.

Who registers (``principal``):
- a source that speaks for an agent registers *as that agent*: the registry's own ownership rules refuse,
  per record, an IGSN outside the agent's namespaces (reported, never stored);
- a source without an agent is *unverified*: it registers as the administrator, so a record lands only in a
  namespace this registry knows, with that namespace's owner, and every version it writes carries the note
  ``harvest: unverified source …`` in its history activity.
Every harvested version's history activity says where it came from (source, URL, prefix, responseDate), as a
note of its input (``ig:inputWarning``), until the registry records a dedicated ``harvested`` event.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field

from lxml import etree

from ..errors import IgsnGraphError
from ..formats.kernels import read_xml
from ..loader import apply_deletions
from ..registry.accounts import ADMIN, Principal
from ..registry.service import Registry, Submission
from ..xmlparser import element_path
from .client import OAI, Page
from .sources import HarvestSource

__all__ = ["PageResult", "principal_of", "provenance_notes", "store_page"]


@dataclass
class PageResult:
    """What one page did: records stored, records refused or unreadable (with reasons), deletions applied."""

    records: int = 0
    stored: int = 0
    refused: list[str] = field(default_factory=list)
    deleted: int = 0
    warnings: list[str] = field(default_factory=list)
    #: what the page said about each sample it names: stored, refused or deleted (``harvest_record``)
    seen: dict[str, str] = field(default_factory=dict)


def principal_of(source: HarvestSource) -> Principal:
    """The source's agent when it speaks for one; the administrator for an unverified source (see above)."""
    return Principal("agent", source.agent) if source.agent else ADMIN


def provenance_notes(source: HarvestSource, response_date: str) -> list[str]:
    """The notes each harvested version carries into its history activity."""
    notes = [
        f"harvest: from OAI-PMH source {source.name} ({source.url}, metadataPrefix {source.prefix}), "
        f"responseDate {response_date}"
    ]
    if not source.verified:
        notes.append(f"harvest: unverified source {source.name}: no allocating agent speaks for it")
    return notes


def _submissions(data: bytes) -> tuple[list[Submission], list[str]]:
    doc = read_xml(data)
    name = doc.format.name if doc.format is not None else ""
    return [Submission(r, name, d) for r, d in zip(doc.records, doc.documents(), strict=False)], doc.deleted


def _one_by_one(page: Page, result: PageResult) -> tuple[list[Submission], list[str]]:
    """Each ``<record>`` of the page read on its own; a record that cannot be read is reported by its path."""
    subs: list[Submission] = []
    deleted: list[str] = []
    for record in page.root.iter(f"{{{OAI}}}record"):
        envelope = etree.Element(page.root.tag, nsmap=page.root.nsmap)
        for part in ("responseDate", "request"):
            found = page.root.find(f"{{{OAI}}}{part}")
            if found is not None:
                envelope.append(deepcopy(found))
        verb = etree.SubElement(envelope, f"{{{OAI}}}ListRecords")
        verb.append(deepcopy(record))
        try:
            got, gone = _submissions(etree.tostring(envelope))
        except IgsnGraphError as exc:
            result.refused.append(f"{element_path(record)}: {exc.message}")
            result.records += 1
            continue
        subs += got
        deleted += gone
    return subs, deleted


def store_page(registry: Registry, source: HarvestSource, page: Page) -> PageResult:
    """Registers the page's records (refused ones reported) and deactivates the samples it reports deleted."""
    result = PageResult()
    try:
        subs, deleted = _submissions(page.data)
    except IgsnGraphError:
        subs, deleted = _one_by_one(page, result)
    notes = provenance_notes(source, page.response_date)
    for sub in subs:
        sub.record.warnings.extend(notes)
    principal = principal_of(source)
    result.records += len(subs) + len(deleted)
    if subs:
        for outcome in registry.register(principal, subs, strict=False):
            result.seen[outcome.igsn] = "stored" if outcome.ok else "refused"
            if outcome.ok:
                result.stored += 1
                result.warnings += [f"{outcome.igsn}: {w}" for w in outcome.warnings if not w.startswith("harvest:")]
            else:
                result.refused.append(f"{outcome.igsn}: {'; '.join(outcome.reasons)}")
    for d in apply_deletions(registry, principal, deleted):
        result.seen[d.igsn] = "refused" if d.status == "failed" else "deleted"
        if d.status == "failed":
            result.refused.append(f"{d.igsn}: deleted at the source, not deactivated: {d.reason}")
        elif d.status == "deactivated":
            result.deleted += 1
    return result
