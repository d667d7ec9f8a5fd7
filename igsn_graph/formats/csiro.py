"""CSIRO IGSN descriptive schema v3.0 XML (root ``resources``) → ``SampleRecord`` (read only).

One record per ``resource``. Vocabulary IRIs (resource and material types, contributor roles, identifier
and relation types — ODM2, ISO CI_RoleCode and Geoscience Australia code lists) are canonicalised through
``mappings/``; values outside the lists are kept as written, for validation to report. A relation whose
GA type has no DataCite equivalent becomes ``Other`` with the GA IRI as written in
``source_relation_type``. Contributors of type ``CI_RoleCode/originator`` are the collectors.

Nil values — ``xsi:nil="true"``, a ``nilReason`` attribute, an OGC nil-reason IRI as text
(``http://www.opengis.net/def/nil/OGC/0/…``) or an empty element — are treated as absent.
"""

from __future__ import annotations

import re
from lxml import etree

from ..codelists import codelist, relation_types
from ..errors import InvalidRecord
from ..identifiers import parse_igsn
from ..record import (Agent, Classification, Contributor, Curation, Geometry, Identifier, LogEvent, Place,
                      Relation, ResourceKind, SampledFeature, SampleRecord, TimeSpan)
from ..xmlparser import element_path
from ._kernel import identifier_type as _identifier_type
from ._kernel import root_namespace

__all__ = ["NS", "NAMESPACES", "ROOT", "SCHEMA_LOCATION", "COLLECTOR_ROLE", "read"]

NS = "https://igsn.csiro.au/schemas/3.0"
NAMESPACES = (NS,)
ROOT = "resources"
SCHEMA_LOCATION = f"{NS} https://igsn.csiro.au/schemas/3.0/igsn-csiro-v3.0.xsd"
#: the contributor type that marks a collector
COLLECTOR_ROLE = "http://registry.it.csiro.au/def/isotc211/CI_RoleCode/originator"

_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_NIL_PREFIX = "http://www.opengis.net/def/nil/OGC/0/"
# @registeredObjectType local names (GA igsn-codelists) → kind
_KINDS: dict[str, ResourceKind] = {
    "PhysicalSample": "Sample", "SampleCollection": "Collection", "SamplingFeature": "Feature"}
_RESOURCE_TYPE_LISTS = ("sample_type", "feature_type", "collection_type")
#: record field ← element, for the plain text elements
_TEXT_FIELDS = (("landing_page", "landingPage"), ("name", "resourceTitle"), ("purpose", "purpose"),
                ("campaign", "campaign"), ("comments", "comments"))
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
_TRAILING_NUMBER = re.compile(r".*?(\d+)\s*")


def _q(path: str) -> str:
    return "/".join(f"{{{NS}}}{part}" for part in path.split("/"))


def _is_nil(el: etree._Element) -> bool:
    return el.get(_XSI_NIL) in ("true", "1") or el.get("nilReason") is not None


def _text(el: etree._Element | None) -> str | None:
    """The stripped text, or None for an absent, empty or nil element."""
    if el is None or _is_nil(el) or el.text is None:
        return None
    value = el.text.strip()
    return None if not value or value.startswith(_NIL_PREFIX) else value


def _attr(el: etree._Element, name: str) -> str | None:
    value = (el.get(name) or "").strip()
    return value or None


def _srid(value: str | None) -> str | None:
    """``https://epsg.io/4326`` (or ``EPSG:4326``) → ``4326``."""
    if value is None:
        return None
    m = _TRAILING_NUMBER.fullmatch(value)
    return m.group(1) if m else value


def _resource_type(raw: str) -> str | None:
    for name in _RESOURCE_TYPE_LISTS:
        iri = codelist(name).canonical(raw)
        if iri:
            return iri
    return None


class _Reader:
    """Reads one ``resource`` element."""

    def __init__(self, el: etree._Element) -> None:
        self.el = el
        self.sources: dict[str, str] = {}

    def note(self, field: str, el: etree._Element, attribute: str | None = None) -> None:
        if field not in self.sources:
            self.sources[field] = element_path(el) + (f"/@{attribute}" if attribute else "")

    def values(self, path: str) -> list[tuple[etree._Element, str]]:
        """(element, text) of every element at ``path`` that has a value."""
        return [(e, t) for e in self._present(path) if (t := _text(e)) is not None]

    def read(self) -> SampleRecord:
        el = self.el
        id_el = el.find(_q("resourceIdentifier"))
        igsn = _text(id_el)
        if id_el is None or igsn is None:
            raise InvalidRecord(f"{element_path(el)}: resourceIdentifier is missing or empty")
        record = SampleRecord(igsn=parse_igsn(igsn).name, kind=self.kind())
        self.note("igsn", id_el)

        for field, path in _TEXT_FIELDS:
            for e, value in self.values(path)[:1]:
                setattr(record, field, value)
                self.note(field, e)
        self.public(record)

        for e, value in self.values("alternateIdentifiers/alternateIdentifier"):
            record.alternate_identifiers.append(Identifier(value))
            self.note("alternate_identifiers", e)
        self.types(record)
        for e, value in self.values("materialTypes/materialType"):
            record.materials.append(codelist("material").canonical(value) or value)
            self.note("materials", e)
        for e, value in self.values("classifications/classification"):
            record.classifications.append(Classification(value, _attr(e, "classificationURI")))
            self.note("classifications", e)
        for e in self._present("sampledFeatures/sampledFeature"):
            name, uri = _text(e), _attr(e, "sampledFeatureURI")
            if name or uri:
                record.sampled_features.append(SampledFeature(name=name, uri=uri))
                self.note("sampled_features", e)

        self.location(record)
        self.date(record)
        self.method(record)
        self.curations(record)
        self.contributors(record)
        self.relations(record)
        for e in self._present("logDate"):
            record.log.append(LogEvent(event=(e.get("eventType") or "").strip(), timestamp=_text(e) or ""))
            self.note("log", e)

        record.source_elements = self.sources
        return record

    def _present(self, path: str) -> list[etree._Element]:
        """Every non-nil element at ``path`` (whose text may be empty: its attributes may carry data)."""
        container_path, _, _ = path.rpartition("/")
        if container_path:
            container = self.el.find(_q(container_path))
            if container is None or _is_nil(container):
                return []
        return [e for e in self.el.findall(_q(path)) if not _is_nil(e)]

    def kind(self) -> ResourceKind:
        raw = self.el.get("registeredObjectType") or ""
        kind = _KINDS.get(raw.rsplit("/", 1)[-1])
        if kind is None:
            raise InvalidRecord(f"{element_path(self.el)}: registeredObjectType must be PhysicalSample, "
                                f"SampleCollection or SamplingFeature (found {raw!r})")
        self.note("kind", self.el, "registeredObjectType")
        return kind

    def public(self, record: SampleRecord) -> None:
        for e in self._present("isPublic"):
            value = (_text(e) or "true").lower()  # the XSD default is true
            if value not in _BOOLEANS:
                raise InvalidRecord(f"{element_path(e)}: isPublic must be true or false, found {_text(e)!r}")
            record.is_public = _BOOLEANS[value]
            record.embargo_end = _attr(e, "embargoEnd")
            self.note("is_public", e)
            if record.embargo_end:
                self.note("embargo_end", e, "embargoEnd")

    def types(self, record: SampleRecord) -> None:
        """The first type found in a code list is the resource type; the others are alternates."""
        found = [(e, _resource_type(v) or v, _resource_type(v) is not None)
                 for e, v in self.values("resourceTypes/resourceType")]
        if not found:
            return
        # none in a code list: the first stays the (invalid) type, for validation to name
        main = next((i for i, (_, _, known) in enumerate(found) if known), 0)
        for i, (e, value, _) in enumerate(found):
            field = "resource_types" if i == main else "alternate_resource_types"
            getattr(record, field).append(value)
            self.note(field, e)

    def location(self, record: SampleRecord) -> None:
        for e in self._present("location/locality"):
            name, uri = _text(e), _attr(e, "localityURI")
            if name or uri:
                record.places.append(Place(name=name, identifier=uri))
                self.note("places", e)
        for e, value in self.values("location/geometry"):
            record.geometries.append(Geometry(
                wkt=value, srid=_srid(_attr(e, "srid")), vertical_datum=_srid(_attr(e, "verticalDatum")),
                uri=_attr(e, "geometryURI")))
            self.note("geometries", e)

    def date(self, record: SampleRecord) -> None:
        if not self._present("date"):
            return
        instant = self.values("date/timeInstant")
        start, end = self.values("date/timePeriod/start"), self.values("date/timePeriod/end")
        if instant:
            record.collection_time = TimeSpan(instant=instant[0][1])
            self.note("collection_time", instant[0][0])
        elif start or end:
            record.collection_time = TimeSpan(start=start[0][1] if start else None, end=end[0][1] if end else None)
            self.note("collection_time", (start or end)[0][0])

    def method(self, record: SampleRecord) -> None:
        for e in self._present("method")[:1]:
            uri = _attr(e, "methodURI")
            canonical = codelist("method").canonical(uri)
            if canonical is not None:
                record.collection_method = canonical
                self.note("collection_method", e, "methodURI")
            elif uri is not None:
                # a method outside the code list: keep its IRI where free terms go
                record.alternate_collection_methods.append(uri)
                self.note("alternate_collection_methods", e, "methodURI")
            if _text(e) is not None:
                record.method_description = _text(e)
                self.note("method_description", e)

    def curations(self, record: SampleRecord) -> None:
        for e in self._present("curationDetails/curation"):
            institution = None
            inst_el = e.find(_q("curatingInstitution"))
            if inst_el is not None and not _is_nil(inst_el):
                name, uri = _text(inst_el), _attr(inst_el, "institutionURI")
                if name or uri:
                    institution = Agent(name=name or uri or "",
                                        identifier=Identifier(uri, "URL") if uri else None, kind="Organization")
            curation = Curation(curator=_text(e.find(_q("curator"))), date=_text(e.find(_q("curationDate"))),
                                location=_text(e.find(_q("curationLocation"))), institution=institution)
            if curation != Curation():
                record.curations.append(curation)
                self.note("curations", e)

    def contributors(self, record: SampleRecord) -> None:
        roles = codelist("contributor_type")
        for e in self._present("contributors/contributor"):
            name = _text(e.find(_q("contributorName")))
            if name is None:
                continue
            id_el = e.find(_q("contributorIdentifier"))
            identifier = None
            if _text(id_el) is not None:
                assert id_el is not None
                identifier = Identifier(_text(id_el) or "", _identifier_type(_attr(id_el, "contributorIdentifierType")))
            agent = Agent(name=name, identifier=identifier)
            raw_role = _attr(e, "contributorType") or ""
            if raw_role == COLLECTOR_ROLE:
                record.collectors.append(agent)
                self.note("collectors", e)
                continue
            iri = roles.canonical(raw_role)
            record.contributors.append(Contributor(agent, (roles.notation(iri) or raw_role) if iri else raw_role))
            self.note("contributors", e)

    def relations(self, record: SampleRecord) -> None:
        for e, value in self.values("relatedResources/relatedResource"):
            id_type = _identifier_type(_attr(e, "relatedResourceIdentifierType"))
            raw_relation = _attr(e, "relationType")
            relation = relation_types().canonical(raw_relation) or raw_relation
            record.relations.append(Relation(
                identifier=parse_igsn(value).name if id_type == "IGSN" else value,
                identifier_type=id_type, relation_type=relation,
                source_relation_type=raw_relation if relation == "Other" else None))
            self.note("relations", e)


def read(root: etree._Element) -> list[SampleRecord]:
    """One record per ``resource`` of a ``resources`` document, in document order."""
    root_namespace(root, "a CSIRO v3 document", ROOT, NAMESPACES)
    resources = root.findall(_q("resource"))
    if not resources:
        raise InvalidRecord(f"{element_path(root)}: no resource element")
    return [_Reader(el).read() for el in resources]
