"""The private registry database: one SQLite file: accounts, history, journal, catalogue, search, relations, embargoes,
harvest sources.

One file so that history, catalogue, search rows, relation edges and journal change in one SQLite transaction; the graph
store is the only other party of a write (see ``registry.journal``). WAL mode lets readers run
while the single writer commits. A read-only database (``read_only``) writes nothing into its folder.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import ReadOnly, StorageFailure

__all__ = ["Database", "SCHEMA_VERSION", "create_schema", "connect_read_only", "immediate"]

SCHEMA_VERSION = 1

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS agents (
    symbol TEXT PRIMARY KEY, name TEXT NOT NULL, password_hash TEXT NOT NULL,
    quota INTEGER NOT NULL DEFAULT -1, contact_email TEXT, ror TEXT,
    active INTEGER NOT NULL DEFAULT 1, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clients (
    symbol TEXT PRIMARY KEY, agent TEXT NOT NULL REFERENCES agents(symbol), name TEXT NOT NULL,
    password_hash TEXT NOT NULL, quota INTEGER NOT NULL DEFAULT -1, domains TEXT NOT NULL DEFAULT '',
    contact_email TEXT, ror TEXT, active INTEGER NOT NULL DEFAULT 1, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS namespaces (
    namespace TEXT PRIMARY KEY, agent TEXT NOT NULL REFERENCES agents(symbol), client TEXT,
    agent_level INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS doi_prefixes (
    prefix TEXT PRIMARY KEY, agent TEXT NOT NULL REFERENCES agents(symbol), client TEXT);
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT NOT NULL, payload BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS versions (
    igsn TEXT NOT NULL, version INTEGER NOT NULL, datestamp TEXT NOT NULL, event TEXT NOT NULL,
    principal TEXT NOT NULL, format TEXT, document BLOB, graph BLOB NOT NULL,
    PRIMARY KEY (igsn, version));
CREATE TABLE IF NOT EXISTS catalogue (
    igsn TEXT PRIMARY KEY, datestamp TEXT NOT NULL, status TEXT NOT NULL,
    active INTEGER NOT NULL, is_public INTEGER NOT NULL, has_metadata INTEGER NOT NULL,
    has_url INTEGER NOT NULL, agent TEXT NOT NULL, client TEXT, namespace TEXT NOT NULL,
    test INTEGER NOT NULL, deleted INTEGER NOT NULL, version INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS catalogue_order ON catalogue (datestamp, igsn);
CREATE INDEX IF NOT EXISTS catalogue_agent ON catalogue (agent, datestamp, igsn);
CREATE INDEX IF NOT EXISTS catalogue_client ON catalogue (client, datestamp, igsn);
CREATE INDEX IF NOT EXISTS catalogue_namespace ON catalogue (namespace, datestamp, igsn);
-- search (index.search): one row per findable sample, its text, its box and its facet values
CREATE TABLE IF NOT EXISTS search_doc (
    doc INTEGER PRIMARY KEY, igsn TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, name TEXT,
    agent TEXT NOT NULL, client TEXT, namespace TEXT NOT NULL, status TEXT NOT NULL, datestamp TEXT NOT NULL,
    collected_from TEXT, collected_to TEXT, collected_sort TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS search_doc_collected ON search_doc (collected_sort, igsn);
CREATE VIRTUAL TABLE IF NOT EXISTS search_text USING fts5(
    igsn, name, description, identifiers, people, terms, places, tokenize='unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS search_box USING rtree(doc, west, east, south, north);
CREATE TABLE IF NOT EXISTS search_facet (
    facet TEXT NOT NULL, value TEXT NOT NULL, doc INTEGER NOT NULL,
    PRIMARY KEY (facet, value, doc)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS search_facet_doc ON search_facet (doc);
CREATE TABLE IF NOT EXISTS search_facet_total (
    facet TEXT NOT NULL, value TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (facet, value)) WITHOUT ROWID;
-- relations (relations.py): the links each sample states, both ways; visible: its source is findable
CREATE TABLE IF NOT EXISTS relation_edge (
    source TEXT NOT NULL, kind TEXT NOT NULL, relation TEXT NOT NULL, target_type TEXT NOT NULL,
    target TEXT NOT NULL, visible INTEGER NOT NULL,
    PRIMARY KEY (source, kind, relation, target_type, target)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS relation_edge_target ON relation_edge (target, kind, visible, source);
-- embargoes (registry.embargo): private samples whose description becomes public at lifts_at (a datestamp)
CREATE TABLE IF NOT EXISTS embargo (igsn TEXT PRIMARY KEY, ends TEXT NOT NULL, lifts_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS embargo_due ON embargo (lifts_at, igsn);
-- reserved names (registry.lifecycle): a draft exists, is owned and counts against quota before it is described;
-- acknowledged like any write, so it is dumped and restored with the accounts and history
CREATE TABLE IF NOT EXISTS draft (
    igsn TEXT PRIMARY KEY, doi TEXT, agent TEXT NOT NULL, client TEXT, namespace TEXT NOT NULL, url TEXT,
    attributes TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL);
-- OAI-PMH harvest sources (igsn_graph.harvest.sources): what to ask whom, and where the last run stopped
CREATE TABLE IF NOT EXISTS harvest_source (
    name TEXT PRIMARY KEY, url TEXT NOT NULL, prefix TEXT NOT NULL, set_spec TEXT, agent TEXT,
    every_s INTEGER, rate REAL NOT NULL DEFAULT 1.0, timeout_s REAL NOT NULL DEFAULT 60, paused INTEGER NOT NULL
    DEFAULT 0, created TEXT NOT NULL, token TEXT, position INTEGER NOT NULL DEFAULT 0, run_from TEXT,
    run_response_date TEXT, last_response_date TEXT, granularity TEXT, last_run TEXT, last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0, next_due TEXT, stored INTEGER NOT NULL DEFAULT 0,
    refused INTEGER NOT NULL DEFAULT 0);
-- what each source said about each sample in its runs (stored, refused, deleted; unlisted: a full run missed it)
CREATE TABLE IF NOT EXISTS harvest_record (
    source TEXT NOT NULL, igsn TEXT NOT NULL, status TEXT NOT NULL, run TEXT NOT NULL, response_date TEXT NOT NULL,
    PRIMARY KEY (source, igsn)) WITHOUT ROWID;
-- each source's current record of each sample (igsn_graph.harvest.origins): its OAI header, the response it came in,
-- whether its description is the one shown (in_force), and the record's XML as received (zlib)
CREATE TABLE IF NOT EXISTS harvest_origin (
    source TEXT NOT NULL, igsn TEXT NOT NULL, oai_identifier TEXT, datestamp TEXT, response_date TEXT NOT NULL,
    request TEXT NOT NULL, format TEXT, in_force INTEGER NOT NULL, original BLOB NOT NULL,
    UNIQUE (source, igsn));
CREATE INDEX IF NOT EXISTS harvest_origin_igsn ON harvest_origin (igsn);
"""


def create_schema(conn: sqlite3.Connection) -> None:
    """Creates every table on a connection (also used for a scratch copy when verifying derived rows)."""
    conn.executescript(_DDL)


def connect_read_only(path: Path, *, timeout: float = 30) -> sqlite3.Connection:
    """A connection that writes neither the database nor its folder (which may be on a read-only file system).

    A WAL database opened ``mode=ro`` still creates its ``-shm`` and ``-wal`` files, so it is opened
    ``immutable`` — unless its ``-wal`` holds transactions (the last writer did not close): ``immutable``
    would skip those committed writes, so they are read through the ``-shm`` file the writer left.
    """
    wal = path.with_name(path.name + "-wal")
    pending = wal.exists() and wal.stat().st_size > 0
    uri = path.resolve().as_uri() + ("?mode=ro" if pending else "?mode=ro&immutable=1")
    conn = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA query_only=ON")
    return conn


class Database:
    """Connections to the registry database: per-thread readers, one serialised writer.

    ``read_only``: the file is only read (no schema update, no writer); ``write()`` raises ``ReadOnly``.
    """

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._writer: sqlite3.Connection | None = None
        try:
            conn = self._connection()
            if read_only:
                conn.execute("SELECT COUNT(*) FROM meta").fetchone()  # an unreadable file fails here, not later
            else:
                create_schema(conn)
                if self.get_meta("schema_version") is None:
                    with self.write() as w:
                        w.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                        # a new database's embargo table is complete (registry.embargo fills older ones once)
                        w.execute("INSERT OR REPLACE INTO meta VALUES ('embargo_index', '1')")
        except sqlite3.Error as exc:
            self.close()
            raise StorageFailure(f"cannot open the registry database {path}: {exc}") from None

    def _open(self) -> sqlite3.Connection:
        if self.read_only:
            conn = connect_read_only(self.path)
        else:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.row_factory = sqlite3.Row
        return conn

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            self._local.conn = conn
        return conn

    def read(self) -> sqlite3.Connection:
        """This thread's connection, for reads (autocommit; each statement sees committed data)."""
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
            if self._writer is None:
                self._writer = self._open()
            conn = self._writer
            if conn.in_transaction:  # nested use inside one transaction
                yield conn
                return
            if not durable:
                conn.execute("PRAGMA synchronous=NORMAL")  # only outside a transaction
            try:
                with immediate(conn):
                    yield conn
            except sqlite3.OperationalError as exc:
                # disk full, read-only or failing file system: nothing of this transaction was kept
                _rollback(conn)
                raise StorageFailure(f"registry database write failed: {exc}", applied=False) from None
            finally:
                if not durable:
                    conn.execute("PRAGMA synchronous=FULL")

    def get_meta(self, key: str) -> str | None:
        row = self.read().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.write() as conn:
            conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` on ``conn`` (autocommit mode), rolled back on any exception: the one
    write transaction of the registry database and of the side files (OAI cache, kept representations)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        _rollback(conn)
        raise
    conn.execute("COMMIT")


def _rollback(conn: sqlite3.Connection) -> None:
    # SQLite may have rolled back itself (e.g. on a full disk); a second ROLLBACK would then fail
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass
