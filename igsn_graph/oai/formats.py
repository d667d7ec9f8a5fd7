"""The metadata formats of the data provider, as the format table (``formats.table``) gives them: prefix,
schema, namespace and the writer of each.

Prefixes are fixed and the same names the resolver uses as profile tokens: ``oai_dc`` (the Dublin Core
table), ``igsn`` (registration kernel 1.0), ``igsn_desc`` (description kernel 1.1) and ``datacite``
(kernel-4 ``resource``, unwrapped). Each writer takes the record, its registry facts and the IRI base; ``write_all``
gives every format a record can give, so ListMetadataFormats with ``identifier`` lists only those.

Documents name samples by their persistent identifiers (the IRI base fixed at ``init``, DOIs), never by the
address this server answers on: moving the server changes no document, so no datestamp and no cached entry.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, replace
from typing import Any, Iterable

from lxml import etree

from ..formats.table import WRITTEN, Writer, fingerprint
from ..formats.xmltext import clean, is_clean
from ..record import RegistryFacts, SampleRecord

__all__ = ["MetadataFormat", "FORMATS", "PREFIXES", "write_all", "for_oai", "fingerprint"]

log = logging.getLogger("igsn_graph.oai")


@dataclass(frozen=True)
class MetadataFormat:
    """A format as ListMetadataFormats announces it (``formats.table`` owns it)."""

    prefix: str
    schema: str
    namespace: str
    write: Writer


FORMATS: dict[str, MetadataFormat] = {
    f.oai_prefix: MetadataFormat(f.oai_prefix, f.oai_schema, f.namespace, f.write)
    for f in WRITTEN
    if f.oai_prefix is not None and f.oai_schema is not None and f.write is not None
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
