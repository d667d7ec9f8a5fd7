"""A SPARQL query's answer as the pool hands it over: whole, or its first part and a stream of the rest; and the
errors a worker reports."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import StorageFailure
from ..sparql import QueryEvaluationError, QuerySyntaxError, QueryTimeout

__all__ = ["STREAM_AFTER", "Answer", "error_of"]

#: body bytes gathered before the answer starts streaming (a smaller result is sent with a Content-Length)
STREAM_AFTER = 256 * 1024


@dataclass
class Answer:
    """A query's answer: ``kind`` and ``media_type``; ``body`` complete, or ``streaming`` with more to come.

    ``media_type`` None: the result kind has none of the acceptable media types (406).
    """

    kind: str
    media_type: str | None
    body: bytes = b""
    streaming: bool = False
    _rest: AsyncGenerator[bytes, None] | None = field(default=None, repr=False)
    _abandon: Any = field(default=None, repr=False)

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body; raises (and so aborts a response under way) when the query fails or passes its limit."""
        finished = False
        try:
            if self.body:
                yield self.body
            if self._rest is not None:
                async for chunk in self._rest:
                    yield chunk
            finished = True
        finally:
            if not finished:
                await self.aclose()

    async def aclose(self) -> None:
        """Abandons the rest of a streamed answer: its worker is stopped and its slot freed."""
        if self._abandon is not None:
            self._abandon()
        if self._rest is not None:
            await self._rest.aclose()


def error_of(payload: dict[str, str]) -> Exception:
    """The exception a worker's ``X`` frame stands for."""
    kind, message = payload.get("error"), payload.get("message", "")
    if kind == "syntax":
        return QuerySyntaxError(message)
    if kind == "storage":
        return StorageFailure(message)
    if kind == "timeout":
        return QueryTimeout(message)
    return QueryEvaluationError(f"the query could not be evaluated: {message}")
