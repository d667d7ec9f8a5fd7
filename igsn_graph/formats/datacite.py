"""Sample → DataCite Metadata Schema kernel-4 ``resource`` (valid against 4.7), as DataCite registers IGSN IDs.

The mandatory six (IGSN.md §3.5): ``identifier`` is the DOI when the sample has one; otherwise the
resolvable IGSN URL with ``identifierType="URL"`` (DataCite reserves ``identifier`` for DOIs, so the
IGSN itself goes to ``alternateIdentifier`` with type ``IGSN``); creators are the collectors, or the
registrant; the title is the sample name; the publisher is the curating institution, or the
registrant; ``publicationYear`` is the year of the log's ``registered`` event, else of the registration
here; ``resourceTypeGeneral`` is always ``PhysicalObject``. Optional parts: subjects (classifications,
materials), contributors (with curators as ``DataCurator``), dates (collection time, log events),
related identifiers (parent IGSNs ``IsDerivedFrom``, collections ``IsPartOf``, every relation whose
identifier type DataCite knows), descriptions and geoLocations (a point for points, the bounding box
for other lon/lat geometries, a place per toponym).

What cannot be written is left out: relations whose identifier type DataCite lacks (unless the value
is an http(s) URL), geometries in projected CRSs, partial or unparseable WKT.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from ..codelists import codelist
from ..record import Agent, Identifier, SampleRecord
from .graph import wkt_summary
from .xmltext import clean

__all__ = ["NS", "SCHEMA", "SCHEMA_LOCATION", "RELATION_TYPES", "RELATED_IDENTIFIER_TYPES", "CONTRIBUTOR_TYPES",
           "write"]

NS = "http://datacite.org/schema/kernel-4"
SCHEMA = "http://schema.datacite.org/meta/kernel-4/metadata.xsd"
SCHEMA_LOCATION = f"{NS} {SCHEMA}"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"

#: kernel-4.7 ``relationType`` enumeration
RELATION_TYPES = frozenset({
    "IsCitedBy", "Cites", "IsSupplementTo", "IsSupplementedBy", "IsContinuedBy", "Continues", "IsNewVersionOf",
    "IsPreviousVersionOf", "IsPartOf", "HasPart", "IsPublishedIn", "IsReferencedBy", "References",
    "IsDocumentedBy", "Documents", "IsCompiledBy", "Compiles", "IsVariantFormOf", "IsOriginalFormOf",
    "IsIdenticalTo", "HasMetadata", "IsMetadataFor", "Reviews", "IsReviewedBy", "IsDerivedFrom", "IsSourceOf",
    "Describes", "IsDescribedBy", "HasVersion", "IsVersionOf", "Requires", "IsRequiredBy", "Obsoletes",
    "IsObsoletedBy", "Collects", "IsCollectedBy", "HasTranslation", "IsTranslationOf", "Other",
})
#: kernel-4.7 ``relatedIdentifierType`` enumeration
RELATED_IDENTIFIER_TYPES = frozenset({
    "ARK", "arXiv", "bibcode", "CSTR", "DOI", "EAN13", "EISSN", "Handle", "IGSN", "ISBN", "ISSN", "ISTC", "LISSN",
    "LSID", "PMID", "PURL", "RAiD", "RRID", "SWHID", "UPC", "URL", "URN", "w3id",
})
#: kernel-4.7 ``contributorType`` enumeration
CONTRIBUTOR_TYPES = frozenset({
    "ContactPerson", "DataCollector", "DataCurator", "DataManager", "Distributor", "Editor", "HostingInstitution",
    "Other", "Producer", "ProjectLeader", "ProjectManager", "ProjectMember", "RegistrationAgency",
    "RegistrationAuthority", "RelatedPerson", "ResearchGroup", "RightsHolder", "Researcher", "Sponsor",
    "Supervisor", "Translator", "WorkPackageLeader",
})
_SCHEME_URIS = {"ORCID": "https://orcid.org", "ROR": "https://ror.org", "ISNI": "https://isni.org"}
#: log event → (dateType, dateInformation)
_LOG_DATES = {"submitted": ("Submitted", None), "registered": ("Issued", None), "updated": ("Updated", None),
              "deprecated": ("Withdrawn", "deprecated"), "destroyed": ("Other", "destroyed")}
_TYPE_LISTS = ("sample_type", "feature_type", "collection_type")


def _sub(parent: etree._Element, name: str, text: str | None = None, **attrs: str | None) -> etree._Element:
    el = etree.SubElement(parent, f"{{{NS}}}{name}", {k: clean(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        el.text = clean(text)
    return el


def _name_identifier(parent: etree._Element, ident: Identifier | None) -> None:
    if ident is None or not ident.value.strip() or not ident.scheme:
        return
    _sub(parent, "nameIdentifier", ident.value, nameIdentifierScheme=ident.scheme,
         schemeURI=_SCHEME_URIS.get(ident.scheme))


def _affiliation(parent: etree._Element, agent: Agent) -> None:
    aff = agent.affiliation
    if aff is None or not aff.name.strip():
        return
    ident = aff.identifier
    attrs = {}
    if ident is not None and ident.scheme and ident.value.strip():
        attrs = {"affiliationIdentifier": ident.value, "affiliationIdentifierScheme": ident.scheme,
                 "schemeURI": _SCHEME_URIS.get(ident.scheme)}
    _sub(parent, "affiliation", aff.name, **attrs)


def _name_type(agent: Agent) -> str | None:
    return {"Person": "Personal", "Organization": "Organizational"}.get(agent.kind or "")


def _person(parent: etree._Element, element: str, name_element: str, agent: Agent, **attrs: str) -> None:
    el = _sub(parent, element, **attrs)
    _sub(el, name_element, agent.name, nameType=_name_type(agent))
    if agent.kind == "Person" and "," in agent.name:
        family, given = (p.strip() for p in agent.name.split(",", 1))
        if given and family:
            _sub(el, "givenName", given)
            _sub(el, "familyName", family)
    _name_identifier(el, agent.identifier)
    _affiliation(el, agent)


def _label(iri: str, lists: tuple[str, ...]) -> str | None:
    for name in lists:
        term = codelist(name).by_iri.get(iri)
        if term is not None:
            return term.label
    return None


def _resource_type(record: SampleRecord) -> str:
    labels = [label for label in (_label(t, _TYPE_LISTS) for t in record.resource_types) if label]
    return labels[0] if labels else record.kind


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _geo_locations(parent: etree._Element, record: SampleRecord) -> None:
    boxes: list[tuple[str, tuple[Decimal, Decimal, Decimal, Decimal]]] = []
    for geometry in record.geometries:
        summary = wkt_summary(geometry.wkt, geometry.srid)
        if summary is None or summary[1] is None:
            continue
        kind, (west, east, south, north) = summary
        if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
            continue
        boxes.append((kind, (west, east, south, north)))
    places = [p.name for p in record.places if p.name and p.name.strip()]
    if not boxes and not places:
        return
    container = _sub(parent, "geoLocations")
    for place in places:
        _sub(_sub(container, "geoLocation"), "geoLocationPlace", place)
    for kind, (west, east, south, north) in boxes:
        location = _sub(container, "geoLocation")
        if kind == "Point" or (west == east and south == north):
            point = _sub(location, "geoLocationPoint")
            _sub(point, "pointLongitude", _number(west))
            _sub(point, "pointLatitude", _number(south))
        else:
            box = _sub(location, "geoLocationBox")
            _sub(box, "westBoundLongitude", _number(west))
            _sub(box, "eastBoundLongitude", _number(east))
            _sub(box, "southBoundLatitude", _number(south))
            _sub(box, "northBoundLatitude", _number(north))


def _related_type(identifier: str, identifier_type: str | None) -> str | None:
    if identifier_type in RELATED_IDENTIFIER_TYPES:
        return identifier_type
    if identifier_type == "URI" or identifier.lower().startswith(("http://", "https://")):
        return "URL"
    return None


def write(record: SampleRecord, *, base_url: str, publication_year: str | None = None) -> etree._Element:
    """A kernel-4 ``resource`` for ``record``; ``publication_year`` (YYYY) when its log has no registration."""
    root = etree.Element(f"{{{NS}}}resource", nsmap={None: NS, "xsi": _XSI})
    root.set(f"{{{_XSI}}}schemaLocation", SCHEMA_LOCATION)

    doi = record.doi
    if doi and doi.lower().startswith(("https://doi.org/", "http://doi.org/", "http://dx.doi.org/")):
        doi = doi.split("/", 3)[3]
    if doi:
        _sub(root, "identifier", doi, identifierType="DOI")
    else:
        _sub(root, "identifier", base_url + record.igsn, identifierType="URL")

    creators = _sub(root, "creators")
    people = [a for a in record.collectors if a.name.strip()] or (
        [record.registrant] if record.registrant is not None and record.registrant.name.strip() else [])
    for agent in people:
        _person(creators, "creator", "creatorName", agent)
    if not people:
        _sub(_sub(creators, "creator"), "creatorName", ":unav")  # DataCite's code for "value unavailable"

    titles = _sub(root, "titles")
    _sub(titles, "title", (record.name or "").strip() or record.igsn)

    institution = next((c.institution for c in record.curations if c.institution and c.institution.name.strip()),
                       None)
    publisher = institution or record.registrant
    if publisher is not None and publisher.name.strip():
        ident = publisher.identifier
        attrs = {}
        if ident is not None and ident.scheme and ident.value.strip():
            attrs = {"publisherIdentifier": ident.value, "publisherIdentifierScheme": ident.scheme,
                     "schemeURI": _SCHEME_URIS.get(ident.scheme)}
        _sub(root, "publisher", publisher.name, **attrs)
    else:
        _sub(root, "publisher", ":unav")

    # the record's own registration (a migrated sample keeps its original year), else this registry's
    year = next((e.timestamp[:4] for e in record.log if e.event == "registered" and e.timestamp[:4].isdigit()),
                None)
    if year is None and publication_year and publication_year[:4].isdigit():
        year = publication_year[:4]
    _sub(root, "publicationYear", year or "0000")
    _sub(root, "resourceType", _resource_type(record), resourceTypeGeneral="PhysicalObject")

    subjects = [(c.label, c.uri, None) for c in record.classifications if c.label.strip()]
    subjects += [(_label(m, ("material",)) or m, m, "material") for m in record.materials]
    if subjects:
        container = _sub(root, "subjects")
        for label, uri, scheme in subjects:
            _sub(container, "subject", label, subjectScheme=scheme,
                 valueURI=uri if uri and uri.lower().startswith(("http://", "https://")) else None)

    contributors = [(c.agent, c.role if c.role in CONTRIBUTOR_TYPES else "Other") for c in record.contributors
                    if c.agent.name.strip()]
    contributors += [(Agent(c.curator), "DataCurator") for c in record.curations if c.curator and c.curator.strip()]
    if contributors:
        container = _sub(root, "contributors")
        for agent, role in contributors:
            _person(container, "contributor", "contributorName", agent, contributorType=role)

    dates: list[tuple[str, str, str | None]] = []
    t = record.collection_time
    if t is not None and (t.instant or t.start or t.end):
        value = t.instant or f"{t.start or 'unknown'}/{t.end or 'unknown'}"
        dates.append((value, "Collected", None))
    for event in record.log:
        if event.event in _LOG_DATES and event.timestamp.strip():
            date_type, info = _LOG_DATES[event.event]
            dates.append((event.timestamp, date_type, info))
    if dates:
        container = _sub(root, "dates")
        for value, date_type, info in dates:
            _sub(container, "date", value, dateType=date_type, dateInformation=info)

    alternates = [(record.igsn, "IGSN")] + [(i.value, i.scheme or "Local") for i in record.alternate_identifiers
                                            if i.value.strip()]
    container = _sub(root, "alternateIdentifiers")
    for value, kind in alternates:
        _sub(container, "alternateIdentifier", value, alternateIdentifierType=kind)

    related: list[tuple[str, str, str, str | None]] = [(p, "IGSN", "IsDerivedFrom", None) for p in record.parents]
    related += [(c, "IGSN", "IsPartOf", None) for c in record.collections]
    for relation in record.relations:
        id_type = _related_type(relation.identifier, relation.identifier_type)
        if id_type is None or not relation.identifier.strip():
            continue
        relation_type = relation.relation_type if relation.relation_type in RELATION_TYPES else "Other"
        info = relation.source_relation_type or (relation.relation_type if relation_type == "Other" else None)
        related.append((relation.identifier, id_type, relation_type, info))
    if related:
        container = _sub(root, "relatedIdentifiers")
        for value, id_type, relation_type, info in related:
            _sub(container, "relatedIdentifier", value, relatedIdentifierType=id_type, relationType=relation_type,
                 relationTypeInformation=info)

    descriptions = [(record.description, "Abstract"), (record.method_description, "Methods"),
                    (record.comments, "Other")]
    descriptions = [(text, kind) for text, kind in descriptions if text and text.strip()]
    if descriptions:
        container = _sub(root, "descriptions")
        for text, kind in descriptions:
            _sub(container, "description", text, descriptionType=kind)

    _geo_locations(root, record)
    return root
