"""registry.restamp: moving the server restamps nothing (no document names the public URL); a writer or crosswalk
change gives new datestamps to catalogue and search rows (the graph holds none) without history versions —
resumable, done again whole after a crash, and run by the server itself at start with its progress on /health
(issue 23)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from lxml import etree

from igsn_graph.formats import table as format_table
from igsn_graph.index.rebuild import verify
from igsn_graph.oai import formats as oai_formats
from igsn_graph.registry import restamp
from igsn_graph.registry.service import Registry
from igsn_graph.resources import mappings_dir
from igsn_graph.settings import Settings
from igsn_graph.store import history
from igsn_graph.vocab import IG
from tests.conftest import live_server
from tests.registry.test_service import ONE, registration_xml, submit

pytestmark = pytest.mark.both_stores

OLD = "https://old.example.org/"
NEW = "https://registry.example.org:8443/igsn/"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
#: what a data folder records when its datestamps were issued under writers or crosswalks since changed
STALE = "before-a-writer-change"


def _derived_xml(igsn: str, parent: str) -> bytes:
    """A registration naming another sample (an IGSN relation): documents name it too."""
    return registration_xml(igsn).replace(
        b"</relatedResourceIdentifiers>",
        f'<relatedIdentifier relatedIdentifierType="igsn" relationType="IsDerivedFrom">10273/{parent}'
        f"</relatedIdentifier></relatedResourceIdentifiers>".encode(),
    )


def _populate(registry: Registry) -> list[str]:
    names = ["ZTA0001", "ZTA0002", "ZTA0003", "ZTA0004"]
    for name in names[:3]:
        submit(registry, ONE, registration_xml(name))
    submit(registry, ONE, _derived_xml("ZTA0004", "ZTA0001"))
    submit(registry, ONE, registration_xml("ZTA0005"))
    registry.mint(ONE, "ZTA0009", "https://example.org/url-only")  # no metadata: no documents to change
    registry.deactivate(ONE, "ZTA0005")  # a deleted record: its header carries no metadata
    return names


def _stale(registry: Registry) -> None:
    """As if the writers or a crosswalk changed since the datestamps were issued."""
    restamp.adopt(registry)
    registry.db.set_meta("projection_fingerprint", STALE)


def _versions(registry: Registry, name: str) -> list[tuple[int, str, str]]:
    return [(v.version, v.datestamp, v.event) for v in history.versions_of(registry.db.read(), name)]


def _datestamps_in_graph(registry: Registry, name: str) -> list[str]:
    return [t.object.value for t in registry.graph_of(name) if t.predicate == IG.datestamp]  # type: ignore[union-attr]


def _everything(registry: Registry, names: list[str]) -> dict[str, object]:
    """What a restamp could change: rows, history, graphs, the last datestamp issued."""
    out: dict[str, object] = {
        n: (registry.row(n), _versions(registry, n), sorted(map(str, registry.graph_of(n)))) for n in names
    }
    out["last_datestamp"] = registry.db.get_meta("last_datestamp")
    return out


def test_the_fingerprint_names_writers_and_crosswalks_only(registry: Registry) -> None:
    assert restamp.status(registry).recorded is None
    assert restamp.adopt(registry)
    assert not restamp.adopt(registry)  # recorded once
    state = restamp.status(registry)
    assert state.recorded == oai_formats.fingerprint() and not state.pending and not state.in_progress
    # callers that still pass the public URL get the same answer whatever it is
    assert restamp.status(registry, OLD) == restamp.status(registry, NEW) == state


def test_nothing_to_do_when_nothing_changed(registry: Registry) -> None:
    names = _populate(registry)
    restamp.adopt(registry)
    before = _everything(registry, names)
    assert restamp.restamp(registry) == 0
    assert _everything(registry, names) == before


_REPRESENTATIONS = [
    ("datacite", "application/xml"),
    ("datacite", "application/vnd.datacite.datacite+json"),
    ("igsn", "application/xml"),
    ("igsn_desc", "application/xml"),
    ("oai_dc", "application/xml"),
    ("citation", "application/vnd.citationstyles.csl+json"),
    ("citation", "application/x-bibtex"),
    ("citation", "text/x-bibliography"),
    ("sdo", "application/ld+json"),
    ("ig", "text/turtle"),
    ("prov", "text/turtle"),
]


def _harvest(base: str, names: list[str]) -> dict[str, bytes]:
    """Every published document of every sample: OAI-PMH records in every format and the resolver's
    representations (DataCite XML and JSON, kernels, citations, schema.org, the graph)."""
    out: dict[str, bytes] = {}
    for name in names:
        for prefix in oai_formats.PREFIXES:
            r = httpx.get(
                base + "/oai",
                params={"verb": "GetRecord", "metadataPrefix": prefix, "identifier": f"oai:test.igsn-graph.org:{name}"},
            )
            record = etree.fromstring(r.content).find(f".//{OAI}record")
            assert record is not None, r.text
            out[f"oai {prefix} {name}"] = etree.tostring(record)
        for profile, media_type in _REPRESENTATIONS:
            r = httpx.get(f"{base}/{name}", params={"_profile": profile, "_mediatype": media_type})
            assert r.status_code == 200, (profile, media_type, r.status_code)
            out[f"{profile} {media_type} {name}"] = r.content
    return out


def test_moving_the_server_changes_no_document_no_datestamp_no_version(settings: Settings, registry: Registry) -> None:
    names = _populate(registry)
    restamp.adopt(registry)
    before = _everything(registry, names)
    registry.close()
    with live_server(settings.with_(public_url=OLD)) as base:
        old_docs = _harvest(base, names)
    with live_server(settings.with_(public_url=NEW)) as base:
        health = httpx.get(base + "/health").json()
        assert health["restamp_pending"] is False and health["restamp"] is None  # zero restamps
        new_docs = _harvest(base, names)
        # what is about this deployment follows the public URL, per request
        identify = httpx.get(base + "/oai", params={"verb": "Identify"}).text
        assert f"<baseURL>{NEW}oai</baseURL>" in identify
        assert f"<{NEW}ZTA0001>" in httpx.get(base + "/ZTA0001", headers={"Accept": "text/turtle"}).headers["Link"]
    assert new_docs == old_docs
    for key, body in new_docs.items():
        assert b"old.example.org" not in body and b"registry.example.org" not in body, key
    # samples are named by their persistent IRIs (the IRI base fixed at init), the related one too
    assert b"https://igsn.org/ZTA0001" in old_docs["oai oai_dc ZTA0004"]
    with Registry(settings) as reopened:
        assert _everything(reopened, names) == before


def test_a_writer_change_gives_new_datestamps_without_versions(registry: Registry) -> None:
    names = _populate(registry)
    _stale(registry)
    before = {n: (registry.row(n), _versions(registry, n), registry.facts(n)) for n in names}
    hidden = {n: registry.row(n) for n in ("ZTA0005", "ZTA0009")}
    time.sleep(1.1)  # datestamps have whole seconds: the new ones must be visibly later
    assert restamp.restamp(registry, batch=3) == len(names)
    for name in names:
        row, (old_row, old_versions, old_facts) = registry.row(name), before[name]
        assert row is not None and old_row is not None and old_facts is not None
        assert row.version == old_row.version and row.datestamp > old_row.datestamp
        assert replace(row, datestamp="") == replace(old_row, datestamp="")
        # a datestamp is not a version: the history and its PROV activities are as they were
        assert _versions(registry, name) == old_versions
        assert history.latest_document(registry.db.read(), name).document is not None  # type: ignore[union-attr]
        # the graph holds no datestamp (the catalogue's fact), nor does the search row
        assert _datestamps_in_graph(registry, name) == []
        facts = registry.facts(name)
        assert facts is not None and replace(facts, datestamp="") == replace(old_facts, datestamp="")
    assert {n: registry.row(n) for n in hidden} == hidden
    newest = max(registry.row(n).datestamp for n in names)  # type: ignore[union-attr]
    assert registry.db.get_meta("last_datestamp") == newest
    state = restamp.status(registry)
    assert not state.pending and not state.in_progress
    report = verify(registry.db, registry.store, registry.iris)
    assert report.ok, report.problems


def test_an_interrupted_restamp_resumes_without_stamping_twice(registry: Registry) -> None:
    names = _populate(registry)
    _stale(registry)
    calls: list[int] = []

    def stop_after_first_batch() -> bool:
        calls.append(1)
        return len(calls) > 1

    time.sleep(1.1)
    assert restamp.restamp(registry, batch=1, stop=stop_after_first_batch) == 1
    state = restamp.status(registry)
    assert state.in_progress and state.pending
    first = registry.row(names[0])
    time.sleep(1.1)
    assert restamp.restamp(registry, batch=1) == len(names) - 1
    assert registry.row(names[0]) == first  # the batch done before the stop is not stamped again
    assert all(registry.row(n).datestamp > first.datestamp for n in names[1:])  # type: ignore[union-attr]
    assert not restamp.status(registry).in_progress
    assert verify(registry.db, registry.store, registry.iris).ok


@pytest.mark.sqlite_only("the crash is planted with an SQLite trigger")
def test_a_batch_a_crash_interrupted_is_done_again_whole(registry: Registry) -> None:
    # a batch is one SQLite transaction (catalogue rows, position, first stamp): a crash halfway leaves none of it
    names = _populate(registry)
    _stale(registry)
    before = {n: registry.row(n) for n in names}
    # the crash: the write of the run's first stamp fails after the catalogue's update was made, in the same
    # transaction
    with registry.db.write() as conn:
        conn.execute(
            "CREATE TRIGGER crash BEFORE INSERT ON meta WHEN NEW.key = 'restamp_since' "
            "BEGIN SELECT RAISE(ABORT, 'killed'); END"
        )
    # a run of the code that wrote graphs too may have left its batch in meta: it is cleared, not redone
    registry.db.set_meta("restamp_batch", '{"stamps": [], "last": "", "rows": []}')
    time.sleep(1.1)  # a stamp visibly later than the registrations
    with pytest.raises(sqlite3.IntegrityError):
        restamp.restamp(registry, batch=len(names))
    with registry.db.write() as conn:
        conn.execute("DROP TRIGGER crash")
    assert restamp.status(registry).in_progress
    assert {n: registry.row(n) for n in names} == before
    assert verify(registry.db, registry.store, registry.iris).ok
    # a registration in between gives its sample a new version and datestamp; the resumed run stamps it too
    submit(registry, ONE, registration_xml("ZTA0002"))
    registered = registry.row("ZTA0002")
    assert registered is not None and registered.version == before["ZTA0002"].version + 1  # type: ignore[union-attr]
    time.sleep(1.1)
    assert restamp.restamp(registry) == len(names)
    for name in names:
        row, old = registry.row(name), before[name]
        assert row is not None and old is not None and row.datestamp > old.datestamp
        assert row.version == old.version + (name == "ZTA0002")
    state = restamp.status(registry)
    assert not state.pending and not state.in_progress and registry.db.get_meta("restamp_batch") is None
    report = verify(registry.db, registry.store, registry.iris)
    assert report.ok, report.problems


def test_a_run_yields_only_while_requests_come_in(registry: Registry) -> None:
    # a server's run asks after each batch whether requests came in: it rests (half the time at duty 0.5) only then
    names = _populate(registry)
    _stale(registry)
    answers = [True, False, True, False]
    asked: list[bool] = []

    def busy() -> bool:
        asked.append(answers[len(asked) % len(answers)])
        return asked[-1]

    assert restamp.restamp(registry, batch=1, duty=0.5, busy=busy) == len(names)
    assert len(asked) == len(names)  # once per batch
    assert not restamp.status(registry).pending
    assert restamp.rest_after(0.2, pause=0.005, duty=0.5, busy=True) == pytest.approx(0.205)
    assert restamp.rest_after(0.2, pause=0.005, duty=0.5, busy=False) == 0.005  # nobody waiting: straight on
    assert restamp.rest_after(0.2, pause=0.0, duty=1.0, busy=True) == 0.0  # the CLI's run


@pytest.mark.sqlite_only("the page cache is SQLite's")
def test_the_writer_cache_is_larger_during_a_run_only(registry: Registry) -> None:
    _populate(registry)
    _stale(registry)
    seen: list[int] = []

    def progress(_: int) -> None:
        seen.append(int(registry.db._writer_connection().execute("PRAGMA cache_size").fetchone()[0]))

    before = int(registry.db._writer_connection().execute("PRAGMA cache_size").fetchone()[0])
    restamp.restamp(registry, batch=2, progress=progress)
    assert seen and set(seen) == {-restamp.WRITER_CACHE_KIB}
    assert int(registry.db._writer_connection().execute("PRAGMA cache_size").fetchone()[0]) == before


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="no thread niceness on this system")
def test_the_background_thread_runs_at_a_lower_priority() -> None:
    got: list[int] = []

    def run() -> None:
        restamp.lower_priority()
        got.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert got == [max(before, restamp.NICENESS)]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before  # the caller's own thread only


def test_force_restamps_even_when_current(registry: Registry) -> None:
    names = _populate(registry)
    restamp.adopt(registry)
    assert restamp.restamp(registry, force=True) == len(names)
    assert all(_versions(registry, n)[-1][0] == registry.row(n).version for n in names)  # type: ignore[union-attr]


def test_crosswalk_change_changes_the_fingerprint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "mappings"
    shutil.copytree(mappings_dir(), copy)
    monkeypatch.setattr(format_table, "mappings_dir", lambda: copy)
    format_table._mappings_digest.cache_clear()
    before = format_table.fingerprint()
    parts = {f.name: f.fingerprint_part() for f in format_table.WRITTEN}
    assert format_table.fingerprint() == before  # stable
    (copy / "profiles.csv").write_text("token\n")  # not read by the writers
    format_table._mappings_digest.cache_clear()  # the files are read once per process: a new process
    assert format_table.fingerprint() == before
    crosswalk = copy / "oai_dc.csv"
    crosswalk.write_text(crosswalk.read_text() + "\n")
    format_table._mappings_digest.cache_clear()
    assert format_table.fingerprint() != before
    # only the part of the format that reads it changes
    assert format_table.XML_FORMATS["oai_dc"].fingerprint_part() != parts["oai_dc"]
    assert all(format_table.XML_FORMATS[name].fingerprint_part() == parts[name] for name in ("igsn", "datacite"))
    format_table._mappings_digest.cache_clear()


def _oai_identifiers(base: str, **args: str) -> list[str]:
    r = httpx.get(base + "/oai", params={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", **args})
    root = etree.fromstring(r.content)
    return [h.findtext(f"{OAI}identifier") for h in root.iter(f"{OAI}header") if h.get("status") != "deleted"]


def _plus_one_second(stamp: str) -> str:
    t = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ") + timedelta(seconds=1)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_server_restamps_at_start_and_harvesters_see_it(settings: Settings, registry: Registry) -> None:
    names = _populate(registry)
    _stale(registry)
    before = {n: _versions(registry, n) for n in names}
    last = max(registry.row(n).datestamp for n in names)  # type: ignore[union-attr]
    registry.close()
    time.sleep(1.1)
    with live_server(settings) as base:
        deadline = time.monotonic() + 60
        # the fingerprint is adopted at the run's end, a moment before its thread ends: wait for both
        while (health := httpx.get(base + "/health").json())["restamp_pending"] or health["restamp"]["running"]:
            assert time.monotonic() < deadline, "the background restamp did not finish"
            time.sleep(0.1)
        progress = health["restamp"]
        assert progress["running"] is False and progress["done"] == progress["total"] == len(names)
        assert progress["expected_end"] >= progress["started"]
        # an incremental harvest from just after the last registration sees every live record again
        found = _oai_identifiers(base, **{"from": _plus_one_second(last)})
    assert sorted(i.rsplit(":", 1)[1] for i in found) == sorted(names)
    with Registry(settings) as reopened:
        assert {n: _versions(reopened, n) for n in names} == before


def test_server_without_auto_restamp_leaves_it_pending(settings: Settings, registry: Registry) -> None:
    _populate(registry)
    _stale(registry)
    registry.close()
    with live_server(settings.with_(auto_restamp=False)) as base:
        health = httpx.get(base + "/health").json()
        assert health["restamp_pending"] is True and health["restamp"] is None


def test_the_resolver_tags_follow_a_restamp(settings: Settings, registry: Registry) -> None:
    # a restamp changes documents (that is why it runs) and the datestamp, not the version:
    # a client's ETag from before must not get a 304
    _populate(registry)
    restamp.adopt(registry)
    registry.close()
    turtle = {"Accept": "text/turtle"}
    with live_server(settings) as base:
        before = httpx.get(base + "/ZTA0001", headers=turtle)
    with Registry(settings) as reopened:
        _stale(reopened)
        time.sleep(1.1)
        assert restamp.restamp(reopened) > 0
        stamp = reopened.row("ZTA0001").datestamp  # type: ignore[union-attr]
    with live_server(settings) as base:
        after = httpx.get(base + "/ZTA0001", headers={**turtle, "If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    assert stamp not in after.text  # the graph holds no datestamp: it is the catalogue's
