"""relations: hand-built hierarchies (diamonds, deep chains, cross-agent links), inverse links computed at read
time, links to datasets and agents, and the registration rule against parent cycles."""

from __future__ import annotations

import pytest

from igsn_graph import relations
from igsn_graph.errors import InvalidInput, InvalidRecord
from igsn_graph.record import Agent, Identifier, Relation, SampleRecord
from igsn_graph.registry.accounts import ADMIN, Principal
from igsn_graph.registry.service import Registry, Submission
from tests.conftest import AGENT, CLIENT_ONE, OTHER

ONE = Principal("client", CLIENT_ONE[0], AGENT[0])
OTHER_P = Principal("agent", OTHER[0], OTHER[0])
ORCID = "https://orcid.org/0000-0002-1825-0097"


def sample(igsn: str, *parents: str, **kw: object) -> Submission:
    return Submission(SampleRecord(igsn, name=f"sample {igsn}", parents=list(parents), **kw), "test")  # type: ignore[arg-type]


def put(registry: Registry, *subs: Submission, principal: Principal = ADMIN) -> None:
    outcomes = registry.register(principal, list(subs))
    assert all(o.ok for o in outcomes), outcomes


def names(nodes: list[relations.Node]) -> list[tuple[str, int]]:
    return [(n.igsn, n.depth) for n in nodes]


@pytest.mark.both_databases
def test_diamond_each_sample_once_at_its_nearest_depth(registry: Registry) -> None:
    #      A
    #     / \
    #    B   C
    #     \ / \
    #      D   |
    #      |   |
    #      E---+   (E has parents D and C: C is at depth 1 and 2 from E, reported at 1)
    put(
        registry,
        sample("ZTA-A"),
        sample("ZTA-B", "ZTA-A"),
        sample("ZTA-C", "ZTA-A"),
        sample("ZTA-D", "ZTA-B", "ZTA-C"),
        sample("ZTA-E", "ZTA-D", "ZTA-C"),
    )
    assert names(relations.descendants(registry, "ZTA-A")) == [("ZTA-B", 1), ("ZTA-C", 1), ("ZTA-D", 2), ("ZTA-E", 2)]
    assert names(relations.ancestors(registry, "ZTA-E")) == [("ZTA-C", 1), ("ZTA-D", 1), ("ZTA-A", 2), ("ZTA-B", 2)]
    assert names(relations.descendants(registry, "ZTA-A", 1)) == [("ZTA-B", 1), ("ZTA-C", 1)]
    assert relations.parents(registry, "ZTA-D") == ["ZTA-B", "ZTA-C"]
    assert relations.children(registry, "ZTA-C") == ["ZTA-D", "ZTA-E"]
    # keyset pages of descendants join up to the whole list
    first = relations.descendants(registry, "ZTA-A", limit=3)
    rest = relations.descendants(registry, "ZTA-A", after=(first[-1].depth, first[-1].igsn))
    assert names(first + rest) == names(relations.descendants(registry, "ZTA-A"))


def test_deep_chain_and_depth_limits(registry: Registry) -> None:
    chain = [f"ZTA-L{i:03d}" for i in range(120)]
    put(registry, sample(chain[0]), *[sample(chain[i], chain[i - 1]) for i in range(1, len(chain))])
    down = relations.descendants(registry, chain[0])
    assert [n.igsn for n in down] == chain[1:] and down[-1].depth == 119
    up = relations.ancestors(registry, chain[-1], 10)
    assert names(up) == [(chain[-1 - d], d) for d in range(1, 11)]
    with pytest.raises(InvalidInput):
        relations.descendants(registry, chain[0], 0)


def test_inverse_links_are_read_not_written(registry: Registry) -> None:
    put(registry, Submission(SampleRecord("ZTA-COLL", kind="Collection", name="suite"), "test"), sample("ZTA-P"))
    before = {n: registry.row(n) for n in ("ZTA-COLL", "ZTA-P")}
    # another agent's sample names ours as parent, collection and source: the inverse appears on ours
    put(
        registry,
        sample(
            "ZO-X",
            "ZTA-P",
            collections=["ZTA-COLL"],
            relations=[
                Relation("10273/ZTA-P", "IGSN", "IsDerivedFrom"),
                Relation("https://doi.org/10.5072/Data.1", "DOI", "IsCitedBy"),
            ],
        ),
        principal=OTHER_P,
    )
    assert {n: registry.row(n) for n in before} == before  # datestamps and versions unchanged
    got = {(x.kind, x.relation_type, x.identifier, x.inferred) for x in relations.related(registry, "ZTA-P")}
    assert got == {("child", "IsSourceOf", "ZO-X", True)}  # stated twice over there (parent, relation): once here
    coll = relations.related(registry, "ZTA-COLL")
    assert [(x.kind, x.relation_type, x.identifier, x.inferred) for x in coll] == [("member", "HasPart", "ZO-X", True)]
    mine = {(x.kind, x.relation_type, x.identifier, x.inferred) for x in relations.related(registry, "ZO-X")}
    # the IsDerivedFrom relation made ZTA-P a parent (links.py): one link, not a parent and a related twin
    assert mine == {
        ("parent", "IsDerivedFrom", "ZTA-P", False),
        ("collection", "IsPartOf", "ZTA-COLL", False),
        ("related", "IsCitedBy", "10.5072/data.1", False),
    }
    # a link stated on both sides is shown once, as stated
    put(
        registry,
        Submission(
            SampleRecord("ZTA-COLL", kind="Collection", name="suite", relations=[Relation("ZO-X", "IGSN", "HasPart")]),
            "test",
        ),
    )
    coll = relations.related(registry, "ZTA-COLL")
    assert [(x.relation_type, x.identifier, x.inferred) for x in coll] == [("HasPart", "ZO-X", False)]


def test_inverse_types_come_from_the_table() -> None:
    pairs = {
        "IsPartOf": "HasPart",
        "IsDerivedFrom": "IsSourceOf",
        "IsCitedBy": "Cites",
        "IsDocumentedBy": "Documents",
        "IsReferencedBy": "References",
        "HasPart": "IsPartOf",
    }
    assert {k: relations.inverse_of(k) for k in pairs} == pairs


def test_samples_related_to_a_dataset_with_descendants(registry: Registry) -> None:
    doi = "10.5072/DATASET.7"
    put(
        registry,
        sample("ZTA-R", relations=[Relation(f"doi:{doi}", "DOI", "IsReferencedBy")]),
        sample("ZTA-R1", "ZTA-R"),
        sample("ZTA-R2", "ZTA-R1"),
        sample("ZTA-U", relations=[Relation("https://example.org/report", "URL", "IsDocumentedBy")]),
    )
    for written in (doi, doi.lower(), f"https://doi.org/{doi}", f"doi:{doi}"):
        assert relations.samples_related_to(registry, written) == [("ZTA-R", "IsReferencedBy", False)]
    assert relations.samples_related_to(registry, doi, descendants_too=True) == [
        ("ZTA-R", "IsReferencedBy", False),
        ("ZTA-R1", "IsReferencedBy", True),
        ("ZTA-R2", "IsReferencedBy", True),
    ]
    assert relations.samples_related_to(registry, "https://example.org/report") == [("ZTA-U", "IsDocumentedBy", False)]
    assert relations.samples_related_to(registry, "10.5072/other") == []


@pytest.mark.both_databases
def test_agents_by_orcid_and_ror(registry: Registry) -> None:
    person = Agent(
        "Doe, Jane", Identifier(ORCID, "ORCID"), Agent("Lab", Identifier("https://ror.org/02mhbdp94", "ROR")), "Person"
    )
    put(registry, sample("ZTA-G1", collectors=[person]), sample("ZTA-G2"))
    assert [(s.igsn, s.role) for s in relations.agent_samples(registry, "0000-0002-1825-0097")] == [
        ("ZTA-G1", "Collector")
    ]
    assert [s.igsn for s in relations.agent_samples(registry, ORCID)] == ["ZTA-G1"]
    assert [(s.igsn, s.role) for s in relations.agent_samples(registry, "02mhbdp94")] == [("ZTA-G1", "Affiliation")]
    with pytest.raises(InvalidInput):
        relations.agent_samples(registry, "jane")


def test_private_and_inactive_samples_are_not_followed(registry: Registry) -> None:
    put(
        registry,
        sample("ZTA-M"),
        sample("ZTA-M1", "ZTA-M"),
        sample("ZTA-M2", "ZTA-M", is_public=False),
        sample("ZTA-M3", "ZTA-M", relations=[Relation("10.5072/x", "DOI", "IsCitedBy")]),
    )
    assert relations.children(registry, "ZTA-M") == ["ZTA-M1", "ZTA-M3"]
    registry.deactivate(ADMIN, "ZTA-M3")
    assert relations.children(registry, "ZTA-M") == ["ZTA-M1"]
    assert relations.samples_related_to(registry, "10.5072/x") == []
    assert [(x.kind, x.identifier) for x in relations.related(registry, "ZTA-M")] == [("child", "ZTA-M1")]
    registry.reactivate(ADMIN, "ZTA-M3")
    assert relations.children(registry, "ZTA-M") == ["ZTA-M1", "ZTA-M3"]


@pytest.mark.both_databases
def test_parent_cycles_are_refused(registry: Registry) -> None:
    with pytest.raises(InvalidRecord, match="cycle: ZTA-S → ZTA-S"):
        put(registry, sample("ZTA-S", "ZTA-S"))
    put(registry, sample("ZTA-C1"), sample("ZTA-C2", "ZTA-C1"), sample("ZTA-C3", "ZTA-C2"))
    # closing the loop through registered samples
    with pytest.raises(InvalidRecord, match=r"cycle: ZTA-C1 → ZTA-C3 → ZTA-C2 → ZTA-C1"):
        put(registry, sample("ZTA-C1", "ZTA-C3"))
    # within one batch, in a bulk load: both refused, the rest stored
    out = registry.register(
        ADMIN, [sample("ZTA-B1", "ZTA-B2"), sample("ZTA-B2", "ZTA-B1"), sample("ZTA-B3", "ZTA-B1")], strict=False
    )
    by_name = {o.igsn: o for o in out}
    assert not by_name["ZTA-B1"].ok and not by_name["ZTA-B2"].ok and "cycle" in by_name["ZTA-B1"].reasons[0]
    assert by_name["ZTA-B3"].ok and registry.row("ZTA-B1") is None
    # through a private sample, which the public does not see but the rule does
    put(registry, sample("ZTA-H1"), sample("ZTA-H2", "ZTA-H1", is_public=False))
    with pytest.raises(InvalidRecord, match="cycle"):
        put(registry, sample("ZTA-H1", "ZTA-H2"))
    # re-registering a sample with its same parents is no cycle; moving it under another branch neither
    put(registry, sample("ZTA-C3", "ZTA-C2"), sample("ZTA-C3", "ZTA-C1"))
    assert relations.parents(registry, "ZTA-C3") == ["ZTA-C1"]
    assert registry.row("ZTA-C1").version == 1  # type: ignore[union-attr]
