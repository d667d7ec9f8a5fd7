"""api.routers.dois: the DataCite REST API on the real app — JSON:API documents in and out, error objects with
pointers, the list's filters and cursor pages, prefixes, clients, activities, drafts against the quota."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.conftest import CLIENT_ONE, CLIENT_TWO, OTHER, fresh_settings

JSONAPI = {"Content-Type": "application/vnd.api+json"}


@pytest.fixture
def client(tmp_path: Any) -> Iterator[TestClient]:
    with TestClient(create_app(fresh_settings(tmp_path))) as c:
        yield c


def attributes(title: str = "Core", **extra: object) -> dict[str, Any]:
    return {
        "titles": [{"title": title}],
        "creators": [{"name": "Doe, Jane"}],
        "publisher": "Core Repository",
        "publicationYear": 2024,
        "types": {"resourceTypeGeneral": "PhysicalObject", "resourceType": "Core"},
        **extra,
    }


def post(client: TestClient, attrs: dict[str, Any], who: tuple[str, str] = CLIENT_ONE) -> httpx.Response:
    return client.post("/dois", json={"data": {"type": "dois", "attributes": attrs}}, headers=JSONAPI, auth=who)


def error(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/vnd.api+json")
    [item] = r.json()["errors"]
    assert item["status"] == str(status)
    return item


def test_create_read_and_attributes(client: TestClient) -> None:
    r = post(
        client,
        attributes(
            "Core 1",
            doi="10.99990/ZTA0001",
            event="publish",
            url="https://example.org/1",
            descriptions=[{"description": "Half core", "descriptionType": "Abstract"}],
        ),
    )
    assert r.status_code == 201, r.text
    assert r.headers["content-type"].startswith("application/vnd.api+json")
    data = r.json()["data"]
    assert data["id"] == "10.99990/zta0001" and data["type"] == "dois"
    assert data["relationships"]["client"]["data"] == {"id": "ztest.one", "type": "clients"}
    attrs = data["attributes"]
    assert (attrs["state"], attrs["url"], attrs["prefix"], attrs["suffix"]) == (
        "findable",
        "https://example.org/1",
        "10.99990",
        "zta0001",
    )
    assert {"description": "Half core", "descriptionType": "Abstract"} in attrs["descriptions"]
    # anyone reads a findable DOI, in any case of the DOI
    assert client.get("/dois/10.99990/ZTA0001").json()["data"]["attributes"]["titles"] == [{"title": "Core 1"}]
    # the xml attribute is the sample's DataCite XML; a document given there is what is kept
    document = base64.b64decode(attrs["xml"])
    assert b"<title>Core 1</title>" in document
    r = client.put(
        "/dois/10.99990/ZTA0001",
        json={
            "data": {"attributes": {"xml": base64.b64encode(document.replace(b"Core 1", b"Core 1, again")).decode()}}
        },
        headers=JSONAPI,
        auth=CLIENT_ONE,
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["attributes"]["titles"] == [{"title": "Core 1, again"}]
    # the MDS sees the same sample
    assert client.get("/doi/10.99990/ZTA0001", auth=CLIENT_ONE).text == "https://example.org/1"


def test_activities_are_the_history(client: TestClient) -> None:
    assert (
        post(client, attributes(doi="10.99990/ZTA0002", event="publish", url="https://example.org/2")).status_code
        == 201
    )
    client.put(
        "/dois/10.99990/ZTA0002", json={"data": {"attributes": {"event": "hide"}}}, headers=JSONAPI, auth=CLIENT_ONE
    ).raise_for_status()
    r = client.get("/dois/10.99990/ZTA0002/activities", auth=CLIENT_ONE)
    assert r.status_code == 200
    items = r.json()["data"]
    assert [(a["attributes"]["version"], a["attributes"]["action"]) for a in items] == [(1, "create"), (2, "update")]
    assert [a["attributes"]["event"] for a in items] == ["published", "hidden"]  # each transition its own event
    assert items[0]["attributes"]["prov:wasAttributedTo"] == "ZTEST.ONE"
    # registered now: its activities are its owner's to see
    error(client.get("/dois/10.99990/ZTA0002/activities"), 404)


def test_error_objects_point_into_the_request(client: TestClient) -> None:
    item = error(post(client, attributes(doi="10.99990/ZTA0003", event="launch")), 422)
    assert item["source"] == {"pointer": "/data/attributes/event"}
    item = error(
        post(
            client,
            {"doi": "10.99990/ZTA0003", "event": "publish", "url": "https://example.org/3", "titles": "not a list"},
        ),
        400,
    )
    assert item["source"] == {"pointer": "/data/attributes/titles"}
    item = error(post(client, {"doi": "10.99990/ZTA0003", "event": "publish"}), 422)
    assert "needs its metadata" in item["title"]
    item = error(post(client, {"doi": "10.99990/ZTA0003", "xml": "%%%"}), 400)
    assert item["source"] == {"pointer": "/data/attributes/xml"}
    item = error(post(client, {"doi": "10.99990/ZTA0003", "types": {"resourceTypeGeneral": "Dataset"}}), 422)
    assert item["source"] == {"pointer": "/data/attributes/types/resourceTypeGeneral"}
    item = error(client.post("/dois", content=b"{", headers=JSONAPI, auth=CLIENT_ONE), 400)
    error(client.post("/dois", content=b"doi=1", headers={"Content-Type": "text/plain"}, auth=CLIENT_ONE), 415)
    error(client.post("/dois", json={"data": {}}, headers=JSONAPI), 401)
    item = error(post(client, {"prefix": "10.99990"}, who=("ADMIN", "x")), 401)
    item = error(post(client, {}), 422)
    assert item["source"] == {"pointer": "/data/attributes/doi"}


def test_drafts_count_against_the_quota_and_only_drafts_are_deleted(client: TestClient) -> None:
    for n in (1, 2):  # ZTEST.TWO has a quota of 2 and a handle namespace
        r = post(client, {"doi": f"10273/ZTB000{n}"}, who=CLIENT_TWO)
        assert r.status_code == 201, r.text
    assert "quota" in error(post(client, {"doi": "10273/ZTB0003"}, who=CLIENT_TWO), 403)["title"]
    # a draft becomes a sample in its own quota place
    r = client.put(
        "/dois/10273/ZTB0001",
        json={"data": {"attributes": attributes(event="register")}},
        headers=JSONAPI,
        auth=CLIENT_TWO,
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["attributes"]["state"] == "registered"
    assert "only draft" in error(client.delete("/dois/10273/ZTB0001", auth=CLIENT_TWO), 405)["title"]
    assert client.delete("/dois/10273/ZTB0002", auth=CLIENT_TWO).status_code == 204
    error(client.get("/dois/10273/ZTB0002", auth=CLIENT_TWO), 404)
    assert post(client, {"doi": "10273/ZTB0003"}, who=CLIENT_TWO).status_code == 201  # its place is free again


def test_list_filters_and_cursor_pages(client: TestClient) -> None:
    for n in range(1, 6):
        assert (
            post(
                client,
                attributes(
                    f"Listed core {n}", doi=f"10.99990/ZTA01{n:02d}", event="publish", url=f"https://example.org/l{n}"
                ),
            ).status_code
            == 201
        )
    assert (
        post(
            client, attributes("Hidden core", doi="10.99990/ZTA0199", event="register", url="https://example.org/h")
        ).status_code
        == 201
    )
    assert post(client, {"doi": "10.99990/ZTA0198"}).status_code == 201  # a draft
    public = client.get("/dois", params={"page[size]": 2}).json()
    seen = [d["id"] for d in public["data"]]
    while "next" in public["links"]:
        public = client.get(public["links"]["next"]).json()
        seen += [d["id"] for d in public["data"]]
    assert seen == [f"10.99990/zta01{n:02d}" for n in range(1, 6)]
    own = client.get("/dois", params={"page[size]": 100}, auth=CLIENT_ONE).json()["data"]
    assert {d["id"]: d["attributes"]["state"] for d in own if d["id"] > "10.99990/zta0197"} == {
        "10.99990/zta0198": "draft",
        "10.99990/zta0199": "registered",
    }
    assert [d["id"] for d in client.get("/dois", params={"state": "draft"}, auth=CLIENT_ONE).json()["data"]] == [
        "10.99990/zta0198"
    ]
    assert client.get("/dois", params={"state": "draft"}, auth=OTHER).json()["data"] == []
    assert len(client.get("/dois", params={"client-id": "ztest.one"}).json()["data"]) == 5
    assert client.get("/dois", params={"client-id": "ztest.two"}).json()["data"] == []
    assert len(client.get("/dois", params={"prefix": "10.99990"}).json()["data"]) == 5
    assert client.get("/dois", params={"prefix": "10.5072"}).json()["data"] == []
    assert [d["id"] for d in client.get("/dois", params={"query": "Listed core 3"}).json()["data"]] == [
        "10.99990/zta0103"
    ]
    assert client.get("/dois", params={"query": "Hidden"}, auth=CLIENT_ONE).json()["data"] == []
    error(client.get("/dois", params={"page[size]": 0}), 400)
    error(client.get("/dois", params={"state": "gone"}), 400)


def test_prefixes_and_clients(client: TestClient) -> None:
    prefixes = client.get("/prefixes").json()["data"]
    assert {
        "id": "10.99990",
        "type": "prefixes",
        "attributes": {"prefix": "10.99990"},
        "relationships": {"clients": {"data": []}, "providers": {"data": [{"id": "ztest", "type": "providers"}]}},
    } in prefixes
    data = client.get("/clients/ztest.one").json()["data"]
    assert data["id"] == "ztest.one" and data["attributes"]["name"] == "Client One"
    assert data["attributes"]["domains"] == "example.org"
    assert data["relationships"]["provider"]["data"] == {"id": "ztest", "type": "providers"}
    error(client.get("/clients/nobody.here"), 404)


def test_reserve_by_pattern_or_names(client: TestClient) -> None:
    assert post(client, {"doi": "10.99990/ZTA-R-0002"}).status_code == 201  # taken: the pattern skips it
    r = client.post("/api/v1/samples/reserve", json={"count": 3, "pattern": "ZTA-R-####"}, auth=CLIENT_ONE)
    assert r.status_code == 201, r.text
    assert r.json() == {"reserved": ["ZTA-R-0001", "ZTA-R-0003", "ZTA-R-0004"], "state": "draft"}
    assert client.get("/dois/10.99990/ZTA-R-0003", auth=CLIENT_ONE).json()["data"]["attributes"]["state"] == "draft"
    error(client.get("/dois/10.99990/ZTA-R-0003"), 404)
    assert client.get("/ZTA-R-0003").status_code == 404
    r = client.post("/api/v1/samples/reserve", json={"names": ["10273/ZTB0001", "ZTB0002"]}, auth=CLIENT_TWO)
    assert r.json()["reserved"] == ["ZTB0001", "ZTB0002"]
    # all or none: past the quota (2), in another party's namespace, or a name taken, nothing is reserved
    r = client.post("/api/v1/samples/reserve", json={"count": 1, "pattern": "ZTB"}, auth=CLIENT_TWO)
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    r = client.post("/api/v1/samples/reserve", json={"names": ["ZTA-S-1", "ZO0001"]}, auth=CLIENT_ONE)
    assert r.status_code == 403
    r = client.post("/api/v1/samples/reserve", json={"names": ["ZTA-S-1", "ZTA-R-0001"]}, auth=CLIENT_ONE)
    assert r.status_code == 409
    error(client.get("/dois/10.99990/ZTA-S-1", auth=CLIENT_ONE), 404)
    for body in ({"count": 0, "pattern": "ZTA#"}, {"count": 2, "pattern": "ZTA#-#"}, {"names": "ZTA1"}, {}):
        assert client.post("/api/v1/samples/reserve", json=body, auth=CLIENT_ONE).status_code == 400
    assert client.post("/api/v1/samples/reserve", json={"names": ["ZTA9"]}).status_code == 401


def test_a_drafts_partial_metadata_is_read_with_nothing_required(client: TestClient) -> None:
    r = post(client, {"doi": "10.99990/ZTA0401", "titles": [{"title": "Only a title"}]})
    assert r.status_code == 201, r.text
    assert r.json()["data"]["attributes"]["titles"] == [{"title": "Only a title"}]
    bad = {"doi": "10.99990/ZTA0402", "geoLocations": [{"geoLocationPoint": {"pointLongitude": 1}}]}
    pointer = "/data/attributes/geoLocations/0/geoLocationPoint/pointLatitude"
    assert error(post(client, bad), 400)["source"] == {"pointer": pointer}
    # what a draft was given stays when it is completed
    r = client.put(
        "/dois/10.99990/ZTA0401",
        json={
            "data": {
                "attributes": {
                    "creators": [{"name": "Doe, Jane"}],
                    "publisher": "P",
                    "publicationYear": 2024,
                    "types": {"resourceTypeGeneral": "PhysicalObject"},
                    "url": "https://example.org/401",
                    "event": "publish",
                }
            }
        },
        headers=JSONAPI,
        auth=CLIENT_ONE,
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["attributes"]["titles"] == [{"title": "Only a title"}]
    assert r.json()["data"]["attributes"]["state"] == "findable"


def test_a_draft_registered_through_another_door_is_that_sample(client: TestClient) -> None:
    from igsn_graph.index.rebuild import verify

    assert post(client, {"doi": "10.99990/ZTA0501", "titles": [{"title": "Reserved"}]}).status_code == 201
    r = client.post(
        "/doi",
        content="doi=10.99990/ZTA0501\nurl=https://example.org/501",
        headers={"Content-Type": "text/plain"},
        auth=CLIENT_ONE,
    )
    assert r.status_code == 201, r.text
    attrs = client.get("/dois/10.99990/ZTA0501", auth=CLIENT_ONE).json()["data"]["attributes"]
    assert (attrs["state"], attrs["url"]) == ("findable", "https://example.org/501")  # the catalogue wins
    assert client.delete("/dois/10.99990/ZTA0501", auth=CLIENT_ONE).status_code == 405
    registry = client.app.state.registry  # type: ignore[attr-defined]
    assert verify(registry.db, registry.store, registry.iris).ok  # drafts are no derived rows


def test_polygons_as_datacite_writes_them(client: TestClient) -> None:
    ring = [{"polygonPoint": {"pointLongitude": x, "pointLatitude": y}} for x, y in ((1, 1), (2, 1), (2, 2), (1, 1))]
    r = post(
        client,
        attributes(
            doi="10.99990/ZTA0601",
            event="publish",
            url="https://example.org/601",
            geoLocations=[{"geoLocationPolygon": ring}],
        ),
    )
    assert r.status_code == 201, r.text
    [geo] = r.json()["data"]["attributes"]["geoLocations"]
    assert geo == {
        "geoLocationBox": {
            "westBoundLongitude": 1.0,
            "eastBoundLongitude": 2.0,
            "southBoundLatitude": 1.0,
            "northBoundLatitude": 2.0,
        }
    }
