"""Harvested descriptions in the graph: one named graph per source record with its provenance and its XML as
received, the precedence between a registered description and sources, deletions at the source, unverified
sources, the ``source:NAME`` OAI-PMH sets — against real providers on loopback: a pyoai server serving the
recorded GA, CSIRO and ARDC catalogues of ../shared/examples, and this project's /oai in a second process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from lxml import etree
from pyoxigraph import Literal, NamedNode

from api.app import create_app
from igsn_graph.demo_load import ensure_demo
from igsn_graph.formats.kernels import read_xml
from igsn_graph.harvest import origins, scheduler, sources
from igsn_graph.harvest.about import PROVENANCE
from igsn_graph.harvest.client import PoliteClient
from igsn_graph.harvest.view import UNVERIFIED_TEXT
from igsn_graph.registry.accounts import Principal
from igsn_graph.registry.service import Registry, Submission
from igsn_graph.settings import Settings
from igsn_graph.vocab import DCTERMS, FOAF, IG, PROV, XSD
from igsn_graph.xmlparser import parse_xml
from tests.conftest import live_server
from tests.reliability.server import ServerProcess

from .providers import CATALOGUES, NAMES, OAI, Catalogue, Provider, available

DC_ELEMENTS = "http://purl.org/dc/elements/1.1/"
#: the demo set as the second server publishes it (see test_scheduler)
DEMO_RECORDS, ZGEO_LIVE = 51, 19


@pytest.fixture
def agents(harvesting: Registry) -> Registry:
    """The harvesting registry with CSIRO's and ARDC's test agents beside ZGA (namespace AU)."""
    harvesting.add_agent("ZCS", name="CSIRO (test account)", password="cs-secret-1", namespaces=["CS", "XXAA"])
    harvesting.add_agent("ZARDC", name="ARDC (test account)", password="ardc-secret-1", namespaces=["XX0"])
    return harvesting


@contextmanager
def serving(provider: Provider) -> Iterator[str]:
    if not available():
        pytest.skip("../shared/examples is absent: the recorded GA, CSIRO and ARDC records are not available")
    with live_server(Settings(data_dir=Path("/nonexistent")), app=provider.app()) as url:
        provider.url = url + "/oai"
        yield provider.url


def _name_of(registry: Registry, igsn: str) -> str | None:
    for t in registry.graph_of(igsn):
        if t.subject == registry.iris.sample(igsn) and t.predicate == DCTERMS.term("title"):
            return str(t.object.value)
    return None


def _harvest_graph(registry: Registry, source: str, igsn: str) -> dict[NamedNode, list[str]]:
    out: dict[NamedNode, list[str]] = {}
    g = origins.record_graph(registry.iris, source, igsn)
    for t in registry.store.graph(g):
        if t.subject == g:
            out.setdefault(t.predicate, []).append(t.object.value)
    return out


def _titles(registry: Registry, igsn: str) -> set[tuple[str, str]]:
    """(graph, title) of every title any graph gives the sample (the result is read to the end: a live result
    keeps the store open)."""
    sample = registry.iris.sample(igsn)
    query = f"SELECT ?g ?title {{ GRAPH ?g {{ {sample} <http://purl.org/dc/terms/title> ?title }} }}"
    return {(r["g"].value, r["title"].value) for r in registry.store.query(query)}  # type: ignore[attr-defined]


def _events(registry: Registry, igsn: str) -> list[str]:
    rows = registry.db.read().execute("SELECT event FROM versions WHERE igsn = ? ORDER BY version", (igsn,))
    return [r[0] for r in rows]


def _landing(settings: Settings, igsn: str) -> str:
    with live_server(settings, app=create_app(settings)) as url:
        r = httpx.get(f"{url}/{igsn}", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 200, r.text
    return r.text


def test_recorded_catalogues_through_pyoai_busy_bad_token_and_a_malformed_record(agents: Registry) -> None:
    registry = agents
    provider = Provider(Catalogue.recorded(), busy=1, refuse_token_at=1)
    provider.malformed("csirov3", "XXAA45CJ1N")
    with serving(provider) as url:
        sources.add(registry, "ga", url=url, prefix="igsn_desc", agent="ZGA", rate=50)
        sources.add(registry, "csiro", url=url, prefix="csirov3", agent="ZCS", rate=50)
        sources.add(registry, "ardc", url=url, prefix="ardc", agent="ZARDC", rate=50)
        ga = scheduler.run(registry, "ga")
        csiro = scheduler.run(registry, "csiro")
        ardc = scheduler.run(registry, "ardc")
    # GA: the first request got 503 + Retry-After, asked again
    assert ga.complete and ga.error is None and ga.stored == 2 and provider.requests[0]["verb"] == "Identify"
    # CSIRO: three records in two pages; the token of page 2 was refused once, so the run started again
    assert csiro.complete and csiro.error is None and csiro.pages == 3
    asked = [r for r in provider.requests if r.get("metadataPrefix") == "csirov3"]
    assert len(asked) == 2 and all(r["verb"] == "ListRecords" for r in asked)  # the first page twice
    assert csiro.stored == 3  # CSTSTDOCO1 once per start, CSAZSXXXXX- once: a page again, never a record lost
    malformed = [r for r in csiro.refused if "resourceIdentifier" in r]
    assert malformed and all(r.startswith("/OAI-PMH/ListRecords/record[2]") for r in malformed)
    assert ardc.complete and ardc.stored == 1
    stored = {r[0] for r in registry.db.read().execute("SELECT igsn FROM catalogue")}
    assert stored == {"AU240", "AU239", "CSTSTDOCO1", "CSAZSXXXXX-", "XX0TUIAYLV"}

    # each record: its own harvest graph with its provenance; the description once, in the public graph
    prov = _harvest_graph(registry, "ga", "AU240")
    assert prov[FOAF.primaryTopic] == [registry.iris.sample("AU240").value]
    assert prov[PROV.hadPrimarySource] == [origins.source_node(registry.iris, "ga").value]
    assert prov[DCTERMS.identifier] == ["oai:recorded:AU240"]
    assert prov[DCTERMS.modified] == ["2024-01-01T00:00:00Z"]
    assert prov[IG.inForce] == ["true"] and IG.unverified not in prov
    assert prov[PROV.wasDerivedFrom] == [
        f"{url}?verb=GetRecord&identifier=oai%3Arecorded%3AAU240&metadataPrefix=igsn_desc"
    ]
    assert prov[IG.harvestRequest][0].startswith(f"{url}?metadataPrefix=igsn_desc&verb=ListRecords")
    assert prov[PROV.generatedAtTime][0] == sources.get(registry, "ga").last_response_date
    g = origins.record_graph(registry.iris, "ga", "AU240")
    assert all(t.subject == g for t in registry.store.graph(g))  # no description triples: they are shown
    assert _name_of(registry, "AU240") == "Sample igsn:AU240"
    assert _events(registry, "AU240") == ["harvested"]
    # the source's own node: what it is, whom it speaks for
    node = origins.source_node(registry.iris, "ga")
    assert {(t.predicate, t.object) for t in registry.store.graph(node)} >= {
        (IG.speaksFor, registry.iris.agent("ZGA")),
        (IG.metadataPrefix, Literal("igsn_desc")),
    }
    # the XML as the source sent it: the whole <record>, header and payload
    kept = parse_xml(origins.original(registry.db.read(), "csiro", "CSTSTDOCO1") or b"")
    assert kept.tag == f"{{{OAI}}}record"
    assert kept.findtext(f"{{{OAI}}}header/{{{OAI}}}identifier") == "oai:recorded:CSTSTDOCO1"
    assert origins.original(registry.db.read(), "csiro", "XXAA45CJ1N") is None  # refused: nothing kept


def _register_here(registry: Registry, igsn: str, title: str) -> None:
    """The owner registers its own description here (the GA record with another title)."""
    path, in_oai = CATALOGUES["igsn_desc"][NAMES["igsn_desc"].index(igsn)]
    record = read_xml(path.read_bytes()).records[0]
    record.name = title
    outcome = registry.register(Principal("agent", "ZGA"), [Submission(record, "igsn_desc", b"<registered/>")])
    assert outcome[0].ok, outcome[0].reasons


def test_a_registered_description_wins_and_the_harvested_one_is_kept_beside(agents: Registry) -> None:
    registry = agents
    _register_here(registry, "AU240", "Registered here")
    with serving(Provider(Catalogue.recorded())) as url:
        sources.add(registry, "ga", url=url, prefix="igsn_desc", agent="ZGA", rate=50)
        report = scheduler.run(registry, "ga")
    assert report.complete and report.stored == 2
    assert report.beside == ["AU240: kept beside the description shown (the owner registered a description here)"]
    assert _name_of(registry, "AU240") == "Registered here"  # the registered description is shown
    assert _events(registry, "AU240") == ["metadata-registered"]  # the harvest wrote no version of it
    assert _events(registry, "AU239") == ["harvested"]
    prov = _harvest_graph(registry, "ga", "AU240")
    assert prov[IG.inForce] == ["false"]
    # one node, both descriptions: SPARQL over the union default graph sees both titles, each in its graph
    titles = _titles(registry, "AU240")
    assert titles == {
        (registry.iris.record_graph("AU240").value, "Registered here"),
        (origins.record_graph(registry.iris, "ga", "AU240").value, "Sample igsn:AU240"),
    }
    settings = registry.settings
    registry.close()
    page = _landing(settings, "AU240")
    section = page[page.index("Described by") :]
    assert "This registry" in section and "kept beside the description shown" in section
    assert "Source ga" in section and UNVERIFIED_TEXT not in section


def test_a_description_registered_after_a_harvest_wins_at_once(agents: Registry) -> None:
    registry = agents
    with serving(Provider(Catalogue.recorded())) as url:
        sources.add(registry, "ga", url=url, prefix="igsn_desc", agent="ZGA", rate=50)
        assert scheduler.run(registry, "ga").complete
    assert _harvest_graph(registry, "ga", "AU240")[IG.inForce] == ["true"]
    _register_here(registry, "AU240", "Registered here")  # the source has not listed the record again
    assert _name_of(registry, "AU240") == "Registered here"
    assert _events(registry, "AU240") == ["harvested", "metadata-updated"]
    # the registration's write said the source's record is no longer the one shown, graph and row alike
    assert _harvest_graph(registry, "ga", "AU240")[IG.inForce] == ["false"]
    assert origins.origin(registry.db.read(), "ga", "AU240").in_force is False  # type: ignore[union-attr]
    # and its description is kept beside, in its harvest graph, as a harvest keeps one
    assert _titles(registry, "AU240") == {
        (registry.iris.record_graph("AU240").value, "Registered here"),
        (origins.record_graph(registry.iris, "ga", "AU240").value, "Sample igsn:AU240"),
    }
    assert _harvest_graph(registry, "ga", "AU239")[IG.inForce] == ["true"]  # another sample: untouched
    settings = registry.settings
    registry.close()
    section = _landing(settings, "AU240").split("Described by", 1)[1]
    assert "This registry" in section and "kept beside the description shown" in section
    assert "Source ga" in section and ": the description shown" not in section


def test_the_most_recent_source_wins_and_a_deletion_falls_back(agents: Registry, oai_schema: etree.XMLSchema) -> None:
    registry = agents
    mirror_catalogue = Catalogue.recorded(stamp=datetime(2025, 6, 1))
    title = mirror_catalogue.entry("igsn_desc", "AU240").payload.find(  # type: ignore[union-attr]
        "{http://schema.igsn.org/description/1.0}name"
    )
    title.text = "AU240 as the mirror says"
    with serving(Provider(Catalogue.recorded())) as ga_url, serving(Provider(mirror_catalogue)) as mirror_url:
        sources.add(registry, "ga", url=ga_url, prefix="igsn_desc", agent="ZGA", rate=50)
        sources.add(registry, "mirror", url=mirror_url, prefix="igsn_desc", rate=50)  # unverified
        assert scheduler.run(registry, "ga").stored == 2
        assert scheduler.run(registry, "mirror").stored == 2
        # the mirror's records are more recent: they are shown; GA's go back into their own graphs
        assert _name_of(registry, "AU240") == "AU240 as the mirror says"
        assert _events(registry, "AU240") == ["harvested", "harvested"]
        ga_prov, mirror_prov = _harvest_graph(registry, "ga", "AU240"), _harvest_graph(registry, "mirror", "AU240")
        assert ga_prov[IG.inForce] == ["false"] and mirror_prov[IG.inForce] == ["true"]
        assert mirror_prov[IG.unverified] == ["true"] and IG.unverified not in ga_prov
        ga_graph = registry.store.graph(origins.record_graph(registry.iris, "ga", "AU240"))
        assert any(t.predicate == DCTERMS.term("title") and t.object.value == "Sample igsn:AU240" for t in ga_graph)
        unverified = Literal("true", datatype=XSD.boolean)
        assert (IG.unverified, unverified) in {
            (t.predicate, t.object) for t in registry.store.graph(origins.source_node(registry.iris, "mirror"))
        }
        # the mirror drops AU240 (a deleted record): GA's description is shown again, the sample stays active
        mirror_catalogue.entry("igsn_desc", "AU240").payload = None
        sources.update_state(registry, "mirror", last_response_date=None)  # a full run
        again = scheduler.run(registry, "mirror")
        assert again.complete and again.deleted == 0
        assert _name_of(registry, "AU240") == "Sample igsn:AU240"
        assert registry.row("AU240").active  # type: ignore[union-attr]
        assert registry.store.graph(origins.record_graph(registry.iris, "mirror", "AU240")) == []
        assert _harvest_graph(registry, "ga", "AU240")[IG.inForce] == ["true"]
        # AU239 is the mirror's (unverified) description now: its landing page says so
        settings = registry.settings
        registry.close()
    page = _landing(settings, "AU239")
    section = page[page.index("Described by") :]
    assert "Source mirror" in section and UNVERIFIED_TEXT in section and "the description shown" in section
    # re-exposed over OAI-PMH: the record says where it came from (OAI provenance) and that nobody vouches for it
    with live_server(settings, app=create_app(settings)) as base:
        params = {"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:test.igsn-graph.org:AU239"}
        body = httpx.get(f"{base}/oai", params=params).content
    root = etree.fromstring(body)
    assert oai_schema.validate(root), oai_schema.error_log
    origin = root.find(f".//{{{OAI}}}about/{{{PROVENANCE}}}provenance/{{{PROVENANCE}}}originDescription")
    assert origin is not None and origin.get("altered") == "true"
    assert origin.findtext(f"{{{PROVENANCE}}}baseURL") == mirror_url
    assert origin.findtext(f"{{{PROVENANCE}}}identifier") == "oai:recorded:AU239"
    assert origin.findtext(f"{{{PROVENANCE}}}datestamp") == "2025-06-01T00:00:00Z"
    assert origin.findtext(f"{{{PROVENANCE}}}metadataNamespace") == "http://schema.igsn.org/description/1.0"
    notes = [e.text for e in root.iterfind(f".//{{{OAI}}}about//{{{DC_ELEMENTS}}}description")]
    assert notes == [f"Harvested from the OAI-PMH source mirror ({mirror_url}): {UNVERIFIED_TEXT}"]


def test_a_deletion_at_the_only_source_deactivates(agents: Registry) -> None:
    registry = agents
    catalogue = Catalogue.recorded()
    with serving(Provider(catalogue)) as url:
        sources.add(registry, "ga", url=url, prefix="igsn_desc", agent="ZGA", rate=50)
        scheduler.run(registry, "ga")
        catalogue.entry("igsn_desc", "AU239").payload = None
        sources.update_state(registry, "ga", last_response_date=None)
        again = scheduler.run(registry, "ga")
    assert again.deleted == 1
    assert not registry.row("AU239").active  # type: ignore[union-attr]
    assert origins.origins_of(registry.db.read(), "AU239") == []
    assert registry.store.graph(origins.record_graph(registry.iris, "ga", "AU239")) == []


def test_oai_sets_per_source(agents: Registry) -> None:
    registry = agents
    with serving(Provider(Catalogue.recorded())) as url:
        sources.add(registry, "ga", url=url, prefix="igsn_desc", agent="ZGA", rate=50)
        sources.add(registry, "ardc", url=url, prefix="ardc", agent="ZARDC", rate=50)
        scheduler.run(registry, "ga")
        scheduler.run(registry, "ardc")
    settings = registry.settings
    registry.close()
    with live_server(settings, app=create_app(settings)) as base:
        sets = parse_xml(httpx.get(f"{base}/oai", params={"verb": "ListSets"}).content)
        specs = [s.text for s in sets.iter(f"{{{OAI}}}setSpec")]
        assert {"source", "source:ga", "source:ardc"} <= set(specs)
        listed = parse_xml(
            httpx.get(
                f"{base}/oai", params={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "source:ga"}
            ).content
        )
        headers = listed.findall(f".//{{{OAI}}}header")
        assert sorted(h.findtext(f"{{{OAI}}}identifier").rsplit(":", 1)[1] for h in headers) == ["AU239", "AU240"]
        assert all("source:ga" in [s.text for s in h.iterfind(f"{{{OAI}}}setSpec")] for h in headers)
        every = parse_xml(
            httpx.get(
                f"{base}/oai", params={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "source"}
            ).content
        )
        assert len(every.findall(f".//{{{OAI}}}header")) == 3


def test_our_own_oai_in_a_second_process_killed_and_restarted(harvesting: Registry, tmp_path: Path) -> None:
    data = tmp_path / "source" / "data"
    ensure_demo(Settings(data_dir=data))
    server = ServerProcess(data, env={"IGSN_GRAPH_OAI_PAGE_SIZE": "10"})
    base = server.start()
    try:
        sources.add(harvesting, "zgeo", url=base + "/oai", prefix="igsn_desc", agent="ZGEO", rate=50)

        def kill_after_two(report: scheduler.RunReport) -> None:
            if report.pages == 2:
                server.kill()

        client = PoliteClient(base + "/oai", rate=50, retries=1, backoff_s=0.01, timeout_s=5, sleep=lambda _: None)
        first = scheduler.run(harvesting, "zgeo", client=client, on_page=kill_after_two)
        assert not first.complete and first.error and "network error" in first.error
        assert sources.get(harvesting, "zgeo").state == "failing (1x)"
        server.start()  # the same data folder and port: its resumption tokens are still valid
        second = scheduler.run(harvesting, "zgeo")
    finally:
        server.stop()
    assert second.resumed and second.complete and second.error is None
    assert first.records + second.records == DEMO_RECORDS
    kept = [g for g in harvesting.store.graphs_with_prefix(origins.record_graph(harvesting.iris, "zgeo", "").value)]
    assert len(kept) == ZGEO_LIVE == first.stored + second.stored
    assert {r[0] for r in harvesting.db.read().execute("SELECT DISTINCT event FROM versions")} == {"harvested"}
    # every harvest graph names the sample it is about, and that sample is registered
    names = {t.object.value for g in kept for t in harvesting.store.graph(g) if t.predicate == FOAF.primaryTopic}
    assert {harvesting.iris.name_of(n) for n in names} == {
        r[0] for r in harvesting.db.read().execute("SELECT igsn FROM catalogue")
    }


def test_a_record_the_source_no_longer_lists_is_flagged_and_kept(agents: Registry) -> None:
    registry = agents
    catalogue = Catalogue.recorded()
    with serving(Provider(catalogue)) as url:
        sources.add(registry, "ga", url=url, prefix="igsn_desc", agent="ZGA", rate=50)
        scheduler.run(registry, "ga")
        catalogue.entries["igsn_desc"] = [
            e for e in catalogue.entries["igsn_desc"] if not e.identifier.endswith("AU239")
        ]
        sources.update_state(registry, "ga", last_response_date=None)  # a full run
        again = scheduler.run(registry, "ga")
    assert again.complete and again.unlisted == ["AU239"]
    assert _harvest_graph(registry, "ga", "AU239")[IG.unlisted] == ["true"]
    assert IG.unlisted not in _harvest_graph(registry, "ga", "AU240")
    assert registry.row("AU239").active and _name_of(registry, "AU239") == "Sample igsn:AU239"  # type: ignore[union-attr]
    settings = registry.settings
    registry.close()
    assert "no longer listed by the source" in _landing(settings, "AU239")


def test_a_removed_source_takes_its_records_along(agents: Registry) -> None:
    registry = agents
    with serving(Provider(Catalogue.recorded())) as url:
        sources.add(registry, "ga", url=url, prefix="igsn_desc", agent="ZGA", rate=50)
        scheduler.run(registry, "ga")
    sources.remove(registry, "ga")
    assert origins.origins_of(registry.db.read(), "AU240") == []
    assert registry.store.graph(origins.record_graph(registry.iris, "ga", "AU240")) == []
    assert registry.store.graph(origins.source_node(registry.iris, "ga")) == []
    assert _name_of(registry, "AU240") == "Sample igsn:AU240" and _events(registry, "AU240") == ["harvested"]
    settings = registry.settings
    registry.close()
    with live_server(settings, app=create_app(settings)) as base:
        sets = parse_xml(httpx.get(f"{base}/oai", params={"verb": "ListSets"}).content)
        listed = parse_xml(
            httpx.get(f"{base}/oai", params={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}).content
        )
    assert not [s.text for s in sets.iter(f"{{{OAI}}}setSpec") if (s.text or "").startswith("source")]
    assert not [s.text for s in listed.iter(f"{{{OAI}}}setSpec") if (s.text or "").startswith("source")]


def test_registry_facts_stay_the_registry_s(agents: Registry) -> None:
    """A sample minted here (landing URL, no description) takes a source's description, never its landing page;
    a new sample known only from the source gets the record's landing page."""
    registry = agents
    registry.mint(Principal("agent", "ZCS"), "CSTSTDOCO1", "https://cs.example.org/CSTSTDOCO1")
    with serving(Provider(Catalogue.recorded())) as url:
        sources.add(registry, "csiro", url=url, prefix="csirov3", agent="ZCS", rate=50)
        report = scheduler.run(registry, "csiro")
    assert report.complete and report.stored == 3
    minted, new = registry.facts("CSTSTDOCO1"), registry.facts("CSAZSXXXXX-")
    assert minted is not None and new is not None
    assert minted.landing_url == "https://cs.example.org/CSTSTDOCO1"  # not http://example.com.au/abcde
    assert _name_of(registry, "CSTSTDOCO1") == "A title worthy for kings"
    assert _events(registry, "CSTSTDOCO1") == ["minted", "harvested"]
    assert new.landing_url and new.landing_url.startswith("http://www.anzsoil.org/")
    assert (minted.agent, new.agent) == ("ZCS", "ZCS")
