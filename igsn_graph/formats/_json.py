"""Small readers shared by the JSON record readers: values by JSON Pointer, refusals and warnings naming them.

A reader takes what it maps with ``text``/``items``/``obj`` and hands every object it has read to ``rest``,
which reports each key it did not take as ``not mapped: <pointer>`` (``_unmapped.PointerLog``: array indices
shown as ``*``, one warning per distinct place is enough). A value of the wrong JSON type is a refusal when the field is
required and a warning when it is optional: a number where text is expected is read as its text, an
object or array where text is expected is not mapped.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from typing import Any, Iterable, Iterator

from ..errors import InvalidIdentifier, InvalidRecord
from ..identifiers import parse_igsn
from ..resources import mappings_dir
from ._unmapped import PointerLog
from .jsontext import pointer

__all__ = ["Path", "JsonReader", "terms"]

Path = tuple[str | int, ...]
#: C0 control characters other than tab, line feed and carriage return (as formats.rdf refuses them)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@lru_cache(maxsize=None)
def terms(file: str) -> dict[tuple[str, str], tuple[str, bool]]:
    """A format's term table in ``mappings/`` (columns ``field,term,value,in_schema,note``):
    (field, term) → (value, whether the format's schema lists the term)."""
    with open(mappings_dir() / file, encoding="utf-8", newline="") as f:
        return {(row["field"], row["term"]): (row["value"], row["in_schema"] == "yes") for row in csv.DictReader(f)}


class JsonReader:
    """Reads one record out of a parsed JSON document; ``base`` is where the record sits in the document."""

    def __init__(self, base: Path = ()) -> None:
        self.base = base
        self.warnings: list[str] = []
        self._unread = PointerLog()

    def where(self, path: Path) -> str:
        return pointer(self.base + path)

    def refuse(self, path: Path, reason: str, igsn: str | None = None) -> InvalidRecord:
        return InvalidRecord(f"{self.where(path)}: {reason}", igsn=igsn)

    def warn(self, path: Path, message: str) -> None:
        self.warnings.append(f"{self.where(path)}: {message}")

    def not_mapped(self, path: Path, why: str | None = None) -> None:
        """``not mapped: <pointer>``: once per place (indices as ``*``), or with ``why`` at the exact place."""
        warning = self._unread.note(self.base, path, why)
        if warning is not None:
            self.warnings.append(warning)

    def rest(self, obj: dict[str, Any], used: Iterable[str], path: Path) -> None:
        """Reports every key of ``obj`` but ``used`` (and ``@context``, which is not data) as not mapped."""
        taken = set(used) | {"@context"}
        for key in obj:
            if key not in taken:
                self.not_mapped(path + (key,))

    def text(self, obj: dict[str, Any], key: str, path: Path, *, required: bool = False) -> str | None:
        """The stripped text at ``obj[key]``; None when absent or blank (a refusal when ``required``)."""
        value = obj.get(key)
        here = path + (key,)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self.warn(here, f"a number where text is expected; read as {value!r}")
            value = str(value)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.refuse(here, "missing or empty")
            return None
        if not isinstance(value, str):
            if required:
                raise self.refuse(here, f"must be text, not {_kind(value)}")
            self.not_mapped(here)
            return None
        if _CONTROL.search(value):
            raise self.refuse(here, "holds control characters (C0 other than tab, LF, CR): no output could carry them")
        return value.strip()

    def obj(self, value: Any, path: Path) -> dict[str, Any] | None:
        """``value`` when it is an object; otherwise None, reported as not mapped (unless absent)."""
        if isinstance(value, dict):
            return value
        if value is not None:
            self.not_mapped(path)
        return None

    def items(self, obj: dict[str, Any], key: str, path: Path) -> Iterator[tuple[Path, Any]]:
        """The items of the array at ``obj[key]`` with their paths; a lone value is read as an array of one."""
        value = obj.get(key)
        here = path + (key,)
        if value is None:
            return
        if not isinstance(value, list):
            self.warn(here, "one value where an array is expected; read as an array of one")
            yield here, value
            return
        for i, item in enumerate(value):
            yield here + (i,), item

    def igsn(self, obj: dict[str, Any], key: str, path: Path) -> str:
        """The normal form of the record's IGSN at ``obj[key]``: required, any written form."""
        raw = self.text(obj, key, path, required=True)
        assert raw is not None
        try:
            return parse_igsn(raw).name
        except InvalidIdentifier as exc:
            raise InvalidIdentifier(
                f"{self.where(path + (key,))}: {exc.message}", value=exc.value, reason=exc.reason
            ) from None


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", bool: "true or false"}.get(type(value), type(value).__name__)
