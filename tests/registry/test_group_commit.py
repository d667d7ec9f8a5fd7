"""Group commit of single-record writes: concurrent writers are done in groups, each caller gets exactly its own
result or its own error, every acknowledged write is in the history, and a failed commit acknowledges none."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from igsn_graph.errors import (
    DomainNotAllowed,
    ForeignSample,
    InvalidRecord,
    NamespaceNotAllowed,
    QuotaExceeded,
    StorageFailure,
)
from igsn_graph.index import catalogue
from igsn_graph.index.rebuild import verify
from igsn_graph.record import RegistryFacts, SampleRecord
from igsn_graph.registry.journal_entry import Change
from igsn_graph.registry.service import (
    MintResult,
    Outcome,
    Precondition,
    PreconditionFailed,
    Registry,
    Submission,
)
from igsn_graph.store import history
from igsn_graph.store.base import GraphWrite
from igsn_graph.store.remote import RemoteEndpoints, RemoteStore
from tests.conftest import free_port
from tests.registry.test_service import ONE, OTHER_P, TWO

pytestmark = pytest.mark.both_stores

BAD_MATERIAL = "http://example.org/not-a-material"
STAMP, SECOND = "%Y-%m-%dT%H:%M:%SZ", timedelta(seconds=1)


def sample(name: str, title: str = "a sample", *, valid: bool = True) -> Submission:
    record = SampleRecord(igsn=name, name=title, materials=[] if valid else [BAD_MATERIAL])
    return Submission(record, "turtle")


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, "the writers never queued"
        time.sleep(0.005)


def in_order(registry: Registry, calls: list[Callable[[], object]]) -> list[object]:
    """Runs each call in its own thread, queued one after another while the test holds the write lock, so
    that they arrive in list order and (all but the first, whose thread leads and waits for the lock) form
    one group when the lock is released. Returns each call's result or exception."""
    results: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            results[i] = calls[i]()
        except Exception as exc:  # noqa: BLE001 - the test compares each caller's own error
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    with registry.writing():
        for i, t in enumerate(threads):
            t.start()
            wait_until(lambda i=i: registry.stats.waiting == i + 1)  # type: ignore[misc]
    for t in threads:
        t.join(timeout=120)
    assert registry.stats.waiting == 0
    return results


def versions(registry: Registry, name: str) -> list[history.Version]:
    return history.versions_of(registry.db.read(), name)


def assert_consistent(registry: Registry) -> None:
    report = verify(registry.db, registry.store, registry.iris)
    assert report.ok, report.problems
    for row in registry.db.read().execute("SELECT igsn, version FROM catalogue"):
        assert [v.version for v in versions(registry, row[0])] == list(range(1, row[1] + 1)), row[0]


def test_a_burst_of_new_samples_is_written_in_groups(registry: Registry) -> None:
    writers = 24
    names = [f"ZTA2{n:03d}" for n in range(writers)]
    results = in_order(registry, [lambda n=n: registry.register(ONE, [sample(n, f"title {n}")]) for n in names])
    assert registry.stats.largest == writers - 1 and registry.stats.batches == 2
    for name, got in zip(names, results, strict=False):
        assert isinstance(got, list) and got == [Outcome(name, True, created=True, index=0, version=1)]
        row = registry.row(name)
        assert row is not None and row.version == 1 and row.client == ONE.symbol
        [kept] = versions(registry, name)
        assert f'"title {name}"' in kept.graph_ntriples and kept.event == "metadata-registered"
    # one datestamp for a group
    assert len({registry.row(n).datestamp for n in names[1:]}) == 1  # type: ignore[union-attr]
    assert_consistent(registry)


def test_free_running_writers_keep_every_write(registry: Registry) -> None:
    """No lock held by the test (how groups form is up to the scheduler): the same sample written by all
    writers gets one version per write, each the one its writer was told."""
    writers = 12
    registry.register(ONE, [sample("ZTA3000", "start")])
    barrier = threading.Barrier(writers)
    told: dict[int, object] = {}

    def write(n: int) -> None:
        barrier.wait()
        for k in range(3):
            try:
                told[n * 10 + k] = registry.register(ONE, [sample("ZTA3000", f"writer {n}.{k}")])[0].version
            except Exception as exc:  # noqa: BLE001
                told[n * 10 + k] = exc

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(told.values()) == list(range(2, 2 + 3 * writers))  # type: ignore[type-var]
    kept = {v.version: v for v in versions(registry, "ZTA3000")}
    assert sorted(kept) == list(range(1, 2 + 3 * writers))
    for key, version in told.items():
        assert f'"writer {key // 10}.{key % 10}"' in kept[version].graph_ntriples  # type: ignore[index]
    assert_consistent(registry)


def test_the_same_sample_in_one_group_follows_arrival_order(registry: Registry) -> None:
    calls: list[Callable[[], object]] = [lambda: registry.mint(ONE, "ZTA3100", "https://example.org/0")]
    calls += [lambda k=k: registry.register(ONE, [sample("ZTA3100", f"write {k}")]) for k in range(1, 4)]
    calls.append(lambda: registry.mint(ONE, "ZTA3100", "https://example.org/url-after"))
    calls.append(lambda: registry.deactivate(ONE, "ZTA3100"))
    calls.append(lambda: registry.register(ONE, [sample("ZTA3100", "write 6")]))  # reactivates
    results = in_order(registry, calls)
    assert results[0] == MintResult(registry.parse("ZTA3100"), True)
    assert [r[0].version for r in results[1:4]] == [2, 3, 4]  # type: ignore[index]
    assert [r[0].created for r in results[1:4]] == [False] * 3  # type: ignore[index]
    assert results[4] == MintResult(registry.parse("ZTA3100"), False)
    assert isinstance(results[5], RegistryFacts) and not results[5].active
    kept = versions(registry, "ZTA3100")
    assert [v.event for v in kept] == [
        "minted",
        "metadata-registered",
        "metadata-updated",
        "metadata-updated",
        "url-updated",
        "deactivated",
        "metadata-updated",
    ]
    assert '"write 3"' in kept[4].graph_ntriples and "url-after" in kept[4].graph_ntriples  # the URL kept the record
    assert "url-after" in kept[6].graph_ntriples  # and the record after it the URL
    facts = registry.facts("ZTA3100")
    assert facts is not None and facts.active and facts.landing_url == "https://example.org/url-after"
    assert_consistent(registry)


def test_refusals_in_a_group_are_each_callers_own(registry: Registry) -> None:
    registry.register(ONE, [sample("ZTA4000", "existing")])
    registry.register(ONE, [sample("TEST/ZTA4009", "spent")])
    calls: list[Callable[[], object]] = [
        lambda: registry.register(ONE, [sample("ZTA4001", "first")]),  # 0 leads alone
        lambda: registry.register(ONE, [sample("ZTA4002", valid=False)]),  # 1 invalid
        lambda: registry.mint(OTHER_P, "ZTA4000", "https://other.net/x"),  # 2 foreign
        lambda: registry.mint(TWO, "ZTA4003", "https://example.org/x"),  # 3 not its namespace
        lambda: registry.register(TWO, [sample("ZTB4000", valid=False)]),  # 4 invalid: no quota used
        lambda: registry.register(TWO, [sample("ZTB4001")], test_mode=True),  # 5 test: no quota used
        lambda: registry.register(TWO, [sample("ZTB4002")]),  # 6 quota 1 of 2
        lambda: registry.mint(TWO, "ZTB4003", "https://x.org/3"),  # 7 quota 2 of 2
        lambda: registry.register(TWO, [sample("ZTB4004")]),  # 8 over quota
        lambda: registry.register(TWO, [sample("ZTB4004")], test_mode=True),  # 9 over quota, test too
        lambda: registry.register(TWO, [sample("ZTB4002", "again")]),  # 10 an update: no quota
        lambda: registry.mint(TWO, "TEST/ZTB4005", "https://x.org/t"),  # 11 test namespace: free
        lambda: registry.register(ONE, [sample("ZTA4000", "v2")], expected=Precondition(frozenset({1}))),  # 12
        lambda: registry.register(ONE, [sample("ZTA4000", "v3")], expected=Precondition(frozenset({1}))),  # 13 stale
        lambda: registry.mint(ONE, "ZTA4002", "https://example.org/2"),  # 14 after its invalid one
        lambda: registry.mint(ONE, "ZTA4004", "https://elsewhere.net/4"),  # 15 foreign domain
        lambda: registry.register(ONE, [sample("ZTA4005", valid=False)], test_mode=True),  # 16 invalid test
        lambda: registry.register(ONE, [sample("ZTA4006")], test_mode=True),  # 17 test: not stored
        lambda: registry.deactivate(ONE, "ZTA4001", test_mode=True),  # 18 test: not stored
        lambda: registry.destroy(ONE, "ZTA4001"),  # 19
    ]
    r = in_order(registry, calls)
    assert registry.stats.largest == len(calls) - 1
    assert isinstance(r[0], list) and r[0][0].created
    assert isinstance(r[1], InvalidRecord) and r[1].violations and r[1].data["igsn"] == "ZTA4002"
    assert isinstance(r[2], ForeignSample)
    assert isinstance(r[3], NamespaceNotAllowed)
    assert isinstance(r[4], InvalidRecord) and r[4].data["igsn"] == "ZTB4000"
    assert r[5] == [Outcome("ZTB4001", True, created=True, index=0, version=1)]
    assert isinstance(r[6], list) and r[6][0].created
    assert r[7] == MintResult(registry.parse("ZTB4003"), True)
    assert isinstance(r[8], QuotaExceeded) and isinstance(r[9], QuotaExceeded)
    assert isinstance(r[10], list) and r[10][0].version == 2 and not r[10][0].created
    assert isinstance(r[11], MintResult) and r[11].created
    assert isinstance(r[12], list) and r[12][0].version == 2
    assert isinstance(r[13], PreconditionFailed) and r[13].current == 2
    assert r[14] == MintResult(registry.parse("ZTA4002"), True)
    assert isinstance(r[15], DomainNotAllowed)
    assert isinstance(r[16], InvalidRecord)
    assert r[17] == [Outcome("ZTA4006", True, created=True, index=0, version=1)]
    assert isinstance(r[18], RegistryFacts) and not r[18].active
    assert isinstance(r[19], RegistryFacts) and r[19].lifecycle == "destroyed" and r[19].active
    # what was refused or only tested left nothing; the rest is stored once
    for name in ("ZTB4000", "ZTB4001", "ZTA4003", "ZTB4004", "ZTA4004", "ZTA4005", "ZTA4006"):
        assert registry.row(name) is None and versions(registry, name) == [], name
    assert registry.row("ZTB4002").version == 2  # type: ignore[union-attr]
    assert '"v2"' in versions(registry, "ZTA4000")[-1].graph_ntriples
    assert [v.event for v in versions(registry, "ZTA4001")] == ["metadata-registered", "destroyed"]
    assert [v.event for v in versions(registry, "ZTA4002")] == ["minted"]
    assert registry.row("ZTA4000").version == 2  # type: ignore[union-attr]
    assert sorted(registry.names_of(TWO)) == ["TEST/ZTB4005", "ZTB4002", "ZTB4003"]
    assert_consistent(registry)


def test_parent_cycles_are_judged_in_arrival_order(registry: Registry) -> None:
    def child(name: str, parent: str) -> Submission:
        return Submission(SampleRecord(igsn=name, name=name, parents=[parent]), "turtle")

    registry.register(ONE, [sample("ZTA5000")])
    r = in_order(
        registry,
        [
            lambda: registry.register(ONE, [sample("ZTA5009")]),
            lambda: registry.register(ONE, [child("ZTA5001", "ZTA5002")]),  # fine on its own
            lambda: registry.register(ONE, [child("ZTA5002", "ZTA5001")]),  # closes the cycle: refused
            lambda: registry.register(ONE, [child("ZTA5000", "ZTA5001")]),  # fine
        ],
    )
    assert isinstance(r[1], list) and isinstance(r[3], list)
    assert isinstance(r[2], InvalidRecord) and "cycle" in r[2].message
    assert registry.row("ZTA5002") is None
    assert_consistent(registry)


def test_a_failed_commit_acknowledges_none_of_its_group(registry: Registry) -> None:
    registry.register(ONE, [sample("ZTA6000", "before")])
    working = registry.store
    # a real engine client aimed at a port nobody listens on: every graph write fails, applying nothing
    dead = RemoteStore(RemoteEndpoints(base=f"http://127.0.0.1:{free_port()}", timeout_s=5))
    registry.journal.store = dead
    try:
        r = in_order(
            registry,
            [
                lambda: registry.register(ONE, [sample("ZTA6001")], test_mode=True),
                lambda: registry.register(ONE, [sample("ZTA6002")]),
                lambda: registry.register(ONE, [sample("ZTA6000", "lost")]),
                lambda: registry.mint(ONE, "ZTA6003", "https://example.org/3"),
                lambda: registry.register(ONE, [sample("ZTA6004", valid=False)]),
                lambda: registry.register(ONE, [sample("ZTA6005")], test_mode=True),
            ],
        )
    finally:
        registry.journal.store = working
    assert r[0] == [Outcome("ZTA6001", True, created=True, index=0, version=1)]  # nothing to commit
    assert all(isinstance(x, StorageFailure) for x in r[1:4]), r
    assert len({id(x) for x in r[1:4]}) == 3  # each caller raises its own copy
    assert isinstance(r[4], InvalidRecord)  # its own error, not the group's
    assert r[5] == [Outcome("ZTA6005", True, created=True, index=0, version=1)]  # test mode: never committed
    for name in ("ZTA6002", "ZTA6003"):
        assert registry.row(name) is None and versions(registry, name) == []
    assert [v.version for v in versions(registry, "ZTA6000")] == [1]
    assert registry.journal.pending() == 0 and registry.journal.inflight() is None
    # the next group goes through
    assert registry.register(ONE, [sample("ZTA6002")])[0].created
    assert_consistent(registry)


def test_a_group_checked_while_the_one_before_is_written_sees_it(registry: Registry) -> None:
    """The second group is checked while the first one's graph is written, before the catalogue holds it:
    its quota, versions and registration date are the ones the first group leaves (``group_commit``)."""
    r = in_order(
        registry,
        [
            lambda: registry.register(TWO, [sample("ZTB8000", "first")]),  # alone: 1 of TWO's quota of 2
            lambda: registry.register(TWO, [sample("ZTB8001")]),  # 2 of 2
            lambda: registry.register(TWO, [sample("ZTB8002")]),  # over quota
            lambda: registry.register(TWO, [sample("ZTB8000", "second")]),  # version 2 of the first
            lambda: registry.deactivate(TWO, "ZTB8000"),  # version 3
        ],
    )
    assert registry.stats.largest == 4
    assert isinstance(r[1], list) and r[1][0].created
    assert isinstance(r[2], QuotaExceeded)
    assert isinstance(r[3], list) and r[3][0].version == 2 and not r[3][0].created
    assert isinstance(r[4], RegistryFacts) and not r[4].active
    first, second, third = versions(registry, "ZTB8000")
    assert (first.event, second.event, third.event) == ("metadata-registered", "metadata-updated", "deactivated")
    facts = registry.facts("ZTB8000")
    assert facts is not None and facts.registered == first.datestamp  # the final datestamp, not a provisional one
    assert first.datestamp <= second.datestamp == third.datestamp
    assert registry.journal.pending() == 0 and registry.journal.inflight() is None
    assert_consistent(registry)


def test_when_the_shared_transaction_fails_the_next_group_is_checked_again(registry: Registry) -> None:
    """B of the first group and the journal rows of the next are one transaction; when it fails, the first
    group is finished on its own and the next one is checked against what was committed, then written."""
    insert = registry.journal._insert
    failed: list[int] = []

    def once(conn: object, rows: list[tuple[str, bytes]]) -> list[int]:
        if registry.journal.pending() and not failed:  # journaling beside a B: fail this once
            failed.append(len(rows))
            raise OSError("disk full")
        return insert(conn, rows)  # type: ignore[arg-type]

    registry.journal._insert = once  # type: ignore[method-assign,assignment]
    try:
        r = in_order(
            registry,
            [
                lambda: registry.register(TWO, [sample("ZTB8100", "first")]),
                lambda: registry.register(TWO, [sample("ZTB8100", "second")]),
                lambda: registry.register(TWO, [sample("ZTB8101")]),
                lambda: registry.register(TWO, [sample("ZTB8102")]),  # over quota
            ],
        )
    finally:
        registry.journal._insert = insert  # type: ignore[method-assign]
    assert failed == [2]
    assert isinstance(r[0], list) and r[0][0].created
    assert isinstance(r[1], list) and r[1][0].version == 2
    assert isinstance(r[2], list) and r[2][0].created
    assert isinstance(r[3], QuotaExceeded)
    assert [v.version for v in versions(registry, "ZTB8100")] == [1, 2]
    assert registry.journal.pending() == 0 and registry.journal.inflight() is None
    assert_consistent(registry)


def _timing_out(registry: Registry, pytest_monkeypatch: pytest.MonkeyPatch, *, applied: list[bool]) -> list[int]:
    """Plants a timeout on the next graph writes: the n-th is applied (or not: ``applied[n]``), then reported
    with an unknown outcome, as a remote engine's read timeout is. Returns the calls counted."""
    store = registry.journal.store
    real = store.apply
    calls: list[int] = []

    def apply(write: GraphWrite) -> None:
        calls.append(1)
        if len(calls) > len(applied):
            return real(write)
        if applied[len(calls) - 1]:
            real(write)
        raise StorageFailure("engine timed out", applied=None)

    pytest_monkeypatch.setattr(store, "apply", apply)
    return calls


def test_a_write_of_unknown_outcome_is_redone_before_the_next_group_is_checked(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first group's graph write is applied but reported as a timeout: its journal rows are kept. The next
    group of the same hold is checked only after they are redone, so it builds on them, and their redo never
    overwrites its acknowledged write (review finding 1)."""
    _timing_out(registry, monkeypatch, applied=[True])
    r = in_order(
        registry,
        [
            lambda: registry.register(ONE, [sample("ZTA9900", "first")]),
            lambda: registry.register(ONE, [sample("ZTA9900", "second")]),
        ],
    )
    monkeypatch.undo()
    assert isinstance(r[0], StorageFailure) and "may have been applied" in str(r[0])
    assert isinstance(r[1], list) and r[1][0].version == 2 and not r[1][0].created
    assert registry.journal.pending() == 0 and registry.journal.inflight() is None
    registry.register(ONE, [sample("ZTA9901", "unrelated")])  # a later write redoes nothing over it
    first, second = versions(registry, "ZTA9900")
    assert '"first"' in first.graph_ntriples and '"second"' in second.graph_ntriples
    assert registry.row("ZTA9900").version == 2  # type: ignore[union-attr]
    assert_consistent(registry)


def test_a_write_still_pending_keeps_its_reservation(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the redo of a write of unknown outcome fails too, the hold ends with its rows pending: the next
    group fails (nothing checked against a state missing them), and the OAI reservation stays, no later than
    their datestamp, until their redo publishes them (review findings 1 and 3)."""
    calls = _timing_out(registry, monkeypatch, applied=[True, False])
    r = in_order(
        registry,
        [
            lambda: registry.register(ONE, [sample("ZTA9910", "first")]),
            lambda: registry.register(ONE, [sample("ZTA9911", "other")]),
        ],
    )
    monkeypatch.undo()
    assert len(calls) == 2  # the first group's write, then its redo; the second group was never written
    assert isinstance(r[0], StorageFailure) and isinstance(r[1], StorageFailure)
    stamps = [
        Change.from_payload(row[0]).row.datestamp
        for row in registry.db.read().execute("SELECT payload FROM journal").fetchall()
    ]
    assert len(stamps) == 1
    inflight = registry.journal.inflight()
    assert inflight is not None and inflight <= stamps[0]
    registry.register(ONE, [sample("ZTA9912")])  # redoes the pending write first, then publishes it
    assert registry.row("ZTA9910") is not None and registry.row("ZTA9911") is None
    assert registry.journal.pending() == 0 and registry.journal.inflight() is None
    assert_consistent(registry)


def test_a_fault_checking_the_next_group_fails_only_that_group(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault (a database read error, say) while the next group is checked and the previous one is written:
    the previous group, journaled, is finished and answered with its own outcome; only the next fails, and
    nothing of it is written later (review finding 2)."""
    from igsn_graph.registry import group_commit

    check = group_commit._check

    def failing(reg: Registry, group: list[Any], before: Any) -> Any:
        if before is not None:
            raise OSError("planted: the database read failed")
        return check(reg, group, before)

    monkeypatch.setattr(group_commit, "_check", failing)
    r = in_order(
        registry,
        [
            lambda: registry.register(ONE, [sample("ZTA9920", "first")]),
            lambda: registry.register(ONE, [sample("ZTA9921", "second")]),
        ],
    )
    monkeypatch.undo()
    assert isinstance(r[0], list) and r[0][0].created
    assert isinstance(r[1], OSError)
    assert registry.journal.pending() == 0 and registry.journal.inflight() is None
    registry.register(ONE, [sample("ZTA9922")])
    assert registry.row("ZTA9920") is not None and registry.row("ZTA9921") is None
    assert_consistent(registry)


def test_a_journaled_group_whose_graph_write_cannot_start_is_redone_in_place(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next group is journaled together with the previous one's B, then its graph write cannot even be
    started: it is redone at once (as a start would) and its callers get their write, not an error for a write
    stored later (review finding 2)."""
    start = registry.journal.start_graph
    calls: list[int] = []

    def failing(changes: list[Change]) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise OSError("planted: the database read failed")
        return start(changes)

    monkeypatch.setattr(registry.journal, "start_graph", failing)
    r = in_order(
        registry,
        [
            lambda: registry.register(ONE, [sample("ZTA9930", "first")]),
            lambda: registry.register(ONE, [sample("ZTA9931", "second")]),
            lambda: registry.register(ONE, [sample("ZTA9930", "third")]),
        ],
    )
    monkeypatch.undo()
    assert len(calls) == 2
    assert isinstance(r[0], list) and r[0][0].created
    assert isinstance(r[1], list) and r[1][0].created
    assert isinstance(r[2], list) and r[2][0].version == 2
    assert registry.journal.pending() == 0 and registry.journal.inflight() is None
    assert [v.version for v in versions(registry, "ZTA9930")] == [1, 2]
    assert_consistent(registry)


def test_an_update_checked_in_the_second_its_sample_was_registered_keeps_the_registration_date(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second group is checked within the second the first group's datestamp was taken, and the clock moves
    on before its own is: the sample the first group registered keeps that date (a group's provisional
    datestamp, which ``stamped`` replaces, must never equal a registration date written before it)."""
    frozen = datetime.now(timezone.utc)
    next_datestamp, stamp = registry.journal.next_datestamp, registry.journal.stamp
    calls: list[str] = []

    def later() -> str:  # the second stamp is taken a second later
        taken = stamp()
        if calls:
            taken = catalogue.format_datestamp(datetime.strptime(taken, STAMP).replace(tzinfo=timezone.utc) + SECOND)
            registry.journal._issued = taken
        calls.append(taken)
        return taken

    monkeypatch.setattr(registry.journal, "next_datestamp", lambda now=None: next_datestamp(frozen))
    monkeypatch.setattr(registry.journal, "stamp", later)
    r = in_order(
        registry,
        [
            lambda: registry.register(ONE, [sample("ZTA9940", "first")]),
            lambda: registry.register(ONE, [sample("ZTA9940", "second")]),
        ],
    )
    monkeypatch.undo()
    assert len(calls) == 2 and calls[0] < calls[1]
    assert isinstance(r[1], list) and r[1][0].version == 2
    first, second = versions(registry, "ZTA9940")
    assert (first.datestamp, second.datestamp) == tuple(calls)
    facts = registry.facts("ZTA9940")
    assert facts is not None and facts.registered == first.datestamp
    assert_consistent(registry)


def test_closing_the_registry_waits_for_the_committer_to_leave_its_hold(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A caller is answered before the committer leaves its hold (it still withdraws the reservation and
    releases the lock, a database statement on PostgreSQL): closing the registry right after the answer must
    not close the database and store under it (it did: a segfault in psycopg)."""
    release = registry.journal.release
    closing = threading.Event()
    seen: list[bool] = []

    def last_step_of_the_hold(*, force: bool = False) -> None:
        if not force and not seen:
            closing.wait(2)  # at most: what closes the registry must wait for the hold to end
            seen.append(closing.is_set())
        release(force=force)

    monkeypatch.setattr(registry.journal, "release", last_step_of_the_hold)
    monkeypatch.setattr(registry.store, "close", closing.set)  # the fixture closes them for real afterwards
    monkeypatch.setattr(registry.db, "close", lambda: None)
    assert registry.register(ONE, [sample("ZTA9950")])[0].created
    closer = threading.Thread(target=registry.close)
    closer.start()
    closer.join(timeout=60)
    monkeypatch.undo()
    assert seen == [False] and closing.is_set()


def test_a_write_inside_the_write_lock_runs_directly(registry: Registry) -> None:
    with registry.writing():  # e.g. a command holding the lock: no group would ever lead, so none is formed
        assert registry.mint(ONE, "ZTA7000", "https://example.org/7").created
        assert registry.register(ONE, [sample("ZTA7000", "described")])[0].version == 2
    assert registry.stats.waiting == 0
    assert_consistent(registry)


def test_the_committer_takes_groups_in_arrival_order_and_wakes_each_caller_with_its_own_result() -> None:
    """``GroupQueue`` alone: while a group is under way the others queue; the committer goes on with the next
    ``limit`` in arrival order (``Leading.more``) for ``rounds`` groups per hold, and a caller woken early
    (``Leading.wake``) has its own result while the committer still works."""
    from igsn_graph.registry.group import GroupQueue, Leading, Request

    release = threading.Event()
    holds: list[list[list[int]]] = []
    results: dict[int, object] = {}

    class Numbered(Request[int]):
        def __init__(self, n: int) -> None:
            super().__init__()
            self.n = n

    def process(group: list[Request[int]], leading: Leading[int]) -> None:
        holds.append([])
        while group:
            holds[-1].append([r.n for r in group if isinstance(r, Numbered)])
            if len(holds) == 1 and len(holds[0]) == 1:
                release.wait(60)
            for r in group:
                if isinstance(r, Numbered) and r.n == 7:
                    r.fail(ValueError("seven"))
                elif isinstance(r, Numbered):
                    r.succeed(r.n * 10)
            leading.wake(group)
            if len(holds) == 1 and len(holds[0]) == 1:
                wait_until(lambda: 0 in results)  # woken before the hold ends
            group = leading.more()

    queue: GroupQueue[int] = GroupQueue(process, limit=4, rounds=3)

    def submit(n: int) -> None:
        try:
            results[n] = queue.submit(Numbered(n))
        except ValueError as exc:
            results[n] = exc

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(11)]
    for n, t in enumerate(threads):
        t.start()
        wait_until(lambda n=n: queue.stats.waiting == n + 1)  # type: ignore[misc]
    release.set()
    for t in threads:
        t.join(timeout=60)
    assert holds == [[[0], [1, 2, 3, 4], [5, 6, 7, 8]], [[9, 10]]]
    assert {n: r for n, r in results.items() if n != 7} == {n: n * 10 for n in range(11) if n != 7}
    assert isinstance(results[7], ValueError) and queue.stats.waiting == 0
    assert queue.submit(Numbered(11)) == 110  # the committer, idle or started anew, takes it alone
    assert holds[-1] == [[11]]


def test_a_committer_that_cannot_start_fails_its_write_and_the_next_write_starts_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No thread can be had for the committer (resource exhaustion): that write fails, and the queue does not
    take the unstarted thread for a running committer, which would leave every later write waiting."""
    from igsn_graph.registry.group import GroupQueue, Leading, Request

    def process(group: list[Request[int]], leading: Leading[int]) -> None:
        for r in group:
            r.succeed(1)

    queue: GroupQueue[int] = GroupQueue(process)
    start = threading.Thread.start

    def failing(thread: threading.Thread) -> None:
        if thread.name == "group-commit":
            raise RuntimeError("can't start new thread")
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", failing)
    with pytest.raises(RuntimeError, match="can't start new thread"):
        queue.submit(Request())
    monkeypatch.undo()
    assert queue.stats.waiting == 0
    results: list[int] = []
    later = threading.Thread(target=lambda: results.append(queue.submit(Request())), daemon=True)
    later.start()
    later.join(timeout=60)
    assert results == [1]


def test_a_forked_child_gets_a_committer_of_its_own() -> None:
    """A child forked while the parent's committer waits for work has no such thread: its writes start one."""
    import os

    from igsn_graph.registry.group import GroupQueue, Leading, Request

    def process(group: list[Request[int]], leading: Leading[int]) -> None:
        for r in group:
            r.succeed(os.getpid())

    queue: GroupQueue[int] = GroupQueue(process)
    assert queue.submit(Request()) == os.getpid()  # the parent's committer now idles for a second
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports by its exit status
        ok = False
        try:
            done = threading.Thread(target=lambda: setattr(done, "result", queue.submit(Request())), daemon=True)
            done.start()
            done.join(10)
            ok = getattr(done, "result", None) == os.getpid()
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
