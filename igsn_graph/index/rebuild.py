"""Rebuilds the catalogue index from the graph, and compares graph, history and index (``verify``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from pyoxigraph import Literal, RdfFormat, Store, Triple

from ..formats import graph as graphmap
from ..iris import Iris
from ..privacy import public_view
from ..registry.database import Database
from ..store import history
from ..store.base import GraphStore
from ..vocab import IG
from . import catalogue
from .catalogue import CatalogueRow

__all__ = ["rebuild", "verify", "VerifyReport", "rows_from_graph"]


def _versions_in_graph(store: GraphStore, iris: Iris, name: str) -> list[int]:
    """The version numbers recorded by the sample's PROV activities, each once, in order."""
    found = [int(t.object.value) for t in store.graph(iris.provenance_graph(name))
             if t.predicate == IG.versionNumber and isinstance(t.object, Literal)]
    return sorted(found)


def rows_from_graph(store: GraphStore, iris: Iris) -> Iterator[tuple[CatalogueRow | None, str]]:
    """One catalogue row per sample graph (None when the graph holds no readable registry facts)."""
    prefix = iris.record_graph("").value
    for g in store.graphs_with_prefix(prefix):
        name = g.value[len(prefix):]
        facts = graphmap.facts_from_triples(store.graph(g), iris, name)
        if facts is None:
            yield None, name
            continue
        yield catalogue.row_from_facts(facts, max(_versions_in_graph(store, iris, name), default=0)), name


def _canonical_triples(ntriples: str) -> list[Triple]:
    """Triples as the store keeps them (it canonicalises typed literals, e.g. "1.50" → "1.5")."""
    mem = Store()
    if ntriples:
        mem.load(input=ntriples.encode("utf-8"), format=RdfFormat.N_TRIPLES)
    return [q.triple for q in mem]


def rebuild(db: Database, store: GraphStore, iris: Iris) -> int:
    """Replaces the catalogue with rows derived from the graph; returns the row count."""
    rows = [r for r, _ in rows_from_graph(store, iris) if r is not None]
    last = max((r.datestamp for r in rows), default=None)
    with db.write() as conn:
        catalogue.delete_all(conn)
        catalogue.upsert(conn, rows)
        if last is not None:
            prev = conn.execute("SELECT value FROM meta WHERE key = 'last_datestamp'").fetchone()
            if prev is None or prev[0] < last:
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('last_datestamp', ?)", (last,))
    return len(rows)


@dataclass
class VerifyReport:
    samples: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(db: Database, store: GraphStore, iris: Iris, *, limit: int = 100) -> VerifyReport:
    """Checks that graph, history and index agree, sample by sample."""
    report = VerifyReport()
    conn = db.read()
    pending = conn.execute("SELECT COUNT(*) FROM journal").fetchone()[0]
    if pending:
        report.problems.append(f"{pending} interrupted write(s) in the journal (repaired when the registry opens)")
    indexed = {r.igsn: r for r in catalogue.all_rows(conn)}
    seen: set[str] = set()
    for row, name in rows_from_graph(store, iris):
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
            report.problems.append(f"{name}: index differs from graph in {', '.join(diff)} "
                                   f"(index {[getattr(got, k) for k in diff]}, graph {[getattr(row, k) for k in diff]})")
        latest = history.latest_version(conn, name)
        if latest is None:
            report.problems.append(f"{name}: no history")
            continue
        if latest.version != row.version:
            report.problems.append(f"{name}: history is at version {latest.version}, graph at {row.version}")
        kept = [v.version for v in history.versions_of(conn, name)]
        recorded = _versions_in_graph(store, iris, name)
        if kept != recorded:
            report.problems.append(f"{name}: history keeps versions {kept[:10]}, the provenance graph records "
                                   f"{recorded[:10]}")
        current = {str(t) for t in store.graph(iris.record_graph(name))}
        stored = {str(t) for t in public_view(_canonical_triples(latest.graph_ntriples), iris, name)}
        if current != stored:
            report.problems.append(f"{name}: graph differs from the latest history version "
                                   f"({len(current - stored)} triples only in graph, {len(stored - current)} only in history)")
    for name in indexed.keys() - seen:
        if len(report.problems) >= limit:
            break
        report.problems.append(f"{name}: in the index but has no graph")
    return report
