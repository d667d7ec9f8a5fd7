"""Versioned schema changes: ``meta.schema_version`` says which of ``STEPS`` a database has had.

A new database is created at ``SCHEMA_VERSION`` (``schema.TABLES``, nothing to migrate). A step is a function of
an open write transaction and the dialect; each step runs in its own transaction with the version it reaches,
so an interrupted migration resumes at the first step not done. ``igsn-graph init`` and ``igsn-graph migrate``
run them; an embedded (SQLite) registry also runs them when it opens, a PostgreSQL one shared by several nodes
only by those commands (``Database`` refuses to open an older schema there).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import InvalidInput
from .dialect import SQLITE, table_ddl
from .schema import SCHEMA_VERSION, table

if TYPE_CHECKING:
    from . import Database

__all__ = ["STEPS", "Step", "migrate", "newest", "pending", "version_of"]

log = logging.getLogger("igsn_graph.db")


@dataclass(frozen=True)
class Step:
    #: the schema version this step reaches
    version: int
    description: str
    apply: Callable[[sqlite3.Connection, str], None]


def _create(name: str) -> Callable[[sqlite3.Connection, str], None]:
    """A step creating a table added to ``schema.TABLES``."""

    def apply(conn: sqlite3.Connection, dialect: str) -> None:
        for statement in table_ddl(table(name), dialect):
            conn.execute(statement)

    return apply


def _cluster_catalogue(conn: sqlite3.Connection, dialect: str) -> None:
    """SQLite: the catalogue rewritten clustered by IGSN (``WITHOUT ROWID``), its indexes built after the rows.
    PostgreSQL keeps no row order of its own: nothing changes there.

    A restamp interrupted before walked rowids: its position means nothing in IGSN order, so that run starts its
    walk again (the records it had stamped get one datestamp more; no version, nothing missed)."""
    if dialect != SQLITE:
        return
    t = table("catalogue")
    # one transaction that copies every row and rebuilds the indexes: minutes for millions of rows, nothing
    # answered meanwhile, so say so (and how to do it before a server starts)
    rows: int = conn.execute("SELECT COUNT(*) FROM catalogue").fetchone()[0]
    log.warning(
        "schema step 3: rewriting the catalogue (%d rows) clustered by IGSN; for a large registry this takes "
        "minutes and needs about twice its size on disk (run `igsn-graph migrate` before starting servers)",
        rows,
    )
    began = time.monotonic()
    _rebuild(conn, t.name, order_by="igsn")
    conn.execute("UPDATE meta SET value = '' WHERE key = 'restamp_after'")
    log.warning("schema step 3: catalogue rewritten (%d rows) in %.1f s", rows, time.monotonic() - began)


def _drop_search_datestamp(conn: sqlite3.Connection, dialect: str) -> None:
    """The search rows' copy of the datestamp, which nothing read: a restamp rewrote it too, one search row per
    record, in load order (not the IGSN order it walks), so each record cost a page of its own: at a million
    records a restamp ran at 17,700 records/s with it, 127,500-136,100 without. SQLite rewrites the table once
    (1.3 s at a million rows)."""
    if dialect == SQLITE:
        held = any(r[1] == "datestamp" for r in conn.execute("PRAGMA table_info(search_doc)"))
    else:  # the table the search path finds, as every statement does
        held = conn.execute(
            "SELECT 1 FROM pg_attribute WHERE attrelid = 'search_doc'::regclass AND attname = 'datestamp' "
            "AND NOT attisdropped"
        ).fetchone()
    if not held:
        return
    rows: int = conn.execute("SELECT COUNT(*) FROM search_doc").fetchone()[0]
    log.warning("schema step 4: dropping the search rows' datestamp (%d rows)", rows)
    if dialect == SQLITE and sqlite3.sqlite_version_info < (3, 35):
        _rebuild(conn, "search_doc")
    else:
        conn.execute("ALTER TABLE search_doc DROP COLUMN datestamp")


def _rebuild(conn: sqlite3.Connection, name: str, *, order_by: str = "") -> None:
    """SQLite: table ``name`` rewritten as ``schema.TABLES`` has it now (clustered, or without a column: SQLite
    before 3.35 has no DROP COLUMN), the columns it keeps copied (row numbers too: the text index's rows are the
    search rows'), in ``order_by`` order, its indexes built after the rows."""
    t = table(name)
    conn.execute(f"ALTER TABLE {name} RENAME TO {name}_before")
    for index, _ in t.indexes:
        conn.execute(f"DROP INDEX IF EXISTS {index}")
    create, *indexes = table_ddl(t, SQLITE)
    conn.execute(create)
    columns = ", ".join(t.columns)
    order = f" ORDER BY {order_by}" if order_by else ""
    conn.execute(f"INSERT INTO {name} ({columns}) SELECT {columns} FROM {name}_before{order}")
    conn.execute(f"DROP TABLE {name}_before")
    for statement in indexes:
        conn.execute(statement)


#: every schema change since version 1, in order; the last one's version is ``SCHEMA_VERSION``
STEPS: tuple[Step, ...] = (
    Step(2, "login_failure: the login throttle's buckets, shared by every node", _create("login_failure")),
    Step(3, "catalogue clustered by IGSN (SQLite): a restamp rewrites neighbouring pages", _cluster_catalogue),
    Step(
        4,
        "search rows without the datestamp (the catalogue's): a restamp rewrites the catalogue alone",
        _drop_search_datestamp,
    ),
)


def version_of(db: Database) -> int:
    found = db.get_meta("schema_version")
    return int(found) if found is not None else 0


def newest(steps: Sequence[Step] | None = None) -> int:
    """The schema version this program brings a database to."""
    return max([SCHEMA_VERSION, *(s.version for s in (STEPS if steps is None else steps))])


def pending(db: Database, steps: Sequence[Step] | None = None) -> list[Step]:
    """The steps ``db`` has not had, in order; ``InvalidInput`` when it is newer than this program knows."""
    steps = STEPS if steps is None else steps
    current = version_of(db)
    if current > newest(steps):
        raise InvalidInput(
            f"the registry database has schema version {current}, newer than this igsn-graph knows "
            f"({newest(steps)}); "
            "run a newer igsn-graph"
        )
    return [s for s in steps if s.version > current]


def migrate(db: Database, steps: Sequence[Step] | None = None) -> list[Step]:
    """Applies the pending steps, each in its own transaction; returns those applied."""
    done = []
    for step in pending(db, steps):
        with db.write() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is not None and int(row[0]) >= step.version:
                continue  # another process migrated meanwhile (writes are serialised, so it finished the step)
            step.apply(conn, db.dialect)
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(step.version),))
        done.append(step)
    return done
