"""Dublin Core (``oai_dc``) → SampleRecord: the crosswalk of ``mappings/oai_dc.csv`` read backwards.

``oai_dc`` is the one format every OAI-PMH data provider offers, so it is what a harvester gets from an agent
that offers nothing richer (issue 18). The table the writer (``oai_dc.py``) fills Dublin Core from says here
which record fields each element goes back to; an element the table marks "not used" (contributor, language,
rights, source) is reported ``not mapped: <path>``, as is anything else the reader leaves (``_unmapped.ReadLog``:
a second title, an ``xml:lang``, an element of another namespace).

Per element:

- ``identifier``: the one naming an IGSN in a form that says so (``igsn:``, a 10273 handle, an IGSN URI, a DOI
  under an IGSN DOI prefix: ``links.igsn_named``) is the sample. When none does, a single bare name (Geoscience
  Australia writes ``AU239``) is read as the IGSN, with a warning; two IGSNs, or none, are refused. The reader
  never looks at an OAI-PMH header: the payload is what the registry keeps, and it must read back alone. A DOI
  whose suffix is the IGSN is the sample's DOI; the other identifiers are alternate identifiers.
- ``title`` → name; ``description`` → description, a second one → comments (the writer's order).
- ``type``: a term of the sample, feature or collection type list → resource type (the first such term says
  whether the record is a sample, feature or collection), of the material list → material, anything else an
  alternate type as written. ``format``: a material of the code list, anything else reported.
- ``coverage``: WKT or EWKT (``wkt.read_wkt``: what it reads off-form is a warning, a text it cannot read is
  refused), or a DCMI Point or Box (``east=…; north=…``) → a geometry; a date is no place and is reported; any
  other text is a place name.
- ``date`` → the collection time: a date, an ISO 8601 interval ``start/end`` (``..`` an open end) or a DCMI
  Period (``start=…; end=…``); a value that is not a date is refused. The record holds one: a second is reported.
- ``creator`` → collectors; ``publisher`` → curating institutions; ``subject`` → classifications.
- ``relation`` → related identifiers, as written, typed by their form: Dublin Core does not say how a resource
  is related, so the relation type is ``Other`` with ``dc:relation`` as the source term (``links`` decides which
  named IGSNs are parents or collections).

Identifier types come from the written form (``mappings/identifier_forms.csv``, first matching row); a value
whose form says nothing is a ``local`` identifier, with a warning.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Callable

from lxml import etree

from ..codelists import codelist
from ..errors import InvalidIdentifier, InvalidRecord
from ..identifiers import parse_igsn, validate_name
from ..links import igsn_named
from ..record import (
    Agent,
    Classification,
    Curation,
    Geometry,
    Identifier,
    Place,
    Relation,
    ResourceKind,
    SampleRecord,
    TimeSpan,
)
from ..resources import mappings_dir
from ..xmlparser import element_path
from . import oai_dc
from ._dates import read_date
from ._descriptive import parse_identifier
from ._kernel import root_namespace, w3cdtf
from ._unmapped import ReadLog
from .wkt import WktError, read_wkt

__all__ = ["NAMESPACES", "ROOT", "SCHEMA_LOCATION", "SOURCE_RELATION", "identifier_type_of", "read"]

NAMESPACES = (oai_dc.NS_OAI_DC,)
ROOT = "dc"
SCHEMA_LOCATION = oai_dc.SCHEMA_LOCATION
#: the source relation term of every related identifier read from Dublin Core
SOURCE_RELATION = "dc:relation"

Item = tuple[etree._Element, str]
Handler = Callable[["_Reader", SampleRecord, list[Item]], None]

#: a coverage meant as WKT: a CRS IRI or SRID= first, or a geometry keyword and its opening parenthesis
_WKT = re.compile(
    r"\s*(?:<|SRID\s*=|(?:POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON|"
    r"GEOMETRYCOLLECTION)\s*(?:ZM|Z|M)?\s*(?:\(|EMPTY\s*$))",
    re.I,
)
#: DCMI encoding schemes (Point, Box, Period): ``key=value`` parts separated by semicolons
_DCMI = re.compile(r"(?:\s*[A-Za-z]+\s*=[^;=]*(?:;|$))+\s*")
_DCMI_PART = re.compile(r"\s*([A-Za-z]+)\s*=\s*([^;]*?)\s*(?:;|$)")
_DEGREES = "signed decimal degrees"
_KIND_LISTS: tuple[tuple[str, ResourceKind], ...] = (
    ("sample_type", "Sample"),
    ("feature_type", "Feature"),
    ("collection_type", "Collection"),
)


@lru_cache(maxsize=1)
def _forms() -> tuple[tuple[re.Pattern[str], str], ...]:
    with open(mappings_dir() / "identifier_forms.csv", encoding="utf-8", newline="") as f:
        return tuple((re.compile(row["pattern"]), row["identifier_type"]) for row in csv.DictReader(f))


def identifier_type_of(value: str) -> str | None:
    """The DataCite identifier type an identifier's written form shows (``mappings/identifier_forms.csv``, the
    first row whose pattern matches), or None when the form says nothing.

    >>> identifier_type_of("10273/AU239"), identifier_type_of("https://doi.org/10.58052/X"), identifier_type_of("AU9")
    ('Handle', 'URL', None)
    """
    text = value.strip()
    return next((kind for pattern, kind in _forms() if pattern.fullmatch(text)), None)


def read(root: etree._Element) -> list[SampleRecord]:
    """The one record of an ``oai_dc:dc`` element (a list, like every reader)."""
    root_namespace(root, "a Dublin Core (oai_dc) record", ROOT, NAMESPACES)
    return [_Reader(root).read()]


class _Reader:
    """Reads one ``oai_dc:dc``: the Dublin Core elements by name, what was taken, what was said about it."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.log = ReadLog()
        self.warnings: list[str] = []
        self.sources: dict[str, str] = {}
        self.kind: ResourceKind | None = None  # set by the first type of a kind's code list
        self.elements: dict[str, list[etree._Element]] = {}
        for el in root:
            if isinstance(el.tag, str) and etree.QName(el).namespace == oai_dc.NS_DC:
                self.elements.setdefault(etree.QName(el).localname, []).append(el)

    def items(self, name: str) -> list[Item]:
        """(element, text) of each ``dc:<name>`` with a value; empty ones say nothing."""
        return [(el, el.text.strip()) for el in self.elements.get(name, ()) if el.text and el.text.strip()]

    def take(self, el: etree._Element, field: str | None = None) -> None:
        self.log.took(el)
        if field is not None:
            self.sources.setdefault(field, element_path(el))

    def refuse(self, el: etree._Element, reason: str, igsn: str | None = None) -> InvalidRecord:
        return InvalidRecord(f"{element_path(el)}: {reason}", igsn=igsn or None)

    def read(self) -> SampleRecord:
        record = SampleRecord(igsn="")
        handlers = _crosswalk()
        # the identifier first: every refusal after it names the sample
        for name in sorted(handlers, key=lambda n: handlers[n] is not _identifiers):
            handlers[name](self, record, self.items(name))
        if self.kind is not None:
            record.kind = self.kind
        record.source_elements = self.sources
        record.warnings.extend(self.warnings)
        record.warnings.extend(self.log.unmapped(self.root))
        return record


# --- the elements -----------------------------------------------------------------------------


def _identifiers(r: _Reader, record: SampleRecord, items: list[Item]) -> None:
    named: list[tuple[str, etree._Element, str]] = []
    others: list[tuple[etree._Element, str, str | None]] = []
    for el, value in items:
        kind = identifier_type_of(value)
        name = parse_identifier(value, element_path(el)).name if kind == "IGSN" else igsn_named(value, kind)
        if name is not None:
            named.append((name, el, value))
            r.take(el, "igsn")
        else:
            others.append((el, value, kind))
    names = list(dict.fromkeys(name for name, _, _ in named))
    if len(names) > 1:
        raise r.refuse(
            named[-1][1], f"a second IGSN ({names[0]} and {names[1]}); a record describes one sample", names[0]
        )
    record.igsn = names[0] if names else _bare_igsn(r, others)
    for _, el, value in named:  # an IGSN written as a DOI under an IGSN DOI prefix is also the sample's DOI
        _take_doi(r, record, el, value)
    for el, value, kind in others:
        r.take(el)
        if kind in ("DOI", "URL") and _take_doi(r, record, el, value):
            continue
        if kind is None:
            r.warnings.append(
                f"{element_path(el)}: the form of {value!r} does not say what identifier it is; "
                "kept as a local identifier"
            )
        record.alternate_identifiers.append(Identifier(value, kind or "local"))


def _bare_igsn(r: _Reader, others: list[tuple[etree._Element, str, str | None]]) -> str:
    """The IGSN when no identifier names one in a form that says so: the one bare name among them."""
    bare = [(el, value) for el, value, kind in others if kind is None and _is_bare_name(value)]
    if not bare:
        raise InvalidRecord(
            f"{element_path(r.root)}: no dc:identifier names an IGSN (write it as igsn:NAME, a "
            "handle 10273/NAME or an IGSN URI)"
        )
    if len(bare) > 1:
        shown = " and ".join(repr(v) for _, v in bare[:2])
        raise r.refuse(bare[1][0], f"{shown} could each be the IGSN; write the sample's as igsn:NAME")
    el, value = bare[0]
    others[:] = [o for o in others if o[0] is not el]
    r.take(el, "igsn")
    r.warnings.append(
        f"{element_path(el)}: {value!r} is read as the IGSN, the one identifier that can be a bare "
        f"name (igsn:{value} or an IGSN URI says so)"
    )
    return validate_name(value)


def _is_bare_name(value: str) -> bool:
    if ":" in value:
        return False
    try:
        validate_name(value)
    except InvalidIdentifier:
        return False
    return True


def _take_doi(r: _Reader, record: SampleRecord, el: etree._Element, value: str) -> bool:
    """Whether ``value`` is the sample's DOI: a DOI (bare, CURIE or doi.org URL) whose suffix is the IGSN, the
    first one read or the same again (another one is an alternate identifier)."""
    try:
        parsed = parse_igsn(value)
    except InvalidIdentifier:
        return False
    if parsed.doi is None or parsed.name != record.igsn or record.doi not in (None, parsed.doi):
        return False
    if record.doi is None:
        record.doi = parsed.doi
        r.sources.setdefault("doi", element_path(el))
    return True


def _title(r: _Reader, record: SampleRecord, items: list[Item]) -> None:
    if items:  # one name: a second title is left for the not-mapped report
        el, record.name = items[0]
        r.take(el, "name")


def _descriptions(r: _Reader, record: SampleRecord, items: list[Item]) -> None:
    for (el, value), field in zip(items, ("description", "comments"), strict=False):  # the writer's order
        setattr(record, field, value)
        r.take(el, field)


def _creators(r: _Reader, record: SampleRecord, items: list[Item]) -> None:
    for el, value in items:
        record.collectors.append(Agent(name=value))
        r.take(el, "collectors")


def _publishers(r: _Reader, record: SampleRecord, items: list[Item]) -> None:
    for el, value in items:
        record.curations.append(Curation(institution=Agent(name=value, kind="Organization")))
        r.take(el, "curations")


def _subjects(r: _Reader, record: SampleRecord, items: list[Item]) -> None:
    for el, value in items:
        record.classifications.append(Classification(label=value))
        r.take(el, "classifications")


def _formats(r: _Reader, record: SampleRecord, items: list[Item]) -> None:
    for el, value in items:  # a media type or an extent is no material: left for the not-mapped report
        iri = codelist("material").canonical(value)
        if iri is not None:
            record.materials.append(iri)
            r.take(el, "materials")


def _types(r: _Reader, record: SampleRecord, items: list[Item]) -> None:
    for el, value in items:
        r.take(el, "resource_types")
        found = next(
            ((iri, kind) for name, kind in _KIND_LISTS if (iri := codelist(name).canonical(value)) is not None), None
        )
        if found is not None:
            iri, kind = found
            r.kind = r.kind or kind
            if kind == r.kind:
                record.resource_types.append(iri)
                continue
            r.warnings.append(
                f"{element_path(el)}: {value!r} is a {kind.lower()} type but the record is a "
                f"{r.kind.lower()}; kept as an alternate type"
            )
        elif (material := codelist("material").canonical(value)) is not None:
            record.materials.append(material)
            continue
        record.alternate_resource_types.append(value)


def _dates(r: _Reader, record: SampleRecord, items: list[Item]) -> None:
    if items:  # one collection time: a second date is left for the not-mapped report
        el, value = items[0]
        record.collection_time = _time_span(r, el, value, record.igsn)
        r.take(el, "collection_time")


def _time_span(r: _Reader, el: etree._Element, value: str, igsn: str) -> TimeSpan:
    where = element_path(el)
    if _DCMI.fullmatch(value):  # a DCMI Period: start=…; end=…; scheme=W3C-DTF; name=…
        parts = _dcmi(value)
        scheme = parts.pop("scheme", "W3C-DTF")
        if scheme.upper() not in ("W3C-DTF", "W3CDTF", "ISO8601"):
            raise r.refuse(el, f"a period in the date scheme {scheme!r}; only W3C-DTF dates are read", igsn)
        start, end = parts.pop("start", None), parts.pop("end", None)
        if start is None and end is None:
            raise r.refuse(el, f"{value!r} is not a date: a DCMI Period names a start or an end", igsn)
        _rest(r, where, parts)
        return TimeSpan(
            start=read_date(start, where, r.warnings) if start else None,
            end=read_date(end, where, r.warnings) if end else None,
        )
    if "/" in value:  # ISO 8601 interval, ".." or nothing for an open end
        start, _, end = (part.strip() for part in value.partition("/"))
        if start in ("", "..") and end in ("", ".."):
            raise r.refuse(el, f"{value!r} is not a date: an interval names a start or an end", igsn)
        return TimeSpan(
            start=None if start in ("", "..") else read_date(start, where, r.warnings),
            end=None if end in ("", "..") else read_date(end, where, r.warnings),
        )
    return TimeSpan(instant=read_date(value, where, r.warnings))


def _coverages(r: _Reader, record: SampleRecord, items: list[Item]) -> None:
    for el, value in items:
        if _is_time(value):
            continue  # a temporal coverage: no place, left for the not-mapped report
        where = element_path(el)
        if _WKT.match(value):
            try:
                notes = read_wkt(value).notes
            except WktError as exc:
                raise r.refuse(el, f"not a geometry we can read: {exc}", record.igsn) from None
            record.geometries.append(Geometry(wkt=value))
            r.warnings.extend(f"{where}: {note}" for note in notes)
            r.take(el, "geometries")
        elif _DCMI.fullmatch(value) and (geometry := _dcmi_geometry(r, el, value, record)) is not None:
            record.geometries.append(geometry)
            r.take(el, "geometries")
        else:
            record.places.append(Place(name=value))
            r.take(el, "places")


def _is_time(value: str) -> bool:
    """A date, an interval of dates or a DCMI Period: what a temporal coverage holds."""
    if w3cdtf(value) is not None:
        return True
    if "/" in value and value.count("/") == 1:
        return all(part.strip() in ("", "..") or w3cdtf(part) is not None for part in value.split("/"))
    return bool(_DCMI.fullmatch(value)) and bool({"start", "end"} & set(_dcmi(value)))


def _dcmi(value: str) -> dict[str, str]:
    """The parts of a DCMI Point, Box or Period, keys lower-cased, empty values left out."""
    return {m.group(1).lower(): m.group(2) for m in _DCMI_PART.finditer(value) if m.group(2)}


_POINT, _BOX = ("east", "north"), ("westlimit", "eastlimit", "southlimit", "northlimit")


def _dcmi_geometry(r: _Reader, el: etree._Element, value: str, record: SampleRecord) -> Geometry | None:
    """A DCMI Point (``east``, ``north``, ``elevation``) or Box (``westlimit`` …) as WKT; None for neither."""
    parts = _dcmi(value)
    keys = _POINT if set(_POINT) <= set(parts) else _BOX if set(_BOX) <= set(parts) else None
    if keys is None:
        return None
    numbers = {key: parts.pop(key) for key in (*keys, "elevation") if key in parts}
    for key, text in numbers.items():
        try:
            Decimal(text)
        except InvalidOperation:
            raise r.refuse(el, f"{key}={text!r} is not a number", record.igsn) from None
    if parts.get("units", _DEGREES).lower() == _DEGREES:
        parts.pop("units", None)
    if parts.get("zunits", "metres").lower() in ("metres", "meters", "m"):
        parts.pop("zunits", None)
    if "name" in parts:
        record.places.append(Place(name=parts.pop("name")))
    srid = parts.pop("projection", None)
    _rest(r, element_path(el), parts)
    if keys == _POINT:
        z = numbers.get("elevation")
        coordinates = f"{numbers['east']} {numbers['north']}" + (f" {z}" if z is not None else "")
        return Geometry(wkt=f"POINT{' Z' if z is not None else ''} ({coordinates})", srid=srid)
    w, e, s, n = (numbers[key] for key in _BOX)
    if "elevation" in numbers:
        r.warnings.append(f"{element_path(el)}: elevation={numbers['elevation']} is not mapped (a box has none)")
    return Geometry(wkt=f"POLYGON (({w} {s}, {e} {s}, {e} {n}, {w} {n}, {w} {s}))", srid=srid)


def _rest(r: _Reader, where: str, parts: dict[str, str]) -> None:
    r.warnings.extend(f"{where}: {key}={value} is not mapped" for key, value in parts.items())


def _relations(r: _Reader, record: SampleRecord, items: list[Item]) -> None:
    for el, value in items:
        kind = identifier_type_of(value)
        if kind is None:
            r.warnings.append(
                f"{element_path(el)}: the form of {value!r} does not say what identifier it is; "
                "kept as a local identifier"
            )
        record.relations.append(
            Relation(
                identifier=value,
                identifier_type=kind or "local",
                relation_type="Other",
                source_relation_type=SOURCE_RELATION,
            )
        )
        r.take(el, "relations")


#: the reader of each crosswalk row, by the record fields the row names (the writer's ``FIELD_VALUES``)
_HANDLERS: dict[tuple[str, ...], Handler] = {
    ("igsn", "doi"): _identifiers,
    ("name",): _title,
    ("description", "comments"): _descriptions,
    ("geometries", "places"): _coverages,
    ("collectors",): _creators,
    ("collection_time",): _dates,
    ("materials",): _formats,
    ("curations",): _publishers,
    ("relations", "parents", "collections"): _relations,
    ("classifications",): _subjects,
    ("resource_types", "alternate_resource_types"): _types,
}


@lru_cache(maxsize=1)
def _crosswalk() -> dict[str, Handler]:
    """Dublin Core element → its reader, for every used row of ``mappings/oai_dc.csv``."""
    out: dict[str, Handler] = {}
    for element, fields in oai_dc.mapping():
        handler = _HANDLERS.get(fields)
        if handler is None:
            raise ValueError(f"mappings/oai_dc.csv: no Dublin Core reader for dc:{element} ({'|'.join(fields)})")
        out[element] = handler
    return out
