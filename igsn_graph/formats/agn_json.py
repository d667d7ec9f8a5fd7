"""AusGeochem (AGN) IGSN JSON → SampleRecords (JSON Schema ``agn-igsn-desc-1.0``, ARDC registry).

A document is an array of sample objects. Term tables (identifier types, sample types, researcher roles,
relation terms) are data in ``mappings/agn_json.csv``; DataCite relation types and contributor types are
also understood as written.

What is read, per sample: ``igsn`` (any written form), ``landingPage``, ``localSampleID`` (a ``local``
alternate identifier), ``sampleType`` (an ODM2 specimen type; the AGN term is kept as an alternate resource
type, as is ``analyte``, the form the material was analysed in), ``lithologyType`` (a classification),
``lithologyComment`` (comments), ``lastKnownSampleArchiveLocation`` (a curation location),
``location.latLong`` (a point, lon/lat) with ``elevation`` and ``verticalDatum``, ``site.locationName``
(a place), ``site.stratigraphicUnitName`` (a sampled feature), ``researchers`` (a ``Collector`` role makes a
collector, other roles contributors; the first identifier), ``relatedPublications`` (``IsReferencedBy``,
titled) and ``relatedEntities`` (one relation per relation term, titled), ``funding.fundingBody`` (a
``Sponsor`` contributor). Everything else is reported as ``not mapped`` (the submitted document is kept
whole), as is an identifier type DataCite has no name for (read as ``local``: ABN, ARC grant, NLA party…).

Refused: no ``igsn``; a ``latLong`` that is not two numbers in range (a geometry that cannot be read).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..codelists import codelist, relation_types
from ..errors import UnsupportedFormat
from ..record import (
    Agent,
    Classification,
    Contributor,
    Curation,
    Geometry,
    Identifier,
    Place,
    Relation,
    SampledFeature,
    SampleRecord,
    agent_kind,
)
from ._json import JsonReader, Path, terms
from ._kernel import identifier_type

__all__ = ["FORMAT", "is_agn_json", "read"]

FORMAT = "agn_json"
_TERMS = "agn_json.csv"
#: keys only an AGN sample has (beside ``igsn``): how a document is recognised
_AGN_KEYS = frozenset(
    {
        "localSampleID",
        "analyte",
        "lithologyType",
        "lithologyComment",
        "locationCaptureType",
        "lastKnownSampleArchiveLocation",
        "researchers",
        "relatedPublications",
        "relatedEntities",
    }
)
_SAMPLE_KEYS = (
    "igsn",
    "landingPage",
    "localSampleID",
    "sampleType",
    "analyte",
    "lithologyType",
    "lithologyComment",
    "lastKnownSampleArchiveLocation",
    "location",
    "site",
    "researchers",
    "relatedPublications",
    "relatedEntities",
    "funding",
)


def _is_sample(value: Any) -> bool:
    return isinstance(value, dict) and "@context" not in value and "igsn" in value and not _AGN_KEYS.isdisjoint(value)


def is_agn_json(doc: Any) -> bool:
    """Whether ``doc`` has the AGN shape: an array of sample objects (or one sample object)."""
    if isinstance(doc, list):
        return bool(doc) and all(_is_sample(item) for item in doc)
    return _is_sample(doc)


def _term(field: str, term: str) -> str | None:
    found = terms(_TERMS).get((field, term))
    return found[0] if found else None


def _identifier(r: JsonReader, value: Any, path: Path) -> Identifier | None:
    obj = r.obj(value, path)
    if obj is None:
        return None
    written = r.text(obj, "identifier", path)
    kind = r.text(obj, "identifierType", path)
    r.rest(obj, ("identifier", "identifierType"), path)
    if written is None:
        r.not_mapped(path, "an identifier without a value")
        return None
    scheme = None
    if kind is not None:
        scheme = _term("identifierType", kind)
        if scheme is None:
            scheme = identifier_type(kind)
            r.warn(
                path + ("identifierType",), f"{kind!r} is not an identifier type of the AGN schema; read as {scheme}"
            )
        elif scheme == "local" and kind != "local":
            r.warn(path + ("identifierType",), f"{kind!r} has no DataCite identifier type; read as local")
    return Identifier(written, scheme)


def _first_identifier(r: JsonReader, obj: dict[str, Any], path: Path, key: str = "identifiers") -> Identifier | None:
    """The first identifier of ``obj[key]``; the others are reported (the record keeps one)."""
    found: Identifier | None = None
    for where, item in r.items(obj, key, path):
        if found is not None:
            r.not_mapped(where, "the record keeps one identifier here: the first")
            continue
        found = _identifier(r, item, where)
    return found


def _researcher(r: JsonReader, value: Any, path: Path, record: SampleRecord) -> None:
    obj = r.obj(value, path)
    if obj is None:
        return
    name = r.text(obj, "fullName", path)
    name_type = r.text(obj, "nameType", path)
    kind = _term("nameType", name_type) if name_type is not None else None
    if name_type is not None and kind is None:
        r.not_mapped(path + ("nameType",), f"{name_type!r} is neither Personal nor Organizational")
    identifier = _first_identifier(r, obj, path)
    r.rest(obj, ("fullName", "nameType", "identifiers", "researcherRole"), path)
    if name is None:
        r.not_mapped(path, "a researcher without a fullName")
        return
    agent = Agent(name=name, identifier=identifier, kind=agent_kind(kind))
    for where, role_value in r.items(obj, "researcherRole", path):
        role = role_value.strip() if isinstance(role_value, str) else ""
        if not role:
            r.not_mapped(where)
            continue
        mapped = _term("researcherRole", role)
        if mapped is None and (iri := codelist("contributor_type").canonical(role)) is not None:
            mapped = codelist("contributor_type").notation(iri)
        if mapped == "collector":
            if agent not in record.collectors:
                record.collectors.append(agent)
            continue
        if mapped is None:
            r.warn(where, f"researcher role {role!r} is not a contributor type we know; read as Other")
            mapped = "Other"
        record.contributors.append(Contributor(agent, mapped))


def _relation_type(r: JsonReader, term: str, path: Path) -> tuple[str, str | None]:
    """(DataCite relation type, the AGN term when it is not DataCite's) of a relation term."""
    canonical = relation_types().canonical(term) or _term("relation", term)
    if canonical is None:
        r.warn(path, f"relation {term!r} is not a DataCite relation type; read as Other")
        return "Other", term
    return canonical, None if canonical.lower() == term.lower() else term


def _related_entity(r: JsonReader, value: Any, path: Path, record: SampleRecord) -> None:
    obj = r.obj(value, path)
    if obj is None:
        return
    title = r.text(obj, "relatedEntityTitleName", path)
    identifier = _first_identifier(r, obj, path)
    r.rest(obj, ("relatedEntityTitleName", "identifiers", "relation"), path)
    if identifier is None:
        r.not_mapped(path, "a related entity without an identifier")
        return
    found = False
    for where, term in r.items(obj, "relation", path):
        if not isinstance(term, str) or not term.strip():
            r.not_mapped(where)
            continue
        relation_type, source = _relation_type(r, term.strip(), where)
        record.relations.append(Relation(identifier.value, identifier.scheme, relation_type, title, source))
        found = True
    if not found:
        r.warn(path, "a related entity without a relation; read as Other")
        record.relations.append(Relation(identifier.value, identifier.scheme, "Other", title))


def _publication(r: JsonReader, value: Any, path: Path, record: SampleRecord) -> None:
    obj = r.obj(value, path)
    if obj is None:
        return
    title = r.text(obj, "referenceTitle", path)
    key = "identifiers" if "identifiers" in obj else "identifier"
    identifier = _first_identifier(r, obj, path, key)
    r.rest(obj, ("referenceTitle", key), path)
    if identifier is None:
        r.not_mapped(path, "a publication without an identifier")
        return
    record.relations.append(Relation(identifier.value, identifier.scheme, _term("publication", "relation"), title))


def _coordinate(r: JsonReader, obj: dict[str, Any], key: str, limit: int, path: Path, igsn: str) -> Decimal:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not -limit <= value <= limit:
        raise r.refuse(path + (key,), f"{key} must be a number from -{limit} to {limit}, not {value!r}", igsn)
    return Decimal(str(value))


def _location(r: JsonReader, value: Any, path: Path, record: SampleRecord) -> None:
    obj = r.obj(value, path)
    if obj is None:
        return
    lat_long = r.obj(obj.get("latLong"), path + ("latLong",))
    used = ["latLong", "elevation", "verticalDatum"]
    if lat_long is None:
        r.warn(path, "no latLong: the sample has no geometry")
        r.rest(obj, ("latLong",), path)
        return
    where = path + ("latLong",)
    lat = _coordinate(r, lat_long, "latitude", 90, where, record.igsn)
    lon = _coordinate(r, lat_long, "longitude", 180, where, record.igsn)
    r.rest(lat_long, ("latitude", "longitude"), where)
    elevation = obj.get("elevation")
    if elevation is not None and (isinstance(elevation, bool) or not isinstance(elevation, (int, float))):
        raise r.refuse(path + ("elevation",), f"elevation must be a number, not {elevation!r}", record.igsn)
    datum = r.text(obj, "verticalDatum", path)
    record.geometries.append(
        Geometry(
            wkt=f"POINT ({format(lon, 'f')} {format(lat, 'f')})",
            vertical_datum=datum,
            elevation=None if elevation is None else Decimal(str(elevation)),
        )
    )
    r.rest(obj, used, path)


def _site(r: JsonReader, value: Any, path: Path, record: SampleRecord) -> None:
    obj = r.obj(value, path)
    if obj is None:
        return
    if (name := r.text(obj, "locationName", path)) is not None:
        record.places.append(Place(name=name))
    unit = r.text(obj, "stratigraphicUnitName", path)
    if unit is not None and unit != "Unknown":
        record.sampled_features.append(SampledFeature(name=unit))
    r.rest(obj, ("locationName", "stratigraphicUnitName"), path)


def _types(r: JsonReader, obj: dict[str, Any], key: str, path: Path, record: SampleRecord) -> None:
    """A sample or analyte type: its ODM2 specimen type when the table has one, and the AGN term as written."""
    term = r.text(obj, key, path)
    if term is None:
        return
    notation = _term(key, term)
    iri = codelist("sample_type").canonical(notation) if notation else None
    if iri is not None and iri not in record.resource_types:
        record.resource_types.append(iri)
    record.alternate_resource_types.append(term)


def _funding(r: JsonReader, value: Any, path: Path, record: SampleRecord) -> None:
    obj = r.obj(value, path)
    if obj is None:
        return
    body = r.text(obj, "fundingBody", path)
    r.rest(obj, ("fundingBody",), path)
    if body is not None:
        record.contributors.append(Contributor(Agent(body, kind="Organization"), _term("funding", "role") or "Sponsor"))


def _sample(r: JsonReader, obj: dict[str, Any]) -> SampleRecord:
    record = SampleRecord(igsn=r.igsn(obj, "igsn", ()))
    record.landing_page = r.text(obj, "landingPage", ())
    if (local := r.text(obj, "localSampleID", ())) is not None:
        record.alternate_identifiers.append(Identifier(local, "local"))
    _types(r, obj, "sampleType", (), record)
    _types(r, obj, "analyte", (), record)
    if (lithology := r.text(obj, "lithologyType", ())) is not None:
        record.classifications.append(Classification(lithology))
    record.comments = r.text(obj, "lithologyComment", ())
    if (archive := r.text(obj, "lastKnownSampleArchiveLocation", ())) is not None:
        record.curations.append(Curation(location=archive))
    _location(r, obj.get("location"), ("location",), record)
    _site(r, obj.get("site"), ("site",), record)
    for where, item in r.items(obj, "researchers", ()):
        _researcher(r, item, where, record)
    for where, item in r.items(obj, "relatedPublications", ()):
        _publication(r, item, where, record)
    for where, item in r.items(obj, "relatedEntities", ()):
        _related_entity(r, item, where, record)
    _funding(r, obj.get("funding"), ("funding",), record)
    r.rest(obj, _SAMPLE_KEYS, ())
    record.source_elements = {f: r.where(p) for f, p in _SOURCES.items() if f == "igsn" or getattr(record, f)}
    record.warnings.extend(r.warnings)
    return record


#: record field → where it is read from, relative to the sample (for the messages of SHACL violations)
_SOURCES: dict[str, Path] = {
    "igsn": ("igsn",),
    "landing_page": ("landingPage",),
    "geometries": ("location", "latLong"),
    "contributors": ("researchers",),
    "relations": ("relatedEntities",),
}


def read(doc: Any) -> list[SampleRecord]:
    """The records of an AGN document, in document order."""
    if not is_agn_json(doc):
        raise UnsupportedFormat(
            "not AusGeochem IGSN JSON: expected an array of sample objects with igsn, localSampleID, researchers…"
        )
    if isinstance(doc, dict):
        r = JsonReader()
        r.warn((), "one sample object where the AGN schema wants an array of them; read as an array of one")
        return [_sample(r, doc)]
    return [_sample(JsonReader((i,)), item) for i, item in enumerate(doc)]
