"""index.search: rows follow every write (crash-safe, rebuilt and verified from the graph), text queries can
never be FTS5 syntax errors, relevance basics, keyset pages, filters, and facet counts equal to SPARQL counts."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from igsn_graph.db import create_schema
from igsn_graph.errors import InvalidInput
from igsn_graph.index import search
from igsn_graph.index.rebuild import verify
from igsn_graph.index.search import SearchQuery
from igsn_graph.record import Geometry, SampleRecord, TimeSpan
from igsn_graph.registry.accounts import ADMIN
from igsn_graph.registry.datadir import rebuild_indexes
from igsn_graph.registry.service import Registry, Submission
from igsn_graph.settings import Settings
from tests.conftest import demo_settings

IG = "https://w3id.org/igsn-graph/ontology#"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with Registry(demo_settings(tmp_path_factory.mktemp("demo"))) as reg:
        yield reg


def run(reg: Registry, **kw: object) -> search.SearchResult:
    return search.search(reg.db.read(), SearchQuery(**kw))  # type: ignore[arg-type]


def all_pages(reg: Registry, **kw: object) -> list[str]:
    out: list[str] = []
    cursor = None
    while True:
        page = run(reg, cursor=cursor, limit=7, **kw)
        out += [h.igsn for h in page.hits]
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


NASTY = [
    '"',
    '""',
    "'",
    "(",
    ")",
    "*",
    "-",
    "^",
    ":",
    "AND",
    "OR NOT",
    "NEAR(a b)",
    'a"b',
    "col:word",
    "a OR",
    "{name}: x",
    "word*",
    "*word",
    "NOT basalt",
    "a AND (b OR",
    "\x00",
    "𝔘nicode ✓",
    "a+b-c",
    "'; DROP TABLE x",
]


@pytest.mark.parametrize("text", NASTY)
def test_no_text_query_is_an_fts_syntax_error(text: str) -> None:
    conn = sqlite3.connect(":memory:")
    create_schema(conn)
    conn.execute("INSERT INTO search_text (rowid, igsn, name) VALUES (1, 'ZX1', 'basalt word a b')")
    match = search.fts_query(text)
    if match is None:
        with pytest.raises(InvalidInput):
            search.search(conn, SearchQuery(q=text))
    else:
        conn.execute("SELECT rowid FROM search_text WHERE search_text MATCH ?", (match,)).fetchall()
        search.search(conn, SearchQuery(q=text))


@pytest.mark.parametrize(
    "bbox", ["1,2,3", "a,b,c,d", "0,0,200,10", "0,80,10,70", "0,-91,1,1", "nan,0,1,1", "inf,0,1,1", "1,2,3,4,5", ""]
)
def test_malformed_boxes_are_refused(bbox: str) -> None:
    with pytest.raises(InvalidInput):
        search.parse_bbox(bbox)


def test_boxes_and_dates_parse() -> None:
    assert search.parse_bbox("170,-10,-170,10") == (170.0, -170.0, -10.0, 10.0)  # across the antimeridian
    assert search.parse_date("1987", end=False) == "1987-01-01"
    assert search.parse_date("1987-05", end=True) == "1987-05-31"
    for bad in ("87", "1987-13", "1987-02-30", "1987/01/01", "yesterday"):
        with pytest.raises(InvalidInput):
            search.parse_date(bad, end=False)


def test_facet_counts_equal_sparql_counts(demo: Registry) -> None:
    facets = run(demo, limit=1).facets
    patterns = {
        "material": f"?s <{IG}material> ?v",
        "type": "?s <http://purl.org/dc/terms/type> ?v",
        "method": "?s <http://www.w3.org/ns/sosa/isResultOf>/<http://www.w3.org/ns/sosa/usedProcedure> ?v",
        "agent": f"?s <{IG}allocatingAgent>/<{IG}symbol> ?v",
        "client": f"?s <{IG}registeredBy>/<{IG}symbol> ?v",
        "namespace": f"?s <{IG}inNamespace>/<{IG}symbol> ?v",
    }
    for facet, pattern in patterns.items():
        query = (
            f"SELECT ?v (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {pattern} . ?s <{IG}active> true ; "
            f"<{IG}isPublic> true ; <{IG}hasMetadata> true }} GROUP BY ?v"
        )
        expected = {
            str(r["v"].value): int(r["n"].value) for r in demo.store.query(query, use_default_graph_as_union=True)
        }  # type: ignore[attr-defined]
        assert expected, facet
        assert {c.value: c.count for c in facets[facet]} == expected, facet
    # and with a filter, over the filtered set
    rock = next(c for c in facets["material"] if c.label == "Rock")
    narrowed = run(demo, filters={"material": [rock.value]})
    assert narrowed.total == rock.count
    assert sum(c.count for c in narrowed.facets["agent"]) == rock.count


def test_private_and_inactive_samples_are_not_found(demo: Registry) -> None:
    conn = demo.db.read()
    findable = {
        r[0]
        for r in conn.execute(
            "SELECT igsn FROM catalogue WHERE active = 1 AND is_public = 1 AND has_metadata = 1 AND test = 0"
        )
    }
    private = {r[0] for r in conn.execute("SELECT igsn FROM catalogue WHERE is_public = 0")}
    assert private  # the demo has a private campaign
    assert set(all_pages(demo)) == findable


def test_keyset_pages_cover_every_match_once(demo: Registry) -> None:
    everything = all_pages(demo)
    assert everything == sorted(everything) and len(everything) == run(demo).total
    by_date = all_pages(demo, sort="date")
    assert sorted(by_date) == sorted(everything) and len(set(by_date)) == len(by_date)
    dated = [h for h in run(demo, sort="date", limit=200).hits if h.collected_from]
    assert [h.collected_from for h in dated] == sorted((h.collected_from for h in dated), reverse=True)
    relevant = all_pages(demo, q="core")
    assert len(relevant) == run(demo, q="core").total == len(set(relevant)) > 7
    with pytest.raises(InvalidInput):
        run(demo, sort="date", cursor=run(demo, limit=1).next_cursor)  # a cursor of another order


@pytest.mark.both_databases
def test_relevance_basics(registry: Registry) -> None:
    registry.register(
        ADMIN,
        [
            Submission(SampleRecord("ZTA-REL1", name="Olivine basalt", description="A rock from the ridge."), "test"),
            Submission(
                SampleRecord("ZTA-REL2", name="Grey rock", description="Contains olivine crystals in basalt glass."),
                "test",
            ),
            Submission(SampleRecord("ZTA-REL3", name="Granite", description="Coarse granite."), "test"),
        ],
    )
    got = run(registry, q="olivine")
    assert [h.igsn for h in got.hits] == ["ZTA-REL1", "ZTA-REL2"]  # a name hit ranks above a description hit
    assert got.hits[0].score < got.hits[1].score  # bm25: lower is better
    assert run(registry, q="olivine basalt").hits[0].igsn == "ZTA-REL1"
    assert {h.igsn for h in run(registry, q="oliv*").hits} == {"ZTA-REL1", "ZTA-REL2"}
    assert [h.igsn for h in run(registry, q='"basalt glass"').hits] == ["ZTA-REL2"]
    assert [h.igsn for h in run(registry, q="zta-rel3").hits] == ["ZTA-REL3"]  # the IGSN, any case
    assert [h.igsn for h in run(registry, q="10273/ZTA-REL3").hits] == ["ZTA-REL3"]
    assert run(registry, q="olivine granite").total == 0  # every word is required


@pytest.mark.both_databases
def test_bbox_and_time_filters(registry: Registry) -> None:
    def located(igsn: str, wkt: str, when: str | None) -> Submission:
        return Submission(
            SampleRecord(
                igsn,
                name=igsn,
                geometries=[Geometry(wkt, srid="4326")],
                collection_time=TimeSpan(instant=when) if when else None,
            ),
            "test",
        )

    registry.register(
        ADMIN,
        [
            located("ZTA-BX1", "POINT(10 50)", "1999-06"),
            located("ZTA-BX2", "POINT(179.5 0)", "2005"),
            located("ZTA-BX3", "POLYGON((-5 -5, 5 -5, 5 5, -5 5, -5 -5))", "2005-03-04"),
            located("ZTA-BX4", "POINT(-179.5 1)", None),
        ],
    )

    def names(**kw: object) -> set[str]:
        return {h.igsn for h in run(registry, **kw).hits}

    assert names(bbox=search.parse_bbox("9,49,11,51")) == {"ZTA-BX1"}
    assert names(bbox=search.parse_bbox("4,4,6,6")) == {"ZTA-BX3"}  # boxes that overlap
    assert names(bbox=search.parse_bbox("179,-2,-179,2")) == {"ZTA-BX2", "ZTA-BX4"}  # across 180°
    assert names(from_="2005-01-01", until="2005-12-31") == {"ZTA-BX2", "ZTA-BX3"}
    assert names(from_="1999-06-15", until="1999-06-15") == {"ZTA-BX1"}  # June 1999 covers the day
    assert names(filters={"year": ["2005"]}) == {"ZTA-BX2", "ZTA-BX3"}
    assert names(bbox=search.parse_bbox("-10,-10,10,60"), from_="2000-01-01") == {"ZTA-BX3"}


def test_bbox_reads_each_geometry_in_its_crs(registry: Registry) -> None:
    """Issue 12: EPSG:4326 named inside the WKT is latitude first, so <…/EPSG/0/4326> POINT(-25.27 28.20) lies at
    28.20 E, 25.27 S; plain WKT and an srid beside it are longitude first; GA's SRID=8311 (GDA94 lon/lat) too.
    Bounds in the index and in SPARQL are longitude/latitude."""

    def located(igsn: str, wkt: str, srid: str | None = None) -> Submission:
        return Submission(SampleRecord(igsn, name=igsn, geometries=[Geometry(wkt, srid=srid)]), "test")

    registry.register(
        ADMIN,
        [
            located("ZTA-CRS1", "<http://www.opengis.net/def/crs/EPSG/0/4326> POINT(-25.27 28.20)"),
            located("ZTA-CRS2", "POINT(-25.27 28.20)"),  # the same numbers in CRS84: another place
            located("ZTA-CRS3", "POINT(28.20 -25.27)", srid="4326"),  # the first place, as kernels write it
            located("ZTA-CRS4", "POINTZ(137.6284422 -34.2186182 103)", srid="8311"),
        ],
    )

    def names(bbox: str) -> set[str]:
        return {h.igsn for h in run(registry, bbox=search.parse_bbox(bbox)).hits}

    assert names("28,-26,29,-25") == {"ZTA-CRS1", "ZTA-CRS3"}
    assert names("-26,28,-25,29") == {"ZTA-CRS2"}
    assert names("137,-35,138,-34") == {"ZTA-CRS4"}
    rows = registry.store.query(  # type: ignore[attr-defined]
        f"SELECT ?w ?s WHERE {{ GRAPH ?g {{ <{registry.iris.sample('ZTA-CRS1').value}#geometry-1> "
        f"<{IG}westBound> ?w ; <{IG}southBound> ?s }} }}"
    )
    assert [(float(r["w"].value), float(r["s"].value)) for r in rows] == [(28.20, -25.27)]


def test_rows_follow_updates_deactivation_and_privacy(registry: Registry) -> None:
    registry.register(ADMIN, [Submission(SampleRecord("ZTA-W1", name="Komatiite flow"), "test")])
    assert run(registry, q="komatiite").total == 1
    registry.register(ADMIN, [Submission(SampleRecord("ZTA-W1", name="Dolerite dyke"), "test")])
    assert run(registry, q="komatiite").total == 0 and run(registry, q="dolerite").total == 1
    registry.deactivate(ADMIN, "ZTA-W1")
    assert run(registry, q="dolerite").total == 0
    registry.reactivate(ADMIN, "ZTA-W1")
    assert run(registry, q="dolerite").total == 1
    registry.register(ADMIN, [Submission(SampleRecord("ZTA-W1", name="Dolerite dyke", is_public=False), "test")])
    assert run(registry, q="dolerite").total == 0
    assert run(registry).facets["agent"] == [] or all(c.count >= 0 for c in run(registry).facets["agent"])
    assert verify(registry.db, registry.store, registry.iris).ok


@pytest.mark.both_databases
def test_verify_finds_and_reindex_repairs_search_rows(registry: Registry) -> None:
    registry.register(
        ADMIN,
        [
            Submission(SampleRecord("ZTA-V1", name="Chert nodule"), "test"),
            Submission(SampleRecord("ZTA-V2", name="Chert band", parents=["ZTA-V1"]), "test"),
            Submission(SampleRecord("ZTA-V3", name="Hidden", is_public=False, parents=["ZTA-V1"]), "test"),
        ],
    )
    assert verify(registry.db, registry.store, registry.iris).ok
    with registry.db.write() as conn:
        conn.execute("DELETE FROM search_text WHERE igsn = 'ZTA-V1'")
        conn.execute("DELETE FROM relation_edge WHERE source = 'ZTA-V3'")
        conn.execute("UPDATE search_facet_total SET n = n + 1")
    report = verify(registry.db, registry.store, registry.iris)
    assert {p.split(":")[0] for p in report.problems} >= {"ZTA-V1", "ZTA-V3"}
    assert any("totals" in p for p in report.problems)
    rebuild_indexes(registry.db, registry.store, registry.iris)
    assert verify(registry.db, registry.store, registry.iris).ok
    assert run(registry, q="chert").total == 2
    # the private sample's parent link survived the rebuild (from history), invisible but known
    conn = registry.db.read()
    assert [tuple(r) for r in conn.execute("SELECT visible FROM relation_edge WHERE source = 'ZTA-V3'")] == [(0,)]


@pytest.mark.slow
def test_a_write_killed_after_the_graph_is_searchable_after_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {
        **os.environ,
        "IGSN_GRAPH_DATA": str(data),
        "IGSN_GRAPH_BATCH_SIZE": "40",
        "IGSN_GRAPH_CRASH_AT": "after-graph",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "igsn_graph.cli", "demo", "--size", "80"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    with Registry(Settings(data_dir=data)) as reg:
        assert reg.repaired == 40
        conn = reg.db.read()
        findable = conn.execute("SELECT COUNT(*) FROM catalogue WHERE active = 1 AND is_public = 1").fetchone()[0]
        assert findable > 0 and run(reg).total == findable
        assert verify(reg.db, reg.store, reg.iris).ok
