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

__all__ = [
    "MediaRange",
    "Weighted",
    "choose",
    "params_of",
    "parse_accept",
    "parse_accept_profile",
    "parse_weighted",
    "quality",
]


@dataclass(frozen=True)
class Weighted:
    """One item of a weighted list header: its value as written, its q-value, its other parameters."""

    value: str
    q: float = 1.0
    params: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


def parse_weighted(header: str | None) -> list[Weighted]:
    """The items of a comma-separated header with q-values (Accept, Accept-Profile, Accept-Encoding), in order:
    q clamped to 0…1 (malformed: 0), other parameter names lower-cased and values unquoted. The one q-value
    parser.

    >>> [(w.value, w.q) for w in parse_weighted("gzip;q=0.5, br")]
    [('gzip', 0.5), ('br', 1.0)]
    """
    out: list[Weighted] = []
    for part in (header or "").split(","):
        value, *pieces = (p.strip() for p in part.split(";"))
        if not value and not pieces:
            continue
        q = 1.0
        params: dict[str, str] = {}
        for piece in pieces:
            key, _, given = piece.partition("=")
            key, given = key.strip().lower(), given.strip().strip('"')
            if key == "q":
                try:
                    q = max(0.0, min(1.0, float(given)))
                except ValueError:
                    q = 0.0
            elif key:
                params[key] = given
        out.append(Weighted(value, q, params))
    return out


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
    for item in parse_weighted(header):
        t, _, s = item.value.lower().partition("/")
        if t and s:
            out.append(MediaRange(t, s, item.q, item.params))
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
    weighted: list[tuple[float, int, str]] = []
    for index, item in enumerate(parse_weighted(header)):
        value = item.value
        if value.startswith("<") and value.endswith(">"):
            value = value[1:-1].strip()
        if value and item.q > 0:
            weighted.append((-item.q, index, value))
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
