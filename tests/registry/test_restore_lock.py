"""One restore at a time (igsn_graph/registry/restore.py): two restores into one PostgreSQL database (from any
data folder, on any machine) or into one data folder never interleave; the second is refused at once (Conflict)
and the first one's data stays whole."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

import pytest

from igsn_graph.db import RESTORE_LOCK
from igsn_graph.db.postgres import AdvisoryLock
from igsn_graph.errors import Conflict
from igsn_graph.index.rebuild import verify
from igsn_graph.registry.dump import dump
from igsn_graph.registry.restore import STAGING, restore
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
from tests.conftest import ADMIN_PASSWORD, fresh_settings
from tests.reliability.raw_text import record_with, store_raw


def _dump_of(tmp_path: Path, name: str) -> Path:
    """A dump of a registry holding the test accounts and the one sample ``name``."""
    with Registry(fresh_settings(tmp_path / f"source-{name}")) as reg:
        store_raw(reg, record_with(name, f"the sample {name}"))
        dump(reg, tmp_path / f"dump-{name}")
    return tmp_path / f"dump-{name}"


def _on(postgres_url: str, folder: Path) -> Settings:
    return Settings(data_dir=folder, admin_password=ADMIN_PASSWORD, database=postgres_url)


def test_a_restore_under_way_refuses_another_into_the_same_postgresql_database(
    tmp_path: Path, postgres_url: str
) -> None:
    source = _dump_of(tmp_path, "ZTA-R1")
    under_way = AdvisoryLock(postgres_url, RESTORE_LOCK)  # another node's restore, as PostgreSQL sees it
    try:
        assert under_way.try_acquire()
        with pytest.raises(Conflict, match="another restore into the PostgreSQL registry database is under way"):
            restore(_on(postgres_url, tmp_path / "second"), source)
        assert not (tmp_path / "second" / STAGING).exists()
    finally:
        under_way.release()
        under_way.close()
    target = _on(postgres_url, tmp_path / "after")
    assert restore(target, source)["catalogue"] == 1  # nothing was left half done
    with Registry(target) as reg:
        assert reg.count() == 1 and reg.record("ZTA-R1") is not None


def test_two_restores_racing_into_one_postgresql_database_leave_the_winners_data(
    tmp_path: Path, postgres_url: str
) -> None:
    dumps = {name: _dump_of(tmp_path, name) for name in ("ZTA-R1", "ZTA-R2")}
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def run(name: str) -> None:
        start.wait()
        try:
            outcomes[name] = restore(_on(postgres_url, tmp_path / f"node-{name}"), dumps[name])
        except Exception as exc:  # noqa: BLE001 - the outcome is asserted below
            outcomes[name] = exc

    threads = [threading.Thread(target=run, args=(name,)) for name in dumps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [name for name, outcome in outcomes.items() if isinstance(outcome, dict)]
    lost = [outcome for outcome in outcomes.values() if not isinstance(outcome, dict)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert isinstance(lost[0], Conflict), lost[0]  # under way, or (once the winner finished) not empty
    with Registry(_on(postgres_url, tmp_path / f"node-{won[0]}")) as reg:
        assert reg.count() == 1 and reg.record(won[0]) is not None
        assert verify(reg.db, reg.store, reg.iris).ok


def test_a_restore_under_way_refuses_another_into_the_same_data_folder(tmp_path: Path) -> None:
    source = _dump_of(tmp_path, "ZTA-R1")
    target = Settings(data_dir=tmp_path / "data", admin_password=ADMIN_PASSWORD)
    target.data_dir.mkdir()
    folder = os.open(target.data_dir, os.O_RDONLY)  # another process's restore holds the folder
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        with pytest.raises(Conflict, match="another restore into .* is under way"):
            restore(target, source)
        assert list(target.data_dir.iterdir()) == []
    finally:
        os.close(folder)
    assert restore(target, source)["catalogue"] == 1
