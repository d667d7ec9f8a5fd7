"""Three stateless API nodes (issue 20): a throwaway PostgreSQL (``postgres_url``), one ``oxigraph serve``
(``oxigraph_engine``) and three ``igsn-graph serve`` processes in working directories of their own, configured only
by environment (``testkit.cluster``). A mixed load — registrations to every node, reads from every node, a scheduled
harvest running on the node holding its lease — with the harvesting node killed by SIGKILL and restarted mid-run.
Afterwards every acknowledged registration reads back from every node with what was written last, the harvest is
complete, and ``igsn-graph verify`` finds graph, history and index in agreement."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from igsn_graph.demo_load import load_demo_accounts
from igsn_graph.harvest import scheduler, sources
from igsn_graph.registry.lease import Lease
from igsn_graph.registry.service import Registry, init_data_dir
from igsn_graph.settings import Settings
from testkit.cluster import Node, node_env, start_nodes
from tests.conftest import ADMIN_PASSWORD
from tests.harvest.conftest import source_url  # noqa: F401  # the fixture: a second igsn-graph serving the demo set

pytestmark = pytest.mark.slow

AGENT, PASSWORD = "ZNODE", "node-secret-1"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{AGENT}:{PASSWORD}".encode()).decode()}
#: registrations per writer (one writer per node); each sample is written twice (a registration, then an update)
WRITES = 40
#: the demo set's live samples of agent ZGEO, which the harvest stores (tests/harvest/test_scheduler.py)
ZGEO_LIVE = 19


def kernel(name: str, title: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<sample xmlns="http://igsn.org/schema/kernel-v.1.0">'
        f'<sampleNumber identifierType="igsn">10273/{name}</sampleNumber>'
        f"<registrant><registrantName>{title}</registrantName></registrant>"
        '<log><logElement event="submitted" timeStamp="2020-01-01T10:00:00"/></log></sample>'
    ).encode()


@pytest.fixture
def cluster(tmp_path: Path, postgres_url: str, oxigraph_engine: str, source_url: str) -> Iterator[list[Node]]:  # noqa: F811
    httpx.post(
        oxigraph_engine + "/update", content=b"DROP ALL", headers={"Content-Type": "application/sparql-update"}
    ).raise_for_status()
    # `igsn-graph init` once per deployment, the accounts and the harvest source: from anywhere, into the database
    setup = Settings(data_dir=tmp_path / "setup", database=postgres_url, store=oxigraph_engine)
    init_data_dir(setup, repository_id="nodes.example.org")
    with Registry(setup) as registry:
        load_demo_accounts(registry)
        registry.add_agent(AGENT, name="Node agent", password=PASSWORD, namespaces=["ZN"])
        # polite enough to be still running when its node is killed (6 pages, one every two seconds)
        sources.add(registry, "zgeo", url=source_url, prefix="igsn_desc", agent="ZGEO", rate=0.5, every="1d")
    env = node_env(
        postgres_url, oxigraph_engine, admin_password=ADMIN_PASSWORD, public_url="https://registry.example.org/"
    )
    nodes = start_nodes(tmp_path, 3, env)
    try:
        yield nodes
    finally:
        for node in nodes:
            node.stop()


class Writer(threading.Thread):
    """Registers and then updates ``WRITES`` samples through one node; keeps what each acknowledged write said.
    A write the node does not acknowledge (it was killed) is sent again once the node is back."""

    def __init__(self, node: Node, index: int) -> None:
        super().__init__(daemon=True)
        self.node = node
        self.index = index
        self.acknowledged: dict[str, str] = {}  # name → the title of its last acknowledged write
        self.retried = 0
        self.error: BaseException | None = None

    def _post(self, client: httpx.Client, name: str, title: str) -> None:
        deadline = time.monotonic() + 90
        while True:
            try:
                r = client.post(self.node.base + "/metadata", content=kernel(name, title), headers=AUTH)
            except httpx.HTTPError:
                r = None
            if r is not None and r.status_code == 201:
                self.acknowledged[name] = title
                return
            assert r is None or r.status_code >= 500, r.text  # a refusal would be a bug; only a dead node is not
            assert time.monotonic() < deadline, "the node did not come back"
            self.retried += 1
            time.sleep(0.2)

    def run(self) -> None:
        try:
            with httpx.Client(headers={"Connection": "close"}, timeout=30) as client:
                names = [f"ZN{self.index}{i:04d}" for i in range(WRITES)]
                for name in names:
                    self._post(client, name, f"first {name}")
                for name in names:
                    self._post(client, name, f"second {name}")
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc


class Reader(threading.Thread):
    """Reads samples some writer acknowledged and OAI-PMH pages, from every node in turn, until stopped."""

    def __init__(self, nodes: list[Node], writers: list[Writer]) -> None:
        super().__init__(daemon=True)
        self.nodes, self.writers = nodes, writers
        self.stop = threading.Event()
        self.answers: dict[int, int] = {}

    def run(self) -> None:
        with httpx.Client(timeout=30) as client:
            turn = 0
            while not self.stop.is_set():
                node = self.nodes[turn % len(self.nodes)]
                turn += 1
                known = [n for w in self.writers for n in list(w.acknowledged)]
                paths = ["/oai?verb=ListIdentifiers&metadataPrefix=igsn_desc"]
                if known:
                    paths.append(f"/api/v1/samples/{known[turn % len(known)]}")
                for path in paths:
                    try:
                        status = client.get(node.base + path).status_code
                    except httpx.HTTPError:
                        status = 0  # the killed node
                    self.answers[status] = self.answers.get(status, 0) + 1


def _harvest_holder(nodes: list[Node], database: str) -> Node:
    """The node whose process holds the harvest scheduler's lease."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        holder = Lease(database, scheduler.Harvester.name).holder() or ""
        for node in nodes:
            if node.proc is not None and holder.endswith(f":{node.proc.pid}"):
                return node
        time.sleep(0.1)
    raise AssertionError("no node holds the harvest lease")


def test_three_nodes_keep_every_acknowledged_write_through_a_node_killed_mid_run(
    cluster: list[Node], postgres_url: str, oxigraph_engine: str, tmp_path: Path
) -> None:
    nodes = cluster
    harvesting = _harvest_holder(nodes, postgres_url)
    writers = [Writer(node, i) for i, node in enumerate(nodes)]
    reader = Reader(nodes, writers)
    for thread in [*writers, reader]:
        thread.start()
    # mid-run: the harvesting node dies between two pages of its harvest (and with writes in flight) and comes back
    watch = Settings(data_dir=tmp_path / "check", database=postgres_url, store=oxigraph_engine)
    watch.data_dir.mkdir()
    with Registry(watch) as registry:
        # waits as long as the run makes progress (a loaded box is slow, not stuck): 60 s without any is a failure
        progress, stalled_at = None, time.monotonic() + 60
        while sources.get(registry, "zgeo").token is None or sum(len(w.acknowledged) for w in writers) < WRITES // 4:
            now = (sources.get(registry, "zgeo").token, sum(len(w.acknowledged) for w in writers))
            if now != progress:
                progress, stalled_at = now, time.monotonic() + 60
            assert time.monotonic() < stalled_at, f"no progress for 60 s: {progress}"
            assert all(w.is_alive() or w.error is None for w in writers)
            time.sleep(0.05)
    harvesting.kill()
    time.sleep(0.5)
    harvesting.start()
    for writer in writers:
        writer.join(timeout=240)
        assert not writer.is_alive() and writer.error is None, writer.error
    assert writers[nodes.index(harvesting)].retried > 0  # its writer found it dead mid-run
    reader.stop.set()
    reader.join(timeout=60)
    assert reader.answers.get(200, 0) > 0 and not any(500 <= s for s in reader.answers), reader.answers

    # every acknowledged write, as last written, from every node
    expected = {name: title for w in writers for name, title in w.acknowledged.items()}
    assert len(expected) == WRITES * len(nodes)
    with httpx.Client(timeout=30) as client:
        for node in nodes:
            for name, title in expected.items():
                r = client.get(f"{node.base}/api/v1/samples/{name}", headers={"Accept": "application/n-triples"})
                assert r.status_code == 200 and title in r.text, (node.base, name, r.status_code)

    # the harvest cut off by the kill was resumed (by the restarted node, first to find its lease free) and ended
    deadline = time.monotonic() + 120
    while True:
        with Registry(watch) as registry:
            source = sources.get(registry, "zgeo")
            count = registry.count()
        if source.last_run is not None and source.token is None and source.stored == ZGEO_LIVE:
            break
        assert time.monotonic() < deadline, source
        time.sleep(0.5)
    assert source.state == "ok" and count == WRITES * len(nodes) + ZGEO_LIVE

    # graph, history and index agree, as the command-line check sees them (configured by environment too)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), **nodes[0].env}
    done = subprocess.run(
        [sys.executable, "-m", "igsn_graph.cli", "verify"],
        cwd=nodes[0].workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
