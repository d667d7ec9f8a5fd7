"""The sample's HTML pages: landing page, alternates listing, not found, tombstone (lxml: every value escaped)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from urllib.parse import quote

from lxml import etree

from .. import maps
from ..codelists import codelist
from ..family import Family, Relative, family
from ..formats import citation, schemaorg
from ..formats.xmltext import json_escaped
from ..harvest.view import described_by_section
from ..index.catalogue import CatalogueRow
from ..pages import E
from ..pages import dl as _dl
from ..pages import joined as _joined
from ..pages import link as _link
from ..pages import page as _page
from ..record import Agent, RegistryFacts
from .profiles import PROFILES, alternate_url, resource_url
from .reads import history, related
from .rendering import SampleView, csl_of, schemaorg_of

__all__ = ["landing_page", "not_found_page", "tombstone_page"]


_NOTICES = {
    "deprecated": "This sample is deprecated.",
    "destroyed": "This sample has been destroyed.",
    "draft": "This IGSN is a draft: reserved, not yet registered; only its owner sees this page.",
}


def _label(iri: str, *lists: str) -> str:
    for name in lists:
        term = codelist(name).by_iri.get(iri)
        if term is not None:
            return term.label
    return iri


def _concept(iri: str, *lists: str) -> etree._Element | str:
    label = _label(iri, *lists)
    return _link(label, iri) if label != iri else _link(iri, iri)


def _agent(agent: Agent) -> list[etree._Element | str]:
    parts: list[etree._Element | str] = [agent.name]
    link = schemaorg.agent_link(agent)
    if link:
        scheme = "ORCID" if "orcid.org" in link else "ROR" if "ror.org" in link else "link"
        parts += [" (", E.A(scheme, href=link), ")"]
    if agent.affiliation is not None and agent.affiliation.name.strip():
        parts += [", ", *_agent(agent.affiliation)]
    return parts


def _json_ld_block(doc: dict[str, object]) -> etree._Element:
    # "<" never appears raw inside the script: no "</script>" can end it early
    text = json.dumps(doc, ensure_ascii=False, indent=1).replace("<", "\\u003c").replace(">", "\\u003e")
    text = json_escaped(text)  # the same JSON without characters XML cannot carry (U+FFFE, a lone surrogate)
    script = E.SCRIPT(type="application/ld+json")
    script.text = text
    return script


def _relative(r: Relative) -> list[etree._Element | str]:
    """A relative as a family list shows it: its name linked to its page, then its types and IGSN."""
    about = ", ".join(r.types) or r.kind
    return [
        E.A(r.name or r.igsn, href=resource_url("/", r.igsn)),
        " ",
        E.SPAN(f"{about} · {r.igsn}", **{"class": "meta"}),
    ]


def _more(text: str, href: str) -> etree._Element:
    return E.LI(E.A(text, href=href))


def _family_section(fam: Family, name: str, title: str) -> etree._Element:
    """The family as a nested list: the ancestors from the root down, this sample among its siblings, its
    children under it; then the collections it belongs to and, for a collection, its members."""
    api = f"/api/v1/samples/{quote(name, safe='')}"
    me = E.LI(E.STRONG(title, **{"aria-current": "page"}), " ", E.SPAN(f"this sample · {name}", **{"class": "meta"}))
    if fam.children:
        kids = E.UL(*[E.LI(*_relative(c)) for c in fam.children])
        if fam.more_children:
            kids.append(_more(f"More children: all descendants of {name}", f"{api}/descendants?depth=1"))
        me.append(kids)
    level = [me] + [E.LI(*_relative(s)) for s in fam.siblings]
    if fam.more_siblings:
        parent = quote(fam.parents[0].igsn, safe="")
        level.append(_more("More samples from the same parent", f"/api/v1/samples/{parent}/descendants?depth=1"))
    for generation in reversed(fam.lineage):
        head: list[etree._Element | str] = []
        for i, r in enumerate(generation):
            head += ([" · "] if i else []) + _relative(r)
        level = [E.LI(*head, E.UL(*level))]
    section = E.SECTION(E.H2("Family"))
    if fam.lineage or fam.children or fam.siblings:
        section.append(E.UL(*level, **{"class": "family", "aria-label": f"Family tree of {title}"}))
    if fam.collections:
        section.extend([E.H3("Part of the collections"), E.UL(*[E.LI(*_relative(c)) for c in fam.collections])])
    if fam.members:
        members = E.UL(*[E.LI(*_relative(m)) for m in fam.members])
        if fam.more_members:
            members.append(_more(f"More members: every sample related to {name}", f"{api}/related"))
        section.extend([E.H3("Members of this collection"), members])
    return section


def landing_page(view: SampleView, resource: str, available: Sequence[str]) -> bytes:
    """Our landing page: everything public about the sample, its citations and every alternate; no scripts
    beyond the JSON-LD data block, no external resources; lxml escapes every value."""
    registry, facts, record = view.registry, view.facts, view.record
    rel = related(registry, facts.igsn)
    name = facts.igsn
    title = (record.name if record is not None and record.name else None) or name
    body: list[etree._Element] = [E.HEADER(E.P("IGSN sample"), E.H1(title))]
    notice = _NOTICES.get(facts.status)
    if notice:
        parts: list[object] = [notice]
        if facts.replaced_by:
            target = facts.replaced_by
            parts += [" Replaced by ", E.A(target, href=target if "://" in target else resource_url("/", target)), "."]
        body.append(E.P(*parts, role="alert", **{"class": "notice"}))

    doi = (record.doi if record is not None else None) or facts.doi
    identifiers: list[tuple[str, object]] = [
        ("IGSN", E.CODE(f"IGSN: {name}")),
        (
            "Handle",
            [
                E.CODE(f"hdl:10273/{name}"),
                " · ",
                E.A(f"https://hdl.handle.net/10273/{name}", href=f"https://hdl.handle.net/10273/{name}"),
            ],
        ),
        ("IGSN URI", E.A(f"{registry.iris.base}{name}", href=f"{registry.iris.base}{name}")),
        ("Here", E.A(resource, href=resource)),
    ]
    if doi:
        identifiers.append(
            ("DOI", [E.CODE(f"doi:{doi}"), " · ", E.A(f"https://doi.org/{doi}", href=f"https://doi.org/{doi}")])
        )
    if record is not None:
        identifiers += [(i.scheme or "Other identifier", i.value) for i in record.alternate_identifiers]
    body += [E.SECTION(E.H2("Identifiers"), _dl(identifiers))]

    if record is not None and "citation" in available:
        item = csl_of(registry, record, facts)
        text, _, _ = citation.format_reference(item)
        cite_links = [
            E.A(label, href=alternate_url(resource, "citation", mt))
            for label, mt in (
                ("BibTeX", "application/x-bibtex"),
                ("RIS", "application/x-research-info-systems"),
                ("CSL-JSON", "application/vnd.citationstyles.csl+json"),
            )
        ]
        body.append(
            E.SECTION(
                E.H2("Cite as"), E.P(text, **{"class": "citation"}), E.P("Download: ", *_joined(cite_links, " · "))
            )
        )

    facts_rows: list[tuple[str, object]] = []
    if record is not None:
        t = record.collection_time
        when = None if t is None else t.instant or (f"{t.start or '…'} – {t.end or '…'}" if t.start or t.end else None)
        facts_rows = [
            (
                "Type",
                _joined([_concept(x, "sample_type", "feature_type", "collection_type") for x in record.resource_types]),
            ),
            ("Material", _joined([_concept(m, "material") for m in record.materials])),
            ("Classification", _joined([_link(c.label, c.uri) for c in record.classifications])),
            ("Collection method", _concept(record.collection_method, "method") if record.collection_method else None),
            ("Method", record.method_description),
            ("Collected", when),
            ("Description", record.description),
            ("Purpose", record.purpose),
            ("Campaign", record.campaign),
            ("Comments", record.comments),
        ]
    facts_rows += [("Status", facts.status), ("Registered", facts.registered), ("Last changed", facts.datestamp)]
    if facts.landing_url:
        facts_rows.append(("Registrant's page", E.A(facts.landing_url, href=facts.landing_url)))
    body.append(E.SECTION(E.H2("Sample"), _dl(facts_rows)))
    # harvested descriptions (issue 18): which source describes the sample, which description is shown
    described_by = described_by_section(registry, name)
    if described_by is not None:
        body.append(described_by)

    if record is not None and (record.geometries or record.places):
        shapes: list[maps.Shape] = []
        described: list[etree._Element] = []
        for g in record.geometries:
            shapes += maps.shapes_of_wkt(g.wkt, g.srid, title)
            described.append(E.LI(E.CODE(g.wkt), f" ({g.srid})" if g.srid else ""))
        described += [E.LI(_link(p.name or p.identifier or "", p.identifier)) for p in record.places]
        section = E.SECTION(E.H2("Location"))
        if shapes:  # coastlines and borders (Natural Earth), zoomed to the sample's own geometry
            section.append(maps.figure(shapes, f"Map of where {title} was collected", "Longitude/latitude (CRS84)"))
        section.append(E.UL(*described))
        body.append(section)

    if record is not None:
        people: list[tuple[str, object]] = [("Collector", _agent(a)) for a in record.collectors]
        for c in record.curations:
            parts2: list[etree._Element | str] = []
            if c.curator:
                parts2.append(c.curator)
            if c.institution is not None:
                parts2 += ([", "] if parts2 else []) + _agent(c.institution)
            if c.location:
                parts2.append(f" ({c.location})")
            people.append(("Curator", parts2))
        people += [(c.role or "Contributor", _agent(c.agent)) for c in record.contributors]
        if record.registrant is not None:
            people.append(("Registrant", _agent(record.registrant)))
        people.append(("Allocating agent", E.A(facts.agent, href=f"/agent/{quote(facts.agent, safe='')}")))
        if facts.client:
            people.append(("Client", E.A(facts.client, href=f"/client/{quote(facts.client, safe='')}")))
        people.append(("Namespace", E.A(facts.namespace, href=f"/namespace/{quote(facts.namespace, safe='')}")))
        body.append(E.SECTION(E.H2("People and organisations"), _dl(people)))

    relatives = family(registry.db.read(), name)
    if relatives:
        body.append(_family_section(relatives, name, title))

    relation_rows: list[tuple[str, object]] = []
    if record is not None:
        linked = set(record.parents) | set(record.collections)
        for r in record.relations:
            if r.igsn is not None and r.igsn in linked:
                continue  # shown above as its parent or collection, on our own page
            shown = r.title or (f"{r.identifier_type}: {r.identifier}" if r.identifier_type else r.identifier)
            # another sample, in whatever form it was written, links to its page here (links.py)
            target = (
                E.A(shown, href=resource_url("/", r.igsn))
                if r.igsn is not None
                else _link(shown, schemaorg.relation_url(r, registry.iris.base))
            )
            relation_rows.append((r.relation_type or r.source_relation_type or "Related", target))
    if relation_rows:
        body.append(E.SECTION(E.H2("Related samples, datasets and publications"), _dl(relation_rows)))

    events = history(registry, name)
    if events:
        rows = [E.TR(E.TD(e.time), E.TD(e.event), E.TD(e.by)) for e in events]
        body.append(
            E.SECTION(
                E.H2("Registration history"),
                E.TABLE(E.THEAD(E.TR(E.TH("When"), E.TH("Change"), E.TH("By"))), E.TBODY(*rows)),
            )
        )

    items = [
        E.LI(E.A(f"{PROFILES[t].label} — {mt}", href=alternate_url(resource, t, mt)))
        for t in available
        for mt in PROFILES[t].offered
        if (t, mt) != ("landing", "text/html")
    ]
    # one folded block instead of a long list: most readers want the page, the few who want a format find it
    body.append(
        E.SECTION(
            E.H2("Download / formats"),
            E.DETAILS(
                E.SUMMARY(f"This sample in {len(items)} other formats (RDF, XML kernels, DataCite, citations…)"),
                E.UL(*items),
                **{"class": "formats"},
            ),
        )
    )
    head: list[etree._Element] = [
        E.LINK(rel="alternate", type=mt, href=alternate_url(resource, t, mt))
        for t in available
        for mt in PROFILES[t].offered
        if mt != "text/html"
    ]
    head.append(_json_ld_block(schemaorg_of(registry, facts, record, rel.children)))
    return _page(f"{title} – IGSN {name}", resource, body, head)


def not_found_page(name: str) -> bytes:
    return _page(
        f"IGSN {name} not found",
        None,
        [
            E.H1("IGSN not found"),
            E.P("No sample is registered here as ", E.CODE(name), "."),
            E.P(
                "Check the spelling, or look it up at ",
                E.A("https://hdl.handle.net/10273/" + name, href="https://hdl.handle.net/10273/" + name),
                ".",
            ),
        ],
    )


def tombstone_page(facts: RegistryFacts | CatalogueRow) -> bytes:
    """410: the IGSN stays reserved, its description is withdrawn."""
    return _page(
        f"IGSN {facts.igsn} withdrawn",
        None,
        [
            E.H1(f"IGSN {facts.igsn} has been withdrawn"),
            E.P(
                "This sample was deactivated by its registrant. The identifier stays reserved and is never reused; "
                "its description is no longer public."
            ),
            _dl(
                [
                    ("IGSN", E.CODE(f"IGSN: {facts.igsn}")),
                    ("Allocating agent", facts.agent),
                    ("Withdrawn", facts.datestamp),
                ]
            ),
        ],
    )
