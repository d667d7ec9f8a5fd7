"""registry.restamp walks the catalogue in IGSN order, its physical order (SQLite: clustered, schema step 3), and
at the end stamps the live records still dated before the run's first stamp: a walk that missed some (its
position lost while a run was interrupted) misses nothing in the end (issue 23). Real registry and store."""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import replace

import pytest

from igsn_graph.db import Database, migrations
from igsn_graph.db.dialect import table_ddl
from igsn_graph.db.schema import table
from igsn_graph.formats.table import fingerprint
from igsn_graph.index.rebuild import verify
from igsn_graph.index.search import SearchQuery, search
from igsn_graph.registry import restamp
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
from tests.registry.test_service import ONE, registration_xml, submit

NAMES = [f"ZTA07{i:02d}" for i in range(6)]


def test_records_the_walk_missed_are_stamped_at_the_end(registry: Registry) -> None:
    for name in NAMES:
        submit(registry, ONE, registration_xml(name))
    restamp.adopt(registry)
    registry.db.set_meta("projection_fingerprint", "before-a-writer-change")
    before = {n: registry.row(n) for n in NAMES}
    asked: list[int] = []

    def stop_after_first_batch() -> bool:
        asked.append(1)
        return len(asked) > 1

    time.sleep(1.1)  # whole seconds: the new datestamps are later
    assert restamp.restamp(registry, batch=2, stop=stop_after_first_batch) == 2
    # as if the position were lost while the run was interrupted: the rest lies behind it
    registry.db.set_meta("restamp_after", "~")
    assert restamp.restamp(registry, batch=2) == len(NAMES) - 2
    for name in NAMES:
        row, old = registry.row(name), before[name]
        assert row is not None and old is not None and row.version == old.version and row.datestamp > old.datestamp
    state = restamp.status(registry)
    assert not state.pending and not state.in_progress
    assert registry.db.get_meta("restamp_since") is None and registry.db.get_meta("restamp_after") is None
    report = verify(registry.db, registry.store, registry.iris)
    assert report.ok, report.problems


@pytest.mark.sqlite_only("the catalogue's SQLite layout")
def test_an_older_catalogue_is_clustered_by_igsn_and_its_restamp_resumes(
    settings: Settings, registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    for name in NAMES:
        submit(registry, ONE, registration_xml(name))
    rows = {n: registry.row(n) for n in NAMES}
    # as schema 2 kept it: a rowid table, and a restamp interrupted at a rowid position
    with registry.db.write() as conn:
        conn.execute("ALTER TABLE catalogue RENAME TO catalogue_3")
        for name, _ in table("catalogue").indexes:
            conn.execute(f"DROP INDEX {name}")
        for statement in table_ddl(replace(table("catalogue"), clustered=False), "sqlite"):
            conn.execute(statement)
        conn.execute("INSERT INTO catalogue SELECT * FROM catalogue_3")
        conn.execute("DROP TABLE catalogue_3")
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    restamp.adopt(registry)
    registry.db.set_meta("restamp_target", fingerprint())
    registry.db.set_meta("restamp_after", "4")
    registry.close()
    caplog.set_level(logging.WARNING, logger="igsn_graph.db")
    with Registry(settings) as reopened:
        # the rewrite blocks the open for minutes on a large folder: said before and after, with the row count
        said = [r.getMessage() for r in caplog.records if "schema step 3" in r.getMessage()]
        assert len(said) == 2 and all(f"({len(NAMES)} rows)" in m for m in said) and "igsn-graph migrate" in said[0]
        conn = reopened.db.read()
        assert "WITHOUT ROWID" in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'catalogue'").fetchone()[0]
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'catalogue'")}
        assert {name for name, _ in table("catalogue").indexes} <= indexes
        assert {n: reopened.row(n) for n in NAMES} == rows and reopened.db.get_meta("schema_version") == str(
            migrations.newest()
        )
        # the rowid position means nothing in IGSN order: the run walks again from the start, missing nothing
        assert reopened.db.get_meta("restamp_after") == "" and restamp.remaining(reopened) == len(NAMES)
        time.sleep(1.1)
        assert restamp.restamp(reopened) == len(NAMES)
        assert all(reopened.row(n).datestamp > rows[n].datestamp for n in NAMES)  # type: ignore[union-attr]
        report = verify(reopened.db, reopened.store, reopened.iris)
        assert report.ok, report.problems


@pytest.mark.parametrize("sqlite_version", [sqlite3.sqlite_version_info, (3, 34, 1)], ids=["drop-column", "rebuild"])
def test_search_rows_of_an_older_schema_lose_their_datestamp_and_nothing_else(
    settings: Settings,
    registry: Registry,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    sqlite_version: tuple[int, int, int],
) -> None:
    """Schema step 4: search rows kept a copy of the datestamp that nothing read and every restamp rewrote. SQLite
    before 3.35 has no DROP COLUMN: the table is rebuilt (row numbers kept: the text index's rows are the search
    rows')."""
    if sqlite_version != sqlite3.sqlite_version_info and registry.db.dialect != "sqlite":
        pytest.skip("the rebuild is SQLite's")
    monkeypatch.setattr(migrations.sqlite3, "sqlite_version_info", sqlite_version)
    for name in NAMES:
        submit(registry, ONE, registration_xml(name))
    columns = "igsn, kind, name, agent, client, namespace, status, collected_from, collected_to, collected_sort"
    kept = registry.db.read().execute(f"SELECT doc, {columns} FROM search_doc ORDER BY doc").fetchall()
    hits = search(registry.db.read(), SearchQuery(q="ZTA07*"))
    with registry.db.write() as conn:  # as schema 3 kept it
        conn.execute("ALTER TABLE search_doc ADD COLUMN datestamp TEXT NOT NULL DEFAULT '2020-01-01T00:00:00Z'")
        conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    registry.close()
    caplog.set_level(logging.WARNING, logger="igsn_graph.db")
    Database(settings.database_target, migrate=True).close()  # PostgreSQL: `igsn-graph migrate`; SQLite: any open
    with Registry(settings) as reopened:
        assert any(
            f"schema step 4: dropping the search rows' datestamp ({len(NAMES)} rows)" in r.getMessage()
            for r in caplog.records
        )
        conn = reopened.db.read()
        assert "datestamp" not in [d[0] for d in conn.execute("SELECT * FROM search_doc LIMIT 1").description]
        assert conn.execute(f"SELECT doc, {columns} FROM search_doc ORDER BY doc").fetchall() == kept
        assert search(reopened.db.read(), SearchQuery(q="ZTA07*")) == hits and hits.total == len(NAMES)
        restamp.adopt(reopened)
        reopened.db.set_meta("projection_fingerprint", "before-a-writer-change")
        assert restamp.restamp(reopened) == len(NAMES)
        report = verify(reopened.db, reopened.store, reopened.iris)
        assert report.ok, report.problems
