"""Search on PostgreSQL: the SQL that replaces SQLite's FTS5 ``MATCH``/``bm25`` and R*Tree lookups.

The text columns are those of FTS5's ``search_text``; a stored generated ``tsvector`` (``schema.SPECIAL``: the
``simple`` configuration over accent-folded text, weighted A for the IGSN, name and identifiers, B for people,
terms and places, C for the description) has a GIN index. A query keeps ``index.search``'s semantics: every term
and "phrase" required (``&&``), a phrase's words adjacent (``phraseto_tsquery``), a trailing ``*`` a prefix
(``:*``); relevance is ``ts_rank`` negated, so that lower is better as with ``bm25`` and the keyset cursor is the
same. Boxes are matched with the GiST index on ``box(point(west, south), point(east, north))``.
"""

from __future__ import annotations

import re

from .search_params import FACETS
from .search_sql import box_spans

__all__ = ["box_condition", "matching", "text_from", "text_terms"]

_TERM = re.compile(r'"((?:[^"]|"")*)"(\*?)')
_WORD = re.compile(r"\w+")


def text_terms(match: str) -> tuple[str, list[object]]:
    """The tsquery of an ``index.search.fts_query`` string (quoted terms, all required) and its arguments."""
    parts: list[str] = []
    args: list[object] = []
    for m in _TERM.finditer(match):
        text, prefix = m.group(1).replace('""', '"'), bool(m.group(2))
        if prefix:
            words = _WORD.findall(text)
            if not words:
                continue
            last = words[-1].replace("'", "''").lower()
            prefix_query = "to_tsquery('simple', unaccent_text(?))"
            if len(words) > 1:
                parts.append(f"(phraseto_tsquery('simple', unaccent_text(?)) <-> {prefix_query})")
                args += [" ".join(words[:-1]), f"'{last}':*"]
            else:
                parts.append(prefix_query)
                args.append(f"'{last}':*")
        else:
            parts.append("phraseto_tsquery('simple', unaccent_text(?))")
            args.append(text)
    return " && ".join(parts) or "''::tsquery", args


def text_from(match: str) -> tuple[str, list[object]]:
    """FROM/WHERE of the documents matching ``match`` (``t``, ``d``, and ``qq.q`` the query for ranking)."""
    terms, args = text_terms(match)
    sql = (
        f"FROM search_text t JOIN search_doc d ON d.doc = t.rowid CROSS JOIN (SELECT {terms} AS q) AS qq "
        "WHERE t.document @@ qq.q"
    )
    return sql, args


#: the relevance of a row of ``text_from``: lower is better, as with FTS5's bm25
SCORE = "(-ts_rank(t.document, qq.q))::float8"


def box_condition(spans: list[tuple[float, float]], south: float, north: float) -> tuple[str, list[object]]:
    """``doc IN`` the boxes overlapping any of the longitude spans between ``south`` and ``north``."""
    ors: list[str] = []
    args: list[object] = []
    for lo, hi in spans:
        ors.append("box(point(west, south), point(east, north)) && box(point(?, ?), point(?, ?))")
        args += [lo, south, hi, north]
    return f"d.doc IN (SELECT doc FROM search_box WHERE {' OR '.join(ors)})", args


def matching(
    match: str | None,
    filters: dict[str, list[str]],
    bbox: tuple[float, float, float, float] | None,
    from_: str | None,
    until: str | None,
) -> tuple[str, list[object]]:
    """FROM/WHERE of the matching documents (``d``, and ``t`` when there is a text query)."""
    args: list[object] = []
    if match is not None:
        sql, args = text_from(match)
    else:
        sql = "FROM search_doc d WHERE 1 = 1"
    if bbox is not None:
        w, e, s, n = bbox
        box_sql, box_args = box_condition(box_spans(w, e), s, n)
        sql += " AND " + box_sql
        args += box_args
    if from_ is not None:
        sql += " AND d.collected_to >= ?"
        args.append(from_)
    if until is not None:
        sql += " AND d.collected_from <= ?"
        args.append(until)
    for facet in FACETS:
        values = filters.get(facet)
        if values:
            marks = ",".join("?" * len(values))
            sql += f" AND d.doc IN (SELECT doc FROM search_facet WHERE facet = ? AND value IN ({marks}))"
            args += [facet, *values]
    return sql, args
