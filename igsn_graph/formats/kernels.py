"""The XML formats we read and write, and the dispatcher from a document to its records.

``detect`` picks a format by the root element's namespace and local name; ``read_xml`` parses bytes with
the safe parser and returns the records with the element each came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from lxml import etree

from ..errors import UnsupportedFormat
from ..record import SampleRecord
from ..xmlparser import parse_xml
from . import csiro, datacite, description_kernel, registration_kernel

__all__ = ["XmlFormat", "XmlDocument", "REGISTRATION", "DESCRIPTION", "CSIRO", "DATACITE", "XML_FORMATS",
           "format_named", "detect", "read_xml"]

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
    """A parsed document: its format, its records, and the element each record was read from."""

    format: XmlFormat
    records: list[SampleRecord]
    elements: list[etree._Element]


REGISTRATION = XmlFormat("igsn", registration_kernel.NAMESPACES, registration_kernel.ROOT, "application/xml",
                         registration_kernel.SCHEMA_LOCATION, registration_kernel.read, registration_kernel.write)
DESCRIPTION = XmlFormat("igsn_desc", description_kernel.NAMESPACES, description_kernel.ROOT, "application/xml",
                        description_kernel.SCHEMA_LOCATION, description_kernel.read, description_kernel.write)
CSIRO = XmlFormat("csirov3", csiro.NAMESPACES, csiro.ROOT, "application/xml", csiro.SCHEMA_LOCATION,
                  csiro.read, None, record_element="resource")
# DataCite's writer needs the IRI base (``datacite.write(record, base_url=…)``), so it is not a ``Writer``
DATACITE = XmlFormat("datacite", datacite.NAMESPACES, datacite.ROOT, "application/xml", datacite.SCHEMA_LOCATION,
                     datacite.read, None)

#: every XML format by name
XML_FORMATS: dict[str, XmlFormat] = {f.name: f for f in (REGISTRATION, DESCRIPTION, CSIRO, DATACITE)}


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
    raise UnsupportedFormat(f"unsupported XML document: root element {found}; accepted: {_accepted()}",
                            namespace=qname.namespace, root=qname.localname)


def read_xml(data: bytes) -> XmlDocument:
    """Parses ``data`` safely, detects its format and reads every record in it."""
    root = parse_xml(data)
    fmt = detect(root)
    records = fmt.read(root)
    if fmt.record_element is None:
        elements = [root]
    else:
        elements = root.findall(f"{{{etree.QName(root).namespace}}}{fmt.record_element}")
    return XmlDocument(format=fmt, records=records, elements=elements)
