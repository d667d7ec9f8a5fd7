"""HTTP Basic credentials → the core's ``Principal``, with a short-lived cache of verified credentials."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from fastapi import Request, Security
from fastapi.openapi.models import HTTPBase as HTTPBaseModel
from fastapi.security.base import SecurityBase

from igsn_graph.errors import LoginThrottled, NotAllowed, NotAuthenticated
from igsn_graph.registry.accounts import Principal

from .deps import per_app

__all__ = ["BASIC", "REALM", "CredentialCache", "LoginThrottle", "admin", "authenticate", "basic_credentials",
           "forget_credentials", "optional_principal", "principal"]

#: realm announced in ``WWW-Authenticate``
REALM = "igsn-graph"


class CredentialCache:
    """Remembers, for ``ttl`` seconds, which credentials were verified and as whom.

    Verifying a password costs one scrypt (~50 ms, 16 MiB), which would dominate every request. Keys are
    HMAC-SHA256 of user and password under a random per-process key, so neither the password nor a hash
    usable offline is kept. Only successes are cached: a wrong password always pays the full scrypt.
    A password change or deactivated account therefore takes effect after at most ``ttl`` seconds.
    """

    def __init__(self, *, ttl: float = 60.0, max_entries: int = 1024,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._entries: OrderedDict[bytes, tuple[float, Principal]] = OrderedDict()
        self._lock = threading.Lock()

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

    def put(self, user: str, password: str, who: Principal) -> None:
        key = self._digest(user, password)
        with self._lock:
            self._entries[key] = (self._clock() + self.ttl, who)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class LoginThrottle:
    """Token buckets of failed logins per (account, client address): guessing passwords gets slow.

    Each pair may fail ``burst`` times in a row, then once more every ``refill_s`` seconds; a throttled
    attempt is refused before its password is checked (no scrypt spent on it). Keying by the address too
    means someone guessing from one place cannot lock the account's owner out from another; behind a
    reverse proxy every caller has the proxy's address, and the limit becomes per account. Only failures
    take tokens. State is in memory, per process, bounded to ``max_entries`` pairs (oldest dropped).
    """

    def __init__(self, *, burst: int, refill_s: float, max_entries: int = 65536,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.burst = burst
        self.refill_s = refill_s
        self.max_entries = max_entries
        self._clock = clock
        self._buckets: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()  # → (tokens, at)
        self._lock = threading.Lock()

    def _tokens(self, key: tuple[str, str], now: float) -> float:
        tokens, at = self._buckets.get(key, (float(self.burst), now))
        return min(float(self.burst), tokens + (now - at) / self.refill_s) if self.refill_s > 0 else tokens

    def check(self, account: str, address: str) -> None:
        """Raises ``LoginThrottled`` (with the seconds to wait) when this pair has no attempt left."""
        if self.burst <= 0:
            return
        key = (account.strip().upper(), address)
        with self._lock:
            if key not in self._buckets:
                return
            tokens = self._tokens(key, self._clock())
        if tokens < 1:
            wait = max(1, int((1 - tokens) * self.refill_s + 0.999))
            raise LoginThrottled(f"too many failed logins; try again in {wait} s", retry_after=wait)

    def failed(self, account: str, address: str) -> None:
        if self.burst <= 0:
            return
        key = (account.strip().upper(), address)
        now = self._clock()
        with self._lock:
            self._buckets[key] = (max(0.0, self._tokens(key, now) - 1), now)
            self._buckets.move_to_end(key)
            while len(self._buckets) > self.max_entries:
                self._buckets.popitem(last=False)


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
        self.model = HTTPBaseModel(scheme="basic", description="an agent, a client (AGENT.CLIENT) or the "
                                                               "administrator, with its password")
        self.scheme_name = "basic"

    async def __call__(self, request: Request) -> None:
        return None


#: the security scheme of the OpenAPI document
BASIC = _BasicScheme()

def _cache_of(request: Request) -> CredentialCache:
    return per_app(request, "credential_cache", lambda _settings: CredentialCache())


def _throttle_of(request: Request) -> LoginThrottle:
    return per_app(request, "login_throttle", lambda settings: LoginThrottle(
        burst=settings.login_failures_burst, refill_s=settings.login_failures_refill_s))


def authenticate(request: Request) -> Principal:
    """The caller's principal; blocking (scrypt on a cache miss), so call it from a worker thread."""
    user, password = basic_credentials(request.headers.get("authorization"))
    cache = _cache_of(request)
    who = cache.get(user, password)
    if who is not None:
        return who
    registry = request.app.state.registry
    settings = registry.settings
    admin = (settings.admin_user, settings.admin_password) if settings.admin_password else None
    throttle = _throttle_of(request)
    address = request.client.host if request.client is not None else ""
    throttle.check(user, address)
    try:
        who = registry.accounts.authenticate(user, password, admin=admin)
    except NotAuthenticated:
        throttle.failed(user, address)
        # one message whatever went wrong: do not tell callers which account names exist
        raise NotAuthenticated("not logged in") from None
    cache.put(user, password, who)
    return who


def principal(request: Request, _: None = Security(BASIC)) -> Principal:
    """FastAPI dependency (plain ``def``: FastAPI runs it in its thread pool, off the event loop)."""
    return authenticate(request)


def optional_principal(request: Request) -> Principal | None:
    """FastAPI dependency for public reads: None without credentials; wrong credentials are still refused (401)."""
    if not request.headers.get("authorization"):
        return None
    return authenticate(request)


def admin(request: Request, _: None = Security(BASIC)) -> Principal:
    """FastAPI dependency of the admin API: the administrator of the settings, 403 for every other account."""
    who = authenticate(request)
    if not who.is_admin:
        raise NotAllowed("the admin API needs the administrator's credentials")
    return who


def forget_credentials(request: Request) -> None:
    """Drops every cached login, so that a changed password or a disabled account takes effect at once."""
    _cache_of(request).clear()
