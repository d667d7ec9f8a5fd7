"""What an OAI-PMH record re-exposed from a harvest says about where it came from (its ``<about>`` containers).

A record whose shown description a source gave carries the OAI provenance container (the OAI-PMH guidelines'
``provenance`` schema: the source's base URL, the record's identifier and datestamp, the format it came in, when
it was harvested, ``altered`` since we serve it in our own formats); one from an unverified source also carries a
Dublin Core note saying so, so a downstream harvester reading only the record sees it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from ..errors import IgsnGraphError
from ..xmlparser import parse_xml
from . import origins, sources
from .view import unverified_note

if TYPE_CHECKING:
    from ..registry.service import Registry

__all__ = ["PROVENANCE", "about_containers"]

PROVENANCE = "http://www.openarchives.org/OAI/2.0/provenance"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
_DC = "http://purl.org/dc/elements/1.1/"


def about_containers(registry: Registry, igsn: str) -> list[bytes]:
    """The contents of the record's ``<about>`` containers (none unless its shown description was harvested)."""
    shown = next((o for o in origins.origins_of(registry.db.read(), igsn) if o.in_force), None)
    if shown is None or not shown.origin.oai_identifier or not shown.origin.datestamp:
        return []
    try:
        source = sources.get(registry, shown.origin.source)
    except IgsnGraphError:
        return []
    namespace = _payload_namespace(registry, shown.origin)
    root = etree.Element(f"{{{PROVENANCE}}}provenance", nsmap={None: PROVENANCE, "xsi": _XSI})
    root.set(f"{{{_XSI}}}schemaLocation", f"{PROVENANCE} http://www.openarchives.org/OAI/2.0/provenance.xsd")
    origin = etree.SubElement(
        root, f"{{{PROVENANCE}}}originDescription", harvestDate=shown.origin.response_date, altered="true"
    )
    for name, value in (
        ("baseURL", source.url),
        ("identifier", shown.origin.oai_identifier),
        ("datestamp", shown.origin.datestamp),
        ("metadataNamespace", namespace),
    ):
        etree.SubElement(origin, f"{{{PROVENANCE}}}{name}").text = value
    out = [etree.tostring(root)]
    if not source.verified:
        dc = etree.Element(f"{{{_OAI_DC}}}dc", nsmap={"oai_dc": _OAI_DC, "dc": _DC})
        etree.SubElement(dc, f"{{{_DC}}}description").text = unverified_note(source)
        out.append(etree.tostring(dc))
    return out


def _payload_namespace(registry: Registry, origin: origins.Origin) -> str:
    """The namespace of the payload as the source sent it (its kept ``<record>``), e.g. description kernel 1.0."""
    data = origins.original(registry.db.read(), origin.source, origin.igsn)
    if data is None:
        return ""
    try:
        record = parse_xml(data)
    except IgsnGraphError:
        return ""
    payload = next(
        (
            el
            for el in record.iter()
            if isinstance(el.tag, str)
            and el.getparent() is not None
            and etree.QName(el.getparent()).localname == "metadata"
        ),
        None,
    )
    return etree.QName(payload).namespace or "" if payload is not None else ""
