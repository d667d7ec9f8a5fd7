"""The record reader shared by the CSIRO descriptive schemas: v3, its successor ARDC IGSN descriptive 1.0,
and its ancestor v2.

v3 and ARDC have the same ``resources/resource`` elements in their own namespace; ARDC reads a curator and a
related resource from child elements where v3 has text, and writes its code lists under Geoscience
Australia's ``…/ga/igsncode/``. v2 (``samples/sample``) names most elements differently but reads its
types, materials, visibility and dates the same way. A format module subclasses ``ResourceReader`` for what
differs and calls ``read_batch``.

Vocabulary IRIs (resource and material types, contributor roles, identifier and relation types, record
kinds) are translated through ``mappings/codelists/agent_terms.csv`` and canonicalised through our code
lists; values outside them are kept as written, for validation to report. A relation whose type has no
DataCite equivalent becomes ``Other`` with the agent's term as written in ``source_relation_type``; related
identifiers are kept as written (``links`` finds the IGSNs among them). Contributors of type
``CI_RoleCode/originator`` are the collectors.

Nil values — ``xsi:nil="true"``, a ``nilReason`` attribute, an OGC nil-reason IRI as text
(``http://www.opengis.net/def/nil/OGC/0/…``) or an empty element — are treated as absent. A date that is
not a date is refused; a log event with an empty date is left out with a warning, as the registration kernel
reader does (a log event needs a date); what ``wkt.read_wkt`` notes about a geometry (EWKT, glued Z tags) is
a warning; whatever the reader does not take is reported as ``not mapped``.
"""

from __future__ import annotations

import re

from lxml import etree

from ..codelists import codelist, relation_types
from ..errors import InvalidIdentifier, InvalidRecord
from ..identifiers import Igsn, parse_igsn
from ..record import (
    Agent,
    Classification,
    Contributor,
    Curation,
    Geometry,
    Identifier,
    LogEvent,
    Place,
    Relation,
    ResourceKind,
    SampledFeature,
    SampleRecord,
    TimeSpan,
)
from ..xmlparser import element_path
from ._agent_terms import agent_term, agent_terms
from ._dates import embargo_end, read_date
from ._kernel import NamespacedReader, identifier_type, root_namespace
from ._unmapped import ReadLog
from .wkt import WktError, read_wkt

__all__ = [
    "COLLECTOR_ROLE",
    "ResourceReader",
    "is_nil",
    "log_event",
    "parse_identifier",
    "read_batch",
    "related",
    "srid",
    "wkt_notes",
]

#: the contributor type that marks a collector
COLLECTOR_ROLE = "http://registry.it.csiro.au/def/isotc211/CI_RoleCode/originator"

_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_NIL_PREFIX = "http://www.opengis.net/def/nil/OGC/0/"
_KINDS: dict[str, ResourceKind] = {"Sample": "Sample", "Collection": "Collection", "Feature": "Feature"}
_RESOURCE_TYPE_LISTS = ("sample_type", "feature_type", "collection_type")
#: record field ← element, for the plain text elements
_TEXT_FIELDS = (
    ("landing_page", "landingPage"),
    ("name", "resourceTitle"),
    ("purpose", "purpose"),
    ("campaign", "campaign"),
    ("comments", "comments"),
)
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
_TRAILING_NUMBER = re.compile(r".*?(\d+)\s*")


def is_nil(el: etree._Element) -> bool:
    return el.get(_XSI_NIL) in ("true", "1") or el.get("nilReason") is not None


def srid(value: str | None) -> str | None:
    """``https://epsg.io/4326`` (or ``EPSG:4326``) → ``4326``."""
    if value is None:
        return None
    m = _TRAILING_NUMBER.fullmatch(value)
    return m.group(1) if m else value


def _resource_type(raw: str) -> str | None:
    for name in _RESOURCE_TYPE_LISTS:
        iri = codelist(name).canonical(agent_term(name, raw))
        if iri:
            return iri
    return None


def parse_identifier(value: str, where: str) -> Igsn:
    """``parse_igsn`` with the element path in the refusal."""
    try:
        return parse_igsn(value)
    except InvalidIdentifier as exc:
        raise InvalidIdentifier(f"{where}: {exc.message}", value=exc.value, reason=exc.reason) from None


def related(value: str, raw_id_type: str | None, raw_relation: str | None, title: str | None = None) -> Relation:
    """A related identifier as written, its types through the agents' terms and our lists."""
    relation = relation_types().canonical(agent_term("relation_type", raw_relation)) or raw_relation
    return Relation(
        identifier=value,
        identifier_type=identifier_type(raw_id_type, agent_terms("identifier_type")),
        relation_type=relation,
        title=title,
        source_relation_type=raw_relation if relation == "Other" else None,
    )


def wkt_notes(geometry: Geometry, where: str) -> list[str]:
    """What the WKT reader noted about a geometry read at ``where`` (text that is not WKT is left to the
    shapes, which refuse it with their message)."""
    try:
        return [f"{where}: {note}" for note in read_wkt(geometry.wkt, geometry.srid).notes]
    except WktError:
        return []


def log_event(event: str, written: str | None, where: str, warnings: list[str]) -> str | None:
    """The date of a log event, or None (and a warning) when it is empty: the event is left out."""
    if written is None:
        lost = f"; the sample's {event} state is not recorded" if event in ("deprecated", "destroyed") else ""
        warnings.append(
            f"{where}: empty time stamp; the {event or '(no event)'!r} event is left out of the "
            f"description (a log event needs a date){lost}"
        )
        return None
    return read_date(written, where, warnings)


class ResourceReader(NamespacedReader):
    """Reads one ``resource`` element; every value taken goes through ``text`` or ``attr`` (the read log)."""

    def __init__(self, el: etree._Element, ns: str) -> None:
        super().__init__(el, ns)
        self.el = el
        self.warnings: list[str] = []

    # -- taking values --------------------------------------------------------------------------------
    def text(self, el: etree._Element | None) -> str | None:
        """The stripped text, or None for an absent, empty or nil element."""
        if el is None:
            return None
        self.log.took(el)
        if is_nil(el) or el.text is None:
            return None
        value = el.text.strip()
        return None if not value or value.startswith(_NIL_PREFIX) else value

    def attr(self, el: etree._Element, name: str) -> str | None:
        self.log.took_attribute(el, name)
        value = (el.get(name) or "").strip()
        return value or None

    def date(self, el: etree._Element | None) -> str | None:
        value = self.text(el)
        return None if value is None or el is None else read_date(value, element_path(el), self.warnings)

    def present(self, path: str) -> list[etree._Element]:
        """Every non-nil element at ``path`` (whose text may be empty: its attributes may carry data)."""
        container_path, _, _ = path.rpartition("/")
        if container_path:
            container = self.find(self.el, container_path)
            if container is None or is_nil(container):
                return []
        return [e for e in self.findall(self.el, path) if not is_nil(e)]

    def values(self, path: str) -> list[tuple[etree._Element, str]]:
        """(element, text) of every element at ``path`` that has a value."""
        return [(e, t) for e in self.present(path) if (t := self.text(e)) is not None]

    # -- what the two schemas write differently -------------------------------------------------------
    def identifier(self) -> Igsn:
        id_el = self.find(self.el, "resourceIdentifier")
        value = self.text(id_el)
        if id_el is None or value is None:
            raise InvalidRecord(f"{element_path(self.el)}: resourceIdentifier is missing or empty")
        self.note("igsn", id_el)
        return parse_identifier(value, element_path(id_el))

    def curator(self, curation: etree._Element) -> str | None:
        return self.text(self.find(curation, "curator"))

    def relation(self, el: etree._Element) -> Relation | None:
        value = self.text(el)
        if value is None:
            return None
        return related(value, self.attr(el, "relatedResourceIdentifierType"), self.attr(el, "relationType"))

    # -- the record -----------------------------------------------------------------------------------
    def read(self) -> SampleRecord:
        igsn = self.identifier()
        record = SampleRecord(igsn=igsn.name, kind=self.kind(), doi=igsn.doi)
        record.handle_prefix = igsn.handle_prefix
        for field, path in _TEXT_FIELDS:
            for e, value in self.values(path)[:1]:
                setattr(record, field, value)
                self.note(field, e)
        self.public(record)
        for e, value in self.values("alternateIdentifiers/alternateIdentifier"):
            scheme = identifier_type(self.attr(e, "alternateIdentifierType"), agent_terms("identifier_type"))
            record.alternate_identifiers.append(Identifier(value, scheme))
            self.note("alternate_identifiers", e)
        self.types(record, "resourceTypes/resourceType")
        self.materials(record, "materialTypes/materialType")
        for e, value in self.values("classifications/classification"):
            record.classifications.append(Classification(value, self.attr(e, "classificationURI")))
            self.note("classifications", e)
        for e in self.present("sampledFeatures/sampledFeature"):
            name, uri = self.text(e), self.attr(e, "sampledFeatureURI")
            if name or uri:
                record.sampled_features.append(SampledFeature(name=name, uri=uri))
                self.note("sampled_features", e)
        self.location(record)
        self.collection_time(record, "date")
        self.method(record)
        self.curations(record)
        self.contributors(record)
        for e in self.present("relatedResources/relatedResource"):
            relation = self.relation(e)
            if relation is not None:
                record.relations.append(relation)
                self.note("relations", e)
        self.lifecycle(record)
        record.source_elements = self.sources
        record.warnings = self.warnings + self.log.unmapped(self.el)
        return record

    def kind(self) -> ResourceKind:
        raw = self.attr(self.el, "registeredObjectType") or ""
        kind = _KINDS.get(agent_term("kind", raw) or "")
        if kind is None:
            raise InvalidRecord(
                f"{element_path(self.el)}/@registeredObjectType: must be PhysicalSample, "
                f"SampleCollection or SamplingFeature (found {raw!r})"
            )
        self.note("kind", self.el, "registeredObjectType")
        return kind

    def public(self, record: SampleRecord) -> None:
        for e in self.present("isPublic"):
            written = self.text(e)
            value = (written or "true").lower()  # the XSD default is true
            if value not in _BOOLEANS:
                raise InvalidRecord(f"{element_path(e)}: isPublic must be true or false, found {written!r}")
            record.is_public = _BOOLEANS[value]
            self.note("is_public", e)
            embargo = self.attr(e, "embargoEnd")
            if embargo:
                record.embargo_end = embargo_end(read_date(embargo, element_path(e) + "/@embargoEnd", self.warnings))
                self.note("embargo_end", e, "embargoEnd")

    def types(self, record: SampleRecord, path: str) -> None:
        """The first type found in a code list is the resource type; the others are alternates."""
        found = [(e, _resource_type(v) or v, _resource_type(v) is not None) for e, v in self.values(path)]
        if not found:
            return
        # none in a code list: the first stays the (invalid) type, for validation to name
        main = next((i for i, (_, _, known) in enumerate(found) if known), 0)
        for i, (e, value, _) in enumerate(found):
            field = "resource_types" if i == main else "alternate_resource_types"
            getattr(record, field).append(value)
            self.note(field, e)

    def materials(self, record: SampleRecord, path: str) -> None:
        for e, value in self.values(path):
            record.materials.append(codelist("material").canonical(agent_term("material", value)) or value)
            self.note("materials", e)

    def location(self, record: SampleRecord) -> None:
        for e in self.present("location/locality"):
            name, uri = self.text(e), self.attr(e, "localityURI")
            if name or uri:
                record.places.append(Place(name=name, identifier=uri))
                self.note("places", e)
        for e, value in self.values("location/geometry"):
            # xs:token: whitespace runs collapse (a WKT broken over lines is one line)
            geometry = Geometry(
                wkt=" ".join(value.split()),
                srid=srid(self.attr(e, "srid")),
                vertical_datum=srid(self.attr(e, "verticalDatum")),
                uri=self.attr(e, "geometryURI"),
            )
            record.geometries.append(geometry)
            self.warnings.extend(wkt_notes(geometry, element_path(e)))
            self.note("geometries", e)

    def collection_time(self, record: SampleRecord, container: str) -> None:
        if not self.present(container):
            return
        instant = self.values(f"{container}/timeInstant")
        start, end = self.values(f"{container}/timePeriod/start"), self.values(f"{container}/timePeriod/end")
        if instant:
            record.collection_time = TimeSpan(instant=self.date(instant[0][0]))
            self.note("collection_time", instant[0][0])
        elif start or end:
            record.collection_time = TimeSpan(
                start=self.date(start[0][0]) if start else None, end=self.date(end[0][0]) if end else None
            )
            self.note("collection_time", (start or end)[0][0])

    def method(self, record: SampleRecord) -> None:
        for e in self.present("method")[:1]:
            uri = self.attr(e, "methodURI")
            canonical = codelist("method").canonical(uri)
            if canonical is not None:
                record.collection_method = canonical
                self.note("collection_method", e, "methodURI")
            elif uri is not None:
                # a method outside the code list: keep its IRI where free terms go
                record.alternate_collection_methods.append(uri)
                self.note("alternate_collection_methods", e, "methodURI")
            description = self.text(e)
            if description is not None:
                record.method_description = description
                self.note("method_description", e)

    def curations(self, record: SampleRecord) -> None:
        for e in self.present("curationDetails/curation"):
            institution = None
            inst_el = self.find(e, "curatingInstitution")
            if inst_el is not None and not is_nil(inst_el):
                name, uri = self.text(inst_el), self.attr(inst_el, "institutionURI")
                if name or uri:
                    institution = Agent(
                        name=name or uri or "", identifier=Identifier(uri, "URL") if uri else None, kind="Organization"
                    )
            curation = Curation(
                curator=self.curator(e),
                date=self.date(self.find(e, "curationDate")),
                location=self.text(self.find(e, "curationLocation")),
                institution=institution,
            )
            if curation != Curation():
                record.curations.append(curation)
                self.note("curations", e)

    def contributors(self, record: SampleRecord) -> None:
        roles = codelist("contributor_type")
        for e in self.present("contributors/contributor"):
            name = self.text(self.find(e, "contributorName"))
            if name is None:
                continue
            id_el = self.find(e, "contributorIdentifier")
            identifier = None
            id_value = self.text(id_el)
            if id_el is not None and id_value is not None:
                identifier = Identifier(
                    id_value,
                    identifier_type(self.attr(id_el, "contributorIdentifierType"), agent_terms("identifier_type")),
                )
            agent = Agent(name=name, identifier=identifier)
            raw_role = self.attr(e, "contributorType") or ""
            if raw_role == COLLECTOR_ROLE:
                record.collectors.append(agent)
                self.note("collectors", e)
                continue
            iri = roles.canonical(raw_role)
            record.contributors.append(Contributor(agent, (roles.notation(iri) or raw_role) if iri else raw_role))
            self.note("contributors", e)

    def lifecycle(self, record: SampleRecord) -> None:
        for e in self.present("logDate"):
            event = self.attr(e, "eventType") or ""
            timestamp = log_event(event, self.text(e), element_path(e), self.warnings)
            if timestamp is not None:
                record.log.append(LogEvent(event=event, timestamp=timestamp))
                self.note("log", e)


def read_batch(
    root: etree._Element,
    what: str,
    namespaces: tuple[str, ...],
    reader: type[ResourceReader],
    names: tuple[str, str] = ("resources", "resource"),
) -> list[SampleRecord]:
    """One record per record element of a batch document (``names``: the root's and the records' local
    names), in document order. What the root holds besides its records is reported with every record."""
    ns = root_namespace(root, what, names[0], namespaces)
    tag = f"{{{ns}}}{names[1]}"
    resources = root.findall(tag)
    if not resources:
        raise InvalidRecord(f"{element_path(root)}: no {names[1]} element")
    records = [reader(el, ns).read() for el in resources]
    outside = ReadLog().unmapped(root, skip=tag)
    for record in records:
        record.warnings.extend(outside)
    return records
