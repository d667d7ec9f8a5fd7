"""index.search_counts: facet counts are exact up to the bound and, above it, over a bounded part of the matches with
the result saying so; the total is exact from the running totals or counted up to its bound ("more than")."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from igsn_graph.index import search
from igsn_graph.index.search import Bounds, SearchQuery
from igsn_graph.registry.service import Registry
from tests.conftest import demo_settings

WIDE = Bounds(total=10_000, facets=10_000)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with Registry(demo_settings(tmp_path_factory.mktemp("demo"))) as reg:
        yield reg


def run(reg: Registry, bounds: Bounds = WIDE, **kw: object) -> search.SearchResult:
    return search.search(reg.db.read(), SearchQuery(**kw), bounds)  # type: ignore[arg-type]


def every_match(reg: Registry, **kw: object) -> list[str]:
    out: list[str] = []
    cursor = None
    while True:
        page = run(reg, cursor=cursor, limit=200, facets=False, **kw)
        out += [h.igsn for h in page.hits]
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


def counted_by_hand(reg: Registry, igsns: list[str]) -> dict[str, Counter[str]]:
    """Facet counts over these samples, read row by row (the reference)."""
    conn = reg.db.read()
    out: dict[str, Counter[str]] = {f: Counter() for f in search.FACETS}
    for igsn in igsns:
        rows = conn.execute(
            "SELECT f.facet, f.value FROM search_facet f JOIN search_doc d ON d.doc = f.doc WHERE d.igsn = ?", (igsn,)
        ).fetchall()
        for facet, value in rows:
            out[facet][value] += 1
    return out


def as_counters(result: search.SearchResult) -> dict[str, Counter[str]]:
    return {f: Counter({c.value: c.count for c in counts}) for f, counts in result.facets.items()}


@pytest.mark.parametrize(
    "kw", [{"q": "core"}, {"q": "sample", "filters": {"agent": ["ZGEO"]}}, {"bbox": (-180, 180, -90, 90)}]
)
def test_facets_are_exact_up_to_the_bound(demo: Registry, kw: dict[str, object]) -> None:
    matches = every_match(demo, **kw)
    assert 3 < len(matches) <= 45
    for bounds in (WIDE, Bounds(total=len(matches), facets=len(matches))):  # at the bound itself: still exact
        result = run(demo, bounds, **kw)
        assert result.total == len(matches) and result.total_exact
        assert result.facets_counted == len(matches)
        assert as_counters(result) == counted_by_hand(demo, matches)


def test_above_the_bound_facets_count_the_first_matches_and_say_so(demo: Registry) -> None:
    matches = every_match(demo, q="sample")
    assert len(matches) > 12
    result = run(demo, Bounds(total=100, facets=6), q="sample")
    assert result.total == len(matches) and result.total_exact  # the total itself is within its bound
    assert result.facets_counted == 6
    counts = as_counters(result)
    assert sum(counts["agent"].values()) == 6  # every sample has one agent: six samples were counted
    # the counted samples are matches, and their counts are theirs: each value at most its count over every match
    exact = counted_by_hand(demo, matches)
    for facet, counter in counts.items():
        assert all(n <= exact[facet][value] for value, n in counter.items()), facet


def test_above_the_total_bound_the_total_is_a_lower_bound(demo: Registry) -> None:
    matches = every_match(demo, q="sample")
    result = run(demo, Bounds(total=10, facets=4), q="sample")
    assert len(matches) > 10
    assert (result.total, result.total_exact, result.facets_counted) == (10, False, 4)
    # the page itself is not bounded: every match is still found, page by page
    assert len(every_match(demo, q="sample")) == len(matches)


def test_totals_are_exact_whatever_the_bound_where_the_running_totals_hold_them(demo: Registry) -> None:
    tight = Bounds(total=2, facets=1)
    everything = run(demo, tight)
    assert (everything.total, everything.total_exact) == (45, True)
    assert everything.facets_counted == 45  # no condition: the running totals are every sample's counts
    assert sum(c.count for c in everything.facets["agent"]) == 45
    one_agent = run(demo, tight, filters={"agent": ["ZGEO"]})
    assert (one_agent.total, one_agent.total_exact, one_agent.facets_counted) == (19, True, 1)
    assert len(every_match(demo, filters={"agent": ["ZGEO"]})) == 19
    nobody = run(demo, tight, filters={"agent": ["NOBODY"]})
    assert (nobody.total, nobody.total_exact, nobody.hits) == (0, True, [])
    # two values of a facet are counted (a sample may have two materials): bounded
    two = run(demo, tight, filters={"agent": ["ZGEO", "ZSEA"]})
    assert (two.total, two.total_exact) == (2, False)


def test_no_facets_asked_none_counted(demo: Registry) -> None:
    result = run(demo, q="core", facets=False)
    assert result.facets == {} and result.facets_counted == 0 and result.total == 19


def test_bounds_must_nest() -> None:
    with pytest.raises(ValueError):
        Bounds(total=5, facets=6)
    with pytest.raises(ValueError):
        Bounds(total=5, facets=0)
