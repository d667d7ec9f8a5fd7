"""Fixtures for the OAI-PMH tests: the offline schema set, spec checks on every response, app clients, samples."""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from api.app import create_app
from igsn_graph.registry.service import Registry, init_data_dir
from igsn_graph.settings import Settings
from tests.conftest import SHARED

OAI = "http://www.openarchives.org/OAI/2.0/"
NS = {
    "o": OAI,
    "dc": "http://purl.org/dc/elements/1.1/",
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "dcite": "http://datacite.org/schema/kernel-4",
    "reg": "http://igsn.org/schema/kernel-v.1.0",
    "desc": "http://schema.igsn.org/description/1.1",
}
UTC_SECONDS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'
#: payload namespace → schema URL the provider advertises for it (pairs in xsi:schemaLocation)
ADVERTISED = {
    "http://www.openarchives.org/OAI/2.0/oai_dc/": "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
    "http://igsn.org/schema/kernel-v.1.0": "http://doidb.wdc-terra.org/igsn/schemas/igsn.org/schema/1.0/igsn.xsd",
    "http://schema.igsn.org/description/1.1": "https://raw.githubusercontent.com/IGSN/metadata/master/description/resource.xsd",
    "http://datacite.org/schema/kernel-4": "http://schema.datacite.org/meta/kernel-4/metadata.xsd",
}


class CatalogResolver(etree.Resolver):
    """Maps the published schema URLs of ``../shared/schemas/catalog.xml`` to the local copies."""

    def __init__(self, catalog: Path) -> None:
        super().__init__()
        cat = etree.parse(str(catalog))
        ns = {"c": "urn:oasis:names:tc:entity:xmlns:xml:catalog"}
        self.map = {e.get("name"): str(catalog.parent / e.get("uri")) for e in cat.iterfind("c:uri", ns)}
        self.map.update({e.get("systemId"): str(catalog.parent / e.get("uri")) for e in cat.iterfind("c:system", ns)})

    def resolve(self, url, pubid, context):  # type: ignore[no-untyped-def]
        path = self.map.get(url)
        return self.resolve_filename(path, context) if path else None


@pytest.fixture(scope="session")
def oai_schema() -> etree.XMLSchema:
    """oai-validate.xsd (OAI-PMH envelope + every payload schema), compiled once, offline."""
    schemas = SHARED / "schemas"
    if not (schemas / "oai-validate.xsd").is_file():
        pytest.skip("../shared/schemas is absent: OAI-PMH responses cannot be validated against the XSDs")
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(CatalogResolver(schemas / "catalog.xml"))
    schema = etree.XMLSchema(etree.parse(str(schemas / "oai-validate.xsd"), parser))
    # canary: the spec's own GetRecord example must validate, or the imports did not resolve
    canary = etree.fromstring(SPEC_GETRECORD.encode())
    assert schema.validate(canary), f"the schema set is broken (catalog not in effect?): {schema.error_log}"
    return schema


SPEC_GETRECORD = """<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">
 <responseDate>2002-02-08T08:55:46Z</responseDate>
 <request verb="GetRecord" identifier="oai:arXiv.org:cs/0112017" metadataPrefix="oai_dc">http://arXiv.org/oai2</request>
 <GetRecord><record><header><identifier>oai:arXiv.org:cs/0112017</identifier><datestamp>2001-12-14</datestamp>
  <setSpec>cs</setSpec><setSpec>math</setSpec></header>
  <metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
   xmlns:dc="http://purl.org/dc/elements/1.1/"
   xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd">
   <dc:title>Using Structural Metadata to Localize Experience of Digital Content</dc:title>
   <dc:creator>Dushay, Naomi</dc:creator><dc:subject>Digital Libraries</dc:subject>
   <dc:identifier>http://arXiv.org/abs/cs/0112017</dc:identifier></oai_dc:dc></metadata></record></GetRecord>
</OAI-PMH>"""


def check_response(body: bytes, schema: etree.XMLSchema, base_url: str) -> etree._Element:
    """Every check the XSD cannot make (OAI-PMH.md §5), then the XSD itself; returns the root."""
    assert body.startswith(DECLARATION), body[:60]
    root = etree.fromstring(body)
    assert schema.validate(root), f"{schema.error_log}\n{body[:3000]!r}"
    assert UTC_SECONDS.fullmatch(root.findtext("o:responseDate", namespaces=NS) or "")
    assert root.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation") == (
        f"{OAI} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
    )
    request = root.find("o:request", NS)
    assert request is not None and request.text == base_url
    codes = [e.get("code") for e in root.iterfind("o:error", NS)]
    if {"badVerb", "badArgument"} & set(codes):
        assert dict(request.attrib) == {}, "request must carry no attributes on badVerb/badArgument"
    for stamp in root.iterfind(".//o:header/o:datestamp", NS):
        assert UTC_SECONDS.fullmatch(stamp.text or ""), stamp.text
    for token in root.iterfind(".//o:resumptionToken", NS):
        if token.get("expirationDate"):
            assert UTC_SECONDS.fullmatch(token.get("expirationDate"))
    for record in root.iterfind(".//o:record", NS):
        deleted = record.find("o:header", NS).get("status") == "deleted"  # type: ignore[union-attr]
        metadata = record.find("o:metadata", NS)
        assert (metadata is None) == deleted, "deleted headers carry no metadata, live records do"
        if metadata is not None:
            payload = metadata[0]
            ns = etree.QName(payload).namespace
            location = payload.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation", "").split()
            assert location == [ns, ADVERTISED[ns]], location
    return root


@dataclass
class OaiClient:
    """A TestClient on the app with the OAI router; every response is checked and validated."""

    http: TestClient
    schema: etree.XMLSchema
    base_url: str
    responses: list[bytes] = field(default_factory=list)

    @property
    def registry(self) -> Registry:
        return self.http.app.state.registry  # type: ignore[attr-defined,no-any-return]

    def _check(self, response) -> etree._Element:  # type: ignore[no-untyped-def]
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/xml; charset=utf-8"
        self.responses.append(response.content)
        return check_response(response.content, self.schema, self.base_url)

    def get(self, **params: str) -> etree._Element:
        query = urlencode({("from" if k == "from_" else k): v for k, v in params.items()})
        return self.query(query)

    def query(self, raw: str) -> etree._Element:
        """GET with a raw query string (repeats, odd escapes)."""
        return self._check(self.http.get("/oai?" + raw if raw else "/oai"))

    def post(self, body: str, content_type: str = "application/x-www-form-urlencoded") -> etree._Element:
        return self._check(self.http.post("/oai", content=body.encode(), headers={"content-type": content_type}))

    def error_codes(self, root: etree._Element) -> list[str]:
        return [e.get("code") for e in root.iterfind("o:error", NS)]  # type: ignore[misc]


@pytest.fixture
def start_oai(
    registry: Registry, settings: Settings, oai_schema: etree.XMLSchema
) -> Iterator[Callable[..., OaiClient]]:
    """Starts the app (after the fixture's registry is closed: one opener per process) with the OAI router."""
    clients: list[TestClient] = []

    def start(page_size: int = 5) -> OaiClient:
        registry.close()
        http = TestClient(create_app(settings.with_(oai_page_size=page_size)))
        http.__enter__()
        clients.append(http)
        return OaiClient(http, oai_schema, settings.base_url + "oai")

    yield start
    for http in clients:
        http.__exit__(None, None, None)


@contextmanager
def oai_app(
    data_dir: Path, schema: etree.XMLSchema, *, page_size: int = 5, prepare: Callable[[Registry], None] | None = None
) -> Iterator[OaiClient]:
    """A data folder of its own (for module-scoped fixtures): init, ``prepare`` the registry, start the app."""
    settings = Settings(data_dir=data_dir, admin_password="admin-secret-0", oai_page_size=page_size)
    init_data_dir(settings, repository_id="test.igsn-graph.org")
    with Registry(settings) as registry:
        if prepare is not None:
            prepare(registry)
    with TestClient(create_app(settings)) as http:
        yield OaiClient(http, schema, settings.base_url + "oai")
