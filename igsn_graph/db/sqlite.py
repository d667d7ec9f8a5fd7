"""SQLite connections: the registry's embedded database (WAL, one file in the data folder) and its side files."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

__all__ = ["connect", "connect_read_only", "immediate", "rollback"]


def connect(path: Path) -> sqlite3.Connection:
    """A writable connection (autocommit; WAL so readers run while the writer commits; full sync)."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.row_factory = sqlite3.Row
    return conn


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


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` on ``conn`` (autocommit mode), rolled back on any exception: the one
    write transaction of the registry database and of the side files (OAI cache, kept representations)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        rollback(conn)
        raise
    conn.execute("COMMIT")


def rollback(conn: sqlite3.Connection) -> None:
    # SQLite may have rolled back itself (e.g. on a full disk); a second ROLLBACK would then fail
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass
