"""The registry's front door: what it holds (counts, facets, recent samples) as a page and as DCAT/VoID.

A researcher who opens ``/`` meets the page; a dataset catalogue that asks the same URL for RDF gets the
description catalogues harvest (DCAT dataset with its SPARQL and OAI-PMH services, VoID counts). Both come
from one ``HomeFacts`` read from the catalogue and search tables (indexed SQLite reads, no graph scan), so
the page and the description never disagree.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from lxml import etree
from pyoxigraph import Literal, NamedNode, Quad, Triple, serialize

from .index.search import label_of
from .pages import E, joined, page
from .resolver import RDF_FORMATS
from .vocab import DCAT, DCTERMS, PREFIXES, RDF, XSD, Namespace

if TYPE_CHECKING:
    from .registry.service import Registry

__all__ = ["HomeFacts", "RecentSample", "RDF_MEDIA_TYPES", "dataset_description", "home_facts", "home_page"]

VOID = Namespace("http://rdfs.org/ns/void#")

#: what the home page offers besides HTML (the RDF syntaxes the resolver writes)
RDF_MEDIA_TYPES: tuple[str, ...] = tuple(RDF_FORMATS)

#: facets the home page opens the search with, and how many values of each it lists
HOME_FACETS = (("agent", "Allocating agents"), ("type", "Sample types"), ("material", "Materials"))
FACET_VALUES = 8
RECENT = 10

#: every machine interface, as (path, label, what it is for)
INTERFACES = (
    ("/oai", "OAI-PMH", "harvest every public description (oai_dc, IGSN kernels, DataCite)"),
    ("/sparql", "SPARQL", "query the knowledge graph (SPARQL 1.1 Protocol, with an editor)"),
    ("/docs", "API documentation", "the JSON API, MDS registration and search (OpenAPI)"),
    ("/api/v1/search", "Search API", "the search of this page as JSON"),
    ("/api/handles/10273/", "Handle API", "an IGSN as a handle record, in the handle proxy's JSON form"),
    ("/accounts", "Accounts", "the allocating agents, clients and namespaces that register here"),
    ("/ontology", "Ontology", "the classes and properties of the graph"),
)


@dataclass(frozen=True)
class RecentSample:
    igsn: str
    name: str | None
    datestamp: str


@dataclass(frozen=True)
class HomeFacts:
    """What the front door says: the repository's name (as OAI Identify gives it) and what it holds."""

    name: str
    repository_id: str
    samples: int
    agents: int
    clients: int
    namespaces: int
    facets: dict[str, list[tuple[str, str, int]]]  # facet -> (value, label, count)
    registered: list[RecentSample]
    changed: list[RecentSample]


def _recent(conn: sqlite3.Connection, sql: str) -> list[RecentSample]:
    return [RecentSample(*r) for r in conn.execute(sql, (RECENT,)).fetchall()]


def home_facts(registry: Registry) -> HomeFacts:
    """The front door's facts; only findable samples (public, active, described, not test) are named."""
    settings = registry.settings
    conn = registry.db.read()

    def count(sql: str) -> int:
        return int(conn.execute(sql).fetchone()[0])

    facets: dict[str, list[tuple[str, str, int]]] = {}
    for facet, _ in HOME_FACETS:
        rows = conn.execute(
            "SELECT value, n FROM search_facet_total WHERE facet = ? AND n > 0 ORDER BY n DESC, value LIMIT ?",
            (facet, FACET_VALUES),
        ).fetchall()
        facets[facet] = [(v, label_of(v) or v.rsplit("/", 1)[-1], n) for v, n in rows]
    # first versions newest first by insertion order (rowid): no scan of the whole history
    registered = _recent(
        conn,
        "SELECT d.igsn, d.name, v.datestamp FROM versions v JOIN search_doc d "
        "ON d.igsn = v.igsn WHERE v.version = 1 ORDER BY v.rowid DESC LIMIT ?",
    )
    changed = _recent(
        conn,
        "SELECT d.igsn, d.name, c.datestamp FROM catalogue c JOIN search_doc d "
        "ON d.igsn = c.igsn ORDER BY c.datestamp DESC, c.igsn DESC LIMIT ?",
    )
    # the name OAI-PMH Identify gives (oai.verbs.Repository)
    name = settings.oai_repository_name or f"IGSN sample registry {registry.repository_id}"
    return HomeFacts(
        name=name,
        repository_id=registry.repository_id,
        samples=count("SELECT COUNT(*) FROM search_doc"),
        agents=count("SELECT COUNT(*) FROM agents WHERE active = 1"),
        clients=count("SELECT COUNT(*) FROM clients WHERE active = 1"),
        namespaces=count("SELECT COUNT(*) FROM namespaces"),
        facets=facets,
        registered=registered,
        changed=changed,
    )


def _sample_list(samples: list[RecentSample]) -> etree._Element:
    if not samples:
        return E.P("None yet.")
    return E.UL(
        *[
            E.LI(
                E.A(s.name or s.igsn, href=f"/{s.igsn}"), " ", E.SPAN(f"{s.igsn} · {s.datestamp}", **{"class": "meta"})
            )
            for s in samples
        ]
    )


def home_page(facts: HomeFacts, world_map: etree._Element | None = None) -> bytes:
    """The HTML home page: what this is, a search box, facet entry points, recent samples, every interface."""

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    body: list[etree._Element] = [
        E.H1(facts.name),
        E.P(
            "An IGSN registry: physical samples (rocks, cores, water, specimens…) with persistent identifiers, "
            "described as one RDF knowledge graph. Every sample has a landing page here and is harvested, "
            "queried and resolved through the open interfaces below."
        ),
        E.P(
            f"{plural(facts.samples, 'public sample')} from {plural(facts.agents, 'allocating agent')}, "
            f"{plural(facts.clients, 'client')} and {plural(facts.namespaces, 'namespace')}."
        ),
        E.FORM(
            E.LABEL("Search samples", E.INPUT(type="search", name="q", placeholder="basalt core"), **{"for": "home-q"}),
            E.BUTTON("Search", type="submit"),
            action="/search",
            method="get",
            role="search",
            **{"class": "search", "aria-label": "Search samples"},
        ),
    ]
    body[-1][0][0].set("id", "home-q")
    if world_map is not None:
        body.append(world_map)
    browse = E.SECTION(E.H2("Browse"), **{"class": "facets"})
    for facet, title in HOME_FACETS:
        values = facts.facets.get(facet) or []
        if values:
            links = [E.A(f"{label} ({n})", href=f"/search?{facet}={_quote(value)}") for value, label, n in values]
            browse.append(E.DIV(E.H3(title), E.P(*joined(links, " · "))))
    body.append(browse)
    body += [
        E.SECTION(E.H2("Recently registered"), _sample_list(facts.registered)),
        E.SECTION(E.H2("Latest changes"), _sample_list(facts.changed)),
    ]
    rows = [E.TR(E.TD(E.A(label, href=path)), E.TD(E.CODE(path)), E.TD(what)) for path, label, what in INTERFACES]
    body.append(
        E.SECTION(
            E.H2("Machine interfaces"),
            E.TABLE(E.THEAD(E.TR(E.TH("Interface"), E.TH("Path"), E.TH("For"))), E.TBODY(*rows)),
            E.P(
                "This page in RDF (DCAT and VoID): ",
                *joined(
                    [E.A(mt, href=f"/?_mediatype={_quote(mt)}") for mt in ("text/turtle", "application/ld+json")], " · "
                ),
            ),
        )
    )
    return page(facts.name, "/", body)


def _quote(value: str) -> str:
    return quote(value, safe="")


def dataset_description(facts: HomeFacts, base_url: str, media_type: str, licence: str | None = None) -> bytes:
    """The registry as a ``dcat:Dataset`` and ``void:Dataset`` with its SPARQL and OAI-PMH services.

    ``base_url`` ends with ``/`` and names the dataset (the home page); ``licence`` an IRI when configured.
    """
    dataset, sparql, oai = NamedNode(base_url), NamedNode(base_url + "sparql"), NamedNode(base_url + "oai")
    search = NamedNode(base_url + "api/v1/search")
    lit = Literal

    def count(n: int) -> Literal:
        return Literal(str(n), datatype=XSD["integer"])

    triples = [
        Triple(dataset, RDF["type"], DCAT["Dataset"]),
        Triple(dataset, RDF["type"], VOID["Dataset"]),
        Triple(dataset, DCTERMS["title"], lit(facts.name, language="en")),
        Triple(
            dataset,
            DCTERMS["description"],
            lit("Physical samples with IGSN identifiers, described as an RDF knowledge graph", language="en"),
        ),
        Triple(dataset, DCTERMS["identifier"], lit(facts.repository_id)),
        Triple(dataset, DCAT["landingPage"], dataset),
        Triple(dataset, VOID["sparqlEndpoint"], sparql),
        Triple(dataset, VOID["entities"], count(facts.samples)),
    ]
    for service, title, conforms in (
        (sparql, "SPARQL endpoint", "https://www.w3.org/TR/sparql11-protocol/"),
        (oai, "OAI-PMH data provider", "http://www.openarchives.org/OAI/2.0/openarchivesprotocol.htm"),
        (search, "Search API", base_url + "openapi.json"),
    ):
        triples += [
            Triple(service, RDF["type"], DCAT["DataService"]),
            Triple(service, DCTERMS["title"], lit(title, language="en")),
            Triple(service, DCAT["endpointURL"], service),
            Triple(service, DCAT["servesDataset"], dataset),
            Triple(service, DCTERMS["conformsTo"], NamedNode(conforms)),
        ]
    if licence:
        triples.append(Triple(dataset, DCTERMS["license"], NamedNode(licence)))
    fmt = RDF_FORMATS[media_type]
    if media_type in ("application/n-quads", "application/trig"):
        quads = [Quad(t.subject, t.predicate, t.object, dataset) for t in triples]
        return serialize(quads, format=fmt) or b""
    prefixes = {**PREFIXES, "void": str(VOID)} if media_type == "text/turtle" else None
    return serialize(triples, format=fmt, prefixes=prefixes) or b""
