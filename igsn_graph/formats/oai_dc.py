"""Sample → ``oai_dc`` (simple Dublin Core), driven row by row by ``mappings/oai_dc.csv``.

The table (IGSN.md §7) names, per Dublin Core element, the record fields it is filled from; elements
marked "not used" stay out. ``dc:identifier`` is the resolvable IGSN URI (``base_url`` + name) plus the
DOI URI when the sample has a DOI. Vocabulary values (material, sample type) are the concept IRIs.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from typing import Callable

from lxml import etree

from ..record import SampleRecord
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
_RESOLVERS = {"DOI": "https://doi.org/", "Handle": "https://hdl.handle.net/", "ARK": "https://n2t.net/",
              "PMID": "https://pubmed.ncbi.nlm.nih.gov/", "arXiv": "https://arxiv.org/abs/",
              "ORCID": "https://orcid.org/"}
_AS_IS = {"URL", "URI", "PURL", "w3id"}


def _is_url(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def _sample_uri(name: str, base_url: str) -> str:
    return base_url + name


def _relation_value(identifier: str, identifier_type: str | None, base_url: str) -> str:
    """A related resource as a URI when its scheme has a resolver, else ``<scheme>:<value>``."""
    if _is_url(identifier) or identifier_type in _AS_IS:
        return identifier
    if identifier_type == "IGSN":
        return _sample_uri(identifier, base_url)
    if identifier_type in _RESOLVERS:
        return _RESOLVERS[identifier_type] + identifier
    if identifier_type:
        return f"{identifier_type.lower()}:{identifier}"
    return identifier


def _time(record: SampleRecord) -> list[str]:
    t = record.collection_time
    if t is None:
        return []
    if t.instant:
        return [t.instant]
    if t.start or t.end:
        return [f"{t.start or '..'}/{t.end or '..'}"]  # ISO 8601 interval, open ends as ".."
    return []


#: record field → its values as Dublin Core text (the table's ``record_field`` column names these)
FIELD_VALUES: dict[str, Callable[[SampleRecord, str], list[str]]] = {
    "geometries": lambda r, b: [g.wkt for g in r.geometries],
    "places": lambda r, b: [p.name for p in r.places if p.name],
    "collectors": lambda r, b: [a.name for a in r.collectors],
    "collection_time": lambda r, b: _time(r),
    "comments": lambda r, b: [r.comments] if r.comments else [],
    "materials": lambda r, b: list(r.materials),
    "igsn": lambda r, b: [_sample_uri(r.igsn, b)],
    "doi": lambda r, b: [r.doi if _is_url(r.doi) else "https://doi.org/" + r.doi] if r.doi else [],
    "curations": lambda r, b: [c.curator for c in r.curations if c.curator],
    "relations": lambda r, b: [_relation_value(x.identifier, x.identifier_type, b) for x in r.relations],
    "parents": lambda r, b: [_sample_uri(p, b) for p in r.parents],
    "collections": lambda r, b: [_sample_uri(c, b) for c in r.collections],
    "classifications": lambda r, b: [c.label for c in r.classifications if c.label],
    "name": lambda r, b: [r.name] if r.name else [],
    "resource_types": lambda r, b: list(r.resource_types),
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


def values(record: SampleRecord, base_url: str) -> list[tuple[str, str]]:
    """(element, text) pairs for the record, in table order, duplicates and blanks removed."""
    out: list[tuple[str, str]] = []
    for element, names in mapping():
        seen: set[str] = set()
        for name in names:
            for value in FIELD_VALUES[name](record, base_url):
                text = clean(value).strip()
                if text and text not in seen:
                    seen.add(text)
                    out.append((element, text))
    return out


def write(record: SampleRecord, *, base_url: str) -> etree._Element:
    """The ``oai_dc:dc`` element of a sample; ``base_url`` makes its IGSN URIs resolvable here."""
    root = etree.Element(f"{{{NS_OAI_DC}}}dc", nsmap=_NSMAP)
    root.set(f"{{{_XSI}}}schemaLocation", SCHEMA_LOCATION)
    for element, text in values(record, base_url):
        etree.SubElement(root, f"{{{NS_DC}}}{element}").text = text
    return root
