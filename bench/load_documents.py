"""Documents of the demo records in the XML input formats, and the helpers every document maker shares.

Formats with a writer use it (registration and description kernels, DataCite, Dublin Core, Turtle and JSON-LD
from ``formats.graph``); the read-only XML formats (CSIRO v3, ARDC 1.0, CSIRO v2) are synthesised here from the
same records (lxml, a crosswalk of the fields each format has a place for). Used by ``bench/load_per_format.py``.
"""

from __future__ import annotations

from dataclasses import replace

from lxml import etree
from pyoxigraph import RdfFormat, serialize

from igsn_graph.codelists import codelist
from igsn_graph.demo import DemoSample
from igsn_graph.formats import csiro_v2
from igsn_graph.formats import graph as graphmap
from igsn_graph.formats._agent_terms import agent_terms
from igsn_graph.formats._descriptive import COLLECTOR_ROLE
from igsn_graph.formats.wkt import read_wkt
from igsn_graph.identifiers import HANDLE_PREFIX
from igsn_graph.iris import Iris
from igsn_graph.record import Relation, SampleRecord, TimeSpan

IRIS = Iris()


def xml_document(element: etree._Element) -> bytes:
    return etree.tostring(element, encoding="utf-8", xml_declaration=True)


def described(s: DemoSample) -> SampleRecord:
    """The record with its landing page, for the formats that carry one."""
    return replace(s.record, landing_page=s.landing_url)


def rdf_document(s: DemoSample, fmt: RdfFormat) -> bytes:
    return serialize(graphmap.record_triples(described(s), IRIS), format=fmt) or b""


class _Xml:
    """SubElement in one namespace, leaving out what has no value."""

    def __init__(self, ns: str) -> None:
        self.ns = ns

    def root(self, name: str, **attrib: str) -> etree._Element:
        return etree.Element(f"{{{self.ns}}}{name}", attrib, nsmap={None: self.ns})

    def sub(self, parent: etree._Element, name: str, text: str | None = None, **attrib: str | None) -> etree._Element:
        el = etree.SubElement(parent, f"{{{self.ns}}}{name}", {k: v for k, v in attrib.items() if v is not None})
        if text is not None:
            el.text = text
        return el

    def opt(self, parent: etree._Element, name: str, text: str | None) -> None:
        """An element only when there is text for it."""
        if text:
            self.sub(parent, name, text)

    def time(self, parent: etree._Element, container: str, span: TimeSpan | None) -> None:
        """A ``timeInstant`` or a ``timePeriod`` of ``start``/``end`` in ``container`` (both schemas' form)."""
        if span is None:
            return
        when = self.sub(parent, container)
        if span.instant:
            self.sub(when, "timeInstant", span.instant)
        else:
            period = self.sub(when, "timePeriod")
            self.opt(period, "start", span.start)
            self.opt(period, "end", span.end)

    def many(self, parent: etree._Element, container: str, name: str, values: list[str]) -> None:
        if values:
            holder = self.sub(parent, container)
            for v in values:
                self.sub(holder, name, v)


_KIND_TERM = {"Sample": "PhysicalSample", "Collection": "SampleCollection", "Feature": "SamplingFeature"}
_CI_ROLE = "http://registry.it.csiro.au/def/isotc211/CI_RoleCode/"
_ARDC_CODES = "http://pid.geoscience.gov.au/def/voc/ga/igsncode/"
_CSIRO_CODES = "http://pid.geoscience.gov.au/def/voc/igsn-codelists/"


def _ardc_term(list_name: str, notation: str | None) -> str | None:
    """ARDC's IRI for one of our notations (``mappings/codelists/agent_terms.csv``), else the notation."""
    if notation is None:
        return None
    found = [w for w, n in agent_terms(list_name).items() if n == notation and w.startswith(_ARDC_CODES)]
    return found[0] if len(found) == 1 else notation


#: ISO 19115 CI_RoleCode, the contributor types of the CSIRO schemas
_CI_ROLE_CODES = (
    "resourceProvider",
    "custodian",
    "owner",
    "user",
    "distributor",
    "originator",
    "pointOfContact",
    "principalInvestigator",
    "processor",
    "publisher",
    "author",
    "sponsor",
    "coAuthor",
    "collaborator",
    "editor",
    "mediator",
    "rightsHolder",
    "contributor",
    "funder",
    "stakeholder",
)


def _contributor_role(notation: str) -> str:
    """The CI_RoleCode our contributor type list reads as this type (its first), else the DataCite name."""
    roles = codelist("contributor_type")
    iri = roles.canonical(notation)
    codes = [_CI_ROLE + c for c in _CI_ROLE_CODES if iri is not None and roles.canonical(_CI_ROLE + c) == iri]
    return codes[0] if codes else notation


def sample_relations(r: SampleRecord) -> list[Relation]:
    return (
        [Relation(f"{HANDLE_PREFIX}/{p}", "IGSN", "IsDerivedFrom") for p in r.parents]
        + [Relation(f"{HANDLE_PREFIX}/{c}", "IGSN", "IsPartOf") for c in r.collections]
        + r.relations
    )


def descriptive_document(s: DemoSample, *, ns: str, ardc_form: bool) -> bytes:
    """A CSIRO v3 or ARDC 1.0 ``resources`` document of one ``resource`` (the two schemas differ in the
    namespace, the code-list IRIs, the curator and the related resource)."""
    r, x = s.record, _Xml(ns)
    codes = _ARDC_CODES if ardc_form else _CSIRO_CODES
    root = x.root("resources")
    res = x.sub(root, "resource", registeredObjectType=codes + _KIND_TERM[r.kind])
    x.sub(res, "resourceIdentifier", f"{HANDLE_PREFIX}/{r.igsn}" if ardc_form else r.igsn)
    x.sub(res, "landingPage", s.landing_url)
    x.sub(res, "isPublic", "true" if r.is_public else "false")
    x.sub(res, "resourceTitle", r.name)
    x.many(res, "resourceTypes", "resourceType", r.resource_types)
    x.many(res, "materialTypes", "materialType", r.materials)
    if r.classifications:
        holder = x.sub(res, "classifications")
        for c in r.classifications:
            x.sub(holder, "classification", c.label, classificationURI=c.uri)
    x.opt(res, "purpose", r.purpose)
    if r.sampled_features:
        holder = x.sub(res, "sampledFeatures")
        for f in r.sampled_features:
            x.sub(holder, "sampledFeature", f.name, sampledFeatureURI=f.uri)
    if r.places or r.geometries:
        location = x.sub(res, "location")
        for p in r.places[:1]:
            x.sub(location, "locality", p.name, localityURI=p.identifier)
        for g in r.geometries[:1]:
            x.sub(location, "geometry", g.wkt, srid=f"https://epsg.io/{g.srid}" if g.srid else None)
    x.time(res, "date", r.collection_time)
    if r.collection_method:
        x.sub(res, "method", r.method_description, methodURI=r.collection_method)
    x.opt(res, "campaign", r.campaign)
    if r.curations:
        holder = x.sub(res, "curationDetails")
        for c in r.curations:
            curation = x.sub(holder, "curation")
            if ardc_form and c.curator:
                x.sub(x.sub(curation, "curator"), "curatorName", c.curator)
            elif c.curator:
                x.sub(curation, "curator", c.curator)
            x.opt(curation, "curationDate", c.date)
            x.opt(curation, "curationLocation", c.location)
            if c.institution is not None:
                x.sub(
                    curation,
                    "curatingInstitution",
                    c.institution.name,
                    institutionURI=c.institution.identifier.value if c.institution.identifier else None,
                )
    people = [(COLLECTOR_ROLE, a) for a in r.collectors] + [
        (_contributor_role(c.role), c.agent) for c in r.contributors
    ]
    if people:
        holder = x.sub(res, "contributors")
        for role, agent in people:
            contributor = x.sub(holder, "contributor", contributorType=role)
            x.sub(contributor, "contributorName", agent.name)
            if agent.identifier is not None:
                kind = agent.identifier.scheme
                x.sub(
                    contributor,
                    "contributorIdentifier",
                    agent.identifier.value,
                    contributorIdentifierType=_ardc_term("identifier_type", kind) if ardc_form else kind,
                )
    relations = sample_relations(r)
    if relations:
        holder = x.sub(res, "relatedResources")
        for rel in relations:
            relation_type = _ardc_term("relation_type", rel.relation_type) if ardc_form else rel.relation_type
            id_type = _ardc_term("identifier_type", rel.identifier_type) if ardc_form else rel.identifier_type
            if ardc_form:
                related = x.sub(holder, "relatedResource", relationType=relation_type)
                x.opt(related, "relatedResourceTitle", rel.title)
                x.sub(related, "relatedResourceIdentifier", rel.identifier, relatedResourceIdentifierType=id_type)
            else:
                x.sub(
                    holder,
                    "relatedResource",
                    rel.identifier,
                    relatedResourceIdentifierType=id_type,
                    relationType=relation_type,
                )
    x.opt(res, "comments", r.comments)
    for event in r.log[-1:]:
        x.sub(res, "logDate", event.timestamp, eventType=event.event)
    return xml_document(root)


def csiro_v2_document(s: DemoSample) -> bytes:
    """A CSIRO v2 ``samples`` document of one ``sample`` (the registration kernel 1.0 namespace)."""
    r, x = s.record, _Xml(csiro_v2.NAMESPACES[0])
    root = x.root("samples")
    sample = x.sub(root, "sample")
    x.sub(sample, "sampleNumber", r.igsn, identifierType="igsn")
    x.sub(sample, "sampleName", r.name)
    x.sub(sample, "isPublic", "1" if r.is_public else "0")
    x.sub(sample, "landingPage", s.landing_url)
    # v2 describes samples: a feature's or collection's type has no place in sampleTypes
    x.many(sample, "sampleTypes", "sampleType", [t for t in r.resource_types if t in codelist("sample_type")])
    x.many(sample, "materialTypes", "materialType", r.materials)
    for c in r.classifications[:1]:
        x.sub(sample, "classification", c.label, classificationIdentifier=c.uri)
    x.opt(sample, "purpose", r.purpose)
    if r.places or r.geometries:
        location = x.sub(sample, "samplingLocation")
        for p in r.places[:1]:
            x.sub(location, "locality", p.name)
        for g in r.geometries[:1]:
            x.sub(
                location,
                "wkt",
                g.wkt,
                srs=f"EPSG:{g.srid}" if g.srid else None,
                spatialType=read_wkt(g.wkt, g.srid).kind,
            )
    x.time(sample, "samplingTime", r.collection_time)
    if r.collectors:
        holder = x.sub(sample, "sampleCollectors")
        for a in r.collectors:
            x.sub(holder, "collector", a.name, collectorIdentifier=a.identifier.value if a.identifier else None)
    x.opt(sample, "samplingCampaign", r.campaign)
    if r.curations:
        holder = x.sub(sample, "sampleCuration")
        for c in r.curations:
            curation = x.sub(holder, "curation")
            x.opt(curation, "curator", c.curator)
            if c.date:
                x.sub(x.sub(curation, "curationTime"), "timeInstant", c.date)
            x.opt(curation, "curationLocation", c.location)
    relations = sample_relations(r)
    if relations:
        holder = x.sub(sample, "relatedResources")
        for rel in relations:
            x.sub(
                holder,
                "relatedResourceIdentifier",
                rel.identifier,
                relatedIdentifierType=(rel.identifier_type or "").lower(),
                relationType=rel.relation_type,
            )
    x.opt(sample, "comments", r.comments)
    for event in r.log:
        x.sub(sample, "logElement", event=event.event, timeStamp=event.timestamp)
    return xml_document(root)
