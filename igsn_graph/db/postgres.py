"""PostgreSQL behind the sqlite3 connection API the registry's modules are written against (psycopg 3, a pool).

``Connection`` wraps one psycopg connection in autocommit mode (like the registry's SQLite connections:
``BEGIN`` … ``COMMIT`` are explicit); ``PooledReader`` runs each statement on a connection borrowed from the pool,
which is what a reader needs (every statement sees committed data) without a server connection per thread.
Statements are rewritten by ``dialect.to_postgres``; Python booleans go in as integers (the columns are
INTEGER, as in SQLite); results are read whole and returned as a ``Result`` whose rows index by position and by
column name like ``sqlite3.Row``; psycopg's errors come out as the sqlite3 exceptions callers catch
(``IntegrityError``, ``OperationalError`` for missing tables and lost connections, ``DatabaseError`` else).

Unlike SQLite, a failed statement inside a transaction aborts that transaction: the caller's ``write()``
rolls it back, so nothing of it is kept either way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import psycopg
import psycopg.errors
from psycopg import pq
from psycopg_pool import ConnectionPool, PoolTimeout

from .dialect import to_postgres

__all__ = [
    "AdvisoryLock",
    "Connection",
    "Streamed",
    "connect",
    "PooledReader",
    "Result",
    "Row",
    "mapped_error",
    "open_pool",
]


class Row(tuple[Any, ...]):
    """A result row: a tuple that also answers ``row["column"]`` and ``keys()`` (as ``sqlite3.Row``)."""

    _index: dict[str, int]

    def __new__(cls, values: Iterable[Any], index: dict[str, int]) -> Row:
        row = super().__new__(cls, values)
        row._index = index
        return row

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


class Result:
    """A statement's whole result, read at once (the connection is free again when ``execute`` returns)."""

    def __init__(self, rows: list[Row], description: Sequence[Any] | None, rowcount: int) -> None:
        self._rows = rows
        self._next = 0
        self.description = description
        self.rowcount = rowcount
        self.lastrowid: int | None = None

    def fetchone(self) -> Row | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchmany(self, size: int = 1) -> list[Row]:
        out = self._rows[self._next : self._next + size]
        self._next += len(out)
        return out

    def fetchall(self) -> list[Row]:
        out = self._rows[self._next :]
        self._next = len(self._rows)
        return out

    def __iter__(self) -> Iterator[Row]:
        while self._next < len(self._rows):
            self._next += 1
            yield self._rows[self._next - 1]

    def close(self) -> None:
        self._rows = []


class Streamed(Result):
    """A query's rows read as they are asked for, through a server-side cursor (a dump of every version would not
    fit in memory read at once); open until its transaction ends."""

    def __init__(self, cur: psycopg.ServerCursor[Any]) -> None:
        super().__init__([], cur.description, -1)
        self._cur = cur
        self._index = {column.name: i for i, column in enumerate(cur.description or ())}

    def _wrapped(self, values: Sequence[Any] | None) -> Row | None:
        return None if values is None else Row(values, self._index)

    def fetchone(self) -> Row | None:
        return self._wrapped(self._cur.fetchone())

    def fetchmany(self, size: int = 1) -> list[Row]:
        return [Row(v, self._index) for v in self._cur.fetchmany(size)]

    def fetchall(self) -> list[Row]:
        return [Row(v, self._index) for v in self._cur.fetchall()]

    def __iter__(self) -> Iterator[Row]:
        for values in self._cur:
            yield Row(values, self._index)

    def close(self) -> None:
        self._cur.close()


def mapped_error(exc: psycopg.Error) -> sqlite3.Error:
    """The sqlite3 exception a caller written against SQLite catches for ``exc``."""
    message = str(exc).strip()
    if isinstance(exc, psycopg.IntegrityError):
        return sqlite3.IntegrityError(message)
    if isinstance(exc, (psycopg.OperationalError, psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn)):
        return sqlite3.OperationalError(message)
    if isinstance(exc, psycopg.errors.SyntaxError):
        return sqlite3.OperationalError(message)
    if isinstance(exc, psycopg.DataError):
        return sqlite3.DataError(message)
    if isinstance(exc, psycopg.InterfaceError):
        return sqlite3.InterfaceError(message)
    return sqlite3.DatabaseError(message)


def _params(params: Sequence[Any] | None) -> tuple[Any, ...]:
    if not params:
        return ()
    return tuple(int(p) if p is True or p is False else p for p in params)


def _result(cur: psycopg.Cursor[Any]) -> Result:
    description = cur.description
    if description is None:
        return Result([], None, cur.rowcount)
    index = {column.name: i for i, column in enumerate(description)}
    rows = [Row(values, index) for values in cur.fetchall()]
    return Result(rows, description, cur.rowcount)


def _run(conn: psycopg.Connection[Any], sql: str, params: Sequence[Any] | None) -> Result:
    statement = to_postgres(sql)
    if statement is None:
        return Result([], None, -1)
    try:
        with conn.cursor() as cur:
            cur.execute(statement, _params(params))
            return _result(cur)
    except psycopg.Error as exc:
        raise mapped_error(exc) from exc


class Connection:
    """One PostgreSQL connection (autocommit; explicit transactions) with the sqlite3 connection's methods.

    ``streaming``: inside a transaction, a query's rows come through a server-side cursor as they are read
    (``Streamed``) instead of all at once (a pinned snapshot that a dump reads whole)."""

    def __init__(self, conn: psycopg.Connection[Any], *, streaming: bool = False) -> None:
        self.raw = conn
        self.streaming = streaming
        self._cursors = 0

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != pq.TransactionStatus.IDLE

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Result:
        if self.streaming and self.in_transaction and sql.lstrip()[:6].upper() in ("SELECT", "WITH R"):
            statement = to_postgres(sql)
            assert statement is not None
            self._cursors += 1
            cur = self.raw.cursor(name=f"streamed_{self._cursors}")
            cur.itersize = 200
            try:
                cur.execute(statement, _params(params))
            except psycopg.Error as exc:
                raise mapped_error(exc) from exc
            return Streamed(cur)
        return _run(self.raw, sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Result:
        statement = to_postgres(sql)
        if statement is None:
            return Result([], None, -1)
        try:
            with self.raw.cursor() as cur:
                cur.executemany(statement, [_params(r) for r in rows])
                return Result([], None, cur.rowcount)
        except psycopg.Error as exc:
            raise mapped_error(exc) from exc

    def cursor(self) -> _Cursor:
        return _Cursor(self)

    def executescript(self, script: str) -> None:
        for statement in script.split(";"):
            if statement.strip():
                self.execute(statement)

    def commit(self) -> None:
        if self.in_transaction:
            self.execute("COMMIT")

    def rollback(self) -> None:
        if self.in_transaction:
            self.execute("ROLLBACK")

    def close(self) -> None:
        self.raw.close()


class _Cursor:
    """``conn.cursor()``: what callers use of a sqlite3 cursor (rows are tuples whatever ``row_factory`` says)."""

    row_factory: object = None

    def __init__(self, owner: Connection | PooledReader) -> None:
        self._owner = owner

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Result:
        return self._owner.execute(sql, params)


class PooledReader:
    """Reads through a pool: each statement on a connection borrowed for it (autocommit, so it sees what was
    committed when it started). Transactions belong to ``Database.write()``, so ``BEGIN`` is refused here."""

    in_transaction = False

    def __init__(self, pool: ConnectionPool[Any], *, timeout: float = 30.0) -> None:
        self.pool = pool
        self.timeout = timeout

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Result:
        if sql.lstrip()[:5].upper() == "BEGIN":
            raise sqlite3.OperationalError("a reader runs no transaction: use Database.write()")
        try:
            with self.pool.connection(timeout=self.timeout) as conn:
                return _run(conn, sql, params)
        except PoolTimeout as exc:
            raise sqlite3.OperationalError(f"no registry database connection free: {exc}") from None
        except psycopg.Error as exc:  # connecting failed
            raise mapped_error(exc) from exc

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Result:
        raise sqlite3.OperationalError("a reader does not write: use Database.write()")

    def cursor(self) -> _Cursor:
        return _Cursor(self)

    def close(self) -> None:
        """Nothing to close: the pool owns the connections."""


#: server-side TCP keepalives for a session that holds a lock: PostgreSQL closes the session of a node whose machine
#: vanished (power loss, partition) after about idle + interval x count seconds, and its locks with it, instead of
#: the operating system's two hours
KEEPALIVE = ("SET tcp_keepalives_idle = 10", "SET tcp_keepalives_interval = 5", "SET tcp_keepalives_count = 4")


class AdvisoryLock:
    """The registry's write lock across nodes: ``pg_advisory_lock(key)`` on a connection of its own, held from
    ``acquire`` to ``release`` (a session lock, so it spans the several transactions of one write). When the
    holder dies its session ends and PostgreSQL releases the lock (a vanished machine's after ``KEEPALIVE``);
    the next holder then finds the dead node's journal entry and redoes it first (``registry.write_gate``). A
    lost connection while waiting is retried once on a new one. The write's statements run on the pool's writer
    connection, not this one: a node cut off from the server loses both (its journal entry is redone later), but
    a node that loses only this session while still writing is not detected before its commit."""

    def __init__(self, url: str, key: int) -> None:
        self._url = url
        self._key = key
        self._conn: psycopg.Connection[Any] | None = None

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            conn = psycopg.connect(self._url, autocommit=True, connect_timeout=10)  # not in the pool
            for statement in KEEPALIVE:
                conn.execute(statement)
            self._conn = conn
        return self._conn

    def acquire(self) -> None:
        for attempt in (1, 2):
            try:
                self._connection().execute("SELECT pg_advisory_lock(%s)", (self._key,))
                return
            except psycopg.OperationalError as exc:
                self.close()
                if attempt == 2:
                    raise mapped_error(exc) from exc

    def try_acquire(self) -> bool:
        """Takes the lock if no other session holds it; False (at once) if one does."""
        try:
            row = self._connection().execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone()
        except psycopg.OperationalError as exc:
            self.close()
            raise mapped_error(exc) from exc
        return bool(row and row[0])

    def release(self) -> None:
        if self._conn is None or self._conn.closed or self._conn.broken:
            return  # the session is gone, and its lock with it
        try:
            self._conn.execute("SELECT pg_advisory_unlock(%s)", (self._key,))
        except psycopg.OperationalError:
            self.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def connect(url: str) -> psycopg.Connection[Any]:
    """One autocommit connection outside the pool (a pinned snapshot, the write lock's session)."""
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise mapped_error(exc) from exc


def open_pool(url: str, *, max_size: int, read_only: bool = False) -> ConnectionPool[Any]:
    """A pool of autocommit connections to ``url`` (at least one opened now, so a wrong URL fails here).

    ``read_only``: every session refuses writes (``default_transaction_read_only``).
    """
    options = "-c default_transaction_read_only=on" if read_only else None
    kwargs: dict[str, Any] = {"autocommit": True}
    if options:
        kwargs["options"] = options
    try:  # the pool would retry a wrong host, database or password until its timeout, and hide why
        first = psycopg.connect(url, connect_timeout=10, **kwargs)
    except psycopg.Error as exc:
        raise sqlite3.OperationalError(str(exc).strip()) from None
    first.close()
    pool: ConnectionPool[Any] = ConnectionPool(
        url, min_size=1, max_size=max(2, max_size), kwargs=kwargs, open=False, name="igsn-registry"
    )
    try:
        pool.open(wait=True, timeout=30)
    except PoolTimeout:
        pool.close()
        raise sqlite3.OperationalError(f"cannot connect to {redacted(url)}") from None
    return pool


def redacted(url: str) -> str:
    """``url`` without a password, for messages and logs."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        return "postgresql://…"
    host, port, name = info.get("host", ""), info.get("port", ""), info.get("dbname", "")
    return f"postgresql://{info.get('user', '')}@{host}{':' + str(port) if port else ''}/{name}"
