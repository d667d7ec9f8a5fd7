"""``batched``: items in lists of at most ``size``, read as they come (Python 3.12's ``itertools.batched``, as
lists): a walk over a million catalogue rows never holds more than one batch."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["batched"]

_T = TypeVar("_T")


def batched(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    """Lists of ``size`` items from ``items`` in order, the last one shorter; none for no items.

    >>> list(batched(range(5), 2))
    [[0, 1], [2, 3], [4]]
    """
    if size < 1:
        raise ValueError("a batch holds at least one item")
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk
