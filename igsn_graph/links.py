"""Links between samples: which related identifiers name an IGSN, and what the relation makes of the target.

Agents write another sample's IGSN in many forms: a bare name typed IGSN, a handle ``10273/NAME`` typed
handle (the IGSN MDS documentation's way of naming a parent), ``hdl:``, ``https://hdl.handle.net/10273/…``,
``igsn:``, ``https://igsn.org/…``, ``https://n2t.net/igsn:…``, or a DOI under an IGSN DOI prefix (the
prefixes in ``mappings/igsn_doi_prefixes.csv`` and those of the agents registered here). ``igsn_named``
recognises every one of them; a relation that names an IGSN links to that sample's IRI under the IRI base,
registered yet or not, so nothing is rewritten when the target registers later.

What the link means is data, ``mappings/relation_semantics.csv``: per input format and DataCite relation
type, the target is a ``parent`` (sub-sample lineage), a ``collection`` the sample is a member of, or a plain
``related`` resource. A format's own row wins over the ``*`` row; a relation type without a row is
``related``. ``resolve`` applies the table to a record after any reader: it marks each relation with the
sample it names (``Relation.igsn``, the written form stays the identifier) and adds parents and collections.

>>> igsn_named("10273/IEEJR000R", "Handle")
'IEEJR000R'
>>> igsn_named("https://doi.org/10.58052/SSH000SUA", "URL")
'SSH000SUA'
>>> igsn_named("10.5880/GFZ.1.2.2016.001", "DOI") is None
True
>>> relation_semantics().link("igsn", "IsPartOf"), relation_semantics().link("datacite", "IsPartOf")
('parent', 'collection')
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from functools import lru_cache

from .errors import InvalidIdentifier
from .identifiers import HANDLE_PREFIX, TEST_HANDLE_PREFIX, parse_igsn, validate_name
from .record import Relation, SampleRecord
from .resources import mappings_dir

__all__ = [
    "LINKS",
    "Semantics",
    "SemanticsTable",
    "relation_semantics",
    "igsn_doi_prefixes",
    "igsn_named",
    "resolve",
    "settings_tag",
]

#: what a relation to another sample makes of it
LINKS = ("parent", "collection", "related")

_HANDLE = re.compile(
    rf"(?i)^(?:hdl:\s*|https?://hdl\.handle\.net/)?({re.escape(HANDLE_PREFIX)}|"
    rf"{re.escape(TEST_HANDLE_PREFIX)})/(.+)$",
    re.S,
)
_DOI = re.compile(r"(?i)^(?:doi:\s*|igsn:\s*|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9})/(.+)$", re.S)
_IGSN_HOSTS = re.compile(r"(?i)^(?:https?://)?(?:www\.)?(?:igsn\.org|n2t\.net)/")
#: identifier types under which a written form is read as what it looks like (a URL or no type at all)
_ANY = ("", "URL", "URI", "PURL")


@dataclass(frozen=True)
class Semantics:
    """One row of the relation-semantics table."""

    format: str
    relation_type: str
    link: str
    inverse: str
    source: str


class SemanticsTable:
    """Per format and relation type: parent, collection or related (``*`` rows are every format's default)."""

    def __init__(self, rows: list[Semantics]) -> None:
        self.rows = rows
        self._by_key = {(r.format, r.relation_type): r for r in rows}

    def row(self, fmt: str | None, relation_type: str | None) -> Semantics | None:
        if not relation_type:
            return None
        return self._by_key.get((fmt or "*", relation_type)) or self._by_key.get(("*", relation_type))

    def link(self, fmt: str | None, relation_type: str | None) -> str:
        row = self.row(fmt, relation_type)
        return row.link if row is not None else "related"


@lru_cache(maxsize=None)
def relation_semantics() -> SemanticsTable:
    rows: list[Semantics] = []
    with open(mappings_dir() / "relation_semantics.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["link"] not in LINKS:
                raise ValueError(f"relation_semantics.csv: unknown link {row['link']!r} (known: {', '.join(LINKS)})")
            rows.append(Semantics(row["format"], row["relation_type"], row["link"], row["inverse"], row["source"]))
    return SemanticsTable(rows)


@lru_cache(maxsize=None)
def igsn_doi_prefixes() -> frozenset[str]:
    """The DOI prefixes under which agents publish IGSN IDs as DOIs (``mappings/igsn_doi_prefixes.csv``)."""
    with open(mappings_dir() / "igsn_doi_prefixes.csv", encoding="utf-8", newline="") as f:
        return frozenset(row["prefix"] for row in csv.DictReader(f))


def igsn_named(
    identifier: str,
    identifier_type: str | None = None,
    *,
    doi_prefixes: Collection[str] = (),
    iri_base: str | None = None,
) -> str | None:
    """The normal-form name of the IGSN ``identifier`` names in any written form, or None.

    A DOI names an IGSN only under an IGSN DOI prefix or one of ``doi_prefixes`` (a paper's DOI is not a
    sample); a handle only under the IGSN handle prefixes; an IRI under ``iri_base`` is a sample of ours.
    """
    value = identifier.strip()
    kind = (identifier_type or "").strip().upper()
    try:
        if iri_base and kind in _ANY and value.startswith(iri_base):
            rest = value[len(iri_base) :]
            return validate_name(rest) if rest == rest.upper() else None
        if kind == "IGSN":
            return parse_igsn(value).name
        m = _HANDLE.match(value)
        if m and kind in (*_ANY, "HANDLE"):
            return parse_igsn(f"{m.group(1)}/{m.group(2)}").name
        m = _DOI.match(value)
        if m and kind in (*_ANY, "DOI"):
            if m.group(1) in doi_prefixes or m.group(1) in igsn_doi_prefixes():
                return validate_name(m.group(2))
            return None
        if kind in _ANY and _IGSN_HOSTS.match(value):
            return parse_igsn(value).name
    except InvalidIdentifier:
        return None
    return None


def settings_tag(doi_prefixes: Collection[str], iri_base: str | None) -> str:
    """A short digest of what ``resolve`` reads besides the record: equal tags, equal links."""
    text = "\n".join([iri_base or "", *sorted(doi_prefixes)])
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def resolve(
    record: SampleRecord, fmt: str | None, *, doi_prefixes: Collection[str] = (), iri_base: str | None = None
) -> SampleRecord:
    """``record`` with every relation that names an IGSN marked with that sample and, where the semantics
    table says so, the sample added to its parents or collections. Idempotent; a link to itself is kept as a
    relation only (it is neither its own parent nor its own collection)."""
    table = relation_semantics()
    relations: list[Relation] = []
    parents, collections = list(record.parents), list(record.collections)
    for rel in record.relations:
        name = rel.igsn or igsn_named(rel.identifier, rel.identifier_type, doi_prefixes=doi_prefixes, iri_base=iri_base)
        if name is None:
            relations.append(rel)
            continue
        relations.append(rel if rel.igsn == name else replace(rel, igsn=name))
        if name == record.igsn:
            continue
        link = table.link(fmt, rel.relation_type)
        if link == "parent" and name not in parents:
            parents.append(name)
        elif link == "collection" and name not in collections:
            collections.append(name)
    if (relations, parents, collections) == (record.relations, record.parents, record.collections):
        return record
    out = replace(record, relations=relations, parents=parents, collections=collections)
    return out
