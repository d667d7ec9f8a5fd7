"""registry.transfer: samples move between one agent's clients and between agents, all or nothing, with the
namespace rule, the quota, a ``transferred`` version in each sample's history and ``verify`` clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from igsn_graph.cli import main
from igsn_graph.errors import (
    Conflict,
    ForeignSample,
    InvalidInput,
    NamespaceNotAllowed,
    NotAllowed,
    NotFound,
    QuotaExceeded,
)
from igsn_graph.index.rebuild import verify
from igsn_graph.registry import lifecycle
from igsn_graph.registry.accounts import ADMIN, Principal
from igsn_graph.registry.service import Registry
from igsn_graph.registry.transfer import transfer
from igsn_graph.store import history
from igsn_graph.vocab import IG
from tests.conftest import AGENT, CLIENT_ONE, CLIENT_TWO, OTHER, fresh_settings
from tests.registry.test_service import registration_xml, submit

pytestmark = pytest.mark.both_stores

ONE = Principal("client", CLIENT_ONE[0], AGENT[0])
TWO = Principal("client", CLIENT_TWO[0], AGENT[0])
AGENT_P = Principal("agent", AGENT[0], AGENT[0])
OTHER_P = Principal("agent", OTHER[0], OTHER[0])


def owner(registry: Registry, name: str) -> tuple[str, str | None, str]:
    row = registry.row(name)
    assert row is not None
    return row.agent, row.client, row.namespace


def ok(registry: Registry) -> None:
    report = verify(registry.db, registry.store, registry.iris)
    assert report.ok, report.problems


def test_an_agent_moves_a_namespace_between_its_clients(registry: Registry) -> None:
    for name in ("ZTA0001", "ZTA0002"):
        submit(registry, ONE, registration_xml(name))
    registry.mint(ONE, "ZTA0003", "https://example.org/3")
    lifecycle.reserve_names(registry, ONE, [registry.parse("ZTA0004")])
    registry.update_client(CLIENT_TWO[0], quota=-1)
    before = {n: registry.row(n) for n in ("ZTA0001", "ZTA0002", "ZTA0003")}
    done = transfer(registry, AGENT_P, CLIENT_TWO[0], namespace="ZTA")
    assert done.moved == ["ZTA0001", "ZTA0002", "ZTA0003"] and done.drafts == ["ZTA0004"]
    assert done.namespace == "ZTA" and done.to == CLIENT_TWO[0]
    for name, old in before.items():
        assert owner(registry, name) == (AGENT[0], CLIENT_TWO[0], "ZTA")
        row = registry.row(name)
        assert row is not None and old is not None
        assert row.version == old.version + 1 and row.datestamp >= old.datestamp  # a new version for harvesters
        assert history.versions_of(registry.db.read(), name)[-1].event == "transferred"
    draft = lifecycle.get(registry.db.read(), "ZTA0004")
    assert draft is not None and draft.client == CLIENT_TWO[0]
    assert registry.accounts.namespace_table()["ZTA"] == (AGENT[0], CLIENT_TWO[0])
    # the old owner's credentials no longer write them, the new owner's do
    with pytest.raises(ForeignSample):
        registry.mint(ONE, "ZTA0001", "https://example.org/x")
    with pytest.raises(NamespaceNotAllowed):
        registry.mint(ONE, "ZTA0009", "https://example.org/x")
    registry.mint(TWO, "ZTA0001", "https://example.org/new")
    registry.mint(TWO, "ZTA0009", "https://example.org/9")
    # the description is kept: the record reads back as before
    record = registry.record("ZTA0002")
    assert record is not None and record.registrant is not None and record.registrant.name == "Jane Doe"
    ok(registry)


def test_each_sample_records_a_prov_activity_by_who_moved_it(registry: Registry) -> None:
    submit(registry, ONE, registration_xml("ZTA0011"))
    transfer(registry, ADMIN, OTHER[0], namespace="ZTA")
    activities = registry.store.graph(registry.iris.provenance_graph("ZTA0011"))
    changes = {str(t.object.value) for t in activities if t.predicate == IG.changeType}
    assert changes == {"metadata-registered", "transferred"}
    moved = {t.predicate: t.object for t in activities if t.predicate in (IG.transferredFrom, IG.transferredTo)}
    assert moved == {
        IG.transferredFrom: registry.iris.client(CLIENT_ONE[0]),
        IG.transferredTo: registry.iris.agent(OTHER[0]),
    }
    facts = registry.facts("ZTA0011")
    assert facts is not None and (facts.agent, facts.client) == (OTHER[0], None)
    # between agents the namespace becomes the receiver's own
    assert registry.accounts.namespace_table()["ZTA"] == (OTHER[0], None)
    assert "ZTA" in registry.accounts.agent(OTHER[0]).namespaces
    assert "ZTA" not in registry.accounts.client(CLIENT_ONE[0]).namespaces
    ok(registry)


def test_names_move_only_into_a_namespace_the_receiver_owns(registry: Registry) -> None:
    submit(registry, ONE, registration_xml("ZTA0021"))
    with pytest.raises(NamespaceNotAllowed, match="must own it"):
        transfer(registry, ADMIN, OTHER[0], names=["ZTA0021"])
    assert owner(registry, "ZTA0021") == (AGENT[0], CLIENT_ONE[0], "ZTA")
    # a narrower namespace of the receiver covers the name: it moves into it
    registry.add_namespace("ZTA002", OTHER[0])
    done = transfer(registry, ADMIN, OTHER[0], names=["10273/zta0021"])
    assert done.moved == ["ZTA0021"] and done.namespace is None
    assert owner(registry, "ZTA0021") == (OTHER[0], None, "ZTA002")
    # moving it to where it is changes nothing
    again = transfer(registry, ADMIN, OTHER[0], names=["ZTA0021"])
    assert again.moved == [] and again.unchanged == ["ZTA0021"]
    assert registry.row("ZTA0021").version == 2  # type: ignore[union-attr]
    ok(registry)


def test_all_or_nothing(registry: Registry) -> None:
    submit(registry, ONE, registration_xml("ZTA0031"))
    registry.mint(OTHER_P, "ZO0001", "https://example.org/o")
    registry.add_namespace("ZTA003", CLIENT_TWO[0])
    # one of the list the receiver may not hold: nothing moves
    with pytest.raises(NamespaceNotAllowed):
        transfer(registry, ADMIN, CLIENT_TWO[0], names=["ZTA0031", "ZO0001"])
    assert owner(registry, "ZTA0031") == (AGENT[0], CLIENT_ONE[0], "ZTA")
    # one of the list the agent does not hold: nothing moves
    with pytest.raises(ForeignSample):
        transfer(registry, AGENT_P, CLIENT_TWO[0], names=["ZTA0031", "ZO0001"])
    with pytest.raises(NotFound):
        transfer(registry, AGENT_P, CLIENT_TWO[0], names=["ZTA0031", "ZTA0039"])
    assert owner(registry, "ZTA0031") == (AGENT[0], CLIENT_ONE[0], "ZTA")
    assert registry.row("ZTA0031").version == 1  # type: ignore[union-attr]
    ok(registry)


def test_who_may_transfer_what(registry: Registry) -> None:
    submit(registry, ONE, registration_xml("ZTA0041"))
    with pytest.raises(NotAllowed, match="a client cannot transfer"):
        transfer(registry, ONE, CLIENT_TWO[0], namespace="ZTA")
    with pytest.raises(NotAllowed, match="its own clients"):
        transfer(registry, AGENT_P, OTHER[0], namespace="ZTA")
    with pytest.raises(ForeignSample):
        transfer(registry, OTHER_P, OTHER[0], namespace="ZTA")
    with pytest.raises(NotFound):
        transfer(registry, ADMIN, "NOBODY", namespace="ZTA")
    with pytest.raises(NotFound, match="namespace"):
        transfer(registry, ADMIN, OTHER[0], namespace="ZQQ")
    with pytest.raises(InvalidInput, match="not both"):
        transfer(registry, ADMIN, OTHER[0], names=["ZTA0041"], namespace="ZTA")
    with pytest.raises(InvalidInput, match="twice"):
        transfer(registry, ADMIN, OTHER[0], names=["ZTA0041", "zta0041"])
    registry.update_agent(OTHER[0], active=False)
    with pytest.raises(Conflict, match="disabled"):
        transfer(registry, ADMIN, OTHER[0], namespace="ZTA")
    assert owner(registry, "ZTA0041") == (AGENT[0], CLIENT_ONE[0], "ZTA")


def test_the_receivers_quota_holds(registry: Registry) -> None:
    for name in ("ZTA0051", "ZTA0052", "ZTA0053"):
        registry.mint(ONE, name, f"https://example.org/{name}")
    with pytest.raises(QuotaExceeded):  # client TWO may hold 2
        transfer(registry, AGENT_P, CLIENT_TWO[0], namespace="ZTA")
    assert owner(registry, "ZTA0051")[1] == CLIENT_ONE[0]
    assert registry.accounts.namespace_table()["ZTA"] == (AGENT[0], CLIENT_ONE[0])
    registry.update_client(CLIENT_TWO[0], quota=3)
    assert transfer(registry, AGENT_P, CLIENT_TWO[0], namespace="ZTA").moved == ["ZTA0051", "ZTA0052", "ZTA0053"]


def test_private_and_inactive_samples_keep_their_state(registry: Registry) -> None:
    submit(registry, ONE, registration_xml("ZTA0061"))
    submit(registry, ONE, registration_xml("ZTA0062"))
    registry.deactivate(ONE, "ZTA0062")
    transfer(registry, ADMIN, OTHER[0], namespace="ZTA")
    facts = registry.facts("ZTA0062")
    assert facts is not None and not facts.active and facts.agent == OTHER[0]
    row = registry.row("ZTA0062")
    assert row is not None and row.deleted
    assert registry.record("ZTA0062") is not None  # its description stays in the history for its new owner
    ok(registry)


def test_a_transfer_left_in_the_journal_is_completed_with_its_namespace(registry: Registry) -> None:
    """The journal's last step refused: the entry stays, and the next write completes samples and namespace."""
    submit(registry, ONE, registration_xml("ZTA0071"))
    lifecycle.reserve_names(registry, ONE, [registry.parse("ZTA0072")])
    finish = registry.journal._finish

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    registry.journal._finish = broken  # type: ignore[method-assign]
    with pytest.raises(OSError):
        transfer(registry, ADMIN, OTHER[0], namespace="ZTA")
    registry.journal._finish = finish  # type: ignore[method-assign]
    assert registry.journal.pending() == 1
    registry.mint(OTHER_P, "ZO0002", "https://example.org/o2")  # any write completes it first
    assert owner(registry, "ZTA0071") == (OTHER[0], None, "ZTA")
    assert registry.accounts.namespace_table()["ZTA"] == (OTHER[0], None)
    draft = lifecycle.get(registry.db.read(), "ZTA0072")
    assert draft is not None and draft.agent == OTHER[0] and draft.client is None
    ok(registry)


def test_a_namespace_of_drafts_only_moves_too(registry: Registry) -> None:
    lifecycle.reserve_names(registry, ONE, [registry.parse("ZTA0081")])
    done = transfer(registry, AGENT_P, CLIENT_TWO[0], namespace="ZTA")
    assert done.moved == [] and done.drafts == ["ZTA0081"] and done.datestamp is None
    assert registry.accounts.namespace_table()["ZTA"] == (AGENT[0], CLIENT_TWO[0])
    with pytest.raises(ForeignSample):
        lifecycle.discard(registry, ONE, "ZTA0081")
    lifecycle.discard(registry, TWO, "ZTA0081")


def test_named_drafts_move_with_named_samples(registry: Registry) -> None:
    submit(registry, ONE, registration_xml("ZTA0091"))
    lifecycle.reserve_names(registry, ONE, [registry.parse("ZTA0092")])
    registry.add_namespace("ZTA009", CLIENT_TWO[0])  # a narrower namespace of the receiver covers both
    done = transfer(registry, AGENT_P, CLIENT_TWO[0], names=["ZTA0091", "ZTA0092"])
    assert (done.moved, done.drafts) == (["ZTA0091"], ["ZTA0092"])
    assert owner(registry, "ZTA0091") == (AGENT[0], CLIENT_TWO[0], "ZTA009")
    draft = lifecycle.get(registry.db.read(), "ZTA0092")
    assert draft is not None and (draft.client, draft.namespace) == (CLIENT_TWO[0], "ZTA009")
    assert registry.accounts.namespace_table()["ZTA"] == (AGENT[0], CLIENT_ONE[0])  # no namespace moved
    ok(registry)


def test_the_transfer_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = fresh_settings(tmp_path)
    with Registry(settings) as reg:
        reg.mint(ONE, "ZTA0101", "https://example.org/101")
    data = str(settings.data_dir)
    assert main(["transfer", OTHER[0], "--data", data]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["transfer", OTHER[0], "ZTA0101", "--data", data]) == 2  # ZOTHER owns no namespace it lies in
    assert "must own it" in capsys.readouterr().err
    assert main(["transfer", OTHER[0], "--namespace", "ZTA", "--data", data]) == 0
    assert capsys.readouterr().out.strip() == "transferred 1 sample(s) and 0 draft(s) to ZOTHER with namespace ZTA"
    with Registry(settings) as reg:
        row = reg.row("ZTA0101")
        assert row is not None and row.agent == OTHER[0]
