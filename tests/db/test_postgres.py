"""The registry database layer on a real PostgreSQL server (``testkit.postgres``): the sqlite3-shaped connections,
transactions, errors, schema creation and migrations; the same checks on SQLite where they are shared."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from igsn_graph.db import Database, migrations
from igsn_graph.errors import InvalidInput, ReadOnly, StorageFailure
from testkit.postgres import PostgresServer


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    target = tmp_path / "registry.sqlite" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    database = Database(target)
    request.addfinalizer(database.close)
    return database


def test_rows_index_by_position_and_name(db: Database) -> None:
    with db.write() as w:
        w.execute(
            "INSERT INTO agents (symbol, name, password_hash, created) VALUES (?, ?, ?, ?)", ("A", "An", "h", "t")
        )
    row = db.read().execute("SELECT symbol, quota, active FROM agents WHERE symbol = ?", ("A",)).fetchone()
    assert row is not None
    assert (row[0], row["quota"], row["active"]) == ("A", -1, 1)
    assert tuple(row) == ("A", -1, 1) and list(row.keys()) == ["symbol", "quota", "active"]
    assert db.read().execute("SELECT symbol FROM agents WHERE symbol = ?", ("B",)).fetchone() is None


def test_booleans_bytes_and_upserts(db: Database) -> None:
    with db.write() as w:
        w.executemany("INSERT INTO embargo VALUES (?, ?, ?)", [("X1", "2030", "2030-01-01"), ("X2", "2031", "b")])
        w.execute("INSERT OR REPLACE INTO embargo VALUES (?, ?, ?)", ("X1", "2032", "c"))
        w.execute("INSERT OR IGNORE INTO embargo VALUES (?, ?, ?)", ("X2", "never", "never"))
        w.execute("INSERT INTO journal (created, payload) VALUES (?, ?)", ("t", b"\x00\xffpayload"))
        w.execute("INSERT INTO relation_edge VALUES (?, ?, ?, ?, ?, ?)", ("S", "sample", "isPartOf", "IGSN", "T", True))
    read = db.read()
    rows = read.execute("SELECT igsn, ends FROM embargo ORDER BY igsn").fetchall()
    assert [tuple(r) for r in rows] == [("X1", "2032"), ("X2", "2031")]
    assert read.execute("SELECT payload FROM journal").fetchone()[0] == b"\x00\xffpayload"
    assert read.execute("SELECT visible FROM relation_edge").fetchone()[0] == 1
    with db.write() as w:
        assert w.execute("DELETE FROM embargo WHERE igsn LIKE 'X%'").rowcount == 2


def test_a_failed_write_keeps_nothing_and_errors_are_sqlite3s(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        with db.write() as w:
            w.execute("INSERT INTO meta VALUES ('k', 'v')")
            w.execute("INSERT INTO meta VALUES ('k', 'again')")
    assert db.get_meta("k") is None
    with pytest.raises(sqlite3.OperationalError):
        db.read().execute("SELECT * FROM no_such_table")
    with pytest.raises(RuntimeError):
        with db.write() as w:
            w.execute("INSERT INTO meta VALUES ('k', 'v')")
            raise RuntimeError("refused")
    assert db.get_meta("k") is None
    db.set_meta("k", "v1")
    db.set_meta("k", "v2")
    assert db.get_meta("k") == "v2"


def test_nested_writes_share_one_transaction(db: Database) -> None:
    with db.write() as outer:
        outer.execute("INSERT INTO meta VALUES ('a', '1')")
        with db.write(durable=False) as inner:
            assert inner is outer
            inner.execute("INSERT INTO meta VALUES ('b', '2')")
        assert db.get_meta("a") is None  # readers see committed data only
    assert (db.get_meta("a"), db.get_meta("b")) == ("1", "2")


def test_readers_in_many_threads(db: Database) -> None:
    with db.write() as w:
        w.executemany("INSERT INTO meta VALUES (?, ?)", [(f"k{i}", str(i)) for i in range(50)])
    seen: list[int] = []

    def read() -> None:
        seen.append(db.read().execute("SELECT COUNT(*) FROM meta WHERE key LIKE 'k%'").fetchone()[0])

    threads = [threading.Thread(target=read) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [50] * 12


def test_new_database_is_stamped_and_read_only_refuses_writes(db: Database) -> None:
    assert migrations.version_of(db) == migrations.SCHEMA_VERSION
    assert db.get_meta("embargo_index") == "1"
    target = db.path if db.path is not None else db.url
    assert target is not None
    reader = Database(target, read_only=True)
    try:
        with pytest.raises(ReadOnly):
            with reader.write():
                pass
        assert reader.get_meta("schema_version") == str(migrations.SCHEMA_VERSION)
    finally:
        reader.close()


def _step(version: int) -> migrations.Step:
    def apply(conn: sqlite3.Connection, dialect: str) -> None:
        conn.execute(f"CREATE TABLE step_{version} (x INTEGER)")

    return migrations.Step(version, f"table step_{version}", apply)


def test_migrations_apply_once_in_order(db: Database) -> None:
    steps = [_step(migrations.SCHEMA_VERSION + 1), _step(migrations.SCHEMA_VERSION + 2)]
    assert [s.version for s in migrations.migrate(db, steps)] == [s.version for s in steps]
    assert migrations.migrate(db, steps) == []
    assert migrations.version_of(db) == migrations.SCHEMA_VERSION + 2
    db.read().execute(f"SELECT COUNT(*) FROM step_{migrations.SCHEMA_VERSION + 1}").fetchone()
    with pytest.raises(InvalidInput, match="newer than this igsn-graph"):
        migrations.pending(db)  # the program's own steps stop short of this database


def test_postgres_refuses_an_older_schema_until_migrated(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    Database(postgres_url).close()
    later = _step(migrations.SCHEMA_VERSION + 1)
    monkeypatch.setattr(migrations, "STEPS", (later,))  # this program knows one step more than the database had
    with pytest.raises(InvalidInput, match="igsn-graph migrate"):
        Database(postgres_url)
    migrated = Database(postgres_url, migrate=True)
    assert migrated.migrated == [later]
    migrated.close()
    reopened = Database(postgres_url)
    assert migrations.version_of(reopened) == later.version
    reopened.close()


def test_postgres_creates_its_schema_once_on_an_empty_database(postgres_server: PostgresServer) -> None:
    url = postgres_server.empty_database()
    first, second = Database(url), Database(url)  # the second finds it made
    try:
        assert second.get_meta("schema_version") == str(migrations.SCHEMA_VERSION)
        assert second.read().execute("SELECT COUNT(*) FROM search_text").fetchone()[0] == 0
    finally:
        first.close()
        second.close()


def test_unreachable_server_is_a_clear_storage_failure() -> None:
    with pytest.raises(StorageFailure, match="cannot open the registry database postgresql://nobody@127.0.0.1:9/x"):
        Database("postgresql://nobody:secret@127.0.0.1:9/x?connect_timeout=2")


def test_a_pinned_snapshot_streams_and_keeps_its_state(postgres_url: str) -> None:
    from igsn_graph.db.postgres import Streamed

    db = Database(postgres_url)
    try:
        with db.write() as w:
            w.executemany("INSERT INTO meta VALUES (?, ?)", [(f"row{i:04d}", "x") for i in range(450)])
        pinned = db.pinned()
        try:
            rows = pinned.execute("SELECT key FROM meta WHERE key LIKE 'row%' ORDER BY key")
            assert isinstance(rows, Streamed)  # read as iterated, not all at once
            db.set_meta("row9999", "written after the snapshot")
            assert [r["key"] for r in rows] == [f"row{i:04d}" for i in range(450)]
            assert pinned.execute("SELECT COUNT(*) FROM meta WHERE key = 'row9999'").fetchone()[0] == 0
        finally:
            pinned.close()
        assert db.get_meta("row9999") == "written after the snapshot"
    finally:
        db.close()
