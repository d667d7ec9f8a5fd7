"""registry.service: every operation, ownership, quotas, domains, test mode, history and what the graph may hold."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import Literal

from igsn_graph.errors import (
    DomainNotAllowed,
    ForeignSample,
    Gone,
    InvalidIdentifier,
    InvalidInput,
    InvalidRecord,
    NamespaceNotAllowed,
    NotFound,
    QuotaExceeded,
    UnknownNamespace,
)
from igsn_graph.formats.kernels import read_xml
from igsn_graph.registry.accounts import ADMIN, Principal
from igsn_graph.registry.service import Registry, Submission
from igsn_graph.store import history
from igsn_graph.vocab import IG, PROV
from tests.conftest import ADMIN_PASSWORD, AGENT, CLIENT_ONE, CLIENT_TWO, OTHER

pytestmark = pytest.mark.both_stores

ONE = Principal("client", CLIENT_ONE[0], AGENT[0])
TWO = Principal("client", CLIENT_TWO[0], AGENT[0])
AGENT_P = Principal("agent", AGENT[0], AGENT[0])
OTHER_P = Principal("agent", OTHER[0], OTHER[0])


def registration_xml(igsn: str, *, events: tuple[str, ...] = ("submitted",), material: str | None = None) -> bytes:
    logs = "".join(f'<logElement event="{e}" timeStamp="2020-01-0{i + 1}T10:00:00"/>' for i, e in enumerate(events))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sample xmlns="http://igsn.org/schema/kernel-v.1.0">'
        f'<sampleNumber identifierType="igsn">10273/{igsn}</sampleNumber>'
        f"<registrant><registrantName>Jane Doe</registrantName></registrant>"
        f'<relatedResourceIdentifiers><relatedIdentifier relatedIdentifierType="doi" relationType="IsCitedBy">'
        f"10.5072/PAPER1</relatedIdentifier></relatedResourceIdentifiers>"
        f"<log>{logs}</log></sample>"
    ).encode()


def submit(registry: Registry, principal: Principal, data: bytes, **kw: object):  # type: ignore[no-untyped-def]
    doc = read_xml(data)
    return registry.register(principal, [Submission(doc.records[0], doc.format.name, data)], **kw)  # type: ignore[arg-type]


@pytest.mark.both_databases
def test_mint_creates_then_updates(registry: Registry) -> None:
    first = registry.mint(ONE, "10273/zta0001", "https://example.org/s/1")
    assert first.created and first.igsn.name == "ZTA0001"
    row = registry.row("ZTA0001")
    assert row is not None and row.client == CLIENT_ONE[0] and row.agent == AGENT[0] and row.namespace == "ZTA"
    assert row.has_url and not row.has_metadata and row.version == 1
    again = registry.mint(ONE, "ZtA0001", "https://sub.example.org/s/1b")
    assert not again.created
    row2 = registry.row("ZTA0001")
    assert row2 is not None and row2.version == 2 and row2.datestamp >= row.datestamp
    assert registry.landing_url(ONE, "zta0001") == "https://sub.example.org/s/1b"
    assert registry.count() == 1


def test_datestamps_never_go_back(registry: Registry) -> None:
    registry.db.set_meta("last_datestamp", "2999-01-01T00:00:00Z")
    registry.mint(ONE, "ZTA0002", "https://example.org/2")
    row = registry.row("ZTA0002")
    assert row is not None and row.datestamp == "2999-01-01T00:00:00Z"


def test_ownership(registry: Registry) -> None:
    registry.mint(ONE, "ZTA0003", "https://example.org/3")
    with pytest.raises(ForeignSample, match="belongs to another party"):
        registry.mint(TWO, "ZTA0003", "https://example.org/x")
    with pytest.raises(NamespaceNotAllowed, match="prefix is not allowed"):
        registry.mint(TWO, "ZTA0004", "https://example.org/x")
    with pytest.raises(ForeignSample):
        registry.mint(OTHER_P, "ZTA0003", "https://example.org/x")
    with pytest.raises(ForeignSample):
        registry.landing_url(OTHER_P, "ZTA0003")
    # the agent acts for all of its clients
    assert not registry.mint(AGENT_P, "ZTA0003", "https://example.org/by-agent").created
    assert registry.mint(AGENT_P, "ZT9999", "https://anywhere.net/x").created
    assert registry.row("ZT9999").client is None  # type: ignore[union-attr]
    assert registry.mint(ADMIN, "ZO0001", "https://other.net/1").created


def test_refusals(registry: Registry) -> None:
    with pytest.raises(UnknownNamespace):
        registry.mint(ONE, "QQ0001", "https://example.org/1")
    with pytest.raises(DomainNotAllowed, match="domain of URL is not allowed"):
        registry.mint(ONE, "ZTA0005", "https://evil.net/1")
    with pytest.raises(InvalidInput, match="malformed URL"):
        registry.mint(ONE, "ZTA0005", "ftp://example.org/1")
    with pytest.raises(InvalidIdentifier):
        registry.mint(ONE, "ZTA 0005", "https://example.org/1")
    with pytest.raises(InvalidIdentifier, match="DOI prefix"):
        registry.mint(ONE, "10.12345/ZTA0005", "https://example.org/1")
    assert registry.count() == 0


def test_doi_form_maps_to_the_name_for_the_owners_prefix(registry: Registry) -> None:
    result = registry.mint(ONE, "https://doi.org/10.99990/zta0006", "https://example.org/6")
    assert result.igsn.name == "ZTA0006"
    registry.add_agent("ZTHIRD", name="Third", password="third-secret", namespaces=["ZH"], doi_prefixes=["10.99980"])
    with pytest.raises(NamespaceNotAllowed, match="DOI prefix"):
        registry.mint(ONE, "10.99980/ZTA0007", "https://example.org/7")


@pytest.mark.both_databases
def test_quota_counts_distinct_igsns(registry: Registry) -> None:
    registry.mint(TWO, "ZTB1", "https://x.org/1")
    registry.mint(TWO, "ZTB1", "https://x.org/1b")  # an update does not count
    registry.mint(TWO, "ZTB2", "https://x.org/2")
    with pytest.raises(QuotaExceeded, match="quota exceeded: ZTEST.TWO"):
        registry.mint(TWO, "ZTB3", "https://x.org/3")
    # test registrations never count
    registry.mint(TWO, "TEST/ZTB3", "https://x.org/t")
    assert registry.row("TEST/ZTB3").test  # type: ignore[union-attr]


def test_test_mode_stores_nothing(registry: Registry) -> None:
    result = registry.mint(ONE, "ZTA0010", "https://example.org/10", test_mode=True)
    assert result.test_mode and result.created
    out = submit(registry, ONE, registration_xml("ZTA0011"), test_mode=True)
    assert out[0].ok
    assert registry.count() == 0
    assert registry.store.graph(registry.iris.record_graph("ZTA0010")) == []


def test_metadata_first_then_url(registry: Registry) -> None:
    data = registration_xml("ZTA0020")
    [outcome] = submit(registry, ONE, data)
    assert outcome.ok and outcome.created
    assert registry.landing_url(ONE, "ZTA0020") is None  # known, not resolvable yet (MDS 204)
    assert registry.metadata_document(ONE, "ZTA0020").document == data  # verbatim
    registry.mint(ONE, "ZTA0020", "https://example.org/20")
    row = registry.row("ZTA0020")
    assert row is not None and row.has_metadata and row.has_url and row.version == 2
    record = registry.record("ZTA0020")
    assert record is not None and record.registrant is not None and record.registrant.name == "Jane Doe"


def test_registrant_comes_from_the_owner_when_missing(registry: Registry) -> None:
    data = registration_xml("ZTA0021")
    doc = read_xml(data)
    from dataclasses import replace

    rec = replace(doc.records[0], registrant=None)
    registry.register(ONE, [Submission(rec, "igsn", data)])
    assert registry.record("ZTA0021").registrant.name == "Client One"  # type: ignore[union-attr]


@pytest.mark.both_databases
def test_deactivate_and_reactivate(registry: Registry) -> None:
    submit(registry, ONE, registration_xml("ZTA0030"))
    registry.deactivate(ONE, "ZTA0030")
    with pytest.raises(Gone):
        registry.landing_url(ONE, "ZTA0030")
    with pytest.raises(Gone):
        registry.metadata_document(ONE, "ZTA0030")
    row = registry.row("ZTA0030")
    assert row is not None and row.deleted and row.status == "inactive"
    submit(registry, ONE, registration_xml("ZTA0030"))  # posting metadata again reactivates
    row = registry.row("ZTA0030")
    assert row is not None and not row.deleted and row.status == "active"
    registry.deactivate(AGENT_P, "ZTA0030")
    registry.reactivate(AGENT_P, "ZTA0030")
    assert registry.row("ZTA0030").status == "active"  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        registry.deactivate(ONE, "ZTA9999")


def test_deprecate_destroy_and_log_events(registry: Registry) -> None:
    submit(registry, ONE, registration_xml("ZTA0040"))
    submit(registry, ONE, registration_xml("ZTA0041"))
    facts = registry.deprecate(ONE, "ZTA0040", replaced_by="zta0041")
    assert facts.status == "deprecated" and facts.replaced_by == "ZTA0041"
    assert registry.row("ZTA0040").status == "deprecated"  # type: ignore[union-attr]
    assert not registry.row("ZTA0040").deleted  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        registry.deprecate(ONE, "ZTA0041", replaced_by="ZTA7777")
    registry.destroy(ONE, "ZTA0041")
    assert registry.facts("ZTA0041").status == "destroyed"  # type: ignore[union-attr]
    # a destroyed event in submitted metadata sets the same state
    submit(registry, ONE, registration_xml("ZTA0042", events=("submitted", "destroyed")))
    assert registry.row("ZTA0042").status == "destroyed"  # type: ignore[union-attr]


@pytest.mark.both_databases
def test_history_keeps_every_version_and_a_prov_activity(registry: Registry) -> None:
    registry.mint(ONE, "ZTA0050", "https://example.org/50")
    submit(registry, ONE, registration_xml("ZTA0050"))
    registry.deactivate(ONE, "ZTA0050")
    versions = history.versions_of(registry.db.read(), "ZTA0050")
    assert [v.event for v in versions] == ["minted", "metadata-registered", "deactivated"]
    assert [v.version for v in versions] == [1, 2, 3]
    prov = registry.store.graph(registry.iris.provenance_graph("ZTA0050"))
    activities = {t.subject for t in prov if t.predicate == IG.changeType}
    assert len(activities) == 3
    events = {t.object for t in prov if t.predicate == IG.changeType}
    assert events == {Literal("minted"), Literal("metadata-registered"), Literal("deactivated")}
    agents = {t.object for t in prov if t.predicate == PROV.wasAssociatedWith}
    assert agents == {registry.iris.client(CLIENT_ONE[0])}
    # the current graph holds only the current state
    current = registry.graph_of("ZTA0050")
    assert not any(t.predicate == IG.changeType for t in current)


def test_invalid_record_is_refused_and_nothing_is_stored(registry: Registry) -> None:
    data = registration_xml("ZTA0060")
    doc = read_xml(data)
    from dataclasses import replace

    bad = replace(doc.records[0], materials=["http://example.org/not-a-material"])
    with pytest.raises(InvalidRecord) as info:
        registry.register(ONE, [Submission(bad, "igsn", data)])
    assert info.value.violations
    assert registry.row("ZTA0060") is None
    assert registry.store.graph(registry.iris.record_graph("ZTA0060")) == []


def test_bulk_reports_invalid_records_and_stores_the_valid(registry: Registry) -> None:
    from dataclasses import replace

    good = read_xml(registration_xml("ZTA0070")).records[0]
    bad = replace(read_xml(registration_xml("ZTA0071")).records[0], materials=["nope"])
    foreign = read_xml(registration_xml("ZO0072")).records[0]
    outcomes = registry.register(
        ONE, [Submission(good, "igsn"), Submission(bad, "igsn"), Submission(foreign, "igsn")], strict=False
    )
    by = {o.igsn: o for o in outcomes}
    assert by["ZTA0070"].ok and not by["ZTA0071"].ok and not by["ZO0072"].ok
    assert by["ZTA0071"].reasons and by["ZO0072"].reasons
    assert registry.row("ZTA0070") is not None and registry.row("ZTA0071") is None


def test_same_igsn_twice_in_one_batch(registry: Registry) -> None:
    rec = read_xml(registration_xml("ZTA0080")).records[0]
    outcomes = registry.register(ONE, [Submission(rec, "igsn"), Submission(rec, "igsn")], strict=False)
    assert all(o.ok for o in outcomes)
    assert registry.row("ZTA0080").version == 2  # type: ignore[union-attr]


@pytest.mark.both_databases
def test_authentication(registry: Registry) -> None:
    acc = registry.accounts
    assert acc.authenticate(CLIENT_ONE[0], CLIENT_ONE[1]) == ONE
    assert acc.authenticate("ztest.one", CLIENT_ONE[1]) == ONE
    # master login: the agent's password works for its clients
    assert acc.authenticate(CLIENT_ONE[0], AGENT[1]) == ONE
    assert acc.authenticate(AGENT[0], AGENT[1]).kind == "agent"
    assert acc.authenticate("admin", ADMIN_PASSWORD, admin=("admin", ADMIN_PASSWORD)).is_admin
    from igsn_graph.errors import NotAuthenticated

    for user, pw in ((CLIENT_ONE[0], "wrong"), (CLIENT_ONE[0], OTHER[1]), ("NOBODY", "x"), ("admin", "x")):
        with pytest.raises(NotAuthenticated):
            acc.authenticate(user, pw, admin=("admin", ADMIN_PASSWORD))


def test_accounts_validation(registry: Registry) -> None:
    from igsn_graph.errors import Conflict

    with pytest.raises(InvalidInput):
        registry.add_agent("bad symbol", name="x", password="p", namespaces=["ZX"])
    with pytest.raises(Conflict):
        registry.add_agent("ZNEW", name="x", password="p", namespaces=["ZTA"])  # taken by a client
    with pytest.raises(InvalidInput, match="within"):
        registry.add_client("ZTEST.THREE", password="p", namespaces=["ZO1"])
    with pytest.raises(InvalidInput):
        registry.add_client("ZOTHER", password="p", namespaces=["ZO1"])
    with pytest.raises(NotFound):
        registry.add_client("ZNONE.ONE", password="p", namespaces=["ZX"])


def test_public_graph_holds_no_secret(registry: Registry) -> None:
    registry.mint(ONE, "ZTA0090", "https://example.org/90")
    submit(registry, ONE, registration_xml("ZTA0091"))
    text = b"".join(registry.store.dump_nquads()).decode()
    for secret in (AGENT[1], CLIENT_ONE[1], CLIENT_TWO[1], OTHER[1], ADMIN_PASSWORD, "scrypt$"):
        assert secret not in text
    hashes = [r[0] for r in registry.db.read().execute("SELECT password_hash FROM agents")]
    assert hashes and not any(h.split("$")[-1] in text for h in hashes)
    # agents and clients are public nodes, by symbol and name
    assert "Client One" in text and registry.iris.client(CLIENT_ONE[0]).value in text


def test_names_of(registry: Registry) -> None:
    registry.mint(ONE, "ZTA0100", "https://example.org/1")
    registry.mint(TWO, "ZTB0100", "https://x.org/1")
    assert registry.names_of(ONE) == ["ZTA0100"]
    assert registry.names_of(AGENT_P) == ["ZTA0100", "ZTB0100"]
    assert registry.names_of(OTHER_P) == []


def test_registry_refuses_an_uninitialised_folder(tmp_path: Path) -> None:
    from igsn_graph.registry.service import NotInitialised
    from igsn_graph.settings import Settings

    with pytest.raises(NotInitialised, match="igsn-graph init"):
        Registry(Settings(data_dir=tmp_path / "nothing"))


def test_private_descriptions_stay_out_of_the_public_graph(registry: Registry) -> None:
    from dataclasses import replace

    rec = read_xml(registration_xml("ZTA0110")).records[0]
    secret = replace(rec, is_public=False, description="Secret drill site under the old mill")
    registry.register(ONE, [Submission(secret, "igsn")])
    text = b"".join(registry.store.dump_nquads()).decode()
    assert "Secret drill site" not in text
    row = registry.row("ZTA0110")
    assert row is not None and not row.is_public and row.deleted and row.has_metadata
    # the owner still gets the full description
    assert registry.record("ZTA0110").description == "Secret drill site under the old mill"  # type: ignore[union-attr]
    # and verify agrees with what was written
    from igsn_graph.index.rebuild import verify

    assert verify(registry.db, registry.store, registry.iris).ok


def test_quota_is_per_client_across_its_namespaces_within_a_batch(registry: Registry) -> None:
    registry.add_client("ZTEST.THREE", password="three-secret", namespaces=["ZTC", "ZTD"], quota=2)
    three = Principal("client", "ZTEST.THREE", AGENT[0])
    records = [read_xml(registration_xml(n)).records[0] for n in ("ZTC1", "ZTC2", "ZTD1", "ZTD2")]
    with pytest.raises(QuotaExceeded):
        registry.register(three, [Submission(r, "igsn") for r in records])
    assert registry.count() == 0
    outcomes = registry.register(three, [Submission(r, "igsn") for r in records], strict=False)
    assert [o.ok for o in outcomes].count(True) == 0 and registry.count() == 0
    assert all("quota exceeded: ZTEST.THREE" in o.reasons[0] for o in outcomes)


def test_the_test_prefix_cannot_take_another_partys_name(registry: Registry) -> None:
    registry.mint(OTHER_P, "ZO0001", "https://other.net/1")
    with pytest.raises(ForeignSample):
        registry.mint(ONE, "20.500.11812/ZO0001", "https://example.org/x")
    with pytest.raises(NamespaceNotAllowed, match="test prefix"):
        registry.mint(ONE, "20.500.11812/ZO0002", "https://example.org/x")
    assert registry.row("ZO0001").agent == OTHER[0] and registry.row("ZO0002") is None  # type: ignore[union-attr]
    assert registry.mint(ONE, "20.500.11812/TESTZTA1", "https://example.org/t").igsn.name == "TESTZTA1"
    assert registry.row("TESTZTA1").test  # type: ignore[union-attr]


def test_account_identifiers_are_checked_before_anything_is_stored(registry: Registry) -> None:
    with pytest.raises(InvalidInput, match="ROR"):
        registry.add_agent("ZROR", name="x", password="p", namespaces=["ZR"], ror="ror.org/02abc")
    with pytest.raises(NotFound):
        registry.accounts.agent("ZROR")
    registry.publish_accounts()  # the accounts graph is still writable


@pytest.mark.both_databases
def test_a_write_left_in_the_journal_is_completed_before_the_next_write(registry: Registry) -> None:
    """A writer that failed after the graph write (here: the journal's last step refused) leaves its
    entry; the next write applies it first instead of building on the stale index."""
    registry.mint(ONE, "ZTA0120", "https://example.org/v1")
    index = registry.journal._index  # transaction B's statements

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    registry.journal._index = broken  # type: ignore[method-assign]
    with pytest.raises(OSError):
        registry.mint(ONE, "ZTA0120", "https://example.org/v2")
    registry.journal._index = index  # type: ignore[method-assign]
    assert registry.journal.pending() == 1
    registry.mint(ONE, "ZTA0120", "https://example.org/v3")
    versions = history.versions_of(registry.db.read(), "ZTA0120")
    assert [v.version for v in versions] == [1, 2, 3]
    assert registry.landing_url(ONE, "ZTA0120") == "https://example.org/v3"
    from igsn_graph.index.rebuild import verify

    assert verify(registry.db, registry.store, registry.iris).ok


def test_datestamp_reservations_end_with_the_write(registry: Registry) -> None:
    registry.mint(ONE, "ZTA0130", "https://example.org/1")
    assert registry.journal.inflight() is None  # committed: visible
    with pytest.raises(DomainNotAllowed):
        registry.mint(ONE, "ZTA0131", "https://evil.net/1")
    registry.mint(ONE, "ZTA0132", "https://example.org/2", test_mode=True)
    assert registry.journal.inflight() is None  # refused or test mode: withdrawn
    registry.journal.reserve()
    registry.journal._reserved = False  # a reservation left by a writer that died before journaling
    registry.mint(ONE, "ZTA0133", "https://example.org/3")
    assert registry.journal.inflight() is None


def test_the_registry_validates_with_the_engine_the_settings_name(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import fresh_settings

    for engine in ("compiled", "pyshacl"):
        settings = fresh_settings(tmp_path / engine, validation_engine=engine)
        with Registry(settings) as registry:
            assert registry.validator.engine == engine


def test_one_visibility_rule_for_reads(registry: Registry) -> None:
    """``Registry.visible``: the owner reads the whole description whatever its state; anyone else reads the
    public graph of an active public sample, NotFound for a private one, Gone for a deactivated one."""
    from dataclasses import replace

    for name, public in (("ZTA0120", True), ("ZTA0121", False), ("ZTA0122", True)):
        rec = replace(read_xml(registration_xml(name)).records[0], is_public=public, description=f"about {name}")
        registry.register(ONE, [Submission(rec, "igsn")])
    registry.deactivate(ONE, "ZTA0122")

    def said(name: str, triples: list) -> bool:  # type: ignore[type-arg]
        return Literal(f"about {name}") in {t.object for t in triples}

    for name in ("ZTA0120", "ZTA0121", "ZTA0122"):
        for reader in (ONE, AGENT_P, ADMIN):  # the owning client, its agent, the administrator
            seen = registry.visible(name, reader)
            assert seen.owner and said(name, seen.triples) and seen.row.igsn == name
    public = registry.visible("ZTA0120", None)
    assert not public.owner and said("ZTA0120", public.triples)
    assert registry.visible("ZTA0120", TWO).triples == public.triples
    for reader in (None, TWO, OTHER_P):  # another client of the same agent owns nothing of ONE's
        with pytest.raises(NotFound):
            registry.visible("ZTA0121", reader)
        with pytest.raises(Gone):
            registry.visible("ZTA0122", reader)
        with pytest.raises(NotFound):
            registry.visible("ZTA0999", reader)


def test_findable_row_is_the_rule_for_following_samples(registry: Registry) -> None:
    """``Registry.findable_row``: the row of an active, public, described, non-test sample; NotFound for a
    private or an unknown one, Gone for a deactivated one (the relations API answers by it)."""
    from dataclasses import replace

    for name, public in (("ZTA0130", True), ("ZTA0131", False), ("ZTA0132", True)):
        registry.register(
            ONE, [Submission(replace(read_xml(registration_xml(name)).records[0], is_public=public), "igsn")]
        )
    registry.deactivate(ONE, "ZTA0132")
    assert registry.findable_row("ZTA0130").igsn == "ZTA0130"
    for name in ("ZTA0131", "ZTA0999"):
        with pytest.raises(NotFound):
            registry.findable_row(name)
    with pytest.raises(Gone):
        registry.findable_row("ZTA0132")
