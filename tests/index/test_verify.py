"""verify (index.rebuild): damage planted in the catalogue, the search index and the graph is found, exactly that,
whatever the batch size it reads the store in, on the embedded store and on a remote engine (issue 16)."""

from __future__ import annotations

import pytest
from pyoxigraph import Triple

from igsn_graph.index import search
from igsn_graph.index.rebuild import verify
from igsn_graph.registry.service import Registry
from igsn_graph.store.base import GraphWrite
from igsn_graph.vocab import IG
from tests.registry.test_service import ONE, registration_xml, submit

pytestmark = pytest.mark.both_stores

NAMES = ["ZTA0001", "ZTA0002", "ZTA0003", "ZTA0004", "ZTA0005"]


def _populate(registry: Registry) -> None:
    for name in NAMES:
        submit(registry, ONE, registration_xml(name))
    submit(registry, ONE, registration_xml("ZTA0004"))  # a second version
    registry.deactivate(ONE, "ZTA0005")  # hidden: its search rows come from history


@pytest.mark.parametrize("batch", [2, 500])
def test_verify_finds_exactly_the_planted_damage(registry: Registry, batch: int) -> None:
    _populate(registry)
    clean = verify(registry.db, registry.store, registry.iris, batch=batch)
    assert clean.ok, clean.problems
    assert clean.samples == len(NAMES)
    before = registry.row("ZTA0001")
    assert before is not None
    with registry.db.write() as conn:
        conn.execute("UPDATE catalogue SET status = 'tampered' WHERE igsn = 'ZTA0001'")  # a catalogue row changed
        search.delete_sample(conn, "ZTA0002")  # a sample's search rows missing
    # a triple the catalogue, search rows and links do not read removed from one sample's graph
    graph = registry.iris.record_graph("ZTA0003")
    removed = [t for t in registry.store.graph(graph) if t.predicate == IG.igsn]
    assert len(removed) == 1 and isinstance(removed[0], Triple)
    registry.store.apply(GraphWrite(remove={graph: removed}))

    report = verify(registry.db, registry.store, registry.iris, batch=batch)

    assert report.samples == len(NAMES)
    assert sorted(report.problems) == [
        f"ZTA0001: index differs from graph in status (index ['tampered'], graph [{before.status!r}])",
        "ZTA0002: search rows or relation edges differ from the graph",
        "ZTA0003: graph differs from the latest history version (0 triples only in graph, 1 only in history)",
    ]


@pytest.mark.both_databases
def test_verify_finds_index_rows_without_a_graph(registry: Registry) -> None:
    _populate(registry)
    registry.store.apply(GraphWrite(replace={registry.iris.record_graph("ZTA0002"): None}))
    report = verify(registry.db, registry.store, registry.iris, batch=2)
    assert report.samples == len(NAMES) - 1
    assert report.problems == [
        "ZTA0002: in the index but has no graph",
        "ZTA0002: in the search index but has no graph",
    ]


def test_verify_stops_at_the_limit(registry: Registry) -> None:
    _populate(registry)
    with registry.db.write() as conn:
        conn.execute("UPDATE catalogue SET status = 'tampered'")
    report = verify(registry.db, registry.store, registry.iris, limit=2, batch=2)
    assert len(report.problems) == 2
    assert all("index differs from graph in status" in p for p in report.problems)
