"""Search and relation query latency (p50 / p99) at 100,000 samples.

    python bench/search.py [N]                 # default 100,000
    python bench/search.py N --postgresql      # the same on SQLite, then on a throwaway PostgreSQL (testkit.postgres)

Builds a registry database with the search rows and relation edges of N synthetic samples
(``demo.generate_samples``) written by the same code the journal uses (``index.search.index_records``),
without the graph store: the queries read only these tables. Adds a 10,000-node tree of parent links.
Then times text, bbox and facet queries and descendants of the tree's root; prints the figures.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from igsn_graph import relations
from igsn_graph.db import Database
from igsn_graph.demo import generate_samples
from igsn_graph.index import search
from igsn_graph.index.catalogue import CatalogueRow
from igsn_graph.record import SampleRecord


def _row(client: str, record: SampleRecord, stamp: str) -> CatalogueRow:
    agent, _, _ = client.partition(".")
    return CatalogueRow(
        record.igsn,
        stamp,
        "active",
        True,
        record.is_public,
        True,
        True,
        agent,
        client,
        record.igsn[:3],
        False,
        False,
        1,
    )


def build(db: Database, n: int) -> list[SampleRecord]:
    start = time.monotonic()
    records: list[SampleRecord] = []
    batch: list[tuple[CatalogueRow, SampleRecord | None]] = []
    for i, s in enumerate(generate_samples(n)):
        batch.append((_row(s.client, s.record, f"2026-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z"), s.record))
        records.append(s.record)
        if len(batch) == 5000:
            with db.write() as conn:
                search.index_records(conn, batch)
            batch = []
    with db.write() as conn:
        search.index_records(conn, batch)
        # a 10,000-node tree below one root: fan-out 10, four generations (1 + 10 + 100 + 1,000 + 8,889)
        nodes, frontier, k = ["ZTREE0"], ["ZTREE0"], 1
        while len(nodes) < 10_001:
            nxt = []
            for parent in frontier:
                for _ in range(10):
                    if len(nodes) >= 10_001:
                        break
                    child = f"ZTREE{k}"
                    k += 1
                    relations.write_edges(
                        conn, child, [relations.Edge(child, "parent", "IsDerivedFrom", "IGSN", parent)], visible=True
                    )
                    nodes.append(child)
                    nxt.append(child)
            frontier = nxt
    took = time.monotonic() - start
    print(f"built {n:,} samples' search rows + a 10,000-node tree in {took:.1f} s ({n / took:,.0f} samples/s)")
    return records


def timed(label: str, runs: list) -> None:  # type: ignore[type-arg]
    times = []
    for fn in runs:
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p50 = statistics.median(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"{label:<44} p50 {p50:8.2f} ms   p99 {p99:8.2f} ms   ({len(times)} queries)")


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite")
        run(Database(Path(tmp) / "registry.sqlite"), n)
    if "--postgresql" in sys.argv:
        from testkit.postgres import PostgresServer

        server = PostgresServer.start()
        try:
            server.template()
            print("PostgreSQL")
            run(Database(server.fresh_database()), n)
        finally:
            server.stop()


def run(db: Database, n: int) -> None:
    rng = random.Random(7)
    if True:
        records = build(db, n)
        conn = db.read()
        words = sorted(
            {
                w.strip(".,;:()").lower()
                for r in rng.sample(records, 2000)
                for w in (r.description or "").split()
                if len(w) > 4 and w.isalpha()
            }
        )
        names = [r.igsn for r in rng.sample(records, 200)]
        q = search.SearchQuery
        print(
            f"{conn.execute('SELECT COUNT(*) FROM search_doc').fetchone()[0]:,} findable samples, "
            f"{conn.execute('SELECT COUNT(*) FROM relation_edge').fetchone()[0]:,} edges"
        )
        one = [lambda w=w: search.search(conn, q(q=w, facets=False)) for w in rng.choices(words, k=200)]
        timed("text, one word, first page (no facets)", one)
        two = [
            lambda a=a, b=b: search.search(conn, q(q=f"{a} {b}"))
            for a, b in zip(rng.choices(words, k=200), rng.choices(words, k=200), strict=False)
        ]
        timed("text, two words, with facet counts", two)
        timed("text, IGSN", [lambda x=x: search.search(conn, q(q=x, facets=False)) for x in names])

        def box() -> tuple[float, float, float, float]:
            w, s = rng.uniform(-180, 170), rng.uniform(-80, 70)
            return w, w + rng.uniform(1, 10), s, s + rng.uniform(1, 10)

        timed(
            "bbox, first page (no facets)",
            [lambda b=box(): search.search(conn, q(bbox=b, facets=False)) for _ in range(200)],
        )
        timed("bbox, with facet counts", [lambda b=box(): search.search(conn, q(bbox=b)) for _ in range(200)])
        materials = [v.value for v in search.search(conn, q(limit=1)).facets["material"]]
        timed("facets: no filter (all samples)", [lambda: search.search(conn, q(limit=20)) for _ in range(20)])
        timed(
            "facets: material filter + counts",
            [lambda m=m: search.search(conn, q(filters={"material": [m]})) for m in rng.choices(materials, k=100)],
        )
        timed(
            "facets: agent + year filter + counts",
            [
                lambda a=a, y=y: search.search(conn, q(filters={"agent": [a], "year": [str(y)]}))
                for a, y in zip(
                    rng.choices(["ZGEO", "ZSEA", "ZBIO"], k=100), rng.choices(range(1960, 2025), k=100), strict=False
                )
            ],
        )
        timed(
            "text + bbox + time range + facets",
            [
                lambda w=w, b=box(): search.search(conn, q(q=w, bbox=b, from_="1990-01-01", until="2020-12-31"))
                for w in rng.choices(words, k=100)
            ],
        )
        timed(
            "descendants of a 10,000-node tree (all)",
            [lambda: relations.descendants(conn, "ZTREE0") for _ in range(20)],
        )
        timed(
            "descendants of a 10,000-node tree, depth 2",
            [lambda: relations.descendants(conn, "ZTREE0", 2) for _ in range(50)],
        )
        timed("ancestors of a leaf of the tree", [lambda: relations.ancestors(conn, "ZTREE9999") for _ in range(200)])
        timed("related (stated + inferred) of a sample", [lambda x=x: relations.related(conn, x) for x in names])
        db.close()


if __name__ == "__main__":
    main()
