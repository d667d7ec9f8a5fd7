"""JSON text in any Unicode encoding → Python values, refused with a reason when it is not JSON.

RFC 8259 §8.1 asks for UTF-8, but RFC 4627 §3 allowed UTF-16 and UTF-32 and real records use them: the
IGSN-JSON examples are UTF-16LE with a byte-order mark. The encoding is found from a byte-order mark or,
without one, from the pattern of zero bytes in the first four (a JSON text starts with two ASCII
characters), as ``json.detect_encoding`` does; the text is then decoded strictly. A repeated key in an
object is refused: which value wins is left open by RFC 8259, so the meaning is not clear.

Places in a document are named by JSON Pointers (RFC 6901), e.g. ``/related/1/relationType``.

>>> loads('{"a": [1]}'.encode("utf-16"))
{'a': [1]}
>>> pointer(("related", 1, "relationType"))
'/related/1/relationType'
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from ..errors import MalformedDocument

__all__ = ["decode", "loads", "utf8", "pointer"]


def decode(data: bytes) -> str:
    """The text of a JSON document in UTF-8, UTF-16 or UTF-32 (either byte order, with or without a BOM)."""
    encoding = json.detect_encoding(data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise MalformedDocument(
            f"malformed JSON: not valid {encoding.upper().removesuffix('-SIG')} (byte {exc.start})"
        ) from None
    # the utf-16/utf-32 codecs drop a leading BOM themselves, utf-8-sig too; a second one is content
    return text


def utf8(data: bytes) -> bytes:
    """The same JSON document re-encoded as UTF-8 without a BOM (what the RDF parser and the body checks read)."""
    encoding = json.detect_encoding(data)
    if encoding == "utf-8":
        return data
    return decode(data).encode("utf-8")


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise MalformedDocument(f"malformed JSON: the key {key!r} appears twice in one object")
        out[key] = value
    return out


def loads(data: bytes) -> Any:
    """The value of a JSON document in any Unicode encoding; ``MalformedDocument`` with the reason otherwise."""
    text = decode(data)
    try:
        return json.loads(text, object_pairs_hook=_no_repeats)
    except ValueError as exc:  # JSONDecodeError is a ValueError
        raise MalformedDocument(f"malformed JSON: {exc}") from None
    except RecursionError:
        raise MalformedDocument("malformed JSON: nested too deeply") from None


def pointer(parts: Iterable[str | int]) -> str:
    """The JSON Pointer of a place given as keys and array indices."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts) or "/"
