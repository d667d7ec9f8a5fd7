"""One harvested ListRecords page into the graph: each record in its own harvest graph, the one in force registered.

Each ``<record>`` is read on its own (``kernels.read_xml`` on a one-record envelope), so a record that cannot
be read is reported with its path in the response and the others load, and each keeps its own header. Per
record (``precedence``): the description in force is registered (a ``harvested`` version: public graph,
history, catalogue, search, OAI-PMH), a record kept beside a registered or more recent description goes into its
harvest graph only; either way its provenance and its XML as received are kept (``origins``).

Who registers (``principal``):
- a source that speaks for an agent registers *as that agent*: an IGSN outside the agent's namespaces (or a
  sample of another owner) is refused per record and reported, never stored;
- a source without an agent is *unverified*: it registers as the administrator, so a record lands only in a
  namespace this registry knows, with that namespace's owner; its source node and every harvest graph say
  ``ig:unverified true``, and every version it writes carries the note ``harvest: unverified source …``.

A record the source reports deleted removes that source's record (graph and XML); when its description was the
one in force, the most recent other source's record takes its place, or, with none, the sample is deactivated.
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import deepcopy
from dataclasses import dataclass, field, replace

from lxml import etree
from pyoxigraph import NamedNode, Triple

from .. import links, text_policy
from ..errors import IgsnGraphError, InvalidRecord
from ..formats import graph as graphmap
from ..formats.kernels import read_xml
from ..index import catalogue
from ..index.catalogue import CatalogueRow
from ..loader import apply_deletions
from ..record import SampleRecord
from ..registry import embargo
from ..registry.accounts import ADMIN, Principal
from ..registry.service import Registry, Submission
from ..store.base import GraphWrite
from ..xmlparser import element_path, parse_xml
from . import origins, precedence, sources
from .client import OAI, Page
from .origins import Origin
from .sources import HarvestSource

__all__ = ["EVENT", "PageResult", "principal_of", "provenance_notes", "store_page"]

#: the history event of a version whose description a source gave
EVENT = precedence.HARVESTED


@dataclass
class PageResult:
    """What one page did: records stored (in force or kept beside), refused or unreadable (with reasons),
    deletions applied."""

    records: int = 0
    stored: int = 0
    refused: list[str] = field(default_factory=list)
    deleted: int = 0
    warnings: list[str] = field(default_factory=list)
    #: records kept beside the description in force, each with the reason (``IGSN: reason``)
    beside: list[str] = field(default_factory=list)
    #: what the page said about each sample it names: stored, refused or deleted (``harvest_record``)
    seen: dict[str, str] = field(default_factory=dict)


@dataclass
class _Harvested:
    """One record of a page: what it says, where it came from, its XML as received."""

    record: SampleRecord
    fmt: str
    document: bytes
    origin: Origin
    original: bytes


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


def _envelope(record: etree._Element, root: etree._Element | None) -> bytes:
    """One ``<record>`` as a ListRecords response of its own (with the page's responseDate and request)."""
    envelope = etree.Element(f"{{{OAI}}}OAI-PMH", nsmap={None: OAI})
    for part in ("responseDate", "request"):
        found = root.find(f"{{{OAI}}}{part}") if root is not None else None
        if found is not None:
            envelope.append(deepcopy(found))
    etree.SubElement(envelope, f"{{{OAI}}}ListRecords").append(deepcopy(record))
    data: bytes = etree.tostring(envelope)
    return data


def _read(page: Page, source: HarvestSource, request: str, result: PageResult) -> tuple[list[_Harvested], list[Origin]]:
    """The page's live records and the samples it reports deleted, each with its origin; an unreadable record is
    reported by its path."""
    live: list[_Harvested] = []
    deleted: list[Origin] = []
    for element in page.root.iter(f"{{{OAI}}}record"):
        result.records += 1
        header = element.find(f"{{{OAI}}}header")
        ident = (header.findtext(f"{{{OAI}}}identifier") or "").strip() or None if header is not None else None
        stamp = (header.findtext(f"{{{OAI}}}datestamp") or "").strip() or None if header is not None else None
        try:
            doc = read_xml(_envelope(element, page.root))
        except IgsnGraphError as exc:
            result.refused.append(f"{element_path(element)}: {exc.message}")
            continue
        fmt = doc.format.name if doc.format is not None else ""
        said = Origin(source.name, "", ident, stamp, page.response_date, request, fmt or None)
        deleted += [replace(said, igsn=name) for name in doc.deleted]
        original = etree.tostring(element)
        for rec, document in zip(doc.records, doc.documents(), strict=False):
            live.append(_Harvested(rec, fmt, document, replace(said, igsn=rec.igsn), original))
    return live, deleted


def _may_speak(registry: Registry, principal: Principal, igsn: str, row: CatalogueRow | None) -> str | None:
    """Why the source may not describe this sample (None: it may): an agent's source speaks for its own samples
    and namespaces only; an unverified one for samples in namespaces registered here."""
    try:
        if row is not None:
            if not principal.may_act_for(row.agent, row.client):
                return f"{igsn} belongs to {row.client or row.agent}, which this source does not speak for"
            return None
        owner = registry.owner_of_name(registry.parse(igsn), principal)
    except IgsnGraphError as exc:
        return exc.message
    if not principal.may_act_for(owner.agent, owner.client):
        return f"IGSN prefix is not allowed: {igsn} is in namespace {owner.namespace} of {owner.client or owner.agent}"
    return None


def _description(registry: Registry, item: _Harvested, row: CatalogueRow) -> list[Triple]:
    """The triples of a record kept beside the description in force: checked as a registration would be (text
    policy, links, SHACL with the sample's registry facts); empty when it is private. Raises ``IgsnGraphError``."""
    record = text_policy.check_record(item.record, max_bytes=registry.settings.max_literal_bytes)
    record = links.resolve(
        record, item.fmt, doi_prefixes=registry.accounts.doi_prefix_table().keys(), iri_base=registry.iris.base
    )
    record = embargo.with_embargo(record)
    if not record.is_public:
        return []  # a private description is never in a public graph
    triples = graphmap.record_triples(record, registry.iris)
    facts = registry.facts(row.igsn)
    if facts is not None:
        report = registry.validator.validate_many({row.igsn: triples + graphmap.facts_triples(facts, registry.iris)})
        found = report[row.igsn]
        if not found.conforms:
            raise InvalidRecord("; ".join(str(v) for v in found.violations), igsn=row.igsn)
    return triples


def _from_original(registry: Registry, origin: Origin) -> _Harvested | None:
    """A kept record read again from its XML as received (to show it again, or to keep it beside)."""
    data = origins.original(registry.db.read(), origin.source, origin.igsn)
    if data is None:
        return None
    try:
        doc = read_xml(_envelope(parse_xml(data), None))
    except IgsnGraphError:
        return None
    fmt = doc.format.name if doc.format is not None else ""
    for rec, document in zip(doc.records, doc.documents(), strict=False):
        if rec.igsn == origin.igsn:
            return _Harvested(rec, fmt, document, origin, data)
    return None


def store_page(registry: Registry, source: HarvestSource, page: Page) -> PageResult:
    """Keeps the page's records (refused ones reported), registers those in force, applies its deletions."""
    result = PageResult()
    iris = registry.iris
    request = origins.request_url(page.root, OAI)
    live, deleted = _read(page, source, request, result)
    principal = principal_of(source)
    conn = registry.db.read()
    latest: dict[str, _Harvested] = {}
    for item in live:  # a sample twice in a page: its last record counts
        latest[item.record.igsn] = item
    rows = catalogue.get_many(conn, sorted(latest))
    graphs: dict[NamedNode, Sequence[Triple] | None] = {
        origins.source_node(iris, source.name): origins.source_triples(iris, source)
    }
    to_apply: list[_Harvested] = []
    beside: list[tuple[_Harvested, str]] = []
    for name, item in latest.items():
        row = rows.get(name)
        refusal = _may_speak(registry, principal, name, row)
        if refusal is not None:
            result.refused.append(f"{name}: {refusal}")
            result.seen[name] = "refused"
            continue
        decision = precedence.decide(
            conn,
            row,
            item.origin,
            origins.origins_of(conn, name),
            deleted_by_source=sources.record_status(registry, source.name, name) == "deleted",
        )
        if decision.apply:
            to_apply.append(item)
        else:
            beside.append((item, decision.reason))
    applied = _apply(registry, source, principal, to_apply, rows, page.response_date, result, graphs)
    kept: list[tuple[_Harvested, bool]] = [(item, True) for item in applied]
    for item, reason in beside:
        row = rows[item.record.igsn]
        try:
            description = _description(registry, item, row)
        except IgsnGraphError as exc:
            result.refused.append(f"{item.record.igsn}: {exc.message}")
            result.seen[item.record.igsn] = "refused"
            continue
        graphs[origins.record_graph(iris, source.name, item.record.igsn)] = origins.origin_triples(
            iris, source, item.origin, in_force=False, description=description
        )
        result.beside.append(f"{item.record.igsn}: kept beside the description shown ({reason})")
        result.seen[item.record.igsn] = "stored"
        result.stored += 1
        kept.append((item, False))
    registry.store.apply(GraphWrite(replace=graphs))
    with registry.db.write() as w:
        for item, in_force in kept:
            origins.save(w, item.origin, in_force=in_force, original=item.original)
            if in_force:
                for other in origins.origins_of(w, item.record.igsn):
                    if other.origin.source != source.name:
                        origins.set_in_force(w, other.origin.source, item.record.igsn, False)
    _deletions(registry, source, principal, deleted, result)
    return result


def _apply(
    registry: Registry,
    source: HarvestSource,
    principal: Principal,
    items: list[_Harvested],
    rows: dict[str, CatalogueRow],
    response_date: str,
    result: PageResult,
    graphs: dict[NamedNode, Sequence[Triple] | None],
) -> list[_Harvested]:
    """Registers the records in force (``harvested`` versions); the other sources' records they displace go back
    into their own harvest graphs. Returns those registered."""
    if not items:
        return []
    notes = provenance_notes(source, response_date)
    subs = []
    for item in items:
        record = precedence.registry_facts_kept(item.record, rows.get(item.record.igsn))
        record.warnings.extend(notes)
        subs.append(Submission(record, item.fmt, item.document))
    by_name = {item.record.igsn: item for item in items}
    done: list[_Harvested] = []
    for outcome in registry.register(principal, subs, strict=False, event=EVENT):
        result.seen[outcome.igsn] = "stored" if outcome.ok else "refused"
        if not outcome.ok:
            result.refused.append(f"{outcome.igsn}: {'; '.join(outcome.reasons)}")
            continue
        result.stored += 1
        result.warnings += [f"{outcome.igsn}: {w}" for w in outcome.warnings if not w.startswith("harvest:")]
        item = by_name[outcome.igsn]
        done.append(item)
        graphs[origins.record_graph(registry.iris, source.name, outcome.igsn)] = origins.origin_triples(
            registry.iris, source, item.origin, in_force=True, description=[]
        )
        for other in origins.origins_of(registry.db.read(), outcome.igsn):
            if other.origin.source != source.name and other.in_force:
                _keep_beside(registry, other.origin, graphs)
    return done


def _keep_beside(registry: Registry, origin: Origin, graphs: dict[NamedNode, Sequence[Triple] | None]) -> None:
    """Another source's record no longer in force: its description goes back into its own harvest graph."""
    try:
        other = sources.get(registry, origin.source)
    except IgsnGraphError:
        return
    item = _from_original(registry, origin)
    row = registry.row(origin.igsn)
    description: list[Triple] = []
    if item is not None and row is not None:
        try:
            description = _description(registry, item, row)
        except IgsnGraphError:
            description = []
    graphs[origins.record_graph(registry.iris, other.name, origin.igsn)] = origins.origin_triples(
        registry.iris, other, origin, in_force=False, description=description
    )


def _deletions(
    registry: Registry, source: HarvestSource, principal: Principal, deleted: list[Origin], result: PageResult
) -> None:
    """The source's record goes; the sample is deactivated only when that record was the description shown and
    no other source has one (then the most recent other record is shown instead)."""
    conn = registry.db.read()
    to_deactivate: list[str] = []
    for gone in deleted:
        name = gone.igsn
        result.seen[name] = "deleted"
        mine = origins.origin(conn, source.name, name)
        if mine is not None:
            registry.store.apply(GraphWrite(replace={origins.record_graph(registry.iris, source.name, name): None}))
            with registry.db.write() as w:
                origins.forget(w, source.name, name)
        others = [o for o in origins.origins_of(conn, name) if o.origin.source != source.name]
        if mine is not None and not mine.in_force:
            continue  # its record was kept beside: what is shown does not change
        if mine is None:
            row = registry.row(name)
            shown_elsewhere = any(o.in_force for o in others)
            if shown_elsewhere or (row is not None and row.has_metadata and precedence.described_here(conn, name)):
                continue  # the description shown is not this source's
        if others and _show_instead(registry, others[0]):
            continue
        to_deactivate.append(name)
    for d in apply_deletions(registry, principal, to_deactivate):
        result.seen[d.igsn] = "refused" if d.status == "failed" else "deleted"
        if d.status == "failed":
            result.refused.append(f"{d.igsn}: deleted at the source, not deactivated: {d.reason}")
        elif d.status == "deactivated":
            result.deleted += 1


def _show_instead(registry: Registry, other: origins.OriginRow) -> bool:
    """Registers another source's kept record as the description in force (its source's principal)."""
    try:
        source = sources.get(registry, other.origin.source)
    except IgsnGraphError:
        return False
    item = _from_original(registry, other.origin)
    if item is None:
        return False
    graphs: dict[NamedNode, Sequence[Triple] | None] = {}
    rows = catalogue.get_many(registry.db.read(), [other.origin.igsn])
    done = _apply(
        registry, source, principal_of(source), [item], rows, other.origin.response_date, PageResult(), graphs
    )
    if not done:
        return False
    registry.store.apply(GraphWrite(replace=graphs))
    with registry.db.write() as w:
        origins.set_in_force(w, source.name, other.origin.igsn, True)
    return True
