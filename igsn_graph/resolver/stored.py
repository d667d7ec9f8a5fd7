"""Rendered representations kept on disk, beside the registry database (``representations.sqlite``).

Reading a sample's graph out of the store costs milliseconds (pyoxigraph decodes every term of ~150 quads), 20-40
times the rest of a resolution; a resolver asked for random samples cannot pay that per request. So the bodies the
``RenderCache`` keeps in memory are also kept here, compressed, one row per (sample, profile, media type,
parameters), and read with one indexed SQLite look-up — by any process: SQLite allows readers beside the writer,
the embedded graph store does not.

Derived data, safe to delete: an entry is valid only for the catalogue ``version`` it was rendered from (every
write gives a new version), for its ``datestamp`` when the profile's bodies may contain it (a restamp gives a new
datestamp and nothing else: ``DATESTAMP_FREE`` bodies survive it), and for the ``FINGERPRINT`` of the code that
rendered it; anything else is a miss, rendered again from the store. ``fill`` renders the default RDF
representations of samples not stored yet (``igsn-graph prerender``).
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import zlib
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph

from ..batching import batched
from ..db import connect_read_only, immediate
from ..formats import table
from ..harvest import origins
from ..index.catalogue import CatalogueRow
from ..vocab import PREFIXES
from .cache import DATESTAMP_FREE, CacheKey
from .profiles import PROFILES, Choice, available_profiles
from .rendering import Rendered, SampleMissing, SampleView, render

if TYPE_CHECKING:
    from ..registry.service import Registry

__all__ = [
    "FILE",
    "DATESTAMP_FREE",
    "forget",
    "FINGERPRINT",
    "PRERENDERED",
    "StoredRepresentations",
    "connect_live_reader",
    "fill",
    "open_stored",
]

log = logging.getLogger("igsn_graph.resolver")

FILE = "representations.sqlite"
#: what the stored bytes depend on besides the sample: this module's rendering revision (2: harvested samples of
#: unverified sources carry the mark in every representation; 3: the graph holds no ig:datestamp), the serialiser, the prefixes it abbreviates with,
#: and the XML writers' revisions and mappings (``formats.table.fingerprint``: kept ``igsn_desc``/``oai_dc`` bodies)
FINGERPRINT = hashlib.sha1(
    f"3|{pyoxigraph.__version__}|{sorted(PREFIXES.items())}|{table.fingerprint()}".encode()
).hexdigest()[:16]
#: what ``fill`` renders ahead of requests: the default profile's RDF as linked-data clients ask for it
PRERENDERED: tuple[Choice, ...] = (
    Choice(PROFILES["ig"], "text/turtle"),
    Choice(PROFILES["ig"], "application/ld+json"),
)


#: samples rendered side by side by ``fill`` (the box's two cores: much of a graph read runs without the GIL)
FILL_THREADS = 2
#: rows named in one ``IN (...)`` (SQLite's default limit on parameters is 32766; a batch stays well below)
_IN_LIMIT = 500
#: zlib's level: 3 compresses a sample's two bodies (24 kB) as fast as 1 and nearly twice as fast as 6 (0.12 against
#: 0.21 ms, a tenth of prerendering a sample), into 4.1 kB against 3.6 kB
_LEVEL = 3
#: a row of the table, as written
_Row = tuple[str, str, str, str, int, str, str, str, bytes]

_DDL = """
CREATE TABLE IF NOT EXISTS representation (
    igsn TEXT NOT NULL, token TEXT NOT NULL, media_type TEXT NOT NULL, params TEXT NOT NULL,
    version INTEGER NOT NULL, datestamp TEXT NOT NULL, fingerprint TEXT NOT NULL, content_type TEXT NOT NULL,
    body BLOB NOT NULL, PRIMARY KEY (igsn, token, media_type, params));
"""


def connect_live_reader(path: Path) -> sqlite3.Connection:
    """A read-only connection that sees the writes another process commits (WAL: it never blocks that writer)."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=2, isolation_level=None)
    conn.execute("PRAGMA query_only=ON")
    conn.row_factory = sqlite3.Row
    return conn


def forget(path: Path, names: list[str], token: str) -> None:
    """Drops the kept ``token`` bodies of ``names`` from the file at ``path`` (when there is one): their content
    changed without a new version (``registry.graph_datestamps``). A busy database keeps them: logged."""
    if not path.exists() or not names:
        return
    try:
        conn = sqlite3.connect(path, timeout=5, isolation_level=None)
        try:
            with immediate(conn):
                conn.executemany(
                    "DELETE FROM representation WHERE igsn = ? AND token = ?", [(name, token) for name in names]
                )
        finally:
            conn.close()
    except sqlite3.Error as exc:
        log.warning("kept %s bodies of %d samples not dropped (%s): delete %s", token, len(names), exc, path)


def _stamp(token: str, datestamp: str) -> str:
    """The datestamp an entry is keyed by: none for bodies that do not contain it."""
    return "" if token in DATESTAMP_FREE else datestamp


def _params(params: tuple[tuple[str, str], ...]) -> str:
    return "&".join(f"{k}={v}" for k, v in params)


def open_stored(path: Path, *, read_only: bool = False) -> StoredRepresentations | None:
    """The store of representations in ``path``; for a read-only registry the existing one (None when absent)."""
    if read_only and not path.exists():
        return None
    try:
        return StoredRepresentations(path, read_only=read_only)
    except sqlite3.Error as exc:
        log.warning("representations %s not usable (%s): every body is rendered from the store", path, exc)
        return None


class StoredRepresentations:
    """One connection per thread; a write that meets a busy database is dropped (the body is rendered again).

    ``read_only``: entries are only read (the data folder is not written); ``put`` keeps nothing. ``live``: read
    beside a writer in another process (a read-only registry's file is read as the immutable file it is).
    """

    def __init__(self, path: Path, *, read_only: bool = False, live: bool = False) -> None:
        self.path = path
        self.read_only = read_only or live
        self.live = live
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            if live:
                pass  # the writer may not have made the file yet: a miss until it has
            elif read_only:
                self._conn().execute("SELECT 1 FROM representation LIMIT 1").fetchall()
            else:
                self._conn().executescript(_DDL)
        except sqlite3.Error:
            self.close()
            raise

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self.live:
                conn = connect_live_reader(self.path)
            elif self.read_only:
                conn = connect_read_only(self.path, timeout=2)
            else:
                conn = sqlite3.connect(self.path, timeout=2, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=OFF")  # derived data: a lost write is rendered again
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def get(self, key: CacheKey) -> Rendered | None:
        """The body stored for exactly this version, representation and (if it contains it) datestamp; else None."""
        igsn, version, datestamp, token, media_type, params = key
        try:
            found = (
                self._conn()
                .execute(
                    "SELECT content_type, body FROM representation WHERE igsn = ? AND token = ? AND media_type = ? "
                    "AND params = ? AND version = ? AND datestamp = ? AND fingerprint = ?",
                    (igsn, token, media_type, _params(params), version, _stamp(token, datestamp), FINGERPRINT),
                )
                .fetchone()
            )
        except sqlite3.Error as exc:
            log.info("representations not read (%s); rendered from the store", exc)
            return None
        return None if found is None else Rendered(zlib.decompress(found[1]), found[0])

    def missing(self, rows: Iterable[CatalogueRow], choice: Choice) -> list[CatalogueRow]:
        """The rows whose ``choice`` is not stored for their current version and datestamp."""
        rows = list(rows)
        lacking = self.lacking(rows, (choice,))
        return [row for row in rows if row.igsn in lacking]

    def lacking(self, rows: Sequence[CatalogueRow], choices: Sequence[Choice]) -> dict[str, list[Choice]]:
        """Of ``choices``, those not stored for each row's current version and datestamp (rows lacking none are
        left out); one query per ``_IN_LIMIT`` rows."""
        kept: set[tuple[str, str, str, int, str]] = set()
        conn = self._conn()
        for names in batched((row.igsn for row in rows), _IN_LIMIT):
            kept.update(
                conn.execute(
                    "SELECT igsn, token, media_type, version, datestamp FROM representation "
                    f"WHERE igsn IN ({','.join('?' * len(names))}) AND params = '' AND fingerprint = ?",
                    (*names, FINGERPRINT),
                ).fetchall()
            )
        out: dict[str, list[Choice]] = {}
        for row in rows:
            wanted = [
                c
                for c in choices
                if (
                    row.igsn,
                    c.profile.token,
                    c.media_type,
                    row.version,
                    _stamp(c.profile.token, row.datestamp),
                )
                not in kept
            ]
            if wanted:
                out[row.igsn] = wanted
        return out

    def put(self, entries: list[tuple[CacheKey, Rendered]]) -> None:
        """Stores rendered bodies (replacing those of older versions); a busy database keeps nothing."""
        self.write([_row(key, rendered) for key, rendered in entries])

    def write(self, rows: list[_Row]) -> None:
        """Stores rows made by ``_row`` in one transaction; a busy database keeps nothing."""
        if not rows or self.read_only:
            return
        conn = self._conn()
        try:
            with immediate(conn):
                conn.executemany("INSERT OR REPLACE INTO representation VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        except sqlite3.Error as exc:
            log.info("representations not written (%s); they will be rendered again", exc)

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()


def _row(key: CacheKey, rendered: Rendered) -> _Row:
    """The table row of one body (compressed here: zlib lets other threads run meanwhile)."""
    igsn, version, datestamp, token, media_type, params = key
    return (
        igsn,
        token,
        media_type,
        _params(params),
        version,
        _stamp(token, datestamp),
        FINGERPRINT,
        rendered.content_type,
        zlib.compress(rendered.body, _LEVEL),
    )


def _rendered_rows(view: SampleView, wanted: Sequence[Choice]) -> list[_Row]:
    """The rows of ``wanted`` for one sample, rendered by the call the resolver makes on a miss (the same bytes);
    none when its graph is missing."""
    row, available = view.row, available_profiles(view.row)
    try:
        view.triples  # noqa: B018 - one graph read for every syntax
        return [
            _row(
                (row.igsn, row.version, row.datestamp, choice.profile.token, choice.media_type, ()),
                render(view, choice, "", available),
            )
            for choice in wanted
            if choice.profile.token in available
        ]
    except SampleMissing:
        return []


def _rendered_slice(todo: Sequence[tuple[SampleView, Sequence[Choice]]]) -> tuple[list[_Row], int]:
    """One thread's share of a batch: its rows, and how many of its samples had any."""
    rows: list[_Row] = []
    samples = 0
    for view, wanted in todo:
        if rendered := _rendered_rows(view, wanted):
            rows += rendered
            samples += 1
    return rows, samples


def fill(
    registry: Registry,
    stored: StoredRepresentations,
    rows: Iterable[CatalogueRow],
    batch: int = 256,
    threads: int = FILL_THREADS,
) -> int:
    """Renders and stores ``PRERENDERED`` for every active row that lacks them; returns how many samples were
    rendered. Most of a sample's time is the store looking its terms up, much of it without the GIL: ``threads``
    render a share of each batch side by side (one graph read per sample) while this thread writes the batch
    before (one transaction per batch)."""
    done = 0
    writing: list[Future[tuple[list[_Row], int]]] = []
    with ThreadPoolExecutor(threads, thread_name_prefix="prerender") as pool:
        for chunk in batched((row for row in rows if row.active), batch):
            lacking = stored.lacking(chunk, PRERENDERED)
            if not lacking:
                continue
            sources = origins.unverified_shown(registry.db.read(), list(lacking))
            todo = [
                (SampleView.with_source(registry, row, sources.get(row.igsn)), lacking[row.igsn])
                for row in chunk
                if row.igsn in lacking
            ]
            rendering = [pool.submit(_rendered_slice, todo[i::threads]) for i in range(threads)]
            done += _write(stored, writing)
            writing = rendering
        done += _write(stored, writing)
    return done


def _write(stored: StoredRepresentations, rendering: list[Future[tuple[list[_Row], int]]]) -> int:
    """Writes a batch once rendered (one transaction); how many of its samples had something to write."""
    slices = [r.result() for r in rendering]
    stored.write([body for rows, _ in slices for body in rows])
    return sum(samples for _, samples in slices)
