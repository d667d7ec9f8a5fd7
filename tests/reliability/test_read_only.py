"""A read-only data folder: every write on every surface is 503 in the surface's own error form with a log line,
every read keeps working, and the folder is left byte-for-byte as it was.

Two ways into read-only mode: the ``read_only`` setting on a writable folder (a replica, a snapshot), and a
data folder on a file system mounted read-only (a real tmpfs remounted ``ro``; skipped with the reason where
mounting is not permitted). Then the folder is made writable again and writes work, ``verify`` passes.
Core level: pyoxigraph's write failures on the embedded store are ``StorageFailure``, the read-only store
refuses a folder another process holds, and a SQLite database left with committed transactions in its WAL
(a writer killed) is read completely without a file being written.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pyoxigraph import Literal, NamedNode, Triple

from igsn_graph.db import connect_read_only
from igsn_graph.errors import ReadOnly, StorageFailure, StoreBusy
from igsn_graph.index.rebuild import verify
from igsn_graph.registry.service import Registry, init_data_dir
from igsn_graph.settings import Settings
from igsn_graph.store.base import GraphWrite
from igsn_graph.store.oxigraph import OxigraphStore
from tests.api.test_mds import TEXT, XML, csiro, igsn_body, kernel
from tests.api.test_samples import TURTLE, turtle
from tests.conftest import ADMIN_PASSWORD, CLIENT_ONE, add_test_accounts, live_server
from tests.reliability.server import ServerProcess
from tests.reliability.test_disk import small_disk  # noqa: F401 - the tmpfs fixture

ADMIN = ("admin", ADMIN_PASSWORD)
JSON = {"Content-Type": "application/json"}
REFUSAL = "the registry is read-only: "
OAI_ID = "oai:test.igsn-graph.org:ZTA0001"


@dataclass(frozen=True)
class Write:
    method: str
    path: str
    body: bytes | str | None = None
    headers: dict[str, str] | None = None
    auth: tuple[str, str] = CLIENT_ONE

    @property
    def mds(self) -> bool:
        return not self.path.startswith("/api/")


#: one request per write path of every surface, each valid apart from the registry being read-only
WRITES = [
    Write("POST", "/igsn", igsn_body("10273/ZTA0009", "https://example.org/9"), TEXT),
    Write("PUT", "/igsn/10273/ZTA0001", igsn_body("10273/ZTA0001", "https://example.org/1b"), TEXT),
    Write("POST", "/metadata", kernel("10273/ZTA0002"), XML),
    Write("PUT", "/metadata/10273/ZTA0001", kernel("10273/ZTA0001", registrant="John Doe"), XML),
    Write("DELETE", "/metadata/10273/ZTA0001"),
    Write("POST", "/doi", "doi=10.99990/ZTA0011\r\nurl=https://example.org/11", TEXT),
    Write("PUT", "/doi/10.99990/ZTA0001", "doi=10.99990/ZTA0001\r\nurl=https://example.org/1c", TEXT),
    Write("POST", "/api/v1/samples", turtle("ZTA0012"), TURTLE),
    Write("PUT", "/api/v1/samples/ZTA0001", turtle("ZTA0001", "Another title"), TURTLE),
    Write("DELETE", "/api/v1/samples/ZTA0001"),
    Write("POST", "/api/v1/samples/bulk", csiro("ZTA0013", "ZTA0014"), XML),
    Write(
        "POST",
        "/api/v1/admin/agents",
        '{"symbol": "ZNEW", "name": "New", "password": "pw", "namespaces": ["ZN"]}',
        JSON,
        ADMIN,
    ),
    Write("PATCH", "/api/v1/admin/clients/ZTEST.ONE", '{"name": "Renamed"}', JSON, ADMIN),
    Write("DELETE", "/api/v1/admin/agents/ZOTHER", auth=ADMIN),
    Write("PUT", "/api/v1/admin/quotas/ZTEST.ONE", '{"quota": 5}', JSON, ADMIN),
    Write("PUT", "/api/v1/admin/domains/ZTEST.ONE", '{"domains": ["example.com"]}', JSON, ADMIN),
    Write("POST", "/api/v1/admin/namespaces", '{"value": "ZTX", "owner": "ZTEST"}', JSON, ADMIN),
    Write("DELETE", "/api/v1/admin/doi-prefixes/10.99990", auth=ADMIN),
]


def _turtle_names(r: httpx.Response) -> bool:
    return "ZTA0001" in r.text and r.headers["content-type"].startswith("text/turtle")


def _search_finds(r: httpx.Response) -> bool:
    return "ZTA0001" in r.text


#: (path, headers, auth, check of the 200 body)
READS: list[tuple[str, dict[str, str], tuple[str, str] | None, Callable[[httpx.Response], bool]]] = [
    ("/ZTA0001", {"Accept": "text/turtle"}, None, _turtle_names),
    ("/ZTA0001", {"Accept": "application/ld+json"}, None, lambda r: "ZTA0001" in r.json().__repr__()),
    ("/oai?verb=Identify", {}, None, lambda r: "<repositoryName>" in r.text),
    ("/oai?verb=ListRecords&metadataPrefix=oai_dc", {}, None, lambda r: OAI_ID in r.text),
    (f"/oai?verb=GetRecord&metadataPrefix=igsn&identifier={OAI_ID}", {}, None, lambda r: "ZTA0001" in r.text),
    (
        "/sparql?query=ASK%20%7BGRAPH%20%3Chttps%3A%2F%2Figsn.org%2Fgraph%2FZTA0001%3E%20%7B%3Fs%20%3Fp%20%3Fo%7D%7D",
        {"Accept": "application/sparql-results+json"},
        None,
        lambda r: r.json()["boolean"] is True,
    ),
    ("/api/v1/search?q=ZTA0001", {}, None, _search_finds),
    ("/api/v1/samples/ZTA0001", {"Accept": "text/turtle"}, CLIENT_ONE, _turtle_names),
    ("/metadata/10273/ZTA0001", {}, CLIENT_ONE, lambda r: "ZTA0001" in r.text),
    ("/health", {}, None, lambda r: r.json()["read_only"] is True),
]


def _hashes(folder: Path) -> dict[str, str]:
    """Every file's hash, but SQLite's ``-shm`` files: the shared-memory index of a WAL, not data. A reader
    of a WAL that holds transactions records its read position there (no data file or WAL changes); the
    file is rebuilt from the WAL whenever it is missing or stale."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.endswith("-shm")
    }


def _populate(settings: Settings, base: str) -> None:
    """ZTA0001 registered over HTTP, and read through OAI-PMH so that the metadata cache holds it."""
    with httpx.Client(base_url=base, auth=CLIENT_ONE, timeout=30) as c:
        r = c.post("/metadata", content=kernel("10273/ZTA0001"), headers=XML)
        assert r.status_code == 201, r.text
        r = c.post("/igsn", content=igsn_body("10273/ZTA0001", "https://example.org/1"), headers=TEXT)
        assert r.status_code == 201, r.text
        assert c.get("/oai?verb=ListRecords&metadataPrefix=igsn").status_code == 200
        assert c.get("/health").json()["read_only"] is False


def _init(settings: Settings) -> None:
    init_data_dir(settings, repository_id="test.igsn-graph.org")
    with Registry(settings) as reg:
        add_test_accounts(reg)


def _writes_refused(base: str) -> None:
    with httpx.Client(base_url=base, timeout=30) as c:
        for w in WRITES:
            r = c.request(w.method, w.path, content=w.body, headers=w.headers, auth=w.auth)
            assert r.status_code == 503, (w, r.status_code, r.text[:300])
            if w.mds:  # the MDS contract: one line of plain text
                assert r.headers["content-type"].startswith("text/plain"), (w, r.headers["content-type"])
                assert r.text.startswith(REFUSAL) and "\n" not in r.text.strip(), (w, r.text)
            else:
                assert r.headers["content-type"] == "application/problem+json", (w, r.headers["content-type"])
                problem: dict[str, Any] = r.json()
                assert problem["status"] == 503 and problem["detail"].startswith(REFUSAL), (w, problem)
                assert problem["type"].endswith("/ReadOnly"), problem


def _reads_work(base: str) -> None:
    with httpx.Client(base_url=base, timeout=30) as c:
        for path, headers, auth, check in READS:
            r = c.get(path, headers=headers, auth=auth) if auth else c.get(path, headers=headers)
            assert r.status_code == 200, (path, r.status_code, r.text[:300])
            assert check(r), (path, r.text[:500])


def _writes_work(base: str) -> None:
    with httpx.Client(base_url=base, auth=CLIENT_ONE, timeout=30) as c:
        r = c.post("/metadata", content=kernel("10273/ZTA0003"), headers=XML)
        assert r.status_code == 201, r.text
        assert c.get("/metadata/10273/ZTA0003").status_code == 200
        r = c.post("/api/v1/admin/namespaces", json={"value": "ZTX", "owner": "ZTEST"}, auth=ADMIN)
        assert r.status_code == 201, r.text
        assert c.get("/health").json()["read_only"] is False


def _verified(settings: Settings) -> None:
    with Registry(settings) as reg:
        assert not reg.read_only
        report = verify(reg.db, reg.store, reg.iris)
        assert report.ok, report.problems
        assert reg.row("ZTA0003") is not None and reg.row("ZTA0002") is None


def test_read_only_setting(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(data_dir=tmp_path / "data", admin_password=ADMIN_PASSWORD)
    _init(settings)
    with live_server(settings) as base:
        _populate(settings, base)
    before = _hashes(settings.data_dir)
    caplog.set_level(logging.WARNING, logger="igsn_graph")
    with live_server(settings.with_(read_only=True)) as base:
        _writes_refused(base)
        _reads_work(base)
    assert _hashes(settings.data_dir) == before, "a read-only server changed the data folder"
    refused = [r for r in caplog.records if r.getMessage().startswith("write refused: " + REFUSAL)]
    assert len(refused) >= len(WRITES), [r.getMessage() for r in caplog.records]
    with live_server(settings) as base:  # the same folder served writable again
        _writes_work(base)
    _verified(settings)


def _remount(mnt: Path, mode: str) -> None:
    done = subprocess.run(["mount", "-o", f"remount,{mode}", str(mnt)], capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()


@pytest.mark.slow
def test_read_only_file_system(small_disk: Path) -> None:  # noqa: F811 - the imported fixture
    data = small_disk  # the whole mount is the data folder; the server's log goes beside it
    settings = Settings(data_dir=data, admin_password=ADMIN_PASSWORD)
    _init(settings)
    env = {"IGSN_GRAPH_ADMIN_PASSWORD": ADMIN_PASSWORD}
    server = ServerProcess(data, env=env)
    try:
        _populate(settings, server.start())
    finally:
        server.stop()
    _remount(data, "ro")
    try:
        before = _hashes(data)
        server = ServerProcess(data, env=env)
        try:
            base = server.start()
            _writes_refused(base)
            _reads_work(base)
        finally:
            server.stop()
        assert _hashes(data) == before
        log = server.log.read_text()
        assert f"opening {data} read-only ({data}" in log and "is not writable" in log, log[-2000:]
        assert "write refused: " + REFUSAL in log, log[-2000:]
    finally:
        _remount(data, "rw")
    with live_server(settings) as base:  # writable again (the last remount needs no process boundary)
        _writes_work(base)
    _verified(settings)


# -- core level ---------------------------------------------------------------------------------------
def test_registry_read_only_refuses_every_write_and_writes_nothing(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", admin_password=ADMIN_PASSWORD)
    _init(settings)
    before = _hashes(settings.data_dir)
    with Registry(settings.with_(read_only=True)) as reg:
        assert reg.read_only and "ZT" in reg.accounts.agent("ZTEST").namespaces
        with pytest.raises(ReadOnly, match="^the registry is read-only: "):
            reg.add_namespace("ZTQ", "ZTEST")
        with pytest.raises(ReadOnly), reg.db.write():  # the database refuses too, should a write bypass the registry
            pass
    assert _hashes(settings.data_dir) == before


def test_interrupted_writes_wait_for_a_writable_start(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(data_dir=tmp_path / "data", admin_password=ADMIN_PASSWORD)
    _init(settings)
    # a writer killed right after journaling a registration: a pending entry, never acknowledged
    script = (
        "import sys; from pathlib import Path; from igsn_graph.registry.accounts import ADMIN; "
        "from igsn_graph.registry.service import Registry; from igsn_graph.settings import Settings; "
        "Registry(Settings(data_dir=Path(sys.argv[1]), crash_at='after-journal'))"
        ".mint(ADMIN, 'ZTA0005', 'https://example.org/5')"
    )
    done = subprocess.run([sys.executable, "-c", script, str(settings.data_dir)], check=False)
    assert done.returncode == -9
    before = _hashes(settings.data_dir)
    caplog.set_level(logging.WARNING, logger="igsn_graph")
    with Registry(settings.with_(read_only=True)) as reg:
        assert reg.journal.pending() == 1 and reg.repaired == 0 and reg.row("ZTA0005") is None
    assert any(
        "1 interrupted write(s)" in r.getMessage() and "writable data folder" in r.getMessage() for r in caplog.records
    ), [r.getMessage() for r in caplog.records]
    assert _hashes(settings.data_dir) == before
    with Registry(settings) as reg:  # the writable start repairs it
        assert reg.repaired == 1 and reg.row("ZTA0005") is not None


def test_embedded_store_write_failures_are_storage_failures(tmp_path: Path) -> None:
    graph = NamedNode("https://igsn.org/graph/ZTA0001")
    triple = Triple(NamedNode("https://igsn.org/ZTA0001"), NamedNode("https://schema.org/name"), Literal("core"))
    store = OxigraphStore(tmp_path / "graph")
    store.apply(GraphWrite(replace={graph: [triple]}, new_graphs={graph}))
    store.close()
    store = OxigraphStore(tmp_path / "graph", read_only=True)
    try:
        assert store.graph(graph) == [triple]
        for write in (
            GraphWrite(replace={graph: []}),  # an update request
            GraphWrite(add={graph: [triple]}),  # a transaction of quads
            GraphWrite(add={graph: [triple] * 20_000}),
        ):  # the bulk loader
            with pytest.raises(StorageFailure) as caught:
                store.apply(write)
            assert caught.value.data["applied"] is False
        with pytest.raises(StorageFailure):
            store.load_nquads([b"<https://a.org/s> <https://a.org/p> <https://a.org/o> <https://a.org/g> .\n"])
        assert store.graph(graph) == [triple]
    finally:
        store.close()


def test_read_only_store_refuses_a_folder_another_process_holds(tmp_path: Path) -> None:
    OxigraphStore(tmp_path / "graph").close()
    script = "import sys, pyoxigraph; s = pyoxigraph.Store(sys.argv[1]); print('open', flush=True); sys.stdin.read()"
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path / "graph")], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"open\n"
        with pytest.raises(StoreBusy):
            OxigraphStore(tmp_path / "graph", read_only=True)
    finally:
        holder.communicate(b"")
    OxigraphStore(tmp_path / "graph", read_only=True).close()  # free again


def test_read_only_sqlite_reads_what_a_killed_writer_left_in_the_wal(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    # a writer killed with committed transactions still in its WAL (not checkpointed into the file)
    script = (
        "import os, sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('PRAGMA journal_mode=WAL'); "
        "c.execute('PRAGMA wal_autocheckpoint=0'); c.execute('CREATE TABLE t (x)'); c.commit(); "
        "c.execute('INSERT INTO t VALUES (1)'); c.commit(); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True)
    assert path.with_name("db.sqlite-wal").stat().st_size > 0
    before = _hashes(tmp_path)
    conn = connect_read_only(path)
    assert conn.execute("SELECT x FROM t").fetchall() == [(1,)]
    with pytest.raises(sqlite3.OperationalError):
        conn.execute("INSERT INTO t VALUES (2)")
    conn.close()
    assert _hashes(tmp_path) == before
    # a database closed cleanly (no WAL left) is opened immutable: no -wal or -shm file appears
    clean = tmp_path / "clean.sqlite"
    c = sqlite3.connect(clean)
    c.execute("PRAGMA journal_mode=WAL")
    c.execute("CREATE TABLE t (x)")
    c.commit()
    c.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    conn = connect_read_only(clean)
    assert conn.execute("SELECT COUNT(*) FROM t").fetchone() == (0,)
    conn.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == files
