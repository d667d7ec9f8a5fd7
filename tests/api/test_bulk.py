"""POST /api/v1/samples/bulk: ≥1,000 records per request, mixed valid/invalid/refused, every body form, test mode."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.test_samples import PREFIXES, assert_problem, fresh_settings, versions
from tests.conftest import AGENT, CLIENT_ONE, CLIENT_TWO

BULK = "/api/v1/samples/bulk"
TURTLE = {"Content-Type": "text/turtle"}


def statement(name: str, extra: str = "") -> str:
    return f'<https://igsn.org/{name}> ig:igsn "{name}" ; dcterms:title "Core {name}" {extra}.\n'


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(fresh_settings(tmp_path))) as c:
        yield c


def test_a_thousand_records_mixed_valid_invalid_and_refused(api: TestClient) -> None:
    names = [f"ZTA2{i:04d}" for i in range(1000)]
    body = PREFIXES + "".join(statement(n) for n in names)
    body += statement("ZTA3000", '; ig:material "nope" ')  # invalid
    body += statement("ZO3001")  # another agent's namespace: refused
    body += statement("QQ3002")  # no namespace at all: refused
    r = api.post(BULK, content=body.encode(), headers=TURTLE, auth=CLIENT_ONE)
    assert r.status_code == 200, r.text[:500]
    result = r.json()
    assert result["testMode"] is False
    assert result["counts"] == {
        "records": 1003,
        "created": 1000,
        "updated": 0,
        "invalid": 1,
        "refused": 2,
        "stored": 1000,
    }
    results = result["results"]
    assert [x["index"] for x in results] == list(range(1003))  # in the order of the document
    assert [x["igsn"] for x in results[:1000]] == names and all(x["status"] == "created" for x in results[:1000])
    invalid, foreign, unknown = results[1000:]
    assert invalid["igsn"] == "ZTA3000" and invalid["status"] == "invalid"
    [violation] = invalid["violations"]
    assert violation["path"].endswith("#material") and violation["value"] == "nope" and violation["message"]
    assert foreign["status"] == "refused" and foreign["violations"][0]["message"]
    assert unknown["status"] == "refused"
    assert versions(api) == 1000 and versions(api, "ZTA3000") == versions(api, "ZO3001") == 0
    assert "Core ZTA20999" in api.get("/api/v1/samples/ZTA20999").text

    # again, by the agent: updates
    again = PREFIXES + "".join(statement(n) for n in names[:20])
    r = api.post(BULK, content=again.encode(), headers=TURTLE, auth=AGENT)
    assert r.json()["counts"]["updated"] == 20 and r.json()["counts"]["created"] == 0


def test_test_mode_validates_the_batch_and_stores_nothing(api: TestClient) -> None:
    body = PREFIXES + statement("ZTA4001") + statement("ZTA4002", '; ig:material "nope" ')
    r = api.post(BULK + "?testMode=true", content=body.encode(), headers=TURTLE, auth=CLIENT_ONE)
    assert r.status_code == 200
    result = r.json()
    assert result["testMode"] is True and result["counts"]["stored"] == 0
    assert [x["status"] for x in result["results"]] == ["created", "invalid"]
    assert versions(api) == 0


def test_quota_refuses_the_new_records_over_it(api: TestClient) -> None:
    body = PREFIXES + "".join(statement(f"ZTB500{i}") for i in range(3))
    result = api.post(BULK, content=body.encode(), headers=TURTLE, auth=CLIENT_TWO).json()
    assert [x["status"] for x in result["results"]] == ["refused"] * 3
    assert "quota" in result["results"][0]["violations"][0]["message"]
    assert versions(api) == 0


def test_xml_n_quads_and_json_ld_documents(api: TestClient) -> None:
    csiro = "".join(
        '<resource registeredObjectType="http://pid.geoscience.gov.au/def/voc/igsn-codelists/PhysicalSample">'
        f"<resourceIdentifier>{n}</resourceIdentifier><landingPage>https://example.org/{n}</landingPage>"
        f"<isPublic>true</isPublic><resourceTitle>Sample {n}</resourceTitle></resource>"
        for n in ("ZTA6001", "ZTA6002", "ZO6003")
    )
    doc = f'<resources xmlns="https://igsn.csiro.au/schemas/3.0">{csiro}</resources>'.encode()
    r = api.post(BULK, content=doc, headers={"Content-Type": "application/xml"}, auth=CLIENT_ONE)
    assert [(x["igsn"], x["status"]) for x in r.json()["results"]] == [
        ("ZTA6001", "created"),
        ("ZTA6002", "created"),
        ("ZO6003", "refused"),
    ]
    assert "Sample ZTA6002" in api.get("/api/v1/samples/ZTA6002").text

    title = "<http://purl.org/dc/terms/title>"
    igsn = "<https://w3id.org/igsn-graph/ontology#igsn>"
    quads = "".join(
        f'<https://igsn.org/{n}> {igsn} "{n}" <https://igsn.org/graph/{n}> .\n'
        f'<https://igsn.org/{n}> {title} "Quad {n}" <https://igsn.org/graph/{n}> .\n'
        for n in ("ZTA6011", "ZTA6012")
    )
    r = api.post(BULK, content=quads.encode(), headers={"Content-Type": "application/n-quads"}, auth=CLIENT_ONE)
    assert r.json()["counts"]["created"] == 2, r.text
    assert "Quad ZTA6012" in api.get("/api/v1/samples/ZTA6012").text

    array = [
        {
            "@context": "https://w3id.org/igsn-graph/context.jsonld",
            "@id": f"https://igsn.org/{n}",
            "igsn": n,
            "title": f"JSON {n}",
        }
        for n in ("ZTA6021", "ZTA6022")
    ]
    r = api.post(
        BULK, content=json.dumps(array).encode(), headers={"Content-Type": "application/ld+json"}, auth=CLIENT_ONE
    )
    assert r.json()["counts"]["created"] == 2, r.text
    assert "JSON ZTA6021" in api.get("/api/v1/samples/ZTA6021").text


def test_unreadable_documents_are_refused_whole(api: TestClient) -> None:
    assert_problem(api.post(BULK, content=b"", headers=TURTLE, auth=CLIENT_ONE), 400)
    assert_problem(
        api.post(BULK, content=(PREFIXES + statement("ZTA7001") + "<broken").encode(), headers=TURTLE, auth=CLIENT_ONE),
        400,
        "MalformedDocument",
    )
    assert_problem(api.post(BULK, content=b"x", headers={"Content-Type": "text/csv"}, auth=CLIENT_ONE), 415)
    assert_problem(api.post(BULK, content=b"x", headers=TURTLE), 401)
    assert versions(api) == 0
