"""Drafts against the relaxed draft shapes (shapes/draft.ttl): partial metadata is kept, invalid values are
refused with the shapes' messages and nothing stored; publishing checks the full shapes. Both engines agree."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from igsn_graph.formats.graph import record_triples
from igsn_graph.iris import Iris
from igsn_graph.record import Agent, SampleRecord
from igsn_graph.validation import ENGINES, Validator
from tests.conftest import AGENT, CLIENT_ONE, CLIENT_TWO, OTHER, fresh_settings

JSONAPI = {"Content-Type": "application/vnd.api+json"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(create_app(fresh_settings(tmp_path_factory.mktemp("drafts")))) as c:
        yield c


def put(client: TestClient, name: str, attrs: dict[str, Any]) -> httpx.Response:
    return client.put(f"/dois/10.99990/{name}", json={"data": {"attributes": attrs}}, headers=JSONAPI, auth=CLIENT_ONE)


@pytest.mark.parametrize(
    ("name", "attrs"),
    [
        ("ZTA0001", {"titles": [{"title": "Core"}]}),  # no creator, publisher, year or type yet
        ("ZTA0002", {"creators": [{"name": "Doe, Jane"}]}),  # not even a name
        ("ZTA0003", {"url": "https://example.org/3"}),  # a reservation with its landing page only
    ],
)
def test_partial_drafts_are_kept(client: TestClient, name: str, attrs: dict[str, Any]) -> None:
    r = put(client, name, attrs)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["attributes"]["state"] == "draft"


@pytest.mark.parametrize(
    ("name", "attrs", "message"),
    [
        ("ZTA0011", {"dates": [{"date": "2020-13-45", "dateType": "Collected"}]}, "collection time must be one date"),
        ("ZTA0012", {"contributors": [{"name": "X", "contributorType": "Wizard"}]}, "contributor type is not"),
        (
            "ZTA0013",
            {"geoLocations": [{"geoLocationPoint": {"pointLatitude": 200, "pointLongitude": 10}}]},
            "latitude must be between",
        ),
    ],
)
def test_invalid_values_in_a_draft_are_refused(
    client: TestClient, name: str, attrs: dict[str, Any], message: str
) -> None:
    r = put(client, name, {"titles": [{"title": "Core"}], **attrs})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/vnd.api+json")
    assert any(message in e["title"] for e in r.json()["errors"]), r.text
    assert client.get(f"/dois/10.99990/{name}", auth=CLIENT_ONE).status_code == 404  # nothing reserved


def test_publishing_checks_the_full_shapes(client: TestClient) -> None:
    assert put(client, "ZTA0021", {"titles": [{"title": "Core"}]}).status_code == 200
    full = {
        "creators": [{"name": "Doe, Jane"}],
        "publisher": "P",
        "publicationYear": 2024,
        "types": {"resourceTypeGeneral": "PhysicalObject", "resourceType": "Core"},
        "url": "https://example.org/21",
        "event": "publish",
    }
    r = put(client, "ZTA0021", full)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["attributes"]["state"] == "findable"


@pytest.mark.parametrize("engine", ENGINES)
def test_the_draft_shapes_relax_what_a_registration_requires(engine: str) -> None:
    validator = Validator(Iris(), engine=engine)
    partial = record_triples(SampleRecord(igsn="ZTA0031", name="Core"), validator.iris)
    assert validator.validate("ZTA0031", partial, draft=True).conforms
    full = validator.validate("ZTA0031", partial)
    assert not full.conforms and any("registrant" in v.message for v in full.violations)
    # what a draft gives must still be valid: one registrant, a known material
    two = SampleRecord(igsn="ZTA0032", registrant=Agent("A"), materials=["http://example.org/unobtainium"])
    report = validator.validate("ZTA0032", record_triples(two, validator.iris), draft=True)
    assert {v.message for v in report.violations} == {
        "The material is not one of the known materials (ODM2 medium vocabulary)."
    }


def test_owners_see_their_drafts_on_the_json_api_and_nobody_else_does(client: TestClient) -> None:
    assert put(client, "ZTA0041", {"titles": [{"title": "Reserved DRAFTWORD core"}]}).status_code == 200
    r = client.get("/api/v1/samples/ZTA0041", headers={"Accept": "text/turtle"}, auth=CLIENT_ONE)
    assert r.status_code == 200, r.text
    assert "DRAFTWORD" in r.text and r.headers["cache-control"] == "private, no-store"
    assert client.get("/api/v1/samples/ZTA0041", auth=AGENT).status_code == 200  # its agent acts for it
    for who in (None, OTHER, CLIENT_TWO):
        r = client.get("/api/v1/samples/ZTA0041", auth=who)
        assert r.status_code == 404 and "DRAFTWORD" not in r.text
    listed = client.get("/dois", params={"state": "draft", "page[size]": 1000}, auth=CLIENT_ONE).json()["data"]
    assert "10.99990/zta0041" in [d["id"] for d in listed] and {d["attributes"]["state"] for d in listed} == {"draft"}
    for who in (None, OTHER, CLIENT_TWO):
        assert "zta0041" not in client.get("/dois", params={"state": "draft"}, auth=who).text
