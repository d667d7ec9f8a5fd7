"""Fixtures shared by every test folder: settings per test, an initialised registry with accounts, data
directories prepared for an app (test accounts, or the demo set), a live server."""

from __future__ import annotations

import atexit
import gc
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest

from igsn_graph.demo_load import ensure_demo
from igsn_graph.registry.service import Registry, init_data_dir
from igsn_graph.settings import Settings
from testkit import harness
from testkit.harness import free_port, oxigraph_executable
from testkit.postgres import PostgresServer
from testkit.virtuoso import VirtuosoServer, start_virtuoso, virtuoso_executable

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

#: test accounts: (symbol, password); namespaces ZT (agent) ⊃ ZTA (client ONE), ZTB (client TWO); ZO other agent
AGENT = ("ZTEST", "agent-secret-1")
CLIENT_ONE = ("ZTEST.ONE", "client-secret-1")
CLIENT_TWO = ("ZTEST.TWO", "client-secret-2")
OTHER = ("ZOTHER", "other-secret-1")
ADMIN_PASSWORD = "admin-secret-0"
#: the engine of the tests marked both_stores: "oxigraph", or "virtuoso" to run them all against Virtuoso
REMOTE_ENGINE = os.environ.get("IGSN_TEST_REMOTE_ENGINE", "oxigraph")


def pytest_collection_finish(session: pytest.Session) -> None:
    """The collected suite (its modules, functions, parameters: ~280,000 objects) lives until the process ends;
    frozen, it is left out of every later garbage collection. Closing a store collects (``OxigraphStore.close``
    releases RocksDB's lock so), and walking the whole suite each time cost ~0.1-0.4 s per close."""
    gc.collect()
    gc.freeze()


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than there are cores. Many tests wait (on subprocesses, servers, a browser's
    quiet period) rather than compute: on 2 cores 3 workers took 4 min 35 s where 2 took 7 min 27 s."""
    return (os.cpu_count() or 1) + 1


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Modules holding a slow test run first (in their order, the rest after in theirs): ``make test`` hands whole
    modules to the workers (``--dist loadscope``), and a long module picked up last would leave the other core
    idle at the end."""
    slow = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in slow)


@pytest.fixture
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is absent: official schemas and examples are not available")
    return SHARED


def start_oxigraph(location: Path, port: int, *, timeout_s: float | None = None) -> subprocess.Popen[bytes]:
    """`oxigraph serve` on a loopback port (``testkit.harness.start_oxigraph``); skips when it is not installed."""
    if oxigraph_executable() is None:
        pytest.skip("the oxigraph server (PyPI package `oxigraph`) is not installed")
    return harness.start_oxigraph(location, port, timeout_s=timeout_s)


@pytest.fixture(scope="session")
def oxigraph_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One engine for the tests marked both_stores; each test starts from an empty dataset."""
    proc = start_oxigraph(tmp_path_factory.mktemp("oxigraph"), free_port())
    port = proc.args[-1].rsplit(":", 1)[1]  # type: ignore[index,union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="session")
def virtuoso_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    """One Virtuoso for the session (Debian `virtuoso-opensource`; ``testkit.virtuoso``); tests clear it."""
    if virtuoso_executable() is None:
        pytest.skip("Virtuoso (Debian package `virtuoso-opensource`: virtuoso-t, isql-vt) is not installed")
    server = start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server per test process (``testkit.postgres``), started by the first test that
    needs it; each test gets a database of its own (``postgres_url``)."""
    try:
        server = PostgresServer.start()
    except RuntimeError as exc:
        pytest.skip(f"no PostgreSQL server for this test: {exc}")
    try:
        server.template()
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh registry database (schema, no rows) on the test PostgreSQL server."""
    return postgres_server.fresh_database()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # tests marked both_stores run against the embedded store and against a remote engine
    if "store_kind" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("both_stores") is not None
        metafunc.parametrize("store_kind", ["embedded", "remote"] if both else ["embedded"])
    # tests marked both_databases run against the SQLite file and against PostgreSQL (others keep their ids)
    if "database_kind" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_databases"):
        metafunc.parametrize("database_kind", ["sqlite", "postgresql"])


@pytest.fixture
def database_kind() -> str:
    """The registry database of the ``settings`` fixture: ``sqlite`` unless the test is marked both_databases
    (or ``IGSN_GRAPH_TEST_DATABASE=postgresql`` runs every test using ``settings`` on PostgreSQL)."""
    return os.environ.get("IGSN_GRAPH_TEST_DATABASE", "sqlite")


@pytest.fixture
def settings(tmp_path: Path, store_kind: str, database_kind: str, request: pytest.FixtureRequest) -> Settings:
    base = Settings(data_dir=tmp_path / "data", admin_password=ADMIN_PASSWORD)
    only = request.node.get_closest_marker("sqlite_only")
    if only is not None and database_kind == "postgresql":
        pytest.skip(f"SQLite's own behaviour: {only.args[0]}")
    if database_kind == "postgresql" and "registry" in request.fixturenames:
        # the registry fixture copies the test-accounts folder built once: the database is a copy of its database
        server = request.getfixturevalue("postgres_server")
        _template("test-accounts", with_test_accounts, server)
        url = server.fresh_database(template=_TEMPLATE_DATABASES["test-accounts@postgresql"])
        _DATABASE_COPIES[url] = "test-accounts"
        base = base.with_(database=url)
    elif database_kind == "postgresql":
        base = base.with_(database=request.getfixturevalue("postgres_url"))
    if store_kind == "remote" and REMOTE_ENGINE == "virtuoso":  # the both_stores tests against Virtuoso, on demand
        server = request.getfixturevalue("virtuoso_engine")
        server.clear()
        return base.with_(store=server.url, store_engine="virtuoso")
    if store_kind == "remote":
        url = request.getfixturevalue("oxigraph_engine")
        _drop_all(url)
        return base.with_(store=url)
    return base


def empty_engine(settings: Settings) -> None:
    """Drops every graph of the remote engine ``settings`` name, through the store (not DROP ALL: Virtuoso's
    own graphs stay, it needs them)."""
    from igsn_graph.store import open_store
    from igsn_graph.store.base import GraphWrite
    from igsn_graph.store.engines import PROFILES

    own = PROFILES[settings.store_engine].own_graphs
    store = open_store(settings)
    try:
        store.apply(GraphWrite(replace={g: None for g in store.graphs_with_prefix("") if not g.value.startswith(own)}))
    finally:
        store.close()


def emptied_engine(request: pytest.FixtureRequest, engine: str) -> str:
    """The URL of this session's ``engine`` server (``oxigraph`` or ``virtuoso``), emptied of every graph a test
    wrote (Virtuoso: its own graphs stay)."""
    if engine == "virtuoso":
        server = request.getfixturevalue("virtuoso_engine")
        server.clear()
        return str(server.url)
    url: str = request.getfixturevalue("oxigraph_engine")
    _drop_all(url)
    return url


#: one HTTP client per process for emptying the session's Oxigraph server (each new client builds a TLS context,
#: ~20 ms of CPU, though this one only ever speaks plain HTTP on loopback)
_ENGINE_HTTP: list[httpx.Client] = []


def _drop_all(url: str) -> None:
    """Empties the Oxigraph server at ``url`` (every graph, the default one too)."""
    if not _ENGINE_HTTP:
        _ENGINE_HTTP.append(httpx.Client(timeout=30))
        atexit.register(_ENGINE_HTTP[0].close)
    _ENGINE_HTTP[0].post(
        url + "/update", content=b"DROP ALL", headers={"Content-Type": "application/sparql-update"}
    ).raise_for_status()


def add_test_accounts(registry: Registry) -> None:
    registry.add_agent(
        AGENT[0],
        name="Test Agent",
        password=AGENT[1],
        namespaces=["ZT"],
        doi_prefixes=["10.99990"],
        ror="https://ror.org/00test000",
    )
    registry.add_client(
        CLIENT_ONE[0], name="Client One", password=CLIENT_ONE[1], namespaces=["ZTA"], domains=["example.org"]
    )
    registry.add_client(CLIENT_TWO[0], name="Client Two", password=CLIENT_TWO[1], namespaces=["10273/ZTB"], quota=2)
    registry.add_agent(OTHER[0], name="Other Agent", password=OTHER[1], namespaces=["ZO"])


#: per process: a folder of finished data folders (one per kind), copied into each test's own folder
_TEMPLATES: dict[str, Path] = {}
#: per process: the PostgreSQL database of each kind's template folder built on PostgreSQL (its URL) …
_TEMPLATE_DATABASES: dict[str, str] = {}
#: … and the test databases made as copies of one (URL → kind), for a folder copied from that kind's template
_DATABASE_COPIES: dict[str, str] = {}


def _template(kind: str, build: Callable[[Settings], None], postgres: PostgresServer | None = None) -> Path:
    """The data folder of ``kind``, ``build`` made once in this process; with ``postgres``, its registry database
    on that server (``_TEMPLATE_DATABASES``)."""
    key = f"{kind}@postgresql" if postgres is not None else kind
    template = _TEMPLATES.get(key)
    if template is None:
        if "<root>" not in _TEMPLATES:
            root = Path(tempfile.mkdtemp(prefix="igsn-graph-templates-"))
            atexit.register(shutil.rmtree, root, ignore_errors=True)
            _TEMPLATES["<root>"] = root
        template = _TEMPLATES["<root>"] / key / "data"
        settings = Settings(data_dir=template, admin_password=ADMIN_PASSWORD)
        if postgres is not None:
            settings = settings.with_(database=postgres.fresh_database())
            _TEMPLATE_DATABASES[key] = settings.database
        build(settings)
        _TEMPLATES[key] = template
    return template


def _copy_of_template(kind: str, build: Callable[[Settings], None], settings: Settings, *, graph: bool = True) -> bool:
    """Fills ``settings.data_dir`` with a copy of the data folder ``build`` made once in this process (the
    accounts' scrypt hashes, the store's creation and the demo load are paid once, not per test); without
    ``graph``, the registry database only (for a remote engine, the caller puts the graph there).

    False, leaving nothing, when the copy cannot stand for a fresh folder: the folder exists already, the graph
    (a remote engine) lives elsewhere than in the folder, or the registry database (PostgreSQL) is not a copy of
    the template's own (``settings`` made it so, for the ``registry`` fixture)."""
    remote = settings.store not in ("", "embedded")
    if (graph and remote) or settings.data_dir.exists():
        return False
    if settings.database and _DATABASE_COPIES.get(settings.database) != kind:
        return False
    template = _template(kind, build)
    if settings.database:
        template = _TEMPLATES[f"{kind}@postgresql"]

    def left_out(folder: str, names: list[str]) -> set[str]:
        out = {n for n in names if n == "LOG" or n.startswith("LOG.old.")}  # RocksDB's own log of the build
        return out if graph or Path(folder) != template else out | {"graph"}

    shutil.copytree(template, settings.data_dir, ignore=left_out)
    return True


def with_test_accounts(settings: Settings) -> None:
    init_data_dir(settings, repository_id="test.igsn-graph.org")
    with Registry(settings) as registry:
        add_test_accounts(registry)


def fresh_settings(tmp: Path, **overrides: object) -> Settings:
    """Settings for ``tmp/data`` (the test administrator password, then ``overrides``) whose data directory is
    initialised with the test accounts; the registry is closed again, for an app or a server that opens it."""
    return prepared_settings(tmp, "test-accounts", with_test_accounts, **overrides)


def prepared_settings(tmp: Path, kind: str, build: Callable[[Settings], None], **overrides: object) -> Settings:
    """Settings for ``tmp/data`` (the test administrator password, then ``overrides``) whose data directory
    ``build`` prepared: a copy of the folder it built once in this process for ``kind`` (its accounts hashed
    once), or built in place when a copy cannot stand for it (see ``_copy_of_template``)."""
    settings = Settings(data_dir=tmp / "data", admin_password=ADMIN_PASSWORD).with_(**overrides)
    if not _copy_of_template(kind, build, settings):
        build(settings)
    return settings


def demo_settings(tmp: Path) -> Settings:
    """Settings for ``tmp/data`` holding the demo accounts and the small demo set (``ensure_demo``; closed
    again, like ``fresh_settings``)."""
    settings = Settings(data_dir=tmp / "data")
    _copy_of_template("demo", ensure_demo, settings)
    ensure_demo(settings)  # on a copy: finds the completed load and returns
    return settings


@pytest.fixture
def registry(settings: Settings) -> Iterator[Registry]:
    embedded = settings.store in ("", "embedded")
    if _copy_of_template("test-accounts", with_test_accounts, settings, graph=embedded):
        # a remote engine gets the template's whole graph, the accounts graph, as the registry opens: it
        # publishes the accounts graph from the accounts tables at every start
        reg = Registry(settings)
    else:
        init_data_dir(settings, repository_id="test.igsn-graph.org")
        reg = Registry(settings)
        add_test_accounts(reg)
    try:
        yield reg
    finally:
        reg.close()


def loopback_socket() -> tuple[socket.socket, int]:
    """A bound loopback socket on a free port, to hand to uvicorn (no race for the port). Made with
    ``IPPROTO_TCP``: asyncio sets TCP_NODELAY only on connections whose socket says so, and with Nagle on every
    keep-alive answer (headers and body written apart) waited ~40 ms for the client's delayed ACK."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock, sock.getsockname()[1]


@contextmanager
def live_server(
    settings: Settings, *, app: object | None = None, sock: socket.socket | None = None, **options: Any
) -> Iterator[str]:
    """The real app under uvicorn on loopback, in a thread; yields its base URL.

    ``app`` defaults to ``create_app(settings)``; ``sock`` to a fresh loopback socket (pass one when the
    public URL must be known before the app starts); ``options`` are uvicorn's (``proxy_headers=False``…).
    """
    import uvicorn

    from api.app import create_app

    own = sock is None
    if sock is None:
        sock, _ = loopback_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app or create_app(settings), log_level="warning", lifespan="on", **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        if own:
            sock.close()
