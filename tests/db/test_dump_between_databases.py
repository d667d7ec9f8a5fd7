"""``igsn-graph dump``/``restore`` move a registry between SQLite and PostgreSQL both ways: the round trip keeps
accounts, history, registry tables and the graph, and the restored registry verifies on each database."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from igsn_graph.errors import Conflict, InvalidInput
from igsn_graph.index.rebuild import verify
from igsn_graph.registry.accounts import ADMIN
from igsn_graph.registry.backup import backup
from igsn_graph.registry.dump import ACCOUNTS_FILE, REGISTRY_FILE, dump
from igsn_graph.registry.restore import restore
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
from tests.conftest import ADMIN_PASSWORD, fresh_settings
from tests.reliability.raw_text import record_with, store_raw


def _lines(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return f.read().splitlines()


def test_sqlite_to_postgresql_and_back(tmp_path: Path, postgres_url: str) -> None:
    source = fresh_settings(tmp_path / "src")
    with Registry(source) as reg:
        store_raw(reg, record_with("ZTA-M1", "moved core"))
        store_raw(reg, record_with("ZTA-M1", "moved core, described again"))
        reg.mint(ADMIN, "ZTA-M2", "https://example.org/m2")
        before = {name: reg.record(name) for name in ("ZTA-M1", "ZTA-M2")}
        counts = dump(reg, tmp_path / "from-sqlite")

    on_postgres = Settings(data_dir=tmp_path / "pg", admin_password=ADMIN_PASSWORD, database=postgres_url)
    restored = restore(on_postgres, tmp_path / "from-sqlite")
    assert restored["versions"] == counts["versions"] == 3 and restored["catalogue"] == 2
    assert not on_postgres.database_path.exists()  # the registry went into PostgreSQL
    with Registry(on_postgres) as reg:
        assert {name: reg.record(name) for name in before} == before
        assert reg.accounts.authenticate("ZTEST.ONE", "client-secret-1") is not None
        assert verify(reg.db, reg.store, reg.iris).ok
        again = dump(reg, tmp_path / "from-postgresql")
    assert again == counts
    for part in (ACCOUNTS_FILE, REGISTRY_FILE):
        assert _lines(tmp_path / "from-postgresql" / part) == _lines(tmp_path / "from-sqlite" / part)

    back = Settings(data_dir=tmp_path / "back", admin_password=ADMIN_PASSWORD)
    assert restore(back, tmp_path / "from-postgresql")["catalogue"] == 2
    with Registry(back) as reg:
        assert {name: reg.record(name) for name in before} == before

    # a registry database that holds data is never restored into; nothing of it is touched
    with pytest.raises(Conflict, match="PostgreSQL registry database is not empty"):
        restore(on_postgres.with_(data_dir=tmp_path / "pg2"), tmp_path / "from-sqlite")
    with Registry(on_postgres) as reg:
        assert reg.count() == 2


def test_a_backup_is_an_sqlite_file_and_is_refused_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    on_postgres = Settings(data_dir=tmp_path / "pg", admin_password=ADMIN_PASSWORD, database=postgres_url)
    from igsn_graph.registry.service import init_data_dir

    init_data_dir(on_postgres)
    with Registry(on_postgres) as reg, pytest.raises(InvalidInput, match="igsn-graph dump"):
        backup(reg, tmp_path / "b")
    assert not (tmp_path / "b").exists()
