"""igsn_graph.formats.datacite: the kernel-4 (and kernel-3) reader beside the writer — round trips, DataCite's
own examples (read, SHACL, valid against the official XSD through the catalog), refusals."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from lxml import etree

from igsn_graph.errors import InvalidIdentifier, InvalidRecord, UnsupportedFormat
from igsn_graph.formats import datacite
from igsn_graph.formats.kernels import DATACITE, detect, read_xml
from igsn_graph.iris import Iris
from igsn_graph.record import (
    Agent,
    Classification,
    Contributor,
    Curation,
    Geometry,
    Identifier,
    LogEvent,
    Place,
    Relation,
    SampleRecord,
    TimeSpan,
)
from igsn_graph.validation import Validator
from igsn_graph.xmlparser import parse_xml
from tests.formats.conftest import conforms

BASE = "https://igsn.org/"
IRIS = Iris()
ORCID = Identifier("https://orcid.org/0000-0002-1825-0097", "ORCID")
ROR = Identifier("https://ror.org/04wxnsj81", "ROR")
EXAMPLES = "examples/datacite-schema"
COLLECTION = "https://w3id.org/igsn-graph/vocab/collectiontype/Collection"


def rich_record() -> SampleRecord:
    """Every field DataCite can carry, in the forms ``write`` writes and ``read`` gives back."""
    return SampleRecord(
        igsn="ZTA0001",
        doi="10.99990/ZTA0001",
        name="Core 7, half round",
        description="A drill core",
        method_description="Diamond drilling",
        comments="Stored cold",
        collectors=[
            Agent("Doe, Jane", ORCID, affiliation=Agent("Example University", ROR), kind="Person"),
            Agent("Survey Team", kind="Organization"),
        ],
        contributors=[
            Contributor(Agent("Hosting Org", ROR, kind="Organization"), "HostingInstitution"),
            Contributor(Agent("Roe, John", ORCID, kind="Person"), "DataCurator"),
        ],
        curations=[Curation(curator="Kim Lee", institution=Agent("Core Repository", ROR))],
        resource_types=["http://vocabulary.odm2.org/specimentype/core/"],
        materials=["http://vocabulary.odm2.org/medium/rock"],
        alternate_materials=["tephra"],
        classifications=[Classification("Basalt", "http://example.org/rocks/basalt"), Classification("igneous")],
        collection_time=TimeSpan(start="2019-05", end="2019-06-30"),
        log=[
            LogEvent("submitted", "2019-12-01"),
            LogEvent("registered", "2020-01-02T03:04:05Z"),
            LogEvent("updated", "2021-01-01"),
        ],
        alternate_identifiers=[Identifier("CORE-7"), Identifier("https://example.org/cores/7", "URL")],
        parents=["ZTA0000"],
        collections=["ZTACOLL1"],
        relations=[
            Relation("10.1234/paper", "DOI", "IsCitedBy"),
            Relation("https://example.org/cruise", "URL", "Other", source_relation_type="hasEvent"),
            Relation("ZTB0009", "IGSN", "IsSourceOf"),
        ],
        geometries=[
            Geometry("POINT (147.32 -42.88)"),
            Geometry("POLYGON ((140 -44, 150 -44, 150 -40, 140 -40, 140 -44))"),
        ],
        places=[Place("Tasmania")],
    )


def round_trip(record: SampleRecord) -> SampleRecord:
    element = datacite.write(record, iri_base=BASE)
    [back] = datacite.read(parse_xml(etree.tostring(element)))
    return back


@pytest.fixture(scope="module")
def kernel4(shared: Path) -> etree.XMLSchema:
    """The kernel-4 schema the writer advertises, found through ../shared/schemas/catalog.xml."""
    catalog = shared / "schemas" / "catalog.xml"
    ns = {"c": "urn:oasis:names:tc:entity:xmlns:xml:catalog"}
    entries = {e.get("name"): e.get("uri") for e in etree.parse(str(catalog)).iterfind("c:uri", ns)}
    assert datacite.SCHEMA in entries, "the catalog does not map the schema URL the writer advertises"
    return etree.XMLSchema(etree.parse(str(catalog.parent / entries[datacite.SCHEMA])))


# -- round trips ----------------------------------------------------------------------------------
def test_writer_output_reads_back_to_the_same_record(kernel4: etree.XMLSchema) -> None:
    record = rich_record()
    element = datacite.write(record, iri_base=BASE)
    assert kernel4.validate(etree.fromstring(etree.tostring(element))), kernel4.error_log
    assert round_trip(record) == record


@pytest.mark.parametrize(
    "change,expected",
    [
        # a feature: its type gives the kind back
        ({"kind": "Feature", "resource_types": ["http://vocabulary.odm2.org/samplingfeaturetype/borehole"]}, None),
        ({"kind": "Collection", "resource_types": [COLLECTION]}, None),
        # the kind alone is written as the resource type: ``Collection`` is also the collection type
        ({"kind": "Collection", "resource_types": []}, {"resource_types": [COLLECTION]}),
        ({"kind": "Feature", "resource_types": []}, None),
        # a collection time that is an instant, or open at one end
        ({"collection_time": TimeSpan(instant="2019-05-17T10:00:00Z")}, None),
        ({"collection_time": TimeSpan(start="2019")}, None),
        # deprecated and destroyed samples keep their log
        (
            {
                "log": [
                    LogEvent("registered", "2020-01-01"),
                    LogEvent("deprecated", "2021-01-01"),
                    LogEvent("destroyed", "2022-01-01"),
                ]
            },
            None,
        ),
        # no DOI: the identifier is the resolvable IGSN URL, the IGSN comes back from the alternate identifier
        ({"doi": None}, None),
        # a bounding box whose corners meet is a point
        ({"geometries": [Geometry("POLYGON ((1 2, 1 2, 1 2, 1 2, 1 2))")]}, {"geometries": [Geometry("POINT (1 2)")]}),
        # other geometries come back as their bounding box
        (
            {"geometries": [Geometry("LINESTRING (10 20, 30 40)")]},
            {"geometries": [Geometry("POLYGON ((10 20, 30 20, 30 40, 10 40, 10 20))")]},
        ),
        # the registrant is not carried beside collectors and the curating institution
        ({"registrant": Agent("Client One", kind="Organization")}, {"registrant": None}),
    ],
)
def test_round_trip_variants(change: dict[str, object], expected: dict[str, object] | None) -> None:
    record = replace(rich_record(), **change)  # type: ignore[arg-type]
    assert round_trip(record) == replace(record, **(expected or {}))  # type: ignore[arg-type]


def test_publication_year_is_the_registration_when_the_log_has_none() -> None:
    record = replace(rich_record(), log=[])
    element = datacite.write(record, iri_base=BASE, publication_year="2024")
    [back] = datacite.read(element)
    assert back.log == [LogEvent("registered", "2024")]


def test_the_read_record_is_the_same_kind_of_graph(validator: Validator) -> None:
    conforms(round_trip(rich_record()), validator)


# -- DataCite's own examples ----------------------------------------------------------------------
def test_the_physical_object_example(shared: Path, kernel4: etree.XMLSchema, validator: Validator) -> None:
    path = shared / EXAMPLES / "kernel-4.7/datacite-example-ancientdates-v4.xml"
    data = path.read_bytes()
    assert kernel4.validate(etree.fromstring(data)), kernel4.error_log
    doc = read_xml(data)
    assert doc.format is DATACITE
    [record] = doc.records
    assert (record.igsn, record.doi, record.kind) == ("0945113", "10.5072/0945113", "Sample")
    assert record.name == "Silver Denarius of Augustus, Emerita, 25 BC - 23 BC 1969.222.1267"
    assert record.collectors == [Agent("Augustus", Identifier("0000000121227317", "ISNI"), kind="Person")]
    assert record.curations == [Curation(institution=Agent("American Numismatic Society"))]
    assert record.alternate_resource_types == ["Coin"] and record.resource_types == []
    assert record.alternate_identifiers == [Identifier("1969.222.1267")]  # a free-text type we do not know
    # only a Created date: the publication year stands for the registration
    assert record.log == [LogEvent("registered", "2010")]
    assert record.source_elements["igsn"] == "/resource/identifier"
    conforms(record, validator)
    # and written back, still valid
    assert kernel4.validate(etree.fromstring(etree.tostring(datacite.write(record, iri_base=BASE))))


@pytest.mark.parametrize(
    "name,general",
    [
        ("kernel-4.6/datacite-example-dataset-v4.xml", "Dataset"),
        ("kernel-4.6/datacite-example-full-v4.xml", "Dataset"),
        ("kernel-4.6/datacite-example-instrument-v4.xml", "Instrument"),
        ("kernel-4.7/datacite-example-full-v4.xml", "Dataset"),
    ],
)
def test_other_resource_types_are_refused(shared: Path, name: str, general: str) -> None:
    with pytest.raises(InvalidRecord) as info:
        read_xml((shared / EXAMPLES / name).read_bytes())
    assert str(info.value) == (
        f"/resource/resourceType: resourceTypeGeneral must be PhysicalObject "
        f"(an IGSN names a physical object; found {general!r})"
    )


def test_every_part_of_the_full_example(shared: Path, validator: Validator) -> None:
    """DataCite's example with all properties, declared a physical object, maps every part we keep."""
    data = (shared / EXAMPLES / "kernel-4.7/datacite-example-full-v4.xml").read_bytes()
    [record] = read_xml(
        data.replace(
            b'resourceTypeGeneral="Dataset">Example ResourceType', b'resourceTypeGeneral="PhysicalObject">Core'
        )
    ).records
    assert (record.igsn, record.doi, record.name) == ("B09Z-4K37", "10.82433/B09Z-4K37", "Example Title")
    assert record.resource_types == ["http://vocabulary.odm2.org/specimentype/core/"]
    person = Agent(
        "ExampleFamilyName, ExampleGivenName",
        Identifier("https://orcid.org/0000-0001-5727-2427", "ORCID"),
        affiliation=Agent("ExampleAffiliation", Identifier("https://ror.org/04wxnsj81", "ROR")),
        kind="Person",
    )
    assert record.collectors == [
        person,
        Agent("ExampleOrganization", Identifier("https://ror.org/04wxnsj81", "ROR"), kind="Organization"),
    ]
    roles = [c.role for c in record.contributors]
    assert roles[:3] == ["ContactPerson", "DataCollector", "DataCurator"] and len(roles) == 22
    assert record.contributors[0].agent == person
    assert record.curations == [
        Curation(institution=Agent("Example Publisher", Identifier("https://ror.org/04z8jg394", "ROR")))
    ]
    assert record.classifications == [
        Classification("FOS: Computer and information sciences", "http://www.oecd.org/science/inno/38235147.pdf"),
        Classification("Digital curation and preservation"),
        Classification("Example Subject"),
    ]
    assert record.collection_time == TimeSpan(start="2024-01-01", end="2024-12-31")
    assert [e.event for e in record.log] == ["registered", "submitted", "updated", "deprecated"]
    assert record.alternate_identifiers == [Identifier("12345")]
    by_type = {r.relation_type: r for r in record.relations}
    assert by_type["IsCitedBy"] == Relation("ark:/13030/tqb3kh97gh8w", "ARK", "IsCitedBy")
    assert by_type["HasMetadata"] == Relation("IECUR0097", "IGSN", "HasMetadata")
    # relationType Other: the information says what it is; here it is no relation type we know
    assert by_type["Example relationTypeInformation"].identifier == "10.1016/j.epsl.2011.11.037"
    assert len(record.relations) == 41 and record.parents == []  # the IsDerivedFrom target is a DOI
    assert (record.description, record.method_description, record.comments) == (
        "Example Abstract",
        "Example Methods",
        "Example Other",
    )
    assert record.places == [Place("Vancouver, British Columbia, Canada")]
    assert record.geometries == [
        Geometry("POINT (-123.1207 49.2827)"),
        Geometry("POLYGON ((-123.27 49.195, -123.02 49.195, -123.02 49.315, -123.27 49.315, -123.27 49.195))"),
        Geometry("POLYGON ((-71.032 41.991, -69.622 42.893, -68.211 41.991, -69.622 41.09, -71.032 41.991))"),
    ]
    assert record.source_elements["geometries"] == "/resource/geoLocations/geoLocation"


# -- kernel-3, identifier forms, refusals ---------------------------------------------------------
KERNEL_3 = b"""<resource xmlns="http://datacite.org/schema/kernel-3">
  <identifier identifierType="DOI">10.99990/zta0300</identifier>
  <creators><creator><creatorName>Doe, Jane</creatorName><nameIdentifier nameIdentifierScheme="ORCID"
    schemeURI="http://orcid.org/">0000-0002-1825-0097</nameIdentifier><affiliation>GFZ</affiliation></creator></creators>
  <titles><title>Kernel-3 sample</title></titles><publisher>GFZ</publisher><publicationYear>2015</publicationYear>
  <resourceType resourceTypeGeneral="PhysicalObject">Borehole</resourceType>
  <geoLocations><geoLocation><geoLocationPoint>52.38 13.06</geoLocationPoint>
    <geoLocationBox>52 13 53 14</geoLocationBox><geoLocationPlace>Potsdam</geoLocationPlace></geoLocation></geoLocations>
</resource>"""


def test_kernel_3() -> None:
    doc = read_xml(KERNEL_3)
    assert doc.format is DATACITE
    [record] = doc.records
    assert (record.igsn, record.doi, record.kind) == ("ZTA0300", "10.99990/ZTA0300", "Feature")
    assert record.resource_types == ["http://vocabulary.odm2.org/samplingfeaturetype/borehole"]
    assert record.collectors == [Agent("Doe, Jane", Identifier("0000-0002-1825-0097", "ORCID"), Agent("GFZ"))]
    assert record.geometries == [
        Geometry("POINT (13.06 52.38)"),
        Geometry("POLYGON ((13 52, 14 52, 14 53, 13 53, 13 52))"),
    ]
    assert record.places == [Place("Potsdam")] and record.log == [LogEvent("registered", "2015")]


def minimal(
    identifier: str = '<identifier identifierType="DOI">10.99990/ZTA0400</identifier>',
    resource_type: str = '<resourceType resourceTypeGeneral="PhysicalObject">Rock</resourceType>',
    extra: str = "",
) -> bytes:
    return (
        f'<resource xmlns="{datacite.NS}">{identifier}<creators><creator><creatorName>A</creatorName>'
        f"</creator></creators><titles><title>T</title></titles><publisher>P</publisher>"
        f"<publicationYear>2020</publicationYear>{resource_type}{extra}</resource>"
    ).encode()


@pytest.mark.parametrize(
    "identifier,extra,igsn,doi",
    [
        ('<identifier identifierType="DOI">10273/ztb0001</identifier>', "", "ZTB0001", None),
        (
            '<identifier identifierType="DOI">https://doi.org/10.99990/zta0401</identifier>',
            "",
            "ZTA0401",
            "10.99990/ZTA0401",
        ),
        (
            '<identifier identifierType="URL">https://registry.example.org/ZTA0402</identifier>',
            '<alternateIdentifiers><alternateIdentifier alternateIdentifierType="IGSN">zta0402</alternateIdentifier>'
            "</alternateIdentifiers>",
            "ZTA0402",
            None,
        ),
        ('<identifier identifierType="URL">https://igsn.org/10273/ZTA0403</identifier>', "", "ZTA0403", None),
        (
            "",
            '<alternateIdentifiers><alternateIdentifier alternateIdentifierType="IGSN">ZTA0404</alternateIdentifier>'
            "</alternateIdentifiers>",
            "ZTA0404",
            None,
        ),
    ],
)
def test_identifier_forms(identifier: str, extra: str, igsn: str, doi: str | None) -> None:
    [record] = read_xml(minimal(identifier, extra=extra)).records
    assert (record.igsn, record.doi, record.alternate_identifiers) == (igsn, doi, [])
    assert record.alternate_resource_types == ["Rock"]


@pytest.mark.parametrize(
    "data,error,message",
    [
        (minimal(identifier=""), InvalidRecord, "/resource: no IGSN"),
        (minimal(identifier='<identifier identifierType="DOI"> </identifier>'), InvalidRecord, "/resource: no IGSN"),
        (
            minimal(identifier='<identifier identifierType="DOI">10.99990/ZTA 1</identifier>'),
            InvalidIdentifier,
            "IGSN must not contain any spaces",
        ),
        (
            minimal(resource_type=""),
            InvalidRecord,
            "resourceTypeGeneral must be PhysicalObject (an IGSN names a physical object; none given)",
        ),
        (minimal(resource_type='<resourceType resourceTypeGeneral="Dataset"/>'), InvalidRecord, "found 'Dataset'"),
        (b'<record xmlns="http://datacite.org/schema/kernel-4"/>', UnsupportedFormat, "unsupported XML document"),
    ],
)
def test_refusals(data: bytes, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        read_xml(data)
    assert message in str(info.value)


def test_read_refuses_other_roots() -> None:
    with pytest.raises(UnsupportedFormat):
        datacite.read(parse_xml('<resource xmlns="http://schema.igsn.org/description/1.1"/>'))


@pytest.mark.parametrize("namespace", [datacite.NS, datacite.NS_3])
def test_detect(namespace: str) -> None:
    assert detect(parse_xml(f'<resource xmlns="{namespace}"/>')) is DATACITE
    assert DATACITE.write is not None and DATACITE.namespace == datacite.NS


def test_unknown_material_and_dates_that_are_ranges() -> None:
    extra = (
        '<subjects><subject subjectScheme="material">Rock</subject><subject subjectScheme="material">'
        'moon dust</subject></subjects><dates><date dateType="Issued">2020-01-01/2020-02-01</date>'
        '<date dateType="Updated">2021-03</date><date dateType="Created">2019</date></dates>'
    )
    [record] = read_xml(minimal(extra=extra)).records
    assert record.materials == ["http://vocabulary.odm2.org/medium/rock"]
    assert record.alternate_materials == ["moon dust"]
    # a range is no log time stamp; without a usable Issued date the publication year stands in
    assert record.log == [LogEvent("updated", "2021-03"), LogEvent("registered", "2020")]


def test_identifier_without_a_doi_is_the_persistent_iri(kernel4: etree.XMLSchema) -> None:
    # never the address the server answers on (issue 23): the IRI base is the writer's only base
    element = datacite.write(SampleRecord("ZTA0404"), iri_base="https://w3id.org/example/igsn/")
    assert kernel4.validate(etree.fromstring(etree.tostring(element))), kernel4.error_log
    identifier = element.find(f"{{{datacite.NS}}}identifier")
    assert identifier is not None and identifier.get("identifierType") == "URL"
    assert identifier.text == "https://w3id.org/example/igsn/ZTA0404"


# -- what the reader leaves out (issue 13) --------------------------------------------------------
def _not_mapped(record: SampleRecord) -> list[str]:
    return [w for w in record.warnings if w.startswith("not mapped: ")]


def test_elements_and_attributes_not_read_are_reported_once_per_path() -> None:
    extra = (
        '<subjects><subject subjectScheme="material" classificationCode="r1">rock</subject>'
        '<subject classificationCode="b2">basalt</subject></subjects>'
        "<language>en</language><sizes><size>1 kg</size></sizes><formats><format>core</format></formats>"
        "<version>2</version><rightsList><rights>CC0</rights></rightsList>"
        "<fundingReferences><fundingReference><funderName>F</funderName></fundingReference></fundingReferences>"
    )
    [record] = read_xml(minimal(extra=extra)).records
    assert _not_mapped(record) == [
        "not mapped: /resource/subjects/subject[1]/@classificationCode",
        "not mapped: /resource/language",
        # a container is judged by the values it holds: each is named
        "not mapped: /resource/sizes/size",
        "not mapped: /resource/formats/format",
        "not mapped: /resource/version",
        "not mapped: /resource/rightsList/rights",
        "not mapped: /resource/fundingReferences/fundingReference/funderName",
    ]
    assert record.materials == ["http://vocabulary.odm2.org/medium/rock"]
    assert record.classifications == [Classification("basalt")]


def test_values_skipped_inside_read_elements_are_reported() -> None:
    """The read log names what a reader skipped inside an element it reads: a second name identifier or
    affiliation, a second description of one type (a fixed list of mapped paths could not)."""
    creator = (
        "<creators><creator><creatorName>Doe, Jane</creatorName>"
        '<nameIdentifier nameIdentifierScheme="ORCID">0000-0002-1825-0097</nameIdentifier>'
        '<nameIdentifier nameIdentifierScheme="ISNI">0000000121032683</nameIdentifier>'
        "<affiliation>A</affiliation><affiliation>B</affiliation></creator></creators>"
    )
    descriptions = (
        '<descriptions><description descriptionType="Abstract">one</description>'
        '<description descriptionType="Abstract">two</description></descriptions>'
    )
    data = minimal(extra=descriptions).replace(
        b"<creators><creator><creatorName>A</creatorName></creator></creators>", creator.encode()
    )
    [record] = read_xml(data).records
    assert record.description == "one" and record.collectors[0].identifier is not None
    assert _not_mapped(record) == [
        "not mapped: /resource/creators/creator/nameIdentifier[2]",
        "not mapped: /resource/creators/creator/affiliation[2]",
        "not mapped: /resource/descriptions/description[2]",
    ]


def test_languages_are_reported_and_name_parts_are_not() -> None:
    creator = (
        '<creators><creator><creatorName nameType="Personal">Doe, Jane</creatorName><givenName>Jane</givenName>'
        "<familyName>Doe</familyName></creator></creators>"
    )
    data = minimal().replace(b"<creators><creator><creatorName>A</creatorName></creator></creators>", creator.encode())
    data = data.replace(b"<title>T</title>", b'<title xml:lang="en">T</title>')
    [record] = read_xml(data).records
    assert record.collectors == [Agent("Doe, Jane", kind="Person")]
    # given and family name are parts of the name element, which is kept whole
    assert _not_mapped(record) == ["not mapped: /resource/titles/title/@lang"]


def test_written_documents_and_kernel_3_are_fully_mapped() -> None:
    assert _not_mapped(round_trip(rich_record())) == []
    [record] = read_xml(KERNEL_3).records
    assert _not_mapped(record) == []
    [record] = read_xml(minimal()).records
    assert record.warnings == []


def test_the_physical_object_example_reports_what_is_not_kept(shared: Path) -> None:
    path = shared / EXAMPLES / "kernel-4.7/datacite-example-ancientdates-v4.xml"
    [record] = read_xml(path.read_bytes()).records
    assert _not_mapped(record) == [
        "not mapped: /resource/dates/date (dateType Created)",
        "not mapped: /resource/titles/title/@lang",
        "not mapped: /resource/publisher/@lang",
        "not mapped: /resource/sizes/size[1]",  # the first of two: once per path
        "not mapped: /resource/rightsList/rights",
    ]


def test_values_inside_mapped_elements_that_the_record_cannot_hold_are_said() -> None:
    """A second title and a date the record has no place for are kept in the document only, and reported."""
    doc = """<resource xmlns="http://datacite.org/schema/kernel-4">
      <identifier identifierType="DOI">10.58052/ZZD0001</identifier>
      <creators><creator><creatorName>Doe, Jane</creatorName></creator></creators>
      <titles><title>Core A</title><title titleType="AlternativeTitle">Kern A</title></titles>
      <publisher>GFZ</publisher><publicationYear>2020</publicationYear>
      <resourceType resourceTypeGeneral="PhysicalObject">Core</resourceType>
      <dates><date dateType="Collected">2019-05-01</date><date dateType="Copyrighted">2020</date></dates>
    </resource>"""
    [record] = datacite.read(etree.fromstring(doc.encode()))
    assert record.name == "Core A"
    assert "not mapped: /resource/titles/title[2] (the record keeps one title)" in record.warnings
    assert "not mapped: /resource/dates/date[2] (dateType Copyrighted)" in record.warnings
