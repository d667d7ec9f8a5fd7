"""OAI-PMH XML: the response envelope and one writer per verb result, built with lxml.

The envelope is ``<OAI-PMH>`` with ``responseDate``, ``request`` (the base URL; attributes echo the
request unless a badVerb/badArgument forbids it) and the verb's element or the ``error`` elements.
Metadata arrives serialised (from the metadata cache) and is parsed back in, so every response is one
tree serialised once; the declaration is written with double quotes as the checklist shows it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Mapping

from lxml import etree

from ..formats.oai_dc import NS_DC, NS_OAI_DC
from ..formats.oai_dc import SCHEMA_LOCATION as OAI_DC_SCHEMA_LOCATION
from ..formats.xmltext import clean
from ..index.catalogue import format_datestamp
from .errors import OaiErrors
from .verbs import (
    FormatsResult,
    GetRecordResult,
    Header,
    HeadersResult,
    IdentifyResult,
    Record,
    RecordsResult,
    Result,
    Resumption,
    SetsResult,
)

__all__ = ["OAI_NS", "OAI_SCHEMA_LOCATION", "DECLARATION", "render", "render_errors", "envelope"]

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
OAI_SCHEMA_LOCATION = f"{OAI_NS} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_ID_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_ID_SCHEMA_LOCATION = f"{OAI_ID_NS} http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

# oai-identifier.xsd: repositoryIdentifier labels start with a letter (a dotted domain name)
_REPOSITORY_ID = re.compile(r"[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+")
# metadata documents come from this process's own writers (the cache): no DTDs, no network, no entities
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, collect_ids=False)


def _q(name: str) -> str:
    return f"{{{OAI_NS}}}{name}"


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, _q(name))
    if text is not None:
        el.text = clean(text)
    return el


def envelope(base_url: str, now: datetime, attributes: Mapping[str, str] | None) -> etree._Element:
    """The root with ``responseDate`` and ``request``; ``attributes`` None writes a bare ``request``."""
    root = etree.Element(_q("OAI-PMH"), nsmap={None: OAI_NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", OAI_SCHEMA_LOCATION)
    _sub(root, "responseDate", format_datestamp(now))
    request = _sub(root, "request", base_url)
    for key, value in (attributes or {}).items():
        request.set(key, value)
    return root


_HEADER, _IDENTIFIER, _DATESTAMP, _SET_SPEC = _q("header"), _q("identifier"), _q("datestamp"), _q("setSpec")
_RECORD, _METADATA, _ABOUT = _q("record"), _q("metadata"), _q("about")


def _header(parent: etree._Element, header: Header) -> None:
    # the hot path of every list: identifiers, datestamps and setSpecs are built from the index and
    # are XML-clean by construction (name, date and symbol patterns), so they skip the cleaning
    el = etree.SubElement(parent, _HEADER, {"status": "deleted"} if header.deleted else None)
    etree.SubElement(el, _IDENTIFIER).text = header.identifier
    etree.SubElement(el, _DATESTAMP).text = header.datestamp
    for spec in header.set_specs:
        etree.SubElement(el, _SET_SPEC).text = spec


def _record(parent: etree._Element, record: Record) -> None:
    el = etree.SubElement(parent, _RECORD)
    _header(el, record.header)
    if record.metadata is not None and not record.header.deleted:
        etree.SubElement(el, _METADATA).append(etree.fromstring(record.metadata, _PARSER))
        for about in record.about:  # written by harvest.about from this process's own elements
            etree.SubElement(el, _ABOUT).append(etree.fromstring(about, _PARSER))


def _resumption(parent: etree._Element, resumption: Resumption | None) -> None:
    if resumption is None:
        return
    el = _sub(parent, "resumptionToken", resumption.token or None)
    if resumption.expires is not None:
        el.set("expirationDate", format_datestamp(resumption.expires))
    if resumption.size is not None and resumption.size > 0:  # positiveInteger: omitted rather than 0
        el.set("completeListSize", str(resumption.size))
    el.set("cursor", str(resumption.cursor))


def _identify(parent: etree._Element, result: IdentifyResult) -> None:
    el = _sub(parent, "Identify")
    _sub(el, "repositoryName", result.repository_name)
    _sub(el, "baseURL", result.base_url)
    _sub(el, "protocolVersion", "2.0")
    for email in result.admin_emails:
        _sub(el, "adminEmail", email)
    _sub(el, "earliestDatestamp", result.earliest_datestamp)
    _sub(el, "deletedRecord", result.deleted_record)
    _sub(el, "granularity", result.granularity)
    for method in result.compression:
        _sub(el, "compression", method)
    if _REPOSITORY_ID.fullmatch(result.repository_id):
        ident = etree.SubElement(
            _sub(el, "description"), f"{{{OAI_ID_NS}}}oai-identifier", nsmap={None: OAI_ID_NS, "xsi": XSI}
        )
        ident.set(f"{{{XSI}}}schemaLocation", OAI_ID_SCHEMA_LOCATION)
        for name, text in (
            ("scheme", "oai"),
            ("repositoryIdentifier", result.repository_id),
            ("delimiter", ":"),
            ("sampleIdentifier", result.sample_identifier),
        ):
            etree.SubElement(ident, f"{{{OAI_ID_NS}}}{name}").text = text


def _formats(parent: etree._Element, result: FormatsResult) -> None:
    el = _sub(parent, "ListMetadataFormats")
    for fmt in result.formats:
        f = _sub(el, "metadataFormat")
        _sub(f, "metadataPrefix", fmt.prefix)
        _sub(f, "schema", fmt.schema)
        _sub(f, "metadataNamespace", fmt.namespace)


def _sets(parent: etree._Element, result: SetsResult) -> None:
    el = _sub(parent, "ListSets")
    for s in result.sets:
        node = _sub(el, "set")
        _sub(node, "setSpec", s.spec)
        _sub(node, "setName", s.name)
        if s.description:
            dc = etree.SubElement(
                _sub(node, "setDescription"), f"{{{NS_OAI_DC}}}dc", nsmap={"oai_dc": NS_OAI_DC, "dc": NS_DC, "xsi": XSI}
            )
            dc.set(f"{{{XSI}}}schemaLocation", OAI_DC_SCHEMA_LOCATION)
            etree.SubElement(dc, f"{{{NS_DC}}}description").text = clean(s.description)
    _resumption(el, result.resumption)


def render(result: Result, attributes: Mapping[str, str], base_url: str, now: datetime) -> bytes:
    """The complete response document for a verb result."""
    root = envelope(base_url, now, attributes)
    if isinstance(result, IdentifyResult):
        _identify(root, result)
    elif isinstance(result, FormatsResult):
        _formats(root, result)
    elif isinstance(result, SetsResult):
        _sets(root, result)
    elif isinstance(result, GetRecordResult):
        _record(_sub(root, "GetRecord"), result.record)
    elif isinstance(result, HeadersResult):
        el = _sub(root, "ListIdentifiers")
        for header in result.headers:
            _header(el, header)
        _resumption(el, result.resumption)
    elif isinstance(result, RecordsResult):
        el = _sub(root, "ListRecords")
        for record in result.records:
            _record(el, record)
        _resumption(el, result.resumption)
    else:  # pragma: no cover - the verbs return only the results above
        raise TypeError(f"no writer for {type(result).__name__}")
    body: bytes = etree.tostring(root, encoding="UTF-8")  # lxml is untyped here
    return DECLARATION + body


def render_errors(errors: OaiErrors, attributes: Mapping[str, str] | None, base_url: str, now: datetime) -> bytes:
    """An error response: one ``error`` per problem; ``request`` bare for badVerb/badArgument."""
    root = envelope(base_url, now, attributes if errors.echo_arguments else None)
    for error in errors.errors:
        _sub(root, "error", error.message).set("code", error.code)
    body: bytes = etree.tostring(root, encoding="UTF-8")  # lxml is untyped here
    return DECLARATION + body
