"""A query running in a worker process, and the name logs give a query."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

from .process import Worker

__all__ = ["Job", "query_hash"]


def query_hash(query: str) -> str:
    """What logs name a query by (its text may hold anything a client typed)."""
    return hashlib.sha256(query.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@dataclass
class Job:
    """A query running in a worker: whose, since when, until when, on which event loop."""

    worker: Worker
    client: str
    query: str
    started: float
    deadline: float
    loop: asyncio.AbstractEventLoop
    ended: bool = False  # the worker is back in the pool, or stopped
    released: bool = False  # the slot and the client's count were given back

    @property
    def hash(self) -> str:
        return query_hash(self.query)  # only when it is logged: most queries never are
