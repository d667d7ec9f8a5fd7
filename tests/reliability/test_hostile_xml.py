"""Hostile and broken XML on every endpoint that reads XML, against the real server in a subprocess: each is
refused with a clear 4xx in that surface's error form, nothing is stored, and the server's memory stays bounded
(a 100 MB body is refused without being held)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import httpx
import pytest

from tests.conftest import ADMIN_PASSWORD, CLIENT_ONE, fresh_settings
from tests.reliability.server import ServerProcess
from tests.test_xmlparser import BILLION_LAUGHS, EXTERNAL_DTD, XINCLUDE, XXE_FILE, XXE_HTTP

pytestmark = pytest.mark.slow

KERNEL_NS = "http://igsn.org/schema/kernel-v.1.0"


def _kernel(body: str, igsn: str = "10273/ZTA0001") -> bytes:
    return (
        f'<sample xmlns="{KERNEL_NS}"><sampleNumber identifierType="igsn">{igsn}</sampleNumber>'
        f"<registrant><registrantName>{body}</registrantName></registrant>"
        '<log><logElement event="submitted" timeStamp="2020-01-01T10:00:00"/></log></sample>'
    ).encode()


QUADRATIC = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "'
    + b"x" * 50_000
    + b'">]><sample xmlns="'
    + KERNEL_NS.encode()
    + b'">'
    + b"&a;" * 5_000
    + b"</sample>"
)
PAYLOADS = {
    "billion-laughs": BILLION_LAUGHS,
    "quadratic-blowup": QUADRATIC,
    "external-entity-file": XXE_FILE,
    "external-entity-http": XXE_HTTP,
    "external-dtd": EXTERNAL_DTD,
    "xinclude": XINCLUDE.replace(b"<r ", f'<sample xmlns="{KERNEL_NS}" '.encode()).replace(b"</r>", b"</sample>"),
    "deep-nesting": f'<sample xmlns="{KERNEL_NS}">'.encode() + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</sample>",
    "invalid-utf8": _kernel("Jane").replace(b"Jane", b"J\xff\xfene"),
    "control-character-reference": _kernel("Jane &#x1; Doe"),
    "control-character-raw": _kernel("Jane \x02 Doe"),
    "mixed-namespaces": (
        f'<sample xmlns="{KERNEL_NS}" xmlns:o="urn:other"><o:sampleNumber>10273/ZTA0001</o:sampleNumber></sample>'
    ).encode(),
    # a metadata format no reader takes (Dublin Core is read now, as the last-resort harvest format)
    "wrong-kernel": (
        b'<mods xmlns="http://www.loc.gov/mods/v3"><identifier type="igsn">10273/ZTA0001</identifier></mods>'
    ),
    "not-xml": b"igsn=10273/ZTA0001\nurl=https://example.org/1",
    "truncated": _kernel("Jane")[:-12],
}
#: (method, path, content type, error form)
ENDPOINTS = [
    ("POST", "/metadata", "application/xml", "text"),
    ("PUT", "/metadata/10273/ZTA0001", "application/xml", "text"),
    ("POST", "/api/v1/samples", "application/xml", "problem"),
    ("PUT", "/api/v1/samples/ZTA0001", "application/xml", "problem"),
    ("POST", "/api/v1/samples/bulk", "application/xml", "problem"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = fresh_settings(tmp_path_factory.mktemp("hostile")).data_dir
    proc = ServerProcess(data, env={"IGSN_GRAPH_ADMIN_PASSWORD": ADMIN_PASSWORD})
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def _peak_rss_kib(proc: ServerProcess) -> int:
    assert proc.proc is not None
    for line in Path(f"/proc/{proc.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def _assert_nothing_stored(base: str) -> None:
    r = httpx.get(base + "/igsn", auth=CLIENT_ONE, timeout=30)
    assert r.status_code == 204, f"something was stored: {r.text[:200]}"


@pytest.mark.parametrize("method,path,ctype,form", ENDPOINTS, ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
@pytest.mark.parametrize("name", list(PAYLOADS))
def test_refused_and_nothing_stored(
    server: ServerProcess, name: str, method: str, path: str, ctype: str, form: str
) -> None:
    r = httpx.request(
        method,
        server.base_url + path,
        content=PAYLOADS[name],
        auth=CLIENT_ONE,
        timeout=60,
        headers={"Content-Type": ctype},
    )
    if path.endswith("/bulk") and r.status_code in (200, 207):
        # the bulk endpoint reports per record: nothing may have been stored
        assert all(res["status"] not in ("created", "updated") for res in r.json()["results"]), r.text
    else:
        assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
        if form == "text":
            assert r.headers["content-type"].startswith("text/plain") and "\n" not in r.text.strip()
        else:
            assert r.headers["content-type"].startswith("application/problem+json"), r.headers["content-type"]
            assert r.json()["status"] == r.status_code
    assert "root:" not in r.text  # no file content leaked (XXE, XInclude)
    _assert_nothing_stored(server.base_url)


@pytest.mark.parametrize("path", ["/metadata", "/api/v1/samples", "/api/v1/samples/bulk"])
def test_a_100_mb_body_is_refused_without_being_held(server: ServerProcess, path: str) -> None:
    before = _peak_rss_kib(server)
    chunk = b"<a>" + b"x" * (1024 * 1024 - 7) + b"</a>"

    def body() -> Iterator[bytes]:
        yield f'<sample xmlns="{KERNEL_NS}">'.encode()
        for _ in range(100):
            yield chunk

    try:
        r = httpx.post(
            server.base_url + path,
            content=body(),
            auth=CLIENT_ONE,
            timeout=120,
            headers={"Content-Type": "application/xml"},
        )
        assert r.status_code == 413, (r.status_code, r.text[:300])
    except httpx.RemoteProtocolError:
        pass  # the server may close the connection once it has answered 413 mid-upload
    grown_mib = (_peak_rss_kib(server) - before) / 1024
    assert grown_mib < 40, f"the server's peak memory grew by {grown_mib:.0f} MiB for a refused body"
    _assert_nothing_stored(server.base_url)
