"""The verified-credential cache (api/auth/credential_cache.py): bounded, expiring, keyed without secrets, emptied
when the accounts version changed and kept through a database outage."""

from __future__ import annotations

from api.auth.credential_cache import CredentialCache
from igsn_graph.errors import StorageFailure
from igsn_graph.registry.accounts import Principal


def test_credential_cache_ttl_bound_and_no_secrets() -> None:
    now = [0.0]
    cache = CredentialCache(ttl=60, max_entries=2, clock=lambda: now[0])
    who = Principal("client", "ZTEST.ONE", "ZTEST")
    cache.put("ZTEST.ONE", "pw-secret", who)
    assert cache.get("ZTEST.ONE", "pw-secret") == who
    assert cache.get("ZTEST.ONE", "pw-secreT") is None and cache.get("ZTEST.ON", "Epw-secret") is None
    now[0] = 61
    assert cache.get("ZTEST.ONE", "pw-secret") is None and len(cache) == 0
    for i in range(5):
        cache.put(f"U{i}", "pw-secret", who)
    assert len(cache) == 2 and cache.get("U4", "pw-secret") == who and cache.get("U0", "pw-secret") is None
    assert "pw-secret" not in repr(vars(cache))
    # another process (another cache) derives other keys
    assert CredentialCache()._digest("U4", "pw") != cache._digest("U4", "pw")  # noqa: SLF001


def test_credential_cache_survives_an_unreadable_accounts_version() -> None:
    """A database outage does not turn cached logins into errors; the version is read again next interval."""
    now, versions = [0.0], ["1"]

    def version() -> str:
        if versions[-1] == "down":
            raise StorageFailure("the registry database is unreachable")
        return versions[-1]

    cache = CredentialCache(clock=lambda: now[0], version=version, version_every_s=1.0)
    who = Principal("client", "ZTEST.ONE", "ZTEST")
    cache.put("ZTEST.ONE", "pw", who)
    versions.append("down")
    now[0] = 2
    assert cache.refresh_due()
    cache.refresh()
    assert cache.get("ZTEST.ONE", "pw") == who and not cache.refresh_due()
    versions.append("2")  # back, with an account changed meanwhile: the cache empties
    now[0] = 4
    cache.refresh()
    assert cache.get("ZTEST.ONE", "pw") is None
