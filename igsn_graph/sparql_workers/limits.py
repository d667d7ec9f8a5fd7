"""The limits of a SPARQL query pool: workers, per-client count, queue, time limit and the renice policy."""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["PoolLimits"]


@dataclass(frozen=True)
class PoolLimits:
    workers: int = 4
    per_client: int = 2
    queue: int = 16
    queue_wait_s: float = 5.0
    timeout_s: float = 30.0
    #: niceness given to the workers of long queries (past ``nice_after_s``) when more than
    #: ``long_at_full_priority`` run at once (0: none)
    nice: int = 10
    nice_after_s: float = 0.1
    long_at_full_priority: int = max(1, (os.cpu_count() or 2) - 1)

    @property
    def standby_lead_s(self) -> float:
        """How long before a query's limit its standby worker is started."""
        return min(1.0, self.timeout_s / 2)
