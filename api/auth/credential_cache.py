"""The verified-credential cache: which HTTP Basic credentials were checked and as whom, for a short while, emptied
when the accounts version (changed by every account write, on any node) changed."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from igsn_graph.errors import IgsnGraphError
from igsn_graph.registry.accounts import Principal

__all__ = ["CredentialCache"]

log = logging.getLogger("igsn_graph")


class CredentialCache:
    """Remembers, for ``ttl`` seconds, which credentials were verified and as whom.

    Verifying a password costs one scrypt (~50 ms, 16 MiB), which would dominate every request. Keys are
    HMAC-SHA256 of user and password under a random per-process key, so neither the password nor a hash
    usable offline is kept. Only successes are cached: a wrong password always pays the full scrypt.
    A password change or deactivated account therefore takes effect after at most ``ttl`` seconds; with
    ``version`` (the accounts version, which every account write changes, read at most every ``version_every_s``
    seconds) the cache is emptied when it changed, so a change made on another node takes effect within that.
    ``get`` never reads the database: the caller runs ``refresh`` first when ``refresh_due`` (off the event loop,
    since on PostgreSQL the read is a network round trip).
    """

    def __init__(
        self,
        *,
        ttl: float = 60.0,
        max_entries: int = 1024,
        clock: Callable[[], float] = time.monotonic,
        version: Callable[[], str | None] | None = None,
        version_every_s: float = 1.0,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._entries: OrderedDict[bytes, tuple[float, Principal]] = OrderedDict()
        self._lock = threading.Lock()
        self._version = version
        self._version_every_s = version_every_s
        self._version_seen: str | None = None
        self._version_read_at = float("-inf")
        #: bumped at every emptying: a verification begun before it is not cached after it
        self.generation = 0

    def refresh_due(self) -> bool:
        """The accounts version is to be read again (``version_every_s`` passed since the last read)."""
        return self._version is not None and self._clock() - self._version_read_at >= self._version_every_s

    def refresh(self) -> None:
        """Empties the cache when the accounts version changed (read at most every ``version_every_s``)."""
        if self._version is None or not self.refresh_due():
            return
        self._version_read_at = self._clock()
        try:
            current = self._version()
        except (sqlite3.Error, IgsnGraphError) as exc:
            # the database is unreachable: no account can change meanwhile either, so the cache stays (a cached
            # login keeps working through an outage); read again at the next interval
            log.warning("cannot read the accounts version (the credential cache is kept): %s", exc)
            return
        with self._lock:
            if current != self._version_seen:
                self._version_seen = current
                self._entries.clear()
                self.generation += 1

    def key(self, user: str, password: str) -> bytes:
        """The keyed digest that stands for these credentials (never the password itself)."""
        return self._digest(user, password)

    def _digest(self, user: str, password: str) -> bytes:
        u = user.encode("utf-8", "surrogatepass")
        # length-prefixed so that ("ab", "c") and ("a", "bc") never collide
        message = len(u).to_bytes(4, "big") + u + password.encode("utf-8", "surrogatepass")
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def get(self, user: str, password: str) -> Principal | None:
        key = self._digest(user, password)
        with self._lock:
            hit = self._entries.get(key)
            if hit is None:
                return None
            expires, who = hit
            if expires <= self._clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return who

    def put(self, user: str, password: str, who: Principal, *, generation: int | None = None) -> None:
        """Remembers a verification; ``generation``: the cache's when it began (not kept if emptied since)."""
        key = self._digest(user, password)
        with self._lock:
            if generation is not None and generation != self.generation:
                return
            self._entries[key] = (self._clock() + self.ttl, who)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.generation += 1

    def __len__(self) -> int:
        return len(self._entries)
