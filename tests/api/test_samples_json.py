"""JSON bodies at /api/v1/samples: IGSN-JSON as published (UTF-16LE with a BOM, remote @context), AGN JSON in
UTF-32, JSON-LD naming our context where this server publishes it, and native RDF whose blank nodes or second
values the record could not keep silently."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.test_samples import PREFIXES, TURTLE, assert_problem, fresh_settings, versions
from tests.conftest import CLIENT_ONE

API = "/api/v1/samples"
JSON = {"Content-Type": "application/json"}
NTRIPLES = {"Accept": "application/n-triples"}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(create_app(fresh_settings(tmp_path_factory.mktemp("json")))) as c:
        yield c


def test_igsn_json_as_published(api: TestClient, shared: Path) -> None:
    raw = (shared / "examples/IGSN-igsn-json/examples/full_registration.json").read_bytes()
    doc = json.loads(raw.decode("utf-16"))
    doc["igsn"] = "ZTA7001"  # in the test client's namespace; the rest as published, UTF-16LE with a BOM
    body = b"\xff\xfe" + json.dumps(doc, indent=4).encode("utf-16-le")
    r = api.post(API, content=body, headers=JSON, auth=CLIENT_ONE)
    assert r.status_code == 201, r.text
    graph = api.get(f"{API}/ZTA7001", headers=NTRIPLES, auth=CLIENT_ONE).text
    assert '"CSIRO"' in graph and '"Doug Fils"' in graph and "MULTIPOINT" in graph
    assert '"https://csiro.au/sampleDocs/XXCSIRO0001"' in graph and '"childOf"' in graph
    assert '"2020-05-21T14:32:58"' in graph


def test_agn_json_in_utf_32_through_bulk(api: TestClient) -> None:
    samples = [
        {
            "igsn": f"10273/ZTA70{i}",
            "landingPage": f"https://example.org/s/{i}",
            "localSampleID": f"S-{i}",
            "sampleType": "Hand sample",
            "analyte": "Powder",
            "lithologyType": "basalt",
            "location": {"latLong": {"latitude": -30 - i, "longitude": 137.8}, "elevation": 51},
            "researchers": [{"fullName": "A. Collector", "researcherRole": ["Collector"]}],
        }
        for i in (2, 3)
    ]
    r = api.post(
        API + "/bulk",
        content=json.dumps(samples).encode("utf-32"),
        headers={"Content-Type": "application/json; charset=utf-32"},
        auth=CLIENT_ONE,
    )
    assert r.status_code == 200, r.text
    assert r.json()["counts"]["created"] == 2
    graph = api.get(f"{API}/ZTA702", headers=NTRIPLES).text
    assert "POINT (137.8 -32)" in graph and '"S-2"' in graph and "specimentype/individualSample" in graph


@pytest.mark.parametrize(
    "name,context",
    [
        ("ZTA7004", "http://testserver/context.jsonld"),  # where this server serves it (its public URL)
        ("ZTA7005", "https://igsn.org/context.jsonld"),  # below its IRI base
        ("ZTA7006", "https://w3id.org/igsn-graph/context.jsonld"),
    ],
)
def test_our_context_where_this_server_publishes_it(api: TestClient, name: str, context: str) -> None:
    assert api.get("/context.jsonld").status_code == 200
    doc = {"@context": context, "@id": f"https://igsn.org/{name}", "igsn": name, "title": "A core"}
    r = api.post(
        API, content=json.dumps(doc).encode("utf-16"), headers={"Content-Type": "application/ld+json"}, auth=CLIENT_ONE
    )
    assert r.status_code == 201, r.text


def test_an_unknown_context_is_refused_and_nothing_stored(api: TestClient) -> None:
    doc = {"@context": "https://contexts.example.org/ctx.jsonld", "@id": "https://igsn.org/ZTA7007", "igsn": "ZTA7007"}
    r = api.post(API, content=json.dumps(doc).encode(), headers=JSON, auth=CLIENT_ONE)
    body = assert_problem(r, 400)
    assert "https://contexts.example.org/ctx.jsonld" in str(body["detail"]) and "inline" in str(body["detail"])
    assert versions(api, "ZTA7007") == 0


def test_a_charset_json_cannot_have_is_still_refused(api: TestClient) -> None:
    r = api.post(API, content=b"{}", headers={"Content-Type": "application/json; charset=latin-1"}, auth=CLIENT_ONE)
    assert_problem(r, 415)


def test_a_blank_node_geometry_is_stored_and_a_second_title_refused(api: TestClient) -> None:
    body = (
        PREFIXES + "@prefix geo: <http://www.opengis.net/ont/geosparql#> .\n"
        '<https://igsn.org/ZTA7008> ig:igsn "ZTA7008" ; dcterms:title "Core" ; '
        'geo:hasGeometry [ geo:asWKT "POINT (137.8 -33.7)" ] .\n'
    )
    r = api.post(API, content=body.encode(), headers=TURTLE, auth=CLIENT_ONE)
    assert r.status_code == 201, r.text
    assert "POINT (137.8 -33.7)" in api.get(f"{API}/ZTA7008", headers=NTRIPLES).text

    twice = PREFIXES + '<https://igsn.org/ZTA7009> ig:igsn "ZTA7009" ; dcterms:title "Core", "Another core" .\n'
    problem = assert_problem(api.post(API, content=twice.encode(), headers=TURTLE, auth=CLIENT_ONE), 400)
    assert "more than one title" in str(problem["detail"])
    assert versions(api, "ZTA7009") == 0
