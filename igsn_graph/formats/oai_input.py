"""OAI-PMH responses as input: the items of a ``GetRecord`` or ``ListRecords`` response, live or deleted.

A harvest of any IGSN agent (a saved response, or a folder of ListRecords pages) loads like a batch of its
records. This module reads the envelope only: each item's header and its ``<metadata>`` payload element,
left in place so that messages about the payload name paths in the response the caller holds;
``kernels.read_xml`` reads each payload with the reader its root element names.

The header's ``identifier`` is an oai-identifier (``oai:<repository>:<local>``, e.g. ``oai:registry:AU240``)
or, as Geoscience Australia publishes, the bare IGSN; its local part names the sample. A header with
``status="deleted"`` has no metadata and reports the sample deleted at the source. The header's
``datestamp`` is the provider's bookkeeping (the registry stamps its own) and is not reported; its
``setSpec`` elements and a record's ``about`` containers are data the record does not carry into the
graph, each reported ``not mapped: <path>``. Envelope parts outside the records (``responseDate``,
``request``, ``resumptionToken``) describe the response, not a sample.

Only GetRecord and ListRecords carry records: other verbs and error responses are ``UnsupportedFormat``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from ..errors import InvalidIdentifier, InvalidRecord, UnsupportedFormat
from ..identifiers import parse_igsn
from ..xmlparser import element_path
from ._unmapped import not_mapped

__all__ = ["NAMESPACE", "ROOT", "VERBS", "Item", "is_response", "items", "sample_named"]

NAMESPACE = "http://www.openarchives.org/OAI/2.0/"
ROOT = "OAI-PMH"
#: the verbs whose responses carry records
VERBS = ("GetRecord", "ListRecords")
_ENVELOPE = ("responseDate", "request")


def _q(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


@dataclass
class Item:
    """One ``<record>`` of a response: where it is, what its header says, and its payload (None when deleted).

    ``warnings`` are ``not mapped: …`` for the header's ``setSpec`` and the record's ``about`` parts.
    """

    path: str
    identifier: str | None
    deleted: bool
    payload: etree._Element | None
    warnings: list[str] = field(default_factory=list)


def is_response(root: etree._Element) -> bool:
    """Whether ``root`` is an OAI-PMH response envelope."""
    tag: str = root.tag  # lxml is untyped here
    return tag == _q(ROOT)


def items(root: etree._Element) -> list[Item]:
    """The records of a GetRecord or ListRecords response, in document order.

    ``UnsupportedFormat`` for another verb or an error response; ``InvalidRecord`` (naming the record) for a
    live record without a payload or a deleted one with a payload.
    """
    body = [el for el in root if isinstance(el.tag, str) and el.tag not in {_q(n) for n in _ENVELOPE}]
    errors = [el for el in body if el.tag == _q("error")]
    if errors:
        said = "; ".join(f"{el.get('code')}: {(el.text or '').strip()}".rstrip(": ") for el in errors)
        raise UnsupportedFormat(f"the OAI-PMH response is an error ({said}); it carries no records")
    verb = etree.QName(body[0]).localname if body else None
    if verb not in VERBS:
        raise UnsupportedFormat(
            f"an OAI-PMH {verb or 'empty'} response carries no records: only {' and '.join(VERBS)} responses are read"
        )
    assert body
    return [_item(record) for record in body[0].iterfind(_q("record"))]


def _item(record: etree._Element) -> Item:
    path = element_path(record)
    header = record.find(_q("header"))
    identifier = header.findtext(_q("identifier")) if header is not None else None
    deleted = header is not None and header.get("status") == "deleted"
    metadata = record.find(_q("metadata"))
    payloads = [] if metadata is None else [el for el in metadata if isinstance(el.tag, str)]
    if deleted and payloads:
        raise InvalidRecord(f"{path}: the header says deleted but the record has metadata")
    if not deleted and len(payloads) != 1:
        found = "no metadata" if not payloads else f"{len(payloads)} metadata elements"
        raise InvalidRecord(f"{path}/metadata: {found}; a record that is not deleted has one")
    warnings: list[str] = []
    if header is not None:
        warnings += [not_mapped(element_path(el)) for el in header.iterfind(_q("setSpec"))]
    warnings += [not_mapped(element_path(el)) for el in record.iterfind(_q("about"))]
    return Item(
        path=path,
        identifier=identifier.strip() if identifier else None,
        deleted=deleted,
        payload=payloads[0] if payloads else None,
        warnings=warnings,
    )


def sample_named(item: Item) -> str:
    """The IGSN (normal form) the header identifier names: the local part of ``oai:<repository>:<local>``,
    else the whole identifier; ``InvalidIdentifier`` naming the header when it is none."""
    where = f"{item.path}/header/identifier"
    if not item.identifier:
        raise InvalidRecord(f"{where}: missing or empty")
    local = item.identifier
    if local.lower().startswith("oai:") and local.count(":") >= 2:
        local = local.split(":", 2)[2]
    try:
        return parse_igsn(local).name
    except InvalidIdentifier as exc:
        raise InvalidIdentifier(
            f"{where}: {item.identifier!r} names no IGSN: {exc.message}", value=exc.value, reason=exc.reason
        ) from None
