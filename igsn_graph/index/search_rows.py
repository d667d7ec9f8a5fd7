"""Search rows: full text (FTS5), boxes (R*Tree) and facet values of every findable sample, and how they are written.

The rows live in the registry database and are written in the same SQLite transaction as the
catalogue (``registry.journal``), so a write is acknowledged only when search holds it too;
``index.rebuild`` rebuilds and verifies them from the graph. A sample is *findable* when it is active,
public, has metadata and is no test registration; only findable samples have search rows, and only
the links they state are visible (``relations``). Nothing here scans the graph. The queries over these rows:
``index.search``.
"""

from __future__ import annotations

import re
import sqlite3
import struct
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from pyoxigraph import Triple

from .. import relations
from ..batching import batched
from ..codelists import CODELISTS, codelist
from ..formats import graph as graphmap
from ..iris import Iris
from ..record import SampleRecord
from .catalogue import CatalogueRow

__all__ = [
    "COLUMNS",
    "RecordIndex",
    "SampleSummary",
    "SearchDocument",
    "delete_all",
    "delete_sample",
    "document_of",
    "first_day",
    "findable",
    "index_records",
    "index_samples",
    "label_of",
    "last_day",
    "record_index",
    "snapshot",
]

#: FTS columns after ``igsn``
COLUMNS = ("name", "description", "identifiers", "people", "terms", "places")


def findable(row: CatalogueRow) -> bool:
    """Whether the public may find the sample: active, public, described, not a test registration."""
    return row.active and row.is_public and row.has_metadata and not row.test


@lru_cache(maxsize=1)
def _labels() -> dict[str, str]:
    out: dict[str, str] = {}
    for name in CODELISTS:
        for term in codelist(name).terms:
            out.setdefault(term.iri, term.label)
    return out


def label_of(value: str) -> str | None:
    """The code-list label of a vocabulary IRI, or None."""
    return _labels().get(value)


# --- documents ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleSummary:
    """What search keeps of a findable sample and returns for it (the row a search document and a hit share)."""

    igsn: str
    kind: str
    name: str | None
    agent: str
    client: str | None
    namespace: str
    status: str
    collected_from: str | None
    collected_to: str | None


@dataclass(frozen=True)
class SearchDocument(SampleSummary):
    box: tuple[float, float, float, float] | None  # west, east, south, north
    text: tuple[str, ...]  # the FTS columns after igsn
    facets: tuple[tuple[str, str], ...]


def first_day(value: str | None) -> str | None:
    """The first day a W3CDTF value (year, year-month, date, date-time) covers, as YYYY-MM-DD."""
    if not value or not re.match(r"\d{4}", value):
        return None
    date = value[:10]
    return date + "-01-01"[len(date) - 4 :] if len(date) < 10 else date


def last_day(value: str | None) -> str | None:
    """The last day it covers (months end at 31 for comparison's sake: no day sorts after it)."""
    if not value or not re.match(r"\d{4}", value):
        return None
    date = value[:10]
    return date + "-12-31"[len(date) - 4 :] if len(date) < 10 else date


@dataclass(frozen=True)
class RecordIndex:
    """What search and the relation table keep of a description, from the record alone (no catalogue row): made
    where the record is read (``registry.derivation``), so the writer only adds the row's facts."""

    kind: str
    name: str | None
    collected_from: str | None
    collected_to: str | None
    box: tuple[float, float, float, float] | None
    text: tuple[str, ...]
    #: the record's own facets (type, material, method, year); the row adds agent, client and namespace
    facets: tuple[tuple[str, str], ...]
    #: (source, kind, relation, target type, target) of every link it states (``relations.edges_of``)
    edges: tuple[tuple[str, str, str, str, str], ...]


def record_index(record: SampleRecord) -> RecordIndex:
    """The search and relation rows of a description, but for its catalogue row's part."""
    time = record.collection_time
    start = end = None
    if time is not None:
        start = first_day(time.start or time.instant or time.end)
        end = last_day(time.end or time.instant or time.start)
    box = None
    for g in record.geometries:
        summary = graphmap.wkt_summary(g.wkt, g.srid)
        if summary is None or summary[1] is None:
            continue
        w, e, s, n = (float(v) for v in summary[1])
        box = (w, e, s, n) if box is None else (min(box[0], w), max(box[1], e), min(box[2], s), max(box[3], n))

    def names(values: Iterable[str | None]) -> str:
        return "\n".join(v for v in values if v)

    def labelled(values: Iterable[str]) -> list[str]:
        return [label_of(v) or v.rsplit("/", 1)[-1] for v in values]

    people = [a.name for a in record.collectors] + [c.agent.name for c in record.contributors]
    people += [c.curator for c in record.curations if c.curator]
    people += [c.institution.name for c in record.curations if c.institution is not None]
    if record.registrant is not None:
        people.append(record.registrant.name)
    idents = [record.igsn, f"10273/{record.igsn}", record.doi] + [i.value for i in record.alternate_identifiers]
    methods = [record.collection_method] if record.collection_method else []
    terms = (
        labelled(record.resource_types + record.materials + methods)
        + [record.kind]
        + [c.label for c in record.classifications]
        + record.alternate_materials
        + record.alternate_resource_types
    )
    text = (
        record.name or "",
        names([record.description, record.comments, record.purpose, record.campaign, record.method_description]),
        names(idents),
        names(dict.fromkeys(people)),
        names(terms),
        names([p.name for p in record.places] + [f.name for f in record.sampled_features]),
    )
    facets = {("type", v) for v in record.resource_types}
    facets |= {("material", v) for v in record.materials}
    facets |= {("method", v) for v in methods}
    if start:
        facets.add(("year", start[:4]))
    edges = tuple((e.source, e.kind, e.relation, e.target_type, e.target) for e in relations.edges_of(record))
    return RecordIndex(record.kind, record.name, start, end, box, text, tuple(sorted(facets)), edges)


def document_of(row: CatalogueRow, record: SampleRecord | RecordIndex) -> SearchDocument:
    """The search row of a findable sample from its catalogue row and its description (or what search keeps of
    it, ``record_index``)."""
    got = record if isinstance(record, RecordIndex) else record_index(record)
    facets = {("agent", row.agent), ("namespace", row.namespace), *got.facets}
    if row.client:
        facets.add(("client", row.client))
    return SearchDocument(
        igsn=row.igsn,
        kind=got.kind,
        name=got.name,
        agent=row.agent,
        client=row.client,
        namespace=row.namespace,
        status=row.status,
        collected_from=got.collected_from,
        collected_to=got.collected_to,
        box=got.box,
        text=got.text,
        facets=tuple(sorted(facets)),
    )


# --- writes (inside the caller's transaction) ----------------------------------------------------


def delete_sample(conn: sqlite3.Connection, igsn: str) -> None:
    found = conn.execute("SELECT doc FROM search_doc WHERE igsn = ?", (igsn,)).fetchone()
    if found is None:
        return
    doc = found[0]
    conn.execute("DELETE FROM search_text WHERE rowid = ?", (doc,))
    conn.execute("DELETE FROM search_box WHERE doc = ?", (doc,))
    conn.execute(
        "UPDATE search_facet_total SET n = n - 1 WHERE (facet, value) IN "
        "(SELECT facet, value FROM search_facet WHERE doc = ?)",
        (doc,),
    )
    conn.execute("DELETE FROM search_facet_total WHERE n <= 0")
    conn.execute("DELETE FROM search_facet WHERE doc = ?", (doc,))
    conn.execute("DELETE FROM search_doc WHERE doc = ?", (doc,))


def index_samples(
    conn: sqlite3.Connection,
    iris: Iris,
    samples: Sequence[tuple[CatalogueRow, Sequence[Triple]]],
    records: Sequence[SampleRecord | RecordIndex | None] | None = None,
) -> None:
    """Replaces the search rows and relation edges of each sample from its catalogue row and full graph.

    The graph is the whole record graph (as kept in history): private samples' edges are kept, invisible,
    for the registration rules. Several states of one sample: the last wins. ``records``: the record each graph
    was made from (or its ``record_index``), where the caller has it (a write; None where not), so it is not read
    back from the graph.
    """
    given = list(records) if records is not None else [None] * len(samples)
    index_records(
        conn,
        [
            (row, None if not row.has_metadata else record or graphmap.record_from_triples(graph, iris, row.igsn))
            for (row, graph), record in zip(samples, given, strict=True)
        ],
    )


def index_records(
    conn: sqlite3.Connection, samples: Sequence[tuple[CatalogueRow, SampleRecord | RecordIndex | None]]
) -> None:
    """``index_samples`` from records already read (None: no metadata).

    In bulk: one look-up of the samples indexed already (only those are deleted first), then one statement per
    table for the whole batch (a bulk load of new samples deletes nothing).
    """
    latest = {row.igsn: (row, record) for row, record in samples}  # the last state of each sample wins
    names = list(latest)
    for chunk in batched(names, 500):  # within SQLite's bound on parameters
        marks = ", ".join("?" * len(chunk))
        for (name,) in conn.execute(f"SELECT igsn FROM search_doc WHERE igsn IN ({marks})", chunk).fetchall():
            delete_sample(conn, name)
    conn.executemany("DELETE FROM relation_edge WHERE source = ?", [(name,) for name in names])
    edges: list[tuple[str, str, str, str, str, int]] = []
    documents: list[SearchDocument] = []
    for row, record in latest.values():
        if record is None or not row.has_metadata:
            continue
        show = findable(row)
        got = record if isinstance(record, RecordIndex) else record_index(record)
        edges += [(*e, int(show)) for e in got.edges]
        if show:
            documents.append(document_of(row, got))
    conn.executemany("INSERT OR IGNORE INTO relation_edge VALUES (?, ?, ?, ?, ?, ?)", edges)
    _write_documents(conn, documents)


def _write_documents(conn: sqlite3.Connection, documents: list[SearchDocument]) -> None:
    """The rows of documents not indexed yet: numbered after the highest ``doc`` (as SQLite numbers a row
    inserted without one), one statement per table."""
    if not documents:
        return
    first: int = conn.execute("SELECT COALESCE(MAX(doc), 0) + 1 FROM search_doc").fetchone()[0]
    numbered = list(enumerate(documents, first))
    conn.executemany(
        "INSERT INTO search_doc (doc, igsn, kind, name, agent, client, namespace, status, collected_from, "
        "collected_to, collected_sort) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                doc,
                d.igsn,
                d.kind,
                d.name,
                d.agent,
                d.client,
                d.namespace,
                d.status,
                d.collected_from,
                d.collected_to,
                d.collected_from or "",
            )
            for doc, d in numbered
        ],
    )
    conn.executemany(
        "INSERT INTO search_text (rowid, igsn, name, description, identifiers, people, terms, places) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(doc, d.igsn, *d.text) for doc, d in numbered],
    )
    conn.executemany(
        "INSERT INTO search_box VALUES (?, ?, ?, ?, ?)", [(doc, *d.box) for doc, d in numbered if d.box is not None]
    )
    conn.executemany(
        "INSERT INTO search_facet VALUES (?, ?, ?)", [(f, v, doc) for doc, d in numbered for f, v in d.facets]
    )
    # totals over every findable sample: the counts of a search without conditions, read without a scan
    totals = Counter(facet for d in documents for facet in d.facets)
    conn.executemany(
        "INSERT INTO search_facet_total VALUES (?, ?, ?) "
        "ON CONFLICT (facet, value) DO UPDATE SET n = search_facet_total.n + excluded.n",
        [(f, v, n) for (f, v), n in totals.items()],
    )


def delete_all(conn: sqlite3.Connection) -> None:
    for table in ("search_text", "search_box", "search_facet", "search_facet_total", "search_doc", "relation_edge"):
        conn.execute(f"DELETE FROM {table}")


def _f32(x: float) -> float:
    value: float = struct.unpack("<f", struct.pack("<f", x))[0]
    return value


def _float32(x: float, down: bool) -> float:
    """``x`` as SQLite's R*Tree keeps it: a 32-bit float, nudged outwards (down for west/south, up for
    east/north) the way rtree.c's ``rtreeValueDown``/``rtreeValueUp`` do, by a factor of 1 ± 2^-23."""
    towards, away = 1.0 - 1.0 / 8388608.0, 1.0 + 1.0 / 8388608.0
    f = _f32(x)
    if down and f > x:
        return _f32(x * (away if x < 0 else towards))
    if not down and f < x:
        return _f32(x * (towards if x < 0 else away))
    return f


def _rtree_box(box: tuple[float, ...]) -> tuple[float, ...]:
    """A box (west, east, south, north) in the precision of SQLite's R*Tree, so that PostgreSQL's exact boxes and
    SQLite's compare equal (verify compares the two when the registry is on PostgreSQL)."""
    w, e, s, n = box
    return (_float32(w, True), _float32(e, False), _float32(s, True), _float32(n, False))


def snapshot(conn: sqlite3.Connection, igsn: str) -> tuple[object, ...]:
    """Everything search and relations hold about a sample, comparable across databases (for verify)."""
    d = conn.execute("SELECT * FROM search_doc WHERE igsn = ?", (igsn,)).fetchone()
    edges = conn.execute(
        "SELECT kind, relation, target_type, target, visible FROM relation_edge WHERE source = ? ORDER BY 1, 2, 3, 4",
        (igsn,),
    ).fetchall()
    if d is None:
        return (None, tuple(tuple(e) for e in edges))
    doc = d["doc"]
    text = conn.execute(f"SELECT igsn, {', '.join(COLUMNS)} FROM search_text WHERE rowid = ?", (doc,)).fetchone()
    box = conn.execute("SELECT west, east, south, north FROM search_box WHERE doc = ?", (doc,)).fetchone()
    facets = conn.execute("SELECT facet, value FROM search_facet WHERE doc = ? ORDER BY 1, 2", (doc,)).fetchall()
    return (
        tuple(d)[1:],
        tuple(text) if text else None,
        _rtree_box(tuple(box)) if box else None,
        tuple(tuple(f) for f in facets),
        tuple(tuple(e) for e in edges),
    )
