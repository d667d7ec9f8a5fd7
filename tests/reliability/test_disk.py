"""Disk full under the running server: writes fail with a clear 503 and a log line, reads keep working,
nothing is corrupted, and writes work again once space returns.

Needs a real small file system: a tmpfs mounted for the test (root in a container that allows mounts);
skipped with the reason otherwise.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from igsn_graph.index.rebuild import verify
from igsn_graph.registry.service import Registry
from tests.api.test_mds import XML, kernel
from tests.conftest import CLIENT_ONE, fresh_settings, live_server

pytestmark = pytest.mark.slow

READS = [
    ("/ZTA0001", {"Accept": "text/turtle"}),
    ("/ZTA0001", {"Accept": "application/ld+json"}),
    ("/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:test.igsn-graph.org:ZTA0001", {}),
    ("/oai?verb=ListIdentifiers&metadataPrefix=igsn", {}),
    ("/sparql?query=ASK%20%7B%3Fs%20%3Fp%20%3Fo%7D", {"Accept": "application/sparql-results+json"}),
    ("/health", {}),
]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mnt)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root and mount rights): {done.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True)
    return filler


def _reads_work(base: str) -> None:
    for path, headers in READS:
        r = httpx.get(base + path, headers=headers, timeout=30)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])


def _write_refused(c: httpx.Client, name: str) -> None:
    r = c.post("/metadata", content=kernel(f"10273/{name}"), headers=XML)
    assert r.status_code == 503, (r.status_code, r.text)
    assert "\n" not in r.text.strip() and "Traceback" not in r.text
    r = c.post(
        "/igsn", content=f"igsn=10273/{name}X\nurl=https://example.org/x", headers={"Content-Type": "text/plain"}
    )
    assert r.status_code == 503, (r.status_code, r.text)


def test_disk_full(small_disk: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = fresh_settings(small_disk)
    with live_server(settings) as base, httpx.Client(base_url=base, auth=CLIENT_ONE, timeout=30) as c:
        assert c.post("/metadata", content=kernel("10273/ZTA0001"), headers=XML).status_code == 201
        _reads_work(base)
        filler = _fill(small_disk)
        _write_refused(c, "ZTA0002")
        _reads_work(base)
        assert any(r.levelname == "ERROR" for r in caplog.records), "no log line for the failed write"
        filler.unlink()  # space returns
        assert c.post("/metadata", content=kernel("10273/ZTA0003"), headers=XML).status_code == 201
        assert c.get("/metadata/10273/ZTA0003").status_code == 200
        _reads_work(base)
    with Registry(settings) as reg:
        report = verify(reg.db, reg.store, reg.iris)
        assert report.ok, report.problems
