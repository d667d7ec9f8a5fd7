"""IGSN registration kernel XML (root ``sample``) ⇄ ``SampleRecord``.

Reads namespace 1.0 (``http://igsn.org/schema/kernel-v.1.0``) and 0.3 (``…/kernel-v.0.3``, identical but
for the namespace); writes 1.0 only. The draft 1.1 (``http://schema.igsn.org/registration/1.1``) was never
accepted by the IGSN registry and is not read.

What is read: ``sampleNumber`` (any written form, normalised), ``registrant`` (name and name identifier),
``relatedResourceIdentifiers/relatedIdentifier`` (lower-case kernel identifier types → DataCite names,
relation types canonicalised; unknown values kept as written) and every ``log/logElement`` (event,
timeStamp, comment, text).

What ``write`` cannot express and therefore leaves out:

* everything but the IGSN, the registrant, relations and the log (the kernel has no other element);
* ``sampleNumber`` is always the handle ``10273/<NAME>``;
* a registrant identifier whose scheme is not ORCID, ISNI, VIAF or ResearcherID (the name is kept);
* a relation whose identifier type is outside doi/handle/lsid/url/urn — unless its value is an http(s)
  URL, which is then written as ``url`` — or whose relation type is outside the kernel's eleven; the
  whole relation is left out rather than written without its meaning. Parents and collections
  (IGSNs) have no place in 1.0 and are not written;
* a log event that is not one of ``LOG_EVENTS`` or whose timestamp is not an ``xs:dateTime``
  (e.g. a bare year from a CSIRO record).

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
from ._kernel import identifier_type as _identifier_type
from ._kernel import relation as _relation
from ._kernel import text as _text
from ._kernel import root_namespace

__all__ = [
    "NS_1_0", "NS_0_3", "NAMESPACES", "ROOT", "SCHEMA_LOCATION", "RELATED_IDENTIFIER_TYPES",
    "NAME_IDENTIFIER_SCHEMES", "RELATION_TYPES", "read", "write",
]

NS_1_0 = "http://igsn.org/schema/kernel-v.1.0"
NS_0_3 = "http://igsn.org/schema/kernel-v.0.3"
#: namespaces read, the written one first
NAMESPACES = (NS_1_0, NS_0_3)
ROOT = "sample"
SCHEMA_LOCATION = f"{NS_1_0} http://doidb.wdc-terra.org/igsn/schemas/igsn.org/schema/1.0/igsn.xsd"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"

#: kernel relatedIdentifierType → DataCite identifier type (the kernel's whole enumeration)
RELATED_IDENTIFIER_TYPES = {"doi": "DOI", "handle": "Handle", "lsid": "LSID", "url": "URL", "urn": "URN"}
#: kernel nameIdentifierScheme → DataCite identifier type
NAME_IDENTIFIER_SCHEMES = {"orcid": "ORCID", "isni": "ISNI", "viaf": "VIAF", "researcherID": "ResearcherID"}
#: the kernel's relationType enumeration (already DataCite names)
RELATION_TYPES = frozenset({
    "IsCitedBy", "IsPartOf", "HasPart", "IsReferencedBy", "References", "IsDocumentedBy", "Documents",
    "IsCompiledBy", "Compiles", "IsVariantFormOf", "IsOriginalFormOf",
})

_WRITTEN_ID_TYPES = {v: k for k, v in RELATED_IDENTIFIER_TYPES.items()}
_WRITTEN_SCHEMES = {v: k for k, v in NAME_IDENTIFIER_SCHEMES.items()}
# xs:dateTime: the 1.0 timeStamp type (W3CDTF partial dates only arrived with the 1.1 draft)




def read(root: etree._Element) -> list[SampleRecord]:
    """The one record of a ``sample`` document (a list, like every kernel reader)."""
    ns = root_namespace(root, "an IGSN registration kernel", ROOT, NAMESPACES)

    def q(name: str) -> str:
        return f"{{{ns}}}{name}"

    sources: dict[str, str] = {}

    def note(field: str, el: etree._Element) -> None:
        sources.setdefault(field, element_path(el))

    number = root.find(q("sampleNumber"))
    if _text(number) is None:
        raise InvalidRecord(f"{element_path(root)}: sampleNumber is missing or empty")
    assert number is not None and number.text is not None
    record = SampleRecord(igsn=parse_igsn(number.text.strip()).name)
    note("igsn", number)

    registrant = root.find(q("registrant"))
    name = _text(registrant.find(q("registrantName"))) if registrant is not None else None
    if registrant is not None and name is not None:
        id_el = registrant.find(q("nameIdentifier"))
        identifier = None
        if _text(id_el) is not None:
            assert id_el is not None
            scheme = id_el.get("nameIdentifierScheme")
            identifier = Identifier(_text(id_el) or "", NAME_IDENTIFIER_SCHEMES.get(scheme or "")
                                    or _identifier_type(scheme))
        record.registrant = Agent(name=name, identifier=identifier)
        note("registrant", registrant)

    for el in root.iterfind(f"{q('relatedResourceIdentifiers')}/{q('relatedIdentifier')}"):
        value = _text(el)
        if value is None:
            continue
        record.relations.append(_relation(value, _identifier_type(el.get("relatedIdentifierType")),
                                          el.get("relationType")))
        note("relations", el)

    for el in root.iterfind(f"{q('log')}/{q('logElement')}"):
        record.log.append(LogEvent(event=(el.get("event") or "").strip(),
                                   timestamp=(el.get("timeStamp") or "").strip(),
                                   comment=el.get("comment"), text=_text(el)))
        note("log", el)

    record.source_elements = sources
    return [record]


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
