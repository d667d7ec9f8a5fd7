"""Small readers shared by the XML kernel modules: element text, identifier types, value patterns, W3CDTF
dates, the "not mapped" report, and the base of a reader of one namespaced ``resource`` element."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Mapping, Sequence

if TYPE_CHECKING:
    from ..record import Relation

from lxml import etree

from ..codelists import codelist
from ..errors import UnsupportedFormat
from ..vocab import XSD
from ..xmlparser import element_path
from ._unmapped import ReadLog

__all__ = [
    "DATETIME",
    "HTTP",
    "XSI",
    "NamespacedReader",
    "text",
    "identifier_type",
    "relation",
    "root_namespace",
    "w3cdtf",
    "schema_locations",
]

#: xs:dateTime (the registration 1.0 timeStamp type and the description kernel's collectionTime)
DATETIME = re.compile(r"-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
HTTP = re.compile(r"https?://\S+", re.I)
XSI = "http://www.w3.org/2001/XMLSchema-instance"
# W3CDTF with minutes but no seconds (the registration 1.1 draft's dateTimeWithoutMinutes… types)
_MINUTES = re.compile(r"(-?\d{4,}-\d\d-\d\dT\d\d:\d\d)(Z|[+-]\d\d:\d\d)?")


def text(el: etree._Element | None) -> str | None:
    """The stripped text of an element; None when absent or blank."""
    if el is None or el.text is None:
        return None
    return el.text.strip() or None


def root_namespace(root: etree._Element, what: str, name: str, namespaces: Sequence[str]) -> str:
    """The namespace of ``root`` when it is a ``name`` element in one of ``namespaces``; else
    ``UnsupportedFormat`` saying the document is not ``what`` (e.g. "a DataCite resource")."""
    qname = etree.QName(root)
    if qname.namespace not in namespaces or qname.localname != name:
        raise UnsupportedFormat(
            f"not {what}: root element {{{qname.namespace or ''}}}{qname.localname}; "
            f"expected {name} in {' or '.join(namespaces)}"
        )
    namespace: str = qname.namespace  # one of ``namespaces``; lxml is untyped here
    return namespace


def identifier_type(raw: str | None, aliases: Mapping[str, str] | None = None) -> str | None:
    """Any written identifier type → its DataCite name; unknown values are kept as written."""
    if raw is None:
        return None
    raw = raw.strip()
    if aliases:
        raw = aliases.get(raw, raw)
    ids = codelist("identifier_type")
    iri = ids.canonical(raw)
    return ids.notation(iri) if iri else raw


def relation(value: str, id_type: str | None, raw_relation: str | None) -> "Relation":
    """A related identifier as read from a kernel: canonical relation type, the kernel's own term kept
    when it has no DataCite equivalent, IGSNs in normal form."""
    from ..codelists import relation_types
    from ..identifiers import parse_igsn
    from ..record import Relation

    canonical = relation_types().canonical(raw_relation) or raw_relation
    return Relation(
        identifier=parse_igsn(value).name if id_type == "IGSN" else value,
        identifier_type=id_type,
        relation_type=canonical,
        source_relation_type=raw_relation if canonical == "Other" else None,
    )


def w3cdtf(value: str) -> str | None:
    """``value`` as the graph and the shapes take a date (year, year-month, date or date-time), or None when
    it is not one.

    A date-time written to the minute (``1997-07-16T19:20+01:00``, W3CDTF and the registration 1.1 draft allow
    it) gets ``:00`` seconds, the same instant; the calendar decides (no 2021-02-29), as ``graph.date_literal``.
    """
    from .graph import date_literal

    value = value.strip()
    m = _MINUTES.fullmatch(value)
    if m is not None:
        value = f"{m.group(1)}:00{m.group(2) or ''}"
    return value if date_literal(value).datatype != XSD.string else None


def schema_locations(root: etree._Element) -> list[tuple[str, str]]:
    """The (namespace, location) pairs of ``root``'s ``xsi:schemaLocation``, in document order."""
    words = (root.get(f"{{{XSI}}}schemaLocation") or "").split()
    return list(zip(words[0::2], words[1::2], strict=False))


class NamespacedReader:
    """Finds elements of one namespace below ``root`` by plain paths (``a/b``), notes where each field
    was read from (``sources``: field → element path, the first place wins) and logs each value taken
    (``text``, ``attr``: ``log.unmapped`` then names every value that was not)."""

    def __init__(self, root: etree._Element, ns: str) -> None:
        self.root = root
        self.ns = ns
        self.sources: dict[str, str] = {}
        self.log = ReadLog()

    def text(self, el: etree._Element | None) -> str | None:
        """The stripped text of an element (None when absent or blank), logged as read."""
        if el is not None:
            self.log.took(el)
        return text(el)

    def attr(self, el: etree._Element, name: str) -> str | None:
        """An attribute as written (None when absent), logged as read."""
        self.log.took_attribute(el, name)
        value: str | None = el.get(name)
        return value

    def q(self, path: str) -> str:
        return "/".join(f"{{{self.ns}}}{part}" for part in path.split("/"))

    def find(self, parent: etree._Element, path: str) -> etree._Element | None:
        return parent.find(self.q(path))

    def findall(self, parent: etree._Element, path: str) -> list[etree._Element]:
        found: list[etree._Element] = parent.findall(self.q(path))  # lxml is untyped here
        return found

    def note(self, field: str, el: etree._Element | None, attribute: str | None = None) -> None:
        if el is not None and field not in self.sources:
            self.sources[field] = element_path(el) + (f"/@{attribute}" if attribute else "")
