"""igsn_graph.harvest: runs against real OAI-PMH providers on loopback (a second igsn-graph server, a recorded
GA provider that is busy once), resumption, incremental runs, failures, the CLI and the server's task."""

from __future__ import annotations

import html
import time
from pathlib import Path

import httpx
import pytest
from pyoxigraph import Literal, Quad, RdfFormat, Triple, parse

from api.app import create_app
from igsn_graph.cli import main
from igsn_graph.harvest import origins, scheduler, sources
from igsn_graph.harvest.client import PoliteClient
from igsn_graph.harvest.view import UNVERIFIED_TEXT
from igsn_graph.registry.service import Registry
from igsn_graph.resolver.rendering import RDF_FORMATS
from igsn_graph.vocab import IG, XSD
from tests.conftest import live_server, loopback_socket

from .conftest import PAGE, Recorded, source_settings

#: the demo set as the second server publishes it: 51 records, 6 of them deleted; 19 live ones are ZGEO's
DEMO_RECORDS, DEMO_LIVE, ZGEO_LIVE = 51, 45, 19
TRUE = Literal("true", datatype=XSD.boolean)


def _names(registry: Registry, prefix: str = "") -> set[str]:
    rows = registry.db.read().execute("SELECT igsn FROM catalogue WHERE igsn LIKE ?", (prefix + "%",))
    return {r[0] for r in rows}


def test_a_source_speaking_for_an_agent_stores_its_namespaces_only(harvesting: Registry, source_url: str) -> None:
    sources.add(harvesting, "zgeo", url=source_url, prefix="igsn_desc", agent="ZGEO", rate=50)
    report = scheduler.run(harvesting, "zgeo")
    assert report.complete and report.error is None
    assert report.pages == -(-DEMO_RECORDS // PAGE) and report.records == DEMO_RECORDS
    assert report.stored == ZGEO_LIVE and _names(harvesting) == _names(harvesting, "ZG")
    # the other agents' samples are refused one by one, each with the reason
    assert len(report.refused) == DEMO_LIVE - ZGEO_LIVE
    assert all("not allowed" in r and r.startswith(("ZS", "ZB")) for r in report.refused)
    # where each version came from is in its history activity
    name = sorted(_names(harvesting))[0]
    kept = {
        t.object.value
        for t in harvesting.store.graph(harvesting.iris.provenance_graph(name))
        if t.predicate == IG.inputWarning and t.object.value.startswith("harvest:")
    }
    assert kept == {
        f"harvest: from OAI-PMH source zgeo ({source_url}, metadataPrefix igsn_desc), "
        f"responseDate {origins.origin(harvesting.db.read(), 'zgeo', name).origin.response_date}"  # type: ignore[union-attr]
    }  # the responseDate of the page that carried it (a later page's may be a second after the run's first)
    src = sources.get(harvesting, "zgeo")
    assert (src.token, src.state, src.stored, src.refused) == (None, "ok", ZGEO_LIVE, DEMO_LIVE - ZGEO_LIVE)


def test_an_unverified_source_stores_into_known_namespaces_and_says_so(harvesting: Registry, source_url: str) -> None:
    sources.add(harvesting, "all", url=source_url, prefix="igsn_desc", rate=50)
    report = scheduler.run(harvesting, "all")
    assert report.complete and report.stored == DEMO_LIVE and not report.refused
    row = harvesting.row(sorted(_names(harvesting, "ZB"))[0])
    assert row is not None and row.agent == "ZBIO"  # the namespace's owner, not the source
    history = harvesting.db.read().execute("SELECT principal FROM versions WHERE igsn = ?", (row.igsn,)).fetchall()
    assert [h[0] for h in history] == ["admin"]
    kept = {
        t.object.value
        for t in harvesting.store.graph(harvesting.iris.provenance_graph(row.igsn))
        if t.predicate == IG.inputWarning
    }
    assert "harvest: unverified source all: no allocating agent speaks for it" in kept


def test_a_stopped_run_resumes_from_its_stored_token(harvesting: Registry, source_url: str) -> None:
    sources.add(harvesting, "zgeo", url=source_url, prefix="igsn_desc", agent="ZGEO", rate=50)
    first = scheduler.run(harvesting, "zgeo", stop=lambda: True)  # stops after its first page
    assert not first.complete and first.pages == 1
    stopped = sources.get(harvesting, "zgeo")
    assert stopped.token and stopped.position == PAGE and stopped.state == "resuming"
    second = scheduler.run(harvesting, "zgeo")
    assert second.resumed and second.complete
    assert first.records + second.records == DEMO_RECORDS
    assert second.requests == second.pages  # no Identify, no first page again
    assert len(_names(harvesting)) == ZGEO_LIVE


def test_a_killed_run_resumes_after_its_last_stored_page(harvesting: Registry, source_url: str) -> None:
    sources.add(harvesting, "zgeo", url=source_url, prefix="igsn_desc", agent="ZGEO", rate=50)

    def killed(report: scheduler.RunReport) -> None:
        if report.pages == 2:
            raise KeyboardInterrupt  # the process dies here: nothing after this page is run or written

    with pytest.raises(KeyboardInterrupt):
        scheduler.run(harvesting, "zgeo", on_page=killed)
    assert sources.get(harvesting, "zgeo").position == 2 * PAGE
    report = scheduler.run(harvesting, "zgeo")
    assert report.resumed and report.complete and report.records == DEMO_RECORDS - 2 * PAGE
    assert len(_names(harvesting)) == ZGEO_LIVE


def test_a_full_run_flags_what_the_source_no_longer_lists(harvesting: Registry, source_url: str) -> None:
    sources.add(harvesting, "zgeo", url=source_url, prefix="igsn_desc", agent="ZGEO", rate=50)
    first = scheduler.run(harvesting, "zgeo")
    assert first.unlisted == []
    counts = sources.record_counts(harvesting, "zgeo")
    assert counts["stored"] == ZGEO_LIVE and counts["refused"] == DEMO_LIVE - ZGEO_LIVE
    # an earlier run had stored a sample this provider lists no more (dropped without a deleted header)
    sources.note_records(
        harvesting, "zgeo", {"ZGAGONE01": "stored"}, run="2020-01-01T00:00:00Z", response_date="2020-01-01T00:00:00Z"
    )
    sources.update_state(harvesting, "zgeo", last_response_date=None)  # the next run is a full one
    again = scheduler.run(harvesting, "zgeo")
    assert again.complete and again.unlisted == ["ZGAGONE01"]
    assert sources.record_counts(harvesting, "zgeo")["unlisted"] == 1
    # an incremental run lists only changes: it flags nothing
    assert scheduler.run(harvesting, "zgeo").unlisted == []


def test_two_full_runs_with_one_response_date_are_two_runs(
    harvesting: Registry, recorded: tuple[str, Recorded]
) -> None:
    """The recorded provider states the same responseDate every time (2017-06-10T11:24:35Z): runs are told apart
    by their id, not by it, so the second full run flags the record the provider dropped."""
    url, provider = recorded
    provider.busy = 0
    sources.add(harvesting, "ga", url=url, prefix="igsn", agent="ZGA", rate=50)
    first = scheduler.run(harvesting, "ga")
    assert first.complete and _names(harvesting, "AU") == {"AU240"}
    provider.list_records = provider.list_records.replace(b"AU240", b"AU242")  # AU240 is listed no more
    sources.update_state(harvesting, "ga", last_response_date=None)  # a full run
    again = scheduler.run(harvesting, "ga")
    assert again.complete and again.unlisted == ["AU240"]
    assert sources.record_status(harvesting, "ga", "AU240") == "unlisted"
    assert sources.record_status(harvesting, "ga", "AU242") == "stored"


def test_a_token_the_provider_no_longer_knows_restarts_the_run(harvesting: Registry, source_url: str) -> None:
    sources.add(harvesting, "zgeo", url=source_url, prefix="igsn_desc", agent="ZGEO", rate=50)
    scheduler.run(harvesting, "zgeo", stop=lambda: True)
    sources.update_state(harvesting, "zgeo", token="expired-token")
    report = scheduler.run(harvesting, "zgeo")
    assert report.resumed and report.complete and report.error is None
    assert report.records == DEMO_RECORDS


def test_an_incremental_run_fetches_only_what_changed(harvesting: Registry, tmp_path: Path) -> None:
    settings = source_settings(tmp_path / "changing")
    with live_server(settings) as url:
        sources.add(harvesting, "zgeo", url=url + "/oai", prefix="igsn_desc", agent="ZGEO", rate=50)
        time.sleep(1.1)  # the demo's last datestamp is before the first run's responseDate (second granularity)
        assert scheduler.run(harvesting, "zgeo").stored == ZGEO_LIVE
        name = sorted(_names(harvesting, "ZGA"))[0]
        # the agent moves one sample's landing page at the source (MDS), then the source is harvested again
        moved = f"https://cores.zgeo.example.org/moved/{name}"
        r = httpx.post(
            f"{url}/igsn",
            content=f"igsn={name}\nurl={moved}",
            auth=("ZGEO", "zgeo-demo-2024"),
            headers={"Content-Type": "text/plain;charset=UTF-8"},
        )
        assert r.status_code == 201, r.text
        again = scheduler.run(harvesting, "zgeo")
    assert again.complete and again.records == 1 and again.stored == 1 and again.pages == 1
    assert again.requests == 2  # Identify and one ListRecords from the last responseDate
    assert harvesting.row(name).version == 2  # type: ignore[union-attr]  # the changed one, again


def test_busy_provider_retry_after_and_a_broken_record(harvesting: Registry, recorded: tuple[str, Recorded]) -> None:
    url, provider = recorded
    sources.add(harvesting, "ga", url=url, prefix="igsn", agent="ZGA", rate=50)
    started = time.monotonic()
    report = scheduler.run(harvesting, "ga")
    assert time.monotonic() - started >= 1.0  # the 503's Retry-After was waited for
    assert report.complete and report.error is None
    assert report.requests == 3 and len(provider.requests) == 3  # 503, Identify again, ListRecords
    assert _names(harvesting, "AU") == {"AU240"}
    assert report.stored == 1 and len(report.refused) == 1
    assert report.refused[0].startswith("/OAI-PMH/ListRecords/record[2]")
    assert "metadata" in report.refused[0]


def test_a_failing_source_is_marked_and_not_retried_in_a_hot_loop(harvesting: Registry) -> None:
    sock, port = loopback_socket()
    sock.close()  # nothing listens there
    sources.add(harvesting, "gone", url=f"http://127.0.0.1:{port}/oai", prefix="oai_dc", every="1h")
    pauses: list[float] = []
    client = PoliteClient(
        f"http://127.0.0.1:{port}/oai", retries=2, backoff_s=0.5, sleep=pauses.append, timeout_s=2, rate=1000
    )
    report = scheduler.run(harvesting, "gone", client=client)
    assert report.error and "network error" in report.error and "after 3 tries" in report.error
    assert report.requests == 3 and [p for p in pauses if p >= 0.1] == [0.5, 1.0]  # backoff between tries
    src = sources.get(harvesting, "gone")
    assert src.state == "failing (1x)" and src.last_error == report.error
    assert src.next_due is not None and src.next_due > src.last_run  # type: ignore[operator]
    assert scheduler.due(harvesting) == []  # the server waits for the backoff
    resumed = sources.set_paused(harvesting, "gone", False)  # resume: the mark cleared, tried again at once
    assert (resumed.failures, resumed.last_error) == (0, None)
    assert [s.name for s in scheduler.due(harvesting)] == ["gone"]


def test_cli_harvest(harvesting: Registry, source_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    sources.add(harvesting, "zgeo", url=source_url, prefix="igsn_desc", agent="ZGEO", rate=50)
    data = str(harvesting.settings.data_dir)
    harvesting.close()
    assert main(["harvest", "zgeo", "--data", data]) == 0
    captured = capsys.readouterr()
    assert f"zgeo: {DEMO_RECORDS} records in 6 page(s), {ZGEO_LIVE} stored" in captured.out
    assert f"zgeo: page 6, {DEMO_RECORDS}/{DEMO_RECORDS} records" in captured.err
    assert captured.err.count("refused: zgeo: ") == DEMO_LIVE - ZGEO_LIVE
    assert main(["source", "show", "zgeo", "--data", data]) == 0
    shown = capsys.readouterr().out
    assert f"samples: {DEMO_RECORDS - DEMO_LIVE} deleted, {DEMO_LIVE - ZGEO_LIVE} refused, {ZGEO_LIVE} stored" in shown


def test_the_server_harvests_scheduled_sources(harvesting: Registry, source_url: str) -> None:
    from api.app import create_app

    sources.add(harvesting, "zgeo", url=source_url, prefix="igsn_desc", agent="ZGEO", rate=50, every="1d")
    sources.add(harvesting, "manual", url=source_url, prefix="igsn_desc", rate=50)  # on demand only
    settings = harvesting.settings
    harvesting.close()
    app = create_app(settings)
    with live_server(settings, app=app):
        assert app.state.harvester.checked.wait(60)
        reports = app.state.harvester.reports
    assert [(r.source, r.stored) for r in reports] == [("zgeo", ZGEO_LIVE)]
    with Registry(settings) as registry:
        zgeo = sources.get(registry, "zgeo")
        assert zgeo.last_run and zgeo.next_due and zgeo.next_due > zgeo.last_run
        assert sources.get(registry, "manual").last_run is None


def test_an_unverified_source_is_marked_in_search_and_every_representation(
    harvesting: Registry, source_url: str
) -> None:
    sources.add(harvesting, "all", url=source_url, prefix="igsn_desc", rate=50)
    assert scheduler.run(harvesting, "all").complete
    sources.add(harvesting, "zgeo", url=source_url, prefix="igsn_desc", agent="ZGEO", rate=50)
    assert scheduler.run(harvesting, "zgeo").complete  # as recent as "all"'s and harvested last: its records shown
    shown = dict(harvesting.db.read().execute("SELECT igsn, source FROM harvest_origin WHERE in_force = 1"))
    marked = sorted(n for n, s in shown.items() if s == "all")[0]
    plain = sorted(n for n, s in shown.items() if s == "zgeo")[0]
    note = f"Harvested from the OAI-PMH source all ({source_url}): {UNVERIFIED_TEXT}"
    harvest_graph = origins.record_graph(harvesting.iris, "all", marked)
    settings = harvesting.settings
    harvesting.close()
    with live_server(settings, app=create_app(settings)) as url, httpx.Client(base_url=url) as http:
        items = {i["igsn"]: i for i in http.get("/api/v1/search", params={"limit": 200}).json()["items"]}
        assert items[marked]["unverified"] == note and items[plain]["unverified"] is None
        page = http.get("/search", params={"q": marked}).text
        assert f'<strong class="unverified">{html.escape(note, quote=False)}</strong>' in page

        def get(profile: str, media_type: str, name: str = marked) -> bytes:
            r = http.get(f"/{name}", params={"_profile": profile, "_mediatype": media_type})
            assert r.status_code == 200, r.text
            return r.content

        for media_type in ("text/turtle", "application/n-triples", "application/rdf+xml"):
            triples = {q.triple for q in parse(get("ig", media_type), format=RDF_FORMATS[media_type], base_iri=url)}
            assert Triple(harvest_graph, IG.unverified, TRUE) in triples
        quads = set(parse(get("ig", "application/n-quads"), format=RdfFormat.N_QUADS))
        assert Quad(harvest_graph, IG.unverified, TRUE, harvest_graph) in quads
        assert b"unverified" not in get("ig", "text/turtle", plain)
        for profile, media_type in (
            ("datacite", "application/vnd.datacite.datacite+xml"),
            ("datacite", "application/vnd.datacite.datacite+json"),
            ("igsn_desc", "application/xml"),
            ("oai_dc", "application/xml"),
            ("sdo", "application/ld+json"),
        ):
            assert UNVERIFIED_TEXT in get(profile, media_type).decode(), (profile, media_type)
            assert UNVERIFIED_TEXT not in get(profile, media_type, plain).decode(), (profile, media_type)
