"""The HTML page of a registry node (agent, client, namespace, activity, version, history, accounts).

Built like the sample landing pages (``pages``: one layout, lxml's builder, so every value is escaped by
construction; no script, no external resource). Each page links home (the registry's accounts), to search,
to the nodes it names (by their path on this service) and to its other representations. What a page
shows comes from ``entities.Node``: the public graph, never the accounts tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import unquote, urlencode

from lxml import etree
from pyoxigraph import NamedNode

from .entities import ADMIN_LABEL, Node, local_path
from .identifiers import TEST_NAMESPACE
from .iris import Iris
from .pages import E, dl, joined, link, page, sample_list
from .rdfterm import term_value
from .registry.accounts import ADMIN
from .resolver import PROFILES, alternate_url, resource_url
from .vocab import IG, PROV, RDF_TYPE, SCHEMA

__all__ = ["KIND_TITLES", "alt_page", "error_page", "node_page"]

#: what each kind of node is, as a page says it
KIND_TITLES = {
    "agent": "Allocating agent",
    "client": "Client",
    "namespace": "Namespace",
    "activity": "Registration activity",
    "version": "Version",
    "provenance": "Registration history",
    "graph": "Named graph",
    "accounts": "Registry accounts",
}


def _nav() -> etree._Element:
    return E.NAV(E.A("Registry", href="/accounts"), " · ", E.A("Search samples", href="/search"))


def _node_link(iri: str, node: Node, iris: Iris) -> etree._Element | str:
    """A link to a node or sample of this registry, named by its label (or its symbol, read off the IRI)."""
    tail = unquote(iri.rstrip("/").rsplit("/", 1)[-1])
    if iri.startswith((iris.base + "activity/", iris.base + "version/")):
        label = f"{'change' if iri.startswith(iris.base + 'activity/') else 'version'} {tail}"
    elif iri == iris.agent(ADMIN.symbol).value:
        label = ADMIN_LABEL
    else:
        label = node.labels.get(iri) or tail
    return link(label, local_path(iri, iris.base))


def _sample_link(name: str) -> etree._Element:
    return E.A(name, href=resource_url("/", name))


def _representations(resource: str, available: Sequence[str]) -> list[etree._Element]:
    # the profiles' labels speak of a sample: a node's alternates are named by media type and profile token
    items = [
        E.LI(E.A(mt, href=alternate_url(resource, t, mt)), f" (profile {t})")
        for t in available
        for mt in PROFILES[t].offered
        if mt != "text/html"
    ]
    # folded, as on a sample's page: most readers want the page, the few who want a format find it here
    summary = f"This page's data in {len(items)} formats (RDF, JSON-LD, the alternates list)"
    return [
        E.SECTION(
            E.H2("Download / formats"),
            E.DETAILS(E.SUMMARY(summary), E.UL(*items), **{"class": "formats"}),
        )
    ]


def _head(resource: str, available: Sequence[str]) -> list[etree._Element]:
    return [
        E.LINK(rel="alternate", type=mt, href=alternate_url(resource, t, mt))
        for t in available
        for mt in PROFILES[t].offered
        if mt != "text/html"
    ]


def node_page(
    node: Node,
    iris: Iris,
    resource: str,
    available: Sequence[str],
    *,
    next_href: str | None = None,
    first_href: str | None = None,
    sample_map: etree._Element | None = None,
) -> bytes:
    """The page of one node; ``next_href``/``first_href``: the other pages of its sample listing, ``sample_map``
    the map of that page's located samples (``maps.hits_map``, as the search page draws its hits)."""
    kind = node.ref.kind
    title = _title(node, iris)
    what = "Agent" if node.iri == iris.agent(ADMIN.symbol) else KIND_TITLES[kind]
    body: list[etree._Element] = [_nav(), E.HEADER(E.P(what), E.H1(title))]
    rows: list[tuple[str, object]] = [
        ("IRI", E.A(node.iri.value, href=node.iri.value)),
        ("Here", E.A(resource, href=resource)),
    ]
    body += _facts(node, iris, rows)
    if node.samples is not None:
        body.append(_samples(node, next_href, first_href, sample_map))
    body += _representations(resource, available)
    return page(f"{title} – {what}", resource, body, _head(resource, available))


def _title(node: Node, iris: Iris) -> str:
    ref = node.ref
    if ref.kind in ("agent", "client"):
        name = node.labels.get(node.iri.value, ref.key)
        return name if name == ref.key or ref.key == ADMIN.symbol else f"{name} ({ref.key})"
    if ref.kind == "activity":
        return f"Change {ref.key.rpartition('/')[2]} of IGSN {node.sample}"
    if ref.kind == "version":
        return f"Version {ref.key.rpartition('/')[2]} of IGSN {node.sample}"
    if ref.kind == "provenance":
        return f"Registration history of IGSN {node.sample}"
    return "Agents, clients and namespaces" if ref.kind == "accounts" else ref.key


def _facts(node: Node, iris: Iris, rows: list[tuple[str, object]]) -> list[etree._Element]:
    kind, key = node.ref.kind, node.ref.key

    def nl(iri: str) -> etree._Element | str:
        return _node_link(iri, node, iris)

    out: list[etree._Element] = []
    if kind in ("agent", "client", "namespace"):
        rows.insert(0, ("Symbol", E.CODE(key)))
        rows += [("Identifier", joined([link(v, v) for v in node.objects(SCHEMA.identifier)]))]
    if kind == "agent":
        if key == ADMIN.symbol:
            out.append(
                E.P(
                    "Changes made with the registry's administrator account (bulk loads, corrections, "
                    "repairs) are associated with this agent. It holds no samples of its own."
                )
            )
        rows += [
            ("Clients", joined([nl(c) for c in node.subjects(IG.allocatingAgent)], ", ")),
            ("Namespaces", joined([nl(n) for n in node.objects(IG.ownsNamespace)], ", ")),
        ]
    elif kind == "client":
        rows += [
            ("Allocating agent", joined([nl(a) for a in node.objects(IG.allocatingAgent)])),
            ("Namespaces", joined([nl(n) for n in node.subjects(IG.ownedBy)], ", ")),
        ]
    elif kind == "namespace":
        if key == TEST_NAMESPACE:
            out.append(
                E.P(
                    "The test namespace: open to every client for trial registrations, which are never "
                    "listed or harvested."
                )
            )
        owners = node.objects(IG.ownedBy)
        # an agent's own namespace names it; a client's namespace lies in one of its agent's
        agents = node.subjects(IG.ownsNamespace) or [
            a for o in owners for a in node.objects(IG.allocatingAgent, NamedNode(o))
        ]
        rows += [
            ("Owner", joined([nl(o) for o in owners])),
            ("Allocating agent", joined([nl(a) for a in agents])),
            ("Narrower namespaces", joined([link(n, f"/namespace/{n}") for n in node.narrower], ", ")),
        ]
    elif kind in ("activity", "version"):
        rows = _change_rows(node, iris) + rows
    elif kind == "provenance":
        rows.insert(0, ("Sample", _sample_link(node.sample or "")))
        out.append(_history(node, iris))
    elif kind == "accounts":
        out.append(_directory(node, iris))
    return [*out, E.SECTION(E.H2("About"), dl(rows))]


def _change_rows(node: Node, iris: Iris) -> list[tuple[str, object]]:
    """Who changed which sample when, and which version the change made (for an activity or a version)."""
    name = node.sample or ""
    version = node.iri if node.ref.kind == "version" else None
    activity = node.iri if node.ref.kind == "activity" else None
    if version is None:
        version = next((NamedNode(v) for v in node.objects(PROV.generated)), None)
    if activity is None:
        activity = next((NamedNode(a) for a in node.objects(PROV.wasGeneratedBy)), None)
    number = node.objects(IG.versionNumber, version) if version is not None else []
    on = activity or node.iri
    rows: list[tuple[str, object]] = [
        ("Sample", _sample_link(name)),
        ("Version", number[0] if number else None),
        ("Change", joined(node.objects(IG.changeType, on))),
        ("When", joined(node.objects(PROV.endedAtTime, on))),
        ("By", joined([_node_link(p, node, iris) for p in node.objects(PROV.wasAssociatedWith, on)])),
        # a transfer: from whom to whom (empty, so left out, for every other change)
        ("Transferred from", joined([_node_link(p, node, iris) for p in node.objects(IG.transferredFrom, on)])),
        ("Transferred to", joined([_node_link(p, node, iris) for p in node.objects(IG.transferredTo, on)])),
    ]
    if node.ref.kind == "version":
        rows.append(("Made by", _node_link(activity.value, node, iris) if activity is not None else None))
    elif version is not None:
        rows.append(("Made version", _node_link(version.value, node, iris)))
    if version is not None:
        rows += [
            (
                "Previous version",
                joined([_node_link(v, node, iris) for v in node.objects(PROV.wasRevisionOf, version)]),
            ),
            ("Next version", joined([_node_link(v, node, iris) for v in node.subjects(PROV.wasRevisionOf, version)])),
        ]
    rows.append(("History", link(f"all changes of {name}", f"/provenance/{name}")))
    return rows


def _history(node: Node, iris: Iris) -> etree._Element:
    activities = [
        NamedNode(a)
        for a in {term_value(t.subject) for t in node.context if t.predicate == RDF_TYPE and t.object == PROV.Activity}
    ]
    activities.sort(key=lambda a: (node.objects(PROV.endedAtTime, a), _number(a.value)))
    rows = []
    for act in activities:
        rows.append(
            E.TR(
                E.TD(*joined(node.objects(PROV.endedAtTime, act))),
                E.TD(_node_link(act.value, node, iris), ": ", *joined(node.objects(IG.changeType, act))),
                E.TD(*joined([_node_link(p, node, iris) for p in node.objects(PROV.wasAssociatedWith, act)])),
                E.TD(*joined([_node_link(v, node, iris) for v in node.objects(PROV.generated, act)])),
            )
        )
    head = E.THEAD(E.TR(E.TH("When"), E.TH("Change"), E.TH("By"), E.TH("Version")))
    return E.SECTION(E.H2("Changes"), E.TABLE(head, E.TBODY(*rows)))


def _number(iri: str) -> int:
    tail = iri.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _directory(node: Node, iris: Iris) -> etree._Element:
    """Every agent with its clients and namespaces (the accounts graph as a list)."""

    def typed(cls: NamedNode) -> list[str]:
        return sorted(term_value(t.subject) for t in node.context if t.predicate == RDF_TYPE and t.object == cls)

    items = []
    for agent in typed(IG.AllocatingAgent):
        a = NamedNode(agent)
        clients = node.subjects(IG.allocatingAgent, a)
        namespaces = node.objects(IG.ownsNamespace, a)
        items.append(
            E.LI(
                _node_link(agent, node, iris),
                *([" — clients: ", *joined([_node_link(c, node, iris) for c in clients], ", ")] if clients else []),
                *(
                    [" — namespaces: ", *joined([_node_link(n, node, iris) for n in namespaces], ", ")]
                    if namespaces
                    else []
                ),
            )
        )
    namespaces = [
        E.LI(
            _node_link(n, node, iris),
            " — ",
            *joined([_node_link(o, node, iris) for o in node.objects(IG.ownedBy, NamedNode(n))]),
        )
        for n in typed(IG.Namespace)
    ]
    return E.SECTION(E.H2("Allocating agents"), E.UL(*items), E.H2("Namespaces"), E.UL(*namespaces))


def _samples(
    node: Node, next_href: str | None, first_href: str | None, sample_map: etree._Element | None
) -> etree._Element:
    """The node's samples as the search page shows them: the count, a map of this page's located ones, the
    list, pages by the cursor; and the same samples in search, to filter them further."""
    listing = node.samples
    assert listing is not None
    search = "/search?" + urlencode({listing.facet: listing.value})  # in IGSN order, as this list (no text)
    total = f"{listing.total} public sample{'s' if listing.total != 1 else ''}"
    section = E.SECTION(
        E.H2("Samples"), E.P(total, " · ", E.A("search, filter and map them", href=search)), **{"class": "samples"}
    )
    if sample_map is not None:
        section.append(sample_map)
    if listing.items:
        section.append(sample_list(listing.items))
    paging = [
        E.A(text, href=href, rel=rel)
        for text, href, rel in (("First page", first_href, "first"), ("Next page", next_href, "next"))
        if href
    ]
    if paging:
        section.append(E.NAV(*joined(paging, " · "), **{"class": "pages", "aria-label": "Sample pages"}))
    return section


def alt_page(node: Node, iris: Iris, resource: str, available: Sequence[str]) -> bytes:
    """The alternates listing as HTML (W3C ``alt`` profile)."""
    title = f"Representations of {_title(node, iris)}"
    rows = [
        E.TR(E.TD(E.A(t, href=PROFILES[t].uri)), E.TD(E.A(mt, href=alternate_url(resource, t, mt))))
        for t in available
        for mt in PROFILES[t].offered
    ]
    return page(
        title,
        resource,
        [_nav(), E.H1(title), E.TABLE(E.THEAD(E.TR(E.TH("Profile"), E.TH("Media type"))), E.TBODY(*rows))],
    )


def error_page(title: str, message: str) -> bytes:
    """A 404 or 410 for a browser: what was asked for, and where to go from here."""
    return page(title, None, [_nav(), E.H1(title), E.P(message)])
