"""Accept header parsing per RFC 9110 (q-values, wildcards, parameters, q=0) and choice among offered types.

>>> choose("text/csv;q=0.5, application/sparql-results+json", ["application/sparql-results+json", "text/csv"])
'application/sparql-results+json'
>>> choose("image/png", ["text/turtle"]) is None
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["MediaRange", "choose", "params_of", "parse_accept", "parse_accept_profile", "quality"]


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float = 1.0
    params: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def matches(self, media_type: str) -> bool:
        t, _, s = media_type.partition("/")
        return (self.type in ("*", t)) and (self.subtype in ("*", s))

    @property
    def specificity(self) -> int:
        return (self.type != "*") + (self.subtype != "*") + bool(self.params)


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; malformed parts are skipped, an empty header means */*."""
    return list(_ranges(header))


def _ranges(header: str | None) -> tuple[MediaRange, ...]:
    # clients send a handful of distinct Accept headers: each is parsed once, not once per offered type
    # (an unusually long one is parsed each time rather than kept)
    return _parsed(header) if header is None or len(header) <= 1024 else tuple(_parse(header))


@lru_cache(maxsize=512)
def _parsed(header: str | None) -> tuple[MediaRange, ...]:
    return tuple(_parse(header))


def _parse(header: str | None) -> list[MediaRange]:
    if not header or not header.strip():
        return [MediaRange("*", "*")]
    out: list[MediaRange] = []
    for part in header.split(","):
        pieces = [p.strip() for p in part.split(";")]
        mt = pieces[0].lower()
        if "/" not in mt:
            continue
        t, _, s = mt.partition("/")
        if not t or not s:
            continue
        q = 1.0
        params: dict[str, str] = {}
        for p in pieces[1:]:
            key, _, value = p.partition("=")
            key, value = key.strip().lower(), value.strip().strip('"')
            if key == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
            elif key:
                params[key] = value
        out.append(MediaRange(t, s, q, params))
    return out


def _top(ranges: Sequence[MediaRange], media_type: str, charset_utf8_only: bool) -> MediaRange | None:
    matching = [r for r in ranges if r.matches(media_type)]
    if not matching:
        return None
    # the most specific matching range decides the quality (RFC 9110 §12.5.1)
    top = max(matching, key=lambda r: r.specificity)
    if charset_utf8_only and top.params.get("charset", "utf-8").lower() not in ("utf-8", "utf8"):
        return None
    return top if top.q > 0 else None


def quality(header: str | None, media_type: str, *, charset_utf8_only: bool = True) -> tuple[float, int]:
    """(q, specificity) the client gives one media type; (0, 0) when it is not acceptable."""
    top = _top(_ranges(header), media_type, charset_utf8_only)
    return (top.q, top.specificity) if top is not None else (0.0, 0)


def parse_accept_profile(header: str | None) -> list[str]:
    """The profiles of an Accept-Profile header (``<URI>`` or bare tokens), best first; q=0 left out.

    >>> parse_accept_profile("<urn:x>;q=0.5, <urn:y>")
    ['urn:y', 'urn:x']
    """
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        value, *params = [p.strip() for p in part.split(";")]
        value = value.strip()
        if value.startswith("<") and value.endswith(">"):
            value = value[1:-1].strip()
        if not value:
            continue
        q = 1.0
        for p in params:
            key, _, number = p.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(number.strip())))
                except ValueError:
                    q = 0.0
        if q > 0:
            weighted.append((-q, index, value))
    return [value for _, _, value in sorted(weighted)]


def choose(header: str | None, offered: Sequence[str], *, charset_utf8_only: bool = True) -> str | None:
    """The offered type the client prefers most (ties: the server's order), or None when nothing is acceptable."""
    ranges = _ranges(header)
    best: tuple[float, int, int] | None = None
    chosen: str | None = None
    for index, media_type in enumerate(offered):
        top = _top(ranges, media_type, charset_utf8_only)
        if top is None:
            continue
        key = (top.q, top.specificity, -index)
        if best is None or key > best:
            best, chosen = key, media_type
    return chosen


def params_of(header: str | None, media_type: str) -> dict[str, str]:
    """The parameters (other than q) of the Accept range that decides ``media_type`` (e.g. ``style=apa``)."""
    top = _top(_ranges(header), media_type, charset_utf8_only=False)
    return dict(top.params) if top is not None else {}
