"""oai.tokens: round trip, signature, verb binding, expiry, alphabet, and the secret kept across restarts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from igsn_graph.oai.errors import BadResumptionToken
from igsn_graph.oai.tokens import SECRET_META_KEY, TokenCodec, TokenState, load_secret
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
STATE = TokenState(
    "ListRecords",
    "oai_dc",
    "ZTEST:ZTEST.ONE",
    "2020-01-01T00:00:00Z",
    "2026-01-01T12:00:00Z",
    ("2025-12-31T23:59:59Z", "ZTA0001"),
    250,
    1000,
)


def test_round_trip() -> None:
    codec = TokenCodec(b"k" * 32)
    token, expires = codec.encode(STATE, NOW)
    assert expires - NOW >= timedelta(hours=24)
    assert codec.decode(token, "ListRecords", NOW) == TokenState(
        **{**STATE.__dict__, "expires": int(expires.timestamp())}
    )


def test_alphabet_survives_form_encoding() -> None:
    token, _ = TokenCodec(b"k" * 32).encode(STATE, NOW)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def test_other_secret_wrong_verb_expired_or_garbage_are_refused() -> None:
    codec = TokenCodec(b"k" * 32, timedelta(days=1))
    token, _ = codec.encode(STATE, NOW)
    with pytest.raises(BadResumptionToken):
        TokenCodec(b"j" * 32).decode(token, "ListRecords", NOW)
    with pytest.raises(BadResumptionToken):
        codec.decode(token, "ListIdentifiers", NOW)
    codec.decode(token, "ListRecords", NOW + timedelta(hours=23, minutes=59))  # valid for at least a day
    with pytest.raises(BadResumptionToken):
        codec.decode(token, "ListRecords", NOW + timedelta(days=1, seconds=1))
    for junk in ("", ".", "a.b", "junk", token + "x", "x" + token, token.replace(".", ""), "!!.!!"):
        with pytest.raises(BadResumptionToken):
            codec.decode(junk, "ListRecords", NOW)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=0, max_value=200),
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
)
def test_any_single_character_change_is_detected(position: int, char: str) -> None:
    codec = TokenCodec(b"k" * 32)
    token, _ = codec.encode(STATE, NOW)
    position %= len(token)
    if token[position] == char or token[position] == ".":
        return
    altered = token[:position] + char + token[position + 1 :]
    try:
        state = codec.decode(altered, "ListRecords", NOW)
    except BadResumptionToken:
        return
    # base64 padding bits may absorb a change of the last character; the content must then be identical
    assert state.after == STATE.after and state.cursor == STATE.cursor


def test_the_secret_is_generated_once_and_kept(registry: Registry, settings: Settings) -> None:
    assert registry.db.get_meta(SECRET_META_KEY) is None
    secret = load_secret(registry.db)
    assert len(secret) == 32 and load_secret(registry.db) == secret
    token, _ = TokenCodec(secret).encode(STATE, NOW)
    registry.close()
    with Registry(settings) as reopened:  # a restart keeps tokens valid
        assert TokenCodec(load_secret(reopened.db)).decode(token, "ListRecords", NOW).after == STATE.after
