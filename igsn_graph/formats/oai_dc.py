"""Sample → ``oai_dc`` (simple Dublin Core), driven row by row by ``mappings/oai_dc.csv``.

The table (IGSN.md §7) names, per Dublin Core element, the record fields it is filled from; elements
marked "not used" stay out. ``dc:identifier`` is the persistent IGSN URI (IRI base + name) and the DOI URI
when the sample has a DOI; samples named as parents, collections or relations are their persistent IRIs too.
Never the address this server answers on: a document must not change when the server moves.
Vocabulary values (material, sample type) are the concept IRIs; sample types given as text follow them.
``dc:publisher`` names the curators, or the curating institutions when no curator is named. A related
resource is an IRI when it is one or its identifier type has a resolver, and otherwise its value as
written: never a URI built around text that makes no IRI (a DOI with a space in it).
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from typing import Callable
from urllib.parse import quote

from lxml import etree
from pyoxigraph import NamedNode

from ..record import Relation, SampleRecord
from ..resources import mappings_dir
from .xmltext import clean

__all__ = ["NS_OAI_DC", "NS_DC", "SCHEMA", "SCHEMA_LOCATION", "mapping", "values", "write", "FIELD_VALUES"]

NS_OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
NS_DC = "http://purl.org/dc/elements/1.1/"
SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
SCHEMA_LOCATION = f"{NS_OAI_DC} {SCHEMA}"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_NSMAP = {"oai_dc": NS_OAI_DC, "dc": NS_DC, "xsi": _XSI}

#: resolvers for related identifiers written as URIs, by DataCite identifier type
_RESOLVERS = {
    "DOI": "https://doi.org/",
    "Handle": "https://hdl.handle.net/",
    "ARK": "https://n2t.net/",
    "PMID": "https://pubmed.ncbi.nlm.nih.gov/",
    "arXiv": "https://arxiv.org/abs/",
    "ORCID": "https://orcid.org/",
}
_AS_IS = {"URL", "URI", "PURL", "w3id"}
#: characters no IRI holds; in a web address a person wrote they mean themselves, percent-encoded
_NOT_IN_IRIS = re.compile(r"[\s<>\"{}|\\^`]|%(?![0-9A-Fa-f]{2})")


def _is_url(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def _iri(text: str) -> str | None:
    """``text`` when it is an absolute IRI, else None."""
    try:
        NamedNode(text)
    except ValueError:
        return None
    return text


def _relation_value(relation: Relation, iri_base: str) -> str:
    """A related resource as an IRI (the sample's persistent IRI, a web address, a resolver URI,
    ``<scheme>:<value>``); when none can be made of it, its value as written, as text."""
    value, kind = relation.identifier.strip(), relation.identifier_type
    if relation.igsn is not None:  # an IGSN in any written form (links.resolve)
        candidate = iri_base + relation.igsn
    elif _is_url(value):
        candidate = _NOT_IN_IRIS.sub(lambda m: quote(m.group()), value)
    elif kind in _AS_IS or not kind:
        return value
    elif kind == "IGSN":
        candidate = iri_base + value
    elif kind in _RESOLVERS:
        candidate = _RESOLVERS[kind] + value
    else:
        candidate = f"{kind.lower()}:{value}"
    return _iri(candidate) or value


def _time(record: SampleRecord) -> list[str]:
    t = record.collection_time
    if t is None:
        return []
    if t.instant:
        return [t.instant]
    if t.start or t.end:
        return [f"{t.start or '..'}/{t.end or '..'}"]  # ISO 8601 interval, open ends as ".."
    return []


def _publishers(record: SampleRecord) -> list[str]:
    curators = [c.curator for c in record.curations if c.curator]
    return curators or [c.institution.name for c in record.curations if c.institution and c.institution.name]


#: record field → its values as Dublin Core text (the table's ``record_field`` column names these)
#: (the second argument is the IRI base, which makes samples' persistent IRIs)
FIELD_VALUES: dict[str, Callable[[SampleRecord, str], list[str]]] = {
    "geometries": lambda r, b: [g.wkt for g in r.geometries],
    "places": lambda r, b: [p.name for p in r.places if p.name],
    "collectors": lambda r, b: [a.name for a in r.collectors],
    "collection_time": lambda r, b: _time(r),
    "description": lambda r, b: [r.description] if r.description else [],
    "comments": lambda r, b: [r.comments] if r.comments else [],
    "materials": lambda r, b: list(r.materials),
    "igsn": lambda r, b: [b + r.igsn],
    "doi": lambda r, b: [r.doi if _is_url(r.doi) else "https://doi.org/" + r.doi] if r.doi else [],
    "curations": lambda r, b: _publishers(r),
    "relations": lambda r, b: [_relation_value(x, b) for x in r.relations],
    "parents": lambda r, b: [b + p for p in r.parents],
    "collections": lambda r, b: [b + c for c in r.collections],
    "classifications": lambda r, b: [c.label for c in r.classifications if c.label],
    "name": lambda r, b: [r.name] if r.name else [],
    "resource_types": lambda r, b: list(r.resource_types),
    "alternate_resource_types": lambda r, b: list(r.alternate_resource_types),
}


@lru_cache(maxsize=1)
def mapping() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(Dublin Core element, record fields) per used row of the table, in table order."""
    rows: list[tuple[str, tuple[str, ...]]] = []
    with open(mappings_dir() / "oai_dc.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["note"].strip() == "not used" or not row["record_field"].strip():
                continue
            names = tuple(n for n in row["record_field"].split("|") if n)
            unknown = [n for n in names if n not in FIELD_VALUES]
            if unknown:
                raise ValueError(f"mappings/oai_dc.csv: no Dublin Core writer for record field(s) {unknown}")
            rows.append((row["dc_element"], names))
    return tuple(rows)


def values(record: SampleRecord, iri_base: str) -> list[tuple[str, str]]:
    """(element, text) pairs for the record, in table order, duplicates and blanks removed."""
    out: list[tuple[str, str]] = []
    for element, names in mapping():
        seen: set[str] = set()
        for name in names:
            for value in FIELD_VALUES[name](record, iri_base):
                text = clean(value).strip()
                if text and text not in seen:
                    seen.add(text)
                    out.append((element, text))
    return out


def write(record: SampleRecord, *, iri_base: str) -> etree._Element:
    """The ``oai_dc:dc`` element of a sample; ``iri_base`` (fixed at ``init``) gives samples their persistent IRIs."""
    root = etree.Element(f"{{{NS_OAI_DC}}}dc", nsmap=_NSMAP)
    root.set(f"{{{_XSI}}}schemaLocation", SCHEMA_LOCATION)
    for element, text in values(record, iri_base):
        etree.SubElement(root, f"{{{NS_DC}}}{element}").text = text
    return root
