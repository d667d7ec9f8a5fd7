"""Small readers shared by the XML kernel modules: element text, identifier types, value patterns."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Mapping

if TYPE_CHECKING:
    from ..record import Relation

from lxml import etree

from ..codelists import codelist

__all__ = ["DATETIME", "HTTP", "text", "identifier_type", "relation"]

#: xs:dateTime (the registration 1.0 timeStamp type and the description kernel's collectionTime)
DATETIME = re.compile(r"-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
HTTP = re.compile(r"https?://\S+", re.I)


def text(el: etree._Element | None) -> str | None:
    """The stripped text of an element; None when absent or blank."""
    if el is None or el.text is None:
        return None
    return el.text.strip() or None


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
