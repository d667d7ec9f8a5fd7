"""IGSN registration kernel XML (root ``sample``) ⇄ ``SampleRecord``.

Reads namespace 1.0 (``http://igsn.org/schema/kernel-v.1.0``), 0.3 (``…/kernel-v.0.3``, identical but for the
namespace) and the 1.1 draft (``http://schema.igsn.org/registration/1.1``, never accepted by the IGSN registry
but published with an example); writes 1.0 only. The 1.1 draft differs in three ways (IGSN.md §4): its
related identifiers are ``relatedResourceIdentifier`` elements, their types include ``igsn``, and log
time stamps are W3CDTF (a year, year-month, date, or date-time to the minute or second).

What is read: ``sampleNumber`` (any written form, normalised), ``registrant`` (name and name identifier),
the related identifiers (lower-case kernel identifier types → DataCite names, relation types canonicalised;
unknown values kept as written) and every ``log/logElement`` (event, timeStamp, comment, text).

Accepted with a warning in ``record.warnings``, because their meaning is clear (issue 13):

* a ``logElement`` with an empty or missing ``timeStamp`` (MARUM records, which the IGSN registry accepted
  for years): the graph and the shapes need a date on every log event, so the event is left out of the
  record and the warning says which (the submitted document keeps it);
* a 1.0/0.3 time stamp that is a W3CDTF date but not the ``xs:dateTime`` the schema asks for (``2020``,
  ``2020-05-17``, ``2020-05-17T10:00``): kept (to the minute gets ``:00`` seconds);
* an ``xsi:schemaLocation`` pointing at another kernel version's schema (the GFZ MDS fixture
  ``igsn-v1.0.xml``: the 0.3 namespace with the 1.0 schema): the namespace decides;
* the related-identifier element of the other version (``relatedResourceIdentifier`` in 1.0 or the reverse);
* any other element or attribute: ``not mapped: <path>``.

Refused (``InvalidRecord`` naming the element or attribute): no ``sampleNumber``, and a ``timeStamp`` that is
present but not a date.

What ``write`` cannot express and therefore leaves out:

* everything but the IGSN, the registrant, relations and the log (the kernel has no other element);
* ``sampleNumber`` is always the handle ``10273/<NAME>``;
* a registrant identifier whose scheme is not ORCID, ISNI, VIAF or ResearcherID (the name is kept);
* a relation whose identifier type is outside doi/handle/lsid/url/urn — unless its value is an http(s)
  URL, which is then written as ``url`` — or whose relation type is outside the kernel's eleven; the
  whole relation is left out rather than written without its meaning. Parents and collections
  (IGSNs) have no place in 1.0 and are not written;
* a log event that is not one of ``LOG_EVENTS`` or whose timestamp is not an ``xs:dateTime``
  (e.g. a bare year from a CSIRO record or a 1.1 document).

The kernel requires a registrant and at least one log element; the registry fills both before it stores
a record, so ``write`` raises ``ValueError`` when either is missing instead of emitting an invalid
document.
"""

from __future__ import annotations

from lxml import etree

from ..errors import InvalidRecord
from ..identifiers import HANDLE_PREFIX, parse_igsn
from ..record import LOG_EVENTS, Agent, Identifier, LogEvent, Relation, SampleRecord
from ..xmlparser import element_path
from ._kernel import DATETIME as _DATETIME
from ._kernel import HTTP as _HTTP
from ._kernel import XSI as _XSI
from ._kernel import identifier_type as _identifier_type
from ._kernel import relation as _relation
from ._kernel import root_namespace
from ._kernel import schema_locations as _schema_locations
from ._kernel import text as _text
from ._kernel import w3cdtf as _w3cdtf
from ._unmapped import ReadLog

__all__ = [
    "NS_1_0",
    "NS_0_3",
    "NS_1_1",
    "NAMESPACES",
    "SCHEMAS",
    "ROOT",
    "SCHEMA_LOCATION",
    "RELATED_IDENTIFIER_TYPES",
    "NAME_IDENTIFIER_SCHEMES",
    "RELATION_TYPES",
    "read",
    "write",
]

NS_1_0 = "http://igsn.org/schema/kernel-v.1.0"
NS_0_3 = "http://igsn.org/schema/kernel-v.0.3"
NS_1_1 = "http://schema.igsn.org/registration/1.1"
#: namespaces read, the written one first
NAMESPACES = (NS_1_0, NS_0_3, NS_1_1)
ROOT = "sample"
#: the published schema of each namespace, as documents name it in xsi:schemaLocation
SCHEMAS = {
    NS_1_0: "http://doidb.wdc-terra.org/igsn/schemas/igsn.org/schema/1.0/igsn.xsd",
    NS_0_3: "http://doidb.wdc-terra.org/igsn/schemas/igsn.org/schema/0.3/igsn.xsd",
    NS_1_1: "http://schema.igsn.org/registration/1.1/igsn.xsd",
}
SCHEMA_LOCATION = f"{NS_1_0} {SCHEMAS[NS_1_0]}"

#: kernel relatedIdentifierType → DataCite identifier type (1.0's whole enumeration, the one written; 1.1's
#: ``igsn`` is read through the identifier-type code list like any other written type)
RELATED_IDENTIFIER_TYPES = {"doi": "DOI", "handle": "Handle", "lsid": "LSID", "url": "URL", "urn": "URN"}
#: kernel nameIdentifierScheme → DataCite identifier type
NAME_IDENTIFIER_SCHEMES = {"orcid": "ORCID", "isni": "ISNI", "viaf": "VIAF", "researcherID": "ResearcherID"}
#: the kernel's relationType enumeration (already DataCite names)
RELATION_TYPES = frozenset(
    {
        "IsCitedBy",
        "IsPartOf",
        "HasPart",
        "IsReferencedBy",
        "References",
        "IsDocumentedBy",
        "Documents",
        "IsCompiledBy",
        "Compiles",
        "IsVariantFormOf",
        "IsOriginalFormOf",
    }
)

_WRITTEN_ID_TYPES = {v: k for k, v in RELATED_IDENTIFIER_TYPES.items()}
_WRITTEN_SCHEMES = {v: k for k, v in NAME_IDENTIFIER_SCHEMES.items()}
#: the related-identifier element of each namespace (1.1 renamed it)
_RELATED = {NS_1_0: "relatedIdentifier", NS_0_3: "relatedIdentifier", NS_1_1: "relatedResourceIdentifier"}


def read(root: etree._Element) -> list[SampleRecord]:
    """The one record of a ``sample`` document (a list, like every kernel reader). Every value read is noted in
    a ``ReadLog``; whatever carries a value and was not read is reported ``not mapped``."""
    ns = root_namespace(root, "an IGSN registration kernel", ROOT, NAMESPACES)
    log = ReadLog()

    def q(name: str) -> str:
        return f"{{{ns}}}{name}"

    def text(el: etree._Element | None) -> str | None:
        if el is not None:
            log.took(el)
        return _text(el)

    def attr(el: etree._Element, name: str) -> str | None:
        log.took_attribute(el, name)
        value: str | None = el.get(name)  # lxml is untyped here
        return value

    sources: dict[str, str] = {}

    def note(field: str, el: etree._Element) -> None:
        sources.setdefault(field, element_path(el))

    number = root.find(q("sampleNumber"))
    value = text(number)
    if value is None or number is None:
        raise InvalidRecord(f"{element_path(root)}: sampleNumber is missing or empty")
    attr(number, "identifierType")  # the value says what it is: write types it back
    written = parse_igsn(value)
    record = SampleRecord(igsn=written.name)
    record.handle_prefix = written.handle_prefix
    note("igsn", number)
    record.warnings.extend(_schema_location_warnings(root, ns))

    registrant = root.find(q("registrant"))
    name = text(registrant.find(q("registrantName"))) if registrant is not None else None
    if registrant is not None and name is not None:
        id_el = registrant.find(q("nameIdentifier"))
        identifier = None
        id_value = text(id_el)
        if id_el is not None and id_value is not None:
            scheme = attr(id_el, "nameIdentifierScheme")
            identifier = Identifier(id_value, NAME_IDENTIFIER_SCHEMES.get(scheme or "") or _identifier_type(scheme))
        record.registrant = Agent(name=name, identifier=identifier)
        note("registrant", registrant)
    elif registrant is not None and len(registrant):
        record.warnings.append(
            f"{element_path(registrant)}: no registrantName; the registrant is not mapped "
            "(the registry names the registering agent)"
        )

    for el in root.iterfind(f"{q('relatedResourceIdentifiers')}/*"):
        local = etree.QName(el).localname
        if etree.QName(el).namespace != ns or local not in ("relatedIdentifier", "relatedResourceIdentifier"):
            continue  # reported as not mapped
        if local != _RELATED[ns]:
            record.warnings.append(
                f"{element_path(el)}: {local} is not the element of this kernel version "
                f"({_RELATED[ns]}); read as a related identifier"
            )
        value = text(el)
        id_type, relation_type = attr(el, "relatedIdentifierType"), attr(el, "relationType")
        if value is None:
            if el.attrib:
                record.warnings.append(f"{element_path(el)}: empty related identifier; left out")
            continue
        record.relations.append(_relation(value, _identifier_type(id_type), relation_type))
        note("relations", el)

    for el in root.iterfind(f"{q('log')}/{q('logElement')}"):
        event = LogEvent(
            event=(attr(el, "event") or "").strip(),
            timestamp=_timestamp(el, ns, record.warnings),
            comment=attr(el, "comment"),
            text=text(el),
        )
        log.took_attribute(el, "timeStamp")  # read by _timestamp
        if event.timestamp:
            record.log.append(event)
            note("log", el)

    record.warnings.extend(log.unmapped(root))
    record.source_elements = sources
    return [record]


def _timestamp(el: etree._Element, ns: str, warnings: list[str]) -> str:
    """The ``timeStamp`` of a ``logElement`` as the graph takes it; "" (and a warning) when it is empty, so the
    caller leaves the event out; ``InvalidRecord`` when it is not a date."""
    where = f"{element_path(el)}/@timeStamp"
    raw = (el.get("timeStamp") or "").strip()
    event = (el.get("event") or "").strip() or "(no event)"
    if not raw:
        lost = f"; the sample's {event} state is not recorded" if event in ("deprecated", "destroyed") else ""
        warnings.append(
            f"{where}: {'empty' if 'timeStamp' in el.attrib else 'no'} time stamp; the "
            f"{event!r} event is left out of the description (a log event needs a date){lost}"
        )
        return ""
    value = _w3cdtf(raw)
    if value is None:
        raise InvalidRecord(
            f"{where}: {raw!r} is not a date (a year 2020, year-month 2020-05, date 2020-05-17 "
            "or date-time 2020-05-17T10:00:00Z)"
        )
    if ns != NS_1_1 and not _DATETIME.fullmatch(raw):
        warnings.append(
            f"{where}: {raw!r} is not the xs:dateTime kernel {_version(ns)} asks for; read as the date {value}"
        )
    return value


def _version(ns: str) -> str:
    return {NS_1_0: "1.0", NS_0_3: "0.3", NS_1_1: "1.1"}[ns]


def _schema_location_warnings(root: etree._Element, ns: str) -> list[str]:
    """A warning for each ``xsi:schemaLocation`` pair that names the schema of another kernel version than
    the document's namespace (a known mismatch of real records: the namespace decides)."""
    warnings = []
    versions = {location: namespace for namespace, location in SCHEMAS.items()}
    for namespace, location in _schema_locations(root):
        meant = versions.get(location)
        if meant is not None and (meant != ns or namespace != ns):
            warnings.append(
                f"{element_path(root)}/@xsi:schemaLocation: {namespace} is paired with the kernel "
                f"{_version(meant)} schema {location}; read as kernel {_version(ns)}, the document's "
                "namespace"
            )
    return warnings


def _sub(parent: etree._Element, name: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, f"{{{NS_1_0}}}{name}", attrs)
    if text is not None:
        el.text = text
    return el


def _written_relation(relation: Relation) -> tuple[str | None, str | None] | None:
    """(relatedIdentifierType, relationType) as the kernel writes them, or None when inexpressible."""
    id_type: str | None = None
    if relation.identifier_type is not None:
        id_type = _WRITTEN_ID_TYPES.get(_identifier_type(relation.identifier_type) or "")
        if id_type is None:
            if not _HTTP.fullmatch(relation.identifier):
                return None
            id_type = "url"
    if relation.relation_type is not None and relation.relation_type not in RELATION_TYPES:
        return None
    return id_type, relation.relation_type


def write(record: SampleRecord) -> etree._Element:
    """A registration kernel 1.0 ``sample`` element for ``record`` (see the module docstring for losses)."""
    if record.registrant is None:
        raise ValueError(f"{record.igsn}: the registration kernel needs a registrant")
    events = [e for e in record.log if e.event in LOG_EVENTS and _DATETIME.fullmatch(e.timestamp)]
    if not events:
        raise ValueError(f"{record.igsn}: the registration kernel needs a log event with an xs:dateTime")

    root = etree.Element(f"{{{NS_1_0}}}{ROOT}", nsmap={None: NS_1_0, "xsi": _XSI})
    root.set(f"{{{_XSI}}}schemaLocation", SCHEMA_LOCATION)
    _sub(root, "sampleNumber", f"{HANDLE_PREFIX}/{record.igsn}", identifierType="igsn")

    registrant = _sub(root, "registrant")
    _sub(registrant, "registrantName", record.registrant.name)
    ident = record.registrant.identifier
    scheme = _WRITTEN_SCHEMES.get(_identifier_type(ident.scheme) or "") if ident else None
    if ident is not None and scheme is not None:
        _sub(registrant, "nameIdentifier", ident.value, nameIdentifierScheme=scheme)

    written = [(r, _written_relation(r)) for r in record.relations]
    if any(types is not None for _, types in written):
        container = _sub(root, "relatedResourceIdentifiers")
        for relation, types in written:
            if types is None:
                continue
            id_type, relation_type = types
            attrs = {}
            if id_type is not None:
                attrs["relatedIdentifierType"] = id_type
            if relation_type is not None:
                attrs["relationType"] = relation_type
            _sub(container, "relatedIdentifier", relation.identifier, **attrs)

    log = _sub(root, "log")
    for event in events:
        attrs = {"event": event.event, "timeStamp": event.timestamp}
        if event.comment is not None:
            attrs["comment"] = event.comment
        _sub(log, "logElement", event.text, **attrs)
    return root
