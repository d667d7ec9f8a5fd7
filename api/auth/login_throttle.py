"""The failed-login throttle: token buckets per (account, address), per address and for all, in front of
password hashing; with a registry database shared by nodes, failures counted there too."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from igsn_graph.errors import IgsnGraphError, LoginThrottled
from igsn_graph.registry.login_failures import Bucket, LoginFailures, bucket_name

__all__ = ["Admission", "LoginThrottle"]

log = logging.getLogger("igsn_graph")


class _Buckets:
    """Token buckets by key: ``burst`` tokens each, one back every ``refill_s`` seconds; the oldest keys are
    forgotten past ``max_entries`` (a forgotten key starts full again). Callers hold the throttle's lock."""

    def __init__(self, kind: str, burst: int, refill_s: float, max_entries: int) -> None:
        self.kind = kind
        self.burst = burst
        self.refill_s = refill_s
        self.max_entries = max_entries
        self.entries: OrderedDict[object, tuple[float, float]] = OrderedDict()  # key → (tokens, at)

    def tokens(self, key: object, now: float) -> float:
        tokens, at = self.entries.get(key, (float(self.burst), now))
        return min(float(self.burst), tokens + (now - at) / self.refill_s) if self.refill_s > 0 else tokens

    def wait(self, tokens: float) -> int:
        """Whole seconds until a bucket holding ``tokens`` has one."""
        return max(1, int((1 - tokens) * self.refill_s + 0.999)) if self.refill_s > 0 else 3600

    def shared(self, key: object) -> Bucket:
        """This bucket as a row of the shared ``LoginFailures``."""
        parts = key if isinstance(key, tuple) else (key,)
        return Bucket(bucket_name(self.kind, *map(str, parts)), self.burst, self.refill_s)

    def put(self, key: object, tokens: float, now: float) -> None:
        self.entries[key] = (tokens, now)
        self.entries.move_to_end(key)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)


@dataclass(frozen=True)
class Admission:
    """The tokens one password check took (given back if the password was right)."""

    pair: tuple[str, str]
    taken: tuple[tuple[_Buckets, object], ...]


class LoginThrottle:
    """Token buckets in front of password hashing: per (account, client address), per address, and for all.

    A check takes a token from each bucket before the password is hashed (``admit``) and gives them back when
    the password was right (``settle``), so only failures cost tokens and concurrent guesses cannot all slip
    through before the first one fails; an empty bucket refuses at once, without hashing. The account's
    bucket (``burst``, ``refill_s``) makes guessing one password slow; the address's bounds what one caller's
    failures cost whatever names it tries (unknown names pay the same); the global one bounds what all of
    them cost together. A (account, address) pair that logged in within ``known_s`` seconds draws only from
    its own bucket: others' failures, from that address or anywhere, never refuse its right password. Client
    addresses come from ``client_address``. State is in memory, per process, bounded; 0 turns a bucket off
    (``burst`` 0: all three). With ``shared`` (nodes sharing a registry database) every failure is also written
    there and each check takes the lower of its own and the shared count, so N nodes allow the rate of one.
    """

    def __init__(
        self,
        *,
        burst: int,
        refill_s: float,
        address_burst: int = 0,
        address_refill_s: float = 0.0,
        global_burst: int = 0,
        global_refill_s: float = 0.0,
        max_entries: int = 65536,
        known_s: float = 86400.0,
        clock: Callable[[], float] = time.monotonic,
        shared: LoginFailures | None = None,
    ) -> None:
        self.burst = burst
        self.refill_s = refill_s
        self.max_entries = max_entries
        self.known_s = known_s
        self._clock = clock
        self._pairs = _Buckets("pair", burst, refill_s, max_entries)
        self._addresses = _Buckets("address", address_burst, address_refill_s, max_entries)
        self._global = _Buckets("global", global_burst, global_refill_s, 1)
        self.shared = shared
        self._known: OrderedDict[tuple[str, str], float] = OrderedDict()  # pair → until
        self._lock = threading.Lock()

    @property
    def _buckets(self) -> OrderedDict[object, tuple[float, float]]:
        return self._pairs.entries

    @staticmethod
    def _pair(account: str, address: str) -> tuple[str, str]:
        return account.strip().upper(), address

    def check(self, account: str, address: str) -> None:
        """Raises ``LoginThrottled`` (with the seconds to wait) when this pair has no attempt left."""
        if self.burst <= 0:
            return
        key = self._pair(account, address)
        shared = self._shared_tokens([(self._pairs, key)])
        with self._lock:
            if key not in self._pairs.entries and not shared:
                return
            tokens = min(self._pairs.tokens(key, self._clock()), *shared.values(), float(self.burst))
        if tokens < 1:
            wait = self._pairs.wait(tokens)
            raise LoginThrottled(f"too many failed logins; try again in {wait} s", retry_after=wait)

    def failed(self, account: str, address: str) -> None:
        """Takes a token from the pair's bucket (a failure counted after the fact)."""
        if self.burst <= 0:
            return
        key = self._pair(account, address)
        now = self._clock()
        with self._lock:
            self._pairs.put(key, max(0.0, self._pairs.tokens(key, now) - 1), now)
        self._spend_shared([(self._pairs, key)])

    def _shared_tokens(self, stages: list[tuple[_Buckets, object]]) -> dict[str, float]:
        """The shared tokens of these buckets (those with recent failures), by shared name; {} without sharing."""
        if self.shared is None:
            return {}
        wanted = [buckets.shared(key) for buckets, key in stages if buckets.burst > 0]
        try:
            return self.shared.tokens(wanted)
        except (sqlite3.Error, IgsnGraphError) as exc:
            log.warning("cannot read the shared login failures (this node's own count applies): %s", exc)
            return {}

    def _spend_shared(self, taken: Sequence[tuple[_Buckets, object]]) -> None:
        if self.shared is None:
            return
        try:
            self.shared.spend([buckets.shared(key) for buckets, key in taken if buckets.burst > 0])
        except (sqlite3.Error, IgsnGraphError) as exc:
            log.warning("cannot record a failed login in the registry database (counted on this node only): %s", exc)

    def _known_now(self, pair: tuple[str, str], now: float) -> bool:
        until = self._known.get(pair)
        return until is not None and until > now

    def turn_away_unknown(self, account: str, address: str) -> None:
        """While the password checks back up (as many wait as may): raises ``LoginThrottled`` (retry in 1 s)
        unless this pair logged in lately, taking no token, so whoever logs in for the first time waits seconds
        at most, not behind a backlog. In memory only, so it answers at once on the event loop; ``admit`` follows
        on the checks' thread (its shared read is a database round trip)."""
        if self.burst <= 0:
            return
        pair = self._pair(account, address)
        with self._lock:
            if not self._known_now(pair, self._clock()):
                raise LoginThrottled("too many logins are being checked; try again in 1 s", retry_after=1)

    def admit(self, account: str, address: str) -> Admission:
        """Takes a token from every bucket this attempt draws from, or raises ``LoginThrottled`` taking none.
        A pair that logged in lately draws from its own bucket only."""
        pair = self._pair(account, address)
        if self.burst <= 0:
            return Admission(pair, ())
        shared = self._shared_tokens([(self._pairs, pair), (self._addresses, address), (self._global, "")])
        now = self._clock()
        with self._lock:
            known = self._known_now(pair, now)
            stages = (
                [(self._pairs, pair)]
                if known
                else [(self._pairs, pair), (self._addresses, address), (self._global, "")]
            )
            taken: list[tuple[_Buckets, object]] = []
            for buckets, key in stages:
                if buckets.burst <= 0:
                    continue
                tokens = buckets.tokens(key, now)
                if shared:
                    tokens = min(tokens, shared.get(buckets.shared(key).name, tokens))
                if tokens < 1:
                    for back, back_key in taken:
                        back.put(back_key, min(float(back.burst), back.tokens(back_key, now) + 1), now)
                    wait = buckets.wait(tokens)
                    raise LoginThrottled(f"too many failed logins; try again in {wait} s", retry_after=wait)
                buckets.put(key, tokens - 1, now)
                taken.append((buckets, key))
        return Admission(pair, tuple(taken))

    def settle(self, admission: Admission, ok: bool) -> None:
        """A right password gives its tokens back and makes its pair known; a wrong one keeps them spent (and
        records them in the shared buckets)."""
        if not ok:
            self._spend_shared(admission.taken)
            return
        now = self._clock()
        with self._lock:
            for buckets, key in admission.taken:
                buckets.put(key, min(float(buckets.burst), buckets.tokens(key, now) + 1), now)
            self._known[admission.pair] = now + self.known_s
            self._known.move_to_end(admission.pair)
            while len(self._known) > self.max_entries:
                self._known.popitem(last=False)
