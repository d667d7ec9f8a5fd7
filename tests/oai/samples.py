"""Sample records and registration helpers for the OAI-PMH tests (accounts of ``tests/conftest.py``)."""

from __future__ import annotations

from dataclasses import replace

from igsn_graph.record import (
    Agent,
    Classification,
    Curation,
    Geometry,
    Identifier,
    LogEvent,
    Place,
    Relation,
    SampleRecord,
    TimeSpan,
)
from igsn_graph.registry.accounts import Principal
from igsn_graph.registry.service import Registry, Submission
from tests.conftest import AGENT, CLIENT_ONE, CLIENT_TWO, OTHER

ONE = Principal("client", CLIENT_ONE[0], AGENT[0])
TWO = Principal("client", CLIENT_TWO[0], AGENT[0])
AGENT_P = Principal("agent", AGENT[0], AGENT[0])
OTHER_P = Principal("agent", OTHER[0], OTHER[0])
#: the landing page host each principal may use
URL_BASE = {
    ONE: "https://example.org/s/",
    TWO: "https://two.example.net/s/",
    AGENT_P: "https://agent.example.net/s/",
    OTHER_P: "https://other.example.net/s/",
}


def rich(igsn: str, **changes: object) -> SampleRecord:
    """A description with something for every Dublin Core element of the table."""
    record = SampleRecord(
        igsn=igsn,
        name=f"Core section {igsn}",
        description="Half-round core section.",
        collectors=[
            Agent(
                "Doe, Jane",
                Identifier("https://orcid.org/0000-0000-0000-0001", "ORCID"),
                Agent("Test University", Identifier("https://ror.org/00test000", "ROR"), kind="Organization"),
                kind="Person",
            )
        ],
        curations=[Curation(curator="Smith, Ann", institution=Agent("Core Store", kind="Organization"))],
        geometries=[
            Geometry("POINT(10.5 45.25)", srid="4326"),
            Geometry("POLYGON((10 40, 12 40, 12 42, 10 42, 10 40))", srid="4326"),
        ],
        places=[Place("Alps")],
        materials=["http://vocabulary.odm2.org/medium/rock"],
        resource_types=["http://vocabulary.odm2.org/specimentype/core/"],
        collection_time=TimeSpan(start="2019-05-01", end="2019-05-03"),
        classifications=[Classification("basalt")],
        comments="Kept frozen.",
        relations=[
            Relation("10.5072/PAPER1", "DOI", "IsCitedBy"),
            Relation("https://example.org/data/1", "URL", "IsReferencedBy"),
        ],
        log=[LogEvent("registered", "2015-03-04T10:00:00Z")],
    )
    return replace(record, **changes)  # type: ignore[arg-type]


def minimal(igsn: str) -> SampleRecord:
    """What a registration kernel carries: a name, no description (the registry fills registrant and name)."""
    return SampleRecord(igsn=igsn)


def register(registry: Registry, principal: Principal, *records: SampleRecord) -> None:
    subs = [Submission(r, "igsn_desc", None, URL_BASE[principal] + r.igsn) for r in records]
    outcomes = registry.register(principal, subs)
    assert all(o.ok for o in outcomes), outcomes


def at(registry: Registry, stamp: str) -> None:
    """Makes the next write carry datestamp ``stamp`` (datestamps never go back: a stamp ahead of the clock wins)."""
    registry.db.set_meta("last_datestamp", stamp)
