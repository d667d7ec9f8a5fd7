"""Tenant isolation of transfers, as a matrix (actor × what moves × from whom × to whom), and what the old and the
new owner's credentials may do afterwards on every write surface.

Who may transfer: an agent among its own accounts, the administrator between any; clients and other parties never.
Names move only into a namespace the receiver owns (here none: each owner's names lie in its own namespace), a
namespace moves with everything in it. A refused cell changes nothing (the sample's row and versions, the
namespace table); an allowed one moves the samples, and is undone by the administrator before the next cell.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from igsn_graph.loader import read_document
from igsn_graph.registry.accounts import ADMIN as ADMIN_PRINCIPAL
from igsn_graph.registry.service import Registry
from tests.conftest import CLIENT_ONE, CLIENT_TWO, fresh_settings
from tests.reliability.test_isolation import (
    ACTORS,
    BULK,
    JSON,
    MDS,
    OPS,
    OWNERS,
    PREFIX,
    UNAUTHENTICATED,
    Op,
    description_of,
    registry_of,
    written,
)

ADMIN = ACTORS["admin"]
#: the account symbol of each owner, as a transfer names its receiver
SYMBOL = {"ONE": "ZTEST.ONE", "TWO": "ZTEST.TWO", "AGENT": "ZTEST", "OTHER": "ZOTHER"}
#: the namespace of each owner, as written
NAMESPACE = {"ONE": "ZTA", "TWO": "10273/ZTB", "AGENT": "ZT", "OTHER": "ZO"}
KINDS = ("names", "namespace")


def transfer_status(actor: str, kind: str, source: str, receiver: str) -> int:
    """The rule table: login, then who may give to whom, then the namespace rule."""
    if actor in UNAUTHENTICATED:
        return 401
    if actor in ("client-one", "client-two"):
        return 403  # clients never transfer
    own = {"agent": "ZTEST", "other-agent": "ZOTHER"}.get(actor)
    if own is not None and (OWNERS[receiver][0] != own or OWNERS[source][0] != own):
        return 403  # an agent keeps its samples among its own accounts
    if source == receiver:
        return 200  # nothing to move
    return 200 if kind == "namespace" else 403  # the receiver owns no namespace the names lie in


@dataclass(frozen=True)
class Cell:
    actor: str
    kind: str
    source: str
    receiver: str

    @property
    def id(self) -> str:
        return f"{self.actor}-{self.kind}-{self.source}-to-{self.receiver}"


def _cells() -> list[Cell]:
    failing = UNAUTHENTICATED[1:]  # a failed login costs a full scrypt: one cell each
    cells = [Cell(a, "namespace", "ONE", "TWO") for a in failing]
    cells += [
        Cell(actor, kind, source, receiver)
        for actor in ACTORS
        if actor not in failing
        for kind in KINDS
        for source in OWNERS
        for receiver in OWNERS
    ]
    return cells


CELLS = _cells()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = fresh_settings(tmp_path_factory.mktemp("isolation-transfers"), login_failures_burst=0)
    with Registry(settings) as reg:
        reg.update_client(CLIENT_TWO[0], quota=-1)  # quotas are test_transfer.py's subject
        reg.add_client("ZTEST.OFF", name="Disabled client", password="off-secret-1", namespaces=["ZTC"])
        reg.update_client("ZTEST.OFF", active=False)
        targets = [(PREFIX[o] + n, s) for o in OWNERS for n, s in (("0001", "public"), ("0002", "private"))]
        targets += [(f"ZTA02{i:02d}", "public") for i in range(len(OPS))]  # for the surface test
        subs = [read_document(description_of(name, state), None)[0] for name, state in targets]
        outcomes = [o for batch in reg.load_records(subs, principal=ADMIN_PRINCIPAL) for o in batch]
        assert all(o.ok for o in outcomes), [o.reasons for o in outcomes if not o.ok]
    with TestClient(create_app(settings)) as client:
        yield client


def holder(app: TestClient, name: str) -> tuple[str, str | None]:
    row = registry_of(app).row(name)
    assert row is not None
    return row.agent, row.client


def snapshot(app: TestClient, source: str) -> tuple[object, ...]:
    reg = registry_of(app)
    conn = reg.db.read()
    names = [PREFIX[source] + "0001", PREFIX[source] + "0002"]
    return (
        [reg.row(n) for n in names],
        conn.execute("SELECT COUNT(*) FROM versions").fetchone()[0],
        reg.accounts.namespace_table(),
    )


def post(app: TestClient, cell: Cell) -> httpx.Response:
    body: dict[str, object] = {"to": SYMBOL[cell.receiver]}
    if cell.kind == "names":
        body["names"] = [written(cell.source, PREFIX[cell.source] + n) for n in ("0001", "0002")]
    else:
        body["namespace"] = NAMESPACE[cell.source]
    return app.post("/api/v1/transfers", json=body, auth=ACTORS[cell.actor])


@pytest.mark.parametrize("cell", [pytest.param(c, id=c.id) for c in CELLS])
def test_matrix(app: TestClient, cell: Cell) -> None:
    want = transfer_status(cell.actor, cell.kind, cell.source, cell.receiver)
    before = snapshot(app, cell.source)
    r = post(app, cell)
    assert r.status_code == want, (cell.id, r.status_code, r.text[:300])
    if r.status_code >= 400:
        assert r.headers["content-type"] == "application/problem+json"
        assert "SECRETWORD" not in r.text
        assert snapshot(app, cell.source) == before, f"{cell.id}: a refused transfer changed something"
        return
    moved = r.json()["moved"]
    if cell.source == cell.receiver:
        assert moved == [] and snapshot(app, cell.source) == before
        return
    names = [PREFIX[cell.source] + "0001", PREFIX[cell.source] + "0002"]
    assert set(names) <= set(moved) and (cell.kind == "namespace" or moved == names)
    assert all(holder(app, n) == OWNERS[cell.receiver] for n in names)
    # undone by the administrator, for the next cell
    back = {"to": SYMBOL[cell.source], "namespace": NAMESPACE[cell.source]}
    assert app.post("/api/v1/admin/transfers", json=back, auth=ADMIN).status_code == 200
    assert all(holder(app, n) == OWNERS[cell.source] for n in names)
    assert registry_of(app).accounts.namespace_table() == before[2]


@pytest.mark.parametrize("actor", [a for a in ACTORS if a != "admin" and a not in UNAUTHENTICATED[1:]])
def test_the_admin_door_is_the_administrators_alone(app: TestClient, actor: str) -> None:
    before = snapshot(app, "ONE")
    body = {"to": SYMBOL["OTHER"], "namespace": "ZTA"}
    r = app.post("/api/v1/admin/transfers", json=body, auth=ACTORS[actor])
    assert r.status_code == (401 if actor == "anonymous" else 403)
    assert snapshot(app, "ONE") == before


def _answer(op: Op, r: httpx.Response) -> object:
    if op.surface == "bulk":
        return r.json()["results"][0]["status"] if r.status_code == 200 else r.status_code
    return r.status_code


def test_after_a_transfer_the_old_owners_credentials_write_nothing(app: TestClient) -> None:
    """Client ONE's samples moved to client TWO (with the namespace): on every write surface ONE is refused as
    for another party's sample, TWO writes; then they move back."""
    ops = [op for op in OPS if op.kind in ("write", "delete")]
    names = {op.name: f"ZTA02{i:02d}" for i, op in enumerate(OPS)}
    r = app.post("/api/v1/transfers", json={"to": CLIENT_TWO[0], "namespace": "ZTA"}, auth=ACTORS["agent"])
    assert r.status_code == 200, r.text
    try:
        for op in ops:
            name = names[op.name]
            before = registry_of(app).row(name)
            refused = op.call(app, name, name, CLIENT_ONE, "")
            table = {"mds": MDS, "json": JSON, "bulk": BULK}[op.surface]
            assert _answer(op, refused) == table["foreign"], (op.name, refused.text[:300])
            assert registry_of(app).row(name) == before, op.name  # nothing changed
            done = op.call(app, name, name, CLIENT_TWO, "")
            wanted = table["deleted"] if op.kind == "delete" else table["written"]
            assert _answer(op, done) == wanted, (op.name, done.text[:300])
    finally:
        back = {"to": CLIENT_ONE[0], "namespace": "ZTA"}
        assert app.post("/api/v1/transfers", json=back, auth=ACTORS["agent"]).status_code == 200
