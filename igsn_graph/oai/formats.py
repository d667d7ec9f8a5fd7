"""The metadata formats of the data provider: prefix, schema, namespace and the writer of each.

Prefixes are fixed and the same names the resolver uses as profile tokens: ``oai_dc`` (the Dublin Core
table), ``igsn`` (registration kernel 1.0), ``igsn_desc`` (description kernel 1.1) and ``datacite``
(kernel-4 ``resource``, unwrapped). Each writer takes the record, its registry facts and the IRI base; ``write_all``
gives every format a record can give, so ListMetadataFormats with ``identifier`` lists only those.

Documents name samples by their persistent identifiers (the IRI base fixed at ``init``, DOIs), never by the
address this server answers on: moving the server changes no document, so no datestamp and no cached entry.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Protocol

from lxml import etree

from ..formats import datacite, description_kernel, oai_dc, registration_kernel
from ..formats._kernel import DATETIME
from ..formats.xmltext import clean, is_clean
from ..record import LOG_EVENTS, LogEvent, RegistryFacts, SampleRecord
from ..resources import mappings_dir

__all__ = ["MetadataFormat", "FORMATS", "PREFIXES", "WRITERS_REVISION", "write_all", "for_oai", "fingerprint"]

log = logging.getLogger("igsn_graph.oai")

#: bump whenever a writer's code changes its output: cached documents are recomputed, records restamped
#: (2026-3: no document names the public URL any more; oai_dc and DataCite name samples by their IRIs)
WRITERS_REVISION = "2026-3"
#: the mapping files the writers read (crosswalks and code lists); their content is part of the output
_WRITER_MAPPINGS = ("oai_dc.csv", "relation_types.csv", "codelists")


class Writer(Protocol):
    """Writes a record in one format; ``iri_base`` (the store's IRI base) gives samples their persistent IRIs."""

    def __call__(self, record: SampleRecord, facts: RegistryFacts, iri_base: str) -> etree._Element: ...


@dataclass(frozen=True)
class MetadataFormat:
    prefix: str
    schema: str
    namespace: str
    write: Writer


def _schema_of(schema_location: str) -> str:
    return schema_location.split()[1]


def _registration(record: SampleRecord, facts: RegistryFacts, iri_base: str) -> etree._Element:
    # the kernel needs a log event with an xs:dateTime: the registration itself when the record has none
    if not any(e.event in LOG_EVENTS and DATETIME.fullmatch(e.timestamp) for e in record.log):
        stamp = facts.registered or facts.datestamp
        record = replace(record, log=[*record.log, LogEvent("registered", stamp)])
    return registration_kernel.write(record)


FORMATS: dict[str, MetadataFormat] = {
    f.prefix: f
    for f in (
        MetadataFormat("oai_dc", oai_dc.SCHEMA, oai_dc.NS_OAI_DC, lambda r, f, iri: oai_dc.write(r, iri_base=iri)),
        MetadataFormat(
            "igsn", _schema_of(registration_kernel.SCHEMA_LOCATION), registration_kernel.NS_1_0, _registration
        ),
        MetadataFormat(
            "igsn_desc",
            _schema_of(description_kernel.SCHEMA_LOCATION),
            description_kernel.NS_1_1,
            lambda r, f, iri: description_kernel.write(r),
        ),
        MetadataFormat(
            "datacite",
            datacite.SCHEMA,
            datacite.NS,
            lambda r, f, iri: datacite.write(r, iri_base=iri, publication_year=(f.registered or f.datestamp)[:4]),
        ),
    )
}
PREFIXES = tuple(FORMATS)


def _cleaned(value: Any) -> Any:
    """A copy of a record (or any part of it) with the characters XML forbids removed from every string."""
    if isinstance(value, str):
        return value if is_clean(value) else clean(value)
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    if isinstance(value, dict):
        return {k: _cleaned(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _cleaned(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return replace(value, **changes)
    return value


def for_oai(record: SampleRecord, facts: RegistryFacts) -> SampleRecord:
    """The record as the formats see it: the registered DOI joins the record's own."""
    if record.doi is None and facts.doi is not None:
        return replace(record, doi=facts.doi)
    return record


def write_all(
    record: SampleRecord, facts: RegistryFacts, iri_base: str, prefixes: Iterable[str] | None = None
) -> dict[str, etree._Element]:
    """prefix → metadata element for every format the record can give (a failing writer is left out);
    ``prefixes``: only those formats; ``iri_base``: see ``Writer``."""
    record = for_oai(record, facts)
    out: dict[str, etree._Element] = {}
    for fmt in FORMATS.values() if prefixes is None else [FORMATS[p] for p in prefixes]:
        try:
            try:
                out[fmt.prefix] = fmt.write(record, facts, iri_base)
            except ValueError as exc:
                if "XML compatible" not in str(exc):
                    raise
                # a character XML cannot carry reached a kernel writer: write a cleaned copy instead
                out[fmt.prefix] = fmt.write(_cleaned(record), facts, iri_base)
        except (ValueError, KeyError) as exc:
            log.warning("%s cannot be written as %s: %s", record.igsn, fmt.prefix, exc)
    return out


def fingerprint() -> str:
    """Names everything besides a record that shapes its documents: the writers' revision and the crosswalk
    and code-list files they read. Not the public URL: no document names it (``Writer``).

    Two different values mean the same record may give different documents, so harvesters must see new
    datestamps (``registry.restamp``) and cached documents are stale (``oai.cache``).
    """
    return hashlib.sha256(f"{WRITERS_REVISION}\n{_mappings_digest(mappings_dir())}".encode()).hexdigest()[:16]


@lru_cache(maxsize=4)
def _mappings_digest(root: Path) -> str:
    # read once per process (the writers read these files once too): /health asks for the fingerprint
    digest = hashlib.sha256()
    for name in _WRITER_MAPPINGS:
        path = root / name
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file():
                digest.update(file.relative_to(root).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()
