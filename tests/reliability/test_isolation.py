"""Tenant isolation on every write path, as a generated matrix (actor × operation × target owner × state).

Each cell's expected answer is derived from two small explicit tables: who may act for whom
(``may_act``: the owning client, its agent, the administrator) and what each surface answers in each
situation (``MDS``, ``JSON``, ``BULK``). A refused cell must change nothing (the target's catalogue row,
versions, submitted document and public graph, and the total number of versions, compared before and
after) and must not echo the target's non-public description; an allowed write must change the target.

Speed: the data folder is built once per module. Refused cells and reads run against the shared
canonical targets; every allowed write cell gets a target of its own (created with the others in one
batch when the module starts, or a fresh name for "new"), so cells stay independent on one server.
Failed logins cost a full scrypt each, so each operation meets one kind of failed login (they rotate), against
one target (the 401 is answered before any target is read); ``test_credentials.py`` tries each kind on each
error form and the dearest (a client's wrong password) on every surface.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from lxml import etree

from api.app import create_app
from igsn_graph.loader import read_document
from igsn_graph.registry.accounts import ADMIN as ADMIN_PRINCIPAL
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
from igsn_graph.store import history
from tests.conftest import (
    ADMIN_PASSWORD,
    AGENT,
    CLIENT_ONE,
    CLIENT_TWO,
    OTHER,
    fresh_settings,
)

Auth = tuple[str, str] | None

# -- actors ----------------------------------------------------------------------------------------
DISABLED = ("ZTEST.OFF", "off-secret-1")
ACTORS: dict[str, Auth] = {
    "anonymous": None,
    "wrong-password": (AGENT[0], "not-the-password"),
    "unknown-user": ("ZTEST.NOBODY", CLIENT_ONE[1]),
    "disabled-client": DISABLED,
    "client-one": CLIENT_ONE,
    "client-two": CLIENT_TWO,
    "agent": AGENT,
    "other-agent": OTHER,
    "admin": ("admin", ADMIN_PASSWORD),
}
#: actors whose login fails (anonymous: no credentials at all)
UNAUTHENTICATED = ("anonymous", "wrong-password", "unknown-user", "disabled-client")

# -- owners: (agent, client) and how their IGSNs are written -----------------------------------------
OWNERS: dict[str, tuple[str, str | None]] = {
    "ONE": ("ZTEST", "ZTEST.ONE"),
    "TWO": ("ZTEST", "ZTEST.TWO"),
    "AGENT": ("ZTEST", None),
    "OTHER": ("ZOTHER", None),
}
#: the namespace prefix of each owner's names; TWO's namespace is 10273/ZTB, written in handle form
PREFIX = {"ONE": "ZTA", "TWO": "ZTB", "AGENT": "ZT", "OTHER": "ZO"}
STATES = ("public", "private", "inactive", "new")
CANONICAL_NUMBER = {"public": "0001", "private": "0002", "inactive": "0003", "new": "0099"}
SECRET = "SECRETWORD"  # in every private description
VANISHED = "VANISHEDWORD"  # in every inactive sample's description


def may_act(actor: str, owner: str) -> bool:
    """The ownership rule: the owning client, its agent, or the administrator."""
    agent, client = OWNERS[owner]
    if actor == "admin":
        return True
    if actor == "agent":
        return agent == "ZTEST"
    if actor == "other-agent":
        return agent == "ZOTHER"
    if actor in ("client-one", "client-two"):
        return client == {"client-one": "ZTEST.ONE", "client-two": "ZTEST.TWO"}[actor]
    return False


def written(owner: str, name: str) -> str:
    """How a cell writes the IGSN: TWO's in handle form (its namespace is registered so), others bare."""
    return f"10273/{name}" if owner == "TWO" else name


def csiro(name: str, *, public: bool = True, title: str | None = None) -> bytes:
    """One CSIRO v3 record (it states isPublic); landing pages under example.org (client ONE's domain)."""
    title = title or f"Core {name}"
    return (
        '<resources xmlns="https://igsn.csiro.au/schemas/3.0"><resource registeredObjectType='
        '"http://pid.geoscience.gov.au/def/voc/igsn-codelists/PhysicalSample">'
        f"<resourceIdentifier>{name}</resourceIdentifier><landingPage>https://example.org/{name}</landingPage>"
        f"<isPublic>{'true' if public else 'false'}</isPublic><resourceTitle>{title}</resourceTitle>"
        "</resource></resources>"
    ).encode()


def description_of(name: str, state: str) -> bytes:
    if state == "private":
        return csiro(name, public=False, title=f"Hidden core {SECRET} {name}")
    if state == "inactive":
        return csiro(name, title=f"Withdrawn core {VANISHED} {name}")
    return csiro(name)


# -- operations --------------------------------------------------------------------------------------
TEXT = {"Content-Type": "text/plain;charset=UTF-8"}
XML = {"Content-Type": "application/xml"}
API = "/api/v1/samples"

Call = Callable[[TestClient, str, str, Auth, str], httpx.Response]


@dataclass(frozen=True)
class Op:
    name: str
    surface: str  # "mds" | "json" | "bulk"
    kind: str  # "write" (create or update) | "create" (create only) | "read" | "delete"
    call: Call

    @property
    def writes(self) -> bool:
        return self.kind != "read"


def _body(name: str) -> bytes:
    return csiro(name, title=f"Rewritten core {name}")


def _url_body(key: str, ident: str, name: str) -> bytes:
    return f"{key}={ident}\nurl=https://example.org/moved/{name}".encode()


OPS = [
    Op(
        "mds-post-igsn",
        "mds",
        "write",
        lambda c, w, n, a, q: c.post(f"/igsn{q}", content=_url_body("igsn", w, n), headers=TEXT, auth=a),
    ),
    Op(
        "mds-put-igsn",
        "mds",
        "write",
        lambda c, w, n, a, q: c.put(f"/igsn/{w}{q}", content=_url_body("igsn", w, n), headers=TEXT, auth=a),
    ),
    Op("mds-get-igsn", "mds", "read", lambda c, w, n, a, q: c.get(f"/igsn/{w}", auth=a)),
    Op(
        "mds-post-metadata",
        "mds",
        "write",
        lambda c, w, n, a, q: c.post(f"/metadata{q}", content=_body(n), headers=XML, auth=a),
    ),
    Op(
        "mds-put-metadata",
        "mds",
        "write",
        lambda c, w, n, a, q: c.put(f"/metadata/{w}{q}", content=_body(n), headers=XML, auth=a),
    ),
    Op("mds-get-metadata", "mds", "read", lambda c, w, n, a, q: c.get(f"/metadata/{w}", auth=a)),
    Op("mds-delete-metadata", "mds", "delete", lambda c, w, n, a, q: c.delete(f"/metadata/{w}{q}", auth=a)),
    # DataCite /doi in handle form (every owner's IGSN has one); DOI-prefix forms: test_doi_prefixes
    Op(
        "doi-post",
        "mds",
        "write",
        lambda c, w, n, a, q: c.post(f"/doi{q}", content=_url_body("doi", f"10273/{n}", n), headers=TEXT, auth=a),
    ),
    Op(
        "doi-put",
        "mds",
        "write",
        lambda c, w, n, a, q: c.put(
            f"/doi/10273/{n}{q}", content=_url_body("doi", f"10273/{n}", n), headers=TEXT, auth=a
        ),
    ),
    Op("doi-get", "mds", "read", lambda c, w, n, a, q: c.get(f"/doi/10273/{n}", auth=a)),
    Op("json-post", "json", "create", lambda c, w, n, a, q: c.post(f"{API}{q}", content=_body(n), headers=XML, auth=a)),
    Op(
        "json-put", "json", "write", lambda c, w, n, a, q: c.put(f"{API}/{w}{q}", content=_body(n), headers=XML, auth=a)
    ),
    Op("json-get", "json", "read", lambda c, w, n, a, q: c.get(f"{API}/{w}", auth=a)),
    Op("json-delete", "json", "delete", lambda c, w, n, a, q: c.delete(f"{API}/{w}{q}", auth=a)),
    Op("bulk", "bulk", "write", lambda c, w, n, a, q: c.post(f"{API}/bulk{q}", content=_body(n), headers=XML, auth=a)),
]
OP = {op.name: op for op in OPS}

# -- the rule table: situation → status, per surface ---------------------------------------------------
#: the MDS contract: a refused namespace is a 400 ("IGSN prefix is not allowed"), another party's dataset 403
MDS = {
    "unauthenticated": 401,
    "foreign": 403,
    "foreign-namespace": 400,
    "unknown": 404,
    "gone": 410,
    "created": 201,
    "written": 201,
    "read": 200,
    "deleted": 200,
    "unchanged": 200,
}
#: the JSON API (problem+json): every refusal is a 403; others see public samples only (404 private, 410 inactive)
JSON = {
    "unauthenticated": 401,
    "foreign": 403,
    "foreign-namespace": 403,
    "unknown": 404,
    "gone": 410,
    "hidden": 404,
    "exists": 409,
    "created": 201,
    "written": 200,
    "read": 200,
    "deleted": 200,
    "unchanged": 200,
}
#: bulk: 200 with a result per record; refusals are per record
BULK = {
    "unauthenticated": 401,
    "foreign": "refused",
    "foreign-namespace": "refused",
    "created": "created",
    "written": "updated",
}
CHANGING = {"created", "written", "deleted"}


def situation(op: Op, actor: str, owner: str, state: str) -> str:
    """What the cell is, whatever the surface: derived from the ownership rule and the target's state."""
    allowed = actor not in UNAUTHENTICATED and may_act(actor, owner)
    if actor in UNAUTHENTICATED and not (actor == "anonymous" and op.name == "json-get"):
        return "unauthenticated"
    if op.kind == "read":
        if state == "new":
            return "unknown"
        if op.surface == "json":  # the public read of the JSON API: the owner sees everything
            if allowed or state == "public":
                return "read"
            return "hidden" if state == "private" else "gone"
        if not allowed:
            return "foreign"
        return "gone" if state == "inactive" else "read"
    if op.kind == "delete":
        if state == "new":
            return "unknown"
        if not allowed:
            return "foreign"
        return "unchanged" if state == "inactive" else "deleted"
    if op.kind == "create" and state != "new":
        # ownership before the "must not exist yet" precondition: another party is refused as for any write
        return "exists" if allowed else "foreign"
    if state == "new":
        return "created" if allowed else "foreign-namespace"
    return "written" if allowed else "foreign"


def expected_status(op: Op, sit: str, test_mode: bool = False) -> int:
    if op.surface == "bulk":
        return 401 if sit == "unauthenticated" else 200
    status = (MDS if op.surface == "mds" else JSON)[sit]
    if test_mode and op.surface == "json" and sit in CHANGING:
        return 200  # test mode: "valid, nothing stored"
    return status


# -- the cells -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    actor: str
    op: str
    owner: str
    state: str
    #: an allowed write gets a target of its own (never the shared canonical one)
    own_target: str | None = None

    @property
    def id(self) -> str:
        return f"{self.actor}-{self.op}-{self.owner}-{self.state}"

    @property
    def name(self) -> str:
        return self.own_target or PREFIX[self.owner] + CANONICAL_NUMBER[self.state]


def _allowed_write_covered(actor: str, owner: str, state: str) -> bool:
    """Allowed writes cost a SHACL validation each: every allowed (actor, owner) pair on public samples;
    the other states for a client on its own samples."""
    return state == "public" or (actor, owner) == ("client-one", "ONE")


def _cells() -> list[Cell]:
    cells: list[Cell] = []
    serial = 0
    failing = UNAUTHENTICATED[1:]
    for actor in ACTORS:
        for i, op in enumerate(OPS):
            if actor in failing and failing[i % len(failing)] != actor:
                continue  # a failed login costs a full scrypt: each operation meets one kind of failure
            for owner in OWNERS:
                for state in STATES:
                    if actor in failing and (owner, state) != ("ONE", "public"):
                        continue  # a failed login is refused before any target is read: one target each
                    sit = situation(op, actor, owner, state)
                    if op.writes and sit in CHANGING:
                        if not _allowed_write_covered(actor, owner, state):
                            continue
                        serial += 1
                        tag = "N" if state == "new" else "W"
                        cells.append(Cell(actor, op.name, owner, state, f"{PREFIX[owner]}{tag}{serial:03d}"))
                    else:
                        cells.append(Cell(actor, op.name, owner, state))
    return cells


CELLS = _cells()


# -- the world ------------------------------------------------------------------------------------------
def build_world(tmp: Path) -> Settings:
    """Accounts (the test accounts, a disabled client, scratch agents for the admin cells) and targets."""
    # failed logins are tried on every surface here, many times: the throttle is test_credentials.py's subject
    settings = fresh_settings(tmp, login_failures_burst=0)
    with Registry(settings) as reg:
        reg.update_client(CLIENT_TWO[0], quota=-1)  # quotas are not this file's subject
        reg.add_client(DISABLED[0], name="Disabled client", password=DISABLED[1], namespaces=["ZTC"])
        reg.update_client(DISABLED[0], active=False)
        reg.add_agent("ZSCR", name="Scratch agent", password="scratch-secret-1", namespaces=["ZS"])
        reg.add_agent("ZSCRB", name="Scratch agent B", password="scratch-secret-2", namespaces=["ZSB"])
        targets = [(PREFIX[o] + CANONICAL_NUMBER[s], s) for o in OWNERS for s in STATES if s != "new"]
        targets += [(c.own_target, c.state) for c in CELLS if c.own_target and c.state != "new"]
        # lineage for the relations checks: a public parent with a private and an inactive child
        targets += [("ZTA0101", "public"), ("ZTA0102", "private"), ("ZTA0103", "inactive")]
        subs = []
        for name, state in targets:
            [sub] = read_document(description_of(name, state), None)
            if name in ("ZTA0102", "ZTA0103"):
                sub.record.parents = ["ZTA0101"]
            subs.append(sub)
        outcomes = [o for batch in reg.load_records(subs, principal=ADMIN_PRINCIPAL) for o in batch]
        assert all(o.ok for o in outcomes), [o.reasons for o in outcomes if not o.ok]
        for name, state in targets:
            if state == "inactive":
                reg.deactivate(ADMIN_PRINCIPAL, name)
    return settings


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = build_world(tmp_path_factory.mktemp("isolation"))
    with TestClient(create_app(settings)) as client:
        yield client


def registry_of(client: TestClient) -> Registry:
    return client.app.state.registry  # type: ignore[attr-defined,no-any-return]


def snapshot(client: TestClient, name: str) -> tuple[object, ...]:
    """Everything a write could change about one sample, and the number of versions of all samples."""
    reg = registry_of(client)
    conn = reg.db.read()
    latest = history.latest_document(conn, name)
    return (
        reg.row(name),
        conn.execute("SELECT COUNT(*) FROM versions WHERE igsn = ?", (name,)).fetchone()[0],
        latest.document if latest is not None else None,
        sorted(str(t) for t in reg.graph_of(name)),
        conn.execute("SELECT COUNT(*) FROM versions").fetchone()[0],
    )


def assert_surface_form(op: Op, r: httpx.Response) -> None:
    """Errors in the surface's own form: MDS one line of plain text, JSON API problem+json."""
    if r.status_code < 400:
        return
    if op.surface == "mds":
        assert r.headers["content-type"].startswith("text/plain"), r.headers
        assert "\n" not in r.text.strip()
    else:
        assert r.headers["content-type"] == "application/problem+json", r.headers
        assert r.json()["status"] == r.status_code
    if r.status_code == 401:
        assert r.headers["www-authenticate"].startswith("Basic "), r.headers


def run_cell(app: TestClient, cell: Cell, *, test_mode: bool = False) -> None:
    op = OP[cell.op]
    sit = situation(op, cell.actor, cell.owner, cell.state)
    name = cell.name
    before = snapshot(app, name) if op.writes else None  # reads are GETs: nothing to compare
    r = op.call(app, written(cell.owner, name), name, ACTORS[cell.actor], "?testMode=true" if test_mode else "")
    after = snapshot(app, name) if op.writes else None
    want = expected_status(op, sit, test_mode)
    assert r.status_code == want, (cell.id, sit, r.status_code, r.text[:300])
    assert_surface_form(op, r)
    if op.surface == "bulk" and r.status_code == 200:
        body = r.json()
        [result] = body["results"]
        assert result["status"] == BULK[sit], body
        assert body["testMode"] is test_mode
        assert body["counts"]["stored"] == (1 if sit in CHANGING and not test_mode else 0), body
    if test_mode and r.status_code < 300:
        if op.surface == "mds":
            assert r.text.endswith("(only test mode!)"), r.text
        else:
            assert r.json()["testMode"] is True, r.text
    if sit in CHANGING and not test_mode:
        assert after != before, f"{cell.id}: an allowed write changed nothing"
        row_before, row_after = before[0], after[0]
        assert row_after is not None
        assert row_before is None or row_after.version == row_before.version + 1  # type: ignore[attr-defined]
        if sit == "deleted":
            assert not row_after.active  # type: ignore[attr-defined]
    else:
        assert after == before, f"{cell.id}: the store changed on a {sit!r} answer"
    if not (cell.actor not in UNAUTHENTICATED and may_act(cell.actor, cell.owner)):
        # nothing non-public leaks to anyone but the owner, whatever the answer
        assert SECRET not in r.text and VANISHED not in r.text, (cell.id, r.text[:300])


def _param(cell: Cell) -> object:
    return pytest.param(cell, id=cell.id)


@pytest.mark.parametrize("cell", [_param(c) for c in CELLS])
def test_matrix(app: TestClient, cell: Cell) -> None:
    run_cell(app, cell)


def test_the_matrix_covers_every_actor_operation_and_owner() -> None:
    seen = {(c.actor, c.op, c.owner) for c in CELLS}
    for op in OPS:
        for actor in ACTORS:
            owners = {o for a, n, o in seen if a == actor and n == op.name}
            if actor not in UNAUTHENTICATED[1:]:
                assert owners == set(OWNERS), (actor, op.name)
        # every operation meets a failed login; every kind of failed login meets both error forms
        assert any(a in UNAUTHENTICATED[1:] for a, n, _ in seen if n == op.name), op.name
    for actor in UNAUTHENTICATED[1:]:
        assert {OP[n].surface for a, n, _ in seen if a == actor} >= {"mds", "json"}, actor
    situations = {situation(OP[c.op], c.actor, c.owner, c.state) for c in CELLS}
    assert situations >= {
        "unauthenticated",
        "foreign",
        "foreign-namespace",
        "unknown",
        "gone",
        "hidden",
        "exists",
        "created",
        "written",
        "read",
        "deleted",
        "unchanged",
    }
    # every allowed (actor, owner) pair writes through every write and delete operation, and changes the store
    for actor in ACTORS:
        for owner in OWNERS:
            if actor in UNAUTHENTICATED or not may_act(actor, owner):
                continue
            for op in OPS:
                if op.kind in ("write", "delete"):
                    assert any(c.own_target for c in CELLS if (c.actor, c.op, c.owner) == (actor, op.name, owner)), (
                        actor,
                        op.name,
                        owner,
                    )
    assert {c.op for c in CELLS if c.own_target} == {op.name for op in OPS if op.writes}


# -- conditional writes: ownership before the precondition ----------------------------------------------
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_a_stale_if_match_of_another_party_is_refused_as_foreign(app: TestClient, method: str) -> None:
    before = snapshot(app, "ZTA0002")
    r = app.request(
        method,
        f"{API}/ZTA0002",
        content=_body("ZTA0002") if method == "PUT" else None,
        headers={**XML, "If-Match": '"999"'},
        auth=ACTORS["client-two"],
    )
    assert snapshot(app, "ZTA0002") == before
    assert r.status_code == 403, (r.status_code, r.text)


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_the_owners_stale_if_match_is_412_and_changes_nothing(app: TestClient, method: str) -> None:
    before = snapshot(app, "ZTA0002")
    r = app.request(
        method,
        f"{API}/ZTA0002",
        content=_body("ZTA0002") if method == "PUT" else None,
        headers={**XML, "If-Match": '"999"'},
        auth=ACTORS["client-one"],
    )
    assert r.status_code == 412 and r.headers["content-type"] == "application/problem+json", r.text
    assert snapshot(app, "ZTA0002") == before


# -- test mode never persists, on every path -----------------------------------------------------------
WRITE_OPS = [op.name for op in OPS if op.writes]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("op", WRITE_OPS)
def test_test_mode_never_persists(app: TestClient, op: str, state: str) -> None:
    """The owner's writes with ?testMode=true: a success saying test mode, nothing stored."""
    run_cell(app, Cell("client-one", op, "ONE", state), test_mode=True)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("op", WRITE_OPS)
def test_test_mode_does_not_lift_refusals(app: TestClient, op: str, state: str) -> None:
    """Another party's writes with ?testMode=true are refused exactly as without it."""
    run_cell(app, Cell("client-two", op, "ONE", state), test_mode=True)


# -- DOI-prefix forms on /doi --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "actor,method,path,body,status,name",
    [
        # ZTEST's prefix names ZTEST's samples; another agent may neither mint under it nor read through it
        ("other-agent", "POST", "/doi", "doi=10.99990/ZO0099\nurl=https://example.org/x", 400, "ZO0099"),
        ("other-agent", "PUT", "/doi/10.99990/ZO0099", "doi=10.99990/ZO0099\nurl=https://example.org/x", 400, "ZO0099"),
        ("other-agent", "GET", "/doi/10.99990/ZTA0001", None, 403, "ZTA0001"),
        ("other-agent", "GET", "/doi/10.99990/ZO0001", None, 400, "ZO0001"),
        ("client-two", "GET", "/doi/10.99990/ZTA0001", None, 403, "ZTA0001"),
        (
            "client-two",
            "PUT",
            "/doi/10.99990/ZTA0001",
            "doi=10.99990/ZTA0001\nurl=https://example.org/x",
            403,
            "ZTA0001",
        ),
        ("client-one", "GET", "/doi/10.99990/ZTA0001", None, 200, "ZTA0001"),
        ("agent", "GET", "/doi/10.99990/ZTB0001", None, 200, "ZTB0001"),
        ("client-one", "POST", "/doi?testMode=true", "doi=10.99990/ZTA0099\nurl=https://example.org/x", 201, "ZTA0099"),
    ],
)
def test_doi_prefixes(
    app: TestClient, actor: str, method: str, path: str, body: str | None, status: int, name: str
) -> None:
    before = snapshot(app, name)
    r = app.request(method, path, content=body.encode() if body else None, headers=TEXT, auth=ACTORS[actor])
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("text/plain")
    assert snapshot(app, name) == before


# -- SPARQL Update: refused for everyone, the store unchanged ---------------------------------------------
UPDATE = 'INSERT DATA { GRAPH <https://igsn.org/graph/ZTA0001> { <https://igsn.org/ZTA0001> <http://purl.org/dc/terms/title> "owned" } }'
DROP = "DROP GRAPH <https://igsn.org/graph/ZTA0001>"
UPDATE_FORMS: dict[str, Callable[[TestClient, Auth], httpx.Response]] = {
    "form-update": lambda c, a: c.post("/sparql", data={"update": UPDATE}, auth=a),
    "form-drop": lambda c, a: c.post("/sparql", data={"update": DROP}, auth=a),
    "sparql-update-body": lambda c, a: c.post(
        "/sparql", content=UPDATE.encode(), headers={"Content-Type": "application/sparql-update"}, auth=a
    ),
    "get-update": lambda c, a: c.get("/sparql", params={"update": DROP}, auth=a),
    "update-as-query-body": lambda c, a: c.post(
        "/sparql", content=UPDATE.encode(), headers={"Content-Type": "application/sparql-query"}, auth=a
    ),
    "update-as-get-query": lambda c, a: c.get("/sparql", params={"query": DROP}, auth=a),
    "update-as-form-query": lambda c, a: c.post("/sparql", data={"query": UPDATE}, auth=a),
}


def _store_state(client: TestClient) -> tuple[int, list[str]]:
    reg = registry_of(client)
    return len(reg.store.raw), sorted(str(t) for t in reg.graph_of("ZTA0001"))


@pytest.mark.parametrize("form", list(UPDATE_FORMS))
@pytest.mark.parametrize("actor", [a for a in ACTORS if a not in UNAUTHENTICATED[1:]] + ["wrong-password"])
def test_sparql_update_is_refused_for_everyone(app: TestClient, actor: str, form: str) -> None:
    before = _store_state(app)
    r = UPDATE_FORMS[form](app, ACTORS[actor])
    assert r.status_code in (400, 403), (r.status_code, r.text)
    assert r.status_code == 403 or "update" in r.text.lower(), r.text
    assert _store_state(app) == before


# -- the admin API: the administrator only ----------------------------------------------------------------
ADMIN_OPS: dict[str, tuple[str, str, object, int]] = {
    # name: (method, path, JSON body, the administrator's status)
    "list-agents": ("GET", "/api/v1/admin/agents", None, 200),
    "read-client": ("GET", "/api/v1/admin/clients/ZTEST.ONE", None, 200),
    "add-agent": (
        "POST",
        "/api/v1/admin/agents",
        {"symbol": "ZQNEW", "name": "New", "password": "new-secret-9", "namespaces": ["ZQN"]},
        201,
    ),
    "change-agent": ("PATCH", "/api/v1/admin/agents/ZSCR", {"name": "Renamed scratch"}, 200),
    "set-quota": ("PUT", "/api/v1/admin/quotas/ZSCR", {"quota": 7}, 200),
    "add-namespace": ("POST", "/api/v1/admin/namespaces", {"value": "ZSX", "owner": "ZSCR"}, 201),
    "disable-agent": ("DELETE", "/api/v1/admin/agents/ZSCRB", None, 200),
    "change-password": ("PATCH", "/api/v1/admin/clients/ZTEST.ONE", {"password": "stolen-password"}, None),
}


def _accounts(client: TestClient) -> tuple[object, ...]:
    acc = registry_of(client).accounts
    return (acc.agents(), acc.clients(), sorted(acc.namespace_table().items()), sorted(acc.doi_prefix_table().items()))


def _admin_cells() -> list[object]:
    out = []
    for actor in ACTORS:
        for op in ADMIN_OPS:
            if actor == "admin" and ADMIN_OPS[op][3] is None:
                continue  # would lock client ONE out of the rest of the module
            if actor in UNAUTHENTICATED[1:] and op not in ("list-agents", "add-agent", "change-password"):
                continue  # a failed login costs a full scrypt: three operations suffice
            out.append(pytest.param(actor, op, id=f"{actor}-{op}"))
    # the administrator's cells last: each change drops every cached login
    return sorted(out, key=lambda p: p.values[0] == "admin")  # type: ignore[attr-defined]


@pytest.mark.parametrize("actor,op", _admin_cells())
def test_admin_api_is_the_administrators_alone(app: TestClient, actor: str, op: str) -> None:
    method, path, body, admin_status = ADMIN_OPS[op]
    before = _accounts(app)
    r = app.request(method, path, json=body, auth=ACTORS[actor])
    if actor in UNAUTHENTICATED:
        want = 401
    elif actor != "admin":
        want = 403
    else:
        want = admin_status
    assert r.status_code == want, (r.status_code, r.text)
    if want >= 400:
        assert r.headers["content-type"] == "application/problem+json"
        assert _accounts(app) == before
    if want == 401:
        assert r.headers["www-authenticate"].startswith("Basic ")
    if actor == "admin" and method != "GET":
        assert _accounts(app) != before


# -- non-public data through the read surfaces ---------------------------------------------------------------
PRIVATE = ["ZTA0002", "ZTB0002", "ZT0002", "ZO0002"]
INACTIVE = ["ZTA0003", "ZTB0003", "ZT0003", "ZO0003"]
RESOLVER_TYPES = [
    "text/turtle",
    "application/ld+json",
    "application/n-triples",
    "application/rdf+xml",
    "application/xml",
    "application/vnd.datacite.datacite+xml",
    "application/vnd.citationstyles.csl+json",
    "application/x-bibtex",
    "text/html",
]


@pytest.mark.parametrize("accept", RESOLVER_TYPES)
@pytest.mark.parametrize("name", PRIVATE)
def test_resolver_never_shows_a_private_description(app: TestClient, name: str, accept: str) -> None:
    for auth in (None, ACTORS["other-agent"]):
        r = app.get(f"/{name}", headers={"Accept": accept}, auth=auth, follow_redirects=False)
        assert r.status_code in (200, 303, 406), (r.status_code, r.text[:200])
        assert SECRET not in r.text, (accept, r.text[:500])
    landing = app.get(f"/{name}?_profile=landing", headers={"Accept": "text/html"})
    assert landing.status_code == 200 and SECRET not in landing.text


@pytest.mark.parametrize("name", INACTIVE)
def test_resolver_withdraws_an_inactive_description(app: TestClient, name: str) -> None:
    for accept in ("text/turtle", "application/ld+json", "text/html"):
        r = app.get(f"/{name}", headers={"Accept": accept})
        assert r.status_code == 410 and VANISHED not in r.text, (accept, r.status_code)


def test_sparql_select_does_not_find_private_descriptions(app: TestClient) -> None:
    query = f'SELECT ?g ?s ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o FILTER(CONTAINS(STR(?o), "{SECRET}")) }} }}'
    r = app.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200
    assert r.json()["results"]["bindings"] == []
    # the facts of the private samples are public (they exist, who owns them), the description is not
    ask = 'ASK { ?s <https://w3id.org/igsn-graph/ontology#igsn> "ZTA0002" }'
    assert (
        app.get("/sparql", params={"query": ask}, headers={"Accept": "application/sparql-results+json"}).json()[
            "boolean"
        ]
        is True
    )
    # the union default graph too
    union = f'SELECT ?o WHERE {{ ?s ?p ?o FILTER(CONTAINS(STR(?o), "{SECRET}")) }}'
    assert (
        app.get("/sparql", params={"query": union}, headers={"Accept": "application/sparql-results+json"}).json()[
            "results"
        ]["bindings"]
        == []
    )


def test_sparql_select_does_not_find_inactive_descriptions(app: TestClient) -> None:
    query = f'SELECT ?o WHERE {{ ?s ?p ?o FILTER(CONTAINS(STR(?o), "{VANISHED}")) }}'
    r = app.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200
    assert r.json()["results"]["bindings"] == []


OAI = "{http://www.openarchives.org/OAI/2.0/}"


@pytest.mark.parametrize("prefix", ["oai_dc", "igsn", "igsn_desc", "datacite"])
@pytest.mark.parametrize("name", PRIVATE + INACTIVE)
def test_oai_shows_private_and_inactive_samples_as_deleted(app: TestClient, name: str, prefix: str) -> None:
    r = app.get(
        "/oai", params={"verb": "GetRecord", "metadataPrefix": prefix, "identifier": f"oai:test.igsn-graph.org:{name}"}
    )
    assert r.status_code == 200
    root = etree.fromstring(r.content)
    [record] = root.iter(f"{OAI}record")
    assert record.find(f"{OAI}header").get("status") == "deleted"
    assert record.find(f"{OAI}metadata") is None
    assert SECRET.encode() not in r.content and VANISHED.encode() not in r.content


def test_oai_lists_no_private_or_inactive_description(app: TestClient) -> None:
    r = app.get("/oai", params={"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "ZTEST"})
    assert r.status_code == 200
    assert SECRET.encode() not in r.content and VANISHED.encode() not in r.content
    root = etree.fromstring(r.content)
    assert root.find(f"{OAI}ListRecords") is not None  # the public samples are listed


@pytest.mark.parametrize(
    "params",
    [
        {"q": SECRET},
        {"q": VANISHED},
        {"q": "ZTA0002"},
        {"q": "ZTA0003"},
        {"q": "Hidden"},
        {"q": "Withdrawn"},
        {"agent": "ZTEST", "limit": "200"},
    ],
)
def test_search_lists_no_private_or_inactive_sample(app: TestClient, params: dict[str, str]) -> None:
    r = app.get("/api/v1/search", params=params)
    assert r.status_code == 200, r.text
    names = {item["igsn"] for item in r.json()["items"]}
    assert not names & set(PRIVATE + INACTIVE + ["ZTA0102", "ZTA0103"]), names
    found = json.dumps([r.json()["items"], r.json()["facets"]])  # the links echo the query itself
    assert SECRET not in found and VANISHED not in found
    page = app.get("/search", params=params)
    assert page.status_code == 200
    assert not {n for n in PRIVATE + INACTIVE if f"/{n}" in page.text}, page.text
    if params.get("agent"):
        assert "ZTA0001" in names  # the filter does list the public ones


def test_relations_hide_private_and_inactive_samples(app: TestClient) -> None:
    for path, status in [
        ("ZTA0102/related", 404),
        ("ZTA0102/ancestors", 404),
        ("ZTA0102/descendants", 404),
        ("ZTA0103/related", 410),
        ("ZTA0103/ancestors", 410),
    ]:
        r = app.get(f"{API}/{path}")
        assert r.status_code == status and r.headers["content-type"] == "application/problem+json", (path, r.text)
    for path in ("ZTA0101/descendants", "ZTA0101/related"):
        r = app.get(f"{API}/{path}")
        assert r.status_code == 200, r.text
        assert "ZTA0102" not in r.text and "ZTA0103" not in r.text, r.text
    r = app.get("/api/v1/agents/https%3A%2F%2Fror.org%2F00test000/samples")
    assert r.status_code == 200
    assert not {i["igsn"] for i in r.json()["items"]} & set(PRIVATE + INACTIVE)


def test_listings_of_the_mds_show_each_caller_its_own(app: TestClient) -> None:
    """GET /igsn and GET /doi list the caller's IGSNs only (the agent: its clients' too)."""
    for actor, owners in [
        ("client-one", {"ONE"}),
        ("client-two", {"TWO"}),
        ("other-agent", {"OTHER"}),
        ("agent", {"ONE", "TWO", "AGENT"}),
    ]:
        for path in ("/igsn", "/doi"):
            r = app.get(path, auth=ACTORS[actor])
            assert r.status_code == 200, r.text
            names = {line.rsplit("/", 1)[-1] for line in r.text.splitlines()}
            owners_seen = {o for o in OWNERS if any(PREFIX[o] + CANONICAL_NUMBER["public"] == n for n in names)}
            assert owners_seen == owners, (actor, path, owners_seen)
    for actor in ("anonymous", "disabled-client"):
        assert app.get("/igsn", auth=ACTORS[actor]).status_code == 401
