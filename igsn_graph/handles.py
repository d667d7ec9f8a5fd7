"""The handle record of an IGSN, shaped as the handle.net proxy's REST API answers (no HTTP here).

``GET /api/handles/10273/{IGSN}`` (LINKED-DATA.md §4.1/§4.2): ``responseCode`` 1 with the handle echoed
exactly as asked and its values — the URL at index 1 (the registered landing page, else the sample's
page here) and ``HS_ADMIN`` at index 100 — filtered by ``type=`` (a trailing ``.`` takes sub-types) and
``index=`` (ORed). Unknown → responseCode 100; known but nothing left after filtering → 200; a handle
under another prefix → 301 (this server is not responsible); a malformed name → 102.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import InvalidIdentifier

if TYPE_CHECKING:
    from .registry.service import Registry

__all__ = [
    "INVALID",
    "NOT_FOUND",
    "NOT_RESPONSIBLE",
    "PREFIX",
    "SUCCESS",
    "TTL",
    "VALUES_NOT_FOUND",
    "HandleAnswer",
    "handle_values",
    "lookup",
]

#: the handle prefix of IGSN
PREFIX = "10273"
TTL = 86400
SUCCESS, NOT_FOUND, INVALID, VALUES_NOT_FOUND, NOT_RESPONSIBLE = 1, 100, 102, 200, 301
_ADMIN = {"handle": "0.NA/" + PREFIX, "index": 200, "permissions": "011111110011"}


@dataclass(frozen=True)
class HandleAnswer:
    """``body`` is the JSON document; ``response_code`` its handle response code."""

    response_code: int
    body: dict[str, Any]


def _value(index: int, kind: str, fmt: str, value: Any, timestamp: str) -> dict[str, Any]:
    return {"index": index, "type": kind, "data": {"format": fmt, "value": value}, "ttl": TTL, "timestamp": timestamp}


def handle_values(url: str, timestamp: str) -> list[dict[str, Any]]:
    """The values of an IGSN handle: its URL and the administrator of the prefix."""
    return [_value(1, "URL", "string", url, timestamp), _value(100, "HS_ADMIN", "admin", dict(_ADMIN), timestamp)]


def _selected(value: dict[str, Any], types: Sequence[str], indexes: Sequence[int]) -> bool:
    if not types and not indexes:
        return True
    kind = value["type"]
    # "URL." is URL and its sub-types (URL.x…)
    by_type = any(kind == t.rstrip(".") or (t.endswith(".") and kind.startswith(t)) for t in types)
    return by_type or value["index"] in indexes


def lookup(registry: Registry, handle: str, *, types: Sequence[str] = (), indexes: Sequence[int] = ()) -> HandleAnswer:
    """The answer for ``handle`` (``PREFIX/NAME``, echoed exactly as given)."""
    prefix, _, suffix = handle.partition("/")
    if not suffix:
        return HandleAnswer(INVALID, {"responseCode": INVALID, "handle": handle, "message": "Invalid handle"})
    if prefix != PREFIX:
        return HandleAnswer(
            NOT_RESPONSIBLE,
            {"responseCode": NOT_RESPONSIBLE, "handle": handle, "message": "Server not responsible for handle"},
        )
    try:
        name = registry.parse(suffix).name
    except InvalidIdentifier:
        return HandleAnswer(INVALID, {"responseCode": INVALID, "handle": handle, "message": "Invalid handle"})
    not_found = HandleAnswer(NOT_FOUND, {"responseCode": NOT_FOUND, "handle": handle, "message": "Handle Not Found"})
    row = registry.row(name)
    if row is None:
        return not_found
    # a deactivated sample resolves to its tombstone here; a sample without a landing page to ours
    url, stamp = registry.settings.base_url + name, row.datestamp
    if row.active and row.has_url:  # only then is the graph read: the row has no URL itself
        facts = registry.facts(name)
        if facts is None:
            return not_found
        url = facts.landing_url or url
    values = [v for v in handle_values(url, stamp) if _selected(v, types, indexes)]
    if not values:
        return HandleAnswer(
            VALUES_NOT_FOUND, {"responseCode": VALUES_NOT_FOUND, "handle": handle, "message": "Values Not Found"}
        )
    return HandleAnswer(SUCCESS, {"responseCode": SUCCESS, "handle": handle, "values": values})
