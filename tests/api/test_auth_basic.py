"""HTTP Basic (api/auth/basic.py): the credentials of an ``Authorization`` header and the caller's address."""

from __future__ import annotations

import base64

import pytest
from starlette.requests import Request

from api.auth.basic import basic_credentials, client_address
from igsn_graph.errors import NotAuthenticated


@pytest.mark.parametrize("header", [None, "", "Basic", "Basic !!", "Digest abc", "Basic Og==", "Basic dXNlcg=="])
def test_basic_credentials_refusals(header: str | None) -> None:
    with pytest.raises(NotAuthenticated):
        basic_credentials(header)


def test_basic_credentials_password_may_hold_colons() -> None:
    token = base64.b64encode("ZTEST.ONE:a:b:c".encode()).decode()
    assert basic_credentials(f"basic {token}") == ("ZTEST.ONE", "a:b:c")


def _request(peer: str, forwarded: list[str]) -> Request:
    headers = [(b"x-forwarded-for", v.encode()) for v in forwarded]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers, "client": (peer, 1)})


@pytest.mark.parametrize(
    "hops,forwarded,expected",
    [
        (0, ["1.1.1.1"], "10.0.0.9"),
        (1, [], "10.0.0.9"),
        (1, ["1.1.1.1"], "1.1.1.1"),
        (1, ["6.6.6.6, 1.1.1.1"], "1.1.1.1"),
        (1, ["6.6.6.6", "1.1.1.1"], "1.1.1.1"),  # repeated headers are one list
        (2, ["6.6.6.6, 1.1.1.1, 10.0.0.2"], "1.1.1.1"),
        (2, ["1.1.1.1"], "10.0.0.9"),  # fewer entries than trusted hops: the socket peer
    ],
)
def test_client_address(hops: int, forwarded: list[str], expected: str) -> None:
    assert client_address(_request("10.0.0.9", forwarded), hops) == expected
