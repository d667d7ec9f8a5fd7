"""The parameters of a search as text checked and made safe: the FTS5 query of the user's words, a bounding box,
a time-range bound, and the opaque keyset cursor of a page."""

from __future__ import annotations

import base64
import datetime
import json
import math
import re

from ..errors import InvalidInput
from .search_rows import first_day, last_day

__all__ = ["FACETS", "MAX_LIMIT", "SORTS", "decode_cursor", "encode_cursor", "fts_query", "parse_bbox", "parse_date"]

#: facets (and filters) in the order a page shows them
FACETS = ("agent", "client", "namespace", "type", "material", "method", "year")
SORTS = ("relevance", "date", "igsn")
MAX_LIMIT = 200

_TERM = re.compile(r'"([^"]*)"?|(\S+)')


def fts_query(q: str) -> str | None:
    """An FTS5 query from user text: every word or "quoted phrase" becomes a quoted string, all required.

    A trailing ``*`` keeps its meaning (prefix). Operators and punctuation lose theirs, so no input can be an
    FTS5 syntax error. None when nothing searchable is left.
    """
    parts: list[str] = []
    for m in _TERM.finditer(q):
        phrase, word = m.group(1), m.group(2)
        text = phrase if phrase is not None else word
        prefix = word is not None and word.endswith("*")
        text = text.rstrip("*") if prefix else text
        # only characters the tokenizer keeps can match; a term of punctuation only is dropped
        if not any(ch.isalnum() for ch in text):
            continue
        if word is not None and text.upper() in ("AND", "OR", "NOT", "NEAR"):
            continue  # the user's operators are words we cannot honour safely; they are not content
        parts.append('"' + text.replace('"', '""') + '"' + ("*" if prefix else ""))
    return " ".join(parts) or None


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``west,south,east,north`` in degrees (CRS84) → (west, east, south, north); west > east crosses 180°."""
    parts = text.split(",")
    if len(parts) != 4:
        raise InvalidInput("bbox must be four numbers: west,south,east,north (degrees, CRS84)")
    try:
        w, s, e, n = (float(p) for p in parts)
    except ValueError:
        raise InvalidInput(f"bbox {text!r} holds something that is not a number") from None
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        raise InvalidInput("bbox values must be finite numbers")
    if not (-180 <= w <= 180 and -180 <= e <= 180):
        raise InvalidInput("bbox longitudes must lie in [-180, 180]")
    if not (-90 <= s <= 90 and -90 <= n <= 90):
        raise InvalidInput("bbox latitudes must lie in [-90, 90]")
    if s > n:
        raise InvalidInput("bbox south must not be north of north")
    return w, e, s, n


_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def parse_date(text: str, *, end: bool) -> str:
    """A time-range bound (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) → YYYY-MM-DD, its first or last day."""
    m = _DATE.fullmatch(text.strip())
    if m is None:
        raise InvalidInput(f"{text!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)
    try:
        datetime.date(max(year, 1), month, day)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a calendar date") from None
    bound = (last_day if end else first_day)(m.group(0))
    assert bound is not None  # a matched date covers a day
    return bound


def encode_cursor(key: object, last: str | int) -> str:
    """The position after a page's last hit: its sort key and its IGSN (its document number in relevance order,
    where ties are broken by that number: ranking reads the text index alone, ``search_sql``)."""
    return base64.urlsafe_b64encode(json.dumps([key, last]).encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[object, str | int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key, last = json.loads(raw)
    except (ValueError, TypeError):
        raise InvalidInput("cursor is not one this service issued") from None
    ok = (
        (sort == "relevance" and isinstance(key, (int, float)) and type(last) is int)
        or (sort == "date" and isinstance(key, str) and isinstance(last, str))
        or (sort == "igsn" and key is None and isinstance(last, str))
    )
    if not ok:
        raise InvalidInput("cursor does not belong to this sort order")
    return key, last
