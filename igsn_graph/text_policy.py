"""The one text policy for every stored string: characters every output can carry, in NFC, of bounded size.

Every string the registry stores ends up in N-Quads, XML (OAI-PMH, SPARQL results, kernels), HTML and
JSON; what one of them cannot carry would break it for every reader of the sample. So a stored string
holds no surrogate, no noncharacter (U+FDD0–U+FDEF and the last two code points of every plane, e.g.
U+FFFE, U+FFFF) and no C0 control but tab, line feed and carriage return: such a value is refused with
``InvalidInput`` naming where it was given. Text that is only not in Unicode NFC is stored in NFC (a
warning says so): its meaning is clear. A value larger than the literal limit (UTF-8 bytes,
``Settings.max_literal_bytes``) is refused; a landing URL must parse as an absolute http(s) URL and be
no longer than ``Settings.max_url_length``.

Records are checked once, where every record passes before storage (``registry.prepare``); account
names where accounts are written; search parameters where they are parsed.

>>> problem("Basalt \\ufffe")
'holds U+FFFE (a noncharacter) at character 8'
>>> checked("Cafe\\u0301", "name")
'Café'
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .errors import InvalidInput, InvalidRecord
from .record import SampleRecord

__all__ = [
    "problem",
    "checked",
    "check_record",
    "check_url",
    "escaped",
    "DEFAULT_MAX_LITERAL_BYTES",
    "DEFAULT_MAX_URL_LENGTH",
]

#: defaults of ``Settings.max_literal_bytes`` and ``Settings.max_url_length``
DEFAULT_MAX_LITERAL_BYTES = 2 * 1024 * 1024
DEFAULT_MAX_URL_LENGTH = 2048

_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(f"{chr(p * 0x10000 + 0xFFFE)}{chr(p * 0x10000 + 0xFFFF)}" for p in range(17))
_REFUSED = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff{_NONCHARACTERS}]")

T = TypeVar("T")


def _kind(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return "a control character"
    if 0xD800 <= code <= 0xDFFF:
        return "a lone surrogate"
    return "a noncharacter"


def problem(text: str, *, max_bytes: int | None = None) -> str | None:
    """Why ``text`` may not be stored (None when it may), e.g. ``holds U+FFFE (a noncharacter) at character 8``."""
    bad = _REFUSED.search(text)
    if bad is not None:
        return f"holds U+{ord(bad.group()):04X} ({_kind(bad.group())}) at character {bad.start() + 1}"
    # a character is at most 4 bytes in UTF-8: most values are decided without encoding them
    if max_bytes is not None and len(text) * 4 > max_bytes and len(text.encode("utf-8")) > max_bytes:
        return f"is longer than {max_bytes:,} bytes (UTF-8), the limit for one value"
    return None


def checked(text: str, where: str, *, max_bytes: int | None = None) -> str:
    """``text`` in NFC; ``InvalidInput`` naming ``where`` when the policy refuses it."""
    reason = problem(text, max_bytes=max_bytes)
    if reason is not None:
        raise InvalidInput(f"{where}: {reason}")
    return unicodedata.normalize("NFC", text)


def escaped(text: str) -> str:
    """``text`` with every refused character written as ``\\uXXXX`` (for messages that quote input)."""
    return _REFUSED.sub(lambda m: f"\\u{ord(m.group()):04X}", text)


def check_url(url: str, *, max_length: int = DEFAULT_MAX_URL_LENGTH) -> str:
    """An absolute http(s) landing URL that the URL parser reads, without spaces, of at most ``max_length``
    characters; ``InvalidInput`` (``malformed URL …``, as the MDS words it) otherwise.

    A URL the parser rejects (``https://[::1``, a host such as ``a＃b`` that NFKC turns into a delimiter, a
    port that is no number) could not be checked against the allowed domains, redirected to, or written into
    a ``Location`` header.
    """
    if len(url) > max_length:
        raise InvalidInput(
            f"malformed URL: a landing URL of {len(url):,} characters; at most {max_length:,} are accepted"
        )
    reason = problem(url)
    if reason is not None:
        raise InvalidInput(f"malformed URL: the landing URL {reason}")
    shown = escaped(url) if len(url) <= 200 else escaped(url[:200]) + "…"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is no number or out of range
    except ValueError as exc:
        raise InvalidInput(
            f"malformed URL: {shown!r} ({exc}; the landing URL must be an absolute http or https URL)"
        ) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise InvalidInput(f"malformed URL: {shown!r} (the landing URL must be an absolute http or https URL)")
    return url


def check_record(record: SampleRecord, *, max_bytes: int) -> SampleRecord:
    """The record with every string in NFC (a warning per place that changed); ``InvalidRecord`` naming the
    element (or JSON path) and field of the first value the policy refuses."""
    if _clean(record, max_bytes=max_bytes):  # most records: nothing to refuse or change
        return record
    warnings: list[str] = []
    out = _walk(record, "", record, max_bytes, warnings)
    # the reader's warnings may quote input: written so that they hold no refused character either
    notes = [escaped(w) for w in record.warnings] + warnings
    if out is record and notes == record.warnings:
        return record
    return dataclasses.replace(out, warnings=notes)


#: fields that are not stored text: kept as they are
_SKIPPED = frozenset({"igsn", "source_elements", "warnings"})


def _clean(record: SampleRecord, *, max_bytes: int) -> bool:
    """Whether the policy finds nothing in the record (``_walk`` would return it unchanged and warn of nothing):
    its strings checked at once, joined by line feeds — a line feed is allowed, and as a starter that never
    composes it keeps each string's NFC its own. False sends the record through ``_walk``, which says what
    and where."""
    strings: list[str] = []
    for name in _field_names(type(record)):
        if name not in _SKIPPED:
            _strings(getattr(record, name), strings)
    text = "\n".join(strings)
    return (
        _REFUSED.search(text) is None
        and unicodedata.is_normalized("NFC", text)
        and max(map(len, strings), default=0) * 4 <= max_bytes
        and not any(_REFUSED.search(w) for w in record.warnings)
    )


def _strings(value: object, out: list[str]) -> None:
    """Every string ``_walk`` would check in ``value``, into ``out``."""
    kind = type(value)
    if kind is str:
        out.append(value)  # type: ignore[arg-type]  # a str
    elif kind is list or kind is tuple:
        for v in value:  # type: ignore[attr-defined]  # a list or tuple
            _strings(v, out)
    elif value is None or kind is bool or kind is int or kind is float:
        return
    elif isinstance(value, str):
        out.append(value)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _strings(v, out)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for name in _field_names(kind):
            _strings(getattr(value, name), out)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(kind: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(kind))
    return names


def _where(record: SampleRecord, path: str) -> str:
    top = re.split(r"[.\[]", path, maxsplit=1)[0]
    element = record.source_elements.get(top)
    return f"{element} ({path})" if element else path


def _walk(value: T, path: str, record: SampleRecord, max_bytes: int, warnings: list[str]) -> T:
    """``value`` with its strings checked and in NFC; the same object when nothing changed."""
    if isinstance(value, str):
        reason = problem(value, max_bytes=max_bytes)
        if reason is not None:
            raise InvalidRecord(f"{_where(record, path)}: {reason}", igsn=record.igsn)
        normal = unicodedata.normalize("NFC", value)
        if normal != value:
            warnings.append(f"{_where(record, path)}: text not in Unicode NFC; stored in NFC")
            return normal  # type: ignore[return-value]  # T is str in this branch
        return value
    if isinstance(value, (list, tuple)):
        items = [_walk(v, f"{path}[{i + 1}]", record, max_bytes, warnings) for i, v in enumerate(value)]
        if all(a is b for a, b in zip(items, value, strict=False)):
            return value
        return type(value)(items)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            if f.name in _SKIPPED and value is record:
                continue
            old = getattr(value, f.name)
            new = _walk(old, f"{path}.{f.name}" if path else f.name, record, max_bytes, warnings)
            if new is not old:
                changes[f.name] = new
        return dataclasses.replace(value, **changes) if changes else value
    return value  # None, numbers, booleans
