"""A small populated registry for the generated tests (schemathesis, hypothesis).

Public samples with parents (a diamond), boxes on both sides of the antimeridian and collection times of
every W3CDTF precision; besides them a private sample, a deactivated one and one of another agent. The
boxes and time spans are kept here, so that tests can compute which samples a search must find.
"""

from __future__ import annotations

from dataclasses import dataclass

from igsn_graph.record import Agent, Geometry, Identifier, Relation, SampleRecord, TimeSpan
from igsn_graph.registry.accounts import ADMIN, Principal
from igsn_graph.registry.service import Registry, Submission, init_data_dir
from igsn_graph.settings import Settings
from tests.conftest import OTHER, add_test_accounts

__all__ = ["DATASET", "FINDABLE", "GONE", "ORCID", "PRIVATE", "ROOT", "Findable", "populate"]

ORCID = "https://orcid.org/0000-0002-1825-0097"
DATASET = "10.5072/DATA.1"
ROOT, PRIVATE, GONE = "ZTA-ROOT", "ZTA-PRIV", "ZTA-GONE"


@dataclass(frozen=True)
class Findable:
    """What search knows of a public sample: its box (west, east, south, north) and collection days."""

    igsn: str
    box: tuple[float, float, float, float] | None
    first_day: str | None
    last_day: str | None


def _record(igsn: str, wkt: str | None, time: TimeSpan | None, parents: list[str], **extra: object) -> SampleRecord:
    person = Agent("Doe, Jane", Identifier(ORCID, "ORCID"), kind="Person")
    return SampleRecord(
        igsn,
        name=f"sample {igsn.lower()}",
        description="basalt core from the test set",
        geometries=[Geometry(wkt)] if wkt else [],
        collection_time=time,
        parents=parents,
        collectors=[person],
        **extra,
    )  # type: ignore[arg-type]


#: (record, what search must know of it)
_PUBLIC: list[tuple[SampleRecord, Findable]] = [
    (
        _record(
            ROOT, "POINT (10 45)", TimeSpan(instant="2019"), [], relations=[Relation(DATASET, "DOI", "IsReferencedBy")]
        ),
        Findable(ROOT, (10, 10, 45, 45), "2019-01-01", "2019-12-31"),
    ),
    (
        _record(
            "ZTA-K1",
            "POLYGON ((-20 -10, 30 -10, 30 20, -20 20, -20 -10))",
            TimeSpan(start="2020-05", end="2020-07-15"),
            [ROOT],
        ),
        Findable("ZTA-K1", (-20, 30, -10, 20), "2020-05-01", "2020-07-15"),
    ),
    (
        _record("ZTA-K2", "POINT (179.5 -60)", TimeSpan(instant="2021-03-04"), [ROOT]),
        Findable("ZTA-K2", (179.5, 179.5, -60, -60), "2021-03-04", "2021-03-04"),
    ),
    (
        _record(
            "ZTA-K3",
            "POINT (-179.5 -61)",
            TimeSpan(start="2018-12-31T10:00:00Z", end="2019-01-02"),
            ["ZTA-K1", "ZTA-K2"],
        ),
        Findable("ZTA-K3", (-179.5, -179.5, -61, -61), "2018-12-31", "2019-01-02"),
    ),
    (
        _record("ZTA-K4", "POLYGON ((100 60, 120 60, 120 80, 100 80, 100 60))", None, ["ZTA-K3"]),
        Findable("ZTA-K4", (100, 120, 60, 80), None, None),
    ),
    (
        _record("ZTA-K5", None, TimeSpan(start="1999", end="2001-06"), ["ZTA-K3"]),
        Findable("ZTA-K5", None, "1999-01-01", "2001-06-30"),
    ),
    (
        _record("ZTA-K6", "POINT (-75.25 -33.5)", TimeSpan(instant="1987-02"), ["ZTA-K4"]),
        Findable("ZTA-K6", (-75.25, -75.25, -33.5, -33.5), "1987-02-01", "1987-02-31"),
    ),
]
#: the samples a search may find, by IGSN
FINDABLE: dict[str, Findable] = {f.igsn: f for _, f in _PUBLIC}
#: the other agent's public sample (a child of ZTA-K3), findable too
_OTHER = _record(
    "ZO-CROSS", "POINT (0 0)", TimeSpan(instant="2022"), ["ZTA-K3"], relations=[Relation(ROOT, "IGSN", "IsPartOf")]
)
FINDABLE["ZO-CROSS"] = Findable("ZO-CROSS", (0, 0, 0, 0), "2022-01-01", "2022-12-31")


def populate(settings: Settings) -> None:
    """Initialises the data folder of ``settings`` with the test accounts and the samples; closes it again."""
    init_data_dir(settings, repository_id="test.igsn-graph.org")
    registry = Registry(settings)
    try:
        add_test_accounts(registry)
        records = [r for r, _ in _PUBLIC] + [
            _record(GONE, "POINT (5 5)", TimeSpan(instant="2019"), [ROOT]),
            _record(PRIVATE, "POINT (5 5)", TimeSpan(instant="2019"), [ROOT], is_public=False),
        ]
        outcomes = registry.register(ADMIN, [Submission(r, "test") for r in records])
        assert all(o.ok for o in outcomes), [o.reasons or o.violations for o in outcomes if not o.ok]
        other = registry.register(Principal("agent", OTHER[0], OTHER[0]), [Submission(_OTHER, "test")])
        assert other[0].ok, other[0].reasons or other[0].violations
        registry.deactivate(ADMIN, GONE)
    finally:
        registry.close()
