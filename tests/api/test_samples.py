"""api.routers.samples: create / replace / read / deactivate over HTTP, roles, ETags, test mode, safety, errors."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from pyoxigraph import RdfFormat, parse

from api.app import create_app
from igsn_graph.registry.service import Registry
from igsn_graph.store import history
from tests.api.test_mds import kernel
from tests.conftest import AGENT, CLIENT_ONE, CLIENT_TWO, OTHER, fresh_settings, live_server

API = "/api/v1/samples"
TURTLE = {"Content-Type": "text/turtle"}
PREFIXES = (
    "@prefix ig: <https://w3id.org/igsn-graph/ontology#> .\n"
    "@prefix dcterms: <http://purl.org/dc/terms/> .\n@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
)
NON_PUBLIC = "<http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC>"


def turtle(name: str, title: str = "A core", *, extra: str = "") -> bytes:
    return (PREFIXES + f'<https://igsn.org/{name}> ig:igsn "{name}" ; dcterms:title "{title}" {extra}.\n').encode()


def jsonld(name: str, title: str) -> dict[str, object]:
    return {
        "@context": "https://w3id.org/igsn-graph/context.jsonld",
        "@id": f"https://igsn.org/{name}",
        "igsn": name,
        "title": title,
    }


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app for the tests that need no empty registry (each uses its own IGSNs)."""
    with TestClient(create_app(fresh_settings(tmp_path_factory.mktemp("samples")))) as c:
        yield c


def versions(client: TestClient, name: str | None = None) -> int:
    """How many versions the registry holds (of one sample): unchanged means nothing was stored."""
    conn = client.app.state.registry.db.read()  # type: ignore[attr-defined]
    if name is None:
        return int(conn.execute("SELECT COUNT(*) FROM versions").fetchone()[0])
    return int(conn.execute("SELECT COUNT(*) FROM versions WHERE igsn = ?", (name,)).fetchone()[0])


def assert_problem(r: httpx.Response, status: int, type_suffix: str | None = None) -> dict[str, object]:
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in r.text
    if type_suffix is not None:
        assert body["type"].endswith("/" + type_suffix), body
    return body  # type: ignore[no-any-return]


def triples_of(r: httpx.Response, fmt: RdfFormat) -> set[str]:
    return {str(q.triple) if hasattr(q, "triple") else str(q) for q in parse(input=r.content, format=fmt)}


# -- create, read, replace -----------------------------------------------------------------------
def test_create_from_turtle_then_read_in_every_rdf_syntax(api: TestClient) -> None:
    r = api.post(API, content=turtle("ZTA1001", "First core"), headers=TURTLE, auth=CLIENT_ONE)
    assert r.status_code == 201, r.text
    assert r.json() == {
        "igsn": "ZTA1001",
        "status": "created",
        "version": 1,
        "testMode": False,
        "stored": True,
        "message": "ZTA1001 created",
        "warnings": [],
    }
    assert r.headers["location"] == f"http://testserver{API}/ZTA1001"
    etag = r.headers["etag"]
    got = api.get(r.headers["location"])  # public read, no credentials
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/turtle")
    assert got.headers["etag"] == etag
    assert '"First core"' in got.text
    turtle_triples = triples_of(got, RdfFormat.TURTLE)
    for accept, fmt in [
        ("application/ld+json", RdfFormat.JSON_LD),
        ("application/n-triples", RdfFormat.N_TRIPLES),
        ("application/rdf+xml", RdfFormat.RDF_XML),
        ("text/plain", RdfFormat.N_TRIPLES),
    ]:
        other = api.get(f"{API}/ZTA1001", headers={"Accept": accept})
        assert other.status_code == 200, (accept, other.text)
        assert triples_of(other, fmt) == turtle_triples, accept
    quads = api.get(f"{API}/ZTA1001", headers={"Accept": "application/n-quads"})
    assert {str(q.graph_name) for q in parse(input=quads.content, format=RdfFormat.N_QUADS)} == {
        "<https://igsn.org/graph/ZTA1001>"
    }
    # every written form of the IGSN names it, the handle form with its slash too
    for path in ("zta1001", "10273/ZTA1001", "igsn:ZTA1001"):
        assert api.get(f"{API}/{path}").status_code == 200, path
    assert_problem(api.get(f"{API}/ZTA1001", headers={"Accept": "image/png"}), 406)
    assert_problem(api.get(f"{API}/ZTA1999"), 404, "NotFound")


def test_create_from_json_ld_and_xml_kernels(api: TestClient) -> None:
    r = api.post(
        API, json=jsonld("ZTA1011", "From JSON-LD"), headers={"Content-Type": "application/ld+json"}, auth=CLIENT_ONE
    )
    assert r.status_code == 201, r.text
    assert "From JSON-LD" in api.get(f"{API}/ZTA1011").text
    r = api.post(API, content=kernel("10273/ZTA1012"), headers={"Content-Type": "application/xml"}, auth=CLIENT_ONE)
    assert r.status_code == 201 and r.json()["igsn"] == "ZTA1012", r.text
    desc = (
        b'<resource xmlns="http://schema.igsn.org/description/1.1" type="Sample">'
        b'<identifier type="IGSN">ZTA1013</identifier><name>Core half</name></resource>'
    )
    r = api.put(f"{API}/ZTA1013", content=desc, headers={"Content-Type": "text/xml; charset=utf-8"}, auth=CLIENT_ONE)
    assert r.status_code == 201 and r.headers["location"].endswith("/ZTA1013"), r.text
    assert "Core half" in api.get(f"{API}/ZTA1013").text


def test_post_of_a_registered_igsn_is_a_conflict_and_put_replaces(api: TestClient) -> None:
    assert api.post(API, content=turtle("ZTA1021", "v1"), headers=TURTLE, auth=CLIENT_ONE).status_code == 201
    assert_problem(api.post(API, content=turtle("ZTA1021", "v2"), headers=TURTLE, auth=CLIENT_ONE), 409, "Conflict")
    r = api.put(f"{API}/10273/ZTA1021", content=turtle("ZTA1021", "v2"), headers=TURTLE, auth=CLIENT_ONE)
    assert r.status_code == 200 and r.json()["status"] == "updated" and r.json()["version"] == 2, r.text
    assert '"v2"' in api.get(f"{API}/ZTA1021").text
    # the body must describe the sample of the path
    body = assert_problem(api.put(f"{API}/ZTA1021", content=turtle("ZTA1022"), headers=TURTLE, auth=CLIENT_ONE), 400)
    assert "ZTA1022" in str(body["detail"])
    # one record per request here
    two = turtle("ZTA1023") + turtle("ZTA1024").split(b".\n", 3)[-1]
    assert "bulk" in str(assert_problem(api.post(API, content=two, headers=TURTLE, auth=CLIENT_ONE), 400)["detail"])
    assert versions(api, "ZTA1022") == versions(api, "ZTA1023") == 0


def test_etag_and_if_match(api: TestClient) -> None:
    r = api.post(API, content=turtle("ZTA1031", "v1"), headers=TURTLE, auth=CLIENT_ONE)
    first = r.headers["etag"]
    assert api.get(f"{API}/ZTA1031").headers["etag"] == first
    r = api.put(
        f"{API}/ZTA1031", content=turtle("ZTA1031", "v2"), headers={**TURTLE, "If-Match": first}, auth=CLIENT_ONE
    )
    assert r.status_code == 200, r.text
    second = r.headers["etag"]
    assert second != first and api.get(f"{API}/ZTA1031").headers["etag"] == second
    # a write based on the first version is stale: 412, nothing stored
    before = versions(api, "ZTA1031")
    body = assert_problem(
        api.put(
            f"{API}/ZTA1031", content=turtle("ZTA1031", "lost"), headers={**TURTLE, "If-Match": first}, auth=CLIENT_ONE
        ),
        412,
        "PreconditionFailed",
    )
    assert "current version is 2" in str(body["detail"])
    assert_problem(api.delete(f"{API}/ZTA1031", headers={"If-Match": first}, auth=CLIENT_ONE), 412)
    assert_problem(
        api.put(
            f"{API}/ZTA1031",
            content=turtle("ZTA1031", "x"),
            headers={**TURTLE, "If-Match": "W/" + second},
            auth=CLIENT_ONE,
        ),
        412,
    )
    assert_problem(
        api.put(
            f"{API}/ZTA1031", content=turtle("ZTA1031", "x"), headers={**TURTLE, "If-None-Match": "*"}, auth=CLIENT_ONE
        ),
        412,
    )
    assert_problem(
        api.put(f"{API}/ZTA1032", content=turtle("ZTA1032"), headers={**TURTLE, "If-Match": "*"}, auth=CLIENT_ONE), 412
    )
    assert versions(api, "ZTA1031") == before and versions(api, "ZTA1032") == 0
    assert '"v2"' in api.get(f"{API}/ZTA1031").text
    r = api.delete(f"{API}/ZTA1031", headers={"If-Match": second}, auth=CLIENT_ONE)
    assert r.status_code == 200 and r.json()["status"] == "deactivated" and r.json()["version"] == 3, r.text


# -- roles ---------------------------------------------------------------------------------------
def test_roles_client_agent_and_other_parties(api: TestClient) -> None:
    # a client writes in its namespaces only
    assert api.post(API, content=turtle("ZTA1041"), headers=TURTLE, auth=CLIENT_ONE).status_code == 201
    assert_problem(
        api.post(API, content=turtle("ZTB1041"), headers=TURTLE, auth=CLIENT_ONE), 403, "NamespaceNotAllowed"
    )
    # the agent's credentials cover its clients' samples
    r = api.put(f"{API}/ZTA1041", content=turtle("ZTA1041", "by agent"), headers=TURTLE, auth=AGENT)
    assert r.status_code == 200, r.text
    assert api.post(API, content=turtle("ZTB1042"), headers=TURTLE, auth=AGENT).status_code == 201
    # nobody touches another party's sample
    before = versions(api)
    for who in (OTHER, CLIENT_TWO):
        assert_problem(
            api.put(f"{API}/ZTA1041", content=turtle("ZTA1041", "stolen"), headers=TURTLE, auth=who),
            403,
            "ForeignSample",
        )
        assert_problem(api.delete(f"{API}/ZTA1041", auth=who), 403, "ForeignSample")
    assert_problem(api.post(API, content=turtle("ZO1043"), headers=TURTLE, auth=AGENT), 403)
    assert versions(api) == before
    assert '"by agent"' in api.get(f"{API}/ZTA1041").text


def test_private_and_inactive_samples_are_the_owners_alone_and_reactivation(api: TestClient) -> None:
    private = turtle("ZTA1051", "Secret core", extra=f"; dcterms:accessRights {NON_PUBLIC} ")
    assert api.post(API, content=private, headers=TURTLE, auth=CLIENT_ONE).status_code == 201
    assert_problem(api.get(f"{API}/ZTA1051"), 404)
    assert_problem(api.get(f"{API}/ZTA1051", auth=OTHER), 404)
    assert "Secret core" in api.get(f"{API}/ZTA1051", auth=CLIENT_ONE).text
    assert "Secret core" in api.get(f"{API}/ZTA1051", auth=AGENT).text
    assert_problem(api.get(f"{API}/ZTA1051", auth=("ZTEST.ONE", "wrong")), 401)

    assert api.post(API, content=turtle("ZTA1052", "Was here"), headers=TURTLE, auth=CLIENT_ONE).status_code == 201
    r = api.delete(f"{API}/ZTA1052", auth=CLIENT_ONE)
    assert r.status_code == 200 and r.json()["version"] == 2
    assert_problem(api.get(f"{API}/ZTA1052"), 410, "Gone")
    assert_problem(api.get(f"{API}/ZTA1052", auth=OTHER), 410)
    assert api.get(f"{API}/ZTA1052", auth=CLIENT_ONE).status_code == 200
    # deleting again changes nothing
    assert api.delete(f"{API}/ZTA1052", auth=CLIENT_ONE).json()["version"] == 2
    # registering it again reactivates it
    r = api.put(f"{API}/ZTA1052", content=turtle("ZTA1052", "Back again"), headers=TURTLE, auth=CLIENT_ONE)
    assert r.status_code == 200 and r.json()["version"] == 3, r.text
    assert "Back again" in api.get(f"{API}/ZTA1052").text
    assert_problem(api.delete(f"{API}/ZTA1999", auth=CLIENT_ONE), 404)


def test_test_mode_validates_and_stores_nothing(api: TestClient) -> None:
    before = versions(api)
    r = api.post(f"{API}?testMode=true", content=turtle("ZTA1061"), headers=TURTLE, auth=CLIENT_ONE)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["testMode"] is True and body["stored"] is False and "test mode" in body["message"]
    assert "location" not in r.headers
    bad = turtle("ZTA1062", extra='; ig:material "nope" ')
    assert_problem(api.post(f"{API}?testMode=true", content=bad, headers=TURTLE, auth=CLIENT_ONE), 400)
    assert api.post(API, content=turtle("ZTA1063"), headers=TURTLE, auth=CLIENT_ONE).status_code == 201
    r = api.delete(f"{API}/ZTA1063?testMode=true", auth=CLIENT_ONE)
    assert r.status_code == 200 and r.json()["testMode"] is True
    assert api.get(f"{API}/ZTA1063").status_code == 200
    assert versions(api) == before + 1
    assert_problem(api.get(f"{API}/ZTA1061"), 404)


def test_invalid_record_lists_its_violations(api: TestClient) -> None:
    bad = turtle("ZTA1071", extra='; ig:material "nope" ')
    body = assert_problem(api.post(API, content=bad, headers=TURTLE, auth=CLIENT_ONE), 400, "InvalidRecord")
    assert body["igsn"] == "ZTA1071"
    [violation] = body["violations"]  # type: ignore[misc]
    assert violation["path"] == "https://w3id.org/igsn-graph/ontology#material"
    assert violation["value"] == "nope" and "material" in violation["message"]
    assert versions(api, "ZTA1071") == 0


def test_domain_rules_and_quota(tmp_path: Path) -> None:
    with TestClient(create_app(fresh_settings(tmp_path))) as c:
        outside = turtle("ZTA1081", extra="; dcat:landingPage <https://elsewhere.net/1> ")
        assert_problem(c.post(API, content=outside, headers=TURTLE, auth=CLIENT_ONE), 403, "DomainNotAllowed")
        inside = turtle("ZTA1082", extra="; dcat:landingPage <https://data.example.org/1> ")
        assert c.post(API, content=inside, headers=TURTLE, auth=CLIENT_ONE).status_code == 201
        # client TWO may hold 2 distinct IGSNs; updates do not count, test registrations neither
        for n in (1, 2):
            assert c.post(API, content=turtle(f"ZTB108{n}"), headers=TURTLE, auth=CLIENT_TWO).status_code == 201
        assert (
            c.put(f"{API}/ZTB1081", content=turtle("ZTB1081", "again"), headers=TURTLE, auth=CLIENT_TWO).status_code
            == 200
        )
        assert_problem(c.post(API, content=turtle("ZTB1083"), headers=TURTLE, auth=CLIENT_TWO), 403, "QuotaExceeded")
        assert versions(c, "ZTB1083") == 0


# -- safety --------------------------------------------------------------------------------------
def test_bad_bodies_get_clear_errors_and_store_nothing(api: TestClient) -> None:
    before = versions(api)
    r = api.post(API, content=turtle("ZTA1091"), headers=TURTLE)
    assert_problem(r, 401, "NotAuthenticated")
    assert r.headers["www-authenticate"].startswith('Basic realm="igsn-graph"')
    assert_problem(
        api.post(API, content=turtle("ZTA1091"), headers={"Content-Type": "text/plain"}, auth=CLIENT_ONE), 415
    )
    assert_problem(api.post(API, content=turtle("ZTA1091"), auth=CLIENT_ONE), 415)
    assert_problem(
        api.post(
            API, content=turtle("ZTA1091"), headers={"Content-Type": "text/turtle; charset=latin-1"}, auth=CLIENT_ONE
        ),
        415,
    )
    assert "UTF-8" in str(
        assert_problem(
            api.post(API, content=turtle("ZTA1091").replace(b"A core", b"\xff\xfe"), headers=TURTLE, auth=CLIENT_ONE),
            400,
        )["detail"]
    )
    assert "control" in str(
        assert_problem(api.post(API, content=turtle("ZTA1091", "a\x01b"), headers=TURTLE, auth=CLIENT_ONE), 400)[
            "detail"
        ]
    )
    assert_problem(api.post(API, content=b"", headers=TURTLE, auth=CLIENT_ONE), 400)
    assert_problem(api.post(API, content=b"<not turtle", headers=TURTLE, auth=CLIENT_ONE), 400, "MalformedDocument")
    assert_problem(api.post(API, content=b"{", headers={"Content-Type": "application/ld+json"}, auth=CLIENT_ONE), 400)
    entity = (
        b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x "y">]>'
        b'<sample xmlns="http://igsn.org/schema/kernel-v.1.0">&x;</sample>'
    )
    assert_problem(api.post(API, content=entity, headers={"Content-Type": "application/xml"}, auth=CLIENT_ONE), 400)
    assert_problem(
        api.post(API, content=b"<a/>", headers={"Content-Type": "application/xml"}, auth=CLIENT_ONE),
        400,
        "UnsupportedFormat",
    )
    assert_problem(api.put(f"{API}/has space", content=turtle("ZTA1091"), headers=TURTLE, auth=CLIENT_ONE), 400)
    assert versions(api) == before


def test_oversized_body_is_refused_with_413(tmp_path: Path) -> None:
    with TestClient(create_app(fresh_settings(tmp_path, max_body_bytes=2000))) as c:
        big = turtle("ZTA1101", "x" * 3000)
        assert_problem(c.post(API, content=big, headers=TURTLE, auth=CLIENT_ONE), 413)
        assert_problem(c.post(f"{API}/bulk", content=big, headers=TURTLE, auth=CLIENT_ONE), 413)
        assert c.post(API, content=turtle("ZTA1102"), headers=TURTLE, auth=CLIENT_ONE).status_code == 201
        assert versions(c, "ZTA1101") == 0


def test_relation_paths_are_not_sample_names(api: TestClient) -> None:
    assert api.post(API, content=turtle("ZTA1111"), headers=TURTLE, auth=CLIENT_ONE).status_code == 201
    for suffix in ("ancestors", "descendants", "related"):
        r = api.put(f"{API}/ZTA1111/{suffix}", content=turtle("ZTA1111"), headers=TURTLE, auth=CLIENT_ONE)
        assert r.status_code in (404, 405), (suffix, r.status_code, r.text)
        r = api.delete(f"{API}/ZTA1111/{suffix}", auth=CLIENT_ONE)
        assert r.status_code in (404, 405), (suffix, r.status_code, r.text)
        r = api.get(f"{API}/ZTA1111/{suffix}")
        # the relations API's answer (or 404 without it), never this router's reading of a sample "ZTA1111/…"
        assert not r.headers.get("content-type", "").startswith("text/turtle"), suffix
    assert api.get(f"{API}/ZTA1111").status_code == 200 and versions(api, "ZTA1111") == 1


def test_every_api_error_is_problem_json(api: TestClient) -> None:
    assert_problem(api.get("/api/v1/no-such-thing"), 404)
    assert_problem(api.patch(f"{API}/ZTA1001", auth=CLIENT_ONE), 405)


def test_openapi_describes_the_operations(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    one, collection = paths[f"{API}/{{igsn}}"], paths[API]
    assert {"get", "put", "delete"} <= set(one) and "post" in collection and "post" in paths[f"{API}/bulk"]
    assert "application/problem+json" in one["put"]["responses"]["412"]["content"]
    assert "text/turtle" in one["get"]["responses"]["200"]["content"]
    assert "text/turtle" in collection["post"]["requestBody"]["content"]
    assert "415" in paths[f"{API}/bulk"]["post"]["responses"]


# -- concurrency over real HTTP -------------------------------------------------------------------
def test_concurrent_writes_are_serialised_and_all_kept(tmp_path: Path) -> None:
    settings = fresh_settings(tmp_path)
    writers = 6
    with live_server(settings) as base, httpx.Client(base_url=base, auth=CLIENT_ONE, timeout=60) as http:
        assert http.post(API, content=turtle("ZTA1121", "start"), headers=TURTLE).status_code == 201
        etag = http.get(f"{API}/ZTA1121").headers["etag"]
        statuses: list[int] = []
        conditional: list[int] = []
        lock = threading.Lock()
        barrier = threading.Barrier(writers)

        def write(n: int) -> None:
            with httpx.Client(base_url=base, auth=CLIENT_ONE, timeout=60) as mine:
                barrier.wait()
                a = mine.put(f"{API}/ZTA1121", content=turtle("ZTA1121", f"writer {n}"), headers=TURTLE)
                b = mine.put(
                    f"{API}/ZTA1121",
                    content=turtle("ZTA1121", f"conditional {n}"),
                    headers={**TURTLE, "If-Match": etag},
                )
            with lock:
                statuses.append(a.status_code)
                conditional.append(b.status_code)

        threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert statuses == [200] * writers
        # each conditional write names version 1, and its own writer's first write came before it: all stale
        assert conditional == [412] * writers
        final = http.get(f"{API}/ZTA1121")
    with Registry(settings) as registry:
        kept = history.versions_of(registry.db.read(), "ZTA1121")
    titles = [v.graph_ntriples for v in kept]
    assert len(kept) == 1 + writers
    for n in range(writers):
        assert sum(f'"writer {n}"' in g for g in titles) == 1  # every acknowledged write is in the history
    assert [v.version for v in kept] == list(range(1, len(kept) + 1))
    assert final.status_code == 200 and final.headers["etag"].startswith(f'"{len(kept)}-')
