"""The failed-login throttle (api/auth/login_throttle.py) on its own: buckets per pair, address and for all,
refilled by the clock, bounded; a right password gives its tokens back; a backlog turns unknown pairs away.
Its shared buckets over one registry database: tests/reliability/test_shared_logins.py."""

from __future__ import annotations

import pytest

from api.auth.login_throttle import LoginThrottle
from igsn_graph.errors import LoginThrottled


def test_login_throttle_buckets_refill_per_account_and_address() -> None:
    now = [1000.0]
    throttle = LoginThrottle(burst=3, refill_s=10.0, clock=lambda: now[0])
    for _ in range(3):
        throttle.check("zother", "10.0.0.1")
        throttle.failed("zother", "10.0.0.1")
    with pytest.raises(LoginThrottled) as info:
        throttle.check("ZOTHER", "10.0.0.1")  # account names compared in normal form
    assert info.value.data["retry_after"] == 10
    throttle.check("ZOTHER", "10.0.0.2")  # the owner elsewhere is not locked out
    throttle.check("ZTEST", "10.0.0.1")  # nor another account from the same place
    now[0] += 4
    with pytest.raises(LoginThrottled) as info:
        throttle.check("ZOTHER", "10.0.0.1")
    assert info.value.data["retry_after"] == 6
    now[0] += 6  # one attempt refilled
    throttle.check("ZOTHER", "10.0.0.1")
    throttle.failed("ZOTHER", "10.0.0.1")
    with pytest.raises(LoginThrottled):
        throttle.check("ZOTHER", "10.0.0.1")
    LoginThrottle(burst=0, refill_s=10.0).check("ANY", "x")  # 0 turns the limit off


def test_login_throttle_is_bounded() -> None:
    throttle = LoginThrottle(burst=1, refill_s=60.0, max_entries=10)
    for i in range(50):
        throttle.failed(f"U{i}", "a")
    assert len(throttle._buckets) == 10
    with pytest.raises(LoginThrottled):
        throttle.check("U49", "a")
    throttle.check("U0", "a")  # forgotten: the oldest pairs go first


def test_a_right_password_gives_its_tokens_back() -> None:
    now = [0.0]
    throttle = LoginThrottle(
        burst=2,
        refill_s=60.0,
        address_burst=2,
        address_refill_s=60.0,
        global_burst=2,
        global_refill_s=60.0,
        clock=lambda: now[0],
    )
    for _ in range(10):
        throttle.settle(throttle.admit("ZTEST", "10.0.0.1"), ok=True)
    throttle.settle(throttle.admit("ZOTHER", "10.0.0.2"), ok=False)
    throttle.settle(throttle.admit("ZOTHER", "10.0.0.2"), ok=False)
    with pytest.raises(LoginThrottled) as info:
        throttle.admit("ZNEW", "10.0.0.3")  # the global bucket is spent
    assert info.value.data["retry_after"] == 60
    throttle.admit("ZTEST", "10.0.0.1")  # known pair: only its own bucket counts


def test_while_checks_back_up_only_known_pairs_are_let_through() -> None:
    """New logins are turned away (429, retry in 1 s) rather than queued behind a backlog of checks."""
    throttle = LoginThrottle(
        burst=5, refill_s=10.0, address_burst=5, address_refill_s=10.0, global_burst=5, global_refill_s=10.0
    )
    throttle.settle(throttle.admit("ZTEST", "10.0.0.1"), ok=True)
    with pytest.raises(LoginThrottled) as info:
        throttle.turn_away_unknown("ZNEW", "10.0.0.2")
    assert info.value.data["retry_after"] == 1
    throttle.turn_away_unknown("ztest", "10.0.0.1")  # known (names in normal form)
    for _ in range(5):  # nothing was taken from its buckets by the refusal
        throttle.settle(throttle.admit("ZNEW", "10.0.0.2"), ok=True)
    LoginThrottle(burst=0, refill_s=10.0).turn_away_unknown("ANY", "x")  # 0 turns the throttle off
