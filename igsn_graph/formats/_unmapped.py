"""What a reader left unread: every element or attribute of a record that carries a value the reader never
took, named as ``not mapped: <path>`` so that nothing is dropped silently (issue 13).

A reader notes each element whose text it reads (``took``) and each attribute it reads (``took_attribute``);
``unmapped`` then walks the record element. Only values count: an empty element or attribute says nothing,
and a container is judged by its children. ``xsi:`` attributes and ``nilReason`` say how to read an element
(nil means absent), so they are never reported; the content of a nil element is, as the reader skips it.

Every XML reader keeps one (``_kernel.NamespacedReader.text``/``attr`` log for the kernel readers). The log is
kept as the values are taken, not as a list of mapped paths, so a value skipped inside an element that is read
(the identifier of a contributor without a name, a second affiliation, a curator's identifier ARDC writes and
``Curation`` has no place for) is reported too.

The JSON readers keep a ``PointerLog`` instead: they report a key as they pass it by, named by JSON Pointer, once
per place. Every warning of a value left unread has the one form ``not_mapped`` writes.
"""

from __future__ import annotations

from lxml import etree

from ..xmlparser import element_path
from .jsontext import pointer

__all__ = ["PointerLog", "ReadLog", "not_mapped"]

_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_MARKERS = frozenset({"nilReason"})


def not_mapped(where: str, why: str | None = None) -> str:
    """The warning for a value a reader did not take, at ``where`` (a path or pointer), with why if known."""
    return f"not mapped: {where}" + (f" ({why})" if why is not None else "")


class ReadLog:
    """The elements and attributes of one record a reader took a value from."""

    def __init__(self) -> None:
        # lxml hands out the same proxy for a node while a reference to it lives: the sets keep them alive
        self._texts: set[etree._Element] = set()
        self._attributes: set[tuple[etree._Element, str]] = set()

    def took(self, el: etree._Element) -> None:
        self._texts.add(el)

    def took_attribute(self, el: etree._Element, name: str) -> None:
        self._attributes.add((el, name))

    def unmapped(self, top: etree._Element, *, skip: str | None = None) -> list[str]:
        """``not mapped: <path>`` for each distinct path in ``top`` holding a value not taken, leaving out the
        elements whose tag is ``skip`` below ``top`` (the records, when ``top`` is a batch's root). Paths are
        ``element_path``'s, with positions: the first occurrence of each path without positions."""
        found: dict[str, str] = {}
        for el in _walk(top, skip):
            key = _relative(top, el)
            if el not in self._texts and el.text is not None and el.text.strip():
                found.setdefault(key, element_path(el))
                if not any((el, name) in self._attributes for name in el.attrib):
                    continue  # an element left whole: its attributes go with it
            for name, value in el.attrib.items():
                if (
                    etree.QName(name).namespace == _XSI
                    or name in _MARKERS
                    or not value.strip()
                    or (el, name) in self._attributes
                ):
                    continue
                found.setdefault(f"{key}/@{_local(name)}", f"{element_path(el)}/@{_local(name)}")
        return [not_mapped(path) for path in found.values()]


class PointerLog:
    """The places of a JSON document reported as not mapped: each distinct place in a record once, array indices
    inside the record as ``*``."""

    def __init__(self) -> None:
        self._shown: set[str] = set()

    def note(self, base: tuple[str | int, ...], path: tuple[str | int, ...], why: str | None = None) -> str | None:
        """The warning for the value at ``path`` in the record at ``base``, None when its place was reported
        already; with ``why`` it is named at its exact place, and always reported."""
        if why is not None:
            return not_mapped(pointer(base + path), why)
        shown = pointer(base + tuple("*" if isinstance(p, int) else p for p in path))
        if shown in self._shown:
            return None
        self._shown.add(shown)
        return not_mapped(shown)


def _walk(top: etree._Element, skip: str | None) -> list[etree._Element]:
    out, stack = [], [top]
    while stack:
        el = stack.pop()
        out.append(el)
        stack.extend(c for c in reversed(el) if isinstance(c.tag, str) and c.tag != skip)
    return out


def _local(name: str) -> str:
    local: str = etree.QName(name).localname  # lxml is untyped here
    return local


def _relative(top: etree._Element, el: etree._Element) -> str:
    parts: list[str] = []
    node: etree._Element | None = el
    while node is not None and node is not top:
        parts.append(_local(node.tag))
        node = node.getparent()
    return "".join(f"/{p}" for p in reversed(parts))
