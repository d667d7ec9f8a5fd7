"""kill -9 of the real server during concurrent registrations and bulk loads over HTTP: every acknowledged
registration is there afterwards with its exact content, `igsn-graph verify` passes and OAI-PMH lists every
record; nothing half-written is visible."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from lxml import etree

from tests.api.test_mds import XML, kernel
from tests.conftest import ADMIN_PASSWORD, CLIENT_ONE, fresh_settings
from tests.reliability.server import ServerProcess

pytestmark = pytest.mark.slow

OAI = "{http://www.openarchives.org/OAI/2.0/}"
TEXT = {"Content-Type": "text/plain;charset=UTF-8"}


@dataclass
class Ledger:
    """What one writer was told: per IGSN, the values acknowledged (in order) and those sent since the last
    acknowledgement that were never answered (one per server killed under it: each may have been journaled and
    redone at the next start)."""

    acked: dict[str, list[str]] = field(default_factory=dict)
    inflight: dict[str, list[str]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)

    def allowed(self, name: str) -> set[str]:
        """What the registry may hold now: the last acknowledged value, or one sent but never answered."""
        out = {self.acked[name][-1]} if self.acked.get(name) else set()
        out.update(self.inflight.get(name, ()))
        return out


def keep_writing(
    base: str,
    names: list[str],
    ledger: Ledger,
    stop: threading.Event,
    start: int,
    value_of: Callable[[str, int], str],
    send: Callable[[httpx.Client, str, str], httpx.Response],
) -> None:
    """Writes ``value_of(name, step)`` to ``names`` in turn until ``stop``; ``ledger`` records each value as in
    flight until the server answers, then as acknowledged (201) or refused."""
    with httpx.Client(base_url=base, auth=CLIENT_ONE, timeout=20) as c:
        i = start
        while not stop.is_set():
            name = names[i % len(names)]
            value = value_of(name, i)
            ledger.inflight.setdefault(name, []).append(value)
            try:
                r = send(c, name, value)
            except httpx.HTTPError:
                return  # the server died under this request: its outcome is unknown
            if r.status_code == 201:
                ledger.acked.setdefault(name, []).append(value)
                del ledger.inflight[name]  # the answer comes after every earlier write: they are superseded
            else:
                ledger.refused.append(f"{r.status_code} {r.text}")
                ledger.inflight[name].remove(value)
            i += 1


def write_metadata(base: str, names: list[str], ledger: Ledger, stop: threading.Event, start: int) -> None:
    """Registers metadata whose registrant name is the value (MDS POST /metadata)."""
    keep_writing(
        base,
        names,
        ledger,
        stop,
        start,
        lambda name, i: f"Collector {i}",
        lambda c, name, marker: c.post("/metadata", content=kernel(f"10273/{name}", registrant=marker), headers=XML),
    )


def write_urls(base: str, names: list[str], ledger: Ledger, stop: threading.Event, start: int) -> None:
    """Mints landing URLs (MDS POST /igsn)."""
    keep_writing(
        base,
        names,
        ledger,
        stop,
        start,
        lambda name, i: f"https://example.org/{name}/{i}",
        lambda c, name, url: c.post("/igsn", content=f"igsn=10273/{name}\nurl={url}", headers=TEXT),
    )


def kill_while_writing(
    server: ServerProcess,
    rng: random.Random,
    writers: Callable[[str, threading.Event, int], list[threading.Thread]],
    progress: Callable[[], int],
    *,
    gain: int,
    late: float,
    cycles: int = 2,
) -> None:
    """``cycles`` times: start the server and the writers, and once ``progress()`` has grown by ``gain``
    (start-up time varies with machine load) SIGKILL the server at a random moment up to ``late`` s later."""
    for cycle in range(cycles):
        base = server.start()
        stop = threading.Event()
        threads = writers(base, stop, cycle)
        for t in threads:
            t.start()
        target, deadline = progress() + gain, time.monotonic() + 120
        while progress() < target and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, late))
        server.kill()
        stop.set()
        for t in threads:
            t.join(timeout=60)


def registrant_of(document: bytes) -> str | None:
    root = etree.fromstring(document)
    return root.findtext(".//{*}registrantName")


def harvest(base: str) -> set[str]:
    names: set[str] = set()
    params = {"verb": "ListIdentifiers", "metadataPrefix": "igsn"}
    while True:
        root = etree.fromstring(httpx.get(base + "/oai", params=params, timeout=30).content)
        for h in root.iter(f"{OAI}header"):
            if h.get("status") != "deleted":
                names.add(h.findtext(f"{OAI}identifier").rsplit(":", 1)[1])  # type: ignore[union-attr]
        token = root.findtext(f".//{OAI}resumptionToken")
        if not token:
            return names
        params = {"verb": "ListIdentifiers", "resumptionToken": token}


def cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "igsn_graph.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "IGSN_GRAPH_DATA": str(data)},
    )


@pytest.mark.parametrize("seed", [7, 8])
def test_kill_during_concurrent_registrations(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    data = fresh_settings(tmp_path).data_dir
    server = ServerProcess(data, env={"IGSN_GRAPH_ADMIN_PASSWORD": ADMIN_PASSWORD})
    metadata = [Ledger() for _ in range(3)]
    urls = Ledger()
    # each writer owns its IGSNs, so what it was told is the whole truth about them
    owned = [[f"ZTA{seed}{w}{n:02d}" for n in range(6)] for w in range(3)]
    url_names = [f"ZTA{seed}9{n:02d}" for n in range(4)]
    try:

        def writers(base: str, stop: threading.Event, cycle: int) -> list[threading.Thread]:
            threads = [
                threading.Thread(target=write_metadata, args=(base, owned[w], metadata[w], stop, cycle * 1000))
                for w in range(3)
            ]
            return [*threads, threading.Thread(target=write_urls, args=(base, url_names, urls, stop, cycle * 1000))]

        kill_while_writing(
            server,
            rng,
            writers,
            lambda: sum(len(v) for ledger in metadata for v in ledger.acked.values()),
            gain=6,
            late=1.0,
        )
        assert sum(len(v) for ledger in metadata for v in ledger.acked.values()) > 10, "too few writes to prove much"
        assert not [r for ledger in [*metadata, urls] for r in ledger.refused]

        base = server.start()  # the start repairs what the kill interrupted
        with httpx.Client(base_url=base, auth=CLIENT_ONE, timeout=20) as c, httpx.Client(base_url=base) as anon:
            for w, ledger in enumerate(metadata):
                for name in owned[w]:
                    if name not in ledger.acked and name not in ledger.inflight:
                        continue
                    r = c.get(f"/metadata/10273/{name}")
                    if not ledger.acked.get(name) and r.status_code == 404:
                        continue  # only ever in flight, never acknowledged: may be absent
                    assert r.status_code == 200, (name, r.status_code, r.text)
                    assert registrant_of(r.content) in ledger.allowed(name), name
                    # the graph says the same as the document
                    ttl = anon.get(f"/{name}", headers={"Accept": "application/n-triples"}).text
                    assert registrant_of(r.content) in ttl
            for name in url_names:
                if not urls.acked.get(name):
                    continue
                r = c.get(f"/igsn/10273/{name}")
                assert r.status_code == 200 and r.text.strip() in urls.allowed(name), (name, r.text)
        harvested = harvest(base)
        # (URL-only IGSNs have no metadata in any format, so they are not records of this harvest)
        acked_names = {n for ledger in metadata for n, v in ledger.acked.items() if v}
        assert acked_names <= harvested
        server.stop()
        check = cli(data, "verify")
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        server.kill()


def bulk_body(names: list[str], title: str) -> bytes:
    from tests.api.test_samples import turtle

    return b"".join(turtle(name, title) for name in names)


def present(client: httpx.Client, name: str, title: str) -> bool:
    r = client.get(f"/{name}", headers={"Accept": "application/n-triples"})
    return r.status_code == 200 and f'"{title}"' in r.text


@pytest.mark.parametrize("seed", [11])
def test_kill_during_bulk_loads(tmp_path: Path, seed: int) -> None:
    """Bulk requests (40 records each) while the server is killed: an acknowledged request is there whole,
    the one in flight is there whole or not at all — never half."""
    rng = random.Random(seed)
    data = fresh_settings(tmp_path).data_dir
    server = ServerProcess(data, env={"IGSN_GRAPH_ADMIN_PASSWORD": ADMIN_PASSWORD})
    acked: list[tuple[list[str], str]] = []
    unknown: list[tuple[list[str], str]] = []
    refused: list[str] = []

    def load(base: str, writer: int, stop: threading.Event, cycle: int) -> None:
        with httpx.Client(base_url=base, auth=CLIENT_ONE, timeout=60) as c:
            step = 0
            while not stop.is_set():
                names = [f"ZTA{seed}{cycle}{writer}{step:02d}{n:02d}" for n in range(40)]
                title = f"bulk {cycle}.{writer}.{step}"
                try:
                    r = c.post(
                        "/api/v1/samples/bulk", content=bulk_body(names, title), headers={"Content-Type": "text/turtle"}
                    )
                except httpx.HTTPError:
                    unknown.append((names, title))
                    return
                if r.status_code == 200 and all(x["status"] == "created" for x in r.json()["results"]):
                    acked.append((names, title))
                else:
                    refused.append(f"{r.status_code} {r.text[:200]}")
                step += 1

    try:
        kill_while_writing(
            server,
            rng,
            lambda base, stop, cycle: [threading.Thread(target=load, args=(base, w, stop, cycle)) for w in range(2)],
            lambda: len(acked),
            gain=2,
            late=1.5,
        )
        assert len(acked) >= 4 and not refused, (len(acked), refused)
        with httpx.Client(base_url=server.start(), timeout=30) as c:  # one connection for the hundreds of reads
            for names, title in acked:
                assert all(present(c, n, title) for n in names), title
            for names, title in unknown:
                found = [present(c, n, title) for n in names]
                assert all(found) or not any(found), f"{title}: {sum(found)} of {len(found)} records visible"
        server.stop()
        check = cli(data, "verify")
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        server.kill()


def test_kill_during_transfers(tmp_path: Path) -> None:
    """An agent moves a namespace of 200 samples back and forth between its clients while the server is killed:
    afterwards every sample, the namespace and the drafts have one holder — the last acknowledged transfer's
    receiver, or the one in flight's — never a part of a transfer; ``verify`` passes."""
    from igsn_graph.loader import read_document
    from igsn_graph.registry import lifecycle
    from igsn_graph.registry.accounts import ADMIN
    from igsn_graph.registry.service import Registry
    from igsn_graph.settings import Settings
    from tests.conftest import AGENT, CLIENT_TWO
    from tests.reliability.test_isolation import csiro

    settings = fresh_settings(tmp_path)
    with Registry(settings) as reg:
        reg.update_client(CLIENT_TWO[0], quota=-1)
        subs = [read_document(csiro(f"ZTA{i:04d}"), None)[0] for i in range(200)]
        assert all(o.ok for batch in reg.load_records(subs, principal=ADMIN) for o in batch)
        lifecycle.reserve_names(reg, ADMIN, [reg.parse("ZTA9999")])
    server = ServerProcess(settings.data_dir, env={"IGSN_GRAPH_ADMIN_PASSWORD": ADMIN_PASSWORD})
    acked: list[str] = []
    inflight: list[str] = []
    refused: list[str] = []

    def move(base: str, stop: threading.Event, cycle: int) -> list[threading.Thread]:
        def run() -> None:
            with httpx.Client(base_url=base, auth=AGENT, timeout=60) as c:
                while not stop.is_set():
                    to = CLIENT_TWO[0] if (acked or [CLIENT_ONE[0]])[-1] == CLIENT_ONE[0] else CLIENT_ONE[0]
                    inflight[:] = [to]
                    try:
                        r = c.post("/api/v1/transfers", json={"to": to, "namespace": "ZTA"})
                    except httpx.HTTPError:
                        return  # killed under it: its outcome is unknown
                    if r.status_code == 200:
                        acked.append(to)
                    else:
                        refused.append(f"{r.status_code} {r.text[:200]}")
                    inflight.clear()

        return [threading.Thread(target=run)]

    try:
        kill_while_writing(server, random.Random(5), move, lambda: len(acked), gain=1, late=2.0)
        assert len(acked) >= 2 and not refused, (acked, refused)
        server.start()  # the start repairs what the kill interrupted
        server.stop()
        with Registry(Settings(data_dir=settings.data_dir)) as reg:
            conn = reg.db.read()
            holders = {r[0] for r in conn.execute("SELECT client FROM catalogue WHERE namespace = 'ZTA'")}
            draft = lifecycle.get(conn, "ZTA9999")
            assert len(holders) == 1, holders  # all or nothing
            [holder] = holders
            assert holder in {acked[-1], *inflight}, (holder, acked[-1:], inflight)
            assert reg.accounts.namespace_table()["ZTA"] == ("ZTEST", holder)
            assert draft is not None and draft.client == holder
        check = cli(settings.data_dir, "verify")
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        server.kill()
