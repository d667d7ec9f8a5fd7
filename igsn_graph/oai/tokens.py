"""Resumption tokens: the list's arguments and keyset position, HMAC-signed, base64url, stateless.

A token holds the verb, metadataPrefix, set, the ``from`` bound, the ``until`` bound pinned at the
first response, the last (datestamp, identifier) served, the cursor, the completeListSize and an expiry.
Nothing is kept on the server, so a token can be re-issued any number of times and answers the same
page (spec §3.5.1), and it survives restarts. The signing secret is generated once and kept in the
registry database's meta table; without it nobody can forge or alter a position.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import sqlite3
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Protocol

from .errors import BadResumptionToken

__all__ = ["TokenState", "TokenCodec", "DEFAULT_LIFETIME", "load_secret", "SECRET_META_KEY", "MetaStore"]

#: how long a token stays valid after it was issued (OVAL asks for >= 23 h; harvests pause over weekends)
DEFAULT_LIFETIME = timedelta(days=7)
SECRET_META_KEY = "oai_token_secret"
_VERSION = 1
_SIGNATURE_BYTES = 16


@dataclass(frozen=True)
class TokenState:
    """Where a list stands: its arguments, the last item served and the counts.

    For record lists ``after`` is (datestamp, identifier) of the last header sent; for ListSets it is
    (setSpec, ""). ``from_``/``until`` are inclusive datestamp bounds in seconds form.
    """

    verb: str
    prefix: str | None
    set_spec: str | None
    from_: str | None
    until: str | None
    after: tuple[str, str]
    cursor: int
    size: int | None
    expires: int = 0

    def advanced(self, after: tuple[str, str], served: int) -> "TokenState":
        return replace(self, after=after, cursor=self.cursor + served)


class MetaStore(Protocol):
    def get_meta(self, key: str) -> str | None: ...

    def write(self) -> AbstractContextManager[sqlite3.Connection]:
        """A context manager yielding a writable sqlite3 connection."""
        ...


def load_secret(db: MetaStore) -> bytes:
    """The signing secret from the registry database; generated and stored on first use."""
    value = db.get_meta(SECRET_META_KEY)
    if value is None:
        if getattr(db, "read_only", False):
            # a read-only registry that never issued a token: tokens then last as long as this process
            return secrets.token_bytes(32)
        with db.write() as conn:
            # OR IGNORE: a concurrent first request may have stored one; everybody then reads the winner
            conn.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (SECRET_META_KEY, secrets.token_hex(32)))
        value = db.get_meta(SECRET_META_KEY)
        assert value is not None
    return bytes.fromhex(value)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenCodec:
    """Encodes and verifies tokens with one secret; ``lifetime`` is the validity after issue."""

    def __init__(self, secret: bytes, lifetime: timedelta = DEFAULT_LIFETIME) -> None:
        self._secret = secret
        self.lifetime = lifetime

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]

    def encode(self, state: TokenState, now: datetime) -> tuple[str, datetime]:
        """The token (base64url, no ``+ / =``) and its expiry, counted from ``now``."""
        expires = int(now.timestamp()) + int(self.lifetime.total_seconds())
        fields = [
            _VERSION,
            state.verb,
            state.prefix,
            state.set_spec,
            state.from_,
            state.until,
            list(state.after),
            state.cursor,
            state.size,
            expires,
        ]
        payload = json.dumps(fields, separators=(",", ":"), ensure_ascii=True).encode("ascii")
        token = f"{_b64(payload)}.{_b64(self._sign(payload))}"
        return token, datetime.fromtimestamp(expires, timezone.utc)

    def decode(self, token: str, verb: str, now: datetime) -> TokenState:
        """The state of a token issued by this repository for ``verb``; ``BadResumptionToken`` otherwise."""
        head, dot, tail = token.partition(".")
        if not dot or not head or not tail:
            raise BadResumptionToken("the resumption token is malformed")
        try:
            payload, signature = _unb64(head), _unb64(tail)
        except (binascii.Error, ValueError):
            raise BadResumptionToken("the resumption token is malformed") from None
        if not hmac.compare_digest(signature, self._sign(payload)):
            raise BadResumptionToken("the resumption token was not issued by this repository or was altered")
        try:
            version, t_verb, prefix, set_spec, from_, until, after, cursor, size, expires = json.loads(payload)
            state = TokenState(
                t_verb,
                prefix,
                set_spec,
                from_,
                until,
                (str(after[0]), str(after[1])),
                int(cursor),
                None if size is None else int(size),
                int(expires),
            )
        except (ValueError, TypeError, IndexError):
            raise BadResumptionToken("the resumption token is malformed") from None
        if version != _VERSION:
            raise BadResumptionToken("the resumption token is from an older version of this repository")
        if state.verb != verb:
            raise BadResumptionToken(f"the resumption token belongs to {state.verb}, not {verb}")
        if state.expires < now.timestamp():
            raise BadResumptionToken("the resumption token has expired; start the list again")
        return state
