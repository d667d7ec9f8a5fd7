"""``once``: a property computed at its first read and kept in the instance.

``functools.cached_property`` without its lock: before Python 3.12 that lock is one per property for every
instance of the class, so threads reading two different objects wait for each other (prerender's threads and the
server's reading two samples' graphs; the group committer compressing one write's graph while a request thread
writes another's). Two threads sharing one object may both compute a value; both get an equal one, and the last
one kept is the one every later read finds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

__all__ = ["once"]

_T = TypeVar("_T")


class once(Generic[_T]):  # noqa: N801 - used as a decorator, like ``property``
    """A property computed at its first read, then found in the instance's ``__dict__``."""

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> once[_T]: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> _T: ...
    def __get__(self, instance: object | None, owner: type | None = None) -> _T | once[_T]:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)  # found in the instance from now on
        return value
