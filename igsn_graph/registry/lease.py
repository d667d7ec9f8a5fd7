"""Which node runs a background job (embargo lifts, harvests, the restamp): exactly one at a time.

With the SQLite database the registry is one machine's file served by one server process, which runs every job:
the lease is always granted. With the database on PostgreSQL any number of nodes share the registry, and a job runs
only on the node that holds its lease: a session-level advisory lock, ``pg_try_advisory_lock(JOBS, job)``, taken on
a connection of the lease's own. It needs no renewal and no clock: the lock lives exactly as long as its holder's
session, so a holder that dies (SIGKILL, a crash) gives it up when its connection closes, and one whose machine
vanishes when the server's TCP keepalives end the session (set here per session: about 30 s). The other nodes try
to take it before each round of the job, so one of them takes over within a round.

A holder checks its session before each round: a lost connection is a lost lease (another node may hold it now),
taken again only if still free. A round cut off by a lost connection does no harm beyond the duplicate work: every
write of a job goes through the registry's write lock, so the lease decides only who does the work.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import weakref
import zlib
from typing import Any

__all__ = ["JOBS", "Lease", "held_jobs", "holder_name"]

log = logging.getLogger("igsn_graph")

#: the first half of every job lease's advisory lock key (the second: the job name's CRC-32); the two-integer
#: form never meets the one-bigint keys of the schema and write locks (``db``)
JOBS = 0x1657_5C50


def holder_name(job: str) -> str:
    """What a lease's session calls itself (``application_name``): the job, host and process that hold it."""
    # application_name holds 63 bytes: the host is shortened, never the pid that ends the name
    return f"igsn-graph {job} {socket.gethostname()[:20]}:{os.getpid()}"


#: every lease of this process (for ``held_jobs``); a lease forgotten by its owner drops out
_LEASES: weakref.WeakSet[Lease] = weakref.WeakSet()
_LEASES_LOCK = threading.Lock()


def held_jobs(url: str) -> list[str]:
    """The jobs whose lease on the database ``url`` this process holds now (as last taken or kept), sorted."""
    with _LEASES_LOCK:
        leases = list(_LEASES)
    return sorted({lease.job for lease in leases if lease.url == url and lease._conn is not None})


def _job_key(job: str) -> int:
    return zlib.crc32(job.encode()) & 0x7FFF_FFFF


class Lease:
    """The right to run ``job``: ``url`` a PostgreSQL URL (shared registry), or None (one process: always held)."""

    def __init__(self, url: str | None, job: str) -> None:
        self.url = url
        self.job = job
        self._key = _job_key(job)
        self._conn: Any = None
        with _LEASES_LOCK:
            _LEASES.add(self)

    def hold(self) -> bool:
        """Whether this process holds the lease now: kept if its session is alive, else taken if free."""
        if self.url is None:
            return True
        import psycopg

        from ..db.postgres import KEEPALIVE

        if self._conn is not None:
            try:
                self._conn.execute("SELECT 1")
                return True
            except psycopg.Error:
                log.warning("lost the lease of %s (connection to the database lost)", self.job)
                self.close()
        try:
            conn = psycopg.connect(
                self.url, autocommit=True, connect_timeout=10, application_name=holder_name(self.job)
            )
        except psycopg.Error as exc:
            log.warning("cannot reach the database to take the lease of %s: %s", self.job, exc)
            return False
        try:
            for statement in KEEPALIVE:
                conn.execute(statement)
            row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (JOBS, self._key)).fetchone()
        except psycopg.Error:
            conn.close()
            return False
        if not (row and row[0]):
            conn.close()
            return False
        self._conn = conn
        return True

    @property
    def held(self) -> bool:
        """Whether this process took the lease (and has not released or lost it since)."""
        return self.url is None or self._conn is not None

    def holder(self) -> str | None:
        """The ``holder_name`` of the session holding the lease now (None: nobody); always this one on SQLite."""
        if self.url is None:
            return holder_name(self.job)
        import psycopg

        with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as conn:
            row = conn.execute(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s "
                "AND l.objsubid = 2 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                (JOBS, self._key),
            ).fetchone()
        return str(row[0]) if row else None

    def close(self) -> None:
        """Gives the lease up (ending the session releases the lock)."""
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 - a broken connection is closed all the same
                pass
            self._conn = None
