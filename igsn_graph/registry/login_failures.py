"""The login throttle's token buckets in the registry database, so that every node sharing it counts every failure.

A bucket holds ``burst`` tokens and gets one back every ``refill_s`` seconds; a failed login takes one. A row is
(bucket, tokens, at): the tokens left right after the last failure and its wall-clock time (nodes share no
monotonic clock), so the tokens now are computed from them. Only failures write (one upsert, the refill computed
in SQL so that failures on two nodes at once both count); a check reads the rows of its buckets by key. Rows of
buckets that are full again are deleted by the next failure anywhere, so the table holds recent failures only.
Bucket names are digests (an attacker's account names are not stored, whatever their length).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..db import POSTGRESQL, Database

__all__ = ["Bucket", "LoginFailures", "bucket_name"]

#: refill_s standing for "never" (a bucket that does not refill; SQL needs a number to divide by)
_NEVER = 1e18

_SPEND = {
    "sqlite": "INSERT INTO login_failure (bucket, tokens, at) VALUES (?, ?, ?) ON CONFLICT (bucket) DO UPDATE SET "
    "tokens = max(0.0, min(?, login_failure.tokens + max(0.0, excluded.at - login_failure.at) / ?) - 1), "
    "at = excluded.at",
    "postgresql": "INSERT INTO login_failure (bucket, tokens, at) VALUES (?, ?, ?) ON CONFLICT (bucket) DO UPDATE "
    "SET tokens = GREATEST(0.0, LEAST(?, login_failure.tokens + GREATEST(0.0, excluded.at - login_failure.at) / ?) "
    "- 1), at = excluded.at",
}


def bucket_name(*parts: str) -> str:
    """The row key of a bucket named by ``parts`` (kind first): a fixed-length digest."""
    return hashlib.sha256(json.dumps(parts).encode("utf-8", "surrogatepass")).hexdigest()[:40]


@dataclass(frozen=True)
class Bucket:
    name: str
    burst: int
    refill_s: float

    @property
    def full_after_s(self) -> float:
        """Seconds after which an emptied bucket is full again."""
        return self.burst * self.refill_s if self.refill_s > 0 else _NEVER


class LoginFailures:
    """The shared buckets of ``db`` (``clock``: wall-clock seconds, the same on every node within a second).

    ``keep_s``: seconds after its last failure when every bucket is full again (the longest ``full_after_s``)."""

    def __init__(self, db: Database, *, keep_s: float, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.keep_s = keep_s
        self._clock = clock

    def tokens(self, buckets: Sequence[Bucket]) -> dict[str, float]:
        """The tokens each bucket with a recent failure holds now (one read by key); the others are full."""
        if not buckets:
            return {}
        marks = ", ".join("?" for _ in buckets)
        rows = (
            self.db.read()
            .execute(
                f"SELECT bucket, tokens, at FROM login_failure WHERE bucket IN ({marks})", [b.name for b in buckets]
            )
            .fetchall()
        )
        now = self._clock()
        by_name = {b.name: b for b in buckets}
        found = {}
        for name, tokens, at in rows:
            b = by_name[name]
            refill = b.refill_s if b.refill_s > 0 else _NEVER
            found[name] = min(float(b.burst), float(tokens) + max(0.0, now - float(at)) / refill)
        return found

    def spend(self, buckets: Sequence[Bucket]) -> None:
        """Takes a token from each bucket (a failed login), and deletes the rows of buckets full again."""
        if not buckets:
            return
        now = self._clock()
        sql = _SPEND[POSTGRESQL if self.db.dialect == POSTGRESQL else "sqlite"]
        with self.db.write(durable=False) as conn:
            for b in buckets:
                refill = b.refill_s if b.refill_s > 0 else _NEVER
                conn.execute(sql, (b.name, float(b.burst - 1), now, float(b.burst), refill))
            if self.keep_s < _NEVER:
                conn.execute("DELETE FROM login_failure WHERE at < ?", (now - self.keep_s,))
