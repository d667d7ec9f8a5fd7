"""What the SPARQL workers read: a ``Source`` hands out the spec of the store (or checkpoint) a query runs on."""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["FixedSource", "Source"]


class Source(Protocol):
    """What workers read: ``spec`` is sent to a worker with each query (it reopens when it changes)."""

    async def spec(self) -> dict[str, Any]: ...

    def spec_now(self) -> dict[str, Any] | None: ...

    def hold(self, spec: dict[str, Any]) -> None: ...

    def release(self, spec: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


class FixedSource:
    """A source that never changes: a remote engine, or a store folder nobody writes (read-only mode)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self._spec = spec

    async def spec(self) -> dict[str, Any]:
        return self._spec

    def spec_now(self) -> dict[str, Any] | None:
        return self._spec

    def hold(self, spec: dict[str, Any]) -> None:
        pass

    def release(self, spec: dict[str, Any]) -> None:
        pass

    def close(self) -> None:
        pass
