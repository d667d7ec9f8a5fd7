"""IGSN description kernel XML (root ``resource``) ⇄ ``SampleRecord``.

Writes 1.1 (``http://schema.igsn.org/description/1.1``). Reads 1.1 and, read-only, namespace 1.0
(``http://schema.igsn.org/description/1.0``), which real records use in two shapes: Geoscience
Australia's AU240 puts the 1.1 element set in the 1.0 namespace, while the published 1.0 XSD (the 2017
"dev" variant, AU239) has ``title``, ``relatedResources``, ``locations``, ``date``, ``collectors``,
``isMetadataPublic``, ``supplementalMetadata/metadata/metadataURI`` and ``@registedObjectType``.
Both shapes are read under 1.0; only the 1.1 shape is read under 1.1.

Vocabulary values (resource type, material, collection method, geometry type, contributor type,
identifier type) are canonicalised through ``mappings/`` code lists; a value outside them is kept as
written so that validation can report it. ``SRID=n;`` prefixes (EWKT, as GA writes them) are taken off
the WKT and give the SRID, winning over ``@sridType`` (whose 1.0/1.1 enumeration only allows 4326).
The dev variant's identifier type ``URI`` is read as ``URL``; its ``metadataTitle`` is not kept.
Every element or attribute holding a value ``read`` did not take (its ``ReadLog``; the 1.0 dev variant's names
are read under 1.0 only) is reported in ``record.warnings`` as ``not mapped: <path>`` (issue 13).

What ``write`` cannot express and therefore leaves out:

* ``parentIdentifier`` and ``collectionIdentifier`` hold one IGSN each: only the first parent and the
  first collection are written; the others are dropped;
* only the first collector (``collector`` is 0..1);
* relations other than ``IsDocumentedBy`` (written ``hasDocument``) and ``Other`` read from
  ``hasEvent`` (written back as ``hasEvent``), and relations whose identifier type is not one of the
  kernel's identifier types (an http(s) value is written as ``URL``);
* an agent or toponym identifier whose type the kernel lacks, unless it is an http(s) URL (then ``URL``);
  an alternate identifier keeps its value and loses an inexpressible type;
* a contributor role outside the kernel's sixteen is written as ``Other``; contributors have no
  affiliation in the kernel, so theirs is dropped;
* a resource type, material or collection method outside the 1.1 enumerations moves to the
  ``alternate…`` list — which the XSD only allows beside at least one enumerated value, so without one
  the whole group is dropped (``medium/notApplicable``, ``habitat`` and ``regolith`` are not in 1.1);
* geometries of a type outside LineString, MultiLineString, Point, MultiPoint, Polygon, MultiPolygon
  (the type comes from the WKT keyword when the record has none); the vertical datum and geometry URI;
  an SRID other than 4326 is written as an EWKT ``SRID=n;`` prefix (``@sridType`` only allows 4326);
* a collection time that is a period or not an ``xs:dateTime``;
* the DOI, landing page, embargo end, log, curation, classification, sampled features, purpose,
  campaign, comments and method description (the kernel has no element for them); agent kinds;
* a missing ``name`` is written as an empty ``name`` (the element is required).
"""

from __future__ import annotations

import re

from lxml import etree

from ..codelists import codelist
from ..errors import InvalidRecord
from ..identifiers import parse_igsn
from ..record import Agent, Contributor, Geometry, Identifier, Place, Relation, ResourceKind, SampleRecord, TimeSpan
from ..xmlparser import element_path
from ._kernel import DATETIME as _DATETIME
from ._kernel import HTTP as _HTTP
from ._kernel import NamespacedReader, identifier_type, root_namespace
from ._kernel import relation as _relation
from ._kernel import text as _text
from .wkt import WktError, read_wkt

__all__ = [
    "NS_1_1",
    "NS_1_0",
    "NAMESPACES",
    "ROOT",
    "SCHEMA_LOCATION",
    "IDENTIFIER_TYPES",
    "CONTRIBUTOR_TYPES",
    "GEOMETRY_TYPES",
    "read",
    "write",
]

NS_1_1 = "http://schema.igsn.org/description/1.1"
NS_1_0 = "http://schema.igsn.org/description/1.0"
#: namespaces read, the written one first
NAMESPACES = (NS_1_1, NS_1_0)
ROOT = "resource"
SCHEMA_LOCATION = f"{NS_1_1} https://raw.githubusercontent.com/IGSN/metadata/master/description/resource.xsd"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"

#: the 1.1 identifierType enumeration (DataCite names)
IDENTIFIER_TYPES = frozenset(
    {"ARK", "DOI", "Handle", "IGSN", "ISBN", "ISNI", "ISSN", "LSID", "ORCID", "PURL", "URL", "URN", "VIAF"}
)
#: the 1.1 contributorType enumeration
CONTRIBUTOR_TYPES = frozenset(
    {
        "ContactPerson",
        "Distributor",
        "Editor",
        "Funder",
        "HostingInstitution",
        "Other",
        "ProjectLeader",
        "ProjectManager",
        "ProjectMember",
        "RelatedPerson",
        "ResearchGroup",
        "RightsHolder",
        "Researcher",
        "Sponsor",
        "Supervisor",
        "WorkPackageLeader",
    }
)
#: the 1.1 geometryType enumeration
GEOMETRY_TYPES = frozenset({"LineString", "MultiLineString", "Point", "MultiPoint", "Polygon", "MultiPolygon"})
# ODM2 media the 1.1 materialType enumeration lacks (the code list has them for CSIRO records)
_MATERIALS_NOT_IN_1_1 = frozenset(
    {
        "http://vocabulary.odm2.org/medium/notApplicable",
        "http://vocabulary.odm2.org/medium/habitat",
        "http://vocabulary.odm2.org/medium/regolith",
    }
)
_RESOURCE_TYPE_LISTS = ("sample_type", "feature_type", "collection_type")
# @registedObjectType (dev variant) local names → kind
_REGISTRATION_KINDS: dict[str, ResourceKind] = {
    "PhysicalSample": "Sample",
    "SampleCollection": "Collection",
    "SamplingFeature": "Feature",
}
_KINDS: tuple[ResourceKind, ...] = ("Sample", "Feature", "Collection")
_ID_TYPE_ALIASES = {"URI": "URL"}
_ACCESS = {"public": True, "accessible": True, "private": False, "restricted": False}
_EWKT = re.compile(r"\s*SRID=(\d+)\s*;\s*(.*)", re.S | re.I)
_WKT_KEYWORD = re.compile(r"\s*([A-Za-z]+)")


def _id_type(raw: str | None) -> str | None:
    return identifier_type(raw, _ID_TYPE_ALIASES)


# ---------------------------------------------------------------- vocabulary helpers


def _resource_type(raw: str) -> str:
    for name in _RESOURCE_TYPE_LISTS:
        iri = codelist(name).canonical(raw)
        if iri:
            return iri
    return raw


def _canonical(list_name: str, raw: str) -> str:
    return codelist(list_name).canonical(raw) or raw


def _contributor_role(raw: str) -> str:
    roles = codelist("contributor_type")
    iri = roles.canonical(raw)
    return (roles.notation(iri) or raw) if iri else raw


def _wkt_type(wkt: str) -> str | None:
    """The geometry type notation named by a WKT keyword (``POINTZ`` → ``Point``), or None."""
    m = _WKT_KEYWORD.match(wkt)
    if not m:
        return None
    keyword = m.group(1).upper()
    by_upper = {n.upper(): n for n in GEOMETRY_TYPES}
    for suffix in ("", "ZM", "Z", "M"):
        if keyword.endswith(suffix) and keyword[: len(keyword) - len(suffix)] in by_upper:
            return by_upper[keyword[: len(keyword) - len(suffix)]]
    return None


# ---------------------------------------------------------------- read


class _Reader(NamespacedReader):
    """Reads one ``resource`` element; ``dev`` enables the 1.0 dev-variant element names."""

    def __init__(self, root: etree._Element, ns: str) -> None:
        super().__init__(root, ns)
        self.dev = ns == NS_1_0

    def igsn(self, el: etree._Element) -> str:
        self.attr(el, "type")  # the value says what it is (write types it back from the value)
        return parse_igsn(self.text(el) or "").name

    def identifier(self, el: etree._Element | None) -> Identifier | None:
        if el is None:
            return None
        value, written_type = self.text(el), self.attr(el, "type")
        return Identifier(value, _id_type(written_type)) if value is not None else None

    def agent(self, el: etree._Element) -> Agent | None:
        name = self.text(self.find(el, "name"))
        if name is None:
            return None
        affiliation = None
        aff = self.find(el, "affiliation")
        if aff is not None:
            affiliation = self.agent(aff)
        return Agent(name=name, identifier=self.identifier(self.find(el, "identifier")), affiliation=affiliation)

    def kind(self) -> ResourceKind:
        raw = self.attr(self.root, "type")
        for kind in _KINDS:
            if raw == kind:
                self.note("kind", self.root, "type")
                return kind
        registered = self.attr(self.root, "registedObjectType") if self.dev else None
        if registered is not None and registered.rsplit("/", 1)[-1] in _REGISTRATION_KINDS:
            self.note("kind", self.root, "registedObjectType")
            return _REGISTRATION_KINDS[registered.rsplit("/", 1)[-1]]
        raise InvalidRecord(
            f"{element_path(self.root)}: resource/@type must be Sample, Feature or "
            f"Collection (found {raw or registered!r})"
        )

    def geometry(self, el: etree._Element) -> Geometry | None:
        wkt = self.text(el)
        if wkt is None:
            return None
        srid = self.attr(el, "sridType")
        m = _EWKT.fullmatch(wkt)
        if m:
            srid, wkt = m.group(1), m.group(2).strip()
        raw_type = self.attr(el, "type")
        geometry_type = _canonical("geometry_type", raw_type) if raw_type else None
        return Geometry(wkt=wkt, geometry_type=geometry_type, srid=srid)

    def place(self, el: etree._Element) -> Place | None:
        name = self.text(self.find(el, "name"))
        id_el = self.find(el, "identifier")
        if id_el is not None:
            self.attr(id_el, "type")  # as the IGSN's: the value says what it is
        identifier = self.text(id_el)
        return Place(name=name, identifier=identifier) if name or identifier else None

    def read(self) -> SampleRecord:
        root = self.root
        id_el = self.find(root, "identifier")
        if self.text(id_el) is None:
            raise InvalidRecord(f"{element_path(root)}: identifier is missing or empty")
        assert id_el is not None
        record = SampleRecord(igsn=self.igsn(id_el), kind=self.kind())
        record.handle_prefix = parse_igsn(self.text(id_el) or "").handle_prefix
        self.note("igsn", id_el)

        name_el = self.find(root, "name")
        if name_el is None and self.dev:
            name_el = self.find(root, "title")
        record.name = self.text(name_el)
        if record.name is not None:
            self.note("name", name_el)
        desc = self.find(root, "description")
        record.description = self.text(desc)
        if record.description is not None:
            self.note("description", desc)

        for el in self.findall(root, "alternateIdentifiers/alternateIdentifier"):
            ident = self.identifier(el)
            if ident is not None:
                record.alternate_identifiers.append(ident)
                self.note("alternate_identifiers", el)
        for field, element in (("parents", "parentIdentifier"), ("collections", "collectionIdentifier")):
            for el in self.findall(root, element):
                if self.text(el) is not None:
                    getattr(record, field).append(self.igsn(el))
                    self.note(field, el)

        related = self.findall(root, "relatedIdentifiers/relatedIdentifier")
        if self.dev:
            related += self.findall(root, "relatedResources/relatedResource")
        for el in related:
            value = self.text(el)
            if value is None:
                continue
            record.relations.append(_relation(value, _id_type(self.attr(el, "type")), self.attr(el, "relationType")))
            self.note("relations", el)

        registrant = self.find(root, "registrant")
        if registrant is not None:
            record.registrant = self.agent(registrant)
            if record.registrant is not None:
                self.note("registrant", registrant)
        collectors = self.findall(root, "collector")
        if self.dev:
            collectors += self.findall(root, "collectors/collector")
        for el in collectors:
            agent = self.agent(el)
            if agent is not None:
                record.collectors.append(agent)
                self.note("collectors", el)
        for el in self.findall(root, "contributors/contributor"):
            agent = self.agent(el)
            if agent is not None:
                record.contributors.append(Contributor(agent, _contributor_role(self.attr(el, "type") or "Other")))
                self.note("contributors", el)

        geometries = self.findall(root, "geoLocations/geoLocation/geometry")
        toponyms = self.findall(root, "geoLocations/geoLocation/toponym")
        if self.dev:
            geometries += self.findall(root, "locations/geometry")
            toponyms += self.findall(root, "locations/toponym")
        for el in geometries:
            geometry = self.geometry(el)
            if geometry is not None:
                record.geometries.append(geometry)
                record.warnings.extend(_geometry_notes(el, geometry))
                self.note("geometries", el)
        for el in toponyms:
            place = self.place(el)
            if place is not None:
                record.places.append(place)
                self.note("places", el)

        self._vocabulary(record)
        self._time(record)

        access = self.find(root, "sampleAccess")
        if access is None and self.dev:
            access = self.find(root, "isMetadataPublic")
        if access is not None:
            value = (self.text(access) or "").lower()
            if value not in _ACCESS:
                raise InvalidRecord(f"{element_path(access)}: expected Public or Private, found {self.text(access)!r}")
            record.is_public = _ACCESS[value]
            self.note("is_public", access)

        records = self.findall(root, "supplementalMetadata/record")
        if self.dev:
            records += self.findall(root, "supplementalMetadata/metadata/metadataURI")
        for el in records:
            if self.text(el) is not None:
                record.supplemental_metadata.append(self.text(el) or "")
                self.note("supplemental_metadata", el)

        record.warnings.extend(self.log.unmapped(root))
        record.source_elements = self.sources
        return record

    def _vocabulary(self, record: SampleRecord) -> None:
        """resourceTypes, materials and collectionMethods, each with its free ``alternate…`` list."""
        root = self.root
        groups = (
            (
                "resource_types",
                "resourceTypes/resourceType",
                _resource_type,
                "alternate_resource_types",
                "resourceTypes/alternateResourceTypes/alternateResourceType",
            ),
            (
                "materials",
                "materials/material",
                lambda v: _canonical("material", v),
                "alternate_materials",
                "materials/alternateMaterials/alternateMaterial",
            ),
        )
        for field, path, canon, alt_field, alt_path in groups:
            for el in self.findall(root, path):
                value = self.text(el)
                if value is not None:
                    getattr(record, field).append(canon(value))
                    self.note(field, el)
            for el in self.findall(root, alt_path):
                value = self.text(el)
                if value is not None:
                    getattr(record, alt_field).append(value)
                    self.note(alt_field, el)
        method = self.find(root, "collectionMethods/collectionMethod")
        if self.text(method) is not None:
            record.collection_method = _canonical("method", self.text(method) or "")
            self.note("collection_method", method)
        for el in self.findall(root, "collectionMethods/alternateCollectionMethods/alternateCollectionMethod"):
            value = self.text(el)
            if value is not None:
                record.alternate_collection_methods.append(value)
                self.note("alternate_collection_methods", el)

    def _time(self, record: SampleRecord) -> None:
        el = self.find(self.root, "collectionTime")
        if self.text(el) is not None:
            record.collection_time = TimeSpan(instant=self.text(el))
            self.note("collection_time", el)
            return
        if not self.dev:
            return
        instant = self.find(self.root, "date/timeInstant")
        start, end = self.find(self.root, "date/timePeriod/start"), self.find(self.root, "date/timePeriod/end")
        if self.text(instant) is not None:
            record.collection_time = TimeSpan(instant=self.text(instant))
            self.note("collection_time", instant)
        elif self.text(start) is not None or self.text(end) is not None:
            record.collection_time = TimeSpan(start=self.text(start), end=self.text(end))
            self.note("collection_time", start if start is not None else end)


def _geometry_notes(el: etree._Element, geometry: Geometry) -> list[str]:
    """What a geometry says off-form (an EWKT prefix, POINTZ…: accepted with a warning, issue 13), by element."""
    where = element_path(el)
    notes = []
    if _EWKT.fullmatch(_text(el) or ""):
        notes.append(
            f"{where}: EWKT prefix SRID={geometry.srid}: read as the CRS, longitude first (it wins over @sridType)"
        )
    try:
        notes += [f"{where}: {note}" for note in read_wkt(geometry.wkt, geometry.srid).notes]
    except WktError:
        pass  # not WKT: the shapes refuse it, naming the element
    return notes


def read(root: etree._Element) -> list[SampleRecord]:
    """The one record of a ``resource`` document (a list, like every kernel reader)."""
    return [_Reader(root, root_namespace(root, "an IGSN description kernel", ROOT, NAMESPACES)).read()]


# ---------------------------------------------------------------- write


def _sub(parent: etree._Element, name: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, f"{{{NS_1_1}}}{name}", attrs)
    if text is not None:
        el.text = text
    return el


def _written_type(scheme: str | None, value: str) -> str | None:
    """The 1.1 identifierType for an identifier, ``URL`` for other http(s) values, else None."""
    notation = _id_type(scheme)
    if notation in IDENTIFIER_TYPES:
        return notation
    return "URL" if _HTTP.fullmatch(value) else None


def _write_identifier(parent: etree._Element, ident: Identifier | None) -> None:
    if ident is None:
        return
    id_type = _written_type(ident.scheme, ident.value)
    if id_type is not None:
        _sub(parent, "identifier", ident.value, type=id_type)


def _write_agent(parent: etree._Element, name: str, agent: Agent, **attrs: str) -> etree._Element:
    el = _sub(parent, name, **attrs)
    _write_identifier(el, agent.identifier)
    _sub(el, "name", agent.name)
    if agent.affiliation is not None and name != "contributor":
        aff = _sub(el, "affiliation")
        _write_identifier(aff, agent.affiliation.identifier)
        _sub(aff, "name", agent.affiliation.name)
    return el


def _written_relation_type(relation: Relation) -> str | None:
    if relation.relation_type == "IsDocumentedBy":
        return "hasDocument"
    if relation.relation_type == "Other" and relation.source_relation_type == "hasEvent":
        return "hasEvent"
    return None


def _written_geometry(geometry: Geometry) -> tuple[str, dict[str, str]] | None:
    """(text, attributes) of a ``geometry`` element, or None when the kernel cannot type it."""
    notation = codelist("geometry_type").notation(geometry.geometry_type) if geometry.geometry_type else None
    if geometry.geometry_type is None:
        notation = _wkt_type(geometry.wkt)
    if notation not in GEOMETRY_TYPES:
        return None
    assert notation is not None
    attrs = {"type": notation}
    text = geometry.wkt
    if geometry.srid == "4326":
        attrs["sridType"] = "4326"
    elif geometry.srid:
        text = f"SRID={geometry.srid};{geometry.wkt}"
    return text, attrs


def _split(values: list[str], writable: frozenset[str]) -> tuple[list[str], list[str]]:
    first = [v for v in values if v in writable]
    return first, [v for v in values if v not in writable]


def _resource_type_value(iri: str) -> str | None:
    """A canonical resource type as 1.1 writes it: ODM2 IRIs as they are, ``Collection`` by notation."""
    if iri in codelist("sample_type").iris or iri in codelist("feature_type").iris:
        return iri
    return codelist("collection_type").notation(iri)


def write(record: SampleRecord) -> etree._Element:
    """A description kernel 1.1 ``resource`` element for ``record`` (see the module docstring for losses)."""
    root = etree.Element(f"{{{NS_1_1}}}{ROOT}", nsmap={None: NS_1_1, "xsi": _XSI})
    root.set(f"{{{_XSI}}}schemaLocation", SCHEMA_LOCATION)
    root.set("type", record.kind)
    _sub(root, "identifier", record.igsn, type="IGSN")
    _sub(root, "name", record.name or "")

    if record.alternate_identifiers:
        container = _sub(root, "alternateIdentifiers")
        for ident in record.alternate_identifiers:
            id_type = _written_type(ident.scheme, ident.value) if ident.scheme else None
            _sub(container, "alternateIdentifier", ident.value, **({"type": id_type} if id_type else {}))
    if record.parents:
        _sub(root, "parentIdentifier", record.parents[0], type="IGSN")
    if record.collections:
        _sub(root, "collectionIdentifier", record.collections[0], type="IGSN")

    relations = []
    for relation in record.relations:
        relation_type = _written_relation_type(relation)
        id_type = _written_type(relation.identifier_type, relation.identifier)
        if relation_type is not None and id_type is not None:
            relations.append((relation.identifier, id_type, relation_type))
    if relations:
        container = _sub(root, "relatedIdentifiers")
        for value, id_type, relation_type in relations:
            _sub(container, "relatedIdentifier", value, type=id_type, relationType=relation_type)

    if record.description is not None:
        _sub(root, "description", record.description)
    if record.registrant is not None:
        _write_agent(root, "registrant", record.registrant)
    if record.collectors:
        _write_agent(root, "collector", record.collectors[0])
    if record.contributors:
        container = _sub(root, "contributors")
        for contributor in record.contributors:
            role = contributor.role if contributor.role in CONTRIBUTOR_TYPES else "Other"
            _write_agent(container, "contributor", contributor.agent, type=role)

    geometries = [g for g in map(_written_geometry, record.geometries) if g is not None]
    places = [p for p in record.places if p.name or (p.identifier and _written_type(None, p.identifier))]
    if geometries or places:
        container = _sub(root, "geoLocations")
        for text, attrs in geometries:
            _sub(_sub(container, "geoLocation"), "geometry", text, **attrs)
        for place in places:
            toponym = _sub(_sub(container, "geoLocation"), "toponym")
            if place.identifier:
                _write_identifier(toponym, Identifier(place.identifier))
            if place.name:
                _sub(toponym, "name", place.name)

    _write_vocabulary(root, record)
    instant = record.collection_time.instant if record.collection_time else None
    if instant and _DATETIME.fullmatch(instant):
        _sub(root, "collectionTime", instant)
    _sub(root, "sampleAccess", "Public" if record.is_public else "Private")
    if record.supplemental_metadata:
        container = _sub(root, "supplementalMetadata")
        for uri in record.supplemental_metadata:
            _sub(container, "record", uri)
    return root


def _write_vocabulary(root: etree._Element, record: SampleRecord) -> None:
    types = [(t, _resource_type_value(t)) for t in record.resource_types]
    first = next((written for _, written in types if written is not None), None)
    if first is not None:
        group = _sub(root, "resourceTypes")
        _sub(group, "resourceType", first)
        rest = [t for t, written in types if written != first] + record.alternate_resource_types
        if rest:
            alt = _sub(group, "alternateResourceTypes")
            for value in rest:
                _sub(alt, "alternateResourceType", value)

    writable = codelist("material").iris - _MATERIALS_NOT_IN_1_1
    materials, other_materials = _split(record.materials, writable)
    if materials:
        group = _sub(root, "materials")
        for material in materials:
            _sub(group, "material", material)
        rest = other_materials + record.alternate_materials
        if rest:
            alt = _sub(group, "alternateMaterials")
            for value in rest:
                _sub(alt, "alternateMaterial", value)

    method = codelist("method").notation(record.collection_method) if record.collection_method else None
    if method is not None:
        group = _sub(root, "collectionMethods")
        _sub(group, "collectionMethod", method)
        if record.alternate_collection_methods:
            alt = _sub(group, "alternateCollectionMethods")
            for value in record.alternate_collection_methods:
                _sub(alt, "alternateCollectionMethod", value)
