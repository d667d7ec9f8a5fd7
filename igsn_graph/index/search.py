"""Search queries over the search rows (``search_rows``): a text query (``q``; every term quoted, so no input is an
FTS5 syntax error), a bounding box, a collection-time range and facet filters; one page by keyset (an opaque
cursor), the number of matches and the facet counts (``search_counts``: exact where cheap, else bounded and said so).

On SQLite one table drives each query and the other conditions are probed per row (``search_sql``); on
PostgreSQL the same conditions are written in its form (``search_pg``). The public names of ``search_rows`` and
``search_params`` are re-exported here, where their users import them.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, fields, replace

from .. import text_policy
from ..errors import InvalidInput
from . import search_pg, search_sql
from .search_counts import FACET_VALUES, Bounds, Counts, FacetCount, bounded_total, facet_counts, total_from_totals
from .search_params import (
    FACETS,
    MAX_LIMIT,
    SORTS,
    decode_cursor,
    encode_cursor,
    fts_query,
    parse_bbox,
    parse_date,
)
from .search_rows import (
    RecordIndex,
    SampleSummary,
    SearchDocument,
    delete_all,
    delete_sample,
    document_of,
    findable,
    index_records,
    index_samples,
    label_of,
    record_index,
    snapshot,
)

__all__ = [
    "FACETS",
    "FACET_VALUES",
    "MAX_LIMIT",
    "SORTS",
    "Bounds",
    "FacetCount",
    "Hit",
    "RecordIndex",
    "SampleSummary",
    "SearchDocument",
    "SearchQuery",
    "SearchResult",
    "delete_all",
    "delete_sample",
    "document_of",
    "findable",
    "fts_query",
    "index_records",
    "index_samples",
    "label_of",
    "parse_bbox",
    "parse_date",
    "phrase_matches",
    "record_index",
    "search",
    "snapshot",
]

#: bm25 weights of the FTS columns, igsn first: a name or identifier hit counts most
_WEIGHTS = (10.0, 8.0, 2.0, 8.0, 3.0, 3.0, 3.0)


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


@dataclass
class SearchResult:
    #: the number of matches; when not ``total_exact``, more than this many match (``search_counts.Bounds``)
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetCount]]
    next_cursor: str | None
    sort: str
    total_exact: bool = True
    #: the number of matches the facet counts are over: ``total`` when they are exact, else the first ones found
    facets_counted: int = 0


def phrase_matches(conn: sqlite3.Connection, text: str) -> set[str]:
    """The IGSNs whose search text holds ``text`` as a phrase (MDS ``/doi`` listing's query)."""
    match = '"' + text.replace('"', '""') + '"'
    if isinstance(conn, sqlite3.Connection):
        return {r[0] for r in conn.execute("SELECT igsn FROM search_text WHERE search_text MATCH ?", (match,))}
    from_sql, args = search_pg.text_from(match)
    return {r[0] for r in conn.execute(f"SELECT d.igsn {from_sql}", args)}


def _checked(query: SearchQuery) -> tuple[SearchQuery, str | None, str]:
    """The query under the text policy, its FTS5 query and its sort order; InvalidInput for anything malformed."""
    for facet in query.filters:
        if facet not in FACETS:
            raise InvalidInput(f"unknown filter {facet!r}; filters are {', '.join(FACETS)}")
    # the text policy of stored strings (no NUL, noncharacter or surrogate; NFC), so that text is found as stored
    query = replace(
        query,
        q=text_policy.checked(query.q, "q") if query.q else query.q,
        filters={f: [text_policy.checked(v, f) for v in vs] for f, vs in query.filters.items() if vs},
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
    if query.from_ and query.until and query.from_ > query.until:
        raise InvalidInput("the time range ends before it starts")
    return query, match, sort


def search(conn: sqlite3.Connection, query: SearchQuery, bounds: Bounds | None = None) -> SearchResult:
    """One page of matching samples, the number of matches and facet counts (within ``bounds``), the next cursor."""
    query, match, sort = _checked(query)
    try:
        if isinstance(conn, sqlite3.Connection):
            plan = search_sql.matches(conn, match, query.filters, query.bbox, query.from_, query.until)
            ids = plan.ids()
            if sort == "relevance":
                hits, next_cursor = _ranked_page(conn, query, plan)
            else:
                hits, next_cursor = _page(conn, query, sort, plan.joined(), list(plan.args))
        else:
            from_sql, args = search_pg.matching(match, query.filters, query.bbox, query.from_, query.until)
            ids = (f"SELECT d.doc AS doc {from_sql}", args)
            hits, next_cursor = _page(conn, query, sort, from_sql, args, postgres=True)
        counts = _counts(conn, query, match, ids, bounds or Bounds())
    except (sqlite3.OperationalError, sqlite3.DatabaseError) as exc:
        # fts_query quotes every term, so this is not expected; still bad input, never a server error
        if "fts5" in str(exc).lower() or "syntax" in str(exc).lower():
            raise InvalidInput(f"text query not understood: {exc}") from None
        raise
    return SearchResult(counts.total, hits, counts.facets, next_cursor, sort, counts.exact, counts.counted)


def _counts(
    conn: sqlite3.Connection, query: SearchQuery, match: str | None, ids: tuple[str, list[object]], bounds: Bounds
) -> Counts:
    ids_sql, args = ids
    others = bool(match or query.bbox or query.from_ or query.until)
    known = total_from_totals(conn, query.filters, others)
    total, exact = (known, True) if known is not None else bounded_total(conn, ids_sql, args, bounds.total)
    if not query.facets:
        return Counts(total, exact, {}, 0)
    if not others and not query.filters:  # every sample: the running totals
        return Counts(total, exact, facet_counts(conn, None, []), total)
    if exact and total <= bounds.facets:
        return Counts(total, exact, facet_counts(conn, ids_sql, args), total)
    return Counts(total, exact, facet_counts(conn, f"{ids_sql} LIMIT ?", [*args, bounds.facets]), bounds.facets)


#: the search_doc columns of a hit's summary, in field order (a hit row is these, then its score)
_HIT_COLUMNS = ", ".join(f"d.{f.name}" for f in fields(SampleSummary))
_SUMMARY = len(fields(SampleSummary))


def _ranked_page(
    conn: sqlite3.Connection, query: SearchQuery, plan: search_sql.Matches
) -> tuple[list[Hit], str | None]:
    """A page in relevance order (SQLite): the text index ranks the matches alone (bm25, ties by document number),
    then the page's few documents are read."""
    weights = ", ".join(str(w) for w in _WEIGHTS)
    sql = (
        f"SELECT * FROM (SELECT {plan.doc} AS doc, bm25(search_text, {weights}) AS score "
        f"FROM {plan.table} WHERE {plan.where()}) AS m"
    )
    args = list(plan.args)
    if query.cursor:
        sql += " WHERE (m.score, m.doc) > (?, ?)"
        args += list(decode_cursor(query.cursor, "relevance"))
    ranked = conn.execute(sql + " ORDER BY m.score, m.doc LIMIT ?", [*args, query.limit + 1]).fetchall()
    more = len(ranked) > query.limit
    ranked = ranked[: query.limit]
    docs = [r[0] for r in ranked]
    marks = ",".join("?" * len(docs))
    rows = conn.execute(f"SELECT d.doc, {_HIT_COLUMNS} FROM search_doc d WHERE d.doc IN ({marks})", docs).fetchall()
    summary = {r[0]: r for r in rows}
    hits = [Hit(*[*summary[doc][1:], score]) for doc, score in ranked if doc in summary]
    cursor = encode_cursor(ranked[-1][1], ranked[-1][0]) if more and ranked else None
    return hits, cursor


def _page(
    conn: sqlite3.Connection, query: SearchQuery, sort: str, from_sql: str, args: list[object], postgres: bool = False
) -> tuple[list[Hit], str | None]:
    """A page of the matches ``from_sql`` (with ``d``, the document rows), in ``sort`` order (relevance: PostgreSQL
    only, ``search_pg.SCORE``)."""
    after = decode_cursor(query.cursor, sort) if query.cursor else None
    page_args = list(args)
    if sort == "relevance":
        assert postgres, "SQLite ranks in _ranked_page"
        inner = f"SELECT {_HIT_COLUMNS}, {search_pg.SCORE} AS score, d.doc AS k {from_sql}"
        sql = f"SELECT * FROM ({inner}) AS m"
        if after is not None:
            sql += " WHERE (m.score, m.k) > (?, ?)"
            page_args += list(after)
        sql += " ORDER BY m.score, m.k LIMIT ?"
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
    hits = [Hit(*r[: _SUMMARY + 1]) for r in rows]  # _HIT_COLUMNS, then the score
    cursor = None
    if more and rows:
        last = rows[-1]
        if sort == "relevance":
            cursor = encode_cursor(last[_SUMMARY], last[_SUMMARY + 1])
        else:
            cursor = encode_cursor(last[_SUMMARY + 1] if sort == "date" else None, last[0])
    return hits, cursor
