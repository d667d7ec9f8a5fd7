"""relink: descriptions stored before the link rules get their links without re-registration — a new version
only where the description changes, resumable, idempotent; verify reports what it has not reached."""

from __future__ import annotations

import pytest

from igsn_graph import links, relations
from igsn_graph.index.rebuild import verify
from igsn_graph.record import Relation, SampleRecord
from igsn_graph.registry import relink
from igsn_graph.registry.accounts import ADMIN
from igsn_graph.registry.service import Registry, Submission
from igsn_graph.store import history


def _store_without_links(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three samples written as a registry before links.py wrote them: the relations stay unresolved."""
    with monkeypatch.context() as m:
        m.setattr(links, "resolve", lambda record, *a, **k: record)
        records = [
            SampleRecord("ZTA-RL0", name="unrelated", relations=[Relation("10.5880/X.1", "DOI", "IsCitedBy")]),
            SampleRecord("ZTA-RLP", name="parent"),
        ] + [
            SampleRecord(f"ZTA-RLC{i}", name="child", relations=[Relation("10273/ZTA-RLP", "Handle", "IsPartOf")])
            for i in range(3)
        ]
        outcomes = registry.register(ADMIN, [Submission(r, "igsn") for r in records], strict=False)
        assert all(o.ok for o in outcomes)
    assert relations.children(registry, "ZTA-RLP") == []
    registry.db.set_meta("links_fingerprint", "before-links")  # what a folder of the previous release holds


def test_relink_links_stored_descriptions_and_touches_nothing_else(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_without_links(registry, monkeypatch)
    report = verify(registry.db, registry.store, registry.iris)
    assert sorted(p.split(":")[0] for p in report.problems) == ["ZTA-RLC0", "ZTA-RLC1", "ZTA-RLC2"]
    assert all("not linked" in p for p in report.problems)
    before = {n: registry.row(n) for n in ("ZTA-RL0", "ZTA-RLP", "ZTA-RLC0")}
    assert relink.pending(registry)
    assert relink.relink(registry) == 3
    assert registry.row("ZTA-RL0") == before["ZTA-RL0"] and registry.row("ZTA-RLP") == before["ZTA-RLP"]
    child = registry.row("ZTA-RLC0")
    assert child is not None and child.version == 2 and child.datestamp >= before["ZTA-RLC0"].datestamp  # type: ignore[union-attr]
    assert relations.children(registry, "ZTA-RLP") == ["ZTA-RLC0", "ZTA-RLC1", "ZTA-RLC2"]
    events = [v.event for v in history.versions_of(registry.db.read(), "ZTA-RLC0")]
    assert events == ["metadata-registered", relink.EVENT]  # history kept, one version added
    assert verify(registry.db, registry.store, registry.iris).ok
    assert not relink.pending(registry) and relink.relink(registry) == 0


def test_an_interrupted_relink_resumes_where_it_stopped(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    _store_without_links(registry, monkeypatch)
    calls = iter([False, True])  # one batch of two (ZTA-RL0, ZTA-RLC0), then the server stops
    assert relink.relink(registry, batch=2, stop=lambda: next(calls)) == 1
    assert relink.pending(registry)
    assert relink.relink(registry, batch=2) == 2
    assert [registry.row(f"ZTA-RLC{i}").version for i in range(3)] == [2, 2, 2]  # type: ignore[union-attr]
    assert not relink.pending(registry)
