"""IGSN-JSON registration (draft v0.1, ``IGSN/igsn-json``, IGSN.md §6.3) → SampleRecord.

A document is one registration: ``@context`` naming the registration v0.1 context, ``igsn`` (any
written form), ``registrant`` {``name``, ``identifiers`` [{``kind``, ``id``}]}, ``related`` [{``identifier``
{``id``, ``kind``}, ``relationType``}], ``log`` [{``type``, ``timestamp``, ``comment``}], ``comments`` and a
free-form ``description`` object. Term tables (relation types, identifier kinds, relation keys) are
data in ``mappings/igsn_json.csv``.

Read as the published examples write it, with a warning where they leave the schema: the relation key
``relationship`` (the context's name) and ``relationshipType`` besides the schema's ``relationType``;
relation terms outside the schema's eleven (``childOf``, ``documentedBy``, ``relatedTo``) mapped to
DataCite names, the IGSN-JSON term kept as the source relation type; the schema's misspelt
``isCompliedBy`` is ``IsCompiledBy``. Related identifiers are kept exactly as written. From
``description``: ``sampleType`` (a material or sample type of the code lists), ``collector``,
``curator`` and ``samplingLocation`` (a GeoJSON geometry). The record keeps one identifier per agent:
the registrant's first; the others are reported as not mapped, as is every key not named here (the
SOSA ``observations`` of the examples among them).

Refused: no ``igsn``; a log event that is not one of the five; a timestamp that is not a date; a
location that is not a GeoJSON geometry. An empty timestamp is accepted with a warning and the event
is left out (the model has no undated log event).
"""

from __future__ import annotations

from typing import Any

from ..codelists import codelist
from ..errors import UnsupportedFormat
from ..record import LOG_EVENTS, Agent, Curation, Geometry, Identifier, LogEvent, Relation, SampleRecord
from ..vocab import XSD
from . import contexts
from ._json import JsonReader, Path, terms
from ._kernel import identifier_type
from .geojson import GeoJsonError, to_wkt
from .graph import date_literal

__all__ = ["FORMAT", "CONTEXT_FILE", "context_urls", "is_igsn_json", "read"]

FORMAT = "igsn_json"
CONTEXT_FILE = "contexts/igsn-registration-v0.1.jsonld"
_TERMS = "igsn_json.csv"
_STRING = XSD.string
#: record field → where it is read from (for the messages of SHACL violations)
_SOURCES = {
    "igsn": "/igsn",
    "registrant": "/registrant",
    "relations": "/related",
    "log": "/log",
    "geometries": "/description/samplingLocation",
    "comments": "/comments",
}


def context_urls() -> frozenset[str]:
    """Every URL of the registration v0.1 context (``mappings/contexts/known.csv``)."""
    return frozenset(url for url, file in contexts.known_urls().items() if file == CONTEXT_FILE)


def is_igsn_json(doc: Any) -> bool:
    """Whether ``doc`` is an object whose ``@context`` names the registration v0.1 context."""
    if not isinstance(doc, dict):
        return False
    ctx = doc.get("@context")
    named = ctx if isinstance(ctx, list) else [ctx]
    return any(isinstance(c, str) and c in context_urls() for c in named)


def _term(field: str, term: str) -> tuple[str, bool] | None:
    found = terms(_TERMS).get((field, term))
    if found is None:  # the schema's terms are lower camel case, written forms vary in case
        found = next((v for (f, t), v in terms(_TERMS).items() if f == field and t.lower() == term.lower()), None)
    return found


def _identifier(r: JsonReader, ident: dict[str, Any], path: Path) -> Identifier | None:
    value = r.text(ident, "id", path)
    kind = r.text(ident, "kind", path)
    r.rest(ident, ("id", "kind"), path)
    if value is None:
        r.not_mapped(path, "an identifier without an id")
        return None
    scheme = None
    if kind is not None:
        found = _term("identifierKind", kind)
        scheme = found[0] if found else identifier_type(kind)
        if found is None or not found[1]:
            r.warn(path + ("kind",), f"{kind!r} is not an identifier kind of the IGSN-JSON schema; read as {scheme}")
    return Identifier(value, scheme)


def _registrant(r: JsonReader, value: Any, path: Path) -> Agent | None:
    obj = r.obj(value, path)
    if obj is None:
        return None
    name = r.text(obj, "name", path)
    identifier: Identifier | None = None
    for where, item in r.items(obj, "identifiers", path):
        ident = r.obj(item, where)
        if ident is None:
            continue
        if identifier is not None:
            r.not_mapped(where, "the record keeps one identifier per agent: the first")
            continue
        identifier = _identifier(r, ident, where)
    r.rest(obj, ("name", "identifiers"), path)
    if name is None:
        r.not_mapped(path, "a registrant without a name; the registry names the registrant")
        return None
    return Agent(name=name, identifier=identifier, kind="Organization")


def _relation(r: JsonReader, value: Any, path: Path) -> Relation | None:
    obj = r.obj(value, path)
    if obj is None:
        return None
    raw = obj.get("identifier")
    ident: Identifier | None
    if isinstance(raw, str):
        ident = Identifier(raw.strip()) if raw.strip() else None
    else:
        item = r.obj(raw, path + ("identifier",))
        ident = _identifier(r, item, path + ("identifier",)) if item is not None else None
    keys = [k for k in obj if _term("relationKey", k) is not None]
    term: str | None = None
    for key in keys:
        written = r.text(obj, key, path)
        if written is None:
            continue
        if term is not None and written != term:
            raise r.refuse(path, f"two relation types ({term!r} and {written!r}); a relation has one")
        term = written
        known = _term("relationKey", key)  # never None: ``keys`` holds only the table's keys
        if known is not None and not known[1]:
            r.warn(path + (key,), "not a key of the IGSN-JSON schema; read as relationType")
    r.rest(obj, ("identifier", *keys), path)
    if ident is None:
        r.not_mapped(path, "a related resource without an identifier")
        return None
    relation_type = source = None
    if term is not None:
        found = _term("relationType", term)
        relation_type = found[0] if found else "Other"
        if found is None or found[0].lower() != term.lower():
            source = term
        if found is None or not found[1]:
            r.warn(path, f"relation type {term!r} is not one of the IGSN-JSON schema; read as {relation_type}")
    return Relation(
        identifier=ident.value, identifier_type=ident.scheme, relation_type=relation_type, source_relation_type=source
    )


def _log_event(r: JsonReader, value: Any, path: Path, igsn: str) -> LogEvent | None:
    obj = r.obj(value, path)
    if obj is None:
        return None
    event = r.text(obj, "type", path, required=True)
    if event not in LOG_EVENTS:
        raise r.refuse(path + ("type",), f"{event!r} is not a log event ({', '.join(LOG_EVENTS)})", igsn)
    timestamp = r.text(obj, "timestamp", path)
    comment = r.text(obj, "comment", path)
    r.rest(obj, ("type", "timestamp", "comment"), path)
    if timestamp is None:
        r.warn(path + ("timestamp",), f"no timestamp; the {event} event is left out (a log event needs a date)")
        return None
    if date_literal(timestamp).datatype == _STRING:
        raise r.refuse(path + ("timestamp",), f"{timestamp!r} is not a date or date-time", igsn)
    return LogEvent(event=event, timestamp=timestamp, comment=comment)


def _description(r: JsonReader, value: Any, path: Path, record: SampleRecord) -> None:
    if isinstance(value, str):
        record.description = value.strip() or None
        return
    obj = r.obj(value, path)
    if obj is None:
        return
    used = ["sampleType", "collector", "curator", "samplingLocation"]
    sample_type = r.text(obj, "sampleType", path)
    if sample_type is not None:
        if (iri := codelist("material").canonical(sample_type)) is not None:
            record.materials.append(iri)
        elif (iri := codelist("sample_type").canonical(sample_type)) is not None:
            record.resource_types.append(iri)
        else:
            r.not_mapped(
                path + ("sampleType",), f"{sample_type!r} is in neither the material nor the sample type code list"
            )
    for where, item in r.items(obj, "collector", path) if isinstance(obj.get("collector"), list) else []:
        if isinstance(item, str) and item.strip():
            record.collectors.append(Agent(name=item.strip()))
        else:
            r.not_mapped(where)
    if not isinstance(obj.get("collector"), list) and (collector := r.text(obj, "collector", path)) is not None:
        record.collectors.append(Agent(name=collector))  # one collector written as text, as the examples do
    if (curator := r.text(obj, "curator", path)) is not None:
        record.curations.append(Curation(curator=curator))
    location = obj.get("samplingLocation")
    if location is not None:
        where = path + ("samplingLocation",)
        geometry = location.get("geometry", location) if isinstance(location, dict) else location
        if isinstance(location, dict) and "geometry" in location:
            r.rest(location, ("geometry",), where)
            where = where + ("geometry",)
        try:
            record.geometries.append(Geometry(wkt=to_wkt(geometry)))
        except GeoJsonError as exc:
            raise r.refuse(where, f"not a GeoJSON geometry: {exc}", record.igsn) from None
    r.rest(obj, used, path)


def read(doc: Any) -> list[SampleRecord]:
    """The one record of an IGSN-JSON registration (a list, like every reader)."""
    if not is_igsn_json(doc):
        raise UnsupportedFormat("not IGSN-JSON: no @context naming the registration v0.1 context")
    r = JsonReader()
    record = SampleRecord(igsn=r.igsn(doc, "igsn", ()))
    record.registrant = _registrant(r, doc.get("registrant"), ("registrant",))
    for where, item in r.items(doc, "related", ()):
        relation = _relation(r, item, where)
        if relation is not None:
            record.relations.append(relation)
    for where, item in r.items(doc, "log", ()):
        event = _log_event(r, item, where, record.igsn)
        if event is not None:
            record.log.append(event)
    record.comments = r.text(doc, "comments", ())
    _description(r, doc.get("description"), ("description",), record)
    r.rest(doc, ("igsn", "registrant", "related", "log", "comments", "description"), ())
    record.source_elements = {
        field: where for field, where in _SOURCES.items() if field == "igsn" or getattr(record, field)
    }
    record.warnings.extend(r.warnings)
    return [record]
