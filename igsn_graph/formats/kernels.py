"""The XML formats we read and write, and the dispatcher from a document to its records.

``detect`` picks a format by the root element's namespace and local name; ``read_xml`` parses bytes with
the safe parser and returns the records with the element each came from and each record's own document.
``read_xml`` also reads OAI-PMH GetRecord and ListRecords responses (``oai_input``): the records of every
payload, by the payload's root, and the samples the response reports deleted.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field
from typing import Callable

from lxml import etree

from ..errors import InvalidInput, UnsupportedFormat
from ..record import SampleRecord
from ..xmlparser import parse_xml
from . import ardc, csiro, csiro_v2, datacite, dc_reader, description_kernel, oai_input, registration_kernel

__all__ = [
    "XmlFormat",
    "XmlDocument",
    "REGISTRATION",
    "DESCRIPTION",
    "CSIRO",
    "DATACITE",
    "XML_FORMATS",
    "format_named",
    "detect",
    "read_xml",
]

Reader = Callable[[etree._Element], list[SampleRecord]]
Writer = Callable[[SampleRecord], etree._Element]


@dataclass(frozen=True)
class XmlFormat:
    """One XML kernel: where it is recognised, how it is announced, and its reader and writer.

    ``namespaces`` are those read, the one written first; ``write`` is None for read-only formats.
    ``record_element`` is the local name of each record's element below the root, None when the root
    is the record.
    """

    name: str
    namespaces: tuple[str, ...]
    root: str
    media_type: str
    schema_location: str
    read: Reader = field(repr=False)
    write: Writer | None = field(repr=False)
    record_element: str | None = None

    @property
    def namespace(self) -> str:
        """The namespace written."""
        return self.namespaces[0]


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


REGISTRATION = XmlFormat(
    "igsn",
    registration_kernel.NAMESPACES,
    registration_kernel.ROOT,
    "application/xml",
    registration_kernel.SCHEMA_LOCATION,
    registration_kernel.read,
    registration_kernel.write,
)
DESCRIPTION = XmlFormat(
    "igsn_desc",
    description_kernel.NAMESPACES,
    description_kernel.ROOT,
    "application/xml",
    description_kernel.SCHEMA_LOCATION,
    description_kernel.read,
    description_kernel.write,
)
CSIRO = XmlFormat(
    "csirov3",
    csiro.NAMESPACES,
    csiro.ROOT,
    "application/xml",
    csiro.SCHEMA_LOCATION,
    csiro.read,
    None,
    record_element="resource",
)
# DataCite's writer needs the IRI base (``datacite.write(record, iri_base=…)``), so it is not a ``Writer``
DATACITE = XmlFormat(
    "datacite", datacite.NAMESPACES, datacite.ROOT, "application/xml", datacite.SCHEMA_LOCATION, datacite.read, None
)
# ARDC descriptive 1.0 succeeds CSIRO v3; CSIRO v2 shares the registration kernel 1.0 namespace (root samples)
ARDC = XmlFormat(
    "ardc",
    ardc.NAMESPACES,
    ardc.ROOT,
    "application/xml",
    ardc.SCHEMA_LOCATION,
    ardc.read,
    None,
    record_element="resource",
)
CSIRO_V2 = XmlFormat(
    "csirov2",
    csiro_v2.NAMESPACES,
    csiro_v2.ROOT,
    "application/xml",
    csiro_v2.SCHEMA_LOCATION,
    csiro_v2.read,
    None,
    record_element="sample",
)
# Dublin Core, what every OAI-PMH provider offers: read here; written by oai_dc.write, which needs the IRI base
OAI_DC = XmlFormat(
    "oai_dc", dc_reader.NAMESPACES, dc_reader.ROOT, "application/xml", dc_reader.SCHEMA_LOCATION, dc_reader.read, None
)

#: every XML format by name
XML_FORMATS: dict[str, XmlFormat] = {
    f.name: f for f in (REGISTRATION, DESCRIPTION, CSIRO, DATACITE, ARDC, CSIRO_V2, OAI_DC)
}


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
    return XmlDocument(format=fmt, records=fmt.read(root), elements=_record_elements(fmt, root), data=data)


def _record_elements(fmt: XmlFormat, root: etree._Element) -> list[etree._Element]:
    if fmt.record_element is None:
        return [root]
    found: list[etree._Element] = root.findall(f"{{{etree.QName(root).namespace}}}{fmt.record_element}")
    return found


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
        doc.elements.extend(_record_elements(fmt, item.payload))
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
