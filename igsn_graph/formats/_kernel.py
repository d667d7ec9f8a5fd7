"""Small readers shared by the XML kernel modules: element text, identifier types, value patterns, and the
base of a reader of one namespaced ``resource`` element."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Mapping, Sequence

if TYPE_CHECKING:
    from ..record import Relation

from lxml import etree

from ..codelists import codelist
from ..errors import UnsupportedFormat
from ..xmlparser import element_path

__all__ = ["DATETIME", "HTTP", "NamespacedReader", "text", "identifier_type", "relation", "root_namespace"]

#: xs:dateTime (the registration 1.0 timeStamp type and the description kernel's collectionTime)
DATETIME = re.compile(r"-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
HTTP = re.compile(r"https?://\S+", re.I)


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
            f"expected {name} in {' or '.join(namespaces)}")
    return qname.namespace


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
    return Relation(identifier=parse_igsn(value).name if id_type == "IGSN" else value, identifier_type=id_type,
                    relation_type=canonical, source_relation_type=raw_relation if canonical == "Other" else None)


class NamespacedReader:
    """Finds elements of one namespace below ``root`` by plain paths (``a/b``) and notes where each field
    was read from (``sources``: field → element path, the first place wins)."""

    def __init__(self, root: etree._Element, ns: str) -> None:
        self.root = root
        self.ns = ns
        self.sources: dict[str, str] = {}

    def q(self, path: str) -> str:
        return "/".join(f"{{{self.ns}}}{part}" for part in path.split("/"))

    def find(self, parent: etree._Element, path: str) -> etree._Element | None:
        return parent.find(self.q(path))

    def findall(self, parent: etree._Element, path: str) -> list[etree._Element]:
        return parent.findall(self.q(path))

    def note(self, field: str, el: etree._Element | None, attribute: str | None = None) -> None:
        if el is not None and field not in self.sources:
            self.sources[field] = element_path(el) + (f"/@{attribute}" if attribute else "")
