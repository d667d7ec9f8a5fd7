"""registry.restamp: new datestamps when writers, crosswalks or the public URL change — through the journal,
resumable, and run by the server itself at start."""

from __future__ import annotations

import shutil
from dataclasses import replace
import time
from pathlib import Path

import httpx
import pytest
from lxml import etree

from igsn_graph.index.rebuild import verify
from igsn_graph.oai import formats as oai_formats
from igsn_graph.registry import restamp
from igsn_graph.registry.service import Registry
from igsn_graph.resources import mappings_dir
from igsn_graph.settings import Settings
from igsn_graph.store import history

from tests.conftest import live_server
from tests.registry.test_service import AGENT_P, ONE, registration_xml, submit

pytestmark = pytest.mark.both_stores

OLD = "https://old.example.org/"
NEW = "https://registry.example.org/"
OAI = "{http://www.openarchives.org/OAI/2.0/}"


def _populate(registry: Registry) -> list[str]:
    names = ["ZTA0001", "ZTA0002", "ZTA0003", "ZTA0004"]
    for name in names:
        submit(registry, ONE, registration_xml(name))
    registry.mint(ONE, "ZTA0009", "https://example.org/url-only")  # no metadata: no documents to change
    registry.deactivate(ONE, "ZTA0004")  # a deleted record: its header carries no metadata
    return names[:3]


def test_adopt_records_the_fingerprint_once(registry: Registry) -> None:
    assert restamp.status(registry, OLD).recorded is None
    assert restamp.adopt(registry, OLD)
    assert not restamp.adopt(registry, NEW)  # already recorded: a later URL does not overwrite it
    state = restamp.status(registry, NEW)
    assert state.recorded == oai_formats.fingerprint(OLD) and state.pending and not state.in_progress
    assert not restamp.status(registry, OLD).pending


def test_nothing_to_do_when_nothing_changed(registry: Registry) -> None:
    _populate(registry)
    restamp.adopt(registry, OLD)
    before = {n: registry.row(n) for n in ("ZTA0001", "ZTA0002")}
    assert restamp.restamp(registry, OLD) == 0
    assert {n: registry.row(n) for n in before} == before


def test_public_url_change_restamps_live_records_only(registry: Registry) -> None:
    live = _populate(registry)
    restamp.adopt(registry, OLD)
    before = {n: registry.row(n) for n in [*live, "ZTA0004", "ZTA0009"]}
    facts_before = {n: registry.facts(n) for n in live}
    time.sleep(1.1)  # datestamps have whole seconds: the new ones must be visibly later
    assert restamp.restamp(registry, NEW, batch=2) == len(live)
    for name in live:
        row, old = registry.row(name), before[name]
        assert row is not None and old is not None
        assert row.version == old.version + 1 and row.datestamp > old.datestamp
        latest = history.latest_version(registry.db.read(), name)
        assert latest is not None and latest.event == restamp.EVENT and latest.datestamp == row.datestamp
        facts = registry.facts(name)
        assert facts is not None and replace(facts, datestamp="") == replace(facts_before[name], datestamp="")
        # same description: the verbatim document and the record are those registered
        assert history.latest_document(registry.db.read(), name).document == registration_xml(name)  # type: ignore[union-attr]
        assert registry.record(name).igsn == name  # type: ignore[union-attr]
    assert registry.row("ZTA0004") == before["ZTA0004"]
    assert registry.row("ZTA0009") == before["ZTA0009"]
    state = restamp.status(registry, NEW)
    assert not state.pending and not state.in_progress
    assert verify(registry.db, registry.store, registry.iris).ok


def test_interrupted_restamp_resumes_without_stamping_twice(registry: Registry) -> None:
    live = _populate(registry)
    restamp.adopt(registry, OLD)
    versions = {n: registry.row(n).version for n in live}  # type: ignore[union-attr]
    calls = []

    def stop_after_first_batch() -> bool:
        calls.append(1)
        return len(calls) > 1

    assert restamp.restamp(registry, NEW, batch=1, stop=stop_after_first_batch) == 1
    state = restamp.status(registry, NEW)
    assert state.in_progress and state.pending
    assert restamp.restamp(registry, NEW, batch=1) == len(live) - 1
    assert {n: registry.row(n).version for n in live} == {n: v + 1 for n, v in versions.items()}  # type: ignore[union-attr]
    assert not restamp.status(registry, NEW).in_progress


def test_force_restamps_even_when_current(registry: Registry) -> None:
    live = _populate(registry)
    restamp.adopt(registry, OLD)
    assert restamp.restamp(registry, OLD, force=True) == len(live)


def test_crosswalk_change_changes_the_fingerprint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "mappings"
    shutil.copytree(mappings_dir(), copy)
    monkeypatch.setattr(oai_formats, "mappings_dir", lambda: copy)
    before = oai_formats.fingerprint(OLD)
    assert oai_formats.fingerprint(OLD) == before  # stable
    (copy / "profiles.csv").write_text("token\n")  # not read by the writers
    oai_formats._mappings_digest.cache_clear()  # the files are read once per process: a new process
    assert oai_formats.fingerprint(OLD) == before
    table = copy / "oai_dc.csv"
    table.write_text(table.read_text() + "\n")
    oai_formats._mappings_digest.cache_clear()
    assert oai_formats.fingerprint(OLD) != before
    assert oai_formats.fingerprint(NEW) != oai_formats.fingerprint(OLD)


def _oai_identifiers(base: str, **args: str) -> list[str]:
    r = httpx.get(base + "/oai", params={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", **args})
    root = etree.fromstring(r.content)
    return [h.findtext(f"{OAI}identifier") for h in root.iter(f"{OAI}header") if h.get("status") != "deleted"]


def test_server_restamps_at_start_and_harvesters_see_it(settings: Settings, registry: Registry) -> None:
    live = _populate(registry)
    restamp.adopt(registry, OLD)
    last = max(registry.row(n).datestamp for n in live)  # type: ignore[union-attr]
    registry.close()
    time.sleep(1.1)
    served = settings.with_(public_url=NEW)
    with live_server(served) as base:
        deadline = time.monotonic() + 60
        while httpx.get(base + "/health").json()["restamp_pending"]:
            assert time.monotonic() < deadline, "the background restamp did not finish"
            time.sleep(0.1)
        # an incremental harvest from just after the last registration sees every live record again
        found = _oai_identifiers(base, **{"from": _plus_one_second(last)})
    assert sorted(i.rsplit(":", 1)[1] for i in found) == sorted(live)


def _plus_one_second(stamp: str) -> str:
    from datetime import datetime, timedelta
    t = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ") + timedelta(seconds=1)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_server_without_auto_restamp_leaves_it_pending(settings: Settings, registry: Registry) -> None:
    _populate(registry)
    restamp.adopt(registry, OLD)
    registry.close()
    with live_server(settings.with_(public_url=NEW, auto_restamp=False)) as base:
        assert httpx.get(base + "/health").json()["restamp_pending"] is True
