"""links: every written form of an IGSN in a relation becomes a link to that sample's IRI, and the relation
semantics table (mappings/relation_semantics.csv) decides parent, collection or related — through the real
registry and store, for the registration kernel's MDS-style parent links and CSIRO v3 IsDerivedFrom."""

from __future__ import annotations

import pytest

from igsn_graph import links, relations
from igsn_graph.codelists import relation_types
from igsn_graph.formats.kernels import read_xml
from igsn_graph.record import Relation, SampleRecord
from igsn_graph.registry.accounts import ADMIN
from igsn_graph.registry.service import Registry, Submission

PARENT_FORMS = [
    ("ZTA-P1", "IGSN"),
    ("10273/ZTA-P1", "Handle"),
    ("10273/zta-p1", "handle"),
    ("hdl:10273/ZTA-P1", "Handle"),
    ("https://hdl.handle.net/10273/ZTA-P1", "URL"),
    ("https://hdl.handle.net/10273/ZTA-P1", "Handle"),
    ("igsn:ZTA-P1", "IGSN"),
    ("https://igsn.org/ZTA-P1", "URL"),
    ("https://igsn.org/10273/ZTA-P1", None),
    ("https://n2t.net/igsn:ZTA-P1", "URL"),
    ("10.58052/ZTA-P1", "DOI"),
    ("https://doi.org/10.58052/ZTA-P1", "URL"),
    ("doi:10.99990/ZTA-P1", "DOI"),  # a DOI prefix of an agent registered here
    ("https://igsn.example.org/ZTA-P1", "URL"),  # our own IRI base
]


@pytest.mark.parametrize("written,kind", PARENT_FORMS)
def test_every_written_form_names_the_sample(written: str, kind: str | None) -> None:
    assert links.igsn_named(written, kind, doi_prefixes={"10.99990"}, iri_base="https://igsn.example.org/") == "ZTA-P1"


@pytest.mark.parametrize(
    "written,kind",
    [
        ("10.5880/GFZ.1.2.2016.001", "DOI"),  # a dataset DOI is not a sample
        ("https://doi.org/10.1594/PANGAEA.1", "URL"),
        ("20.500.12345/ABC", "Handle"),  # a handle outside the IGSN prefixes
        ("https://hdl.handle.net/20.500.12345/ABC", "URL"),
        ("https://example.org/ZTA-P1", "URL"),
        ("urn:isbn:123", "URN"),
        ("10273/has space", "Handle"),
        ("ZTA-P1", "URL"),  # a bare name typed URL is not an IGSN
    ],
)
def test_other_identifiers_name_no_sample(written: str, kind: str) -> None:
    assert links.igsn_named(written, kind, iri_base="https://igsn.example.org/") is None


def test_the_semantics_table_is_data_a_curator_can_read() -> None:
    table = links.relation_semantics()
    assert table.rows, "mappings/relation_semantics.csv is empty"
    for row in table.rows:
        assert row.link in links.LINKS and row.relation_type in relation_types().types, row
        assert row.source.strip(), f"{row}: every row says where its meaning comes from"
    assert table.link("igsn", "IsPartOf") == "parent"  # the IGSN MDS way of naming a parent
    assert table.link("datacite", "IsPartOf") == "collection"
    assert table.link("csirov3", "IsDerivedFrom") == "parent"
    assert table.link("csirov3", "IsCitedBy") == "related"
    assert table.link(None, None) == "related"


def test_resolve_marks_the_sample_and_keeps_the_written_form() -> None:
    record = SampleRecord(
        "ZTA-C1",
        relations=[
            Relation("10273/ZTA-P1", "Handle", "IsPartOf"),
            Relation("10.5880/X.1", "DOI", "IsCitedBy"),
            Relation("10273/ZTA-C1", "Handle", "IsPartOf"),
        ],
    )  # a link to itself is no parent
    got = links.resolve(record, "igsn")
    assert got.parents == ["ZTA-P1"] and got.collections == []
    assert [(r.identifier, r.igsn) for r in got.relations] == [
        ("10273/ZTA-P1", "ZTA-P1"),
        ("10.5880/X.1", None),
        ("10273/ZTA-C1", "ZTA-C1"),
    ]
    assert links.resolve(got, "igsn") == got  # idempotent
    assert links.resolve(record, "datacite").collections == ["ZTA-P1"]


MDS_CHILD = """<?xml version="1.0" encoding="UTF-8"?>
<sample xmlns="http://igsn.org/schema/kernel-v.1.0">
  <sampleNumber identifierType="igsn">10273/ZTA-MDSCHILD</sampleNumber>
  <registrant><registrantName>Test Agent</registrantName></registrant>
  <relatedResourceIdentifiers>
    <relatedIdentifier relatedIdentifierType="handle" relationType="IsPartOf">10273/ZTA-MDSPARENT</relatedIdentifier>
  </relatedResourceIdentifiers>
  <log><logElement event="submitted" timeStamp="2024-01-01T00:00:00Z"/></log>
</sample>"""

CSIRO_CHILD = """<?xml version="1.0" encoding="UTF-8"?>
<resources xmlns="https://igsn.csiro.au/schemas/3.0">
 <resource registeredObjectType="http://pid.geoscience.gov.au/def/voc/igsn-codelists/PhysicalSample">
  <resourceIdentifier>ZTA-CSCHILD</resourceIdentifier>
  <landingPage>https://example.org/cschild</landingPage>
  <isPublic>true</isPublic>
  <resourceTitle>Split of a core</resourceTitle>
  <resourceTypes><resourceType>http://vocabulary.odm2.org/specimentype/core/</resourceType></resourceTypes>
  <materialTypes><materialType>http://vocabulary.odm2.org/medium/rock</materialType></materialTypes>
  <relatedResources>
   <relatedResource relatedResourceIdentifierType="http://pid.geoscience.gov.au/def/voc/igsn-codelists/IGSN"
     relationType="http://pid.geoscience.gov.au/def/voc/igsn-codelists/IsDerivedFrom">ZTA-MDSPARENT</relatedResource>
  </relatedResources>
  <logDate eventType="registered">2024-01-01</logDate>
 </resource>
</resources>"""


def _register_xml(registry: Registry, data: str) -> None:
    doc = read_xml(data.encode())
    outcomes = registry.register(
        ADMIN, [Submission(r, doc.format.name, data.encode()) for r in doc.records], strict=False
    )
    assert all(o.ok for o in outcomes), outcomes


def test_mds_style_and_csiro_parents_link_samples_registered_before_their_parent(registry: Registry) -> None:
    _register_xml(registry, MDS_CHILD)
    _register_xml(registry, CSIRO_CHILD)
    child_version = registry.row("ZTA-MDSCHILD").version  # type: ignore[union-attr]
    # the parent registers later: nothing about the children is rewritten, yet they are its children
    assert registry.register(ADMIN, [Submission(SampleRecord("ZTA-MDSPARENT", name="core"), "test")])[0].ok
    assert registry.row("ZTA-MDSCHILD").version == child_version  # type: ignore[union-attr]
    assert relations.children(registry, "ZTA-MDSPARENT") == ["ZTA-CSCHILD", "ZTA-MDSCHILD"]
    assert [n.igsn for n in relations.ancestors(registry, "ZTA-MDSCHILD")] == ["ZTA-MDSPARENT"]
    # the graph holds the parent's IRI (not an hdl.handle.net IRI) under ig:parent, and the relation node keeps
    # the written handle beside the link to the sample
    base = registry.iris.base
    rows = registry.store.query(
        "PREFIX ig: <https://w3id.org/igsn-graph/ontology#> "
        "SELECT ?child ?target WHERE { GRAPH ?g { ?child ig:parent ?target } } ORDER BY ?child"
    )
    got = {(row["child"].value, row["target"].value) for row in rows}  # type: ignore[attr-defined]
    assert got == {(base + "ZTA-CSCHILD", base + "ZTA-MDSPARENT"), (base + "ZTA-MDSCHILD", base + "ZTA-MDSPARENT")}
    record = registry.record("ZTA-MDSCHILD")
    assert record is not None and record.parents == ["ZTA-MDSPARENT"]
    assert [(r.identifier, r.identifier_type, r.igsn) for r in record.relations] == [
        ("10273/ZTA-MDSPARENT", "Handle", "ZTA-MDSPARENT")
    ]
    hdl = registry.store.query("ASK { GRAPH ?g { ?s ?p <https://hdl.handle.net/10273/ZTA-MDSPARENT> } }")
    assert not bool(hdl)


def test_a_cycle_through_an_mds_style_link_is_refused(registry: Registry) -> None:
    _register_xml(registry, MDS_CHILD)
    loop = SampleRecord("ZTA-MDSPARENT", name="p", relations=[Relation("10273/ZTA-MDSCHILD", "Handle", "IsPartOf")])
    outcome = registry.register(ADMIN, [Submission(loop, "igsn")], strict=False)[0]
    assert not outcome.ok and "cycle" in " ".join(outcome.reasons)


def test_the_landing_page_links_the_parent_to_its_page_here(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient
    from lxml import html

    from api.app import create_app
    from tests.conftest import fresh_settings

    settings = fresh_settings(tmp_path)
    with Registry(settings) as registry:
        _register_xml(registry, MDS_CHILD)
    with TestClient(create_app(settings)) as client:
        page = client.get("/ZTA-MDSCHILD", headers={"Accept": "text/html"})
        assert page.status_code == 200
        hrefs = [a.get("href") for a in html.fromstring(page.content).iter("a")]
        assert "/ZTA-MDSPARENT" in hrefs  # registered or not yet: the link goes to its page here
        assert not any("hdl.handle.net/10273/ZTA-MDSPARENT" in (h or "") for h in hrefs)


def test_the_readme_shows_every_row_of_the_semantics_table() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    rows = [line for line in readme.splitlines() if line.startswith("| ") and "`Is" in line]
    for row in links.relation_semantics().rows:
        shown = "any" if row.format == "*" else f"(`{row.format}`)"
        assert any(shown in line and f"`{row.relation_type}`" in line and f"| {row.link}" in line for line in rows), row


def test_a_document_that_writes_the_test_prefix_registers_only_test_names(registry: Registry) -> None:
    """20.500.11812/NAME in a document is a test identifier: never a real registration of NAME (business rule
    checked per record, whatever the format)."""
    kernel = MDS_CHILD.replace("10273/ZTA-MDSCHILD", "20.500.11812/ZTA-PREFIXED")
    doc = read_xml(kernel.encode())
    [outcome] = registry.register(ADMIN, [Submission(doc.records[0], "igsn", kernel.encode())], strict=False)
    assert not outcome.ok and "test prefix" in outcome.reasons[0] and registry.row("ZTA-PREFIXED") is None
