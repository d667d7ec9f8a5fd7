"""index.catalogue: datestamps never step back; rows follow the registry facts."""

from __future__ import annotations

from datetime import datetime, timezone

from igsn_graph.index.catalogue import format_datestamp, next_datestamp, row_from_facts
from igsn_graph.record import RegistryFacts


def test_datestamps_are_whole_utc_seconds() -> None:
    moment = datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=timezone.utc)
    assert format_datestamp(moment) == "2026-03-04T05:06:07Z"


def test_clock_stepping_back_does_not_move_datestamps_back() -> None:
    later = "2026-03-04T05:06:10Z"
    now = datetime(2026, 3, 4, 5, 6, 0, tzinfo=timezone.utc)
    assert next_datestamp(later, now) == later
    assert next_datestamp("2026-03-04T05:05:00Z", now) == "2026-03-04T05:06:00Z"
    assert next_datestamp(None, now) == "2026-03-04T05:06:00Z"


def test_rows_follow_the_facts() -> None:
    base = RegistryFacts(igsn="ZA1", agent="ZA", client="ZA.B", namespace="ZAB", datestamp="2026-01-01T00:00:00Z")
    row = row_from_facts(base, 3)
    assert (row.status, row.deleted, row.has_url, row.test, row.version) == ("active", False, False, False, 3)
    gone = row_from_facts(RegistryFacts(**{**base.__dict__, "active": False}), 4)
    assert gone.status == "inactive" and gone.deleted
    private = row_from_facts(RegistryFacts(**{**base.__dict__, "is_public": False}), 4)
    assert private.status == "active" and private.deleted
    destroyed = row_from_facts(RegistryFacts(**{**base.__dict__, "lifecycle": "destroyed"}), 4)
    assert destroyed.status == "destroyed" and not destroyed.deleted
    test = row_from_facts(RegistryFacts(**{**base.__dict__, "namespace": "TEST", "client": None}), 1)
    assert test.test
