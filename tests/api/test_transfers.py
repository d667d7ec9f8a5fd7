"""Transfers over HTTP on the real app: the administrator moves a namespace to another agent, an agent moves
samples between its clients; what every surface then says (OAI sets, landing page, /dois, the old owner's
credentials), and the refusals as problem documents."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.conftest import ADMIN_PASSWORD, AGENT, CLIENT_ONE, CLIENT_TWO, OTHER, fresh_settings

JSONAPI = {"Content-Type": "application/vnd.api+json"}
ADMIN = ("admin", ADMIN_PASSWORD)
REPOSITORY = "test.igsn-graph.org"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(fresh_settings(tmp_path))) as c:
        yield c


def put(api: TestClient, name: str, event: str | None, who: tuple[str, str] = CLIENT_ONE) -> httpx.Response:
    attrs: dict[str, object] = {
        "url": f"https://example.org/{name}",
        "titles": [{"title": f"Core {name}"}],
        "creators": [{"name": "Doe, Jane"}],
        "publisher": "P",
        "publicationYear": 2024,
        "types": {"resourceTypeGeneral": "PhysicalObject", "resourceType": "Core"},
    }
    if event:
        attrs["event"] = event
    return api.put(f"/dois/10.99990/{name}", json={"data": {"attributes": attrs}}, headers=JSONAPI, auth=who)


def oai_sets(api: TestClient, name: str) -> tuple[str, list[str]]:
    text = api.get(
        "/oai", params={"verb": "GetRecord", "identifier": f"oai:{REPOSITORY}:{name}", "metadataPrefix": "oai_dc"}
    ).text
    stamp = re.search(r"<datestamp>([^<]+)</datestamp>", text)
    assert stamp is not None, text
    return stamp.group(1), re.findall(r"<setSpec>([^<]+)</setSpec>", text)


def listed(api: TestClient, spec: str) -> str:
    return api.get("/oai", params={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": spec}).text


def test_the_administrator_moves_a_namespace_to_another_agent(api: TestClient) -> None:
    assert put(api, "ZTA0001", "publish").status_code == 200
    assert put(api, "ZTA0002", "register").status_code == 200
    assert put(api, "ZTA0003", None).json()["data"]["attributes"]["state"] == "draft"
    stamp, specs = oai_sets(api, "ZTA0001")
    assert specs[0] == f"{AGENT[0]}:{CLIENT_ONE[0]}"
    r = api.post("/api/v1/admin/transfers", json={"to": OTHER[0], "namespace": "ZTA"}, auth=ADMIN)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["moved"] == ["ZTA0001", "ZTA0002"] and body["drafts"] == ["ZTA0003"] and body["namespace"] == "ZTA"
    # OAI-PMH: the sample is in the new owner's set, with a datestamp set-based harvesters pick up
    new_stamp, specs = oai_sets(api, "ZTA0001")
    assert specs[0] == OTHER[0] and new_stamp == body["datestamp"] >= stamp
    assert "ZTA0001" in listed(api, OTHER[0])
    assert "ZTA0001" not in listed(api, f"{AGENT[0]}:{CLIENT_ONE[0]}")
    # the landing page names the new owner and says what happened
    page = api.get("/ZTA0001", params={"_profile": "landing"}).text
    assert f'href="/agent/{OTHER[0]}"' in page and "transferred" in page
    assert f"/client/{CLIENT_ONE[0]}" not in page
    # its activity says from whom to whom
    activity = api.get("/activity/ZTA0001/2", headers={"Accept": "text/html"}).text
    assert "Transferred from" in activity and f"/client/{CLIENT_ONE[0]}" in activity
    assert "Transferred to" in activity and f"/agent/{OTHER[0]}" in activity
    # the DataCite REST API: the new holder, an activity per change
    doi = api.get("/dois/10.99990/ZTA0001").json()["data"]
    assert doi["relationships"]["client"]["data"]["id"] == OTHER[0].lower()
    events = [a["attributes"]["event"] for a in api.get("/dois/10.99990/ZTA0001/activities").json()["data"]]
    assert events[-1] == "transferred"
    # the old owner's credentials no longer write them, nor see the hidden one or the draft; the new owner's do
    assert put(api, "ZTA0001", "hide").status_code == 403
    assert api.get("/dois/10.99990/ZTA0002", auth=CLIENT_ONE).status_code == 404
    assert api.get("/dois/10.99990/ZTA0003", auth=CLIENT_ONE).status_code == 404
    assert api.get("/dois/10.99990/ZTA0003", auth=OTHER).json()["data"]["attributes"]["state"] == "draft"
    assert api.get("/api/v1/samples/ZTA0002", auth=OTHER).status_code == 200
    # the samples keep their DOIs: the new owner writes them in DOI form, though the prefix stays the old agent's
    assert put(api, "ZTA0001", "hide", OTHER).status_code == 200
    mds = api.put(
        "/doi/10.99990/ZTA0001",
        content=b"doi=10.99990/ZTA0001\nurl=https://example.org/moved",
        headers={"Content-Type": "text/plain;charset=UTF-8"},
        auth=OTHER,
    )
    assert mds.status_code == 201, mds.text
    # but a new name under that prefix is not the receiver's to mint
    assert put(api, "ZTA0009", "publish", OTHER).status_code == 403
    # the namespace is the receiver's: new names in it are its to register
    table = {n["value"]: n for n in api.get("/api/v1/admin/namespaces", auth=ADMIN).json()}
    assert (table["ZTA"]["agent"], table["ZTA"]["client"]) == (OTHER[0], None)


def test_an_agent_moves_samples_between_its_clients(api: TestClient) -> None:
    assert put(api, "ZTA0011", "publish").status_code == 200
    r = api.post("/api/v1/transfers", json={"to": CLIENT_TWO[0], "namespace": "ZTA"}, auth=AGENT)
    assert r.status_code == 200, r.text
    assert r.json()["moved"] == ["ZTA0011"]
    assert put(api, "ZTA0011", "hide", CLIENT_TWO).status_code == 200
    assert put(api, "ZTA0011", "publish", CLIENT_ONE).status_code == 403
    # and back, naming the sample only: ONE owns no namespace it could lie in now
    r = api.post("/api/v1/transfers", json={"to": CLIENT_ONE[0], "names": ["10273/ZTA0011"]}, auth=AGENT)
    assert r.status_code == 403 and "must own it" in r.json()["detail"]


@pytest.mark.parametrize(
    ("who", "body", "status"),
    [
        (None, {"to": CLIENT_TWO[0], "namespace": "ZTA"}, 401),
        (CLIENT_ONE, {"to": CLIENT_TWO[0], "namespace": "ZTA"}, 403),  # clients cannot transfer
        (AGENT, {"to": OTHER[0], "namespace": "ZTA"}, 403),  # an agent keeps them among its clients
        (OTHER, {"to": OTHER[0], "namespace": "ZTA"}, 403),  # not its namespace
        (AGENT, {"to": "ZTEST.NONE", "namespace": "ZTA"}, 404),
        (AGENT, {"to": CLIENT_TWO[0], "namespace": "ZTA", "names": ["ZTA0021"]}, 400),
        (AGENT, {"to": CLIENT_TWO[0], "names": ["ZTA0029"]}, 404),
        (AGENT, {"to": CLIENT_TWO[0], "names": ["not an igsn!"]}, 400),
        (AGENT, {"to": CLIENT_TWO[0], "nameSpace": "ZTA"}, 400),
    ],
)
def test_refusals_change_nothing(
    api: TestClient, who: tuple[str, str] | None, body: dict[str, object], status: int
) -> None:
    assert put(api, "ZTA0021", "publish").status_code == 200
    r = api.post("/api/v1/transfers", json=body, auth=who)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert api.get("/dois/10.99990/ZTA0021").json()["data"]["relationships"]["client"]["data"]["id"] == "ztest.one"
    assert len(api.get("/dois/10.99990/ZTA0021/activities").json()["data"]) == 1


def test_only_the_administrator_uses_the_admin_door(api: TestClient) -> None:
    r = api.post("/api/v1/admin/transfers", json={"to": CLIENT_TWO[0], "namespace": "ZTA"}, auth=AGENT)
    assert r.status_code == 403
