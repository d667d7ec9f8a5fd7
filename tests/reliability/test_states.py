"""The DataCite lifecycle states on every read surface, as a matrix (state × surface × caller), and the transitions.

``draft`` (reserved through ``/dois`` without an event): nowhere but ``/dois``, ``/api/v1/samples`` and the
resolver for its owner (404 to everyone else, as an unknown name). ``registered`` (event ``register``, or ``hide``): resolves (resolver, handle API) with its registry facts only, a deleted record
for OAI-PMH, not searchable, its description in no SPARQL answer, its relations hidden. ``findable`` (event
``publish``): everything public. Each state's expected answer per surface is one explicit table (``EXPECTED``); the
same table holds after the samples moved to another agent, whose owner then sees what an owner sees.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.conftest import ADMIN_PASSWORD, CLIENT_ONE, OTHER, fresh_settings

JSONAPI = {"Content-Type": "application/vnd.api+json"}
ADMIN = ("admin", ADMIN_PASSWORD)
REPOSITORY = "test.igsn-graph.org"
STATES = ("draft", "registered", "findable")
NAME = {"draft": "ZTA0001", "registered": "ZTA0002", "findable": "ZTA0003"}
WORD = {state: f"STATEWORD{state.upper()}" for state in STATES}  # in each description, to look for
EVENT = {"draft": None, "registered": "register", "findable": "publish"}

Probe = Callable[[TestClient, str, str, tuple[str, str] | None], object]


def _sparql_ask(c: TestClient, query: str) -> bool:
    r = c.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    return bool(r.json()["boolean"])


def _oai(c: TestClient, **params: str) -> str:
    r = c.get("/oai", params=params)
    assert r.status_code == 200
    return r.text


def _oai_record(c: TestClient, name: str, state: str, who: object) -> str:
    text = _oai(c, verb="GetRecord", identifier=f"oai:{REPOSITORY}:{name}", metadataPrefix="oai_dc")
    if "idDoesNotExist" in text:
        return "unknown"
    return "deleted" if 'status="deleted"' in text else ("record" if WORD[state] in text else "record-without-text")


def _oai_listed(c: TestClient, name: str, state: str, who: object) -> str:
    text = _oai(c, verb="ListIdentifiers", metadataPrefix="oai_dc")
    header = re.search(rf'<header( status="deleted")?>\s*<identifier>oai:{REPOSITORY}:{name}<', text)
    return "absent" if header is None else ("deleted" if header.group(1) else "listed")


PROBES: dict[str, Probe] = {
    "resolver": lambda c, n, s, a: c.get(f"/{n}", headers={"Accept": "application/ld+json"}, auth=a).status_code,
    "resolver-text": lambda c, n, s, a: (
        WORD[s] in c.get(f"/{n}", headers={"Accept": "application/ld+json"}, auth=a).text
    ),
    "handle-api": lambda c, n, s, a: c.get(f"/api/handles/10273/{n}").status_code,
    "oai-record": _oai_record,
    "oai-list": _oai_listed,
    "sparql-sample": lambda c, n, s, a: _sparql_ask(
        c, f'ASK {{ GRAPH ?g {{ ?s ?p ?o FILTER(STRENDS(STR(?s), "/{n}")) }} }}'
    ),
    "sparql-text": lambda c, n, s, a: _sparql_ask(
        c, f'ASK {{ GRAPH ?g {{ ?s ?p ?o FILTER(CONTAINS(STR(?o), "{WORD[s]}")) }} }}'
    ),
    "search": lambda c, n, s, a: c.get("/api/v1/search", params={"q": WORD[s]}).json()["total"],
    "related": lambda c, n, s, a: c.get(f"/api/v1/samples/{n}/related", auth=a).status_code,
    "related-by-target": lambda c, n, s, a: n in c.get("/api/v1/related", params={"identifier": "10.1234/paper"}).text,
    "json-api": lambda c, n, s, a: c.get(f"/api/v1/samples/{n}", auth=a).status_code,
    "dois": lambda c, n, s, a: c.get(f"/dois/10.99990/{n}", auth=a).status_code,
    "dois-list": lambda c, n, s, a: f"10.99990/{n.lower()}" in c.get("/dois", params={"page[size]": 1000}, auth=a).text,
}

#: surface → (draft, registered, findable) for anonymous callers
EXPECTED: dict[str, tuple[object, object, object]] = {
    "resolver": (404, 200, 200),
    "resolver-text": (False, False, True),
    "handle-api": (404, 200, 200),
    "oai-record": ("unknown", "deleted", "record"),
    "oai-list": ("absent", "deleted", "listed"),
    "sparql-sample": (False, True, True),  # a registered sample's registry facts are public
    "sparql-text": (False, False, True),
    "search": (0, 0, 1),
    "related": (404, 404, 200),  # the relations API shows findable samples' links only, to everyone
    "related-by-target": (False, False, True),
    "json-api": (404, 404, 200),
    "dois": (404, 404, 200),
    "dois-list": (False, False, True),
}
#: what the owner sees differently (every other surface is public, the same for everyone)
OWNER: dict[str, tuple[object, object, object]] = {
    "resolver": (200, 200, 200),  # a draft resolves for its owner only (issue 19)
    "resolver-text": (True, False, True),  # its partial description; a registered sample's facts only
    "json-api": (200, 200, 200),  # a draft's partial description, to its owner only
    "dois": (200, 200, 200),
    "dois-list": (True, True, True),
}


def attributes(state: str) -> dict[str, object]:
    attrs: dict[str, object] = {
        "doi": f"10.99990/{NAME[state]}",
        "url": f"https://example.org/{NAME[state]}",
        "titles": [{"title": f"Core {WORD[state]}"}],
        "creators": [{"name": "Doe, Jane"}],
        "publisher": "P",
        "publicationYear": 2024,
        "types": {"resourceTypeGeneral": "PhysicalObject", "resourceType": "Core"},
        "relatedIdentifiers": [
            {"relatedIdentifier": "10.99990/ZTA0999", "relatedIdentifierType": "DOI", "relationType": "IsPartOf"},
            {"relatedIdentifier": "10.1234/paper", "relatedIdentifierType": "DOI", "relationType": "IsCitedBy"},
        ],
    }
    if EVENT[state]:
        attrs["event"] = EVENT[state]
    return attrs


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(create_app(fresh_settings(tmp_path_factory.mktemp("states")))) as c:
        for state in STATES:
            r = c.post("/dois", json={"data": {"attributes": attributes(state)}}, headers=JSONAPI, auth=CLIENT_ONE)
            assert r.status_code == 201, r.text
            assert r.json()["data"]["attributes"]["state"] == state
        yield c


@pytest.fixture(scope="module")
def transferred(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The same three DOIs, then moved with their namespace to another agent by the administrator."""
    with TestClient(create_app(fresh_settings(tmp_path_factory.mktemp("states-moved")))) as c:
        for state in STATES:
            r = c.post("/dois", json={"data": {"attributes": attributes(state)}}, headers=JSONAPI, auth=CLIENT_ONE)
            assert r.status_code == 201, r.text
        r = c.post("/api/v1/admin/transfers", json={"to": OTHER[0], "namespace": "ZTA"}, auth=ADMIN)
        assert r.status_code == 200, r.text
        yield c


CELLS = [
    (surface, caller, state) for surface in PROBES for caller in ("anonymous", "other", "owner") for state in STATES
]


@pytest.mark.parametrize(("surface", "caller", "state"), CELLS, ids=["-".join(c) for c in CELLS])
def test_state_matrix(client: TestClient, surface: str, caller: str, state: str) -> None:
    auth = {"anonymous": None, "other": OTHER, "owner": CLIENT_ONE}[caller]
    table = OWNER if caller == "owner" and surface in OWNER else EXPECTED
    expected = table[surface][STATES.index(state)]
    assert PROBES[surface](client, NAME[state], state, auth) == expected


@pytest.mark.parametrize(("surface", "caller", "state"), CELLS, ids=["-".join(c) for c in CELLS])
def test_state_matrix_after_a_transfer(transferred: TestClient, surface: str, caller: str, state: str) -> None:
    """Every state keeps its behaviour on every surface; the new owner sees what an owner sees, the old one what
    any other party sees."""
    auth = {"anonymous": None, "other": CLIENT_ONE, "owner": OTHER}[caller]
    table = OWNER if caller == "owner" and surface in OWNER else EXPECTED
    expected = table[surface][STATES.index(state)]
    assert PROBES[surface](transferred, NAME[state], state, auth) == expected


def _header(client: TestClient, name: str) -> tuple[str, bool]:
    text = _oai(client, verb="GetRecord", identifier=f"oai:{REPOSITORY}:{name}", metadataPrefix="oai_dc")
    found = re.search(r'<header( status="deleted")?>.*?<datestamp>([^<]+)</datestamp>', text, re.DOTALL)
    assert found is not None, text
    return found.group(2), bool(found.group(1))


def _put(client: TestClient, name: str, attrs: dict[str, object], who: tuple[str, str] = CLIENT_ONE) -> httpx.Response:
    return client.put(f"/dois/10.99990/{name}", json={"data": {"attributes": attrs}}, headers=JSONAPI, auth=who)


def test_transitions_and_their_datestamps(client: TestClient) -> None:
    name = "ZTA0010"
    assert _put(client, name, {"url": "https://example.org/10"}).json()["data"]["attributes"]["state"] == "draft"
    reserved = client.get(f"/dois/10.99990/{name}/activities", auth=CLIENT_ONE).json()["data"]
    assert [a["attributes"]["event"] for a in reserved] == ["reserved"]  # the owner sees its reservation
    assert client.get(f"/dois/10.99990/{name}/activities", auth=OTHER).status_code == 404
    attrs = {**attributes("findable"), "doi": f"10.99990/{name}", "event": "register"}
    assert _put(client, name, attrs).json()["data"]["attributes"]["state"] == "registered"
    stamps = [_header(client, name)]
    assert stamps[-1][1]  # registered: a deleted record for harvesters
    for event, state, deleted in (
        ("publish", "findable", False),
        ("hide", "registered", True),
        ("publish", "findable", False),
    ):
        time.sleep(1.05)  # datestamps are whole seconds
        r = _put(client, name, {"event": event})
        assert r.status_code == 200, r.text
        assert r.json()["data"]["attributes"]["state"] == state
        stamps.append(_header(client, name))
        assert stamps[-1][1] is deleted
        assert stamps[-1][0] > stamps[-2][0]  # every change of state is news for a harvester
    # never back to draft: an update without event keeps the state; only drafts are deleted
    assert _put(client, name, {"url": "https://example.org/10b"}).json()["data"]["attributes"]["state"] == "findable"
    assert client.delete(f"/dois/10.99990/{name}", auth=CLIENT_ONE).status_code == 405
    activities = client.get(f"/dois/10.99990/{name}/activities").json()["data"]
    assert [a["attributes"]["version"] for a in activities] == [1, 2, 3, 4, 5]  # each transition is a version
    # each its own event in the history (a PROV activity each); a change without event is what it changes
    events = [a["attributes"]["event"] for a in activities]
    assert events == ["registered", "published", "hidden", "published", "url-updated"]
    # another party changes no state
    assert _put(client, name, {"event": "hide"}, OTHER).status_code == 403
    assert _put(client, name, {}).json()["data"]["attributes"]["state"] == "findable"
