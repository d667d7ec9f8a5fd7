"""Bulk loading a harvest: an OAI-PMH ListRecords response with deleted records registers its records and then
deactivates the samples it reports deleted, in order, answering for each (testMode: checked, nothing stored)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.test_mds import kernel
from tests.conftest import CLIENT_ONE, fresh_settings

XML = {"Content-Type": "application/xml"}


def harvest(*, records: list[str], deleted: list[str]) -> bytes:
    """A ListRecords page as a provider writes it: records with their metadata, deleted ones as headers only."""
    parts = [
        f"<record><header><identifier>oai:example.org:{name}</identifier><datestamp>2024-01-01</datestamp>"
        f"</header><metadata>{kernel(name).decode().split('?>', 1)[1]}</metadata></record>"
        for name in records
    ] + [
        f'<record><header status="deleted"><identifier>oai:example.org:{name}</identifier>'
        "<datestamp>2024-01-02</datestamp></header></record>"
        for name in deleted
    ]
    return (
        '<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        '<responseDate>2024-01-03T00:00:00Z</responseDate><request verb="ListRecords" metadataPrefix="igsn">'
        f"https://example.org/oai</request><ListRecords>{''.join(parts)}</ListRecords></OAI-PMH>"
    ).encode()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(create_app(fresh_settings(tmp_path_factory.mktemp("bulk-deletions")))) as c:
        for name in ("ZTA-DEL1", "ZTA-DEL2"):
            assert c.post("/metadata", content=kernel(name), headers=XML, auth=CLIENT_ONE).status_code == 201
        yield c


def test_a_harvest_page_registers_then_deactivates(client: TestClient) -> None:
    body = harvest(records=["ZTA-NEW1"], deleted=["ZTA-DEL1", "ZTA-NOTHERE"])
    r = client.post("/api/v1/samples/bulk", content=body, headers=XML, auth=CLIENT_ONE)
    assert r.status_code == 200, r.text
    got = r.json()
    assert [(x["igsn"], x["status"]) for x in got["results"]] == [("ZTA-NEW1", "created")]
    assert [(d["igsn"], d["status"]) for d in got["deleted"]] == [
        ("ZTA-DEL1", "deactivated"),
        ("ZTA-NOTHERE", "unknown"),
    ]
    assert client.get("/ZTA-DEL1", headers={"Accept": "text/turtle"}).status_code == 410
    # the same page again: the sample is inactive already (no new version)
    again = client.post("/api/v1/samples/bulk", content=body, headers=XML, auth=CLIENT_ONE).json()
    assert [(d["igsn"], d["status"]) for d in again["deleted"]] == [
        ("ZTA-DEL1", "inactive"),
        ("ZTA-NOTHERE", "unknown"),
    ]


def test_in_test_mode_deletions_are_checked_and_nothing_is_stored(client: TestClient) -> None:
    body = harvest(records=[], deleted=["ZTA-DEL2"])
    r = client.post("/api/v1/samples/bulk", params={"testMode": "true"}, content=body, headers=XML, auth=CLIENT_ONE)
    assert r.status_code == 200 and r.json()["testMode"] is True
    assert [(d["igsn"], d["status"]) for d in r.json()["deleted"]] == [("ZTA-DEL2", "deactivated")]
    assert client.get("/ZTA-DEL2", headers={"Accept": "text/turtle"}).status_code == 200


def test_a_single_record_write_still_refuses_a_harvest_with_deletions(client: TestClient) -> None:
    body = harvest(records=["ZTA-NEW2"], deleted=["ZTA-DEL2"])
    r = client.post("/api/v1/samples", content=body, headers=XML, auth=CLIENT_ONE)
    assert r.status_code == 400 and "deleted" in r.text
