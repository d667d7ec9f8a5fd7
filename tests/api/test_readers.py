"""Reader processes (``igsn-graph serve --readers``): the writer's answers from a second process, never an old
version, everything else sent to the writer, gone with the server. The real ``serve`` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from igsn_graph.registry.service import Registry, Submission
from testkit.harness import stop_server
from tests.conftest import CLIENT_ONE, ROOT, free_port, fresh_settings
from tests.oai.samples import ONE, rich

pytestmark = pytest.mark.slow

NAME = "ZTA401"
TURTLE = {"Accept": "text/turtle"}
_TRANSPORT = {"date", "server"}


def _headers(r: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in r.headers.items() if k not in _TRANSPORT}


def _up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(log.read_text()[-2000:])
        time.sleep(0.2)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, subprocess.Popen[bytes]]]:
    tmp = tmp_path_factory.mktemp("readers")
    settings = fresh_settings(tmp)
    with Registry(settings) as registry:
        assert all(o.ok for o in registry.register(ONE, [Submission(rich(NAME), "igsn_desc", None, None)]))
    port, read_port = free_port(), free_port()
    writer, reader = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{read_port}"
    env = {**os.environ, "IGSN_GRAPH_PUBLIC_URL": writer + "/", "IGSN_GRAPH_AUTO_RESTAMP": "false"}
    log = tmp / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "igsn_graph.cli",
                "serve",
                "--data",
                str(settings.data_dir),
                "--port",
                str(port),
                "--readers",
                "1",
                "--read-port",
                str(read_port),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _up(writer + "/health", proc, log)
        _up(reader + "/health", proc, log)
        yield writer, reader, proc
    finally:
        stop_server(proc)


def test_a_reader_answers_as_the_writer(served: tuple[str, str, subprocess.Popen[bytes]]) -> None:
    writer, reader, _ = served
    first = httpx.get(f"{reader}/{NAME}", headers=TURTLE)
    assert first.status_code == 307 and first.headers["location"] == f"{writer}/{NAME}"  # not rendered yet
    rendered = httpx.get(f"{writer}/{NAME}", headers=TURTLE)  # the writer renders and stores it
    from_reader = httpx.get(f"{reader}/{NAME}", headers=TURTLE)
    assert from_reader.status_code == rendered.status_code == 200
    assert from_reader.content == rendered.content and _headers(from_reader) == _headers(rendered)
    tag = {**TURTLE, "If-None-Match": rendered.headers["etag"]}
    assert httpx.get(f"{reader}/{NAME}", headers=tag).status_code == 304
    # pages, queries, other paths and methods: the writer's
    for r in (
        httpx.get(f"{reader}/{NAME}", headers={"Accept": "text/html"}),
        httpx.get(f"{reader}/{NAME}", params={"_profile": "ig"}, headers=TURTLE),
        httpx.get(f"{reader}/oai", params={"verb": "Identify"}),
        httpx.post(f"{reader}/metadata", content=b"<x/>"),
    ):
        assert r.status_code == 307 and r.headers["location"].startswith(writer + "/"), r.request.url
    followed = httpx.get(f"{reader}/{NAME}", headers={"Accept": "text/html"}, follow_redirects=True)
    assert followed.status_code == 200 and followed.url.port == httpx.URL(writer).port


def test_a_reader_never_serves_an_old_version(served: tuple[str, str, subprocess.Popen[bytes]]) -> None:
    writer, reader, _ = served
    httpx.get(f"{writer}/{NAME}", headers=TURTLE)
    before = httpx.get(f"{reader}/{NAME}", headers=TURTLE)
    assert before.status_code == 200
    written = httpx.post(
        f"{writer}/metadata",
        content=(
            f'<resource xmlns="http://schema.igsn.org/description/1.1" type="Sample">'
            f'<identifier type="IGSN">{NAME}</identifier><name>Renamed by the writer</name></resource>'
        ).encode(),
        headers={"Content-Type": "application/xml;charset=UTF-8"},
        auth=CLIENT_ONE,
    )
    assert written.status_code in (200, 201), written.text
    after = httpx.get(f"{reader}/{NAME}", headers=TURTLE)
    assert after.status_code == 307  # the new version is not rendered yet: never the old body
    assert b"Renamed by the writer" in httpx.get(f"{reader}/{NAME}", headers=TURTLE, follow_redirects=True).content
    again = httpx.get(f"{reader}/{NAME}", headers=TURTLE)
    assert again.status_code == 200 and b"Renamed by the writer" in again.content
    assert again.headers["etag"] != before.headers["etag"]


def test_readers_end_with_the_server(served: tuple[str, str, subprocess.Popen[bytes]]) -> None:
    _, reader, proc = served
    proc.terminate()
    proc.wait(timeout=30)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{reader}/health", timeout=1)
        except httpx.TransportError:
            return
        time.sleep(0.2)
    pytest.fail("the readers outlived the server")
