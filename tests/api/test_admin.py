"""api.routers.admin: accounts, namespaces, DOI prefixes, quotas and domains over HTTP, admin credentials only."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.test_samples import API, TURTLE, assert_problem, fresh_settings, turtle
from tests.conftest import ADMIN_PASSWORD, AGENT, CLIENT_ONE, CLIENT_TWO

ADMIN = ("admin", ADMIN_PASSWORD)
A = "/api/v1/admin"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(fresh_settings(tmp_path))) as c:
        yield c


def test_only_the_administrator(api: TestClient) -> None:
    r = api.get(f"{A}/agents")
    assert_problem(r, 401)
    assert r.headers["www-authenticate"].startswith("Basic")
    for who in (AGENT, CLIENT_ONE, ("admin", "wrong")):
        assert api.get(f"{A}/agents", auth=who).status_code in (401, 403)
    assert_problem(api.get(f"{A}/agents", auth=AGENT), 403)
    assert_problem(api.post(f"{A}/agents", json={"symbol": "ZNEW", "name": "n", "password": "p"}, auth=AGENT), 403)
    assert api.get(f"{A}/agents/ZNEW", auth=ADMIN).status_code == 404


def test_agents_and_clients_then_they_register(api: TestClient) -> None:
    r = api.post(
        f"{A}/agents",
        auth=ADMIN,
        json={
            "symbol": "znew",
            "name": "New Agent",
            "password": "new-agent-1",
            "namespaces": ["ZN"],
            "doiPrefixes": ["10.99995"],
        },
    )
    assert r.status_code == 201, r.text
    assert r.json() == {
        "symbol": "ZNEW",
        "name": "New Agent",
        "quota": -1,
        "namespaces": ["ZN"],
        "doiPrefixes": ["10.99995"],
        "ror": None,
        "active": True,
    }
    r = api.post(
        f"{A}/clients",
        auth=ADMIN,
        json={
            "symbol": "ZNEW.LAB",
            "password": "lab-secret-1",
            "namespaces": ["ZNL"],
            "domains": ["lab.example.org"],
            "quota": 5,
        },
    )
    assert r.status_code == 201 and r.json()["agent"] == "ZNEW" and r.json()["domains"] == ["lab.example.org"]
    assert [c["symbol"] for c in api.get(f"{A}/clients?agent=ZNEW", auth=ADMIN).json()] == ["ZNEW.LAB"]
    assert "ZNEW" in [a["symbol"] for a in api.get(f"{A}/agents", auth=ADMIN).json()]
    # the new accounts work at once
    assert (
        api.post(API, content=turtle("ZNL0001"), headers=TURTLE, auth=("ZNEW.LAB", "lab-secret-1")).status_code == 201
    )
    # refusals: existing symbol, a namespace taken, a client namespace outside its agent's, bad input
    assert_problem(api.post(f"{A}/agents", auth=ADMIN, json={"symbol": "ZNEW", "name": "x", "password": "p"}), 409)
    assert_problem(
        api.post(f"{A}/agents", auth=ADMIN, json={"symbol": "ZNX", "name": "x", "password": "p", "namespaces": ["ZT"]}),
        409,
    )
    assert_problem(
        api.post(f"{A}/clients", auth=ADMIN, json={"symbol": "ZNEW.BAD", "password": "p", "namespaces": ["ZT9"]}), 400
    )
    assert_problem(
        api.post(f"{A}/agents", auth=ADMIN, json={"symbol": "bad symbol!", "name": "x", "password": "p"}), 400
    )
    assert_problem(api.post(f"{A}/agents", auth=ADMIN, json={"symbol": "ZQ"}), 400)
    assert_problem(api.post(f"{A}/agents", auth=ADMIN, content=b"{", headers={"Content-Type": "application/json"}), 400)


def test_update_and_disable(api: TestClient) -> None:
    assert api.post(API, content=turtle("ZTA9001"), headers=TURTLE, auth=CLIENT_ONE).status_code == 201
    r = api.patch(f"{A}/clients/ZTEST.ONE", auth=ADMIN, json={"name": "Client Uno", "password": "new-secret-1"})
    assert r.status_code == 200 and r.json()["name"] == "Client Uno"
    assert_problem(api.get(f"{API}/ZTA9001", auth=CLIENT_ONE), 401)  # the old password is gone at once
    one = ("ZTEST.ONE", "new-secret-1")
    assert api.get(f"{API}/ZTA9001", auth=one).status_code == 200
    r = api.delete(f"{A}/clients/ZTEST.ONE", auth=ADMIN)
    assert r.status_code == 200 and r.json()["active"] is False
    assert_problem(api.put(f"{API}/ZTA9001", content=turtle("ZTA9001"), headers=TURTLE, auth=one), 401)
    assert api.patch(f"{A}/clients/ZTEST.ONE", auth=ADMIN, json={"active": True}).json()["active"] is True
    # a disabled agent: neither it nor its clients log in
    assert api.delete(f"{A}/agents/ZTEST", auth=ADMIN).json()["active"] is False
    assert_problem(api.get(f"{API}/ZTA9001", auth=AGENT), 401)
    assert_problem(api.get(f"{API}/ZTA9001", auth=one), 401)
    assert api.get(f"{API}/ZTA9001").status_code == 200  # its samples stay
    assert_problem(api.patch(f"{A}/agents/ZTEST", auth=ADMIN, json={"quota": -5}), 400)
    assert_problem(api.patch(f"{A}/agents/ZTEST", auth=ADMIN, json={"ror": "not a ror"}), 400)
    assert_problem(api.patch(f"{A}/agents/ZNONE", auth=ADMIN, json={"name": "x"}), 404)


def test_namespaces_and_doi_prefixes(api: TestClient) -> None:
    r = api.post(f"{A}/namespaces", auth=ADMIN, json={"value": "10273/ZTC", "owner": "ZTEST.TWO"})
    assert r.status_code == 201 and r.json() == {"value": "ZTC", "agent": "ZTEST", "client": "ZTEST.TWO"}
    assert {"value": "ZTC", "agent": "ZTEST", "client": "ZTEST.TWO"} in api.get(f"{A}/namespaces", auth=ADMIN).json()
    assert api.post(API, content=turtle("ZTC0001"), headers=TURTLE, auth=CLIENT_TWO).status_code == 201
    assert_problem(api.delete(f"{A}/namespaces/ZTC", auth=ADMIN), 409)  # a sample lies in it
    assert api.post(f"{A}/namespaces", auth=ADMIN, json={"value": "ZTD", "owner": "ZTEST.TWO"}).status_code == 201
    assert api.delete(f"{A}/namespaces/10273/ZTD", auth=ADMIN).status_code == 204
    # ZTD is the agent's again (inside its ZT), no longer the client's
    assert_problem(
        api.post(API, content=turtle("ZTD0001"), headers=TURTLE, auth=CLIENT_TWO), 403, "NamespaceNotAllowed"
    )
    assert_problem(api.post(f"{A}/namespaces", auth=ADMIN, json={"value": "ZQ", "owner": "ZTEST.TWO"}), 400)
    assert_problem(api.delete(f"{A}/namespaces/ZNONE", auth=ADMIN), 404)

    r = api.post(f"{A}/doi-prefixes", auth=ADMIN, json={"value": "10.99990", "owner": "ZTEST.ONE"})
    assert r.status_code == 201 and r.json()["client"] == "ZTEST.ONE"
    assert_problem(api.post(f"{A}/doi-prefixes", auth=ADMIN, json={"value": "10.99990", "owner": "ZOTHER"}), 409)
    assert_problem(api.post(f"{A}/doi-prefixes", auth=ADMIN, json={"value": "11.1", "owner": "ZOTHER"}), 400)
    assert api.delete(f"{A}/doi-prefixes/10.99990", auth=ADMIN).status_code == 204
    assert "10.99990" not in [p["value"] for p in api.get(f"{A}/doi-prefixes", auth=ADMIN).json()]


def test_quotas_and_domains(api: TestClient) -> None:
    for n in (1, 2):
        assert api.post(API, content=turtle(f"ZTB900{n}"), headers=TURTLE, auth=CLIENT_TWO).status_code == 201
    quotas = {q["symbol"]: q for q in api.get(f"{A}/quotas", auth=ADMIN).json()}
    assert quotas["ZTEST.TWO"] == {"symbol": "ZTEST.TWO", "kind": "client", "quota": 2, "used": 2}
    assert_problem(api.post(API, content=turtle("ZTB9003"), headers=TURTLE, auth=CLIENT_TWO), 403, "QuotaExceeded")
    assert api.put(f"{A}/quotas/ZTEST.TWO", auth=ADMIN, json={"quota": 3}).json()["quota"] == 3
    assert api.post(API, content=turtle("ZTB9003"), headers=TURTLE, auth=CLIENT_TWO).status_code == 201
    assert_problem(api.put(f"{A}/quotas/ZTEST.TWO", auth=ADMIN, json={"quota": -2}), 400)

    landing = "; dcat:landingPage <https://other.example.net/x> "
    assert_problem(api.post(API, content=turtle("ZTA9101", extra=landing), headers=TURTLE, auth=CLIENT_ONE), 403)
    r = api.put(f"{A}/domains/ZTEST.ONE", auth=ADMIN, json={"domains": ["example.org", "example.net"]})
    assert r.json() == {"client": "ZTEST.ONE", "domains": ["example.org", "example.net"]}
    assert {"client": "ZTEST.ONE", "domains": ["example.org", "example.net"]} in api.get(
        f"{A}/domains", auth=ADMIN
    ).json()
    assert api.post(API, content=turtle("ZTA9101", extra=landing), headers=TURTLE, auth=CLIENT_ONE).status_code == 201
    assert_problem(api.put(f"{A}/domains/ZTEST.ONE", auth=ADMIN, json={"domains": ["https://x.org/"]}), 400)
