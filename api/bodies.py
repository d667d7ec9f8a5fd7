"""Request bodies for every router: the one ``Content-Type`` parser, the one body reader and the one text check.

Each surface words a refusal in its own form (MDS plain text, problem+json, JSON:API, an OAI-PMH
``badArgument``, SPARQL text), so these helpers return facts or raise the core's ``InvalidInput``; the router
raises its surface's 415. ``testMode`` is ``api.testmode``'s, q-values ``igsn_graph.conneg``'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.requests import Request

from igsn_graph.errors import InvalidInput
from igsn_graph.formats.table import XML_MEDIA_TYPES

from . import limits

__all__ = ["ContentType", "content_type", "parse_content_type", "read_body", "text_of", "CONTROLS"]

#: C0 and C1 controls but TAB, LF and CR, which line formats use
CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_UTF8 = ("utf-8", "utf8")


@dataclass(frozen=True)
class ContentType:
    """A request's media type and charset, lower-cased (None when absent)."""

    media_type: str | None
    charset: str | None = None

    @property
    def utf8(self) -> bool:
        """No charset, or UTF-8 by either name."""
        return self.charset is None or self.charset in _UTF8

    @property
    def xml(self) -> bool:
        """XML of any format (``application/xml``, ``text/xml``, ``…+xml``), the format told by its root."""
        return self.media_type is not None and (self.media_type in XML_MEDIA_TYPES or self.media_type.endswith("+xml"))


def parse_content_type(header: str | None) -> ContentType:
    """``type/subtype; charset=…`` → ``ContentType``; other parameters are ignored, a blank header is none."""
    if header is None or not header.strip():
        return ContentType(None)
    media, *params = (p.strip() for p in header.split(";"))
    charset = None
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return ContentType(media.lower() or None, charset)


def content_type(request: Request) -> ContentType:
    return parse_content_type(request.headers.get("content-type"))


async def read_body(request: Request, limit: int | None = None) -> bytes:
    """The body, read chunk by chunk and refused (413) as soon as it exceeds the limit (``api.limits``)."""
    return await limits.read_body(request, limit)


def text_of(body: bytes) -> str:
    """A text body: UTF-8 without control characters (TAB, LF, CR allowed), a leading BOM dropped;
    ``InvalidInput`` naming the first offence otherwise."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"request body is not valid UTF-8 (byte {exc.start})") from None
    bad = CONTROLS.search(text)
    if bad:
        raise InvalidInput(f"request body must not contain control characters (U+{ord(bad.group()):04X})")
    return text.removeprefix("\ufeff")
