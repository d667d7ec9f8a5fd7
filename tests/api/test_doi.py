"""api.routers.doi and DataCite documents at /metadata: the DataCite MDS surface — every status of /doi, both
roles, test mode, DOI prefixes, quota, domains, bad bodies; kernel-4 XML registered, mapped and returned verbatim."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from igsn_graph.record import Agent, Identifier
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
from igsn_graph.store import history
from tests.api.test_mds import ADMIN, TEXT, XML, assert_text, make_client, registry_of, stored
from tests.conftest import AGENT, CLIENT_ONE, CLIENT_TWO, OTHER, fresh_settings

#: what the `datacite` client sends (DataCiteMDSClient.doi_post)
DATACITE_TEXT = {"Content-Type": "text/plain;charset=UTF-8"}


def doi_body(doi: str, url: str, newline: str = "\r\n") -> str:
    return f"doi={doi}{newline}url={url}"


def resource(doi: str, *, general: str = "PhysicalObject", identifier_type: str = "DOI") -> bytes:
    """A DataCite kernel-4 document for an IGSN ID (the six mandatory properties and a few more)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<resource xmlns="http://datacite.org/schema/kernel-4" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://datacite.org/schema/kernel-4 http://schema.datacite.org/meta/kernel-4/metadata.xsd">
  <identifier identifierType="{identifier_type}">{doi}</identifier>
  <creators><creator><creatorName nameType="Personal">Doe, Jane</creatorName>
    <nameIdentifier nameIdentifierScheme="ORCID" schemeURI="https://orcid.org">https://orcid.org/0000-0002-1825-0097</nameIdentifier>
  </creator></creators>
  <titles><title>Core 7</title></titles>
  <publisher>Core Repository</publisher>
  <publicationYear>2024</publicationYear>
  <resourceType resourceTypeGeneral="{general}">Core</resourceType>
  <subjects><subject subjectScheme="material" valueURI="http://vocabulary.odm2.org/medium/rock">Rock</subject></subjects>
  <geoLocations><geoLocation><geoLocationPoint><pointLongitude>147.32</pointLongitude>
    <pointLatitude>-42.88</pointLatitude></geoLocationPoint></geoLocation></geoLocations>
</resource>
""".encode()


@pytest.fixture(scope="module")
def mds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app for the tests that need no empty registry (each uses its own names)."""
    with TestClient(create_app(fresh_settings(tmp_path_factory.mktemp("doi")))) as c:
        yield c


@pytest.fixture
def client(registry: Registry, settings: Settings) -> Iterator[TestClient]:
    yield from make_client(registry, settings)


def mint(client: TestClient, doi: str, url: str, who: tuple[str, str] = CLIENT_ONE, query: str = "") -> httpx.Response:
    return client.post(f"/doi{query}", content=doi_body(doi, url), headers=DATACITE_TEXT, auth=who)


# -- POST /doi, PUT /doi/{doi}, GET /doi/{doi} ------------------------------------------------------
def test_post_doi_mints_and_updates_in_both_forms(mds: TestClient) -> None:
    r = mint(mds, "10.99990/zta0001", "https://example.org/1")
    assert_text(r, 201, "OK")
    assert r.headers["location"] == "http://testserver/doi/10.99990/ZTA0001"
    r = mint(mds, "10273/zta0002", "https://example.org/2")
    assert_text(r, 201, "OK")
    assert r.headers["location"] == "http://testserver/doi/10273/ZTA0002"
    assert_text(mint(mds, "https://doi.org/10.99990/ZTA0001", "https://example.org/1b"), 201, "OK")  # an update
    for path in ("/doi/10.99990/ZTA0001", "/doi/10.99990/zta0001", "/igsn/ZTA0001"):
        assert_text(mds.get(path, auth=CLIENT_ONE), 200, "https://example.org/1b")
    assert mds.get("/doi/10273/ZTA0002", auth=CLIENT_ONE).text == "https://example.org/2"
    r = mds.head("/doi/10.99990/ZTA0001", auth=CLIENT_ONE)
    assert r.status_code == 200 and r.content == b""
    # the DOI is a registry fact of the sample
    facts = registry_of(mds).facts("ZTA0001")
    assert facts is not None and facts.doi == "10.99990/ZTA0001"


@pytest.mark.parametrize(
    "n,body,content_type",
    [
        (1, "doi=10.99990/ZTA0011\nurl=https://example.org/11", "text/plain"),
        (2, "doi=10.99990%2FZTA0012&url=https%3A%2F%2Fexample.org%2F12", "application/x-www-form-urlencoded"),
        (3, "doi=10.99990/ZTA0013\nurl=https://example.org/13", "application/x-www-form-urlencoded"),
        (4, "doi=10.99990/ZTA0014\r\nurl=https://example.org/14\r\n", None),
    ],
)
def test_body_forms(mds: TestClient, n: int, body: str, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    assert_text(mds.post("/doi", content=body.encode(), headers=headers, auth=CLIENT_ONE), 201, "OK")
    assert mds.get(f"/doi/10.99990/ZTA001{n}", auth=CLIENT_ONE).text == f"https://example.org/1{n}"


def test_put_doi(mds: TestClient) -> None:
    r = mds.put(
        "/doi/10.99990/ZTA0030",
        content=doi_body("10.99990/zta0030", "https://example.org/30"),
        headers=TEXT,
        auth=CLIENT_ONE,
    )
    assert_text(r, 201, "OK")
    assert r.headers.get("location") is None
    assert mds.get("/doi/10.99990/ZTA0030", auth=CLIENT_ONE).text == "https://example.org/30"
    # the handle form names the same sample
    r = mds.put(
        "/doi/10273/ZTA0030",
        content=doi_body("10.99990/ZTA0030", "https://example.org/30b"),
        headers=TEXT,
        auth=CLIENT_ONE,
    )
    assert_text(r, 201, "OK")
    mismatch = "doi parameter does not match doi of resource"
    r = mds.put(
        "/doi/10.99990/ZTA0030",
        content=doi_body("10.99990/ZTA0031", "https://example.org/31"),
        headers=TEXT,
        auth=CLIENT_ONE,
    )
    assert_text(r, 400, mismatch)
    r = mds.put("/doi/10.99990/ZTA0030", content="url=https://example.org/31", headers=TEXT, auth=CLIENT_ONE)
    assert_text(r, 400, mismatch)
    r = mds.put("/doi/10.99990/ZTA0030", content="doi=10.99990/ZTA0030", headers=TEXT, auth=CLIENT_ONE)
    assert_text(r, 400, "param 'url' required")
    assert_text(
        mds.put("/doi/ZTA0030", content=doi_body("ZTA0030", "https://example.org/x"), headers=TEXT, auth=CLIENT_ONE),
        400,
        startswith="malformed DOI 'ZTA0030'",
    )
    assert mds.get("/doi/10.99990/ZTA0031", auth=CLIENT_ONE).status_code == 404


def test_get_doi_statuses(mds: TestClient) -> None:
    assert_text(mds.get("/doi/10.99990/ZTA0050", auth=CLIENT_ONE), 404, "DOI not found")
    # DataCite's order: metadata first, then the URL; until then the DOI is known but not resolvable
    assert_text(
        mds.post("/metadata", content=resource("10.99990/ZTA0050"), headers=XML, auth=CLIENT_ONE),
        201,
        "OK (10.99990/ZTA0050)",
    )
    r = mds.get("/doi/10.99990/ZTA0050", auth=CLIENT_ONE)
    assert r.status_code == 204 and r.content == b""
    assert mint(mds, "10.99990/ZTA0050", "https://example.org/50").status_code == 201
    assert mds.get("/doi/10.99990/ZTA0050", auth=CLIENT_ONE).text == "https://example.org/50"
    assert_text(mds.delete("/metadata/10.99990/ZTA0050", auth=CLIENT_ONE), 200, "OK")
    assert_text(mds.get("/doi/10.99990/ZTA0050", auth=CLIENT_ONE), 410, "dataset inactive")


def test_list_of_the_callers_dois(client: TestClient) -> None:
    assert client.get("/doi", auth=CLIENT_ONE).status_code == 204
    mint(client, "10.99990/ZTA0021", "https://example.org/x")
    mint(client, "10273/ZTA0020", "https://example.org/x")  # minted without a DOI: listed as its handle
    mint(client, "10273/ZTB0020", "https://x.org/x", who=CLIENT_TWO)
    r = client.get("/doi", auth=CLIENT_ONE)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert r.text == "10273/ZTA0020\n10.99990/ZTA0021"
    assert client.get("/doi", auth=AGENT).text.splitlines() == ["10273/ZTA0020", "10.99990/ZTA0021", "10273/ZTB0020"]
    assert client.get("/doi", auth=OTHER).status_code == 204
    assert client.head("/doi", auth=CLIENT_ONE).status_code == 200
    # every listed form reads back
    for doi in client.get("/doi", auth=AGENT).text.splitlines():
        assert client.get(f"/doi/{doi}", auth=AGENT).status_code == 200


@pytest.mark.parametrize(
    "method,path,allow",
    [
        ("PUT", "/doi", "GET, HEAD, POST"),
        ("DELETE", "/doi", "GET, HEAD, POST"),
        ("DELETE", "/doi/10.99990/ZTA0032", "GET, HEAD, PUT"),
        ("POST", "/doi/10.99990/ZTA0032", "GET, HEAD, PUT"),
    ],
)
def test_405(mds: TestClient, method: str, path: str, allow: str) -> None:
    r = mds.request(
        method, path, content=doi_body("10.99990/ZTA0032", "https://example.org/"), headers=TEXT, auth=CLIENT_ONE
    )
    assert_text(r, 405, "Method Not Allowed")
    assert r.headers["allow"] == allow


# -- refusals -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body,status,message",
    [
        ("url=https://example.org/1", 400, "param 'doi' required"),
        ("igsn=10.99990/ZTA0040\nurl=https://example.org/1", 400, "param 'doi' required"),
        ("doi=\nurl=https://example.org/1", 400, "param 'doi' required"),
        ("doi=10.99990/ZTA0040", 400, "param 'url' required"),
        ("doi=ZTA0040\nurl=https://example.org/1", 400, "malformed DOI 'ZTA0040'"),
        ("doi=10.99990/ZTA 0040\nurl=https://example.org/1", 400, "IGSN must not contain any spaces"),
        ("doi=10.99990/ZTA$0040\nurl=https://example.org/1", 400, "malformed IGSN"),
        (
            "doi=10.12345/ZTA0040\nurl=https://example.org/1",
            400,
            "IGSN prefix is not allowed: unknown DOI prefix 10.12345",
        ),
        ("doi=10.99990/ZTB0040\nurl=https://example.org/1", 400, "IGSN prefix is not allowed"),  # another client's
        ("doi=10.99990/QQ0040\nurl=https://example.org/1", 400, "IGSN prefix is not allowed"),  # no namespace
        ("doi=10.99990/ZTA0040\nurl=https://evil.net/1", 400, "domain of URL is not allowed"),
        ("doi=10.99990/ZTA0040\nurl=ftp://example.org/1", 400, "malformed URL"),
        (
            "doi=10.99990/ZTA0040\x01\nurl=https://example.org/1",
            400,
            "request body must not contain control characters",
        ),
    ],
)
def test_post_doi_refusals(mds: TestClient, body: str, status: int, message: str) -> None:
    before = stored(mds)
    assert_text(mds.post("/doi", content=body, headers=TEXT, auth=CLIENT_ONE), status, startswith=message)
    assert stored(mds) == before


@pytest.mark.parametrize(
    "headers,data,message",
    [
        ({"Content-Type": "application/json"}, b'{"doi": "10.99990/ZTA0041"}', "Content-Type application/json"),
        (
            {"Content-Type": "text/plain;charset=ISO-8859-1"},
            b"doi=10.99990/ZTA0041\nurl=https://example.org/",
            "charset iso-8859-1 is not supported",
        ),
    ],
)
def test_415(mds: TestClient, headers: dict[str, str], data: bytes, message: str) -> None:
    assert_text(mds.post("/doi", content=data, headers=headers, auth=CLIENT_ONE), 415, startswith=message)


def test_invalid_utf8_and_413(registry: Registry, settings: Settings) -> None:
    for c in make_client(registry, settings.with_(max_body_bytes=100)):
        before = stored(c)
        r = c.post(
            "/doi",
            content=b"doi=10.99990/ZTA0042\nurl=https://example.org/" + b"x" * 100,
            headers=TEXT,
            auth=CLIENT_ONE,
        )
        assert_text(r, 413, "request body is larger than 100 bytes")
        r = c.post("/doi", content=b"doi=10.99990/ZTA\xff\nurl=https://example.org/", headers=TEXT, auth=CLIENT_ONE)
        assert_text(r, 400, startswith="request body is not valid UTF-8")
        assert stored(c) == before


def test_foreign_doi_prefix_is_refused(mds: TestClient) -> None:
    """10.99990 is ZTEST's: nobody else's sample takes it, new or existing, and reading by it fails too."""
    before = stored(mds)
    not_theirs = "IGSN prefix is not allowed: DOI prefix 10.99990 does not belong to the owner of ZO0001"
    assert_text(mint(mds, "10.99990/ZO0001", "https://other.net/1", who=OTHER), 400, not_theirs)
    assert stored(mds) == before
    assert_text(mint(mds, "10273/ZO0001", "https://other.net/1", who=OTHER), 201, "OK")
    assert_text(mint(mds, "10.99990/ZO0001", "https://other.net/1b", who=OTHER), 400, not_theirs)
    assert_text(mint(mds, "10.99990/ZO0001", "https://other.net/1b", who=ADMIN), 400, not_theirs)
    assert_text(mds.get("/doi/10.99990/ZO0001", auth=OTHER), 400, not_theirs)
    assert mds.get("/doi/10273/ZO0001", auth=OTHER).text == "https://other.net/1"
    # and a DataCite document naming the sample by that DOI
    r = mds.post("/metadata", content=resource("10.99990/ZO0001"), headers=XML, auth=OTHER)
    assert_text(r, 400, not_theirs)


def test_nobody_touches_another_partys_doi(mds: TestClient) -> None:
    mint(mds, "10.99990/ZTA0060", "https://example.org/60")
    before = stored(mds)
    foreign = "cannot access dataset which belongs to another party"
    for who in (CLIENT_TWO, OTHER):
        assert_text(mint(mds, "10.99990/ZTA0060", "https://example.org/x", who=who), 403, foreign)
        assert_text(mds.get("/doi/10.99990/ZTA0060", auth=who), 403, foreign)
        r = mds.put(
            "/doi/10273/ZTA0060", content=doi_body("10273/ZTA0060", "https://example.org/x"), headers=TEXT, auth=who
        )
        assert_text(r, 403, foreign)
    assert stored(mds) == before


def test_agent_acts_for_its_clients(mds: TestClient) -> None:
    mint(mds, "10.99990/ZTA0070", "https://example.org/70")
    assert_text(mint(mds, "10.99990/ZTA0070", "https://example.org/70b", who=AGENT), 201, "OK")
    assert mds.get("/doi/10.99990/ZTA0070", auth=AGENT).text == "https://example.org/70b"
    # a new DOI in a client's namespace stays the client's; the agent's own namespace is the agent's
    assert mint(mds, "10.99990/ZTA0071", "https://example.org/71", who=AGENT).status_code == 201
    assert mds.get("/doi/10.99990/ZTA0071", auth=CLIENT_ONE).status_code == 200
    assert mint(mds, "10.99990/ZT0072", "https://anywhere.net/72", who=AGENT).status_code == 201
    assert_text(
        mds.get("/doi/10.99990/ZT0072", auth=CLIENT_ONE), 403, "cannot access dataset which belongs to another party"
    )
    row = registry_of(mds).row("ZT0072")
    assert row is not None and (row.agent, row.client) == ("ZTEST", None)


def test_quota(client: TestClient) -> None:
    assert mint(client, "10273/ZTB0001", "https://x.org/1", who=CLIENT_TWO).status_code == 201
    assert mint(client, "10273/ZTB0001", "https://x.org/1b", who=CLIENT_TWO).status_code == 201  # an update
    assert mint(client, "10273/ZTB0002", "https://x.org/2", who=CLIENT_TWO).status_code == 201
    quota = "datacentre quota exceeded: ZTEST.TWO"
    assert_text(mint(client, "10273/ZTB0003", "https://x.org/3", who=CLIENT_TWO), 403, quota)
    assert_text(mint(client, "10273/ZTB0003", "https://x.org/3", who=CLIENT_TWO, query="?testMode=true"), 403, quota)
    assert_text(client.get("/doi/10273/ZTB0003", auth=CLIENT_TWO), 404, "DOI not found")


@pytest.mark.parametrize("flag,name", [("true", "ZTA0081"), ("1", "ZTA0082"), ("TRUE", "ZTA0083")])
def test_test_mode_validates_and_stores_nothing(mds: TestClient, flag: str, name: str) -> None:
    before = stored(mds)
    r = mint(mds, f"10.99990/{name}", "https://example.org/80", query=f"?testMode={flag}")
    assert_text(r, 201, "OK (only test mode!)")
    r = mds.put(
        f"/doi/10.99990/{name}?testMode={flag}",
        content=doi_body(f"10.99990/{name}", "https://example.org/"),
        headers=TEXT,
        auth=CLIENT_ONE,
    )
    assert_text(r, 201, "OK (only test mode!)")
    # still validated
    assert_text(
        mint(mds, f"10.99990/{name}", "https://evil.net/", query=f"?testMode={flag}"),
        400,
        "domain of URL is not allowed",
    )
    assert stored(mds) == before
    assert mds.get(f"/doi/10.99990/{name}", auth=CLIENT_ONE).status_code == 404
    assert mint(mds, f"10.99990/{name}", "https://example.org/80", query="?testMode=false").text == "OK"


def test_401_with_www_authenticate(mds: TestClient) -> None:
    before = stored(mds)
    for kwargs in ({}, {"auth": (CLIENT_ONE[0], "wrong")}, {"headers": {"Authorization": "Bearer abc"}}):
        for method, path in (
            ("GET", "/doi"),
            ("POST", "/doi"),
            ("GET", "/doi/10.99990/ZTA1"),
            ("PUT", "/doi/10.99990/ZTA1"),
        ):
            r = mds.request(method, path, content=doi_body("10.99990/ZTA1", "https://example.org/"), **kwargs)  # type: ignore[arg-type]
            assert_text(r, 401, "not logged in")
            assert r.headers["www-authenticate"] == 'Basic realm="igsn-graph"'
    assert stored(mds) == before


# -- DataCite documents at /metadata --------------------------------------------------------------
def test_datacite_metadata_is_registered_mapped_and_returned_verbatim(mds: TestClient) -> None:
    data = resource("10.99990/zta0100")
    r = mds.post("/metadata", content=data, headers=XML, auth=CLIENT_ONE)
    assert_text(r, 201, "OK (10.99990/ZTA0100)")
    assert r.headers["location"] == "http://testserver/metadata/10.99990/ZTA0100"
    for path in ("/metadata/10.99990/ZTA0100", "/metadata/10.99990/zta0100", "/metadata/ZTA0100"):
        r = mds.get(path, auth=CLIENT_ONE)
        assert r.status_code == 200 and r.headers["content-type"] == "application/xml"
        assert r.content == data
    # the same graph as any kernel gives: the description, the DOI, the owner
    registry = registry_of(mds)
    record = registry.record("ZTA0100")
    assert record is not None
    assert (record.name, record.doi, record.kind) == ("Core 7", "10.99990/ZTA0100", "Sample")
    assert record.collectors == [
        Agent("Doe, Jane", Identifier("https://orcid.org/0000-0002-1825-0097", "ORCID"), kind="Person")
    ]
    assert record.materials == ["http://vocabulary.odm2.org/medium/rock"]
    assert record.resource_types == ["http://vocabulary.odm2.org/specimentype/core/"]
    assert [g.wkt for g in record.geometries] == ["POINT (147.32 -42.88)"]
    assert record.registrant is not None and record.registrant.name == "Client One"  # filled by the registry
    facts = registry.facts("ZTA0100")
    assert facts is not None and (facts.doi, facts.client) == ("10.99990/ZTA0100", "ZTEST.ONE")
    versions = history.versions_of(registry.db.read(), "ZTA0100")
    assert [v.event for v in versions] == ["metadata-registered"]


def test_datacite_metadata_by_path_and_handle(mds: TestClient) -> None:
    r = mds.put("/metadata/10.99990/ZTA0110", content=resource("10.99990/ZTA0110"), headers=XML, auth=CLIENT_ONE)
    assert_text(r, 201, "OK (10.99990/ZTA0110)")
    r = mds.put("/metadata/10.99990/ZTA0110", content=resource("10.99990/ZTA0111"), headers=XML, auth=CLIENT_ONE)
    assert_text(r, 400, "IGSN does not match")
    # a handle-form IGSN as the identifier: no DOI
    r = mds.post("/metadata", content=resource("10273/ZTA0112"), headers=XML, auth=CLIENT_ONE)
    assert_text(r, 201, "OK (10273/ZTA0112)")
    facts = registry_of(mds).facts("ZTA0112")
    assert facts is not None and facts.doi is None


@pytest.mark.parametrize(
    "data,who,status,message",
    [
        (
            resource("10.99990/ZTA0120", general="Dataset"),
            CLIENT_ONE,
            400,
            "/resource/resourceType: resourceTypeGeneral must be PhysicalObject (an IGSN names a physical object; "
            "found 'Dataset')",
        ),
        (resource("10.5072/ZTA0120"), CLIENT_ONE, 400, "IGSN prefix is not allowed: unknown DOI prefix 10.5072"),
        (resource("10.99990/ZTB0120"), CLIENT_ONE, 400, "IGSN prefix is not allowed"),
        (resource("10.99990/ZTA 0120"), CLIENT_ONE, 400, "IGSN must not contain any spaces"),
        (resource(" ", identifier_type="DOI"), CLIENT_ONE, 400, "failed to retrieve IGSN from xml"),
        (resource("10.99990/ZTA0120").replace(b"<titles><title>Core 7</title></titles>", b""), CLIENT_ONE, 201, None),
    ],
)
def test_datacite_metadata_refusals(
    mds: TestClient, data: bytes, who: tuple[str, str], status: int, message: str | None
) -> None:
    before = stored(mds)
    r = mds.post("/metadata", content=data, headers=XML, auth=who)
    assert_text(r, status, startswith=message)
    if status != 201:
        assert stored(mds) == before


def test_datacite_metadata_in_test_mode(mds: TestClient) -> None:
    before = stored(mds)
    r = mds.post("/metadata?testMode=true", content=resource("10.99990/ZTA0130"), headers=XML, auth=CLIENT_ONE)
    assert_text(r, 201, "OK (10.99990/ZTA0130) (only test mode!)")
    assert stored(mds) == before


def test_shared_physical_object_example_needs_a_prefix_here(mds: TestClient, shared: Path) -> None:
    """DataCite's own IGSN-like example uses the test prefix 10.5072, which no account here holds."""
    data = (shared / "examples/datacite-schema/kernel-4.7/datacite-example-ancientdates-v4.xml").read_bytes()
    assert_text(
        mds.post("/metadata", content=data, headers=XML, auth=CLIENT_ONE),
        400,
        "IGSN prefix is not allowed: unknown DOI prefix 10.5072",
    )
    ours = data.replace(b"10.5072/0945113", b"10.99990/ZTA0945113")
    assert_text(mds.post("/metadata", content=ours, headers=XML, auth=CLIENT_ONE), 201, "OK (10.99990/ZTA0945113)")
    assert mds.get("/metadata/10.99990/ZTA0945113", auth=CLIENT_ONE).content == ours
