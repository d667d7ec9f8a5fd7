"""The one safe XML parser: UTF-8 only, no DTD, no entities, no network, no XInclude, size-limited.

Every XML input (MDS bodies, files given to ``load``) goes through ``parse_xml``. A document type
declaration is refused outright: kernels never need one, and refusing it removes entity expansion
(billion laughs, quadratic blow-up) and external entities/DTDs in one rule.
"""

from __future__ import annotations

from lxml import etree

from .errors import MalformedDocument

__all__ = ["DEFAULT_MAX_BYTES", "parse_xml", "element_path"]

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

_PARSER_OPTIONS = dict(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
    collect_ids=False,
)


def _parser() -> etree.XMLParser:
    # a parser per call: lxml parsers are not thread-safe
    return etree.XMLParser(**_PARSER_OPTIONS)


def parse_xml(data: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parses a document and returns its root element, or raises ``MalformedDocument``."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > max_bytes:
        raise MalformedDocument(f"document is larger than {max_bytes} bytes")
    if not data.strip():
        raise MalformedDocument("request body must not be empty")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedDocument(f"document is not valid UTF-8 (byte {exc.start})") from None
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise MalformedDocument("document type declarations and entities are not allowed")
    head = text[:200].lower()
    if head.startswith("<?xml") and "encoding" in head.split("?>", 1)[0]:
        decl = head.split("?>", 1)[0]
        if "utf-8" not in decl and "utf8" not in decl:
            raise MalformedDocument("documents must be encoded in UTF-8")
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (None, None)
        raise MalformedDocument(f"malformed XML: {exc.msg}", line=line, column=column) from None
    if root is None:
        raise MalformedDocument("document has no root element")
    return root


def element_path(element: etree._Element) -> str:
    """A readable path such as ``/sample/log/logElement[2]`` for error messages."""
    parts: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        name = etree.QName(node).localname
        parent = node.getparent()
        if parent is not None:
            # siblings of the same local name, filtered by lxml: a Python scan of every sibling made
            # documents of many records quadratic
            same = f"{{*}}{name}"
            before = sum(1 for _ in node.itersiblings(same, preceding=True))
            if before or next(node.itersiblings(same), None) is not None:
                name += f"[{before + 1}]"
        parts.append(name)
        node = parent
    return "/" + "/".join(reversed(parts))
