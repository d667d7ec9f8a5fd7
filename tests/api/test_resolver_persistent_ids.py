"""The resolver's XML profiles name samples as the data provider does: by their persistent IRI (the IRI base),
not only by the address this deployment answers on."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from lxml import etree

from api.app import create_app
from igsn_graph.record import SampleRecord
from igsn_graph.registry.accounts import ADMIN
from igsn_graph.registry.service import Registry, Submission
from tests.conftest import fresh_settings

DC = "{http://purl.org/dc/elements/1.1/}"


def test_oai_dc_profile_lists_the_persistent_iri(tmp_path: Path) -> None:
    settings = fresh_settings(tmp_path)  # the default IRI base, https://igsn.org/
    with Registry(settings) as registry:
        assert registry.register(ADMIN, [Submission(SampleRecord("ZTA-PID1", name="core"), "test")])[0].ok
    with TestClient(create_app(settings)) as client:
        r = client.get("/ZTA-PID1", params={"_profile": "oai_dc", "_mediatype": "application/xml"})
        assert r.status_code == 200, r.text
        ids = [e.text for e in etree.fromstring(r.content).iter(f"{DC}identifier")]
        assert ids == ["https://igsn.org/ZTA-PID1"], ids  # never the address this deployment answers on
