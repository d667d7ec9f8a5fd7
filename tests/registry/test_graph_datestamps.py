"""registry.graph_datestamps: the datestamp is the catalogue's, not the sample's (issue 23). Graphs of a data folder
from before held ``ig:datestamp``; the one-time migration drops it (resumable), verify reports it until then, and
the kept ``ig`` bodies that named it are dropped too. A rebuilt index keeps the datestamps a restamp issued. Real
registry, store and app over HTTP."""

from __future__ import annotations

import time

import httpx
import pytest
from pyoxigraph import Literal, Triple

from igsn_graph.index.rebuild import verify
from igsn_graph.registry import graph_datestamps, restamp
from igsn_graph.registry.datadir import rebuild_indexes
from igsn_graph.registry.service import Registry
from igsn_graph.resolver.stored import FILE, StoredRepresentations
from igsn_graph.settings import Settings
from igsn_graph.store import history
from igsn_graph.store.base import GraphWrite
from igsn_graph.vocab import IG, XSD
from tests.conftest import live_server
from tests.registry.test_service import ONE, registration_xml, submit

NAMES = ["ZTA0001", "ZTA0002", "ZTA0003", "ZTA0004", "ZTA0005"]
TURTLE = {"Accept": "text/turtle"}


def _populate(registry: Registry) -> None:
    for name in NAMES:
        submit(registry, ONE, registration_xml(name))
    registry.deactivate(ONE, "ZTA0005")  # a hidden sample's graph held the triple too


def _the_old_way(registry: Registry, restamped: str | None = None) -> None:
    """As the code before wrote a data folder: each sample graph states its datestamp (``restamped``: the one its
    restamp gave graph and catalogue, later than the history's); no drop recorded."""
    write = GraphWrite()
    for name in NAMES:
        row = registry.row(name)
        assert row is not None
        if restamped is not None:
            with registry.db.write() as conn:
                conn.execute("UPDATE catalogue SET datestamp = ? WHERE igsn = ?", (restamped, name))
        stamp = Literal(restamped or row.datestamp, datatype=XSD.dateTime)
        write.add[registry.iris.record_graph(name)] = [Triple(registry.iris.sample(name), IG.datestamp, stamp)]
    registry.store.apply(write)
    with registry.db.write() as conn:
        conn.execute("DELETE FROM meta WHERE key = ?", (graph_datestamps.DONE_KEY,))


def _held(registry: Registry) -> dict[str, int]:
    return {n: sum(t.predicate == IG.datestamp for t in registry.graph_of(n)) for n in NAMES}


def _state(registry: Registry) -> dict[str, object]:
    """Rows and history: what dropping the triples must leave as it was."""
    conn = registry.db.read()
    return {n: (registry.row(n), [(v.version, v.datestamp) for v in history.versions_of(conn, n)]) for n in NAMES}


@pytest.mark.both_stores
def test_new_graphs_hold_no_datestamp_and_a_new_folder_has_nothing_to_drop(registry: Registry) -> None:
    _populate(registry)
    assert _held(registry) == dict.fromkeys(NAMES, 0)
    assert not graph_datestamps.pending(registry)
    facts = registry.facts("ZTA0001")
    row = registry.row("ZTA0001")
    assert facts is not None and row is not None and facts.datestamp == row.datestamp  # the catalogue's
    assert verify(registry.db, registry.store, registry.iris).ok


@pytest.mark.both_stores
def test_a_folder_from_before_is_cleaned_by_the_next_restamp_and_verifies(registry: Registry) -> None:
    _populate(registry)
    _the_old_way(registry)
    restamp.adopt(registry)
    before = _state(registry)
    assert _held(registry) == dict.fromkeys(NAMES, 1) and graph_datestamps.pending(registry)
    report = verify(registry.db, registry.store, registry.iris)
    assert sorted(p.split(":")[0] for p in report.problems if "holds ig:datestamp" in p) == NAMES
    assert restamp.restamp(registry) == 0  # nothing to restamp: the triples are dropped all the same
    assert _held(registry) == dict.fromkeys(NAMES, 0) and not graph_datestamps.pending(registry)
    assert _state(registry) == before  # no datestamp, no version
    report = verify(registry.db, registry.store, registry.iris)
    assert report.ok, report.problems
    assert graph_datestamps.drop(registry) == 0  # once


def test_dropping_is_resumable(registry: Registry) -> None:
    _populate(registry)
    _the_old_way(registry)
    asked: list[int] = []

    def stop_after_first_batch() -> bool:
        asked.append(1)
        return len(asked) > 1

    assert graph_datestamps.drop(registry, batch=2, stop=stop_after_first_batch) == 2
    assert _held(registry) == {n: int(i >= 2) for i, n in enumerate(NAMES)} and graph_datestamps.pending(registry)
    assert graph_datestamps.drop(registry, batch=2) == 3
    assert _held(registry) == dict.fromkeys(NAMES, 0) and not graph_datestamps.pending(registry)


def _kept_turtle(settings: Settings, registry: Registry, name: str) -> bytes | None:
    row = registry.row(name)
    assert row is not None
    stored = StoredRepresentations(settings.data_dir / FILE, read_only=True)
    try:
        found = stored.get((name, row.version, row.datestamp, "ig", "text/turtle", ()))
    finally:
        stored.close()
    return None if found is None else found.body


def test_the_server_drops_them_in_the_background_and_stops_serving_them(settings: Settings, registry: Registry) -> None:
    _populate(registry)
    _the_old_way(registry)
    registry.close()
    stated = b"ig:datestamp"  # (ig:registered has the same time: the first registration's)
    # the graph as it was, kept on disk by the resolver (no drop while auto_restamp is off)
    with live_server(settings.with_(auto_restamp=False)) as base:
        assert stated in httpx.get(base + "/ZTA0001", headers=TURTLE).content
    with Registry(settings) as reg:
        assert stated in (_kept_turtle(settings, reg, "ZTA0001") or b"")
    with live_server(settings) as base:
        deadline = time.monotonic() + 60
        while stated in (body := httpx.get(base + "/ZTA0001", headers=TURTLE).content):
            assert time.monotonic() < deadline, "the graphs' datestamps were not dropped"
            time.sleep(0.1)
        assert b"ZTA0001" in body
    with Registry(settings) as reg:
        assert _held(reg) == dict.fromkeys(NAMES, 0) and not graph_datestamps.pending(reg)
        kept = _kept_turtle(settings, reg, "ZTA0001")
        assert kept is None or stated not in kept
        report = verify(reg.db, reg.store, reg.iris)
        assert report.ok, report.problems


def test_a_rebuilt_index_keeps_the_datestamps_a_restamp_issued(registry: Registry) -> None:
    _populate(registry)
    restamp.adopt(registry)
    time.sleep(1.1)  # whole seconds: the restamp's datestamps are later than the versions'
    assert restamp.restamp(registry, force=True) == len(NAMES) - 1  # the hidden one has no header metadata
    stamped = {n: registry.row(n) for n in NAMES}
    with registry.writing():
        assert rebuild_indexes(registry.db, registry.store, registry.iris) == len(NAMES)
    assert {n: registry.row(n) for n in NAMES} == stamped
    report = verify(registry.db, registry.store, registry.iris)
    assert report.ok, report.problems
    # a datestamp before its latest version's is wrong: harvesters would miss that version
    with registry.db.write() as conn:
        conn.execute("UPDATE catalogue SET datestamp = '2000-01-01T00:00:00Z' WHERE igsn = 'ZTA0001'")
    problems = verify(registry.db, registry.store, registry.iris).problems
    assert any(
        p.startswith("ZTA0001: datestamp 2000-01-01T00:00:00Z is earlier than its latest version") for p in problems
    )


def test_a_rebuilt_index_of_a_folder_from_before_takes_the_graphs_datestamps(registry: Registry) -> None:
    _populate(registry)
    _the_old_way(registry, restamped="2030-01-02T03:04:05Z")
    rows = {n: registry.row(n) for n in NAMES}
    assert all(r is not None and r.datestamp == "2030-01-02T03:04:05Z" for r in rows.values())
    # an index lost (a catalogue without rows): the graphs' datestamps from before are the latest known
    with registry.db.write() as conn:
        conn.execute("DELETE FROM catalogue")
    with registry.writing():
        assert rebuild_indexes(registry.db, registry.store, registry.iris) == len(NAMES)
    assert {n: registry.row(n) for n in NAMES} == rows
