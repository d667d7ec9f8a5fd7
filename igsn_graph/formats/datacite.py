"""DataCite Metadata Schema ``resource`` ⇄ ``SampleRecord``: IGSN IDs as DataCite registers them.

Writing: kernel-4 (valid against 4.7). Reading: kernel-4 and, read-only, kernel-3
(``http://datacite.org/schema/kernel-3``: the same elements, plain-text affiliations, points and boxes as
space-separated ``lat lon`` text).

Write
-----

The mandatory six (IGSN.md §3.5): ``identifier`` is the DOI when the sample has one; otherwise the
sample's persistent IRI (IRI base + name, never the address this server answers on) with
``identifierType="URL"`` (DataCite reserves ``identifier`` for DOIs, so the
IGSN itself goes to ``alternateIdentifier`` with type ``IGSN``); creators are the collectors, or the
registrant; the title is the sample name; the publisher is the curating institution, or the
registrant; ``publicationYear`` is the year of the log's ``registered`` event, else of the registration
here; ``resourceTypeGeneral`` is always ``PhysicalObject``. Optional parts: subjects (classifications,
materials and alternate materials with ``subjectScheme="material"``), contributors (with curators as ``DataCurator``), dates (collection time, log events),
related identifiers (parent IGSNs ``IsDerivedFrom``, collections ``IsPartOf``, every relation whose
identifier type DataCite knows), descriptions and geoLocations (a point for points, the bounding box
for other lon/lat geometries, a place per toponym).

What cannot be written is left out: relations whose identifier type DataCite lacks (unless the value
is an http(s) URL), geometries in projected CRSs, partial or unparseable WKT.

Read
----
Only physical objects are samples: ``resourceType/@resourceTypeGeneral`` must be ``PhysicalObject``
(anything else is an ``InvalidRecord``). The IGSN is the ``identifier`` (a DOI, or a handle-form IGSN
``10273/NAME``; a DOI also becomes the record's ``doi``), else the ``alternateIdentifier`` of type
``IGSN``, else an ``igsn.org`` / resolver URL ``identifier``. Whether a DOI prefix may be used is the
registry's decision, not the reader's. The rest maps as ``write`` writes it:

* the first ``title`` → name; creators → collectors; contributors → contributors (a ``DataCurator``
  with neither identifier nor affiliation is a curator); the ``publisher`` → the curating institution;
  agents keep their kind (``nameType``), first ``nameIdentifier`` (ORCID, ROR, ISNI…) and first
  affiliation (with its identifier);
* ``resourceType`` text: a sample, feature or collection type of ``mappings/`` (by label, notation or
  alias) — which also gives the kind — or ``Sample``/``Feature``/``Collection``; else an alternate
  resource type;
* subjects with ``subjectScheme="material"`` → materials (unknown ones → alternate materials), other
  subjects → classifications (label and ``valueURI``);
* dates: ``Collected`` → collection time (``start/end`` periods), ``Submitted``/``Issued``/``Updated``
  → log events submitted/registered/updated, ``Withdrawn`` → deprecated, ``Other`` with
  ``dateInformation="destroyed"`` → destroyed (log dates that are ranges are left out);
  ``publicationYear`` → a ``registered`` log event when no ``Issued`` date is given;
* ``alternateIdentifier``s (but the IGSN itself) → alternate identifiers, typed when the free-text type is
  an identifier type we know (``Local``, what ``write`` writes for none, is none);
  ``relatedIdentifier``s: IGSNs ``IsDerivedFrom`` → parents, ``IsPartOf`` → collections, the rest →
  relations (``Other`` takes its meaning from ``relationTypeInformation``);
* descriptions ``Abstract``, ``Methods``, ``Other`` (the first of each) → description, method
  description, comments;
* geoLocations: a point → ``POINT``, a box or polygon → ``POLYGON`` (lon/lat, CRS84), a place → a
  place.

Left out on reading: other titles, sizes, formats, version, language, rights, funding references,
related items, other date and description types, ``givenName``/``familyName`` (the name element is
the name, so they are not reported), further name identifiers and affiliations. Every element or attribute
holding a value ``read`` did not take (its ``ReadLog``: sizes, rights, ``xml:lang``, ``classificationCode``,
a second description of a type, further name identifiers and affiliations…) is reported in
``record.warnings`` as ``not mapped: <path>`` (issue 13); other titles and date types get a warning of their
own.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from lxml import etree

from ..codelists import codelist
from ..errors import InvalidRecord
from ..identifiers import parse_igsn
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
    ResourceKind,
    SampleRecord,
    TimeSpan,
)
from ..xmlparser import element_path
from ._kernel import NamespacedReader, root_namespace
from ._kernel import identifier_type as _identifier_type
from ._kernel import relation as _relation
from ._kernel import text as _text
from ._unmapped import not_mapped
from .graph import wkt_summary
from .xmltext import clean

__all__ = [
    "NS",
    "NS_3",
    "NAMESPACES",
    "ROOT",
    "SCHEMA",
    "SCHEMA_LOCATION",
    "RELATION_TYPES",
    "RELATED_IDENTIFIER_TYPES",
    "CONTRIBUTOR_TYPES",
    "identifier_element",
    "read",
    "write",
]

NS = "http://datacite.org/schema/kernel-4"
NS_3 = "http://datacite.org/schema/kernel-3"
#: namespaces read, the written one first
NAMESPACES = (NS, NS_3)
ROOT = "resource"
SCHEMA = "http://schema.datacite.org/meta/kernel-4/metadata.xsd"
SCHEMA_LOCATION = f"{NS} {SCHEMA}"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"

#: kernel-4.7 ``relationType`` enumeration
RELATION_TYPES = frozenset(
    {
        "IsCitedBy",
        "Cites",
        "IsSupplementTo",
        "IsSupplementedBy",
        "IsContinuedBy",
        "Continues",
        "IsNewVersionOf",
        "IsPreviousVersionOf",
        "IsPartOf",
        "HasPart",
        "IsPublishedIn",
        "IsReferencedBy",
        "References",
        "IsDocumentedBy",
        "Documents",
        "IsCompiledBy",
        "Compiles",
        "IsVariantFormOf",
        "IsOriginalFormOf",
        "IsIdenticalTo",
        "HasMetadata",
        "IsMetadataFor",
        "Reviews",
        "IsReviewedBy",
        "IsDerivedFrom",
        "IsSourceOf",
        "Describes",
        "IsDescribedBy",
        "HasVersion",
        "IsVersionOf",
        "Requires",
        "IsRequiredBy",
        "Obsoletes",
        "IsObsoletedBy",
        "Collects",
        "IsCollectedBy",
        "HasTranslation",
        "IsTranslationOf",
        "Other",
    }
)
#: kernel-4.7 ``relatedIdentifierType`` enumeration
RELATED_IDENTIFIER_TYPES = frozenset(
    {
        "ARK",
        "arXiv",
        "bibcode",
        "CSTR",
        "DOI",
        "EAN13",
        "EISSN",
        "Handle",
        "IGSN",
        "ISBN",
        "ISSN",
        "ISTC",
        "LISSN",
        "LSID",
        "PMID",
        "PURL",
        "RAiD",
        "RRID",
        "SWHID",
        "UPC",
        "URL",
        "URN",
        "w3id",
    }
)
#: kernel-4.7 ``contributorType`` enumeration
CONTRIBUTOR_TYPES = frozenset(
    {
        "ContactPerson",
        "DataCollector",
        "DataCurator",
        "DataManager",
        "Distributor",
        "Editor",
        "HostingInstitution",
        "Other",
        "Producer",
        "ProjectLeader",
        "ProjectManager",
        "ProjectMember",
        "RegistrationAgency",
        "RegistrationAuthority",
        "RelatedPerson",
        "ResearchGroup",
        "RightsHolder",
        "Researcher",
        "Sponsor",
        "Supervisor",
        "Translator",
        "WorkPackageLeader",
    }
)
_SCHEME_URIS = {"ORCID": "https://orcid.org", "ROR": "https://ror.org", "ISNI": "https://isni.org"}
#: log event → (dateType, dateInformation)
_LOG_DATES = {
    "submitted": ("Submitted", None),
    "registered": ("Issued", None),
    "updated": ("Updated", None),
    "deprecated": ("Withdrawn", "deprecated"),
    "destroyed": ("Other", "destroyed"),
}
_TYPE_LISTS = ("sample_type", "feature_type", "collection_type")


def _sub(parent: etree._Element, name: str, text: str | None = None, **attrs: str | None) -> etree._Element:
    el = etree.SubElement(parent, f"{{{NS}}}{name}", {k: clean(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        el.text = clean(text)
    return el


def _name_identifier(parent: etree._Element, ident: Identifier | None) -> None:
    if ident is None or not ident.value.strip() or not ident.scheme:
        return
    _sub(
        parent,
        "nameIdentifier",
        ident.value,
        nameIdentifierScheme=ident.scheme,
        schemeURI=_SCHEME_URIS.get(ident.scheme),
    )


def _affiliation(parent: etree._Element, agent: Agent) -> None:
    aff = agent.affiliation
    if aff is None or not aff.name.strip():
        return
    _sub(parent, "affiliation", aff.name, **_identifier_attributes("affiliation", aff.identifier))


def _identifier_attributes(element: str, ident: Identifier | None) -> dict[str, str | None]:
    """``{element}Identifier``, ``…Scheme`` and ``schemeURI`` of an affiliation or publisher, when it has one."""
    if ident is None or not ident.scheme or not ident.value.strip():
        return {}
    return {
        f"{element}Identifier": ident.value,
        f"{element}IdentifierScheme": ident.scheme,
        "schemeURI": _SCHEME_URIS.get(ident.scheme),
    }


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
        if summary is None:
            continue
        kind, bounds = summary
        if bounds is None:
            continue
        west, east, south, north = bounds
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


def write(record: SampleRecord, *, iri_base: str, publication_year: str | None = None) -> etree._Element:
    """A kernel-4 ``resource`` for ``record``; ``iri_base`` makes the persistent IRI of a sample without a DOI;
    ``publication_year`` (YYYY) when its log has no registration."""
    root = etree.Element(f"{{{NS}}}resource", nsmap={None: NS, "xsi": _XSI})
    root.set(f"{{{_XSI}}}schemaLocation", SCHEMA_LOCATION)

    doi = record.doi
    if doi and doi.lower().startswith(("https://doi.org/", "http://doi.org/", "http://dx.doi.org/")):
        doi = doi.split("/", 3)[3]
    if doi:
        _sub(root, "identifier", doi, identifierType="DOI")
    else:
        _sub(root, "identifier", iri_base + record.igsn, identifierType="URL")

    creators = _sub(root, "creators")
    people = [a for a in record.collectors if a.name.strip()] or (
        [record.registrant] if record.registrant is not None and record.registrant.name.strip() else []
    )
    for agent in people:
        _person(creators, "creator", "creatorName", agent)
    if not people:
        _sub(_sub(creators, "creator"), "creatorName", ":unav")  # DataCite's code for "value unavailable"

    titles = _sub(root, "titles")
    _sub(titles, "title", (record.name or "").strip() or record.igsn)

    institution = next((c.institution for c in record.curations if c.institution and c.institution.name.strip()), None)
    publisher = institution or record.registrant
    if publisher is not None and publisher.name.strip():
        _sub(root, "publisher", publisher.name, **_identifier_attributes("publisher", publisher.identifier))
    else:
        _sub(root, "publisher", ":unav")

    # the record's own registration (a migrated sample keeps its original year), else this registry's
    year = next((e.timestamp[:4] for e in record.log if e.event == "registered" and e.timestamp[:4].isdigit()), None)
    if year is None and publication_year and publication_year[:4].isdigit():
        year = publication_year[:4]
    _sub(root, "publicationYear", year or "0000")
    _sub(root, "resourceType", _resource_type(record), resourceTypeGeneral="PhysicalObject")

    subjects: list[tuple[str, str | None, str | None]] = [
        (c.label, c.uri, None) for c in record.classifications if c.label.strip()
    ]
    subjects += [(_label(m, ("material",)) or m, m, "material") for m in record.materials]
    subjects += [(m, None, "material") for m in record.alternate_materials if m.strip()]
    if subjects:
        container = _sub(root, "subjects")
        for label, uri, scheme in subjects:
            _sub(
                container,
                "subject",
                label,
                subjectScheme=scheme,
                valueURI=uri if uri and uri.lower().startswith(("http://", "https://")) else None,
            )

    contributors = [
        (c.agent, c.role if c.role in CONTRIBUTOR_TYPES else "Other")
        for c in record.contributors
        if c.agent.name.strip()
    ]
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

    alternates = [(record.igsn, "IGSN")] + [
        (i.value, i.scheme or "Local") for i in record.alternate_identifiers if i.value.strip()
    ]
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
            _sub(
                container,
                "relatedIdentifier",
                value,
                relatedIdentifierType=id_type,
                relationType=relation_type,
                relationTypeInformation=info,
            )

    descriptions = [
        (record.description, "Abstract"),
        (record.method_description, "Methods"),
        (record.comments, "Other"),
    ]
    descriptions = [(text, kind) for text, kind in descriptions if text and text.strip()]
    if descriptions:
        container = _sub(root, "descriptions")
        for text, kind in descriptions:
            _sub(container, "description", text, descriptionType=kind)

    _geo_locations(root, record)
    return root


# ---------------------------------------------------------------- read

#: the only resourceTypeGeneral that is a sample (IGSN.md §3.5)
PHYSICAL_OBJECT = "PhysicalObject"
_KIND_OF_LIST: dict[str, ResourceKind] = {
    "sample_type": "Sample",
    "feature_type": "Feature",
    "collection_type": "Collection",
}
_KINDS: tuple[ResourceKind, ...] = ("Sample", "Feature", "Collection")
_NAME_TYPES: dict[str, AgentKind] = {"Personal": "Person", "Organizational": "Organization"}
#: dateType (and dateInformation for ``Other``) → log event; the inverse of ``_LOG_DATES``
_DATE_EVENTS = {"Submitted": "submitted", "Issued": "registered", "Updated": "updated", "Withdrawn": "deprecated"}
_DESCRIPTION_FIELDS = {"Abstract": "description", "Methods": "method_description", "Other": "comments"}
# a W3CDTF date or date-time (log entries must be one; DataCite also allows ranges)
_SINGLE_DATE = re.compile(r"\d{4}(-\d\d(-\d\d(T[0-9:.]+(Z|[+-]\d\d:\d\d)?)?)?)?")
_YEAR = re.compile(r"\d{4}")


def _type_by_label(raw: str) -> tuple[str, ResourceKind] | None:
    """(canonical IRI, kind) of a resource type written as a label, notation or alias of ``mappings/``."""
    wanted = raw.strip()
    for name, kind in _KIND_OF_LIST.items():
        terms = codelist(name)
        iri = terms.canonical(wanted) or next((t.iri for t in terms.terms if t.label.lower() == wanted.lower()), None)
        if iri is not None:
            return iri, kind
    return None


def _material(label: str | None, uri: str | None) -> str | None:
    terms = codelist("material")
    for value in (uri, label):
        if value:
            iri = terms.canonical(value) or next(
                (t.iri for t in terms.terms if t.label.lower() == value.strip().lower()), None
            )
            if iri is not None:
                return iri
    return None


def _decimal(text: str | None) -> Decimal | None:
    try:
        return Decimal(text.strip()) if text and text.strip() else None
    except InvalidOperation:
        return None


def _coordinates(*values: Decimal) -> str:
    return " ".join(_number(v) for v in values)


def _polygon(points: list[tuple[Decimal, Decimal]]) -> str:
    """``POLYGON ((lon lat, …))`` of a closed ring of (lon, lat) points."""
    return "POLYGON ((" + ", ".join(_coordinates(lon, lat) for lon, lat in points) + "))"


def _box(west: Decimal, east: Decimal, south: Decimal, north: Decimal) -> str:
    return _polygon([(west, south), (east, south), (east, north), (west, north), (west, south)])


class _Reader(NamespacedReader):
    """Reads one ``resource`` element of kernel-4 (or kernel-3)."""

    # -- parts ----------------------------------------------------------------------------------
    def check_resource_type(self) -> etree._Element:
        el = self.find(self.root, "resourceType")
        general = self.attr(el, "resourceTypeGeneral") if el is not None else None
        if el is None or general != PHYSICAL_OBJECT:
            found = f"found {general!r}" if general else "none given"
            raise InvalidRecord(
                f"{element_path(self.root)}/resourceType: resourceTypeGeneral must be "
                f"{PHYSICAL_OBJECT} (an IGSN names a physical object; {found})"
            )
        return el

    def identifier(self) -> tuple[str, str | None]:
        """(IGSN name, DOI) from the element ``identifier_element`` picks."""
        el = identifier_element(self.root)
        if el is None:
            raise InvalidRecord(
                f"{element_path(self.root)}: no IGSN: the identifier is missing or empty and "
                "there is no alternateIdentifier of type IGSN"
            )
        igsn = parse_igsn(self.text(el) or "")
        self.note("igsn", el)
        return igsn.name, igsn.doi

    def name_identifier(self, el: etree._Element) -> Identifier | None:
        id_el = self.find(el, "nameIdentifier")
        value = self.text(id_el)
        if id_el is None or value is None:
            return None
        self.attr(id_el, "schemeURI")  # the scheme's home: write writes it back from the scheme
        return Identifier(value, _identifier_type(self.attr(id_el, "nameIdentifierScheme")))

    def affiliation(self, el: etree._Element) -> Agent | None:
        aff = self.find(el, "affiliation")
        name = self.text(aff)
        if aff is None or name is None:
            return None
        value = (self.attr(aff, "affiliationIdentifier") or "").strip()
        ident = Identifier(value, _identifier_type(self.attr(aff, "affiliationIdentifierScheme"))) if value else None
        self.attr(aff, "schemeURI")  # as a name identifier's
        return Agent(name=name, identifier=ident)

    def agent(self, el: etree._Element, name_element: str) -> Agent | None:
        name_el = self.find(el, name_element)
        name = self.text(name_el)
        if name is None or name == ":unav":
            return None
        kind = _NAME_TYPES.get((self.attr(name_el, "nameType") or "").strip()) if name_el is not None else None
        for part in ("givenName", "familyName"):  # parts of the name, which is kept whole
            self.text(self.find(el, part))
        return Agent(name=name, identifier=self.name_identifier(el), affiliation=self.affiliation(el), kind=kind)

    def publisher(self) -> Agent | None:
        el = self.find(self.root, "publisher")
        name = self.text(el)
        if el is None or name is None or name == ":unav":
            return None
        value = (self.attr(el, "publisherIdentifier") or "").strip()
        ident = Identifier(value, _identifier_type(self.attr(el, "publisherIdentifierScheme"))) if value else None
        self.attr(el, "schemeURI")
        self.note("curations", el)
        return Agent(name=name, identifier=ident)

    def geo_location(self, el: etree._Element, record: SampleRecord) -> None:
        place = self.text(self.find(el, "geoLocationPlace"))
        if place is not None:
            record.places.append(Place(name=place))
            self.note("places", el)
        wkt = self.point(el)
        if wkt is not None:
            record.geometries.append(Geometry(wkt=wkt))
        box = self.box(el)
        if box is not None:
            record.geometries.append(Geometry(wkt=box))
        for polygon in self.findall(el, "geoLocationPolygon"):
            points = [
                (
                    _decimal(self.text(self.find(p, "pointLongitude"))),
                    _decimal(self.text(self.find(p, "pointLatitude"))),
                )
                for p in self.findall(polygon, "polygonPoint")
            ]
            ring = [(lon, lat) for lon, lat in points if lon is not None and lat is not None]
            if len(ring) == len(points) and len(ring) >= 4:
                record.geometries.append(Geometry(wkt=_polygon(ring)))
        if record.geometries:
            self.note("geometries", el)

    def point(self, el: etree._Element) -> str | None:
        point = self.find(el, "geoLocationPoint")
        if point is None:
            return None
        if self.ns == NS_3:  # "lat lon"
            parts = (self.text(point) or "").split()
            lat, lon = (_decimal(parts[0]), _decimal(parts[1])) if len(parts) == 2 else (None, None)
        else:
            lon = _decimal(self.text(self.find(point, "pointLongitude")))
            lat = _decimal(self.text(self.find(point, "pointLatitude")))
        return f"POINT ({_coordinates(lon, lat)})" if lon is not None and lat is not None else None

    def box(self, el: etree._Element) -> str | None:
        box = self.find(el, "geoLocationBox")
        if box is None:
            return None
        if self.ns == NS_3:  # "south west north east"
            parts = [_decimal(p) for p in (self.text(box) or "").split()]
            south, west, north, east = parts if len(parts) == 4 else (None,) * 4
        else:
            west, east, south, north = (
                _decimal(self.text(self.find(box, name)))
                for name in ("westBoundLongitude", "eastBoundLongitude", "southBoundLatitude", "northBoundLatitude")
            )
        if west is None or east is None or south is None or north is None:
            return None
        if west == east and south == north:
            return f"POINT ({_coordinates(west, south)})"
        return _box(west, east, south, north)

    # -- the record -----------------------------------------------------------------------------
    def read(self) -> SampleRecord:
        root = self.root
        type_el = self.check_resource_type()
        name, doi = self.identifier()
        record = SampleRecord(igsn=name, doi=doi)
        # the identifier names the sample itself, in whichever form (a DOI, or its resolver URL beside an IGSN)
        id_el = self.find(root, "identifier")
        if id_el is not None:
            self.text(id_el)
            self.attr(id_el, "identifierType")

        type_text = self.text(type_el)
        if type_text is not None:
            typed = _type_by_label(type_text)
            if typed is not None:
                record.resource_types.append(typed[0])
                record.kind = typed[1]
            elif type_text in _KINDS:
                record.kind = type_text
            else:
                record.alternate_resource_types.append(type_text)
            self.note("resource_types", type_el)

        titles = self.findall(root, "titles/title")
        for t in titles:
            self.attr(t, "titleType")  # a title not kept is reported below, whole
        title = next((t for t in titles if not self.attr(t, "titleType") and self.text(t)), None)
        title = title if title is not None else next((t for t in titles if self.text(t)), None)
        if title is not None:
            record.name = self.text(title)
            self.note("name", title)
        # the record has one name: every other title is kept in the document only, and said
        for other in titles:
            if other is not title and self.text(other):
                record.warnings.append(not_mapped(element_path(other), "the record keeps one title"))

        for el in self.findall(root, "creators/creator"):
            agent = self.agent(el, "creatorName")
            if agent is not None:
                record.collectors.append(agent)
                self.note("collectors", el)

        curators: list[str] = []
        for el in self.findall(root, "contributors/contributor"):
            agent = self.agent(el, "contributorName")
            if agent is None:
                continue
            role = (self.attr(el, "contributorType") or "Other").strip()
            if role == "DataCurator" and agent.identifier is None and agent.affiliation is None:
                curators.append(agent.name)  # how ``write`` writes a curator
                self.note("curations", el)
            else:
                record.contributors.append(Contributor(agent, role))
                self.note("contributors", el)
        institution = self.publisher()
        if curators:
            record.curations = [Curation(curator=curators[0], institution=institution)]
            record.curations += [Curation(curator=c) for c in curators[1:]]
        elif institution is not None:
            record.curations = [Curation(institution=institution)]

        for el in self.findall(root, "subjects/subject"):
            label = self.text(el)
            if label is None:
                continue
            uri = (self.attr(el, "valueURI") or "").strip() or None
            if (self.attr(el, "subjectScheme") or "").strip().lower() == "material":
                material = _material(label, uri)
                if material is not None:
                    record.materials.append(material)
                else:
                    record.alternate_materials.append(label)
                self.note("materials", el)
            else:
                record.classifications.append(Classification(label, uri))
                self.note("classifications", el)

        self.dates(record)

        for el in self.findall(root, "alternateIdentifiers/alternateIdentifier"):
            value = self.text(el)
            kind = (self.attr(el, "alternateIdentifierType") or "").strip()
            if value is None or (kind.upper() == "IGSN" and parse_igsn(value).name == record.igsn):
                continue
            # the type is free text in DataCite: only identifier types we know are kept
            scheme = codelist("identifier_type").canonical(kind) if kind != "Local" else None
            record.alternate_identifiers.append(
                Identifier(value, codelist("identifier_type").notation(scheme) if scheme else None)
            )
            self.note("alternate_identifiers", el)

        for el in self.findall(root, "relatedIdentifiers/relatedIdentifier"):
            value = self.text(el)
            if value is None:
                continue
            id_type = _identifier_type(self.attr(el, "relatedIdentifierType"))
            relation_type = (self.attr(el, "relationType") or "").strip() or None
            if id_type == "IGSN" and relation_type in ("IsDerivedFrom", "IsPartOf"):
                field = "parents" if relation_type == "IsDerivedFrom" else "collections"
                getattr(record, field).append(parse_igsn(value).name)
                self.note(field, el)
                continue
            info = (self.attr(el, "relationTypeInformation") or "").strip()
            raw = info if relation_type == "Other" and info else relation_type
            record.relations.append(_relation(value, id_type, raw))
            self.note("relations", el)

        for el in self.findall(root, "descriptions/description"):
            description_field = _DESCRIPTION_FIELDS.get((self.attr(el, "descriptionType") or "").strip())
            if (
                description_field is not None
                and getattr(record, description_field) is None
                and self.text(el) is not None
            ):
                setattr(record, description_field, self.text(el))
                self.note(description_field, el)

        for el in self.findall(root, "geoLocations/geoLocation"):
            self.geo_location(el, record)

        record.warnings.extend(self.log.unmapped(root))
        record.source_elements = self.sources
        return record

    def dates(self, record: SampleRecord) -> None:
        for el in self.findall(self.root, "dates/date"):
            value = self.text(el)
            date_type = (self.attr(el, "dateType") or "").strip()
            information = (self.attr(el, "dateInformation") or "").strip()
            if value is None:
                continue
            if date_type == "Collected" and record.collection_time is None:
                if "/" in value:
                    start, _, end = (p.strip() for p in value.partition("/"))
                    record.collection_time = TimeSpan(
                        start=None if start in ("", "unknown") else start, end=None if end in ("", "unknown") else end
                    )
                else:
                    record.collection_time = TimeSpan(instant=value)
                self.note("collection_time", el)
                continue
            event = _DATE_EVENTS.get(date_type)
            if date_type == "Other" and information == "destroyed":
                event = "destroyed"
            if event is not None and _SINGLE_DATE.fullmatch(value):
                record.log.append(LogEvent(event=event, timestamp=value))
                self.note("log", el)
            else:  # a date type the record has no place for, a second collection date, or a range of an event
                record.warnings.append(not_mapped(element_path(el), f"dateType {date_type or 'missing'}"))
        year_el = self.find(self.root, "publicationYear")
        year = self.text(year_el)
        if year is not None and _YEAR.fullmatch(year) and not any(e.event == "registered" for e in record.log):
            record.log.append(LogEvent(event="registered", timestamp=year))
            self.note("log", year_el)


def identifier_element(root: etree._Element) -> etree._Element | None:
    """The element that names the record's IGSN: a DOI (or IGSN, handle) ``identifier``, else the
    ``alternateIdentifier`` of type IGSN, else any other ``identifier`` (a resolver URL); None when empty."""
    ns = etree.QName(root).namespace
    el = root.find(f"{{{ns}}}identifier")
    if _text(el) is not None and (el.get("identifierType") or "").strip().upper() in ("DOI", "IGSN", "HANDLE"):
        return el
    for alt in root.iterfind(f"{{{ns}}}alternateIdentifiers/{{{ns}}}alternateIdentifier"):
        if (alt.get("alternateIdentifierType") or "").strip().upper() == "IGSN" and _text(alt) is not None:
            return alt
    return el if _text(el) is not None else None


def read(root: etree._Element) -> list[SampleRecord]:
    """The one record of a DataCite ``resource`` document (a list, like every kernel reader)."""
    return [_Reader(root, root_namespace(root, "a DataCite resource", ROOT, NAMESPACES)).read()]
