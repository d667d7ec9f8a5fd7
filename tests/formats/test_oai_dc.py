"""Dublin Core of a sample: what each element is filled from (mappings/oai_dc.csv), on real records and on edge
cases; every document valid against the oai_dc XSD."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from igsn_graph.formats import oai_dc
from igsn_graph.formats.kernels import read_xml
from igsn_graph.record import Agent, Curation, Relation, SampleRecord
from tests.oai.conftest import CatalogResolver

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
IRI = "https://igsn.org/"
CSIRO_V3 = "au-research-igsn-metadata-registry/src/main/resources/static/examples/sample_csiro_v3.xml"


@pytest.fixture(scope="module")
def xsd(shared: Path) -> etree.XMLSchema:
    """oai_dc.xsd, its imports resolved offline through ../shared/schemas/catalog.xml."""
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(CatalogResolver(shared / "schemas" / "catalog.xml"))
    return etree.XMLSchema(etree.parse(str(shared / "schemas" / "oai" / "oai_dc.xsd"), parser))


def dc(record: SampleRecord, xsd: etree.XMLSchema | None = None) -> dict[str, list[str]]:
    element = oai_dc.write(record, iri_base=IRI)
    if xsd is not None:
        doc = etree.fromstring(etree.tostring(element))
        assert xsd.validate(doc), xsd.error_log
    out: dict[str, list[str]] = {}
    for child in element:
        out.setdefault(etree.QName(child).localname, []).append(child.text or "")
    return out


def test_identifiers_are_persistent_never_the_deployment_url() -> None:
    # the persistent IGSN URI and the DOI URI; the address the server answers on is no input of the writer,
    # so moving the server changes no document (issue 23)
    got = dc(SampleRecord("AU1", doi="10.1/AU1"))
    assert got["identifier"] == [IRI + "AU1", "https://doi.org/10.1/AU1"]
    assert [e.text for e in oai_dc.write(SampleRecord("AU1"), iri_base=IRI)] == [IRI + "AU1"]


def test_parents_collections_and_sample_relations_are_persistent_iris() -> None:
    record = SampleRecord(
        "AU1",
        parents=["AU0"],
        collections=["AUC"],
        relations=[Relation("10273/AU2", "Handle", "References", igsn="AU2")],
    )
    got = dc(record)
    assert {IRI + "AU0", IRI + "AUC", IRI + "AU2"} <= set(got["relation"])


def test_publisher_is_the_curating_institution_when_no_curator_is_named() -> None:
    institution = Agent("Core Store", kind="Organization")
    assert dc(SampleRecord("AU1", curations=[Curation(institution=institution)]))["publisher"] == ["Core Store"]
    named = SampleRecord("AU1", curations=[Curation("Smith, Ann", institution=institution)])
    assert dc(named)["publisher"] == ["Smith, Ann"]
    assert "publisher" not in dc(SampleRecord("AU1"))


def test_related_values_that_are_no_iri_are_text() -> None:
    record = SampleRecord(
        "AU1",
        relations=[
            Relation("10.1234/some thing", "DOI", "IsCitedBy"),
            Relation("978 3 16", "ISBN", "References"),
            Relation("https://example.org/a report.pdf", "URL", "IsDocumentedBy"),
            Relation("see the field notes", None, "Other"),
            Relation("10.1234/ok", "DOI", "IsCitedBy"),
            Relation("978-3-16", "ISBN", "References"),
            Relation("10273/AU0", "Handle", "IsDerivedFrom", igsn="AU0"),
        ],
    )
    assert dc(record)["relation"] == [
        "10.1234/some thing",
        "978 3 16",
        "https://example.org/a%20report.pdf",
        "see the field notes",
        "https://doi.org/10.1234/ok",
        "isbn:978-3-16",
        IRI + "AU0",
    ]


def test_description_kernel_description(xsd: etree.XMLSchema) -> None:
    [record] = read_xml((FIXTURES / "description-1.1" / "collection-bh12.xml").read_bytes()).records
    assert record.description
    assert dc(record, xsd)["description"][0] == record.description


def test_csiro_record_every_sample_type_and_text_relations(shared: Path, xsd: etree.XMLSchema) -> None:
    """The ARDC example names two sample types and two related resources whose value is a sentence."""
    [record] = read_xml((shared / "examples" / CSIRO_V3).read_bytes()).records
    got = dc(record, xsd)
    assert got["type"] == [
        "http://vocabulary.odm2.org/specimentype/core/",
        "http://vocabulary.odm2.org/specimentype/corePiece/",
    ]
    assert got["relation"] == ["A related resource somewhere"]  # both say the same; never n2t.net/A related…
    assert got["publisher"] == ["Curtin", "CSIRO"]
    assert all(" " not in v for v in got["identifier"])
