"""A folder written whole or not at all (``registry.new_folder``): the one way backups and dumps prepare theirs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from igsn_graph.errors import Conflict, InvalidInput
from igsn_graph.registry.new_folder import new_folder, write_manifest

ROOT = Path(__file__).resolve().parents[2]


def test_the_folder_takes_its_name_once_complete(tmp_path: Path) -> None:
    target = tmp_path / "out"
    (tmp_path / "out.partial").mkdir()  # left by a crash
    (tmp_path / "out.partial" / "old").write_text("stale")
    with new_folder(target, "dump") as partial:
        assert partial == tmp_path / "out.partial" and list(partial.iterdir()) == []
        write_manifest(partial, "manifest.json", {"format": "x"})
        assert not target.exists()
    assert json.loads((target / "manifest.json").read_text()) == {"format": "x"}
    assert not (tmp_path / "out.partial").exists()


def test_a_failure_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with pytest.raises(RuntimeError), new_folder(target, "backup") as partial:
        (partial / "part").write_text("half")
        raise RuntimeError("broke off")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_target_or_a_missing_parent_is_refused(tmp_path: Path) -> None:
    (tmp_path / "there").mkdir()
    with (
        pytest.raises(Conflict, match="a backup is written into a new folder"),
        new_folder(tmp_path / "there", "backup"),
    ):
        pass
    with pytest.raises(InvalidInput, match="is not a folder"), new_folder(tmp_path / "no" / "out", "dump"):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["there"]


def test_no_other_module_prepares_a_partial_folder() -> None:
    users = sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "igsn_graph").rglob("*.py") if '".partial"' in p.read_text()
    )
    assert users == ["igsn_graph/registry/new_folder.py"]
