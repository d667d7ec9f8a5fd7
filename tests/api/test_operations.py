"""Operations while the server runs (issue 16): backup, dump and verify through the admin API and the CLI's
``--url``, with writes going on; restore from either; a local command on a served folder says what to do."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from igsn_graph.cli import main
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
from tests.api.test_samples import TURTLE, turtle
from tests.conftest import ADMIN_PASSWORD, CLIENT_ONE, fresh_settings
from tests.reliability.server import ServerProcess

pytestmark = pytest.mark.slow

ADMIN = ("admin", ADMIN_PASSWORD)
OPS = "/api/v1/admin"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = fresh_settings(tmp_path_factory.mktemp("operations")).data_dir
    proc = ServerProcess(data, env={"IGSN_GRAPH_ADMIN_PASSWORD": ADMIN_PASSWORD})
    base = proc.start()
    for i in range(3):
        r = httpx.post(
            base + "/api/v1/samples", content=turtle(f"ZTA-OP{i}", f"core {i}"), headers=TURTLE, auth=CLIENT_ONE
        )
        assert r.status_code == 201, r.text
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def writing(server: ServerProcess) -> Iterator[list[str]]:
    """Registrations posted one after another while the test runs; the names acknowledged."""
    acknowledged: list[str] = []
    stop = threading.Event()

    def post() -> None:
        i = 0
        with httpx.Client(base_url=server.base_url, auth=CLIENT_ONE, timeout=60) as client:
            while not stop.is_set():
                name = f"ZTA-W{threading.get_ident() % 1000:03d}{i:04d}"
                if (
                    client.post(
                        "/api/v1/samples", content=turtle(name, "written meanwhile"), headers=TURTLE
                    ).status_code
                    == 201
                ):
                    acknowledged.append(name)
                i += 1

    writer = threading.Thread(target=post)
    writer.start()
    try:
        while not acknowledged:
            stop.wait(0.05)
        yield acknowledged
    finally:
        stop.set()
        writer.join()


@pytest.fixture
def admin_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IGSN_GRAPH_ADMIN_PASSWORD", ADMIN_PASSWORD)


def _names(data: Path) -> set[str]:
    with Registry(Settings(data_dir=data)) as reg:
        return {r[0] for r in reg.db.read().execute("SELECT igsn FROM catalogue")}


def test_local_commands_on_a_served_folder_point_to_the_server(
    server: ServerProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for args in (["verify"], ["dump", str(tmp_path / "d")], ["backup", str(tmp_path / "b")]):
        code, _, err = run(capsys, *args, "--data", str(server.data))
        assert code == 2 and "--url" in err, (args, err)


def test_dump_from_the_running_server_restores(
    server: ServerProcess, writing: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], admin_env: None
) -> None:
    before = set(writing) | {f"ZTA-OP{i}" for i in range(3)}
    code, out, err = run(capsys, "dump", str(tmp_path / "d"), "--url", server.base_url)
    assert code == 0 and "read back: complete" in out, err
    code, out, err = run(capsys, "restore", str(tmp_path / "d"), "--data", str(tmp_path / "r"))
    assert code == 0, err
    assert before <= _names(tmp_path / "r")
    assert run(capsys, "verify", "--data", str(tmp_path / "r"))[0] == 0
    assert not list(server.data.glob(".snapshot-*"))  # the server's spool is gone once the stream was sent


def test_backup_asked_of_the_running_server_restores(
    server: ServerProcess, writing: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], admin_env: None
) -> None:
    before = set(writing) | {f"ZTA-OP{i}" for i in range(3)}
    target = tmp_path / "b"
    code, out, err = run(capsys, "backup", str(target), "--url", server.base_url)
    assert code == 0 and "backup written" in out, err
    code, _, err = run(capsys, "restore", str(target), "--data", str(tmp_path / "r"))
    assert code == 0, err
    assert before <= _names(tmp_path / "r")
    code, _, err = run(capsys, "backup", str(target), "--url", server.base_url)
    assert code == 2 and "exists already" in err


def test_verify_through_the_running_server(
    server: ServerProcess, writing: list[str], capsys: pytest.CaptureFixture[str], admin_env: None
) -> None:
    code, out, err = run(capsys, "verify", "--url", server.base_url)
    assert code == 0 and "ok: graph, history and index agree" in out and "journal position" in out, err


def test_only_the_administrator_and_only_sound_requests(server: ServerProcess, tmp_path: Path) -> None:
    base = server.base_url + OPS
    assert httpx.get(base + "/dump").status_code == 401
    assert httpx.get(base + "/dump", auth=CLIENT_ONE).status_code == 403
    assert httpx.post(base + "/verify", auth=CLIENT_ONE).status_code == 403
    r = httpx.post(base + "/backup", json={"directory": "relative/path"}, auth=ADMIN)
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    r = httpx.post(base + "/backup", json={"directory": str(server.data / "inside")}, auth=ADMIN)
    assert r.status_code == 400 and not (server.data / "inside").exists()
    r = httpx.post(base + "/backup", json={"directory": str(tmp_path)}, auth=ADMIN)
    assert r.status_code == 409
    with httpx.stream("GET", base + "/dump", auth=ADMIN, timeout=120) as r:
        assert r.status_code == 200 and r.headers["content-type"] == "application/x-tar"
        assert "attachment" in r.headers["content-disposition"]
