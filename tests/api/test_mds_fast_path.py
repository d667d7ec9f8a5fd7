"""``POST /metadata``'s fast path (``api.routers.mds_fast.FastPath``): a registration with cached credentials.

Every answer it gives must be the full stack's — status, one-line body, ``Location``, the security headers and
``no-store`` — for a stored record, a refused one, test mode and malformed input; what it cannot decide
(a first login, a wrong password, another media type, a body without a declared length or over the limit)
goes the full way, before the body is read. The full stack's answer is had by sending the same request with
a chunked body. Real app, real registry, real uvicorn for the stalled body.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.routers.mds_fast import FastPath
from igsn_graph.registry.service import Registry
from tests.api.test_mds import XML, csiro, kernel
from tests.conftest import AGENT, CLIENT_ONE, CLIENT_TWO, OTHER, fresh_settings, live_server

#: headers that differ between any two answers
_VOLATILE = {"date", "content-length", "server"}


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(create_app(fresh_settings(tmp_path_factory.mktemp("mds-fast")))) as c:
        for who in (CLIENT_ONE, CLIENT_TWO, AGENT):  # first logins go the full way and are cached there
            assert c.get("/igsn", auth=who).status_code in (200, 204)
        yield c


def _fast_path(client: TestClient) -> FastPath:
    layer = client.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(layer, FastPath):
        layer = layer.app
    return layer


def _versions(client: TestClient) -> int:
    registry: Registry = client.app.state.registry  # type: ignore[attr-defined]
    count: int = registry.db.read().execute("SELECT COUNT(*) FROM versions").fetchone()[0]
    return count


def _post(
    client: TestClient, body: bytes, *, chunked: bool, who: tuple[str, str] = CLIENT_ONE, query: str = "", **kw: str
) -> httpx.Response:
    content: bytes | Iterator[bytes] = iter([body]) if chunked else body
    headers = {**XML, **kw}
    return client.post(f"/metadata{query}", content=content, headers=headers, auth=who)


def _seen(r: httpx.Response, mark: str) -> tuple[int, str, dict[str, str]]:
    """What a caller sees, with the part of the name that tells the sends apart (``mark``) made neutral."""
    headers = {k: v.replace(mark, "MARK") for k, v in r.headers.items() if k not in _VOLATILE}
    return r.status_code, r.text.replace(mark, "MARK"), headers


CASES: list[tuple[str, object, str, dict[str, str]]] = [
    ("stored", lambda n: kernel(f"10273/{n}"), "", {}),
    ("untyped", lambda n: kernel(n), "", {"Content-Type": ""}),
    ("text/xml in UTF-8", lambda n: kernel(n), "", {"Content-Type": "text/xml; charset=utf-8"}),
    ("test mode", lambda n: kernel(n), "?testMode=true", {}),
    ("test mode not understood", lambda n: kernel(n), "?testMode=yes", {}),
    ("another party's namespace", lambda n: kernel(n.replace("ZTA", "ZO")), "", {}),
    ("no IGSN", lambda n: kernel(""), "", {}),
    ("invalid record", lambda n: kernel(n, event="no-such-event"), "", {}),
    ("two records", lambda n: csiro(n, n + "B"), "", {}),
    ("not XML", lambda n: b"igsn=" + n.encode(), "", {}),
    ("a DTD", lambda n: b'<!DOCTYPE x [<!ENTITY e "e">]>' + kernel(n), "", {}),
    ("empty", lambda n: b"", "", {}),
]


@pytest.mark.parametrize("case,make,query,headers", CASES, ids=[c[0] for c in CASES])
def test_the_fast_path_answers_as_the_full_stack(
    app_client: TestClient, case: str, make: object, query: str, headers: dict[str, str]
) -> None:
    fast = _fast_path(app_client)
    slug = "".join(ch for ch in case.upper() if ch.isalnum())[:12]
    answers = {}
    for chunked in (True, False):
        mark = f"{slug}{'F' if chunked else 'Q'}"  # a name each: both can be stored
        before = fast.answered
        r = _post(app_client, make(f"ZTA{mark}"), chunked=chunked, query=query, **headers)  # type: ignore[operator]
        assert fast.answered == before + (0 if chunked else 1)
        answers[chunked] = _seen(r, mark)
    assert answers[False] == answers[True]
    status, _, seen = answers[False]
    assert seen["x-content-type-options"] == "nosniff" and seen["cache-control"] == "no-store"
    if case == "stored":
        assert status == 201 and seen["location"].endswith("/metadata/10273/ZTAMARK")


def test_a_stored_record_reads_back_and_counts_once(app_client: TestClient) -> None:
    before = _versions(app_client)
    r = _post(app_client, kernel("ZTAFASTREAD1"), chunked=False)
    assert r.status_code == 201 and r.text == "OK (ZTAFASTREAD1)"
    assert _versions(app_client) == before + 1
    assert app_client.get("/metadata/ZTAFASTREAD1", auth=CLIENT_ONE).content == kernel("ZTAFASTREAD1")
    test = _post(app_client, kernel("ZTAFASTREAD2"), chunked=False, query="?testMode=true")
    assert test.status_code == 201 and _versions(app_client) == before + 1  # test mode stores nothing


def test_what_it_cannot_decide_goes_the_full_way(app_client: TestClient) -> None:
    fast = _fast_path(app_client)
    before = fast.answered
    wrong = _post(app_client, kernel("ZTAFULL1"), chunked=False, who=(CLIENT_ONE[0], "wrong"))
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Basic")
    anonymous = app_client.post("/metadata", content=kernel("ZTAFULL1"), headers=XML)
    assert anonymous.status_code == 401
    json = _post(app_client, b"{}", chunked=False, **{"Content-Type": "application/json"})
    assert json.status_code == 415 and json.text.startswith("Content-Type application/json is not supported")
    latin = _post(app_client, kernel("ZTAFULL1"), chunked=False, **{"Content-Type": "application/xml;charset=latin1"})
    assert latin.status_code == 415
    bare = _post(app_client, kernel("ZTAFULL1"), chunked=False, **{"Content-Type": "; charset=iso-8859-1"})
    assert bare.status_code == 415 and "iso-8859-1" in bare.text  # a charset alone is checked too
    # a first login is hashed (and throttled) by the full stack, which caches it: the next one is fast
    first = _post(app_client, kernel("ZOFULL1"), chunked=False, who=OTHER)
    assert first.status_code == 201
    assert fast.answered == before
    again = _post(app_client, kernel("ZOFULL2"), chunked=False, who=OTHER)
    assert again.status_code == 201 and fast.answered == before + 1
    # other paths and methods of /metadata never
    put = app_client.put("/metadata/ZTAFULL3", content=kernel("ZTAFULL3"), headers=XML, auth=CLIENT_ONE)
    assert put.status_code == 201 and fast.answered == before + 1


def test_a_body_over_the_limit_is_refused_the_full_way(tmp_path: Path) -> None:
    with TestClient(create_app(fresh_settings(tmp_path, max_body_bytes=2000))) as c:
        assert c.get("/igsn", auth=CLIENT_ONE).status_code == 204  # cached
        fast = _fast_path(c)
        big = kernel("ZTAFAT").replace(b"Jane Doe", b"J" * 3000)
        r = _post(c, big, chunked=False)
        assert r.status_code == 413 and r.text == "request body is larger than 2000 bytes"
        assert fast.answered == 0 and _versions(c) == 0


def test_a_body_that_stops_arriving_is_a_408(tmp_path: Path) -> None:
    """BodyGuard's read timeout (0.5 s here) holds on the fast path: its plain-text 408, the connection closed."""
    with live_server(fresh_settings(tmp_path, body_timeout_s=0.5)) as base:
        assert httpx.get(f"{base}/igsn", auth=CLIENT_ONE).status_code == 204  # cached: the next POST is fast
        url = urlsplit(base)
        auth = httpx.BasicAuth(*CLIENT_ONE)._auth_header.encode()
        with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
            sock.sendall(
                b"POST /metadata HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\nAuthorization: "
                + auth
                + b"\r\nContent-Length: 100\r\n\r\n<sample"
            )
            answer = b""
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), answer
    assert b"connection: close" in head.lower() and b"nosniff" in head and b"no-store" in head
    assert body == b"the request body stopped arriving: nothing came for 0.5 s"


def test_a_fault_looking_up_cached_credentials_goes_the_full_way(
    app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache's accounts-version read can fail (the database unreachable): the full stack then answers, in
    the MDS form with the security headers, never a bare server error from outside the stack."""
    from api.routers import mds_fast

    async def failing(request: object) -> None:
        raise OSError("planted: the accounts version cannot be read")

    monkeypatch.setattr(mds_fast, "cached_principal", failing)
    fast = _fast_path(app_client)
    before = fast.answered
    r = _post(app_client, kernel("ZTAFAULT1"), chunked=False)
    assert r.status_code == 201 and r.text == "OK (ZTAFAULT1)"
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["cache-control"] == "no-store"
    assert fast.answered == before
