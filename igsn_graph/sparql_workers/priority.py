"""The priority of SPARQL workers: a short query runs at the server's priority; when more long queries (past
``nice_after_s``) run than ``long_at_full_priority``, each is moved to a lower one, so that the server's own work
keeps its latency while SPARQL is saturated. A reniced worker goes back to the server's priority when its query
ends (``renice``), or is replaced where the system does not allow that."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

from .job import Job
from .limits import PoolLimits
from .process import Worker

__all__ = ["lower_long_queries", "renice"]


def renice(worker: Worker, niceness: int) -> bool:
    """Sets the worker process's niceness, and its session's where Linux shares the processor between sessions
    first (autogroup: the niceness of a process then only orders it within its session, and a session kept
    busy by runaway queries would wait its turn behind every other); False when the system refuses (or the
    process is gone)."""
    try:
        os.setpriority(os.PRIO_PROCESS, worker.pid, niceness)
    except OSError:
        return False
    try:
        with open(f"/proc/{worker.pid}/autogroup", "w", encoding="ascii") as group:
            group.write(str(niceness))
    except FileNotFoundError:
        pass  # no autogroup (another system, or not built in): the process's niceness is all there is
    except OSError:
        return False
    return True


def lower_long_queries(
    jobs: Sequence[Job], limits: PoolLimits, niceness: int, now: float, lock: threading.RLock
) -> None:
    """Renices the workers of long queries when more of them run than may at full priority (``niceness``: the
    server's own; ``lock``: the pool's, held while a job's worker is looked at)."""
    long = [j for j in jobs if not j.ended and now - j.started >= limits.nice_after_s]
    if limits.nice and len(long) > limits.long_at_full_priority:
        for job in long:
            with lock:
                if not job.ended and not job.worker.reniced:  # (a worker back in the pool stays as it is)
                    job.worker.reniced = renice(job.worker, niceness + limits.nice)
