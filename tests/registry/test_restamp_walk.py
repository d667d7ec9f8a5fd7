"""registry.restamp walks the catalogue in its physical order (SQLite rowids) and, at the end, stamps the live
records still dated before the run's first stamp: a walk that missed some (rowids renumbered while a run was
interrupted) misses nothing in the end (issue 23). Real registry and store."""

from __future__ import annotations

import time

import pytest

from igsn_graph.index.rebuild import verify
from igsn_graph.registry import restamp
from igsn_graph.registry.service import Registry
from tests.registry.test_service import ONE, registration_xml, submit

NAMES = [f"ZTA07{i:02d}" for i in range(6)]


@pytest.mark.sqlite_only("renumbers SQLite rowids (the walk's physical order)")
def test_records_the_walk_missed_are_stamped_at_the_end(registry: Registry) -> None:
    for name in NAMES:
        submit(registry, ONE, registration_xml(name))
    restamp.adopt(registry)
    registry.db.set_meta("projection_fingerprint", "before-a-writer-change")
    before = {n: registry.row(n) for n in NAMES}
    asked: list[int] = []

    def stop_after_first_batch() -> bool:
        asked.append(1)
        return len(asked) > 1

    time.sleep(1.1)  # whole seconds: the new datestamps are later
    assert restamp.restamp(registry, batch=2, stop=stop_after_first_batch) == 2
    # as if the rowids were renumbered (VACUUM) while the run was interrupted: the rest lies behind the position
    registry.db.set_meta("restamp_after", str(10**9))
    assert restamp.restamp(registry, batch=2) == len(NAMES) - 2
    for name in NAMES:
        row, old = registry.row(name), before[name]
        assert row is not None and old is not None and row.version == old.version and row.datestamp > old.datestamp
        found = registry.db.read().execute("SELECT datestamp FROM search_doc WHERE igsn = ?", (name,)).fetchone()
        assert found[0] == row.datestamp
    state = restamp.status(registry)
    assert not state.pending and not state.in_progress
    assert registry.db.get_meta("restamp_since") is None and registry.db.get_meta("restamp_after") is None
    report = verify(registry.db, registry.store, registry.iris)
    assert report.ok, report.problems
