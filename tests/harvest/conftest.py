"""Harvest sources on loopback: this project's own /oai in a second server (the demo agents and samples, small
pages), and a provider serving a recorded Geoscience Australia response from ../shared/examples."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from copy import deepcopy
from pathlib import Path

import pytest
from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from igsn_graph.demo_load import load_demo_accounts
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
from igsn_graph.xmlparser import parse_xml
from tests.conftest import SHARED, demo_settings, live_server, prepared_settings, with_test_accounts
from tests.oai.conftest import oai_schema  # noqa: F401  # a fixture here too: the OAI-PMH XSDs, compiled once

OAI = "http://www.openarchives.org/OAI/2.0/"
GA = SHARED / "examples" / "GeoscienceAustralia-samples-api" / "_tests" / "static_data"
#: the second server's page size: the demo's 51 records come in six pages
PAGE = 10


def source_settings(tmp: Path) -> Settings:
    return demo_settings(tmp).with_(oai_page_size=PAGE)


@pytest.fixture(scope="module")
def source_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The OAI-PMH base URL of a second igsn-graph server holding the demo set (read only by the tests)."""
    with live_server(source_settings(tmp_path_factory.mktemp("source"))) as url:
        yield url + "/oai"


def _harvesting_accounts(settings: Settings) -> None:
    """The test accounts, the demo agents (without their samples) and Geoscience Australia's test agent."""
    with_test_accounts(settings)
    with Registry(settings) as registry:
        load_demo_accounts(registry)
        registry.add_agent("ZGA", name="Geoscience Australia (test account)", password="ga-secret-1", namespaces=["AU"])


@pytest.fixture
def harvesting(tmp_path: Path) -> Iterator[Registry]:
    """The harvesting registry: the test accounts and the demo agents (without their samples); a copy of one
    built per process (a dozen password hashes paid once)."""
    with Registry(prepared_settings(tmp_path, "harvesting", _harvesting_accounts)) as registry:
        yield registry


class Recorded:
    """A provider answering from GA's recorded GetRecord (AU240) as a ListRecords page, with a second record
    that is broken (metadata missing); the first ``busy`` requests get 503 with Retry-After: 1."""

    def __init__(self, busy: int) -> None:
        self.busy = busy
        self.requests: list[dict[str, str]] = []
        self.lock = threading.Lock()
        self.identify = (GA / "static_Identify.xml").read_bytes()
        recorded = parse_xml((GA / "static_GetRecord_240_igsn.xml").read_bytes())
        root = etree.Element(f"{{{OAI}}}OAI-PMH", nsmap={None: OAI})
        for part in ("responseDate", "request"):
            root.append(deepcopy(recorded.find(f"{{{OAI}}}{part}")))
        verb = etree.SubElement(root, f"{{{OAI}}}ListRecords")
        record = recorded.find(f".//{{{OAI}}}record")
        verb.append(deepcopy(record))
        broken = deepcopy(record)
        broken.find(f"{{{OAI}}}header/{{{OAI}}}identifier").text = "AU241"
        broken.remove(broken.find(f"{{{OAI}}}metadata"))
        verb.append(broken)
        self.list_records = etree.tostring(root, xml_declaration=True, encoding="utf-8")

    async def oai(self, request: Request) -> Response:
        with self.lock:
            self.requests.append(dict(request.query_params))
            if len(self.requests) <= self.busy:
                return Response("busy", status_code=503, headers={"Retry-After": "1"})
        verb = request.query_params.get("verb")
        body = self.identify if verb == "Identify" else self.list_records
        return Response(body, media_type="text/xml")


@pytest.fixture
def recorded() -> Iterator[tuple[str, Recorded]]:
    if not (GA / "static_GetRecord_240_igsn.xml").is_file():
        pytest.skip("../shared/examples is absent: GA's recorded OAI-PMH responses are not available")
    provider = Recorded(busy=1)
    app = Starlette(routes=[Route("/oai", provider.oai)])
    with live_server(Settings(data_dir=Path("/nonexistent")), app=app) as url:
        yield url + "/oai", provider
