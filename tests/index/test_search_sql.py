"""index.search_sql: whichever table drives a search (the text index, a filter's facet rows, the boxes, every
document), it finds exactly the samples every condition holds for, each once, in every sort order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from igsn_graph.index import search, search_sql
from igsn_graph.index.search import SearchQuery
from igsn_graph.registry.service import Registry
from tests.conftest import demo_settings

ROCK = "http://vocabulary.odm2.org/medium/rock"
SEDIMENT = "http://vocabulary.odm2.org/medium/sediment"
OTHER = "http://vocabulary.odm2.org/specimentype/other/"  # the type of two demo samples


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with Registry(demo_settings(tmp_path_factory.mktemp("demo"))) as reg:
        yield reg


def reference(reg: Registry, query: SearchQuery) -> set[str]:
    """The matches computed row by row in Python from the search rows (what every plan must find)."""
    conn = reg.db.read()
    docs = {
        r[0]: (r[1], r[2], r[3]) for r in conn.execute("SELECT doc, igsn, collected_from, collected_to FROM search_doc")
    }
    facets: dict[int, set[tuple[str, str]]] = {}
    for facet, value, doc in conn.execute("SELECT facet, value, doc FROM search_facet"):
        facets.setdefault(doc, set()).add((facet, value))
    boxes = {r[0]: r[1:] for r in conn.execute("SELECT doc, west, east, south, north FROM search_box")}
    found = set(docs)
    if query.q:
        match = search.fts_query(query.q)
        found &= {r[0] for r in conn.execute("SELECT rowid FROM search_text WHERE search_text MATCH ?", (match,))}
    for facet, values in query.filters.items():
        found &= {d for d in found if any((facet, v) in facets.get(d, set()) for v in values)}
    if query.bbox is not None:
        w, e, s, n = query.bbox
        spans = search_sql.box_spans(w, e)

        def overlaps(box: tuple[float, float, float, float]) -> bool:
            west, east, south, north = box
            return south <= n and north >= s and any(west <= hi and east >= lo for lo, hi in spans)

        found &= {d for d in found if d in boxes and overlaps(boxes[d])}
    if query.from_:
        found &= {d for d in found if docs[d][2] is not None and docs[d][2] >= query.from_}
    if query.until:
        found &= {d for d in found if docs[d][1] is not None and docs[d][1] <= query.until}
    return {docs[d][0] for d in found}


def every_page(reg: Registry, query: SearchQuery, sort: str | None) -> list[str]:
    out: list[str] = []
    cursor = None
    while True:
        page = search.search(
            reg.db.read(), SearchQuery(**{**query.__dict__, "sort": sort, "cursor": cursor, "limit": 4})
        )
        out += [h.igsn for h in page.hits]
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


QUERIES = [
    SearchQuery(q="core"),  # the text index drives
    SearchQuery(q="sample", filters={"agent": ["ZGEO"], "material": [ROCK]}),
    SearchQuery(q="sample", bbox=(-180.0, 180.0, -90.0, 90.0), from_="1950-01-01"),
    SearchQuery(q="sample", filters={"agent": ["ZBIO"]}),
    SearchQuery(q="sample", filters={"type": [OTHER]}),  # its two samples drive, the text index is probed
    SearchQuery(q="sample", bbox=(-10.0, 40.0, -60.0, 60.0)),  # the boxes drive when fewer
    SearchQuery(filters={"agent": ["ZSEA"]}),  # a filter's facet rows drive
    SearchQuery(filters={"material": [ROCK, SEDIMENT]}),  # two values of a facet with several per sample: probed
    SearchQuery(filters={"material": [ROCK, SEDIMENT], "agent": ["ZGEO", "ZBIO"]}),
    SearchQuery(filters={"year": ["2001", "2006", "1976"]}, until="2003-12-31"),
    SearchQuery(bbox=(-180.0, 180.0, -90.0, 90.0)),  # the boxes drive
    SearchQuery(bbox=(100.0, -100.0, -90.0, 90.0), filters={"material": [ROCK]}),  # across 180°
    SearchQuery(bbox=(-10.0, 40.0, -60.0, 60.0), filters={"agent": ["ZGEO"]}),
    SearchQuery(from_="1980-01-01", until="2005-12-31"),  # every document drives
]


@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
def test_every_plan_finds_exactly_the_matches_in_every_order(demo: Registry, query: SearchQuery) -> None:
    expected = reference(demo, query)
    assert expected, "a query that finds nothing tests little"
    result = search.search(demo.db.read(), query)
    assert result.total == len(expected) and result.total_exact
    for sort in ["igsn", "date", *(["relevance"] if query.q else [])]:
        found = every_page(demo, query, sort)
        assert len(found) == len(set(found)) and set(found) == expected, sort
        if sort == "igsn":
            assert found == sorted(found)


def test_relevance_pages_follow_the_score_then_the_document(demo: Registry) -> None:
    query = SearchQuery(q="sample")
    scores = []
    cursor = None
    while True:
        page = search.search(demo.db.read(), SearchQuery(q="sample", cursor=cursor, limit=5))
        scores += [h.score for h in page.hits]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(scores) == len(reference(demo, query)) and scores == sorted(scores)  # lower bm25 is better


def test_the_smaller_of_a_filter_and_a_box_drives(demo: Registry) -> None:
    conn = demo.db.read()
    everywhere = search_sql.matches(conn, None, {"agent": ["ZGEO"]}, (-180.0, 180.0, -90.0, 90.0), None, None)
    assert everywhere.table == "search_facet f0"  # 19 samples of the agent, 45 boxes
    nowhere = search_sql.matches(conn, None, {"agent": ["ZGEO"]}, (0.0, 0.001, 0.0, 0.001), None, None)
    assert nowhere.table == "search_box b0"
    basalt = search_sql.matches(conn, '"basalt"', {"agent": ["ZGEO"]}, None, None, None)
    assert basalt.text and basalt.table == "search_text t"  # "basalt": 3 samples, the agent 19
    # a seek in the text index costs ten rows read in order: "sample" (34 samples) drives before an agent's 12,
    # not before a type's 2
    agent = search_sql.matches(conn, '"sample"', {"agent": ["ZBIO"]}, None, None, None)
    assert agent.text and agent.table == "search_text t"
    fewer = search_sql.matches(conn, '"sample"', {"type": [OTHER]}, None, None, None)
    assert fewer.text and fewer.table.startswith("search_facet f0 CROSS JOIN search_text t")
    boxed = search_sql.matches(conn, '"sample"', {}, (0.0, 0.001, 0.0, 0.001), None, None)
    assert boxed.table.startswith("search_box b0 CROSS JOIN search_text t")
    assert search_sql.matches(conn, None, {"material": [ROCK, SEDIMENT]}, None, None, None).table == "search_doc d"
