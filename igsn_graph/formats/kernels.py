"""The dispatcher from an XML document to its records, by the format table's rows (``formats.table``).

``detect`` picks a format by the root element's namespace and local name; ``read_xml`` parses bytes with
the safe parser and returns the records with the element each came from and each record's own document.
``read_xml`` also reads OAI-PMH GetRecord and ListRecords responses (``oai_input``): the records of every
payload, by the payload's root, and the samples the response reports deleted.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field

from lxml import etree

from ..errors import InvalidInput, UnsupportedFormat
from ..record import SampleRecord
from ..xmlparser import parse_xml
from . import oai_input
from .table import XML_FORMATS, XmlFormat

__all__ = [
    "XmlFormat",
    "XmlDocument",
    "REGISTRATION",
    "DESCRIPTION",
    "CSIRO",
    "DATACITE",
    "OAI_DC",
    "XML_FORMATS",
    "format_named",
    "detect",
    "read_xml",
]


@dataclass
class XmlDocument:
    """A parsed document: its format, its records, and the element each record was read from.

    For an OAI-PMH response (``envelope`` ``"OAI-PMH"``), ``format`` is that of its payloads — one per
    response, as its metadataPrefix is one — or None when it reports deleted records only; ``deleted``
    names the samples (normal-form IGSNs) whose records the response reports deleted.
    """

    format: XmlFormat | None
    records: list[SampleRecord]
    elements: list[etree._Element]
    data: bytes = field(default=b"", repr=False)
    deleted: list[str] = field(default_factory=list)
    envelope: str | None = None

    def documents(self) -> list[bytes]:
        """Each record's own document, what the registry keeps as submitted: the bytes read when they hold
        one record alone; else the record's payload or, in a batch, the batch's root around just this record,
        so that each reads back in the same format."""
        if self.envelope is None and len(self.records) == 1:
            return [self.data]
        return [
            _alone(el) if el.getparent() is None or el.getparent().tag == _OAI_METADATA else _single(el)
            for el in self.elements
        ]


_OAI_METADATA = f"{{{oai_input.NAMESPACE}}}metadata"


def _alone(element: etree._Element) -> bytes:
    """An element as a document of its own (a copy keeps the namespace declarations it uses)."""
    data: bytes = etree.tostring(deepcopy(element), encoding="utf-8", xml_declaration=True)  # lxml is untyped here
    return data


def _single(element: etree._Element) -> bytes:
    """One record of a batch as a document of its own: the batch's root around just this record."""
    root = element.getparent()
    assert root is not None
    wrapper = etree.Element(root.tag, attrib=dict(root.attrib), nsmap=root.nsmap)
    wrapper.append(deepcopy(element))
    data: bytes = etree.tostring(wrapper, encoding="utf-8", xml_declaration=True)  # lxml is untyped here
    return data


REGISTRATION = XML_FORMATS["igsn"]
DESCRIPTION = XML_FORMATS["igsn_desc"]
CSIRO = XML_FORMATS["csirov3"]
DATACITE = XML_FORMATS["datacite"]
OAI_DC = XML_FORMATS["oai_dc"]


def format_named(name: str) -> XmlFormat:
    """The format called ``name`` (``igsn``, ``igsn_desc``, ``csirov3``, ``datacite``), or ``UnsupportedFormat``."""
    try:
        return XML_FORMATS[name]
    except KeyError:
        raise UnsupportedFormat(f"unknown XML format {name!r}; known: {', '.join(XML_FORMATS)}") from None


def _accepted() -> str:
    return "; ".join(f"{f.root} in {' or '.join(f.namespaces)}" for f in XML_FORMATS.values())


def detect(root: etree._Element) -> XmlFormat:
    """The format of a document from its root element, or ``UnsupportedFormat`` saying what we accept."""
    qname = etree.QName(root)
    for fmt in XML_FORMATS.values():
        if qname.namespace in fmt.namespaces and qname.localname == fmt.root:
            return fmt
    found = f"{{{qname.namespace}}}{qname.localname}" if qname.namespace else f"{qname.localname} (no namespace)"
    raise UnsupportedFormat(
        f"unsupported XML document: root element {found}; accepted: {_accepted()}",
        namespace=qname.namespace,
        root=qname.localname,
    )


def read_xml(data: bytes) -> XmlDocument:
    """Parses ``data`` safely, detects its format and reads every record in it (an OAI-PMH response: every
    record of its payloads, and its deleted ones)."""
    root = parse_xml(data)
    if oai_input.is_response(root):
        return _read_oai(root, data)
    fmt = detect(root)
    return XmlDocument(format=fmt, records=fmt.read(root), elements=fmt.record_elements(root), data=data)


def _read_oai(root: etree._Element, data: bytes) -> XmlDocument:
    """The records and deletions of a GetRecord or ListRecords response (``oai_input``)."""
    doc = XmlDocument(format=None, records=[], elements=[], data=data, envelope=oai_input.ROOT)
    for item in oai_input.items(root):
        if item.payload is None:
            doc.deleted.append(oai_input.sample_named(item))
            continue
        try:
            fmt = detect(item.payload)
        except UnsupportedFormat as exc:
            raise UnsupportedFormat(f"{item.path}/metadata: {exc.message}", **exc.data) from None
        if doc.format is not None and fmt is not doc.format:
            raise InvalidInput(
                f"{item.path}/metadata: a {fmt.name} record in a response of {doc.format.name} "
                "records; an OAI-PMH response carries one metadata format"
            )
        doc.format = fmt
        records = fmt.read(item.payload)
        for record in records:
            record.warnings.extend(item.warnings)
            record.warnings.extend(_header_warnings(item, record))
        doc.records.extend(records)
        doc.elements.extend(fmt.record_elements(item.payload))
    return doc


def _header_warnings(item: oai_input.Item, record: SampleRecord) -> list[str]:
    """A warning when the header identifier names another sample than the record (the record's own wins)."""
    try:
        named = oai_input.sample_named(item)
    except InvalidInput as exc:
        return [f"{exc.message}; the record's own identifier {record.igsn} is used"]
    if named != record.igsn:
        return [
            f"{item.path}/header/identifier: {item.identifier!r} names {named}, the record {record.igsn}; "
            "the record's own identifier is used"
        ]
    return []
