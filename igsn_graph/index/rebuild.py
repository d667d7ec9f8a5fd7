"""Rebuilds the catalogue, search rows and relation edges from the graph, and compares graph, history and
these indexes (``verify``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from pyoxigraph import Literal, RdfFormat, Store, Triple

from .. import links
from ..db import Database, create_schema
from ..formats import graph as graphmap
from ..iris import Iris
from ..privacy import public_view
from ..store import history
from ..store.base import GraphStore
from ..vocab import IG
from . import catalogue, search
from .catalogue import CatalogueRow

__all__ = ["VerifyReport", "rebuild", "rows_from_graph", "verify"]


def _versions_in_graph(store: GraphStore, iris: Iris, name: str) -> list[int]:
    """The version numbers recorded by the sample's PROV activities, each once, in order."""
    found = [
        int(t.object.value)
        for t in store.graph(iris.provenance_graph(name))
        if t.predicate == IG.versionNumber and isinstance(t.object, Literal)
    ]
    return sorted(found)


def _samples(store: GraphStore, iris: Iris) -> Iterator[tuple[CatalogueRow | None, str, list[Triple]]]:
    """Per sample graph: its catalogue row (None without readable registry facts), name and triples."""
    prefix = iris.record_graph("").value
    for g in store.graphs_with_prefix(prefix):
        name = g.value[len(prefix) :]
        triples = store.graph(g)
        facts = graphmap.facts_from_triples(triples, iris, name)
        if facts is None:
            yield None, name, triples
            continue
        yield catalogue.row_from_facts(facts, max(_versions_in_graph(store, iris, name), default=0)), name, triples


def rows_from_graph(store: GraphStore, iris: Iris) -> Iterator[tuple[CatalogueRow | None, str]]:
    """One catalogue row per sample graph (None when the graph holds no readable registry facts)."""
    for row, name, _ in _samples(store, iris):
        yield row, name


def _full_graph(conn: sqlite3.Connection, row: CatalogueRow, public: list[Triple]) -> list[Triple]:
    """The whole record graph: the public graph, or for a hidden sample its latest history version."""
    if not row.deleted or not row.has_metadata:
        return public
    latest = history.latest_version(conn, row.igsn)
    return _canonical_triples(latest.graph_ntriples) if latest is not None else public


def _canonical_triples(ntriples: str) -> list[Triple]:
    """Triples as the store keeps them (it canonicalises typed literals, e.g. "1.50" → "1.5")."""
    mem = Store()
    if ntriples:
        mem.load(input=ntriples.encode("utf-8"), format=RdfFormat.N_TRIPLES)
    return [q.triple for q in mem]


def rebuild(
    db: Database, store: GraphStore, iris: Iris, *, derived: Sequence[Callable[[sqlite3.Connection, Iris], object]]
) -> int:
    """Replaces the catalogue, search rows and relation edges with rows derived from the graph (and, for private
    samples, their latest history version), then ``derived`` rebuilds the tables that follow from those rows
    (the registry's embargoes: ``registry.datadir.rebuild_indexes``); returns the sample count. One
    transaction, streamed."""
    count, last = 0, None
    with db.write() as conn:
        catalogue.delete_all(conn)
        search.delete_all(conn)
        for row, _, triples in _samples(store, iris):
            if row is None:
                continue
            count += 1
            last = row.datestamp if last is None or row.datestamp > last else last
            catalogue.upsert(conn, [row])
            search.index_samples(conn, iris, [(row, _full_graph(conn, row, triples))])
        for rebuild_table in derived:  # from the rows and history just written
            rebuild_table(conn, iris)
        if last is not None:
            prev = conn.execute("SELECT value FROM meta WHERE key = 'last_datestamp'").fetchone()
            if prev is None or prev[0] < last:
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('last_datestamp', ?)", (last,))
    return count


@dataclass
class VerifyReport:
    samples: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(db: Database, store: GraphStore, iris: Iris, *, limit: int = 100) -> VerifyReport:
    """Checks that graph, history and index agree, sample by sample.

    Graph and latest history version are compared without ``ig:datestamp``: a datestamp is not a version (a
    restamp gives new datestamps to graph and index, and writes no history version; ``registry.restamp``)."""
    report = VerifyReport()
    conn = db.read()
    pending = conn.execute("SELECT COUNT(*) FROM journal").fetchone()[0]
    if pending:
        report.problems.append(f"{pending} interrupted write(s) in the journal (repaired when the registry opens)")
    indexed = {r.igsn: r for r in catalogue.all_rows(conn)}
    seen: set[str] = set()
    # the search rows and edges each sample should have are written to a scratch database and compared
    scratch = sqlite3.connect(":memory:")
    create_schema(scratch)
    scratch.row_factory = sqlite3.Row
    prefixes = [r[0] for r in conn.execute("SELECT prefix FROM doi_prefixes")]  # for the link check, read once
    for row, name, triples in _samples(store, iris):
        report.samples += 1
        seen.add(name)
        if len(report.problems) >= limit:
            break
        if row is None:
            report.problems.append(f"{name}: graph holds no registry facts")
            continue
        got = indexed.get(name)
        if got is None:
            report.problems.append(f"{name}: in the graph but not in the index")
        elif got != row:
            diff = [k for k in row.__dataclass_fields__ if getattr(row, k) != getattr(got, k)]
            report.problems.append(
                f"{name}: index differs from graph in {', '.join(diff)} "
                f"(index {[getattr(got, k) for k in diff]}, graph {[getattr(row, k) for k in diff]})"
            )
        search.index_samples(scratch, iris, [(row, _full_graph(conn, row, triples))])
        if search.snapshot(conn, name) != search.snapshot(scratch, name):
            report.problems.append(f"{name}: search rows or relation edges differ from the graph")
        search.delete_all(scratch)
        latest = history.latest_version(conn, name)
        if latest is None:
            report.problems.append(f"{name}: no history")
            continue
        if latest.version != row.version:
            report.problems.append(f"{name}: history is at version {latest.version}, graph at {row.version}")
        kept = [v.version for v in history.versions_of(conn, name)]
        recorded = _versions_in_graph(store, iris, name)
        if kept != recorded:
            report.problems.append(
                f"{name}: history keeps versions {kept[:10]}, the provenance graph records {recorded[:10]}"
            )
        if row.has_metadata and not row.deleted:
            record = graphmap.record_from_triples(triples, iris, name)
            if (
                links.resolve(record, history.submitted_format(conn, name), doi_prefixes=prefixes, iri_base=iris.base)
                != record
            ):
                report.problems.append(
                    f"{name}: names IGSNs that are not linked to their samples "
                    "(stored before the current link rules: run `igsn-graph reindex`)"
                )
        # without ig:datestamp: a restamp changes it in the graph (and index) but writes no history version
        current = {str(t) for t in store.graph(iris.record_graph(name)) if t.predicate != IG.datestamp}
        stored = {
            str(t)
            for t in public_view(_canonical_triples(latest.graph_ntriples), iris, name)
            if t.predicate != IG.datestamp
        }
        if current != stored:
            report.problems.append(
                f"{name}: graph differs from the latest history version "
                f"({len(current - stored)} triples only in graph, {len(stored - current)} only in history)"
            )
    for name in indexed.keys() - seen:
        if len(report.problems) >= limit:
            break
        report.problems.append(f"{name}: in the index but has no graph")
    for (name,) in conn.execute("SELECT igsn FROM search_doc UNION SELECT DISTINCT source FROM relation_edge"):
        if len(report.problems) >= limit:
            break
        if name not in seen:
            report.problems.append(f"{name}: in the search index but has no graph")
    scratch.close()
    counted = set(conn.execute("SELECT facet, value, COUNT(*) FROM search_facet GROUP BY facet, value").fetchall())
    totals = set(conn.execute("SELECT facet, value, n FROM search_facet_total WHERE n > 0").fetchall())
    if {tuple(r) for r in counted} != {tuple(r) for r in totals}:
        report.problems.append("search facet totals differ from the facet rows")
    return report
