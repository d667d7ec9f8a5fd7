"""registry.embargo: a future embargo keeps a description private everywhere (resolver, SPARQL, OAI-PMH, search);
once it has ended the registry makes it public itself — a new version and datestamp through the journal — from
the server's lifter or `igsn-graph embargoes --lift`. ARDC's ``isPublic/@embargoEnd`` read from the real example."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from api.app import create_app
from igsn_graph.cli import main
from igsn_graph.index.rebuild import verify
from igsn_graph.record import SampleRecord
from igsn_graph.registry import embargo
from igsn_graph.registry.accounts import ADMIN
from igsn_graph.registry.datadir import rebuild_indexes
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
from igsn_graph.store import history
from tests.conftest import AGENT, fresh_settings
from tests.registry.test_service import AGENT_P, submit

EXAMPLE = "au-research-igsn-metadata-registry/src/main/resources/static/examples/sample_ardc_v1.xml"
TITLE = "This Tiltle also left blank on purpose"  # as the ARDC example writes it
OAI = "{http://www.openarchives.org/OAI/2.0/}"
XML = {"Content-Type": "application/xml;charset=UTF-8"}
UTC = timezone.utc


def ardc(shared: Path, name: str, public: str) -> bytes:
    """The ARDC example as ``name`` (namespace ZT of the test agent) with ``public`` for its isPublic element."""
    text = (shared / "examples" / EXAMPLE).read_text(encoding="utf-8")
    assert "<isPublic>true</isPublic>" in text and "10273/XX0TUIAYLV" in text
    return text.replace("10273/XX0TUIAYLV", f"10273/{name}").replace("<isPublic>true</isPublic>", public).encode()


def embargoed(shared: Path, name: str, end: str = "2099", public: str = "false") -> bytes:
    return ardc(shared, name, f'<isPublic embargoEnd="{end}">{public}</isPublic>')


def table(registry: Registry) -> list[tuple[str, str, str]]:
    return [tuple(r) for r in registry.db.read().execute("SELECT igsn, ends, lifts_at FROM embargo ORDER BY igsn")]


def events(registry: Registry, name: str) -> list[tuple[str, str]]:
    return [(v.event, v.principal) for v in history.versions_of(registry.db.read(), name)]


def store_past_embargo(registry: Registry, shared: Path, name: str) -> None:
    """A private description whose embargo has ended since it was stored: registered under a 2099 embargo,
    then its stored description given a 2020 end through the journal (as a folder written before the rule
    holds it), so nothing but a lift makes it public."""
    assert submit(registry, AGENT_P, embargoed(shared, name))[0].ok
    row, facts, record = registry.row(name), registry.facts(name), registry.record(name)
    assert row is not None and facts is not None and record is not None
    with registry.writing():
        stamp = registry.journal.reserve()
        registry.journal.commit(
            [
                registry.admin_change(
                    facts=replace(facts, datestamp=stamp),
                    record=replace(record, embargo_end="2020-12-31"),
                    previous=row,
                    event="metadata-updated",
                    principal=ADMIN,
                )
            ]
        )
    assert not registry.row(name).is_public  # type: ignore[union-attr]


# -- the rule -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "written, lifts",
    [
        ("2021", "2022-01-01T00:00:00Z"),  # a bare year runs to its end
        ("2021-02", "2021-03-01T00:00:00Z"),
        ("2020-02", "2020-03-01T00:00:00Z"),
        ("2021-12-31", "2022-01-01T00:00:00Z"),  # a date runs to the end of that day
        ("2021-12-31+10:00", "2021-12-31T14:00:00Z"),  # … of its own zone
        ("2021-06-30T08:00:00Z", "2021-06-30T08:00:00Z"),
        ("2021-06-30T08:00:00.25-02:00", "2021-06-30T10:00:01Z"),  # never early
        ("9999", "9999-12-31T23:59:59Z"),  # never lifted
    ],
)
def test_an_embargo_runs_to_the_end_of_the_period_it_names(written: str, lifts: str) -> None:
    at = embargo.lifts_at(written)
    assert at is not None and at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") == lifts


@pytest.mark.parametrize("written", ["2021-02-29", "2021-13", "0000", "soon", "2021-01-01+25:00"])
def test_an_end_that_is_no_date_is_not_read(written: str) -> None:
    assert embargo.lifts_at(written) is None


@pytest.mark.parametrize(
    "public, end, expected, warned",
    [
        (False, "2099-12-31", False, False),  # private until the embargo ends
        (True, "2099-12-31", False, True),  # says public, embargo running: private until then (the safe reading)
        (False, "2020-12-31", True, False),  # the embargo has ended: public, whatever isPublic says
        (True, "2020-12-31", True, False),
        (False, None, False, False),  # private without an embargo: private for good
        (True, None, True, False),
    ],
)
def test_the_access_rule(public: bool, end: str | None, expected: bool, warned: bool) -> None:
    record = SampleRecord(igsn="ZT0001", name="n", is_public=public, embargo_end=end)
    got = embargo.with_embargo(record, datetime(2026, 12, 5, tzinfo=UTC))
    assert got.is_public is expected and got.embargo_end == end
    assert bool(got.warnings) is warned
    if warned:
        assert "embargo end 2099-12-31" in got.warnings[0] and "kept private" in got.warnings[0]


# -- registrations --------------------------------------------------------------------------------------------
def test_ardc_future_embargo_loads_private(registry: Registry, shared: Path) -> None:
    [out] = submit(registry, AGENT_P, embargoed(shared, "ZT0101"))
    assert out.ok, out.reasons
    row = registry.row("ZT0101")
    assert row is not None and not row.is_public and row.deleted and row.has_metadata
    assert table(registry) == [("ZT0101", "2099-12-31", "2100-01-01T00:00:00Z")]
    public = " ".join(str(t) for t in registry.graph_of("ZT0101"))
    assert TITLE not in public and "2099" not in public  # the public graph holds the registry facts only
    record = registry.record("ZT0101")  # the owner's description, from the history
    assert record is not None and record.name == TITLE and record.embargo_end == "2099-12-31"
    assert not record.is_public
    assert embargo.lift(registry, now=datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC)) == []  # runs all that day


def test_bare_year_embargo_in_the_past_is_public_at_once(registry: Registry, shared: Path) -> None:
    [out] = submit(registry, AGENT_P, embargoed(shared, "ZT0102", end="2020"))
    assert out.ok, out.reasons
    row = registry.row("ZT0102")
    assert row is not None and row.is_public and not row.deleted
    assert table(registry) == []
    record = registry.record("ZT0102")
    assert record is not None and record.is_public and record.embargo_end == "2020-12-31"
    assert TITLE in " ".join(str(t) for t in registry.graph_of("ZT0102"))


def test_public_with_a_running_embargo_is_private_until_then_and_says_so(registry: Registry, shared: Path) -> None:
    [out] = submit(registry, AGENT_P, embargoed(shared, "ZT0103", end="2099-06", public="true"))
    assert out.ok, out.reasons
    assert any("embargo end 2099-06-30" in w and "private" in w for w in out.warnings), out.warnings
    assert not registry.row("ZT0103").is_public  # type: ignore[union-attr]
    assert table(registry) == [("ZT0103", "2099-06-30", "2099-07-01T00:00:00Z")]


def test_a_new_description_replaces_the_embargo(registry: Registry, shared: Path) -> None:
    submit(registry, AGENT_P, embargoed(shared, "ZT0104"))
    submit(registry, AGENT_P, embargoed(shared, "ZT0104", end="2098-05-17"))
    assert table(registry) == [("ZT0104", "2098-05-17", "2098-05-18T00:00:00Z")]
    submit(registry, AGENT_P, ardc(shared, "ZT0104", "<isPublic>false</isPublic>"))  # private for good
    assert table(registry) == [] and not registry.row("ZT0104").is_public  # type: ignore[union-attr]
    submit(registry, AGENT_P, embargoed(shared, "ZT0104"))
    submit(registry, AGENT_P, ardc(shared, "ZT0104", "<isPublic>true</isPublic>"))  # the owner publishes it
    assert table(registry) == [] and registry.row("ZT0104").is_public  # type: ignore[union-attr]


def test_deactivated_embargoed_sample_keeps_its_embargo(registry: Registry, shared: Path) -> None:
    submit(registry, AGENT_P, embargoed(shared, "ZT0105"))
    registry.deactivate(AGENT_P, "ZT0105")
    assert table(registry) == [("ZT0105", "2099-12-31", "2100-01-01T00:00:00Z")]
    [lifted] = embargo.lift(registry, now=datetime(2100, 1, 1, tzinfo=UTC))
    row = registry.row("ZT0105")
    assert lifted.igsn == "ZT0105" and row is not None and row.is_public and not row.active and row.deleted
    registry.reactivate(AGENT_P, "ZT0105")  # back: public, the embargo having ended meanwhile
    assert TITLE in " ".join(str(t) for t in registry.graph_of("ZT0105"))


# -- the table: rebuilt, filled for older folders, never trusted over the description ---------------------------
@pytest.mark.both_databases
def test_table_is_rebuilt_with_the_index_and_filled_for_older_folders(registry: Registry, shared: Path) -> None:
    submit(registry, AGENT_P, embargoed(shared, "ZT0111"))
    submit(registry, AGENT_P, embargoed(shared, "ZT0112", end="2097-03-04T05:06:07Z"))
    submit(registry, AGENT_P, embargoed(shared, "ZT0113", end="2020"))  # public: no embargo running
    expected = [
        ("ZT0111", "2099-12-31", "2100-01-01T00:00:00Z"),
        ("ZT0112", "2097-03-04T05:06:07Z", "2097-03-04T05:06:07Z"),
    ]
    assert table(registry) == expected
    with registry.writing():
        rebuild_indexes(registry.db, registry.store, registry.iris)
    assert table(registry) == expected
    with registry.db.write() as conn:  # a data folder written before the table existed
        conn.execute("DELETE FROM embargo")
        conn.execute("DELETE FROM meta WHERE key = 'embargo_index'")
    assert [(e.igsn, e.ends, e.lifts_at) for e in embargo.running(registry)] == expected[::-1]  # soonest first
    assert table(registry) == expected
    assert verify(registry.db, registry.store, registry.iris).ok


def test_a_table_row_the_description_does_not_bear_out_is_mended_not_lifted(registry: Registry, shared: Path) -> None:
    submit(registry, AGENT_P, embargoed(shared, "ZT0121"))
    with registry.db.write() as conn:
        conn.execute("UPDATE embargo SET lifts_at = '2000-01-01T00:00:00Z'")
    assert embargo.lift(registry) == []
    assert not registry.row("ZT0121").is_public  # type: ignore[union-attr]
    assert table(registry) == [("ZT0121", "2099-12-31", "2100-01-01T00:00:00Z")]


# -- through the server: hidden everywhere, then public with a new datestamp ------------------------------------
def _sees(c: TestClient, name: str) -> dict[str, object]:
    """What the public gets of ``name`` on each surface: does it show the title, and the OAI header."""
    turtle = c.get(f"/{name}", headers={"Accept": "text/turtle"})
    landing = c.get(f"/{name}", params={"_profile": "landing"}, headers={"Accept": "text/html"})  # ours, not 303
    ask = c.get(
        "/sparql",
        params={"query": f'ASK {{ ?s <http://purl.org/dc/terms/title> "{TITLE}" }}'},
        headers={"Accept": "application/sparql-results+json"},
    )
    oai = c.get(
        "/oai",
        params={"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": f"oai:test.igsn-graph.org:{name}"},
    )
    search = c.get("/api/v1/search", params={"q": "Tiltle"})
    assert {r.status_code for r in (turtle, landing, ask, oai, search)} == {200}, (turtle.text, landing.text)
    header = etree.fromstring(oai.content).find(f"{OAI}GetRecord/{OAI}record/{OAI}header")
    return {
        "resolver": TITLE in turtle.text,
        "landing": TITLE in landing.text,
        "sparql": ask.json()["boolean"],
        "oai": TITLE in oai.text,
        "search": name in {i["igsn"] for i in search.json()["items"]},
        "deleted": header.get("status") == "deleted",
        "datestamp": header.findtext(f"{OAI}datestamp"),
    }


def test_embargo_hides_everywhere_until_the_lift_publishes_with_a_new_datestamp(tmp_path: Path, shared: Path) -> None:
    with TestClient(create_app(fresh_settings(tmp_path))) as c:
        r = c.post("/metadata", content=embargoed(shared, "ZT0131"), headers=XML, auth=AGENT)
        assert r.status_code == 201, r.text
        registry: Registry = c.app.state.registry  # type: ignore[attr-defined]
        before = registry.row("ZT0131")
        assert before is not None
        hidden = _sees(c, "ZT0131")
        assert hidden == {
            "resolver": False,
            "landing": False,
            "sparql": False,
            "oai": False,
            "search": False,
            "deleted": True,
            "datestamp": before.datestamp,
        }
        # as any private sample: our page names no embargo, the registrant's page is where browsers go
        assert "mbargo" not in c.get("/ZT0131", params={"_profile": "landing"}).text
        assert c.get("/ZT0131", headers={"Accept": "text/html"}, follow_redirects=False).status_code == 303

        [lifted] = embargo.lift(registry, now=datetime(2100, 1, 1, tzinfo=UTC))
        assert (lifted.igsn, lifted.ends) == ("ZT0131", "2099-12-31")
        after = registry.row("ZT0131")
        assert after is not None and after.is_public and after.version == before.version + 1
        # stamped when lifted (whole seconds: the same second as the registration at best)
        assert after.datestamp >= before.datestamp and after.datestamp == registry.journal.last_datestamp()
        assert events(registry, "ZT0131")[-1] == ("embargo-ended", "admin")  # by the registry, not the owner
        assert _sees(c, "ZT0131") == {
            "resolver": True,
            "landing": True,
            "sparql": True,
            "oai": True,
            "search": True,
            "deleted": False,
            "datestamp": after.datestamp,
        }
        record = registry.record("ZT0131")
        assert record is not None and record.is_public and record.embargo_end == "2099-12-31"
        # harvesters asking from the old datestamp get it
        listed = c.get("/oai", params={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": after.datestamp})
        assert "ZT0131" in listed.text
        assert table(registry) == [] and embargo.lift(registry, now=datetime(2100, 1, 2, tzinfo=UTC)) == []


def test_the_server_lifts_ended_embargoes_itself(tmp_path: Path, shared: Path) -> None:
    settings = fresh_settings(tmp_path)
    with Registry(settings) as registry:
        store_past_embargo(registry, shared, "ZT0141")
        submit(registry, AGENT_P, embargoed(shared, "ZT0142"))  # still running
    with TestClient(create_app(settings)) as c:
        lifter = c.app.state.embargo_lifter  # type: ignore[attr-defined]
        assert lifter.checked.wait(60) and lifter.error is None and lifter.lifted == 1
        assert TITLE in c.get("/ZT0141", headers={"Accept": "text/turtle"}).text
        assert TITLE not in c.get("/ZT0142", headers={"Accept": "text/turtle"}).text
        registry = c.app.state.registry  # type: ignore[attr-defined]
        assert events(registry, "ZT0141")[-1] == ("embargo-ended", "admin")
    assert not lifter.running  # stopped with the app


def test_read_only_server_does_not_lift(tmp_path: Path, shared: Path) -> None:
    settings = fresh_settings(tmp_path)
    with Registry(settings) as registry:
        store_past_embargo(registry, shared, "ZT0151")
    with TestClient(create_app(settings.with_(read_only=True))) as c:
        assert not c.app.state.embargo_lifter.running  # type: ignore[attr-defined]
        assert TITLE not in c.get("/ZT0151", headers={"Accept": "text/turtle"}).text


def test_cli_lists_and_lifts(tmp_path: Path, shared: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = fresh_settings(tmp_path)
    with Registry(settings) as registry:
        store_past_embargo(registry, shared, "ZT0161")
        submit(registry, AGENT_P, embargoed(shared, "ZT0162"))
    data = ["--data", str(settings.data_dir)]
    assert main(["embargoes", *data]) == 0
    out = capsys.readouterr().out
    assert re.search(r"ZT0161\tembargoed until 2020-12-31\tended, not lifted yet", out), out
    assert "ZT0162\tembargoed until 2099-12-31\tpublic from 2100-01-01T00:00:00Z" in out
    assert "2 embargo(es) running, 1 ended and not lifted yet" in out
    assert main(["embargoes", "--lift", *data]) == 0
    out = capsys.readouterr().out
    assert "lifted ZT0161" in out and "1 embargo(es) running, 0 ended" in out
    with Registry(Settings(data_dir=settings.data_dir)) as registry:
        assert registry.row("ZT0161").is_public and not registry.row("ZT0162").is_public  # type: ignore[union-attr]
        assert events(registry, "ZT0161")[-1] == ("embargo-ended", "admin")
