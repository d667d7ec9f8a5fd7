"""``igsn-graph init`` and ``igsn-graph migrate`` on either registry database, as an operator runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from igsn_graph.cli import main
from igsn_graph.db import Database, migrations


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_migrate_before_init_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "migrate", "--data", str(tmp_path / "data"))
    assert code == 2 and "igsn-graph init" in err
    assert not (tmp_path / "data" / "registry.sqlite").exists()


def test_init_then_migrate_on_sqlite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    assert _run(capsys, "init", "--data", data)[0] == 0
    code, out, _ = _run(capsys, "migrate", "--data", data)
    assert code == 0 and f"schema version {migrations.SCHEMA_VERSION}, up to date" in out


def test_init_and_migrate_on_postgresql(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IGSN_GRAPH_DATABASE", postgres_url)
    data = str(tmp_path / "data")
    assert _run(capsys, "init", "--data", data, "--repository-id", "pg.example.org")[0] == 0
    assert not (tmp_path / "data" / "registry.sqlite").exists()  # the registry is in PostgreSQL
    later = migrations.Step(migrations.SCHEMA_VERSION + 1, "a column more", _add_column)
    monkeypatch.setattr(migrations, "STEPS", (later,))
    code, out, _ = _run(capsys, "migrate", "--data", data)
    step = migrations.SCHEMA_VERSION + 1
    assert code == 0 and f"applied schema step {step}: a column more" in out
    assert f"(PostgreSQL) at schema version {step}" in out
    db = Database(postgres_url)
    try:
        assert db.get_meta("repository_id") == "pg.example.org"
        assert db.read().execute("SELECT extra FROM agents").fetchall() == []
    finally:
        db.close()


def _add_column(conn: object, dialect: str) -> None:
    conn.execute("ALTER TABLE agents ADD COLUMN extra TEXT")  # type: ignore[attr-defined]


def test_serve_with_readers_is_refused_on_postgresql(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IGSN_GRAPH_DATABASE", "postgresql://nobody@127.0.0.1:9/none")
    code, _, err = _run(capsys, "serve", "--data", str(tmp_path / "data"), "--readers", "2")
    assert code == 2 and "--readers reads the SQLite registry file" in err
