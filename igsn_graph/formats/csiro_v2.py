"""CSIRO IGSN descriptive schema v2.0 XML (root ``samples``) → ``SampleRecord`` (read only).

One record per ``sample`` (IGSN.md §6.1). The schema's target namespace is the registration kernel's
(``http://igsn.org/schema/kernel-v.1.0``): the root's local name, ``samples``, tells the two apart. The
reader is ``_descriptive.ResourceReader`` (the same types, materials, visibility and dates as v3) with
v2's element names:

* ``sampleNumber`` → the IGSN; ``sampleName`` → name; ``otherNames/otherName`` → alternate identifiers
  (local names, no scheme); ``isPublic`` (``1``/``0`` or ``true``/``false``); ``landingPage``;
* ``sampleTypes/sampleType`` (ODM2 specimen types) → resource types; ``materialTypes/materialType`` (ODM2
  media) → materials; ``classification@classificationIdentifier``; ``purpose``;
  ``samplingCampaign`` → campaign; ``comments``;
* ``samplingLocation``: ``locality`` → a place; ``wkt@srs@spatialType`` → a geometry (``EPSG:4326`` → SRID
  4326, ``none`` → no SRID) whose elevation is ``elevation`` (``@units`` through
  ``mappings/length_units.csv``, ``@datum`` the vertical datum as written). An elevation that is not a
  number is refused (a location that cannot be read);
* ``samplingTime`` (instant or period) → collection time;
* ``samplingFeatures/samplingFeature``: ``samplingFeatureName@samplingFeatureType`` and its
  ``sampledFeatures/sampledFeature@sampledFeatureType`` → sampled features (``samplingFeatureLocation`` is
  reported as not mapped);
* ``sampleCollectors/collector@collectorIdentifier`` → collectors; ``samplingMethod`` → the collection
  method when it is a term of ``mappings/codelists/method.csv``, else a free method term;
* ``sampleCuration/curation``: ``curator``, ``curationTime`` (an instant, or a period's start), ``curationLocation``;
* ``relatedResources/relatedResourceIdentifier@relatedIdentifierType@relationType`` → relations;
* ``logElement@event@timeStamp`` (text: the event's text) → the log.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal, InvalidOperation

from lxml import etree

from ..codelists import codelist
from ..errors import InvalidRecord
from ..identifiers import Igsn
from ..record import (
    Agent,
    Classification,
    Curation,
    Geometry,
    Identifier,
    LogEvent,
    Place,
    SampledFeature,
    SampleRecord,
)
from ..xmlparser import element_path
from ._agent_terms import agent_term
from ._descriptive import ResourceReader, log_event, parse_identifier, read_batch, related, srid, wkt_notes
from .wkt import length_unit

__all__ = ["NS", "NAMESPACES", "ROOT", "SCHEMA_LOCATION", "read"]

NS = "http://igsn.org/schema/kernel-v.1.0"
NAMESPACES = (NS,)
ROOT = "samples"
SCHEMA_LOCATION = f"{NS} https://igsn.csiro.au/schemas/2.0/igsn-csiro-v2.0.xsd"

#: record field ← element, for the plain text elements
_TEXT_FIELDS = (
    ("name", "sampleName"),
    ("landing_page", "landingPage"),
    ("purpose", "purpose"),
    ("campaign", "samplingCampaign"),
    ("comments", "comments"),
)


def _agent_identifier(value: str | None) -> Identifier | None:
    """A collector's identifier IRI with the scheme its host says (ORCID, ROR), else URL."""
    if value is None:
        return None
    lowered = value.lower()
    scheme = (
        "ORCID"
        if "orcid.org/" in lowered
        else "ROR"
        if "ror.org/" in lowered
        else "URL"
        if lowered.startswith(("http://", "https://"))
        else None
    )
    return Identifier(value, scheme)


class _SampleReader(ResourceReader):
    def identifier(self) -> Igsn:
        id_el = self.find(self.el, "sampleNumber")
        value = self.text(id_el)
        if id_el is None or value is None:
            raise InvalidRecord(f"{element_path(self.el)}: sampleNumber is missing or empty")
        self.attr(id_el, "identifierType")  # the schema's one value, igsn
        self.note("igsn", id_el)
        return parse_identifier(value, element_path(id_el))

    def read(self) -> SampleRecord:
        igsn = self.identifier()
        record = SampleRecord(igsn=igsn.name, kind="Sample", doi=igsn.doi)
        for field, path in _TEXT_FIELDS:
            for e, value in self.values(path)[:1]:
                setattr(record, field, value)
                self.note(field, e)
        for e, value in self.values("otherNames/otherName"):
            record.alternate_identifiers.append(Identifier(value))
            self.note("alternate_identifiers", e)
        self.public(record)
        self.types(record, "sampleTypes/sampleType")
        self.materials(record, "materialTypes/materialType")
        for e in self.present("classification"):
            label = self.text(e)
            if label is not None:
                record.classifications.append(Classification(label, self.attr(e, "classificationIdentifier")))
                self.note("classifications", e)
        self.sampling_location(record)
        self.collection_time(record, "samplingTime")
        self.sampling_features(record)
        for e, name in self.values("sampleCollectors/collector"):
            record.collectors.append(Agent(name, identifier=_agent_identifier(self.attr(e, "collectorIdentifier"))))
            self.note("collectors", e)
        self.sampling_method(record)
        self.sample_curations(record)
        for e, value in self.values("relatedResources/relatedResourceIdentifier"):
            record.relations.append(related(value, self.attr(e, "relatedIdentifierType"), self.attr(e, "relationType")))
            self.note("relations", e)
        self.log_element(record)
        record.source_elements = self.sources
        record.warnings = self.warnings + self.log.unmapped(self.el)
        return record

    def sampling_location(self, record: SampleRecord) -> None:
        for e, name in self.values("samplingLocation/locality"):
            record.places.append(Place(name=name))
            self.note("places", e)
        for e, wkt in self.values("samplingLocation/wkt")[:1]:
            srs = self.attr(e, "srs")
            spatial_type = agent_term("geometry_type", self.attr(e, "spatialType"))
            geometry = Geometry(
                wkt=" ".join(wkt.split()),
                srid=None if srs is None or srs.lower() == "none" else srid(srs),
                geometry_type=codelist("geometry_type").canonical(spatial_type) or spatial_type,
            )
            for h, height in self.values("samplingLocation/elevation")[:1]:
                geometry = self.elevation(geometry, h, height)
            record.geometries.append(geometry)
            self.warnings.extend(wkt_notes(geometry, element_path(e)))
            self.note("geometries", e)

    def elevation(self, geometry: Geometry, el: etree._Element, height: str) -> Geometry:
        """``geometry`` with the height of ``elevation``, its unit and datum."""
        try:
            value = Decimal(height)
        except InvalidOperation:
            raise InvalidRecord(f"{element_path(el)}: the elevation {height!r} is not a number") from None
        written_unit = self.attr(el, "units")
        unit = length_unit(written_unit) if written_unit else None
        if written_unit and unit is None:
            unit = written_unit
            self.warnings.append(
                f"{element_path(el)}/@units: {written_unit!r} is not a length unit we know "
                "(mappings/length_units.csv); kept as written"
            )
        return replace(geometry, elevation=value, elevation_unit=unit, vertical_datum=self.attr(el, "datum"))

    def sampling_features(self, record: SampleRecord) -> None:
        for e in self.present("samplingFeatures/samplingFeature"):
            name_el = self.find(e, "samplingFeatureName")
            if name_el is not None:
                name, raw_type = self.text(name_el), self.attr(name_el, "samplingFeatureType")
                if name or raw_type:
                    record.sampled_features.append(
                        SampledFeature(name=name, feature_type=codelist("feature_type").canonical(raw_type) or raw_type)
                    )
                    self.note("sampled_features", name_el)
            for s in self.findall(e, "sampledFeatures/sampledFeature"):
                name, feature_type = self.text(s), self.attr(s, "sampledFeatureType")
                if name or feature_type:
                    record.sampled_features.append(SampledFeature(name=name, feature_type=feature_type))
                    self.note("sampled_features", s)

    def sampling_method(self, record: SampleRecord) -> None:
        for e, value in self.values("samplingMethod")[:1]:
            iri = codelist("method").canonical(value)
            if iri is not None:
                record.collection_method = iri
                self.note("collection_method", e)
            else:
                record.alternate_collection_methods.append(value)
                self.note("alternate_collection_methods", e)

    def sample_curations(self, record: SampleRecord) -> None:
        for e in self.present("sampleCuration/curation"):
            time_el = self.find(e, "curationTime")
            date = None
            if time_el is not None:
                date = self.date(self.find(time_el, "timeInstant")) or self.date(self.find(time_el, "timePeriod/start"))
            curation = Curation(
                curator=self.text(self.find(e, "curator")),
                date=date,
                location=self.text(self.find(e, "curationLocation")),
            )
            if curation != Curation():
                record.curations.append(curation)
                self.note("curations", e)

    def log_element(self, record: SampleRecord) -> None:
        for e in self.present("logElement"):
            event = self.attr(e, "event") or ""
            timestamp = log_event(event, self.attr(e, "timeStamp"), element_path(e) + "/@timeStamp", self.warnings)
            text = self.text(e)
            if timestamp is not None:
                record.log.append(LogEvent(event=event, timestamp=timestamp, text=text))
                self.note("log", e)


def read(root: etree._Element) -> list[SampleRecord]:
    """One record per ``sample`` of a ``samples`` document, in document order."""
    return read_batch(root, "a CSIRO v2 document", NAMESPACES, _SampleReader, names=("samples", "sample"))
