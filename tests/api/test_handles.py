"""/api/handles/10273/{IGSN}: the handle.net proxy JSON shape, filters, codes, both stores."""

from __future__ import annotations

from typing import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from igsn_graph.registry.service import Registry, Submission, init_data_dir
from igsn_graph.settings import Settings
from tests.conftest import ADMIN_PASSWORD, add_test_accounts
from tests.oai.samples import ONE, rich

PUBLIC = "http://resolver.example.net/"


@pytest.fixture(scope="module", params=["embedded", "remote"])
def client(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("handles") / "data", admin_password=ADMIN_PASSWORD, public_url=PUBLIC
    )
    if request.param == "remote":
        import httpx

        url = request.getfixturevalue("oxigraph_engine")
        httpx.post(
            url + "/update", content=b"DROP ALL", headers={"Content-Type": "application/sparql-update"}, timeout=30
        ).raise_for_status()
        settings = settings.with_(store=url)
    init_data_dir(settings)
    with Registry(settings) as registry:
        add_test_accounts(registry)
        outcomes = registry.register(
            ONE,
            [
                Submission(rich("ZTA001"), "igsn_desc", None, "https://example.org/s/ZTA001"),
                Submission(rich("ZTA002"), "igsn_desc", None, None),
                Submission(rich("ZTA003"), "igsn_desc", None, "https://example.org/s/ZTA003"),
            ],
        )
        assert all(o.ok for o in outcomes), outcomes
        registry.deactivate(ONE, "ZTA003")
    with TestClient(create_app(settings)) as c:
        yield c


def test_known_handle_has_url_at_1_and_admin_at_100(client: TestClient) -> None:
    r = client.get("/api/handles/10273/ZTA001")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    doc = r.json()
    assert doc["responseCode"] == 1 and doc["handle"] == "10273/ZTA001"
    by_index = {v["index"]: v for v in doc["values"]}
    assert by_index[1]["type"] == "URL" and by_index[1]["data"] == {
        "format": "string",
        "value": "https://example.org/s/ZTA001",
    }
    assert by_index[100]["type"] == "HS_ADMIN" and by_index[100]["data"]["format"] == "admin"
    assert by_index[100]["data"]["value"]["handle"] == "0.NA/10273"
    assert all(isinstance(v["ttl"], int) and v["timestamp"].endswith("Z") for v in doc["values"])


def test_handle_is_echoed_exactly(client: TestClient) -> None:
    doc = client.get("/api/handles/10273/zta001").json()
    assert doc["responseCode"] == 1 and doc["handle"] == "10273/zta001"


def test_without_landing_url_and_inactive_the_url_is_ours(client: TestClient) -> None:
    for name in ("ZTA002", "ZTA003"):
        values = client.get(f"/api/handles/10273/{name}").json()["values"]
        assert values[0]["data"]["value"] == PUBLIC + name


@pytest.mark.parametrize(
    "query,indexes",
    [
        ("type=URL", [1]),
        ("type=HS_ADMIN", [100]),
        ("index=100", [100]),
        ("type=URL&index=100", [1, 100]),
        ("type=URL.", [1]),
        ("type=HS_.", []),
        ("index=1&index=100", [1, 100]),
    ],
)
def test_type_and_index_filters(client: TestClient, query: str, indexes: list[int]) -> None:
    doc = client.get(f"/api/handles/10273/ZTA001?{query}").json()
    assert doc["responseCode"] == (1 if indexes else 200)
    assert [v["index"] for v in doc.get("values", [])] == indexes


def test_known_without_matching_values(client: TestClient) -> None:
    r = client.get("/api/handles/10273/ZTA001?type=EMAIL")
    assert r.status_code == 200 and r.json()["responseCode"] == 200 and "values" not in r.json()


@pytest.mark.parametrize(
    "path,status,code",
    [
        ("/api/handles/10273/ZTA999", 404, 100),
        ("/api/handles/10273/zta999", 404, 100),
        ("/api/handles/10.1234/ZTA001", 400, 301),
        ("/api/handles/10273/bad%20name", 400, 102),
        ("/api/handles/10273", 400, 102),
        ("/api/handles/10273/ZTA001?index=x", 400, 102),
    ],
)
def test_unknown_and_malformed(client: TestClient, path: str, status: int, code: int) -> None:
    r = client.get(path)
    assert r.status_code == status and r.json()["responseCode"] == code
    assert "values" not in r.json() and r.json()["handle"]


def test_head(client: TestClient) -> None:
    get, head = client.get("/api/handles/10273/ZTA001"), client.head("/api/handles/10273/ZTA001")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]
    assert client.head("/api/handles/10273/ZTA999").status_code == 404
