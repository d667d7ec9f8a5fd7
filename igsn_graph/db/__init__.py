"""The private registry database: accounts, history, journal, catalogue, search, relations, embargoes, drafts,
harvest sources — in one SQLite file (the default) or in PostgreSQL (``IGSN_GRAPH_DATABASE=postgresql://…``).

One database so that history, catalogue, search rows, relation edges and journal change in one transaction; the
graph store is the only other party of a write (see ``registry.journal``). A read-only database (``read_only``)
is only read (SQLite: nothing is written into its folder).

The layer's API (what other modules use):

* ``Database(target, read_only=False)`` — ``target`` a file path (SQLite) or a ``postgresql://`` URL.
  ``db.dialect`` is ``"sqlite"`` or ``"postgresql"``. ``db.read()`` is a connection for reads (autocommit: each
  statement sees committed data); ``with db.write(durable=True) as conn:`` one write transaction, committed on
  success and rolled back on any exception (``StorageFailure`` when the database itself failed; ``ReadOnly`` when
  read-only). ``get_meta``/``set_meta`` for the ``meta`` table; ``close()``.
* Both kinds of connection have the ``sqlite3.Connection`` methods the modules use — ``execute``,
  ``executemany``, ``in_transaction`` — and rows that index by position and by column name. Write SQLite's SQL:
  on PostgreSQL ``dialect.to_postgres`` rewrites ``?``, ``INSERT OR REPLACE``/``OR IGNORE`` (upsert on the table's
  key in ``schema.TABLES``), ``group_concat`` and drops ``PRAGMA``. What has no such rewrite goes into a
  dialect-specific function chosen by ``db.dialect`` (search's FTS5 and R*Tree). psycopg errors come out as the
  sqlite3 exceptions callers already catch. The connection objects are typed ``sqlite3.Connection`` so every
  module keeps its annotations; on PostgreSQL they are ``postgres.Connection``/``postgres.PooledReader``.
* The schema is ``schema.TABLES`` (data; ``dialect.ddl`` writes it out per dialect); ``migrations`` versions it
  (``igsn-graph init``/``migrate``). A new table or column: add it to ``schema``, and a ``migrations.Step``.
* PostgreSQL connections come from one pool per ``Database`` (``psycopg_pool``): readers borrow one per statement,
  the writer keeps one. Write serialisation across nodes: ``process_lock()``, a session-level advisory lock
  (``pg_advisory_lock``) on a connection of its own, held by ``registry.locking.WriteLock`` around each whole
  write (and each group commit): a write is several transactions (journal entry, graph, index), so a transaction
  lock would not cover it. A node killed mid-write loses its session and the lock; the next writer on any node
  redoes its journal entry first (``registry.write_gate``), the crash rule across nodes.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, cast

from ..errors import InvalidInput, ReadOnly, StorageFailure
from . import migrations
from .dialect import POSTGRESQL, SQLITE, ddl, dialect_of
from .schema import SCHEMA_VERSION
from .sqlite import connect, connect_read_only, immediate
from .sqlite import rollback as _rollback

__all__ = ["Database", "POSTGRESQL", "SCHEMA_VERSION", "SQLITE", "create_schema", "connect_read_only", "immediate"]

log = logging.getLogger("igsn_graph.db")

#: the advisory lock key under which a PostgreSQL schema is created (two nodes starting at once)
SCHEMA_LOCK = 0x1657_5C4E
#: the advisory lock key of the registry's write lock (``registry.locking``)
WRITE_LOCK = 0x1657_5C4F
#: the advisory lock key a restore holds for its whole run (``registry.restore``): one at a time into a database
RESTORE_LOCK = 0x1657_5C50


def create_schema(conn: sqlite3.Connection, dialect: str = SQLITE) -> None:
    """Creates every table on a connection (also used for a scratch copy when verifying derived rows)."""
    for statement in ddl(dialect):
        conn.execute(statement)


class Database:
    """Connections to the registry database: readers, one serialised writer.

    ``read_only``: the database is only read (no schema update, no writer); ``write()`` raises ``ReadOnly``.
    ``pool_size``: PostgreSQL connections at most (readers borrow one per statement, the writer keeps one).
    ``migrate``: bring an older PostgreSQL schema up to date (``init``, ``migrate``) instead of refusing it;
    an SQLite file is always brought up to date. ``migrated``: the steps applied while opening.
    """

    def __init__(
        self, target: Path | str, *, read_only: bool = False, pool_size: int = 8, migrate: bool = False
    ) -> None:
        self.dialect = dialect_of(target)
        self.path = Path(target) if self.dialect == SQLITE else None
        self.url = str(target) if self.dialect == POSTGRESQL else None
        self.read_only = read_only
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._writer: sqlite3.Connection | None = None
        self._pool: Any = None
        self._reader: Any = None
        self.migrated: list[migrations.Step] = []
        self._locks: list[Any] = []
        try:
            if self.dialect == POSTGRESQL:
                self._open_postgres(pool_size, migrate)
            else:
                self._open_sqlite()
        except sqlite3.Error as exc:
            self.close()
            raise StorageFailure(f"cannot open the registry database {self.display}: {exc}") from None
        except BaseException:
            self.close()
            raise

    @property
    def display(self) -> str:
        """The database named for messages (no password)."""
        if self.url is not None:
            from .postgres import redacted

            return redacted(self.url)
        return str(self.path)

    def _open_sqlite(self) -> None:
        conn = self._connection()
        if self.read_only:
            conn.execute("SELECT COUNT(*) FROM meta").fetchone()  # an unreadable file fails here, not later
            return
        create_schema(conn)
        if self.get_meta("schema_version") is None:
            self._stamp_new()
        self.migrated = migrations.migrate(self)  # embedded: one process, so it brings its own file up to date

    def _open_postgres(self, pool_size: int, migrate: bool) -> None:
        from .postgres import PooledReader, open_pool

        assert self.url is not None
        self._pool = open_pool(self.url, max_size=pool_size, read_only=self.read_only)
        self._reader = PooledReader(self._pool)
        if self.read_only:
            self._reader.execute("SELECT COUNT(*) FROM meta").fetchone()
            return
        exists = self._reader.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()[0]
        if not exists:
            with self.write() as conn:
                conn.execute("SELECT pg_advisory_xact_lock(?)", (SCHEMA_LOCK,))  # two nodes creating it at once
                if not conn.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()[0]:
                    create_schema(conn, POSTGRESQL)
                    self._stamp_new()
        collation = self._reader.execute(
            "SELECT datcollate FROM pg_database WHERE datname = current_database()"
        ).fetchone()[0]
        if collation not in ("C", "POSIX", "C.UTF-8", "C.utf8"):
            # keyset pages and cursors stay consistent either way; only their order differs from SQLite's bytes
            log.warning(
                "the registry database %s sorts text by %s: create it with `createdb --locale=C --template=template0` "
                "for the byte order SQLite (and dumps) use",
                self.display,
                collation,
            )
        if migrate:
            self.migrated = migrations.migrate(self)
        elif migrations.pending(self):
            found = migrations.version_of(self)
            raise InvalidInput(
                f"the registry database {self.display} has schema version {found}, this igsn-graph needs "
                f"{migrations.newest()}: run `igsn-graph migrate` once (with every node stopped)"
            )

    def _stamp_new(self) -> None:
        with self.write() as w:  # inside the caller's transaction when there is one
            w.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            # a new database's embargo table is complete (registry.embargo fills older ones once)
            w.execute("INSERT OR REPLACE INTO meta VALUES ('embargo_index', '1')")

    def _open(self) -> sqlite3.Connection:
        assert self.path is not None
        if not self.read_only:
            return connect(self.path)
        conn = connect_read_only(self.path)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.row_factory = sqlite3.Row
        return conn

    def _connection(self) -> sqlite3.Connection:
        if self._reader is not None:
            return cast(sqlite3.Connection, self._reader)
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            self._local.conn = conn
        return conn

    def _writer_connection(self) -> sqlite3.Connection:
        if self.dialect == SQLITE:
            if self._writer is None:
                self._writer = self._open()
            return self._writer
        from .postgres import Connection

        held = cast("Connection | None", self._writer)
        if held is not None and (held.raw.closed or held.raw.broken):  # the server went away: a fresh connection
            self._pool.putconn(held.raw)
            held = None
        if held is None:
            held = Connection(self._pool.getconn())
            self._writer = cast(sqlite3.Connection, held)
        return cast(sqlite3.Connection, held)

    def process_lock(self) -> Any:
        """PostgreSQL: the lock that serialises writers across nodes (``postgres.AdvisoryLock``; closed with this
        database). ``registry.locking.WriteLock`` takes it around each write."""
        from .postgres import AdvisoryLock

        if self.url is None:
            raise ValueError("an SQLite registry is locked through its data folder, not the database")
        lock = AdvisoryLock(self.url, WRITE_LOCK)
        self._locks.append(lock)
        return lock

    def pinned(self) -> sqlite3.Connection:
        """PostgreSQL: a connection of its own in a read-only ``REPEATABLE READ`` transaction, which sees the database
        as it was at its first read until it is closed (a dump's consistent state while writes go on). SQLite's
        equivalent is ``registry.snapshot``'s pinned read transaction on the file."""
        from .postgres import Connection, connect

        if self.url is None:
            raise ValueError("an SQLite registry pins its file (registry.snapshot), not a server connection")
        conn = Connection(connect(self.url), streaming=True)  # a dump reads every version through it
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        conn.execute("SELECT COUNT(*) FROM meta").fetchone()  # the snapshot is taken at the first statement
        return cast(sqlite3.Connection, conn)

    def journal_seq(self, conn: sqlite3.Connection | None = None) -> int:
        """The sequence number of the last journal entry ever written (0: none), on ``conn`` or a reader."""
        conn = conn or self.read()
        if self.dialect == SQLITE:
            row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'journal'").fetchone()
        else:
            # the identity column's sequence (PostgreSQL names it table_column_seq): its last value given out
            row = conn.execute("SELECT CASE WHEN is_called THEN last_value END FROM journal_seq_seq").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def data_version(self) -> int:
        """PostgreSQL: a number that changes whenever a write commits (the server's write-ahead log position; it
        also moves for other databases' writes and checkpoints, which only makes a cached state look older).
        SQLite's equivalent is ``PRAGMA data_version`` (``sparql_snapshots.DataVersion``)."""
        if self.url is None:
            raise ValueError("an SQLite registry's data version is PRAGMA data_version on the file")
        return int(self.read().execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn").fetchone()[0])

    def clear(self) -> None:
        """Deletes every row of every table (a restore into PostgreSQL that failed leaves it as empty as it found
        it); the schema version and embargo marker of a new database stay."""
        from .schema import TABLES

        with self.write() as w:
            for t in TABLES:
                w.execute(f"DELETE FROM {t.name}")
            w.execute("DELETE FROM search_text")
            w.execute("DELETE FROM search_box")
        self._stamp_new()

    def read(self) -> sqlite3.Connection:
        """A connection for reads (autocommit; each statement sees committed data). SQLite: this thread's own."""
        return self._connection()

    @contextmanager
    def write(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction; commits on success, rolls back on any exception.

        ``durable=False``: the commit is not synced to disk (it survives the process, not a power loss; the
        next durable commit syncs it too), for marks that are worthless after a crash anyway.
        """
        if self.read_only:
            raise ReadOnly("the registry is read-only: writes are refused")
        with self._write_lock:
            conn = self._writer_connection()
            if conn.in_transaction:  # nested use inside one transaction
                yield conn
                return
            relaxed = not durable and self.dialect == SQLITE
            if relaxed:
                conn.execute("PRAGMA synchronous=NORMAL")  # only outside a transaction
            try:
                with immediate(conn):
                    if not durable and self.dialect == POSTGRESQL:
                        conn.execute("SET LOCAL synchronous_commit TO OFF")
                    yield conn
            except sqlite3.OperationalError as exc:
                # disk full, read-only or failing file system, lost server: nothing of this transaction was kept
                _rollback(conn)
                raise StorageFailure(f"registry database write failed: {exc}", applied=False) from None
            finally:
                if relaxed:
                    conn.execute("PRAGMA synchronous=FULL")

    def get_meta(self, key: str) -> str | None:
        row = self.read().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.write() as conn:
            conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def close(self) -> None:
        for lock in self._locks:
            lock.close()
        self._locks = []
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        if self._pool is not None:
            if self._writer is not None:
                self._pool.putconn(cast(Any, self._writer).raw)
                self._writer = None
            self._pool.close()
            self._pool = None
            self._reader = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None
