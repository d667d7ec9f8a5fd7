"""The registry round trip over each remote engine (`oxigraph serve`, Virtuoso 7.2): register, update, delete,
harvest with OAI-PMH, query the SPARQL endpoint, dump and restore, verify. The same assertions on both engines."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from igsn_graph.index.rebuild import verify
from igsn_graph.registry.dump import dump
from igsn_graph.registry.restore import restore
from igsn_graph.registry.service import Registry, init_data_dir
from igsn_graph.settings import Settings
from igsn_graph.store.base import GraphWrite
from igsn_graph.xmlparser import parse_xml
from tests.conftest import ADMIN_PASSWORD, add_test_accounts, emptied_engine
from tests.oai.samples import ONE, TWO, register, rich

pytestmark = pytest.mark.slow

OAI = {"o": "http://www.openarchives.org/OAI/2.0/"}
IG = "PREFIX ig: <https://w3id.org/igsn-graph/ontology#> PREFIX geo: <http://www.opengis.net/ont/geosparql#>\n"


@pytest.fixture(params=["oxigraph", "virtuoso"])
def engine_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for a data folder whose graph is in an emptied engine."""
    url = emptied_engine(request, request.param)
    return Settings(data_dir=tmp_path / "data", admin_password=ADMIN_PASSWORD, store=url, store_engine=request.param)


def test_register_update_delete_harvest_query_dump_restore_verify(engine_settings: Settings, tmp_path: Path) -> None:
    settings = engine_settings
    init_data_dir(settings, repository_id="test.igsn-graph.org")
    with Registry(settings) as reg:
        add_test_accounts(reg)
        # geometries with more digits than single-precision floats keep
        precise = rich("ZTA0001", geometries=[replace(rich("x").geometries[0], wkt="POINT(-117.098901 38.266571)")])
        register(reg, ONE, precise, rich("ZTA0002"), rich("ZTA0003"))
        register(reg, TWO, rich("ZTB0001"))
        register(reg, ONE, rich("ZTA0002", name="Core section, re-measured"))  # an update: version 2
        reg.deactivate(ONE, "ZTA0003")  # a deletion, for OAI-PMH
        report = verify(reg.db, reg.store, reg.iris)
        assert report.ok and report.samples == 4, report.problems
        assert reg.row("ZTA0002").version == 2  # type: ignore[union-attr]

    with TestClient(create_app(settings)) as http:
        root = parse_xml(http.get("/oai", params={"verb": "ListRecords", "metadataPrefix": "oai_dc"}).content)
        found = {h.findtext("o:identifier", namespaces=OAI): h.get("status") for h in root.iterfind(".//o:header", OAI)}
        prefix = "oai:test.igsn-graph.org:"
        assert found == {prefix + n: None for n in ("ZTA0001", "ZTA0002", "ZTB0001")} | {prefix + "ZTA0003": "deleted"}
        assert "re-measured" in http.get("/oai", params={"verb": "ListRecords", "metadataPrefix": "oai_dc"}).text

        def select(query: str) -> list[dict[str, dict[str, str]]]:
            r = http.get("/sparql", params={"query": IG + query}, headers={"Accept": "application/sparql-results+json"})
            assert r.status_code == 200, r.text
            return r.json()["results"]["bindings"]  # type: ignore[no-any-return]

        names = ["ZTA0001", "ZTA0002", "ZTA0003", "ZTB0001"]  # a deactivated sample keeps its public view
        assert sorted(b["i"]["value"] for b in select("SELECT ?i WHERE { ?s ig:igsn ?i }")) == names
        wkt = select('SELECT ?w WHERE { ?s ig:igsn "ZTA0001" ; ?p ?g . ?g geo:asWKT ?w }')
        assert {(b["w"]["value"], b["w"]["datatype"]) for b in wkt} >= {
            ("POINT(-117.098901 38.266571)", "http://www.opengis.net/ont/geosparql#wktLiteral")
        }
        r = http.get(
            "/sparql",
            params={"query": IG + 'ASK { ?s ig:igsn "ZTB0001" }'},
            headers={"Accept": "application/sparql-results+json"},
        )
        assert r.json()["boolean"] is True
        r = http.get(
            "/sparql",
            params={"query": IG + 'CONSTRUCT { ?s ig:igsn ?i } WHERE { ?s ig:igsn ?i FILTER(?i = "ZTA0002") }'},
            headers={"Accept": "application/n-triples"},
        )
        assert r.status_code == 200 and r.text.count("\n") == 1 and '"ZTA0002"' in r.text
        assert http.get("/sparql", params={"query": "SELEKT"}).status_code == 400

    with Registry(settings) as reg:
        counts = dump(reg, tmp_path / "dump")
        reg.store.apply(GraphWrite(replace={g: None for g in reg.store.graphs_with_prefix(reg.iris.base)}))
        assert reg.store.is_empty()
    target = settings.with_(data_dir=tmp_path / "restored")
    restored = restore(target, tmp_path / "dump")  # verified: graph, history and index agree
    assert restored["quads"] == counts["quads"] and restored["catalogue"] == 4
    with Registry(target) as reg:
        assert reg.record("ZTA0001") is not None and verify(reg.db, reg.store, reg.iris).ok
