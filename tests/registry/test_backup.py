"""Online backups (issue 16): taken while the registry writes, at one point of the journal; restored exactly."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from igsn_graph.cli import main
from igsn_graph.errors import Conflict
from igsn_graph.registry.accounts import ADMIN
from igsn_graph.registry.backup import backup
from igsn_graph.registry.restore import restore
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
from tests.conftest import add_test_accounts, empty_engine, fresh_settings
from tests.reliability.raw_text import TRICKY, record_with, store_raw


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _names(settings: Settings) -> set[str]:
    with Registry(settings) as reg:
        return {r[0] for r in reg.db.read().execute("SELECT igsn FROM catalogue")}


def test_a_backup_taken_while_writes_go_on_holds_one_point_of_the_journal(tmp_path: Path) -> None:
    """A writer mints without pause while two backups are taken; each restores to a registry that verifies and
    holds every sample acknowledged before the backup began, none written after its journal position."""
    settings = fresh_settings(tmp_path / "src")
    acknowledged: list[str] = []
    stop = threading.Event()
    with Registry(settings) as reg:
        store_raw(reg, record_with("ZTA-TEXT", TRICKY[0]))

        def write() -> None:
            i = 0
            while not stop.is_set():
                reg.mint(ADMIN, f"ZTA-W{i:05d}", f"https://example.org/{i}")
                acknowledged.append(f"ZTA-W{i:05d}")
                i += 1

        writer = threading.Thread(target=write)
        writer.start()
        taken: list[tuple[set[str], dict[str, object]]] = []
        try:
            for n in range(2):
                while len(acknowledged) < 5 * (n + 1):
                    stop.wait(0.01)
                before = set(acknowledged)
                manifest = backup(reg, tmp_path / f"backup{n}")
                taken.append((before, manifest))
        finally:
            stop.set()
            writer.join()
        final = set(acknowledged)
    for n, (before, manifest) in enumerate(taken):
        target = Settings(data_dir=tmp_path / f"restored{n}")
        counts = restore(target, tmp_path / f"backup{n}")  # verified against the manifest and the index
        names = _names(target)
        assert before | {"ZTA-TEXT"} <= names <= final | {"ZTA-TEXT"}
        assert counts["catalogue"] == len(names) == manifest["counts"]["catalogue"]  # type: ignore[index]
        assert counts["journal_seq"] == manifest["journal"]["seq"]  # type: ignore[index]
        with Registry(target) as reg:
            assert reg.record("ZTA-TEXT").name == TRICKY[0]  # type: ignore[union-attr]
            reg.mint(ADMIN, "ZTA-AFTER", "https://example.org/after")  # a restored registry takes writes
    assert taken[0][1]["journal"]["seq"] < taken[1][1]["journal"]["seq"]  # type: ignore[index]


def test_backup_and_restore_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = fresh_settings(tmp_path).data_dir
    with Registry(Settings(data_dir=data)) as reg:
        for i in range(3):
            store_raw(reg, record_with(f"ZTA-C{i}", f"core {i}"))
        reg.deactivate(ADMIN, "ZTA-C1")
    code, out, err = run(capsys, "backup", str(tmp_path / "b"), "--data", str(data))
    assert code == 0 and "3 samples" in out, err
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["format"] == "igsn-graph-backup" and manifest["graph"] == "graph/"
    assert {"igsn-graph", "pyoxigraph", "sqlite"} <= set(manifest["software"])
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["graph", "manifest.json", "registry.sqlite"]
    assert not list(data.glob(".snapshot-*"))  # the checkpoint was moved out, nothing left in the data folder
    code, _, err = run(capsys, "backup", str(tmp_path / "b"), "--data", str(data))
    assert code == 2 and "exists already" in err
    code, out, err = run(capsys, "restore", str(tmp_path / "b"), "--data", str(tmp_path / "r"))
    assert code == 0 and "catalogue=3" in out, err
    assert run(capsys, "verify", "--data", str(tmp_path / "r"))[0] == 0
    with Registry(Settings(data_dir=data)) as a, Registry(Settings(data_dir=tmp_path / "r")) as b:
        assert [a.row(f"ZTA-C{i}") for i in range(3)] == [b.row(f"ZTA-C{i}") for i in range(3)]
        assert a.record("ZTA-C2") == b.record("ZTA-C2")
    code, _, err = run(capsys, "restore", str(tmp_path / "b"), "--data", str(data))
    assert code == 2 and "empty" in err


def test_a_backup_with_a_part_missing_is_refused_and_nothing_restored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = fresh_settings(tmp_path).data_dir
    assert run(capsys, "backup", str(tmp_path / "b"), "--data", str(data))[0] == 0
    (tmp_path / "b" / "registry.sqlite").unlink()
    code, out, err = run(capsys, "restore", str(tmp_path / "b"), "--data", str(tmp_path / "r"))
    assert code == 2 and "incomplete" in err and "restored" not in out
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == []


@pytest.mark.both_stores
@pytest.mark.sqlite_only("backup copies the SQLite file; on PostgreSQL it is refused (use dump)")
def test_backup_over_either_store(settings: Settings, tmp_path: Path) -> None:
    """With a remote engine the backup holds the engine's graph as N-Quads; restore loads it into an empty engine."""
    from igsn_graph.registry.service import init_data_dir

    init_data_dir(settings, repository_id="test.igsn-graph.org")
    with Registry(settings) as reg:
        add_test_accounts(reg)
        store_raw(reg, record_with("ZTA-R1", "remote core"))
        before = reg.record("ZTA-R1")
        manifest = backup(reg, tmp_path / "b")
    remote = settings.store not in ("", "embedded")
    assert manifest["graph"] == ("graph.nq.gz" if remote else "graph/")
    target = settings.with_(data_dir=tmp_path / "restored")
    if remote:
        with pytest.raises(Conflict, match="not empty"):  # the engine still holds the source's graph
            restore(target, tmp_path / "b")
        empty_engine(settings)
    restore(target, tmp_path / "b")
    with Registry(target) as reg:
        assert reg.record("ZTA-R1") == before


def test_a_checkpoint_left_by_a_killed_process_is_removed(tmp_path: Path) -> None:
    """A process killed while it held a snapshot leaves its checkpoint folder; the next backup removes it (and
    never one of a live process)."""
    import os

    settings = fresh_settings(tmp_path)
    dead = settings.data_dir / ".snapshot-999999999-1"  # no such process
    live = settings.data_dir / f".snapshot-{os.getppid()}-1"
    dead.mkdir()
    live.mkdir()
    with Registry(settings) as reg:
        backup(reg, tmp_path / "b")
    assert not dead.exists() and live.exists()


def test_a_registry_served_read_only_is_backed_up(tmp_path: Path) -> None:
    """A replica or snapshot served read-only: the backup writes nothing into its data folder."""
    settings = fresh_settings(tmp_path)
    with Registry(settings) as reg:
        store_raw(reg, record_with("ZTA-RO1", "read-only core"))
    before = sorted(p.name for p in settings.data_dir.iterdir())
    with Registry(settings.with_(read_only=True)) as reg:
        manifest = backup(reg, tmp_path / "b")
    assert manifest["counts"]["catalogue"] == 1
    assert sorted(p.name for p in settings.data_dir.iterdir()) == before
    restore(Settings(data_dir=tmp_path / "r"), tmp_path / "b")
    assert _names(Settings(data_dir=tmp_path / "r")) == {"ZTA-RO1"}
