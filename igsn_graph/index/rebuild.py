"""Rebuilds the catalogue, search rows and relation edges from the graph, and compares graph, history and
these indexes (``verify``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from pyoxigraph import Literal, RdfFormat, Store, Triple, parse

from .. import links
from ..batching import batched
from ..db import Database, create_schema
from ..formats import graph as graphmap
from ..iris import Iris
from ..privacy import public_view
from ..record import SampleRecord
from ..store import history
from ..store.base import GraphStore
from ..vocab import IG
from . import catalogue, search
from .catalogue import CatalogueRow

__all__ = ["VerifyReport", "rebuild", "verify"]


def _versions_in_graph(store: GraphStore, iris: Iris, name: str) -> list[int]:
    """The version numbers recorded by the sample's PROV activities, each once, in order."""
    found = [
        int(t.object.value)
        for t in store.graph(iris.provenance_graph(name))
        if t.predicate == IG.versionNumber and isinstance(t.object, Literal)
    ]
    return sorted(found)


#: the datestamp of a sample at a version: the graph does not hold it (the catalogue row does)
Datestamps = Callable[[str, int, list[Triple]], str]


def _samples(
    store: GraphStore, iris: Iris, datestamps: Datestamps
) -> Iterator[tuple[CatalogueRow | None, str, list[Triple]]]:
    """Per sample graph: its catalogue row (None without readable registry facts), name and triples."""
    prefix = iris.record_graph("").value
    for g in store.graphs_with_prefix(prefix):
        name = g.value[len(prefix) :]
        triples = store.graph(g)
        version = max(_versions_in_graph(store, iris, name), default=0)
        facts = graphmap.facts_from_triples(triples, iris, name, datestamp=datestamps(name, version, triples))
        if facts is None:
            yield None, name, triples
            continue
        yield catalogue.row_from_facts(facts, version), name, triples


def _legacy_datestamp(triples: list[Triple]) -> str:
    """The ``ig:datestamp`` a graph written before the datestamp left it still holds ("" when none)."""
    return max(
        (t.object.value for t in triples if t.predicate == IG.datestamp and isinstance(t.object, Literal)), default=""
    )


def _kept_datestamps(conn: sqlite3.Connection) -> Datestamps:
    """Datestamps for rebuilt rows, never earlier than the ones issued: the catalogue row's at the same version
    (a restamp changed it and wrote no version), the latest history version's, a graph's from before; the
    latest of these. The catalogue's are copied aside first (a temporary table: it is about to be replaced)."""
    # (SQL both dialects take: a temporary table lives as long as the writer's connection, or session)
    conn.execute("DROP TABLE IF EXISTS rebuild_datestamp")
    conn.execute("CREATE TEMP TABLE rebuild_datestamp (igsn TEXT PRIMARY KEY, version INTEGER, datestamp TEXT)")
    conn.execute("INSERT INTO rebuild_datestamp SELECT igsn, version, datestamp FROM catalogue")

    def datestamp(name: str, version: int, triples: list[Triple]) -> str:
        found = [_legacy_datestamp(triples)]
        row = conn.execute("SELECT version, datestamp FROM rebuild_datestamp WHERE igsn = ?", (name,)).fetchone()
        if row is not None and row[0] == version:
            found.append(row[1])
        latest = conn.execute(
            "SELECT datestamp FROM versions WHERE igsn = ? ORDER BY version DESC LIMIT 1", (name,)
        ).fetchone()
        if latest is not None:
            found.append(latest[0])
        return max(found)

    return datestamp


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
        datestamps = _kept_datestamps(conn)
        catalogue.delete_all(conn)
        search.delete_all(conn)
        for row, _, triples in _samples(store, iris, datestamps):
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
        conn.execute("DROP TABLE rebuild_datestamp")
    return count


@dataclass
class VerifyReport:
    samples: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


#: samples read and compared per batch by ``verify``: one read of their graphs, provenance and history each
VERIFY_BATCH = 500


def verify(db: Database, store: GraphStore, iris: Iris, *, limit: int = 100, batch: int = VERIFY_BATCH) -> VerifyReport:
    """Checks that graph, history and index agree, sample by sample, reading them a batch of samples at a time
    (one read of the batch's graphs, one of their recorded versions, one SQLite query per table), in memory
    bounded by the batch: the names seen are kept in a temporary on-disk database, not in memory.

    The datestamp is the index's (no graph holds it): it must not be earlier than the latest history version's (a
    restamp gives new ones and writes no version; ``registry.restamp``). Graph and latest history version are
    compared without ``ig:datestamp``, which versions written before it left the graph hold."""
    report = VerifyReport()
    conn = db.read()
    pending = conn.execute("SELECT COUNT(*) FROM journal").fetchone()[0]
    if pending:
        report.problems.append(f"{pending} interrupted write(s) in the journal (repaired when the registry opens)")
    # the search rows and edges each sample should have are written to a scratch database and compared; it also
    # keeps the names of the sample graphs seen (a temporary file: "" — SQLite spills it to disk, not memory)
    scratch = sqlite3.connect("")
    try:
        create_schema(scratch)
        scratch.row_factory = sqlite3.Row
        scratch.execute("CREATE TEMP TABLE verify_seen (igsn TEXT PRIMARY KEY) WITHOUT ROWID")
        prefixes = [r[0] for r in conn.execute("SELECT prefix FROM doi_prefixes")]  # for the link check, read once
        graph_prefix = iris.record_graph("").value
        names = (g.value[len(graph_prefix) :] for g in store.graphs_with_prefix(graph_prefix))
        for chunk in batched(names, batch):
            if not _verify_batch(conn, scratch, store, iris, chunk, prefixes, report, limit):
                break
        _unseen(conn, scratch, "SELECT igsn FROM catalogue", "in the index but has no graph", report, limit)
        _unseen(
            conn,
            scratch,
            "SELECT igsn FROM search_doc UNION SELECT DISTINCT source FROM relation_edge",
            "in the search index but has no graph",
            report,
            limit,
        )
    finally:
        scratch.close()
    counted = set(conn.execute("SELECT facet, value, COUNT(*) FROM search_facet GROUP BY facet, value").fetchall())
    totals = set(conn.execute("SELECT facet, value, n FROM search_facet_total WHERE n > 0").fetchall())
    if {tuple(r) for r in counted} != {tuple(r) for r in totals}:
        report.problems.append("search facet totals differ from the facet rows")
    return report


@dataclass
class _History:
    """What the history holds about one sample, for verify: its version numbers, its latest version's graph
    and the format its current description was submitted in."""

    kept: list[int] = field(default_factory=list)
    latest_text: str | None = None
    #: the datestamp the latest version was written with ("" without history)
    latest_datestamp: str = ""
    submitted_format: str | None = None

    @property
    def latest(self) -> list[Triple] | None:
        """The latest version's triples as written (made canonical only where that could change a finding)."""
        if self.latest_text is None:
            return None
        return [q.triple for q in parse(input=self.latest_text.encode("utf-8"), format=RdfFormat.N_TRIPLES)]

    @property
    def latest_canonical(self) -> list[Triple] | None:
        return None if self.latest_text is None else _canonical_triples(self.latest_text)


def _histories(conn: sqlite3.Connection, names: list[str]) -> dict[str, _History]:
    """The history of each sample of a batch, in two queries (a version list, then the latest graphs)."""
    out = {name: _History() for name in names}
    marks = ", ".join("?" * len(names))
    latest: dict[str, int] = {}
    for name, version, fmt, datestamp in conn.execute(
        f"SELECT igsn, version, format, datestamp FROM versions WHERE igsn IN ({marks}) ORDER BY igsn, version", names
    ):
        h = out[name]
        h.kept.append(version)
        h.latest_datestamp = datestamp
        latest[name] = version
        if fmt is not None:
            h.submitted_format = fmt
    pairs = list(latest.items())
    for i in range(0, len(pairs), 400):  # two parameters a pair, under SQLite's limit
        part = pairs[i : i + 400]
        where = " OR ".join("(igsn = ? AND version = ?)" for _ in part)
        for name, graph in conn.execute(
            f"SELECT igsn, graph FROM versions WHERE {where}", [v for pair in part for v in pair]
        ):
            out[name].latest_text = history.decompress(graph).decode("utf-8")
    return out


def _recorded_versions(store: GraphStore, iris: Iris, names: list[str]) -> dict[str, list[int]]:
    """The version numbers each sample's PROV activities record (``_versions_in_graph``), one query a batch."""
    graphs = {iris.provenance_graph(name): name for name in names}
    out: dict[str, list[int]] = {name: [] for name in names}
    values = " ".join(str(g) for g in graphs)
    query = f"SELECT ?g ?v WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?x {IG.versionNumber} ?v }} }}"
    for solution in store.query(query):  # type: ignore[attr-defined]  # a SELECT: solutions
        value = solution["v"]
        if isinstance(value, Literal):
            out[graphs[solution["g"]]].append(int(value.value))
    return {name: sorted(found) for name, found in out.items()}


def _verify_batch(
    conn: sqlite3.Connection,
    scratch: sqlite3.Connection,
    store: GraphStore,
    iris: Iris,
    names: list[str],
    prefixes: list[str],
    report: VerifyReport,
    limit: int,
) -> bool:
    """Checks one batch of sample graphs; False once ``limit`` problems are found (verify stops there)."""
    graphs = store.graphs([iris.record_graph(name) for name in names])
    indexed = catalogue.get_many(conn, names)
    histories = _histories(conn, names)
    recorded = _recorded_versions(store, iris, names)
    samples: list[tuple[str, list[Triple], CatalogueRow | None]] = []
    for name in names:
        triples = graphs[iris.record_graph(name)]
        # the datestamp is the index's (the graph holds none): checked against the history in _check_sample
        got = indexed.get(name)
        datestamp = got.datestamp if got is not None else histories[name].latest_datestamp
        facts = graphmap.facts_from_triples(triples, iris, name, datestamp=datestamp)
        row = None if facts is None else catalogue.row_from_facts(facts, max(recorded[name], default=0))
        samples.append((name, triples, row))
    # the search rows the batch should have, in the scratch database (a hidden sample's from its full graph)
    full: dict[str, list[Triple]] = {}
    for name, triples, row in samples:
        if row is not None:
            latest = histories[name].latest_canonical if row.deleted and row.has_metadata else None
            full[name] = latest if latest is not None else triples
    records = {
        name: graphmap.record_from_triples(full[name], iris, name)
        for name, _, row in samples
        if row is not None and row.has_metadata
    }
    search.delete_all(scratch)
    search.index_samples(
        scratch,
        iris,
        [(row, full[name]) for name, _, row in samples if row is not None],
        [records.get(name) for name, _, row in samples if row is not None],
    )
    for name, triples, row in samples:
        report.samples += 1
        scratch.execute("INSERT OR IGNORE INTO verify_seen VALUES (?)", (name,))
        if len(report.problems) >= limit:
            return False
        if row is None:
            report.problems.append(f"{name}: graph holds no registry facts")
            continue
        _check_sample(
            conn,
            scratch,
            iris,
            name,
            triples,
            row,
            indexed.get(name),
            histories[name],
            recorded[name],
            records.get(name),
            prefixes,
            report,
        )
    return True


def _check_sample(
    conn: sqlite3.Connection,
    scratch: sqlite3.Connection,
    iris: Iris,
    name: str,
    triples: list[Triple],
    row: CatalogueRow,
    got: CatalogueRow | None,
    kept: _History,
    recorded: list[int],
    record: SampleRecord | None,
    prefixes: list[str],
    report: VerifyReport,
) -> None:
    if got is None:
        report.problems.append(f"{name}: in the graph but not in the index")
    elif got != row:
        diff = [k for k in row.__dataclass_fields__ if getattr(row, k) != getattr(got, k)]
        report.problems.append(
            f"{name}: index differs from graph in {', '.join(diff)} "
            f"(index {[getattr(got, k) for k in diff]}, graph {[getattr(row, k) for k in diff]})"
        )
    if got is not None and got.datestamp < kept.latest_datestamp:
        report.problems.append(
            f"{name}: datestamp {got.datestamp} is earlier than its latest version's ({kept.latest_datestamp})"
        )
    if any(t.predicate == IG.datestamp for t in triples):
        report.problems.append(
            f"{name}: graph holds ig:datestamp (from before the datestamp left the graph: "
            "`igsn-graph restamp` or a server start drops it)"
        )
    if search.snapshot(conn, name) != search.snapshot(scratch, name):
        report.problems.append(f"{name}: search rows or relation edges differ from the graph")
    if not kept.kept or kept.latest_text is None:
        report.problems.append(f"{name}: no history")
        return
    if kept.kept[-1] != row.version:
        report.problems.append(f"{name}: history is at version {kept.kept[-1]}, graph at {row.version}")
    if kept.kept != recorded:
        report.problems.append(
            f"{name}: history keeps versions {kept.kept[:10]}, the provenance graph records {recorded[:10]}"
        )
    if record is not None and not row.deleted:  # the record of the public graph (not hidden: graph is full)
        if links.resolve(record, kept.submitted_format, doi_prefixes=prefixes, iri_base=iris.base) != record:
            report.problems.append(
                f"{name}: names IGSNs that are not linked to their samples "
                "(stored before the current link rules: run `igsn-graph reindex`)"
            )
    # without ig:datestamp: versions written before it left the graph hold it (a graph holding it is reported above)
    datestamp = IG.datestamp
    current = {t for t in triples if t.predicate != datestamp}  # terms compare as their N-Triples forms do
    # the history as written first (parsing is 4x faster than canonicalising): when it is public and equal to
    # the graph (which is canonical) it is canonical too; otherwise its canonical form decides, as always
    written = kept.latest or []
    view = public_view(written, iris, name)
    stored = {t for t in view if t.predicate != datestamp}
    if view is not written or current != stored:
        stored = {t for t in public_view(kept.latest_canonical or [], iris, name) if t.predicate != datestamp}
    if current != stored:
        report.problems.append(
            f"{name}: graph differs from the latest history version "
            f"({len(current - stored)} triples only in graph, {len(stored - current)} only in history)"
        )


def _unseen(
    conn: sqlite3.Connection, scratch: sqlite3.Connection, query: str, problem: str, report: VerifyReport, limit: int
) -> None:
    """Reports the names ``query`` gives that no sample graph has, a batch of names at a time."""
    rows = conn.execute(query)
    while len(report.problems) < limit:
        chunk = [r[0] for r in rows.fetchmany(500)]
        if not chunk:
            return
        marks = ", ".join("?" * len(chunk))
        seen = {r[0] for r in scratch.execute(f"SELECT igsn FROM verify_seen WHERE igsn IN ({marks})", chunk)}
        for name in chunk:
            if name not in seen and len(report.problems) < limit:
                report.problems.append(f"{name}: {problem}")
