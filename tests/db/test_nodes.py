"""Several nodes over one PostgreSQL registry and one SQLite-free data folder each: writes serialised through
PostgreSQL's advisory lock, and the crash rule across nodes — a journal entry left by a node killed mid-write is
redone by another node before that node's next write builds on it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from igsn_graph.index.rebuild import verify
from igsn_graph.registry.service import Registry, init_data_dir
from igsn_graph.settings import Settings
from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.slow


def _node(tmp_path: Path, name: str, url: str, engine: str) -> Settings:
    return Settings(data_dir=tmp_path / name, admin_password=ADMIN_PASSWORD, database=url, store=engine)


@pytest.fixture
def engine(oxigraph_engine: str) -> str:
    httpx.post(
        oxigraph_engine + "/update", content=b"DROP ALL", headers={"Content-Type": "application/sparql-update"}
    ).raise_for_status()
    return oxigraph_engine


def test_a_node_killed_mid_write_is_repaired_by_another_before_its_next_write(
    tmp_path: Path, postgres_url: str, engine: str
) -> None:
    other = _node(tmp_path, "b", postgres_url, engine)
    init_data_dir(other, repository_id="nodes.example.org")
    with Registry(other) as survivor:
        survivor.add_agent("ZNODE", name="Node agent", password="node-secret-1", namespaces=["ZN"])
        env = {
            **os.environ,
            "IGSN_GRAPH_DATA": str(tmp_path / "a"),
            "IGSN_GRAPH_DATABASE": postgres_url,
            "IGSN_GRAPH_STORE": engine,
            "IGSN_GRAPH_CRASH_AT": "after-graph",
            "IGSN_GRAPH_BATCH_SIZE": "50",
        }
        (tmp_path / "a").mkdir()
        records = tmp_path / "records"
        records.mkdir()
        for i in range(120):
            (records / f"ZN{i:04d}.xml").write_text(_record(f"ZN{i:04d}"))
        killed = subprocess.run(
            [sys.executable, "-m", "igsn_graph.cli", "load", str(records)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        assert survivor.journal.pending() == 50  # the dead node's batch: journaled, in the graph, not indexed
        survivor.add_agent("ZNODE2", name="Second", password="node-secret-2", namespaces=["ZM"])
        assert survivor.repaired == 50 and survivor.journal.pending() == 0
        assert survivor.count() == 50
        assert verify(survivor.db, survivor.store, survivor.iris).ok


def test_writes_from_two_nodes_at_once_are_all_kept(tmp_path: Path, postgres_url: str, engine: str) -> None:
    first, second = _node(tmp_path, "a", postgres_url, engine), _node(tmp_path, "b", postgres_url, engine)
    init_data_dir(first, repository_id="nodes.example.org")
    with Registry(first) as a, Registry(second) as b:
        errors: list[BaseException] = []

        def add(reg: Registry, prefix: str) -> None:
            try:
                for i in range(8):
                    reg.add_agent(
                        f"{prefix}{i}", name=f"Agent {i}", password="agent-secret-1", namespaces=[f"{prefix}{i}"]
                    )
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=add, args=(a, "ZA")), threading.Thread(target=add, args=(b, "ZB"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        # while one node writes, the other's write waits for it (the lock is PostgreSQL's, not this process's)
        done = threading.Event()
        with a.writing():
            waiting = threading.Thread(
                target=lambda: (
                    b.add_agent("ZC0", name="Late", password="agent-secret-1", namespaces=["ZC0"]),
                    done.set(),
                )
            )
            waiting.start()
            while not a.db.read().execute(_WAITING).fetchone()[0]:  # b's writer queues on the advisory lock
                time.sleep(0.02)
            assert not done.is_set()
        waiting.join(timeout=60)
        assert done.is_set()
        symbols = {r[0] for r in b.db.read().execute("SELECT symbol FROM agents").fetchall()}
        assert symbols == {f"ZA{i}" for i in range(8)} | {f"ZB{i}" for i in range(8)} | {"ZC0"}


_WAITING = "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"


def _record(name: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<resource xmlns="http://schema.igsn.org/description/1.1" type="Sample">'
        f'<identifier type="IGSN">{name}</identifier><name>Node test {name}</name>'
        "<materials><material>http://vocabulary.odm2.org/medium/rock</material></materials>"
        "<sampleAccess>Public</sampleAccess></resource>\n"
    )
