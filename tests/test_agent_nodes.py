"""Agents are nodes: a person or organisation with a resolvable identifier is one node across the graph — every
sample naming it and every registry account carrying it point at its identifier IRI; names without one stay
local; affiliations only where schema.org allows them."""

from __future__ import annotations

import pytest

from igsn_graph import relations
from igsn_graph.agent_ids import agent_iri, any_agent_iri
from igsn_graph.errors import InvalidInput
from igsn_graph.record import Agent, Contributor, Curation, Identifier, SampleRecord
from igsn_graph.registry.accounts import ADMIN
from igsn_graph.registry.service import Registry, Submission

ROR = "https://ror.org/04qz1ed08"
ORCID = "https://orcid.org/0000-0002-1825-0097"


@pytest.mark.parametrize(
    "value,scheme,iri",
    [
        ("0000-0002-1825-0097", "ORCID", ORCID),
        ("https://orcid.org/0000-0002-1825-0097", "ORCID", ORCID),
        ("orcid:0000-0002-1825-0097", "ORCID", ORCID),
        ("http://orcid.org/0000-0002-1825-0097", "URL", ORCID),
        ("04qz1ed08", "ROR", ROR),
        ("https://ror.org/04QZ1ED08", "ROR", ROR),
        ("https://ror.org/04qz1ed08", None, ROR),
        ("0000 0001 2103 4996", "ISNI", "https://isni.org/isni/0000000121034996"),
        ("https://isni.org/isni/000000012103499X", "URL", "https://isni.org/isni/000000012103499X"),
        ("https://www.wikidata.org/wiki/Q1", None, "http://www.wikidata.org/entity/Q1"),
        ("Jane Doe", None, None),
        ("04qz1ed08", "ORCID", None),
        ("1234", "ROR", None),
        ("x", "VIAF", None),
    ],
)
def test_agent_iri(value: str, scheme: str | None, iri: str | None) -> None:
    assert agent_iri(value, scheme) == iri


def test_any_agent_iri_reads_api_paths() -> None:
    assert any_agent_iri("0000-0002-1825-0097") == ORCID
    assert any_agent_iri("04qz1ed08") == ROR
    assert any_agent_iri("0000000121034996") == "https://isni.org/isni/0000000121034996"
    with pytest.raises(InvalidInput):
        relations.normal_agent("not an id")


def _org(name: str) -> Agent:
    return Agent(name, Identifier(ROR, "ROR"), kind="Organization")


def test_two_samples_naming_one_organisation_share_its_node(registry: Registry) -> None:
    person = Agent("Doe, J.", Identifier("0000-0002-1825-0097", "ORCID"), _org("CSIRO Mineral Resources"), "Person")
    records = [
        SampleRecord("ZTA-AG1", name="a", collectors=[person]),
        SampleRecord(
            "ZTA-AG2",
            name="b",
            curations=[Curation("store", institution=_org("CSIRO"))],
            contributors=[Contributor(Agent("Jane Roe"), "ContactPerson")],
        ),
        SampleRecord(
            "ZTA-AG3",
            name="c",
            registrant=Agent("Division", Identifier("https://ror.org/04qz1ed08", "URL"), _org("CSIRO"), "Organization"),
        ),
    ]
    assert all(o.ok for o in registry.register(ADMIN, [Submission(r, "test") for r in records], strict=False))
    base = registry.iris.base
    rows = registry.store.query(f"""PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT DISTINCT ?s WHERE {{ GRAPH ?g {{ ?s prov:wasAttributedTo <{ROR}> }} }} ORDER BY ?s""")
    assert [r["s"].value for r in rows] == [base + "ZTA-AG1", base + "ZTA-AG2", base + "ZTA-AG3"]  # type: ignore[attr-defined]
    # the shared node is typed; a name without an identifier stays inside its own sample
    assert bool(
        registry.store.query(f"""PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX schema: <https://schema.org/> ASK {{ GRAPH ?g {{ <{ROR}> a prov:Agent, schema:Organization }} }}""")
    )
    local = registry.store.query("""PREFIX schema: <https://schema.org/>
        SELECT ?n WHERE { GRAPH ?g { ?n schema:name "Jane Roe" } }""")
    assert [r["n"].value for r in local] == [base + "ZTA-AG2#contributor-1-agent"]  # type: ignore[attr-defined]
    # schema:affiliation for a person, schema:parentOrganization for an organisation (its domain is Organization)
    assert bool(
        registry.store.query(f"""PREFIX schema: <https://schema.org/> ASK {{ GRAPH ?g {{
        <{base}ZTA-AG1#collector-1> schema:affiliation ?a }} }}""")
    )
    assert bool(
        registry.store.query(f"""PREFIX schema: <https://schema.org/> ASK {{ GRAPH ?g {{
        <{base}ZTA-AG3#registrant> schema:parentOrganization ?p
        FILTER NOT EXISTS {{ <{base}ZTA-AG3#registrant> schema:affiliation ?x }} }} }}""")
    )
    # the record reads back unchanged, affiliation and all
    assert registry.record("ZTA-AG3").registrant.affiliation.name == "CSIRO"  # type: ignore[union-attr]
    # every sample of the organisation by any form of its identifier
    for written in ("04qz1ed08", ROR, "https://ror.org/04QZ1ED08"):
        assert [s.igsn for s in relations.agent_samples(registry, written)] == ["ZTA-AG1", "ZTA-AG2", "ZTA-AG3"]


def test_a_registry_account_with_a_ror_points_at_the_same_node(registry: Registry) -> None:
    registry.publish_accounts()
    account = registry.iris.agent("ZTEST")
    sameas = [
        t.object.value
        for t in registry.store.graph(registry.iris.accounts_graph())
        if t.subject == account and t.predicate.value == "https://schema.org/sameAs"
    ]
    assert sameas == ["https://ror.org/00test000"]
