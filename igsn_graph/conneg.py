"""Accept header parsing per RFC 9110 (q-values, wildcards, parameters, q=0) and choice among offered types.

>>> choose("text/csv;q=0.5, application/sparql-results+json", ["application/sparql-results+json", "text/csv"])
'application/sparql-results+json'
>>> choose("image/png", ["text/turtle"]) is None
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

__all__ = ["MediaRange", "parse_accept", "choose"]


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


def choose(header: str | None, offered: Sequence[str], *, charset_utf8_only: bool = True) -> str | None:
    """The offered type the client prefers most (ties: the server's order), or None when nothing is acceptable."""
    ranges = parse_accept(header)
    best: tuple[float, int, int] | None = None
    chosen: str | None = None
    for index, media_type in enumerate(offered):
        matching = [r for r in ranges if r.matches(media_type)]
        if not matching:
            continue
        # the most specific matching range decides the quality (RFC 9110 §12.5.1)
        top = max(matching, key=lambda r: r.specificity)
        if charset_utf8_only and top.params.get("charset", "utf-8").lower() not in ("utf-8", "utf8"):
            continue
        if top.q <= 0:
            continue
        key = (top.q, top.specificity, -index)
        if best is None or key > best:
            best, chosen = key, media_type
    return chosen
