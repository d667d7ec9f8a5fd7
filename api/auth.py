"""HTTP Basic credentials → the core's ``Principal``: a short-lived cache of verified credentials, the throttle
in front of password hashing and the thread pool that hashes."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from fastapi import Request, Security
from fastapi.openapi.models import HTTPBase as HTTPBaseModel
from fastapi.security.base import SecurityBase

from igsn_graph.errors import IgsnGraphError, LoginThrottled, NotAllowed, NotAuthenticated
from igsn_graph.registry.accounts import Principal, accounts_version
from igsn_graph.registry.login_failures import Bucket, LoginFailures, bucket_name
from igsn_graph.settings import Settings

from .deps import per_app

__all__ = [
    "BASIC",
    "REALM",
    "Admission",
    "CredentialCache",
    "LoginThrottle",
    "PasswordChecks",
    "admin",
    "authenticate",
    "basic_credentials",
    "client_address",
    "forget_credentials",
    "optional_principal",
    "principal",
]

log = logging.getLogger("igsn_graph")

#: realm announced in ``WWW-Authenticate``
REALM = "igsn-graph"


class CredentialCache:
    """Remembers, for ``ttl`` seconds, which credentials were verified and as whom.

    Verifying a password costs one scrypt (~50 ms, 16 MiB), which would dominate every request. Keys are
    HMAC-SHA256 of user and password under a random per-process key, so neither the password nor a hash
    usable offline is kept. Only successes are cached: a wrong password always pays the full scrypt.
    A password change or deactivated account therefore takes effect after at most ``ttl`` seconds; with
    ``version`` (the accounts version, which every account write changes, read at most every ``version_every_s``
    seconds) the cache is emptied when it changed, so a change made on another node takes effect within that.
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

    def _refresh(self) -> None:
        """Empties the cache when the accounts version changed (read at most every ``version_every_s``)."""
        if self._version is None or self._clock() - self._version_read_at < self._version_every_s:
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
        self._refresh()
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

    def admit(self, account: str, address: str, *, busy: bool = False) -> Admission:
        """Takes a token from every bucket this attempt draws from, or raises ``LoginThrottled`` taking none.

        ``busy``: the password checks already waiting are as many as may wait; then only a known pair is let
        through (to its own bucket), so whoever logs in for the first time waits seconds at most, not behind
        a backlog."""
        pair = self._pair(account, address)
        if self.burst <= 0:
            return Admission(pair, ())
        shared = self._shared_tokens([(self._pairs, pair), (self._addresses, address), (self._global, "")])
        now = self._clock()
        with self._lock:
            until = self._known.get(pair)
            known = until is not None and until > now
            if busy and not known:
                raise LoginThrottled("too many logins are being checked; try again in 1 s", retry_after=1)
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


def _yield_cpu() -> None:
    """Lowers the calling thread's CPU priority (Linux: a thread's own niceness), so that when hashing and
    serving compete for the processors, serving wins; elsewhere, or when refused, nothing changes."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass


class PasswordChecks:
    """Password checks (scrypt: slow and memory-hard on purpose) on their own small thread pool.

    The threads that serve reads (resolver, OAI-PMH, search) are never taken by a login, however many
    arrive: requests wait for a check without holding a thread. Concurrent checks of the same credentials
    share one hash (a client starting many requests at once, before its login is cached, costs one check
    and one throttle token). At most ``backlog`` checks wait (``LoginThrottle.admit``), and the threads run
    at a lower CPU priority than the server's others.
    """

    def __init__(self, threads: int) -> None:
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, threads), thread_name_prefix="password-check", initializer=_yield_cpu
        )
        self._pending: dict[bytes, tuple[asyncio.AbstractEventLoop, asyncio.Future[Principal]]] = {}
        #: checks that may be under way or waiting before new unknown logins are turned away
        self.backlog = 4 * max(1, threads)

    def busy(self) -> bool:
        """As many checks are under way or waiting as may be."""
        return len(self._pending) >= self.backlog

    def pending(self, key: bytes) -> asyncio.Future[Principal] | None:
        """The check of these credentials under way on this event loop, if one is."""
        found = self._pending.get(key)
        return found[1] if found is not None and found[0] is asyncio.get_running_loop() else None

    async def run(self, key: bytes, check: Callable[[], Principal]) -> Principal:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool, check)
        self._pending[key] = (loop, future)
        try:
            return await asyncio.shield(future)
        finally:
            if self._pending.get(key, (None, None))[1] is future:
                del self._pending[key]

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def client_address(request: Request, trusted_hops: int) -> str:
    """The caller's address: the socket peer, or with ``trusted_hops`` reverse proxies in front, the
    ``X-Forwarded-For`` entry that many from the right (each trusted proxy appends the peer it saw; entries
    further left are the client's own word and are not believed). Too few entries: the socket peer."""
    peer = request.client.host if request.client is not None else ""
    if trusted_hops <= 0:
        return peer
    entries = [e.strip() for header in request.headers.getlist("x-forwarded-for") for e in header.split(",")]
    if len(entries) < trusted_hops:
        return peer
    return entries[-trusted_hops] or peer


def basic_credentials(header: str | None) -> tuple[str, str]:
    """(user, password) from an ``Authorization: Basic …`` header, or ``NotAuthenticated``."""
    if not header:
        raise NotAuthenticated("not logged in")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        raise NotAuthenticated("not logged in")
    try:
        raw = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise NotAuthenticated("not logged in") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        # RFC 7617 leaves the charset open; old clients send ISO-8859-1
        text = raw.decode("latin-1")
    user, sep, password = text.partition(":")
    if not sep or not user:
        raise NotAuthenticated("not logged in")
    return user, password


class _BasicScheme(SecurityBase):
    """Declares HTTP Basic in the OpenAPI document for the operations that need it; reads nothing.

    FastAPI's ``HTTPBasic`` would answer malformed headers itself (ASCII only, its own 401); credentials are
    read by ``basic_credentials`` alone, so that every surface refuses them in its own error form.
    """

    def __init__(self) -> None:
        self.model = HTTPBaseModel(
            scheme="basic", description="an agent, a client (AGENT.CLIENT) or the administrator, with its password"
        )
        self.scheme_name = "basic"

    async def __call__(self, request: Request) -> None:
        return None


#: the security scheme of the OpenAPI document
BASIC = _BasicScheme()


def _cache_of(request: Request) -> CredentialCache:
    db = request.app.state.registry.db
    return per_app(request, "credential_cache", lambda _settings: CredentialCache(version=lambda: accounts_version(db)))


def _throttle_of(request: Request) -> LoginThrottle:
    registry = request.app.state.registry

    def make(settings: Settings) -> LoginThrottle:
        buckets = (
            (settings.login_failures_burst, settings.login_failures_refill_s),
            (settings.login_address_burst, settings.login_address_refill_s),
            (settings.login_global_burst, settings.login_global_refill_s),
        )
        keep_s = max(Bucket("", burst, refill_s).full_after_s for burst, refill_s in buckets)
        return LoginThrottle(
            burst=settings.login_failures_burst,
            refill_s=settings.login_failures_refill_s,
            address_burst=settings.login_address_burst,
            address_refill_s=settings.login_address_refill_s,
            global_burst=settings.login_global_burst,
            global_refill_s=settings.login_global_refill_s,
            # a read-only registry writes nothing: its throttle counts in memory only
            shared=None if registry.read_only else LoginFailures(registry.db, keep_s=keep_s),
        )

    return per_app(request, "login_throttle", make)


def _checks_of(request: Request) -> PasswordChecks:
    return per_app(request, "password_checks", lambda settings: PasswordChecks(settings.login_hash_threads))


async def authenticate(request: Request) -> Principal:
    """The caller's principal. Cached logins answer at once; a password is hashed on ``PasswordChecks``'
    pool after ``LoginThrottle`` admitted the attempt, so the event loop and the read threads never wait."""
    user, password = basic_credentials(request.headers.get("authorization"))
    cache = _cache_of(request)
    who = cache.get(user, password)
    if who is not None:
        return who
    checks = _checks_of(request)
    key = cache.key(user, password)
    pending = checks.pending(key)
    if pending is not None:  # the same credentials are being checked: share that check
        try:
            return await asyncio.shield(pending)
        except NotAuthenticated:
            raise NotAuthenticated("not logged in") from None
    registry = request.app.state.registry
    settings = registry.settings
    admin = (settings.admin_user, settings.admin_password) if settings.admin_password else None
    throttle = _throttle_of(request)
    admission = throttle.admit(user, client_address(request, settings.trusted_proxy_hops), busy=checks.busy())
    generation = cache.generation

    def check() -> Principal:
        try:
            who: Principal = registry.accounts.authenticate(user, password, admin=admin)
            return who
        except NotAuthenticated:
            throttle.settle(admission, ok=False)  # on the check's thread: it may write the shared failure
            raise

    try:
        who = await checks.run(key, check)
    except NotAuthenticated:
        # one message whatever went wrong: do not tell callers which account names exist
        raise NotAuthenticated("not logged in") from None
    throttle.settle(admission, ok=True)
    cache.put(user, password, who, generation=generation)
    return who


async def principal(request: Request, _: None = Security(BASIC)) -> Principal:
    """FastAPI dependency: the authenticated caller (401 without or with wrong credentials, 429 throttled)."""
    return await authenticate(request)


async def optional_principal(request: Request) -> Principal | None:
    """FastAPI dependency for public reads: None without credentials; wrong credentials are still refused (401)."""
    if not request.headers.get("authorization"):
        return None
    return await authenticate(request)


async def admin(request: Request, _: None = Security(BASIC)) -> Principal:
    """FastAPI dependency of the admin API: the administrator of the settings, 403 for every other account."""
    who = await authenticate(request)
    if not who.is_admin:
        raise NotAllowed("the admin API needs the administrator's credentials")
    return who


def forget_credentials(request: Request) -> None:
    """Drops every cached login, so that a changed password or a disabled account takes effect at once."""
    _cache_of(request).clear()
