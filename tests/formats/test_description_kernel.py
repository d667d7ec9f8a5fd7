"""Description kernel 1.1 (and 1.0, read only) ⇄ SampleRecord: examples, fixtures, XSD, round trips, losses."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from lxml import etree

from igsn_graph.errors import InvalidRecord, UnsupportedFormat
from igsn_graph.formats import csiro
from igsn_graph.formats import description_kernel as dk
from igsn_graph.record import Agent, Contributor, Geometry, Identifier, Place, Relation, SampleRecord, TimeSpan
from igsn_graph.xmlparser import parse_xml

XSD_1_1 = "igsn/description/1.1/resource.xsd"
FIXTURES = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "description-1.1").glob("*.xml"))
#: the description-kernel records in shared/examples, each inside an OAI-PMH GetRecord envelope
EXAMPLES = {
    # namespace 1.0 holding the 1.1 element set (INVALID against the 1.0 XSD)
    "GeoscienceAustralia-samples-api/_tests/static_data/static_GetRecord_240_igsn.xml": "AU240",
    # namespace 1.0, the 2017 dev variant the published 1.0 XSD describes
    "GeoscienceAustralia-samples-api/_tests/xml-validation/eg_GetRecord_AU239_igsn-dev.xml": "AU239",
}
ODM2 = "http://vocabulary.odm2.org/"


def _read(element: etree._Element) -> SampleRecord:
    [record] = dk.read(element)
    return record


def _reread(element: etree._Element) -> SampleRecord:
    return _read(parse_xml(etree.tostring(element)))


def _fixture(name: str) -> SampleRecord:
    return _read(parse_xml((FIXTURES[0].parent / name).read_bytes()))


def _doc(body: str, kind: str = "Sample", ns: str = dk.NS_1_1) -> etree._Element:
    return parse_xml(
        f'<resource xmlns="{ns}" type="{kind}"><identifier type="IGSN">XXABC0001</identifier>'
        f"<name>n</name>{body}<sampleAccess>Public</sampleAccess></resource>"
    )


def _minimal(**changes: object) -> SampleRecord:
    return dataclasses.replace(SampleRecord(igsn="XXABC0001", name="n"), **changes)


def test_there_are_fixtures_of_each_kind() -> None:
    assert len(FIXTURES) >= 3
    assert {_read(parse_xml(f.read_bytes())).kind for f in FIXTURES} == {"Sample", "Collection", "Feature"}


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_fixture_is_valid_against_the_official_xsd(assert_valid, path: Path) -> None:
    assert_valid(parse_xml(path.read_bytes()), XSD_1_1)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_fixture_write_validates_and_round_trips(assert_valid, path: Path) -> None:
    record = _read(parse_xml(path.read_bytes()))
    written = dk.write(record)
    assert_valid(written, XSD_1_1)
    assert _reread(written) == record


@pytest.mark.parametrize("path", sorted(EXAMPLES))
def test_example_write_validates_and_round_trips(example, oai_record, assert_valid, path: str) -> None:
    record = _read(oai_record(example(path)))
    assert record.igsn == EXAMPLES[path]
    written = dk.write(record)
    assert_valid(written, XSD_1_1)
    assert etree.QName(written).namespace == dk.NS_1_1
    assert written.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation") == dk.SCHEMA_LOCATION
    assert _reread(written) == record


def test_reads_au240(example, oai_record) -> None:
    record = _read(
        oai_record(example("GeoscienceAustralia-samples-api/_tests/static_data/static_GetRecord_240_igsn.xml"))
    )
    ga = Identifier("http://pid.geoscience.gov.au/org/ga", "URL")
    assert record.igsn == "AU240" and record.kind == "Sample" and record.name == "Sample igsn:AU240"
    assert record.description is None  # an empty element
    assert record.alternate_identifiers == [Identifier("2000362090B")]
    assert record.registrant == Agent("Geoscience Australia", affiliation=Agent("Geoscience Australia", ga))
    assert record.contributors == [Contributor(Agent("Geoscience Australia", ga), "HostingInstitution")]
    # the EWKT prefix gives the SRID (8311) and wins over @sridType="4326"
    assert record.geometries == [
        Geometry("POINTZ(137.6284422 -34.2186182 103)", "http://www.opengis.net/ont/sf#Point", "8311")
    ]
    assert record.resource_types == [ODM2 + "specimentype/core/"]  # written without the slash
    assert record.materials == [ODM2 + "medium/rock"]  # written with a trailing slash
    assert record.collection_method == "https://w3id.org/igsn-graph/vocab/method/Unknown"
    assert record.collection_time == TimeSpan(instant="1900-01-01T00:00:00Z")
    assert record.is_public is True
    assert record.source_elements["geometries"].endswith("/metadata/resource/geoLocations/geoLocation/geometry")
    assert record.source_elements["kind"].endswith("/resource/@type")


def test_reads_au239_dev_variant(example, oai_record) -> None:
    record = _read(
        oai_record(example("GeoscienceAustralia-samples-api/_tests/xml-validation/eg_GetRecord_AU239_igsn-dev.xml"))
    )
    ga = Identifier("http://pid.geoscience.gov.au/org/ga", "URL")  # written with type "URI"
    assert record.kind == "Sample"  # from @registedObjectType
    assert record.name == "Sample igsn:AU239"  # from title
    assert record.collectors == [Agent("Geoscience Australia", ga)]
    assert record.geometries[0].srid == "8311"
    assert record.supplemental_metadata == ["http://igsn.org/AU239"]
    assert record.is_public is True  # isMetadataPublic
    assert record.source_elements["name"].endswith("/resource/title")


def test_reads_every_field_of_the_sample_fixture() -> None:
    record = _fixture("sample-core-half.xml")
    assert record.parents == ["XXABC0000"] and record.collections == ["XXABCCOLL1"]
    assert record.relations == [
        Relation("10.5072/example.report.17", "DOI", "IsDocumentedBy"),
        Relation("https://example.org/campaigns/BH12-2016", "URL", "Other", source_relation_type="hasEvent"),
    ]
    assert record.registrant == Agent(
        "Carberry, Josiah",
        Identifier("0000-0002-1825-0097", "ORCID"),
        Agent("Brown University", Identifier("https://ror.org/05gq02987", "URL")),
    )
    assert record.collectors == [Agent("Field team 3", affiliation=Agent("Example Geological Survey"))]
    assert [c.role for c in record.contributors] == ["HostingInstitution", "ProjectLeader"]
    assert record.geometries == [
        Geometry("POINT (137.6284422 -34.2186182)", "http://www.opengis.net/ont/sf#Point", "4326")
    ]
    assert record.places == [Place("Port Pirie", "https://sws.geonames.org/2063523/")]
    assert record.resource_types == [ODM2 + "specimentype/coreHalfRound/"]
    assert record.alternate_resource_types == ["half core"]
    assert record.alternate_materials == ["http://resource.geosciml.org/classifier/cgi/lithology/sandstone"]
    assert record.collection_method == "http://pid.geoscience.gov.au/def/voc/ga/igsn/method/Drill"
    assert record.alternate_collection_methods == ["diamond drilling, HQ"]
    assert record.collection_time == TimeSpan(instant="2016-05-03T10:15:00Z")
    assert record.supplemental_metadata == ["https://example.org/samples/BH12-3/metadata.xml"]
    assert record.source_elements["relations"] == "/resource/relatedIdentifiers/relatedIdentifier[1]"
    assert record.source_elements["places"] == "/resource/geoLocations/geoLocation[2]/toponym"


def test_collection_and_feature_fixtures() -> None:
    collection = _fixture("collection-bh12.xml")
    assert collection.kind == "Collection" and collection.is_public is False
    assert collection.resource_types == ["https://w3id.org/igsn-graph/vocab/collectiontype/Collection"]
    assert collection.materials == [ODM2 + "medium/rock", ODM2 + "medium/sediment"]
    feature = _fixture("feature-borehole.xml")
    assert feature.kind == "Feature"
    assert feature.resource_types == [ODM2 + "samplingfeaturetype/borehole"]
    assert feature.geometries[0].srid is None
    assert feature.places == [Place("Lake Eyre basin")]


def test_unknown_vocabulary_is_kept_raw() -> None:
    record = _read(
        _doc(
            "<resourceTypes><resourceType>boulder</resourceType></resourceTypes>"
            "<materials><material>cheese</material></materials>"
            "<collectionMethods><collectionMethod>Lasso</collectionMethod></collectionMethods>"
            '<contributors><contributor type="Wizard"><name>M</name></contributor></contributors>'
        )
    )
    assert record.resource_types == ["boulder"]
    assert record.materials == ["cheese"]
    assert record.collection_method == "Lasso"
    assert record.contributors == [Contributor(Agent("M"), "Wizard")]


def test_dev_element_names_are_not_read_under_1_1() -> None:
    record = _read(
        parse_xml(
            f'<resource xmlns="{dk.NS_1_1}" type="Sample"><identifier type="IGSN">X1</identifier>'
            "<title>t</title><isMetadataPublic>Private</isMetadataPublic></resource>"
        )
    )
    assert record.name is None and record.is_public is True


@pytest.mark.parametrize(
    "body,message",
    [
        (
            '<resource xmlns="http://schema.igsn.org/description/1.1" type="Sample"><name>n</name></resource>',
            "identifier",
        ),
        (
            '<resource xmlns="http://schema.igsn.org/description/1.1" type="Rock"><identifier type="IGSN">X</identifier></resource>',
            "type",
        ),
        (
            '<resource xmlns="http://schema.igsn.org/description/1.1" type="Sample"><identifier type="IGSN">X</identifier>'
            "<sampleAccess>Maybe</sampleAccess></resource>",
            "sampleAccess",
        ),
    ],
)
def test_structural_problems_are_invalid_records(body: str, message: str) -> None:
    with pytest.raises(InvalidRecord, match=message):
        dk.read(parse_xml(body))


def test_other_roots_are_unsupported() -> None:
    with pytest.raises(UnsupportedFormat):
        dk.read(parse_xml('<resource xmlns="http://datacite.org/schema/kernel-4"/>'))


def test_only_the_first_parent_collection_and_collector_are_written(assert_valid) -> None:
    record = _minimal(parents=["P1", "P2"], collections=["C1", "C2"], collectors=[Agent("A"), Agent("B")])
    written = dk.write(record)
    assert_valid(written, XSD_1_1)
    again = _reread(written)
    assert (again.parents, again.collections, again.collectors) == (["P1"], ["C1"], [Agent("A")])


def test_only_kernel_relations_are_written(assert_valid) -> None:
    record = _minimal(
        relations=[
            Relation("10.5072/doc", "DOI", "IsDocumentedBy"),
            Relation("https://example.org/event", "URL", "Other", source_relation_type="hasEvent"),
            Relation("XXABC0000", "IGSN", "IsDerivedFrom"),
            Relation(
                "https://example.org/other",
                "URL",
                "Other",
                source_relation_type="http://pid.geoscience.gov.au/def/voc/igsn-codelists/HasDigitalRepresentation",
            ),
            Relation("arXiv:1234.5678", "arXiv", "IsDocumentedBy"),  # no such identifier type in 1.1
            Relation("https://w3id.org/x", "w3id", "IsDocumentedBy"),  # an http(s) value is written as URL
        ]
    )
    written = dk.write(record)
    assert_valid(written, XSD_1_1)
    assert _reread(written).relations == [
        Relation("10.5072/doc", "DOI", "IsDocumentedBy"),
        Relation("https://example.org/event", "URL", "Other", source_relation_type="hasEvent"),
        Relation("https://w3id.org/x", "URL", "IsDocumentedBy"),
    ]


def test_vocabulary_outside_1_1_moves_to_alternates_or_is_dropped(assert_valid) -> None:
    regolith = ODM2 + "medium/regolith"  # in the code list, not in the 1.1 enumeration
    record = _minimal(
        materials=[ODM2 + "medium/rock", regolith, "cheese"],
        resource_types=["boulder", ODM2 + "specimentype/core/"],
        collection_method="Lasso",
        alternate_collection_methods=["by hand"],
    )
    written = dk.write(record)
    assert_valid(written, XSD_1_1)
    again = _reread(written)
    assert again.materials == [ODM2 + "medium/rock"]
    assert again.alternate_materials == [regolith, "cheese"]
    assert again.resource_types == [ODM2 + "specimentype/core/"]
    assert again.alternate_resource_types == ["boulder"]
    # alternates need an enumerated value beside them
    assert again.collection_method is None and again.alternate_collection_methods == []
    alone = dk.write(_minimal(materials=[regolith]))
    assert_valid(alone, XSD_1_1)
    assert alone.find(f"{{{dk.NS_1_1}}}materials") is None


def test_contributor_roles_outside_1_1_are_written_as_other(assert_valid) -> None:
    written = dk.write(_minimal(contributors=[Contributor(Agent("C"), "DataCurator")]))
    assert_valid(written, XSD_1_1)
    assert _reread(written).contributors == [Contributor(Agent("C"), "Other")]


def test_identifier_types_outside_1_1(assert_valid) -> None:
    record = _minimal(
        registrant=Agent("R", Identifier("https://ror.org/05gq02987", "ROR")),
        collectors=[Agent("C", Identifier("A-1234-2010", "ResearcherID"))],
        alternate_identifiers=[Identifier("local-7", "local"), Identifier("10.5072/x", "DOI")],
    )
    written = dk.write(record)
    assert_valid(written, XSD_1_1)
    again = _reread(written)
    assert again.registrant == Agent("R", Identifier("https://ror.org/05gq02987", "URL"))
    assert again.collectors == [Agent("C")]
    assert again.alternate_identifiers == [Identifier("local-7"), Identifier("10.5072/x", "DOI")]


def test_geometry_srid_and_type(assert_valid) -> None:
    record = _minimal(
        geometries=[
            Geometry("POINT(146.067917 -34.79847)", srid="4283"),  # untyped: the WKT keyword gives Point
            Geometry("POLYGON ((0 0, 1 0, 1 1, 0 0))", "http://www.opengis.net/ont/sf#Polygon", "4326"),
            Geometry("GEOMETRYCOLLECTION (POINT (1 1))", "http://www.opengis.net/ont/sf#GeometryCollection"),
        ]
    )
    written = dk.write(record)
    assert_valid(written, XSD_1_1)
    assert _reread(written).geometries == [
        Geometry("POINT(146.067917 -34.79847)", "http://www.opengis.net/ont/sf#Point", "4283"),
        Geometry("POLYGON ((0 0, 1 0, 1 1, 0 0))", "http://www.opengis.net/ont/sf#Polygon", "4326"),
    ]


def test_collection_time_must_be_a_datetime(assert_valid) -> None:
    for span in (TimeSpan(instant="1959-10-08"), TimeSpan(start="2002", end="2003")):
        written = dk.write(_minimal(collection_time=span))
        assert_valid(written, XSD_1_1)
        assert _reread(written).collection_time is None


def test_missing_name_and_private_access(assert_valid) -> None:
    written = dk.write(SampleRecord(igsn="XXABC0001", kind="Feature", is_public=False))
    assert_valid(written, XSD_1_1)
    again = _reread(written)
    assert (again.name, again.kind, again.is_public) == (None, "Feature", False)


@pytest.mark.parametrize(
    "path",
    [
        "au-research-igsn-metadata-registry/src/main/resources/static/examples/sample_csiro_v3.xml",
        "au-research-igsn-metadata-registry/src/test/resources/xml/sample_xml_prefix_cs_igsn.xml",
        "kitchenprinzessin3880-csiro-igsn-schema/3.0/example-xml-soilarchive.xml",
    ],
)
def test_csiro_records_write_valid_description_kernel(example, assert_valid, path: str) -> None:
    for record in csiro.read(example(path)):
        assert_valid(dk.write(record), XSD_1_1)


# -- what the reader leaves out (issue 13) --------------------------------------------------------
def _not_mapped(record: SampleRecord) -> list[str]:
    return [w for w in record.warnings if w.startswith("not mapped: ")]


def test_elements_and_attributes_not_read_are_reported_once_per_path() -> None:
    record = _read(
        _doc(
            "<registrant><name>R</name><email>r@example.org</email></registrant><title>dev only</title>"
            '<contributors><contributor type="Other" lang="en"><name>A</name></contributor>'
            '<contributor type="Other" lang="de"><name>B</name></contributor></contributors>'
            "<supplementalMetadata><record>https://example.org/m</record><note>x</note></supplementalMetadata>"
        )
    )
    assert _not_mapped(record) == [
        "not mapped: /resource/registrant/email",
        "not mapped: /resource/title",
        "not mapped: /resource/contributors/contributor[1]/@lang",
        "not mapped: /resource/supplementalMetadata/note",
    ]
    assert record.registrant == Agent("R") and [c.agent.name for c in record.contributors] == ["A", "B"]


def test_dev_variant_elements_are_mapped_under_1_0_only() -> None:
    body = "<title>t</title><date><timeInstant>2001</timeInstant></date>"
    dev = _read(_doc(body, ns=dk.NS_1_0))
    assert _not_mapped(dev) == ["not mapped: /resource/title"]  # name wins: the title's value is not kept
    assert dev.collection_time is not None and dev.collection_time.instant == "2001"
    untitled = parse_xml(
        f'<resource xmlns="{dk.NS_1_0}" type="Sample"><identifier type="IGSN">XXABC0001</identifier>'
        f"{body}<isMetadataPublic>Public</isMetadataPublic></resource>"
    )
    assert _not_mapped(_read(untitled)) == [] and _read(untitled).name == "t"
    assert _not_mapped(_read(_doc(body))) == [
        "not mapped: /resource/title",
        "not mapped: /resource/date/timeInstant",
    ]


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_fixtures_and_written_documents_are_fully_mapped(path: Path) -> None:
    record = _read(parse_xml(path.read_bytes()))
    assert _not_mapped(record) == []
    assert _not_mapped(_reread(dk.write(record))) == []


def test_ga_records_report_only_what_is_not_kept(example, oai_record) -> None:
    au240 = _read(oai_record(example(next(p for p, name in EXAMPLES.items() if name == "AU240"))))
    au239 = _read(oai_record(example(next(p for p, name in EXAMPLES.items() if name == "AU239"))))
    assert _not_mapped(au240) == []
    assert _not_mapped(au239) == [
        "not mapped: /OAI-PMH/GetRecord/record/metadata/resource/supplementalMetadata/metadata/metadataTitle"
    ]


def test_an_agent_without_a_name_is_reported_with_what_it_held() -> None:
    record = _read(_doc('<collector><identifier type="ORCID">0000-0002-1825-0097</identifier></collector>'))
    assert record.collectors == []
    assert _not_mapped(record) == ["not mapped: /resource/collector/identifier"]
