"""What ``bench/serving.py`` reads from a completed data folder, without writing to it: the requests it draws
(samples, OAI-PMH windows and sets, search queries) at random over the whole set, the folder's size on disk,
what a writable server's start would write, and a fingerprint of the registry's content to show it unchanged.

Every read goes through ``igsn_graph.db.connect_read_only`` (no ``-wal``/``-shm`` files created, nothing written).
"""

from __future__ import annotations

import random
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

from igsn_graph.db import SCHEMA_VERSION, connect_read_only
from igsn_graph.oai.sets import client_spec, namespace_spec

__all__ = [
    "SEARCH_KINDS",
    "Folder",
    "disk_usage",
    "fingerprint",
    "get_record_paths",
    "list_records_paths",
    "search_paths",
    "start_writes",
]

#: samples every surface serves: public, with a description, not test registrations
_SERVED = "is_public = 1 AND has_metadata = 1 AND test = 0"
#: words of descriptions worth searching for (letters only, at least four)
_WORD = re.compile(r"[^\W\d_]{4,}")


@dataclass
class Folder:
    """A data folder opened for reading: the IGSNs every surface serves and the registry's repository id."""

    path: Path
    conn: sqlite3.Connection
    igsns: list[str]
    repository_id: str

    @classmethod
    def open(cls, path: Path) -> "Folder":
        conn = connect_read_only(path / "registry.sqlite")
        igsns = [r[0] for r in conn.execute(f"SELECT igsn FROM catalogue WHERE {_SERVED}")]
        if not igsns:
            raise SystemExit(f"{path}: no public samples to serve")
        row = conn.execute("SELECT value FROM meta WHERE key = 'repository_id'").fetchone()
        return cls(path, conn, igsns, row[0] if row else "")

    def draw(self, rng: random.Random, k: int) -> list[str]:
        """``k`` IGSNs drawn at random over the whole served set (without repeats while the set allows)."""
        return rng.sample(self.igsns, min(k, len(self.igsns)))

    def close(self) -> None:
        self.conn.close()


def get_record_paths(folder: Folder, igsns: list[str]) -> list[str]:
    return [
        "/oai?"
        + urlencode({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": f"oai:{folder.repository_id}:{n}"})
        for n in igsns
    ]


def list_records_paths(folder: Folder, rng: random.Random, igsns: list[str]) -> list[str]:
    """ListRecords (oai_dc) over a window per drawn sample: ``from`` its datestamp, ``until`` the datestamp of
    another drawn sample at or after it (or open), in one of its sets or none. Each window holds at least its
    own sample, so every page is a real one and pages start all over the datestamp index."""
    rows = _rows(folder.conn, igsns)
    stamps = sorted(r[1] for r in rows)
    out = []
    for _, stamp, agent, client, namespace in rows:
        args = {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": stamp}
        until = rng.choice(stamps)
        if until >= stamp:
            args["until"] = until
        spec = rng.choice(
            [None, agent, client_spec(agent, client) if client else None, namespace_spec(namespace)],
        )
        if spec:
            args["set"] = spec
        out.append("/oai?" + urlencode(args))
    return out


#: the kinds of search a row asks (``search_paths``)
SEARCH_KINDS = ("text", "agent", "material", "bbox", "all")


def search_paths(folder: Folder, rng: random.Random, igsns: list[str], kind: str) -> list[str]:
    """/api/v1/search queries of one kind drawn from the data (what a user of the search page asks): a word of a
    drawn sample's description (``text``), its allocating agent, its material, or a box around its location; or
    no condition at all (``all``: the first page of every sample, its total and facet counts)."""
    conn = folder.conn
    ids = [d for (d,) in _in(conn, "SELECT doc FROM search_doc WHERE igsn IN ({})", igsns)]
    queries: list[dict[str, str]] = []
    if kind == "text":
        for (text,) in _in(conn, "SELECT c2 FROM search_text_content WHERE id IN ({})", ids):
            words = _WORD.findall(text or "")
            if words:
                queries.append({"q": rng.choice(words)})
    elif kind in ("agent", "material"):
        sql = f"SELECT value FROM search_facet WHERE facet = '{kind}' AND doc IN ({{}})"
        queries = [{kind: v} for (v,) in _in(conn, sql, ids)]
    elif kind == "bbox":
        for west, east, south, north in _in(
            conn, "SELECT west, east, south, north FROM search_box WHERE doc IN ({})", ids
        ):
            pad = rng.choice([0.1, 1.0, 5.0])
            box = (max(-180.0, west - pad), max(-90.0, south - pad), min(180.0, east + pad), min(90.0, north + pad))
            queries.append({"bbox": ",".join(f"{x:.4f}" for x in box)})
    elif kind == "all":
        queries = [{} for _ in igsns]
    else:
        raise ValueError(f"search kind {kind!r}: one of {', '.join(SEARCH_KINDS)}")
    if not queries:
        raise SystemExit(f"{folder.path}: no {kind} search rows for the drawn samples (run `igsn-graph reindex`)")
    rng.shuffle(queries)
    return ["/api/v1/search" + ("?" + urlencode(q) if q else "") for q in queries]


def _rows(conn: sqlite3.Connection, igsns: list[str]) -> list[tuple[str, str, str, str | None, str]]:
    return _in(conn, "SELECT igsn, datestamp, agent, client, namespace FROM catalogue WHERE igsn IN ({})", igsns)


def _in(conn: sqlite3.Connection, sql: str, keys: list[object] | list[str] | list[int]) -> list[tuple]:  # type: ignore[type-arg]
    """``sql`` with its ``IN ({})`` over ``keys``, in chunks SQLite's variable limit allows."""
    out: list[tuple] = []  # type: ignore[type-arg]
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        out += conn.execute(sql.format(",".join("?" * len(chunk))), chunk).fetchall()
    return out


def start_writes(folder: Path, *, within: timedelta = timedelta(hours=1)) -> list[str]:
    """What a writable server's start (or its background jobs within ``within``) would write beyond two meta
    rows, each as a sentence; empty when none. ``fingerprint`` shows what it did write."""
    conn = connect_read_only(folder / "registry.sqlite")
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        found = []
        if meta.get("schema_version") != str(SCHEMA_VERSION):
            found.append(
                f"schema version {meta.get('schema_version')} (this code: {SCHEMA_VERSION}): the start would migrate "
                "it; run `igsn-graph migrate` on it first"
            )
            return found
        if conn.execute("SELECT COUNT(*) FROM journal").fetchone()[0]:
            found.append("the journal holds interrupted writes: the start would redo them")
        if meta.get("embargo_index") != "1":
            found.append("the embargo table was never filled: the start would fill it")
        soon = (datetime.now(timezone.utc) + within).strftime("%Y-%m-%dT%H:%M:%SZ")
        if (
            "embargo" in tables
            and conn.execute("SELECT COUNT(*) FROM embargo WHERE lifts_at <= ?", (soon,)).fetchone()[0]
        ):
            found.append("embargoes end within the hour: the server would make those samples public")
        if "harvest_source" in tables and conn.execute("SELECT COUNT(*) FROM harvest_source").fetchone()[0]:
            found.append("harvest sources are registered: the server would harvest them")
        return found
    finally:
        conn.close()


def fingerprint(folder: Path) -> dict[str, object]:
    """The registry database's content in a few figures: every meta row, the catalogue's and the versions'
    counts and last ones, the journal's and the accounts' counts. Equal before and after: nothing written."""
    conn = connect_read_only(folder / "registry.sqlite")
    try:
        out: dict[str, object] = {f"meta {k}": v for k, v in conn.execute("SELECT key, value FROM meta")}
        # the catalogue's datestamps are indexed; a version's rowid grows with every one written (its datestamp
        # is not indexed: a scan of every stored document at 1 M)
        for table, last in (("catalogue", "datestamp"), ("versions", "rowid")):
            out[table] = tuple(conn.execute(f"SELECT COUNT(*), MAX({last}) FROM {table}").fetchone())
        for table in ("journal", "agents", "clients", "namespaces"):
            out[table] = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        return out
    finally:
        conn.close()


def disk_usage(folder: Path) -> dict[str, int]:
    """Bytes on disk (allocated blocks, as ``du``) per part of the folder: the graph store, the registry
    database, the resolver's and OAI-PMH's caches, the rest."""
    parts = {"graph": 0, "registry": 0, "representations": 0, "oai-cache": 0, "other": 0}
    for path in folder.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        rel = path.relative_to(folder)
        part = next((p for p in parts if rel.parts[0] == p or rel.name.startswith(p + ".sqlite")), "other")
        parts[part] += path.stat().st_blocks * 512
    return parts
