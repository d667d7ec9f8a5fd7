"""How many samples a search matches, and its facet counts: exact where that is cheap, else over a bounded part
of the matches, and then the answer says so.

Exact and free: a search without conditions, or with one filter value and nothing else, is read from the running
totals (``search_facet_total``; every findable sample has exactly one ``agent`` row). Otherwise the matches are
counted up to ``Bounds.total`` (more: the total is "more than" that, ``exact`` False), and the facet values are
counted over every match when there are at most ``Bounds.facets``, else over the first ``Bounds.facets`` matches
the driving index gives (``search_sql``), and the result says over how many (``counted``). The defaults are
measured at 1,000,000 samples (README, "Search and relations"): counting facet values costs about 4 µs per match
(about seven index rows each), so 5,000 matches take about 20 ms; counting matches 0.05–0.5 µs each (100,000: 5 ms
for a word, 17 ms for a box).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ..settings import Settings
from .search_params import FACETS
from .search_rows import label_of

__all__ = ["FACET_VALUES", "Bounds", "Counts", "FacetCount", "facet_counts", "total_from_totals"]

#: values shown per facet, most frequent first
FACET_VALUES = 50


@dataclass(frozen=True)
class Bounds:
    #: matches counted at most; more: the total says "more than" this
    total: int = 100_000
    #: facet values are counted over every match up to this many, else over the first this many
    facets: int = 5_000

    @classmethod
    def of(cls, settings: Settings) -> Bounds:
        """The bounds a registry's settings give (``search_total_bound``, ``search_facet_bound``)."""
        return cls(total=settings.search_total_bound, facets=settings.search_facet_bound)

    def __post_init__(self) -> None:
        if not 1 <= self.facets <= self.total:
            raise ValueError(f"search bounds: 1 <= facets ({self.facets}) <= total ({self.total}) does not hold")


@dataclass(frozen=True)
class FacetCount:
    value: str
    count: int
    label: str | None = None


@dataclass(frozen=True)
class Counts:
    #: the number of matches; when not ``exact``, more than this many match
    total: int
    exact: bool
    facets: dict[str, list[FacetCount]]
    #: the number of matches the facet counts are over (``total`` when they are exact; 0: none asked)
    counted: int


def total_from_totals(conn: sqlite3.Connection, filters: dict[str, list[str]], other_conditions: bool) -> int | None:
    """The exact number of matches from the running totals, where they hold it: no condition at all, or one filter
    with one value and nothing else. None otherwise."""
    asked = [(f, vs) for f, vs in filters.items() if vs]
    if other_conditions or len(asked) > 1:
        return None
    if not asked:
        row = conn.execute("SELECT COALESCE(SUM(n), 0) FROM search_facet_total WHERE facet = 'agent'").fetchone()
        return int(row[0])
    facet, values = asked[0]
    if len(values) != 1:
        return None
    row = conn.execute("SELECT n FROM search_facet_total WHERE facet = ? AND value = ?", (facet, values[0])).fetchone()
    return int(row[0]) if row else 0


def bounded_total(conn: sqlite3.Connection, ids_sql: str, args: list[object], bound: int) -> tuple[int, bool]:
    """The number of matches (``ids_sql``, its document numbers) counted up to ``bound``: (n, exact)."""
    n: int = conn.execute(f"SELECT COUNT(*) FROM ({ids_sql} LIMIT ?) AS m", [*args, bound + 1]).fetchone()[0]
    return (bound, False) if n > bound else (n, True)


def facet_counts(conn: sqlite3.Connection, ids_sql: str | None, args: list[object]) -> dict[str, list[FacetCount]]:
    """Counts per facet value over the documents of ``ids_sql`` (its ``doc`` column), or over every sample (None)
    from the running totals."""
    out: dict[str, list[FacetCount]] = {f: [] for f in FACETS}
    if ids_sql is None:
        rows = conn.execute("SELECT facet, value, n FROM search_facet_total WHERE n > 0").fetchall()
    else:
        # one index look-up per document (search_facet_doc), not a scan of every facet row: SQLite's CROSS JOIN
        # keeps the documents outside once the planner flattens their query into this one (PostgreSQL's takes no ON)
        join = "CROSS JOIN" if isinstance(conn, sqlite3.Connection) else "JOIN"
        rows = conn.execute(
            f"SELECT f.facet, f.value, COUNT(*) AS n FROM ({ids_sql}) AS m "
            f"{join} search_facet f ON f.doc = m.doc GROUP BY f.facet, f.value",
            args,
        ).fetchall()
    for facet, value, n in sorted(rows, key=lambda r: (r[0], -r[2], r[1])):
        if len(out[facet]) < FACET_VALUES:
            out[facet].append(FacetCount(value, n, label_of(value)))
    return out
