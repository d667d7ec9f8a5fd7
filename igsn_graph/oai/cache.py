"""Serialised metadata per (sample, format), computed from the exact stored version and cached on disk.

Reading a sample's graph and mapping it to a record costs milliseconds (N-Triples parsing, record
mapping, four writers); a harvest of a million samples cannot pay that per page. So each format's
serialised XML is kept in a cache database beside the registry database (``oai-cache.sqlite`` in the
data folder — derived data, safe to delete), keyed by sample and format and valid for one catalogue
``version`` of the sample and one ``fingerprint`` (writers' revision + the crosswalks they read; not the
public URL, which no document names, so moving the server keeps every entry). A version is immutable and a
restamp changes only datestamps, which no document holds, so a hit is always exactly what the writers
would produce now; a miss is computed from the
history's copy of that version (the same content as the public graph for a public sample, and
consistent with the catalogue row, which is written in the same transaction), falling back to the
public graph when the history lacks it (e.g. after ``reindex``).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from lxml import etree

from ..db import connect_read_only, immediate
from ..formats import graph as graphmap
from ..formats.rdf import parse_ntriples
from ..store import history
from . import index
from .formats import FORMATS, PREFIXES, write_all
from .index import Item
from .sets import SetFilter

if TYPE_CHECKING:
    from ..registry.service import Registry

__all__ = ["MetadataCache", "MetadataSource", "CACHE_FILE", "open_cache", "warm"]

log = logging.getLogger("igsn_graph.oai")

CACHE_FILE = "oai-cache.sqlite"
#: a format the sample cannot give is remembered as this value
_UNAVAILABLE = b""

_DDL = """
CREATE TABLE IF NOT EXISTS metadata (
    igsn TEXT NOT NULL, prefix TEXT NOT NULL, version INTEGER NOT NULL, fingerprint TEXT NOT NULL,
    xml BLOB NOT NULL, PRIMARY KEY (igsn, prefix)) WITHOUT ROWID;
"""


def open_cache(path: Path, fingerprint: str, *, read_only: bool = False) -> "MetadataCache | None":
    """The cache in ``path``; for a read-only registry the existing cache read as it is (None when absent)."""
    if not read_only:
        return MetadataCache(path, fingerprint)
    if not path.exists():
        return None
    try:
        return MetadataCache(path, fingerprint, read_only=True)
    except sqlite3.Error as exc:
        log.warning("metadata cache %s not readable (%s): documents are computed for every response", path, exc)
        return None


class MetadataCache:
    """The cache database: one connection per thread, writes that never block a response for long.

    ``read_only``: entries are only read (the data folder is not written); ``put`` keeps nothing.
    """

    def __init__(self, path: Path, fingerprint: str, *, read_only: bool = False) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self.read_only = read_only
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            if read_only:
                self._conn().execute("SELECT 1 FROM metadata LIMIT 1").fetchall()
            else:
                self._conn().executescript(_DDL)
        except sqlite3.Error:
            self.close()
            raise

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self.read_only:
                conn = connect_read_only(self.path, timeout=2)
            else:
                conn = sqlite3.connect(self.path, timeout=2, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")  # derived data: a lost write is recomputed
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def get(self, prefixes: Iterable[str], rows: list[Item]) -> dict[tuple[str, str], bytes]:
        """(igsn, prefix) → XML (empty: the sample cannot give the format) for the entries still valid."""
        prefix_list = list(prefixes)
        out: dict[tuple[str, str], bytes] = {}
        conn = self._conn()
        for i in range(0, len(rows), 400):
            chunk = rows[i : i + 400]
            # the wanted (igsn, version) pairs as a table: SQLite checks version and fingerprint itself
            sql = (
                f"WITH wanted(igsn, version) AS (VALUES {', '.join('(?, ?)' for _ in chunk)}) "
                f"SELECT m.igsn, m.prefix, m.xml FROM wanted JOIN metadata m ON m.igsn = wanted.igsn "
                f"AND m.version = wanted.version AND m.fingerprint = ? "
                f"AND m.prefix IN ({','.join('?' * len(prefix_list))})"
            )
            args: list[object] = [v for r in chunk for v in (r.igsn, r.version)]
            for igsn, prefix, xml in conn.execute(sql, [*args, self.fingerprint, *prefix_list]):
                out[(igsn, prefix)] = zlib.decompress(xml) if xml else _UNAVAILABLE
        return out

    def put(self, entries: list[tuple[str, str, int, bytes]]) -> None:
        """Stores (igsn, prefix, version, xml) entries; a busy database only means they are computed again."""
        if not entries or self.read_only:
            return
        rows = [
            (igsn, prefix, version, self.fingerprint, zlib.compress(xml, 1) if xml else _UNAVAILABLE)
            for igsn, prefix, version, xml in entries
        ]
        conn = self._conn()
        try:
            with immediate(conn):
                conn.executemany("INSERT OR REPLACE INTO metadata VALUES (?, ?, ?, ?, ?)", rows)
        except sqlite3.OperationalError as exc:
            log.info("metadata cache not written (%s); entries will be recomputed", exc)

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._connections.clear()
        self._local = threading.local()


class MetadataSource:
    """Serialised metadata of catalogue rows, from the cache or computed (and then cached)."""

    def __init__(self, registry: "Registry", cache: MetadataCache | None) -> None:
        self.registry = registry
        self.cache = cache

    def _compute(self, rows: list[Item], prefixes: list[str]) -> dict[tuple[str, str], bytes]:
        """The formats ``prefixes`` of every row, from the stored version (or the public graph).

        Only what was asked: a cold ListRecords page writes one format, not all four."""
        registry = self.registry
        graphs = index.version_graphs(registry.db.read(), [(r.igsn, r.version) for r in rows])
        out: dict[tuple[str, str], bytes] = {}
        for row in rows:
            kept = graphs.get((row.igsn, row.version))
            # the version's own datestamp (what the writers fall back to without a registration date): a restamp
            # changes the row's, and no document
            if kept is not None:
                triples, datestamp = parse_ntriples(history.decompress(kept[0]).decode("utf-8")), kept[1]
            else:
                triples, datestamp = registry.graph_of(row.igsn), row.datestamp
            facts = graphmap.facts_from_triples(triples, registry.iris, row.igsn, datestamp=datestamp)
            elements = {}
            if facts is not None and facts.active and facts.is_public and facts.has_metadata:
                record = graphmap.record_from_triples(triples, registry.iris, row.igsn)
                elements = write_all(record, facts, registry.iris.base, prefixes)
            for prefix in prefixes:
                el = elements.get(prefix)
                out[(row.igsn, prefix)] = etree.tostring(el, encoding="UTF-8") if el is not None else _UNAVAILABLE
        return out

    def get(self, rows: list[Item], prefixes: Iterable[str] = PREFIXES) -> dict[tuple[str, str], bytes]:
        """(igsn, prefix) → XML bytes of live rows (deleted rows have no metadata); empty = not available."""
        live = [r for r in rows if not r.deleted]
        wanted = [p for p in prefixes if p in FORMATS]
        found = self.cache.get(wanted, live) if self.cache is not None else {}
        missing = [r for r in live if any((r.igsn, p) not in found for p in wanted)]
        if missing:
            computed = self._compute(missing, wanted)
            found.update(computed)
            if self.cache is not None:
                versions = {r.igsn: r.version for r in missing}
                self.cache.put([(igsn, prefix, versions[igsn], xml) for (igsn, prefix), xml in computed.items()])
        return found


def warm(
    registry: "Registry", source: MetadataSource, *, batch: int = 500, progress: Callable[[int], None] | None = None
) -> int:
    """Fills the cache for every live item (e.g. after a bulk load); returns how many items were visited."""
    after: tuple[str, str] | None = None
    seen = 0
    while True:
        rows = index.page(registry.db.read(), SetFilter(), from_=None, until=None, after=after, limit=batch)
        if not rows:
            return seen
        source.get(rows)
        seen += len(rows)
        after = (rows[-1].datestamp, rows[-1].igsn)
        if progress is not None:
            progress(seen)
