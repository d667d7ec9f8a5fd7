"""Maps a SampleRecord and its RegistryFacts to and from the RDF triples of one sample.

The model follows LINKED-DATA.md §5.2/§5.3 (SOSA, PROV, DCTERMS, GeoSPARQL, DCAT) plus our own
``ig:`` terms (``ontology/igsn-graph.ttl``). There are no blank nodes: a nested node is a fragment
IRI of the sample IRI (``<…/NAME#geometry-1>``, ``#sampling``, ``#relation-2``, ``#registrant``…),
so two graphs of one sample compare by plain set equality. An agent the record names again in the same
words (its organisation as registrant, hosting institution and every person's affiliation) is one node,
written under the fragment of its first mention; only collectors, a list, get a node each.

Round trip: ``record_from_triples(record_triples(r, iris), iris, r.igsn) == r`` and the same for
facts. Lists of nested things (agents, geometries, relations, log…) keep their order through the
number in their fragment. Lists of plain values (materials, resource types, parents, collections,
supplemental metadata, alternate methods) are *sets* in RDF: they come back sorted and without
duplicates, so the law holds for records whose value lists are in that form (``canonical()``).
An empty ``TimeSpan`` says nothing and comes back as ``None``. A geometry whose WKT has a Z ordinate and
no elevation of its own comes back with that Z as its elevation (``canonical()`` too).

A geometry's ``geo:asWKT`` is its GeoSPARQL form (``formats/wkt.py``: CRS IRI inside, axis order of
that CRS); when that differs from the WKT as written, ``ig:sourceWkt`` keeps the written text, which is
what is read back.

Some triples are derived and never read back: ORCID/ROR IRIs of agents, a geometry's parsed type
and lon/lat bounding box, a relation's resolved target and direct property, ``sosa:isSampleOf`` and
``dcterms:isPartOf`` beside ``ig:parent`` and ``ig:memberOf``, the facts' ``ig:status``.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Callable, Iterable, Union
from urllib.parse import unquote

from pyoxigraph import Literal, NamedNode, Quad, Triple

from .. import vocab
from ..agent_ids import agent_iri
from ..codelists import codelist, relation_types
from ..errors import InvalidInput
from ..iris import Iris
from ..rdfterm import term_value
from ..record import (
    Agent,
    AgentKind,
    Classification,
    Contributor,
    Curation,
    Geometry,
    Identifier,
    LogEvent,
    Place,
    RegistryFacts,
    Relation,
    ResourceKind,
    SampledFeature,
    SampleRecord,
    TimeSpan,
)
from ..vocab import IGREL, IGSTATUS, RDF_TYPE
from .wkt import Wkt, WktError, read_wkt, wkt_summary

__all__ = [
    "record_triples",
    "facts_triples",
    "facts_ntriples",
    "record_from_triples",
    "facts_from_triples",
    "canonical",
    "FIELD_OF_PROPERTY",
    "FIELD_OF_FRAGMENT",
    "field_of",
    "ACCESS_PUBLIC",
    "ACCESS_NON_PUBLIC",
    "SF",
    "date_literal",
    "wkt_summary",
]


class _Terms:
    """A namespace whose terms are built once: conversion is hot, and NamedNode() is not free."""

    def __init__(self, namespace: vocab.Namespace) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> NamedNode:
        if name.startswith("_"):
            raise AttributeError(name)
        term = self._namespace.term(name)
        setattr(self, name, term)
        return term


IG, SOSA, PROV, DCTERMS, DCMITYPE, GEO, SCHEMA, RDF, RDFS, XSD, SKOS, DCAT = (
    _Terms(ns)
    for ns in (
        vocab.IG,
        vocab.SOSA,
        vocab.PROV,
        vocab.DCTERMS,
        vocab.DCMITYPE,
        vocab.GEO,
        vocab.SCHEMA,
        vocab.RDF,
        vocab.RDFS,
        vocab.XSD,
        vocab.SKOS,
        vocab.DCAT,
    )
)

Term = Union[NamedNode, Literal]
TripleLike = Union[Triple, Quad]

#: the EU access-rights authority table (used by DCAT-AP) for ``is_public``
ACCESS_PUBLIC = NamedNode("http://publications.europa.eu/resource/authority/access-right/PUBLIC")
ACCESS_NON_PUBLIC = NamedNode("http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC")
#: OGC simple-features geometry classes (the geometry_type code list lives here)
SF = "http://www.opengis.net/ont/sf#"

_KIND_TYPES: dict[str, tuple[NamedNode, ...]] = {
    "Sample": (IG.Sample, SOSA.Sample, DCMITYPE.PhysicalObject),
    "Feature": (IG.SamplingFeature, SOSA.FeatureOfInterest),
    "Collection": (IG.SampleCollection, DCMITYPE.Collection),
}

#: property IRI -> the SampleRecord field its values come from (sample node and unambiguous
#: nested-node properties); nested nodes are better mapped by their fragment (``field_of``)
FIELD_OF_PROPERTY: dict[str, str] = {
    p.value: f
    for p, f in [
        (IG.igsn, "igsn"),
        (DCTERMS.identifier, "igsn"),
        (RDF_TYPE, "kind"),
        (IG.doi, "doi"),
        (DCTERMS.title, "name"),
        (DCTERMS.description, "description"),
        (DCAT.landingPage, "landing_page"),
        (IG.alternateIdentifier, "alternate_identifiers"),
        (SCHEMA.value, "alternate_identifiers"),
        (IG.registrant, "registrant"),
        (DCTERMS.creator, "collectors"),
        (PROV.qualifiedAttribution, "contributors"),
        (PROV.agent, "contributors"),
        (PROV.hadRole, "contributors"),
        (IG.curation, "curations"),
        (IG.curator, "curations"),
        (IG.curationDate, "curations"),
        (IG.curationLocation, "curations"),
        (IG.curatingInstitution, "curations"),
        (GEO.hasGeometry, "geometries"),
        (GEO.asWKT, "geometries"),
        (IG.geometryType, "geometries"),
        (IG.wktType, "geometries"),
        (IG.srid, "geometries"),
        (IG.verticalDatum, "geometries"),
        (IG.westBound, "geometries"),
        (IG.eastBound, "geometries"),
        (IG.southBound, "geometries"),
        (IG.northBound, "geometries"),
        (IG.sourceWkt, "geometries"),
        (IG.elevation, "geometries"),
        (IG.elevationUnit, "geometries"),
        (DCTERMS.spatial, "places"),
        (DCTERMS.type, "resource_types"),
        (IG.alternateResourceType, "alternate_resource_types"),
        (IG.material, "materials"),
        (IG.alternateMaterial, "alternate_materials"),
        (SOSA.isResultOf, "collection_method"),
        (SOSA.usedProcedure, "collection_method"),
        (IG.alternateMethod, "alternate_collection_methods"),
        (IG.methodDescription, "method_description"),
        (SOSA.resultTime, "collection_time"),
        (DCTERMS.date, "collection_time"),
        (IG.startTime, "collection_time"),
        (IG.endTime, "collection_time"),
        (IG.classification, "classifications"),
        (SKOS.prefLabel, "classifications"),
        (SOSA.hasSampledFeature, "sampled_features"),
        (IG.featureType, "sampled_features"),
        (IG.purpose, "purpose"),
        (IG.campaign, "campaign"),
        (RDFS.comment, "comments"),
        (IG.parent, "parents"),
        (SOSA.isSampleOf, "parents"),
        (IG.memberOf, "collections"),
        (DCTERMS.isPartOf, "collections"),
        (DCAT.qualifiedRelation, "relations"),
        (DCAT.hadRole, "relations"),
        (DCTERMS.relation, "relations"),
        (IG.sourceRelationType, "relations"),
        (DCTERMS.accessRights, "is_public"),
        (IG.embargoEnd, "embargo_end"),
        (IG.supplementalMetadata, "supplemental_metadata"),
        (IG.logEvent, "log"),
        (IG.event, "log"),
        (IG.timestamp, "log"),
    ]
}

#: fragment name (before its number) -> the SampleRecord field the nested node comes from
FIELD_OF_FRAGMENT: dict[str, str] = {
    "registrant": "registrant",
    "collector": "collectors",
    "contributor": "contributors",
    "curation": "curations",
    "geometry": "geometries",
    "place": "places",
    "classification": "classifications",
    "sampled-feature": "sampled_features",
    "relation": "relations",
    "identifier": "alternate_identifiers",
    "log": "log",
}
_FRAGMENT_NAME = re.compile(r"[a-z]+(?:-[a-z]+)*?(?=-\d|-affiliation|-agent|-institution|$)")


def field_of(focus_node: str, path: str | None) -> str | None:
    """The record field a SHACL result on ``focus_node`` / ``path`` is about, or None."""
    if "#" in focus_node:
        m = _FRAGMENT_NAME.match(focus_node.rsplit("#", 1)[1])
        if m and m.group(0) in FIELD_OF_FRAGMENT:
            return FIELD_OF_FRAGMENT[m.group(0)]
    return FIELD_OF_PROPERTY.get(path) if path else None


# --- terms ------------------------------------------------------------------------------------

# only values that look like web or URN identifiers become IRIs; "Hand:Auger" is a valid IRI
# syntactically but a notation in practice, so it stays a literal (and SHACL reports it)
_IRI_SCHEME = re.compile(r"(?i)(?:https?|urn|ftp|info|tag|mailto|file):")
_TZ = r"(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
_DATE_FORMS: list[tuple[re.Pattern[str], NamedNode]] = [
    (re.compile(rf"([0-9]{{4}}){_TZ}"), XSD.gYear),
    (re.compile(rf"([0-9]{{4}})-([0-9]{{2}}){_TZ}"), XSD.gYearMonth),
    (re.compile(rf"([0-9]{{4}})-([0-9]{{2}})-([0-9]{{2}}){_TZ}"), XSD.date),
    (
        re.compile(rf"([0-9]{{4}})-([0-9]{{2}})-([0-9]{{2}})T([0-9]{{2}}):([0-9]{{2}}):([0-9]{{2}})(?:\.[0-9]+)?{_TZ}"),
        XSD.dateTime,
    ),
]


def _text(value: str) -> Literal:
    return Literal(value)


def _iri_or_text(value: str) -> Term:
    """An IRI when ``value`` is one, else a plain literal (which keeps it for SHACL to report)."""
    if _IRI_SCHEME.match(value):
        try:
            return NamedNode(value)
        except ValueError:
            pass
    return Literal(value)


def date_literal(value: str) -> Literal:
    """``value`` typed xsd:gYear/gYearMonth/date/dateTime by its lexical form; otherwise a plain string."""
    for pattern, datatype in _DATE_FORMS:
        m = pattern.fullmatch(value)
        if m is None:
            continue
        parts = [int(g) for g in m.groups()]
        try:
            # the calendar decides: no year 0000, no 2021-02-29, no 24:00:00
            date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
            if len(parts) == 6:
                datetime(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])
        except ValueError:
            return Literal(value)
        return Literal(value, datatype=datatype)
    return Literal(value)


def _coded(value: str, name: str) -> Term:
    """A code-list notation (``DOI``, ``HostingInstitution``) as its IRI; anything else stays a literal."""
    term = codelist(name).by_notation.get(value)
    return NamedNode(term.iri) if term else Literal(value)


def _uncoded(term: Term, name: str) -> str:
    if isinstance(term, NamedNode):
        return codelist(name).notation(term.value) or term.value
    return term.value


def _relation_role(value: str) -> Term:
    return IGREL.term(value) if value in relation_types().types else Literal(value)


def _relation_name(term: Term) -> str:
    if isinstance(term, NamedNode) and term.value.startswith(str(IGREL)):
        return term.value[len(IGREL) :]
    return term.value


def _decimal(value: Decimal) -> Literal:
    return Literal(format(value, "f"), datatype=XSD.decimal)


# --- record -> triples ------------------------------------------------------------------------


class _Writer:
    """Collects the triples of one sample; nested nodes are fragments of the sample IRI."""

    def __init__(self, subject: NamedNode) -> None:
        self.subject = subject
        self.triples: list[Triple] = []
        self._once: set[tuple[str, str, str]] = set()
        self._agents: dict[Agent, NamedNode] = {}

    def node(self, fragment: str) -> NamedNode:
        return NamedNode(f"{self.subject.value}#{fragment}")

    def add(self, s: NamedNode, p: NamedNode, o: Term) -> None:
        self.triples.append(Triple(s, p, o))

    def once(self, s: NamedNode, p: NamedNode, o: Term) -> None:
        """A triple that several parts of a record may derive (a shared agent node): written once."""
        key = (s.value, p.value, o.value)
        if key not in self._once:
            self._once.add(key)
            self.triples.append(Triple(s, p, o))

    def opt(
        self, s: NamedNode, p: NamedNode, value: str | None, make: Callable[[str], Literal | NamedNode] = _text
    ) -> None:
        if value is not None:
            self.triples.append(Triple(s, p, make(value)))

    def agent(self, fragment: str, agent: Agent, *, listed: bool = False) -> NamedNode:
        """The node of ``agent``, written under ``fragment`` unless the record named the same agent, in the same
        words, before: a record names its client's organisation as registrant, hosting institution and every
        person's affiliation, and each copy cost about six quads per sample. Single-valued links (registrant, a
        contributor's or curation's agent, an affiliation) share the node; a ``listed`` agent (a collector)
        always gets its own, since the creator list is read back in the order of its fragment numbers."""
        if not listed and agent in self._agents:
            return self._agents[agent]
        node = self.node(fragment)
        self._agents.setdefault(agent, node)
        self.add(node, RDF_TYPE, PROV.Agent)
        if agent.kind == "Person":
            self.add(node, RDF_TYPE, SCHEMA.Person)
        elif agent.kind == "Organization":
            self.add(node, RDF_TYPE, SCHEMA.Organization)
        self.add(node, SCHEMA.name, _text(agent.name))
        if agent.identifier is not None:
            ident = agent.identifier
            self.add(node, SCHEMA.identifier, _text(ident.value))
            self.opt(node, IG.identifierScheme, ident.scheme, lambda v: _coded(v, "identifier_type"))
            link = _agent_link(ident)
            if link is not None:
                # derived: the one node of this person or organisation across the graph (agent_ids.py); the
                # sample is attributed to it, this fragment keeps what the record wrote in its role
                self.add(node, SCHEMA.sameAs, link)
                self.once(self.subject, PROV.wasAttributedTo, link)
                self.once(link, RDF_TYPE, PROV.Agent)
                if agent.kind is not None:
                    self.once(link, RDF_TYPE, SCHEMA.Person if agent.kind == "Person" else SCHEMA.Organization)
        if agent.affiliation is not None:
            # schema:affiliation is a Person's; an organisation's larger organisation is its parentOrganization
            link_to = SCHEMA.parentOrganization if agent.kind == "Organization" else SCHEMA.affiliation
            self.add(node, link_to, self.agent(fragment + "-affiliation", agent.affiliation))
        return node


def _agent_link(ident: Identifier) -> NamedNode | None:
    """The IRI of an agent identifier (ORCID, ROR, ISNI, Wikidata: ``agent_ids``), so agents join across samples."""
    iri = agent_iri(ident.value, ident.scheme)
    return NamedNode(iri) if iri is not None else None


def _relation_target(rel: Relation, iris: Iris) -> NamedNode | None:
    """The IRI a related identifier resolves to: the sample's own IRI when it names an IGSN (``links``), else
    the resolver IRI its type says (an IGSN not yet resolved to a sample has none)."""
    kind, value = (rel.identifier_type or "").upper(), rel.identifier.strip()
    candidate: str | None = None
    if rel.igsn is not None:
        candidate = iris.base + rel.igsn
    elif kind == "DOI":
        # "doi:10.1234/x" and "10.1234/x" resolve alike (the value keeps what was written)
        bare = value[4:].lstrip() if value[:4].lower() == "doi:" else value
        candidate = bare if bare.lower().startswith(("http://", "https://")) else "https://doi.org/" + bare
    elif kind == "HANDLE":
        candidate = value if value.lower().startswith(("http://", "https://")) else "https://hdl.handle.net/" + value
    elif kind in ("URL", "PURL", "W3ID") and value.lower().startswith(("http://", "https://")):
        candidate = value
    if candidate is None:
        return None
    try:
        return NamedNode(candidate)
    except ValueError:
        return None


def _sample_ref(name: str, iris: Iris) -> Term:
    """A sample named by IGSN: its IRI, or a literal when the name cannot be one."""
    try:
        return NamedNode(iris.base + name)
    except ValueError:
        return Literal(name)


def record_triples(record: SampleRecord, iris: Iris) -> list[Triple]:
    """The triples describing ``record`` (no registry facts)."""
    s = iris.sample(record.igsn)
    w = _Writer(s)
    add, opt = w.add, w.opt
    for cls in _KIND_TYPES[record.kind]:
        add(s, RDF_TYPE, cls)
    add(s, IG.igsn, _text(record.igsn))
    add(s, DCTERMS.identifier, _text(record.igsn))
    opt(s, IG.doi, record.doi)
    opt(s, DCTERMS.title, record.name)
    opt(s, DCTERMS.description, record.description)
    opt(s, DCAT.landingPage, record.landing_page, _iri_or_text)
    for n, ident in enumerate(record.alternate_identifiers, 1):
        node = w.node(f"identifier-{n}")
        add(s, IG.alternateIdentifier, node)
        add(node, RDF_TYPE, SCHEMA.PropertyValue)
        add(node, SCHEMA.value, _text(ident.value))
        opt(node, IG.identifierScheme, ident.scheme, lambda v: _coded(v, "identifier_type"))
    if record.registrant is not None:
        add(s, IG.registrant, w.agent("registrant", record.registrant))
    for n, agent in enumerate(record.collectors, 1):
        add(s, DCTERMS.creator, w.agent(f"collector-{n}", agent, listed=True))
    for n, contributor in enumerate(record.contributors, 1):
        node = w.node(f"contributor-{n}")
        add(s, PROV.qualifiedAttribution, node)
        add(node, RDF_TYPE, PROV.Attribution)
        add(node, PROV.agent, w.agent(f"contributor-{n}-agent", contributor.agent))
        add(node, PROV.hadRole, _coded(contributor.role, "contributor_type"))
    for n, curation in enumerate(record.curations, 1):
        node = w.node(f"curation-{n}")
        add(s, IG.curation, node)
        add(node, RDF_TYPE, IG.Curation)
        opt(node, IG.curator, curation.curator)
        opt(node, IG.curationDate, curation.date, date_literal)
        opt(node, IG.curationLocation, curation.location)
        if curation.institution is not None:
            add(node, IG.curatingInstitution, w.agent(f"curation-{n}-institution", curation.institution))
    for n, geometry in enumerate(record.geometries, 1):
        _write_geometry(w, w.node(f"geometry-{n}"), geometry)
    for n, place in enumerate(record.places, 1):
        node = w.node(f"place-{n}")
        add(s, DCTERMS.spatial, node)
        add(node, RDF_TYPE, DCTERMS.Location)
        opt(node, SCHEMA.name, place.name)
        opt(node, SCHEMA.sameAs, place.identifier, _iri_or_text)
    for value in record.resource_types:
        add(s, DCTERMS.type, _iri_or_text(value))
    for value in record.alternate_resource_types:
        add(s, IG.alternateResourceType, _iri_or_text(value))
    for value in record.materials:
        add(s, IG.material, _iri_or_text(value))
    for value in record.alternate_materials:
        add(s, IG.alternateMaterial, _iri_or_text(value))
    _write_sampling(w, record)
    for n, c in enumerate(record.classifications, 1):
        node = w.node(f"classification-{n}")
        add(s, IG.classification, node)
        add(node, RDF_TYPE, SKOS.Concept)
        add(node, SKOS.prefLabel, _text(c.label))
        opt(node, SCHEMA.sameAs, c.uri, _iri_or_text)
    for n, feature in enumerate(record.sampled_features, 1):
        node = w.node(f"sampled-feature-{n}")
        add(s, SOSA.hasSampledFeature, node)
        add(node, RDF_TYPE, SOSA.FeatureOfInterest)
        opt(node, SCHEMA.name, feature.name)
        opt(node, SCHEMA.sameAs, feature.uri, _iri_or_text)
        opt(node, IG.featureType, feature.feature_type, _iri_or_text)
    opt(s, IG.purpose, record.purpose)
    opt(s, IG.campaign, record.campaign)
    opt(s, RDFS.comment, record.comments)
    for name in record.parents:
        ref = _sample_ref(name, iris)
        add(s, IG.parent, ref)
        if isinstance(ref, NamedNode):
            add(s, SOSA.isSampleOf, ref)
    for name in record.collections:
        ref = _sample_ref(name, iris)
        add(s, IG.memberOf, ref)
        if isinstance(ref, NamedNode):
            add(s, DCTERMS.isPartOf, ref)
    for n, rel in enumerate(record.relations, 1):
        _write_relation(w, w.node(f"relation-{n}"), rel, iris)
    add(s, DCTERMS.accessRights, ACCESS_PUBLIC if record.is_public else ACCESS_NON_PUBLIC)
    opt(s, IG.embargoEnd, record.embargo_end, date_literal)
    for value in record.supplemental_metadata:
        add(s, IG.supplementalMetadata, _iri_or_text(value))
    for n, event in enumerate(record.log, 1):
        node = w.node(f"log-{n}")
        add(s, IG.logEvent, node)
        add(node, RDF_TYPE, IG.LogEvent)
        add(node, IG.event, _text(event.event))
        add(node, IG.timestamp, date_literal(event.timestamp))
        opt(node, RDFS.comment, event.comment)
        opt(node, RDF.value, event.text)
    return w.triples


def _write_geometry(w: _Writer, node: NamedNode, geometry: Geometry) -> None:
    """geo:asWKT in its GeoSPARQL form (``wkt.read_wkt``); ig:sourceWkt keeps the text as written when that
    differs. The elevation is the record's, else the WKT's Z; type and lon/lat bounds are derived."""
    try:
        parsed = read_wkt(geometry.wkt, geometry.srid)
    except WktError:
        parsed = None  # no ig:wktType: the shapes refuse the location as not valid WKT
    literal = geometry.wkt if parsed is None else parsed.literal
    w.add(w.subject, GEO.hasGeometry, node)
    w.add(node, RDF_TYPE, GEO.Geometry)
    w.add(node, GEO.asWKT, Literal(literal, datatype=GEO.wktLiteral))
    if literal != geometry.wkt:
        w.add(node, IG.sourceWkt, _text(geometry.wkt))
    w.opt(node, IG.geometryType, geometry.geometry_type, _iri_or_text)
    w.opt(node, IG.srid, geometry.srid)
    w.opt(node, IG.verticalDatum, geometry.vertical_datum)
    w.opt(node, RDFS.seeAlso, geometry.uri, _iri_or_text)
    elevation, unit = _elevation(geometry, parsed)
    if elevation is not None:
        w.add(node, IG.elevation, _decimal(elevation))
        w.opt(node, IG.elevationUnit, unit, _iri_or_text)
    if parsed is not None:
        w.add(node, IG.wktType, NamedNode(SF + parsed.kind))
        if parsed.bounds is not None:
            for p, v in zip((IG.westBound, IG.eastBound, IG.southBound, IG.northBound), parsed.bounds, strict=False):
                w.add(node, p, _decimal(v))


def _elevation(geometry: Geometry, parsed: Wkt | None) -> tuple[Decimal | None, str | None]:
    """The elevation given apart from the WKT, else the WKT's own Z."""
    if geometry.elevation is not None:
        return geometry.elevation, geometry.elevation_unit
    return (None, None) if parsed is None else (parsed.elevation, parsed.elevation_unit)


def _write_sampling(w: _Writer, record: SampleRecord) -> None:
    """The sampling activity: method and time. ``sosa:resultTime`` takes only an ``xsd:dateTime`` (its SOSA range),
    so a year, year-month or date (or text that is no date, left for the shapes to report) is its ``dcterms:date``,
    whose range is any literal; start and end may be of any precision (``ig:startTime``, ``ig:endTime``)."""
    time = record.collection_time
    has_time = time is not None and (time.instant, time.start, time.end) != (None, None, None)
    if (
        record.collection_method is None
        and not record.alternate_collection_methods
        and record.method_description is None
        and not has_time
    ):
        return
    node = w.node("sampling")
    w.add(w.subject, SOSA.isResultOf, node)
    w.add(node, RDF_TYPE, SOSA.Sampling)
    w.opt(node, SOSA.usedProcedure, record.collection_method, _iri_or_text)
    for value in record.alternate_collection_methods:
        w.add(node, IG.alternateMethod, _iri_or_text(value))
    w.opt(node, IG.methodDescription, record.method_description)
    if time is not None:
        if time.instant is not None:
            instant = date_literal(time.instant)
            w.add(node, SOSA.resultTime if instant.datatype == XSD.dateTime else DCTERMS.date, instant)
        w.opt(node, IG.startTime, time.start, date_literal)
        w.opt(node, IG.endTime, time.end, date_literal)


def _write_relation(w: _Writer, node: NamedNode, rel: Relation, iris: Iris) -> None:
    w.add(w.subject, DCAT.qualifiedRelation, node)
    w.add(node, RDF_TYPE, DCAT.Relationship)
    w.add(node, SCHEMA.identifier, _text(rel.identifier))
    w.opt(node, IG.identifierScheme, rel.identifier_type, lambda v: _coded(v, "identifier_type"))
    w.opt(node, DCAT.hadRole, rel.relation_type, _relation_role)
    w.opt(node, DCTERMS.title, rel.title)
    w.opt(node, IG.sourceRelationType, rel.source_relation_type)
    target = _relation_target(rel, iris)
    if target is not None:
        # DCAT qualified relations name their target with dcterms:relation (DCAT 2 §6.13; there is no dcat:relation)
        w.add(node, DCTERMS.relation, target)
        direct = relation_types().direct_property(rel.relation_type) if rel.relation_type else None
        if direct:
            w.add(w.subject, NamedNode(direct), target)


# --- facts -> triples -------------------------------------------------------------------------


def facts_triples(facts: RegistryFacts, iris: Iris) -> list[Triple]:
    """The registry-fact triples of one sample (they live in its named graph beside the record)."""
    s = iris.sample(facts.igsn)
    w = _Writer(s)
    add, opt = w.add, w.opt
    # the name is repeated here so an IGSN minted before its metadata has one too
    add(s, IG.igsn, _text(facts.igsn))
    add(s, IG.allocatingAgent, iris.agent(facts.agent))
    if facts.client is not None:
        add(s, IG.registeredBy, iris.client(facts.client))
    add(s, IG.inNamespace, _namespace_ref(facts.namespace, iris))
    opt(s, IG.landingPage, facts.landing_url, _iri_or_text)
    add(s, IG.status, IGSTATUS.term(facts.status))
    add(s, IG.active, Literal(facts.active))
    opt(s, IG.lifecycle, facts.lifecycle)
    opt(s, DCTERMS.isReplacedBy, facts.replaced_by, lambda v: _sample_ref(v, iris))
    add(s, IG.isPublic, Literal(facts.is_public))
    add(s, IG.hasMetadata, Literal(facts.has_metadata))
    # no ig:datestamp: the datestamp is the catalogue's (the OAI header's), not part of the sample's description,
    # so a restamp changes SQLite rows only and the graph (and the bodies rendered from it) survive it
    opt(s, IG.registered, facts.registered, date_literal)
    opt(s, IG.registeredDoi, facts.doi)
    return w.triples


def facts_ntriples(facts: RegistryFacts, iris: Iris) -> str:
    """``facts_triples`` as N-Triples text (the same text as writing those triples), its terms that repeat from
    sample to sample (agents, clients, namespaces, status, booleans) written once: a bulk load's writer adds the
    facts to each description derived as text elsewhere, without a Python object per triple."""
    s = f"<{iris.base}{facts.igsn}>" if _plain_iri(iris.base + facts.igsn) else str(iris.sample(facts.igsn))
    base = iris.base
    lines = [
        f"{s} {_P_IGSN} {Literal(facts.igsn)} .\n",
        f"{s} {_P_AGENT} {_agent_text(base, facts.agent)} .\n",
    ]
    if facts.client is not None:
        lines.append(f"{s} {_P_CLIENT} {_client_text(base, facts.client)} .\n")
    lines.append(f"{s} {_P_NAMESPACE} {_namespace_text(base, facts.namespace)} .\n")
    if facts.landing_url is not None:
        lines.append(f"{s} {_P_LANDING} {_iri_or_text(facts.landing_url)} .\n")
    lines.append(f"{s} {_P_STATUS} {_status_text(facts.status)} .\n")
    lines.append(f"{s} {_P_ACTIVE} {_BOOL_TEXT[facts.active]} .\n")
    if facts.lifecycle is not None:
        lines.append(f"{s} {_P_LIFECYCLE} {Literal(facts.lifecycle)} .\n")
    if facts.replaced_by is not None:
        lines.append(f"{s} {_P_REPLACED} {_sample_ref(facts.replaced_by, iris)} .\n")
    lines.append(f"{s} {_P_PUBLIC} {_BOOL_TEXT[facts.is_public]} .\n")
    lines.append(f"{s} {_P_METADATA} {_BOOL_TEXT[facts.has_metadata]} .\n")
    if facts.registered is not None:
        lines.append(f"{s} {_P_REGISTERED} {date_literal(facts.registered)} .\n")
    if facts.doi is not None:
        lines.append(f"{s} {_P_DOI} {Literal(facts.doi)} .\n")
    return "".join(lines)


_P_IGSN, _P_AGENT, _P_CLIENT, _P_NAMESPACE = (
    str(IG.igsn),
    str(IG.allocatingAgent),
    str(IG.registeredBy),
    str(IG.inNamespace),
)
_P_LANDING, _P_STATUS, _P_ACTIVE, _P_LIFECYCLE = str(IG.landingPage), str(IG.status), str(IG.active), str(IG.lifecycle)
_P_REPLACED, _P_PUBLIC, _P_METADATA = str(DCTERMS.isReplacedBy), str(IG.isPublic), str(IG.hasMetadata)
_P_REGISTERED, _P_DOI = str(IG.registered), str(IG.registeredDoi)
_BOOL_TEXT = {True: str(Literal(True)), False: str(Literal(False))}
#: an IRI that N-Triples writes as it is (no character pyoxigraph would escape or refuse)
_PLAIN_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")


def _plain_iri(value: str) -> bool:
    return _PLAIN_IRI.fullmatch(value) is not None


@lru_cache(maxsize=4096)
def _agent_text(base: str, agent: str) -> str:
    return str(Iris(base).agent(agent))


@lru_cache(maxsize=4096)
def _client_text(base: str, client: str) -> str:
    return str(Iris(base).client(client))


@lru_cache(maxsize=4096)
def _namespace_text(base: str, ns: str) -> str:
    return str(_namespace_ref(ns, Iris(base)))


@lru_cache(maxsize=16)
def _status_text(status: str) -> str:
    return str(IGSTATUS.term(status))


def _namespace_ref(ns: str, iris: Iris) -> Term:
    try:
        return iris.namespace(ns)
    except ValueError:
        return Literal(ns)


# --- triples -> record ------------------------------------------------------------------------


class _Reader:
    """The triples of one sample indexed by subject and predicate."""

    def __init__(self, triples: Iterable[TripleLike]) -> None:
        self.index: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
        for t in triples:
            # objects kept as written (blank nodes, triple terms too); Term names the kinds the reader interprets
            self.index[term_value(t.subject)][t.predicate.value].append(t.object)  # type: ignore[arg-type]

    def all(self, s: str, p: NamedNode) -> list[Term]:
        props = self.index.get(s)
        return props.get(p.value, []) if props else []

    def one(self, s: str, p: NamedNode) -> Term | None:
        values = self.all(s, p)
        return values[0] if values else None

    def text(self, s: str, p: NamedNode) -> str | None:
        term = self.one(s, p)
        return None if term is None else term.value

    def values(self, s: str, p: NamedNode) -> list[str]:
        """A set-valued property as a sorted list of distinct strings."""
        return sorted({t.value for t in self.all(s, p)})

    def nodes(self, s: str, p: NamedNode) -> list[str]:
        """Fragment nodes of a list property, in the order of their fragment numbers."""
        found = {t.value for t in self.all(s, p) if isinstance(t, NamedNode)}
        return sorted(found, key=_fragment_order)

    def types(self, s: str) -> set[str]:
        return {t.value for t in self.all(s, RDF_TYPE)}

    def agent(self, s: str) -> Agent:
        types = self.types(s)
        kind: AgentKind | None = (
            "Person"
            if SCHEMA.Person.value in types
            else ("Organization" if SCHEMA.Organization.value in types else None)
        )
        value = self.text(s, SCHEMA.identifier)
        identifier = None
        if value is not None:
            scheme = self.one(s, IG.identifierScheme)
            identifier = Identifier(value, None if scheme is None else _uncoded(scheme, "identifier_type"))
        affiliation = self.one(s, SCHEMA.affiliation) or self.one(s, SCHEMA.parentOrganization)
        return Agent(
            name=self.text(s, SCHEMA.name) or "",
            identifier=identifier,
            affiliation=None if affiliation is None else self.agent(affiliation.value),
            kind=kind,
        )


def _fragment_order(iri: str) -> tuple[int, str]:
    m = re.search(r"-(\d+)$", iri)
    return (int(m.group(1)) if m else 0, iri)


def _sample_name(term: Term, iris: Iris) -> str:
    value = term.value
    return value[len(iris.base) :] if isinstance(term, NamedNode) and value.startswith(iris.base) else value


def record_from_triples(triples: Iterable[TripleLike], iris: Iris, igsn: str) -> SampleRecord:
    """The SampleRecord the triples of sample ``igsn`` describe (facts and derived triples ignored)."""
    r = _Reader(triples)
    s = iris.sample(igsn).value
    types = r.types(s)
    kind: ResourceKind = (
        "Feature"
        if IG.SamplingFeature.value in types
        else "Collection"
        if IG.SampleCollection.value in types
        else "Sample"
    )
    sampling = r.one(s, SOSA.isResultOf)
    sm = sampling.value if sampling is not None else ""
    instant, start, end = r.text(sm, SOSA.resultTime), r.text(sm, IG.startTime), r.text(sm, IG.endTime)
    if instant is None:  # a partial date (see _write_sampling)
        instant = r.text(sm, DCTERMS.date)
    registrant = r.one(s, IG.registrant)
    landing = r.one(s, DCAT.landingPage)
    access = r.one(s, DCTERMS.accessRights)
    method = r.one(sm, SOSA.usedProcedure)
    return SampleRecord(
        igsn=igsn,
        kind=kind,
        name=r.text(s, DCTERMS.title),
        description=r.text(s, DCTERMS.description),
        doi=r.text(s, IG.doi),
        landing_page=None if landing is None else landing.value,
        alternate_identifiers=[
            Identifier(r.text(n, SCHEMA.value) or "", _opt_uncoded(r.one(n, IG.identifierScheme), "identifier_type"))
            for n in r.nodes(s, IG.alternateIdentifier)
        ],
        registrant=None if registrant is None else r.agent(registrant.value),
        collectors=[r.agent(n) for n in r.nodes(s, DCTERMS.creator)],
        contributors=[
            Contributor(
                agent=r.agent(agent.value) if (agent := r.one(n, PROV.agent)) is not None else Agent(""),
                role=_opt_uncoded(r.one(n, PROV.hadRole), "contributor_type") or "",
            )
            for n in r.nodes(s, PROV.qualifiedAttribution)
        ],
        curations=[
            Curation(
                curator=r.text(n, IG.curator),
                date=r.text(n, IG.curationDate),
                location=r.text(n, IG.curationLocation),
                institution=r.agent(inst.value) if (inst := r.one(n, IG.curatingInstitution)) is not None else None,
            )
            for n in r.nodes(s, IG.curation)
        ],
        geometries=[_read_geometry(r, n) for n in r.nodes(s, GEO.hasGeometry)],
        places=[Place(r.text(n, SCHEMA.name), r.text(n, SCHEMA.sameAs)) for n in r.nodes(s, DCTERMS.spatial)],
        resource_types=r.values(s, DCTERMS.type),
        alternate_resource_types=r.values(s, IG.alternateResourceType),
        materials=r.values(s, IG.material),
        alternate_materials=r.values(s, IG.alternateMaterial),
        collection_method=None if method is None else method.value,
        alternate_collection_methods=r.values(sm, IG.alternateMethod),
        method_description=r.text(sm, IG.methodDescription),
        collection_time=None if (instant, start, end) == (None, None, None) else TimeSpan(instant, start, end),
        classifications=[
            Classification(r.text(n, SKOS.prefLabel) or "", r.text(n, SCHEMA.sameAs))
            for n in r.nodes(s, IG.classification)
        ],
        sampled_features=[
            SampledFeature(r.text(n, SCHEMA.name), r.text(n, SCHEMA.sameAs), r.text(n, IG.featureType))
            for n in r.nodes(s, SOSA.hasSampledFeature)
        ],
        purpose=r.text(s, IG.purpose),
        campaign=r.text(s, IG.campaign),
        comments=r.text(s, RDFS.comment),
        parents=sorted({_sample_name(t, iris) for t in r.all(s, IG.parent)}),
        collections=sorted({_sample_name(t, iris) for t in r.all(s, IG.memberOf)}),
        relations=[
            Relation(
                identifier=r.text(n, SCHEMA.identifier) or "",
                identifier_type=_opt_uncoded(r.one(n, IG.identifierScheme), "identifier_type"),
                relation_type=None if (role := r.one(n, DCAT.hadRole)) is None else _relation_name(role),
                title=r.text(n, DCTERMS.title),
                source_relation_type=r.text(n, IG.sourceRelationType),
                igsn=iris.name_of(target) if isinstance(target := r.one(n, DCTERMS.relation), NamedNode) else None,
            )
            for n in r.nodes(s, DCAT.qualifiedRelation)
        ],
        is_public=access is None or access != ACCESS_NON_PUBLIC,
        embargo_end=r.text(s, IG.embargoEnd),
        supplemental_metadata=r.values(s, IG.supplementalMetadata),
        log=[
            LogEvent(
                event=r.text(n, IG.event) or "",
                timestamp=r.text(n, IG.timestamp) or "",
                comment=r.text(n, RDFS.comment),
                text=r.text(n, RDF.value),
            )
            for n in r.nodes(s, IG.logEvent)
        ],
    )


def _read_geometry(r: _Reader, n: str) -> Geometry:
    source = r.text(n, IG.sourceWkt)
    elevation = r.text(n, IG.elevation)
    try:
        height = None if elevation is None else Decimal(elevation)
    except InvalidOperation:
        raise InvalidInput(f"<{n}> ig:elevation: {elevation!r} is not a number") from None
    return Geometry(
        wkt=source if source is not None else r.text(n, GEO.asWKT) or "",
        geometry_type=r.text(n, IG.geometryType),
        srid=r.text(n, IG.srid),
        vertical_datum=r.text(n, IG.verticalDatum),
        uri=r.text(n, RDFS.seeAlso),
        elevation=height,
        elevation_unit=r.text(n, IG.elevationUnit) if height is not None else None,
    )


def _opt_uncoded(term: Term | None, name: str) -> str | None:
    return None if term is None else _uncoded(term, name)


def facts_from_triples(triples: Iterable[TripleLike], iris: Iris, igsn: str, *, datestamp: str) -> RegistryFacts | None:
    """The RegistryFacts among the triples of sample ``igsn``, or None when there are none.

    ``datestamp``: the catalogue row's (or a history version's) datestamp; the graph does not hold it (an
    ``ig:datestamp`` a data folder from before kept is ignored)."""
    r = _Reader(triples)
    s = iris.sample(igsn).value
    agent = r.one(s, IG.allocatingAgent)
    if agent is None:
        return None
    client = r.one(s, IG.registeredBy)
    replaced = r.one(s, DCTERMS.isReplacedBy)
    return RegistryFacts(
        igsn=igsn,
        agent=_symbol(agent.value, iris.base + "agent/"),
        namespace=_strip(r.text(s, IG.inNamespace) or "", iris.base + "namespace/"),
        datestamp=datestamp,
        client=None if client is None else _symbol(client.value, iris.base + "client/"),
        landing_url=r.text(s, IG.landingPage),
        active=_flag(r.one(s, IG.active), True),
        lifecycle=r.text(s, IG.lifecycle),
        replaced_by=None if replaced is None else _sample_name(replaced, iris),
        is_public=_flag(r.one(s, IG.isPublic), True),
        has_metadata=_flag(r.one(s, IG.hasMetadata), False),
        registered=r.text(s, IG.registered),
        doi=r.text(s, IG.registeredDoi),
    )


def _strip(value: str, prefix: str) -> str:
    return value[len(prefix) :] if value.startswith(prefix) else value


def _symbol(value: str, prefix: str) -> str:
    return unquote(value[len(prefix) :]) if value.startswith(prefix) else value


def _flag(term: Term | None, default: bool) -> bool:
    return default if term is None else term.value == "true"


# --- canonical form ---------------------------------------------------------------------------


def canonical(record: SampleRecord) -> SampleRecord:
    """``record`` as RDF keeps it: value lists sorted, distinct; an empty TimeSpan as None; each geometry
    with its elevation (its own, else the WKT's Z)."""
    time = record.collection_time
    if time is not None and (time.instant, time.start, time.end) == (None, None, None):
        time = None
    value_lists: dict[str, Any] = {name: sorted(set(getattr(record, name))) for name in _VALUE_LISTS}
    out = dataclasses.replace(
        record,
        collection_time=time,
        geometries=[_canonical_geometry(g) for g in record.geometries],
        **value_lists,
    )
    out.source_elements = dict(record.source_elements)
    return out


def _canonical_geometry(geometry: Geometry) -> Geometry:
    """With the elevation the graph gives it: its own, else the WKT's Z; a unit only beside an elevation."""
    try:
        parsed = read_wkt(geometry.wkt, geometry.srid)
    except WktError:
        parsed = None
    elevation, unit = _elevation(geometry, parsed)
    if (elevation, unit) == (geometry.elevation, geometry.elevation_unit):
        return geometry
    return dataclasses.replace(geometry, elevation=elevation, elevation_unit=unit if elevation is not None else None)


_VALUE_LISTS = (
    "resource_types",
    "alternate_resource_types",
    "materials",
    "alternate_materials",
    "alternate_collection_methods",
    "parents",
    "collections",
    "supplemental_metadata",
)
