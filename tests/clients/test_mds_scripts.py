"""The MDS API over a real socket, driven the way the IGSN example scripts and MDS clients drive it.

A uvicorn server runs in a thread on a free loopback port. The scripts' flow (``post_igsn``,
``post_metadata``, ``get_igsn``, ``get_metadata``, ``delete_metadata``) is replayed with ``urllib`` and a
challenge-driven ``HTTPBasicAuthHandler`` (the client only sends credentials after our 401 and its
``WWW-Authenticate``), and with ``httpx`` as ARDC's ``MDSClient`` does (pre-emptive Basic).
"""

from __future__ import annotations

import base64
import http.client
import urllib.error
import urllib.request
from typing import Iterator

import httpx
import pytest

from tests.conftest import AGENT, CLIENT_ONE, SHARED, fresh_settings, live_server

MAX_BODY = 64 * 1024
EXAMPLE = (
    SHARED
    / "examples"
    / "IGSN-mds"
    / "src"
    / "main"
    / "webapp"
    / "examples"
    / "igsn.org"
    / "examples"
    / "python"
    / "test.xml"
)


def kernel(igsn: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<sample xmlns="http://igsn.org/schema/kernel-v.1.0">\n'
        f'\t<sampleNumber identifierType="igsn">{igsn}</sampleNumber>\n'
        "\t<registrant><registrantName>Damian Ulbricht</registrantName></registrant>\n"
        '\t<log><logElement event="submitted" timeStamp="2002-09-24T20:00:00"/></log>\n</sample>\n'
    ).encode()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server on 127.0.0.1:<free port> over a fresh registry with the test accounts."""
    with live_server(fresh_settings(tmp_path_factory.mktemp("server"), max_body_bytes=MAX_BODY)) as base:
        yield base


def opener(base_url: str, user: str, password: str) -> urllib.request.OpenerDirector:
    """urllib as the example scripts use it: credentials are sent in answer to the 401 challenge."""
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, base_url, user, password)
    return urllib.request.build_opener(urllib.request.HTTPBasicAuthHandler(passwords))


def call(
    o: urllib.request.OpenerDirector, method: str, url: str, body: bytes | None = None, content_type: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method)
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with o.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_example_scripts_flow(base_url: str) -> None:
    o = opener(base_url, *CLIENT_ONE)
    # post_igsn.py
    status, headers, body = call(
        o,
        "POST",
        f"{base_url}/igsn",
        b"igsn=10273/zta9001\nurl=http://www.example.org/zta9001",
        "text/plain;charset=UTF-8",
    )
    assert (status, body) == (201, b"OK")
    assert headers["location"] == f"{base_url}/igsn/10273/ZTA9001"
    # post_metadata.py
    document = kernel("10273/ZTA9001")
    status, headers, body = call(o, "POST", f"{base_url}/metadata", document, "application/xml;charset=UTF-8")
    assert (status, body) == (201, b"OK (10273/ZTA9001)")
    assert headers["location"] == f"{base_url}/metadata/10273/ZTA9001"
    # get_igsn.py
    status, _, body = call(o, "GET", f"{base_url}/igsn/10273/ZTA9001")
    assert (status, body) == (200, b"http://www.example.org/zta9001")
    # get_metadata.py: the document as it was sent
    status, headers, body = call(o, "GET", f"{base_url}/metadata/10273/ZTA9001")
    assert status == 200 and body == document and headers["content-type"] == "application/xml"
    # delete_metadata.py
    status, _, body = call(o, "DELETE", f"{base_url}/metadata/10273/ZTA9001")
    assert (status, body) == (200, b"OK")
    status, _, body = call(o, "GET", f"{base_url}/metadata/10273/ZTA9001")
    assert (status, body) == (410, b"dataset inactive")
    status, _, body = call(o, "GET", f"{base_url}/igsn/10273/ZTA9001")
    assert (status, body) == (410, b"dataset inactive")
    # posting the metadata again reactivates
    assert call(o, "POST", f"{base_url}/metadata", document, "application/xml")[0] == 201
    assert call(o, "GET", f"{base_url}/igsn/ZTA9001")[2] == b"http://www.example.org/zta9001"


def test_the_official_example_document(base_url: str) -> None:
    if not EXAMPLE.is_file():
        pytest.skip("../shared is absent: the IGSN example document is not available")
    o = opener(base_url, *CLIENT_ONE)
    document = EXAMPLE.read_bytes()  # 10273/TEST/TEST3: the test namespace, open to every client
    status, _, body = call(o, "POST", f"{base_url}/metadata?testMode=true", document, "application/xml")
    assert (status, body) == (201, b"OK (10273/TEST/TEST3) (only test mode!)")
    status, _, body = call(o, "POST", f"{base_url}/metadata", document, "application/xml")
    assert (status, body) == (201, b"OK (10273/TEST/TEST3)")
    assert call(o, "GET", f"{base_url}/metadata/10273/TEST/TEST3")[2] == document
    status, _, body = call(
        o, "POST", f"{base_url}/igsn", b"igsn=10273/TEST/TEST3\nurl=http://gfz-potsdam.de", "text/plain;charset=UTF-8"
    )
    # the example's URL lies outside client ONE's domains (example.org)
    assert (status, body) == (400, b"domain of URL is not allowed")
    status, _, body = call(
        o,
        "POST",
        f"{base_url}/igsn",
        b"igsn=10273/TEST/TEST3\nurl=http://www.example.org/t3",
        "text/plain;charset=UTF-8",
    )
    assert (status, body) == (201, b"OK")


def test_httpx_client_like_ardc(base_url: str) -> None:
    with httpx.Client(base_url=base_url, auth=AGENT, timeout=30) as c:
        r = c.post(
            "/igsn",
            content="igsn=10273/ZTA9002\r\nurl=https://example.org/9002",
            headers={"Content-Type": "text/plain"},
        )
        assert (r.status_code, r.text) == (201, "OK")
        r = c.post("/metadata", content=kernel("ZTA9002"), headers={"Content-Type": "application/xml"})
        assert (r.status_code, r.text) == (201, "OK (ZTA9002)")
        assert c.get("/igsn").text.splitlines() == sorted(c.get("/igsn").text.splitlines())
        assert "ZTA9002" in c.get("/igsn").text.splitlines()
        r = c.head("/igsn/ZTA9002")
        assert r.status_code == 200 and r.content == b""
        r = c.get("/igsn/ZTA9002", auth=("ZTEST.ONE", "wrong"))
        assert r.status_code == 401 and r.headers["www-authenticate"] == 'Basic realm="igsn-graph"'


def test_body_limit_on_the_wire(base_url: str) -> None:
    big = b"<sample>" + b"x" * (MAX_BODY + 1) + b"</sample>"
    with httpx.Client(base_url=base_url, auth=CLIENT_ONE, timeout=30) as c:
        r = c.post("/metadata", content=big, headers={"Content-Type": "application/xml"})
        assert r.status_code == 413 and r.text == f"request body is larger than {MAX_BODY} bytes"

        def chunks() -> Iterator[bytes]:  # chunked transfer, no Content-Length
            for _ in range(MAX_BODY // 1024 + 2):
                yield b"x" * 1024

        r = c.post("/metadata", content=chunks(), headers={"Content-Type": "application/xml"})
        assert r.status_code == 413
        # the server is still serving
        assert c.get("/metadata").status_code == 204


def test_raw_http_bad_bytes(base_url: str) -> None:
    """Invalid UTF-8 straight off the socket: a 400 line, never a 500."""
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    token = base64.b64encode(f"{CLIENT_ONE[0]}:{CLIENT_ONE[1]}".encode()).decode()
    conn.request(
        "POST",
        "/igsn",
        body=b"igsn=ZTA9003\nurl=https://example.org/\xc3\x28",
        headers={"Content-Type": "text/plain", "Authorization": f"Basic {token}"},
    )
    response = conn.getresponse()
    assert response.status == 400 and response.read().startswith(b"request body is not valid UTF-8")
    conn.close()
