"""Search rows: full text (FTS5), boxes (R*Tree) and facet values of every findable sample, and the queries.

The rows live in the registry database and are written in the same SQLite transaction as the
catalogue (``registry.journal``), so a write is acknowledged only when search holds it too;
``index.rebuild`` rebuilds and verifies them from the graph. A sample is *findable* when it is active,
public, has metadata and is no test registration; only findable samples have search rows, and only
the links they state are visible (``relations``). Nothing here scans the graph.

Queries combine a text query (``q``; every term quoted, so no input is an FTS5 syntax error), a
bounding box, a collection-time range and facet filters; they return facet counts over the result and
pages by keyset (an opaque cursor).
"""

from __future__ import annotations

import base64
import json
import math
import re
import sqlite3
import struct
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache

from pyoxigraph import Triple

from .. import relations, text_policy
from ..codelists import CODELISTS, codelist
from ..errors import InvalidInput
from ..formats import graph as graphmap
from ..iris import Iris
from ..record import SampleRecord
from . import search_pg
from .catalogue import CatalogueRow

__all__ = [
    "FACETS",
    "SORTS",
    "FacetCount",
    "Hit",
    "SampleSummary",
    "SearchDocument",
    "SearchQuery",
    "SearchResult",
    "RecordIndex",
    "delete_all",
    "delete_sample",
    "document_of",
    "findable",
    "fts_query",
    "index_records",
    "index_samples",
    "label_of",
    "parse_bbox",
    "record_index",
    "parse_date",
    "search",
    "snapshot",
]

#: facets (and filters) in the order a page shows them
FACETS = ("agent", "client", "namespace", "type", "material", "method", "year")
SORTS = ("relevance", "date", "igsn")
#: FTS columns after ``igsn`` and their bm25 weights: a name or identifier hit counts most
_COLUMNS = ("name", "description", "identifiers", "people", "terms", "places")
_WEIGHTS = (10.0, 8.0, 2.0, 8.0, 3.0, 3.0, 3.0)  # igsn first
MAX_LIMIT = 200
FACET_VALUES = 50


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
    datestamp: str
    box: tuple[float, float, float, float] | None  # west, east, south, north
    text: tuple[str, ...]  # the FTS columns after igsn
    facets: tuple[tuple[str, str], ...]


def _low(value: str | None) -> str | None:
    """The first day a W3CDTF value (year, year-month, date, date-time) covers, as YYYY-MM-DD."""
    if not value or not re.match(r"\d{4}", value):
        return None
    date = value[:10]
    return date + "-01-01"[len(date) - 4 :] if len(date) < 10 else date


def _high(value: str | None) -> str | None:
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
        start = _low(time.start or time.instant or time.end)
        end = _high(time.end or time.instant or time.start)
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
        datestamp=row.datestamp,
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
    for i in range(0, len(names), 500):
        chunk = names[i : i + 500]
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
        "INSERT INTO search_doc (doc, igsn, kind, name, agent, client, namespace, status, datestamp, collected_from, "
        "collected_to, collected_sort) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                d.datestamp,
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
    text = conn.execute(f"SELECT igsn, {', '.join(_COLUMNS)} FROM search_text WHERE rowid = ?", (doc,)).fetchone()
    box = conn.execute("SELECT west, east, south, north FROM search_box WHERE doc = ?", (doc,)).fetchone()
    facets = conn.execute("SELECT facet, value FROM search_facet WHERE doc = ? ORDER BY 1, 2", (doc,)).fetchall()
    return (
        tuple(d)[1:],
        tuple(text) if text else None,
        _rtree_box(tuple(box)) if box else None,
        tuple(tuple(f) for f in facets),
        tuple(tuple(e) for e in edges),
    )


# --- query parameters ----------------------------------------------------------------------------

_TERM = re.compile(r'"([^"]*)"?|(\S+)')


def fts_query(q: str) -> str | None:
    """An FTS5 query from user text: every word or "quoted phrase" becomes a quoted string, all required.

    A trailing ``*`` keeps its meaning (prefix). Operators and punctuation lose theirs, so no input can be an
    FTS5 syntax error. None when nothing searchable is left.
    """
    parts: list[str] = []
    for m in _TERM.finditer(q):
        phrase, word = m.group(1), m.group(2)
        text = phrase if phrase is not None else word
        prefix = word is not None and word.endswith("*")
        text = text.rstrip("*") if prefix else text
        # only characters the tokenizer keeps can match; a term of punctuation only is dropped
        if not any(ch.isalnum() for ch in text):
            continue
        if word is not None and text.upper() in ("AND", "OR", "NOT", "NEAR"):
            continue  # the user's operators are words we cannot honour safely; they are not content
        parts.append('"' + text.replace('"', '""') + '"' + ("*" if prefix else ""))
    return " ".join(parts) or None


def phrase_matches(conn: sqlite3.Connection, text: str) -> set[str]:
    """The IGSNs whose search text holds ``text`` as a phrase (MDS ``/doi`` listing's query)."""
    match = '"' + text.replace('"', '""') + '"'
    if isinstance(conn, sqlite3.Connection):
        return {r[0] for r in conn.execute("SELECT igsn FROM search_text WHERE search_text MATCH ?", (match,))}
    from_sql, args = search_pg.text_from(match)
    return {r[0] for r in conn.execute(f"SELECT d.igsn {from_sql}", args)}


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``west,south,east,north`` in degrees (CRS84) → (west, east, south, north); west > east crosses 180°."""
    parts = text.split(",")
    if len(parts) != 4:
        raise InvalidInput("bbox must be four numbers: west,south,east,north (degrees, CRS84)")
    try:
        w, s, e, n = (float(p) for p in parts)
    except ValueError:
        raise InvalidInput(f"bbox {text!r} holds something that is not a number") from None
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        raise InvalidInput("bbox values must be finite numbers")
    if not (-180 <= w <= 180 and -180 <= e <= 180):
        raise InvalidInput("bbox longitudes must lie in [-180, 180]")
    if not (-90 <= s <= 90 and -90 <= n <= 90):
        raise InvalidInput("bbox latitudes must lie in [-90, 90]")
    if s > n:
        raise InvalidInput("bbox south must not be north of north")
    return w, e, s, n


_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def parse_date(text: str, *, end: bool) -> str:
    """A time-range bound (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) → YYYY-MM-DD, its first or last day."""
    import datetime

    m = _DATE.fullmatch(text.strip())
    if m is None:
        raise InvalidInput(f"{text!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)
    try:
        datetime.date(max(year, 1), month, day)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a calendar date") from None
    bound = (_high if end else _low)(m.group(0))
    assert bound is not None  # a matched date covers a day
    return bound


def _encode_cursor(key: object, igsn: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([key, igsn]).encode("utf-8")).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str, sort: str) -> tuple[object, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key, igsn = json.loads(raw)
    except (ValueError, TypeError):
        raise InvalidInput("cursor is not one this service issued") from None
    ok = isinstance(igsn, str) and (
        (sort == "relevance" and isinstance(key, (int, float)))
        or (sort == "date" and isinstance(key, str))
        or (sort == "igsn" and key is None)
    )
    if not ok:
        raise InvalidInput("cursor does not belong to this sort order")
    return key, igsn


# --- queries ------------------------------------------------------------------------------------


@dataclass
class SearchQuery:
    q: str | None = None
    bbox: tuple[float, float, float, float] | None = None  # west, east, south, north
    from_: str | None = None  # YYYY-MM-DD (collection time overlaps [from_, until])
    until: str | None = None
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str | None = None  # default: relevance with q, else igsn
    limit: int = 20
    cursor: str | None = None
    facets: bool = True


@dataclass(frozen=True)
class Hit(SampleSummary):
    score: float | None


@dataclass(frozen=True)
class FacetCount:
    value: str
    count: int
    label: str | None = None


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetCount]]
    next_cursor: str | None
    sort: str


def _matching(query: SearchQuery, match: str | None, postgres: bool) -> tuple[str, list[object]]:
    """FROM/WHERE of the matching documents (``d``, and ``t`` when there is a text query); ``postgres``: in
    PostgreSQL's form (``search_pg``)."""
    args: list[object] = []
    if match is not None and postgres:
        sql, args = search_pg.text_from(match)
    elif match is not None:
        sql = "FROM search_text t JOIN search_doc d ON d.doc = t.rowid WHERE search_text MATCH ?"
        args.append(match)
    else:
        sql = "FROM search_doc d WHERE 1 = 1"
    if query.bbox is not None:
        w, e, s, n = query.bbox
        spans = [(w, e)] if w <= e else [(w, 180.0), (-180.0, e)]  # across the antimeridian: two boxes
        if postgres:
            box_sql, box_args = search_pg.box_condition(spans, s, n)
            sql += " AND " + box_sql
            args += box_args
        else:
            ors = []
            for lo, hi in spans:
                ors.append("(west <= ? AND east >= ? AND south <= ? AND north >= ?)")
                args += [hi, lo, n, s]
            sql += f" AND d.doc IN (SELECT doc FROM search_box WHERE {' OR '.join(ors)})"
    if query.from_ is not None:
        sql += " AND d.collected_to >= ?"
        args.append(query.from_)
    if query.until is not None:
        sql += " AND d.collected_from <= ?"
        args.append(query.until)
    for facet in FACETS:
        values = query.filters.get(facet)
        if values:
            sql += (
                f" AND d.doc IN (SELECT doc FROM search_facet WHERE facet = ? AND value IN "
                f"({','.join('?' * len(values))}))"
            )
            args += [facet, *values]
    return sql, args


def search(conn: sqlite3.Connection, query: SearchQuery) -> SearchResult:
    """One page of matching samples, the total, facet counts over all matches, and the next cursor."""
    for facet in query.filters:
        if facet not in FACETS:
            raise InvalidInput(f"unknown filter {facet!r}; filters are {', '.join(FACETS)}")
    # the text policy of stored strings (no NUL, noncharacter or surrogate; NFC), so that text is found as stored
    query = replace(
        query,
        q=text_policy.checked(query.q, "q") if query.q else query.q,
        filters={f: [text_policy.checked(v, f) for v in vs] for f, vs in query.filters.items()},
    )
    for name, value in (("sort", query.sort), ("cursor", query.cursor)):
        if value:
            text_policy.checked(value, name)
    if not 1 <= query.limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must lie in 1..{MAX_LIMIT}")
    match = fts_query(query.q) if query.q else None
    if query.q and match is None:
        raise InvalidInput("q holds no searchable word")
    sort = query.sort or ("relevance" if match else "igsn")
    if sort not in SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(SORTS)}")
    if sort == "relevance" and match is None:
        raise InvalidInput("sort=relevance needs a text query q")
    postgres = not isinstance(conn, sqlite3.Connection)
    from_sql, args = _matching(query, match, postgres)
    if query.from_ and query.until and query.from_ > query.until:
        raise InvalidInput("the time range ends before it starts")
    try:
        total = conn.execute(f"SELECT COUNT(*) {from_sql}", args).fetchone()[0]
        hits, next_cursor = _page(conn, query, sort, from_sql, args, postgres)
        facets = _facet_counts(conn, from_sql if _conditions(query, match) else None, args) if query.facets else {}
    except (sqlite3.OperationalError, sqlite3.DatabaseError) as exc:
        # fts_query quotes every term, so this is not expected; still bad input, never a server error
        if "fts5" in str(exc).lower() or "syntax" in str(exc).lower():
            raise InvalidInput(f"text query not understood: {exc}") from None
        raise
    return SearchResult(total, hits, facets, next_cursor, sort)


#: the search_doc columns of a hit's summary, in field order (a hit row is these, then its score)
_HIT_COLUMNS = ", ".join(f"d.{f.name}" for f in fields(SampleSummary))


def _page(
    conn: sqlite3.Connection, query: SearchQuery, sort: str, from_sql: str, args: list[object], postgres: bool
) -> tuple[list[Hit], str | None]:
    after = _decode_cursor(query.cursor, sort) if query.cursor else None
    page_args = list(args)
    if sort == "relevance":
        weights = ", ".join(str(w) for w in _WEIGHTS)
        score = search_pg.SCORE if postgres else f"bm25(search_text, {weights})"
        inner = f"SELECT {_HIT_COLUMNS}, {score} AS score {from_sql}"
        sql = f"SELECT * FROM ({inner}) AS m"
        if after is not None:
            sql += " WHERE (m.score, m.igsn) > (?, ?)"
            page_args += list(after)
        sql += " ORDER BY m.score, m.igsn LIMIT ?"
    elif sort == "date":  # newest collection first; undated samples last
        sql = f"SELECT {_HIT_COLUMNS}, NULL AS score, d.collected_sort AS k {from_sql}"
        if after is not None:
            sql += " AND (d.collected_sort, d.igsn) < (?, ?)"
            page_args += list(after)
        sql += " ORDER BY d.collected_sort DESC, d.igsn DESC LIMIT ?"
    else:
        sql = f"SELECT {_HIT_COLUMNS}, NULL AS score {from_sql}"
        if after is not None:
            sql += " AND d.igsn > ?"
            page_args.append(after[1])
        sql += " ORDER BY d.igsn LIMIT ?"
    page_args.append(query.limit + 1)
    rows = conn.execute(sql, page_args).fetchall()
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    hits = [Hit(*r[:10]) for r in rows]  # _HIT_COLUMNS, then the score
    cursor = None
    if more and rows:
        last = rows[-1]
        key = last[9] if sort == "relevance" else last[10] if sort == "date" else None
        cursor = _encode_cursor(key, last[0])
    return hits, cursor


def _conditions(query: SearchQuery, match: str | None) -> bool:
    return bool(match or query.bbox or query.from_ or query.until or any(query.filters.values()))


def _facet_counts(conn: sqlite3.Connection, from_sql: str | None, args: list[object]) -> dict[str, list[FacetCount]]:
    """Counts per facet value over the matches (``from_sql``), or over every sample (None) from the totals."""
    out: dict[str, list[FacetCount]] = {f: [] for f in FACETS}
    if from_sql is None:
        rows = conn.execute("SELECT facet, value, n FROM search_facet_total WHERE n > 0").fetchall()
    else:
        # one index look-up per matching sample (search_facet_doc), not a scan of every facet row
        rows = conn.execute(
            f"SELECT f.facet, f.value, COUNT(*) AS n FROM (SELECT d.doc AS doc {from_sql}) AS m "
            "JOIN search_facet f ON f.doc = m.doc GROUP BY f.facet, f.value",
            args,
        ).fetchall()
    for facet, value, n in sorted(rows, key=lambda r: (r[0], -r[2], r[1])):
        if len(out[facet]) < FACET_VALUES:
            out[facet].append(FacetCount(value, n, label_of(value)))
    return out
