"""The controlled vocabularies of ``mappings/``: code lists and the relation-type table.

Each code list is a CSV (``iri,notation,label,aliases``): the canonical IRI, the kernel's notation,
a label, and ``|``-separated other written forms (trailing slash, local name, Geoscience Australia
or CSIRO code-list IRIs). ``canonical()`` maps any written form to the canonical IRI.

>>> codelist("material").canonical("http://vocabulary.odm2.org/medium/rock/")
'http://vocabulary.odm2.org/medium/rock'
>>> relation_types().canonical("IsMemberOf")
'IsPartOf'
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

from .resources import mappings_dir

__all__ = ["Term", "CodeList", "codelist", "CODELISTS", "RelationType", "RelationTypes", "relation_types"]

CODELISTS = (
    "material",
    "sample_type",
    "feature_type",
    "collection_type",
    "method",
    "identifier_type",
    "contributor_type",
    "geometry_type",
)


@dataclass(frozen=True)
class Term:
    iri: str
    notation: str
    label: str


class CodeList:
    """One vocabulary: canonical IRIs, their notations, and every accepted alias."""

    def __init__(self, name: str, terms: list[Term], aliases: dict[str, str]) -> None:
        self.name = name
        self.terms = terms
        self.by_iri = {t.iri: t for t in terms}
        self.by_notation = {t.notation: t for t in terms}
        self._lookup = dict(aliases)
        for t in terms:
            self._lookup[t.iri] = t.iri
            self._lookup[t.notation] = t.iri
        # written forms vary in case (GA's code lists write isDerivedFrom and IsDerivedFrom): a lower-cased
        # copy of every key answers those, exact keys first
        self._folded: dict[str, str] = {}
        for key, iri in self._lookup.items():
            self._folded.setdefault(key.lower(), iri)

    @property
    def iris(self) -> frozenset[str]:
        return frozenset(self.by_iri)

    def canonical(self, value: str | None) -> str | None:
        """The canonical IRI for any written form, or None when the value is not in the list."""
        if value is None:
            return None
        v = value.strip()
        return self._lookup.get(v) or self._folded.get(v.lower())

    def notation(self, iri: str) -> str | None:
        term = self.by_iri.get(iri)
        return term.notation if term else None

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and self.canonical(value) is not None


@lru_cache(maxsize=None)
def codelist(name: str) -> CodeList:
    if name not in CODELISTS:
        raise KeyError(f"no code list named {name!r}")
    terms: list[Term] = []
    aliases: dict[str, str] = {}
    with open(mappings_dir() / "codelists" / f"{name}.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            terms.append(Term(row["iri"], row["notation"], row["label"]))
            for alias in filter(None, row["aliases"].split("|")):
                aliases.setdefault(alias, row["iri"])
    return CodeList(name, terms, aliases)


@dataclass(frozen=True)
class RelationType:
    name: str
    inverse: str | None
    direct_property: str | None


class RelationTypes:
    """DataCite relation types (canonical), their inverses, direct RDF properties and input aliases."""

    def __init__(self, types: list[RelationType], aliases: dict[str, str]) -> None:
        self.types = {t.name: t for t in types}
        self._lookup = dict(aliases)
        for t in types:
            self._lookup[t.name] = t.name
        self._folded: dict[str, str] = {}
        for key, name in self._lookup.items():
            self._folded.setdefault(key.lower(), name)

    def canonical(self, value: str | None) -> str | None:
        if value is None:
            return None
        v = value.strip()
        return self._lookup.get(v) or self._folded.get(v.lower())

    def inverse(self, name: str) -> str | None:
        t = self.types.get(name)
        return t.inverse if t else None

    def direct_property(self, name: str) -> str | None:
        t = self.types.get(name)
        return t.direct_property if t else None

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and self.canonical(value) is not None


@lru_cache(maxsize=None)
def relation_types() -> RelationTypes:
    types: list[RelationType] = []
    aliases: dict[str, str] = {}
    with open(mappings_dir() / "relation_types.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            types.append(RelationType(row["relation_type"], row["inverse"] or None, row["direct_property"] or None))
            for alias in filter(None, row["aliases"].split("|")):
                aliases.setdefault(alias, row["relation_type"])
    return RelationTypes(types, aliases)
