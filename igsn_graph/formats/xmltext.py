"""Text that XML 1.0 can carry: characters it forbids are dropped before lxml sees them.

lxml refuses C0 controls (but TAB, LF, CR), U+FFFE/U+FFFF and surrogates with a ValueError, which
would turn one bad record into a failed page (OAI-PMH.md §1.2); writers clean every value they emit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, TypeVar

from pyoxigraph import Literal, Quad, Triple

__all__ = ["CleanXmlWriter", "clean", "is_clean", "json_escaped", "xml_safe"]

_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids."""
    return _ILLEGAL.sub("", text)


def is_clean(text: str) -> bool:
    return _ILLEGAL.search(text) is None


def json_escaped(text: str) -> str:
    """JSON text with each character XML forbids written as a ``\\uXXXX`` escape: the same JSON value, in XML.

    For JSON inside XML or HTML (a JSON-LD ``<script>`` block); surrogates are escaped one by one as well.
    """
    return _ILLEGAL.sub(lambda m: "".join(f"\\u{u:04x}" for u in _utf16(m.group())), text)


T = TypeVar("T", Triple, Quad)


def xml_safe(statements: Iterable[T]) -> list[T]:
    """Triples or quads whose literals XML can carry, for RDF/XML: a character XML forbids (a value stored
    before the text policy) is dropped, as every XML writer here does (the other RDF syntaxes escape it)."""
    out: list[T] = []
    for s in statements:
        o = s.object
        if isinstance(o, Literal) and not is_clean(o.value):
            value = clean(o.value)
            o = Literal(value, language=o.language) if o.language else Literal(value, datatype=o.datatype)
            s = (
                Quad(s.subject, s.predicate, o, s.graph_name)
                if isinstance(s, Quad)
                else Triple(s.subject, s.predicate, o)
            )
        out.append(s)
    return out


#: the same characters in UTF-8 (C0 controls are single bytes; U+FFFE/U+FFFF three; surrogates never occur)
_ILLEGAL_UTF8 = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")


class CleanXmlWriter:
    """A binary stream over ``out`` that drops the characters XML forbids from the UTF-8 XML written to it.

    For XML that pyoxigraph writes itself (SPARQL XML results, RDF/XML), which copies a stored NUL or U+FFFE
    into the document as it is. A possibly cut U+FFFE at the end of a write is held for the next one;
    ``finish()`` writes what is held.
    """

    def __init__(self, out: Any) -> None:
        self.out = out
        self._held = b""

    def write(self, data: bytes) -> int:
        chunk = self._held + bytes(data)
        keep = 2 if chunk.endswith(b"\xef\xbf") else 1 if chunk.endswith(b"\xef") else 0
        self._held = chunk[len(chunk) - keep :] if keep else b""
        self.out.write(_ILLEGAL_UTF8.sub(b"", chunk[: len(chunk) - keep]))
        return len(data)

    def flush(self) -> None:
        self.out.flush()

    def finish(self) -> None:
        if self._held:
            self.out.write(self._held)
            self._held = b""


def _utf16(char: str) -> list[int]:
    data = char.encode("utf-16-be", "surrogatepass")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
