"""The landing page's "Described by" section: which description is shown, and every source's record beside it.

Read from the registry database (``harvest_origin``, the versions' events, the sources), never from the page
cache: a record kept beside the shown description changes no version of the sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from lxml import etree

from ..errors import NotFound
from ..pages import E
from ..pages import link as _link
from . import origins, precedence, sources

if TYPE_CHECKING:
    from ..registry.service import Registry

__all__ = ["UNVERIFIED_TEXT", "described_by_section", "unverified_note", "unverified_notes"]

#: what a page says of a source no allocating agent speaks for
UNVERIFIED_TEXT = "unverified: no allocating agent speaks for this source"


def unverified_note(source: sources.HarvestSource) -> str:
    """The note an output carries when the description it shows came from an unverified source."""
    return f"Harvested from the OAI-PMH source {source.name} ({source.url}): {UNVERIFIED_TEXT}"


def unverified_notes(registry: Registry, igsns: Sequence[str]) -> dict[str, str]:
    """For the samples among ``igsns`` whose shown description an unverified source gave: the note to show."""
    out: dict[str, str] = {}
    for igsn, name in origins.unverified_shown(registry.db.read(), igsns).items():
        try:
            out[igsn] = unverified_note(sources.get(registry, name))
        except NotFound:
            continue  # a removed source no longer describes anything here
    return out


def described_by_section(registry: Registry, name: str) -> etree._Element | None:
    """The section, or None when no source has a record of the sample (a sample registered here only)."""
    conn = registry.db.read()
    kept = origins.origins_of(conn, name)
    if not kept:
        return None
    items: list[etree._Element] = []
    if precedence.described_here(conn, name):
        items.append(E.LI(E.STRONG("This registry"), ": the description its owner registered here (shown)"))
    for row in kept:
        o = row.origin
        try:
            source = sources.get(registry, o.source)
        except NotFound:
            continue  # a removed source: its records stay, but it no longer describes anything here
        parts: list[etree._Element | str] = [
            E.STRONG(f"Source {source.name}"),
            " (",
            _link(source.url, source.url),
            f", {source.prefix})",
            ": " + ("the description shown" if row.in_force else "kept beside the description shown"),
            f"; record datestamp {o.datestamp}" if o.datestamp else "",
            f", harvested {o.response_date}" if o.response_date else "",
        ]
        if sources.record_status(registry, o.source, name) == "unlisted":
            parts.append("; no longer listed by the source (flagged after a full harvest, kept)")
        if o.oai_identifier:
            parts += [" · ", _link("the record at the source", origins.get_record_url(source, o.oai_identifier))]
        if not source.verified:
            parts += [" · ", E.STRONG(UNVERIFIED_TEXT, **{"class": "unverified"})]
        items.append(E.LI(*parts, **({"class": "unverified"} if not source.verified else {})))
    if not items:
        return None
    return E.SECTION(E.H2("Described by"), E.UL(*items), **{"class": "described-by"})
