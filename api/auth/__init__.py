"""HTTP Basic credentials → the core's ``Principal``, as FastAPI dependencies: the parts (``basic``,
``credential_cache``, ``login_reads``, ``login_throttle``, ``password_checks``) made once per app and put together."""

from __future__ import annotations

import asyncio

from fastapi import Request, Security

from igsn_graph.errors import NotAllowed, NotAuthenticated
from igsn_graph.registry.accounts import Principal, accounts_version
from igsn_graph.registry.login_failures import Bucket, LoginFailures
from igsn_graph.settings import Settings

from ..deps import per_app
from .basic import BASIC, basic_credentials, client_address
from .credential_cache import CredentialCache
from .login_reads import LoginReads
from .login_throttle import LoginThrottle
from .password_checks import PasswordChecks

__all__ = ["admin", "authenticate", "cached_principal", "forget_credentials", "optional_principal", "principal"]


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


def _reads_of(request: Request) -> LoginReads:
    return per_app(request, "login_reads", lambda _settings: LoginReads())


async def authenticate(request: Request) -> Principal:
    """The caller's principal. Cached logins answer at once; a password is hashed on ``PasswordChecks``'
    pool after ``LoginThrottle`` admitted the attempt, so the event loop and the read threads never wait. The
    throttle's shared buckets are read in the check, on that pool; the accounts version (at most once a second)
    on ``LoginReads``' own thread, so a cached login never waits behind hashes. On PostgreSQL each read is a
    network round trip: none runs on the event loop."""
    user, password = basic_credentials(request.headers.get("authorization"))
    who = await _cached(request, user, password)
    if who is not None:
        return who
    cache = _cache_of(request)
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
    address = client_address(request, settings.trusted_proxy_hops)
    if checks.busy():
        throttle.turn_away_unknown(user, address)
    generation = cache.generation

    def check() -> Principal:
        admission = throttle.admit(user, address)
        try:
            who: Principal = registry.accounts.authenticate(user, password, admin=admin)
        except NotAuthenticated:
            throttle.settle(admission, ok=False)  # it may write the shared failure
            raise
        throttle.settle(admission, ok=True)
        return who

    try:
        who = await checks.run(key, check)
    except NotAuthenticated:
        # one message whatever went wrong: do not tell callers which account names exist
        raise NotAuthenticated("not logged in") from None
    cache.put(user, password, who, generation=generation)
    return who


async def _cached(request: Request, user: str, password: str) -> Principal | None:
    """Whom these credentials were verified as recently (the cache emptied first when the accounts changed)."""
    cache = _cache_of(request)
    if cache.refresh_due():
        await _reads_of(request).run("accounts version", cache.refresh)
    return cache.get(user, password)


async def cached_principal(request: Request) -> Principal | None:
    """The caller's principal when its Basic credentials were verified recently; None otherwise (also for
    missing or malformed ones) — no password is hashed and the throttle is not asked (``authenticate`` does)."""
    try:
        user, password = basic_credentials(request.headers.get("authorization"))
    except NotAuthenticated:
        return None
    return await _cached(request, user, password)


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
