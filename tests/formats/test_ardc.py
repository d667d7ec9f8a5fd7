"""ARDC IGSN descriptive 1.0 → SampleRecord: the ARDC example element by element, its graph under SHACL, the GA
igsncode code lists, embargoes, batches mixing handle prefixes, lifecycle dates, refusals and "not mapped"."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import pytest
from lxml import etree

from igsn_graph.codelists import codelist, relation_types
from igsn_graph.errors import InvalidIdentifier, InvalidRecord, UnsupportedFormat
from igsn_graph.formats import ardc
from igsn_graph.formats._agent_terms import agent_term
from igsn_graph.formats.kernels import XML_FORMATS, read_xml
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
    SampledFeature,
    SampleRecord,
    TimeSpan,
)
from igsn_graph.validation import Validator
from igsn_graph.xmlparser import parse_xml
from tests.formats.conftest import conforms

EXAMPLE = "au-research-igsn-metadata-registry/src/main/resources/static/examples/sample_ardc_v1.xml"
XSD = "ardc/ardc-igsn-description-1.0/resource.xsd"
GA = "http://pid.geoscience.gov.au/def/voc/ga/igsncode/"
ODM2 = "http://vocabulary.odm2.org/"
ROLE = "http://registry.it.csiro.au/def/isotc211/CI_RoleCode/"
IRIS = Iris()
Loader = Callable[[str], etree._Element]
Check = Callable[[etree._Element, str], None]


CURATION = (
    "<curation><curator><curatorName>C. Curator</curatorName></curator>"
    "<curatingInstitution>Core Library</curatingInstitution></curation>"
)


def resource(
    identifier: str = "10273/XXAB0001",
    body: str = "",
    public: str = "<isPublic>true</isPublic>",
    log: str = '<logDate eventType="registered">2021-03-04</logDate>',
    kind: str = "PhysicalSample",
    curation: str = CURATION,
) -> str:
    """One ``resource`` with the elements the XSD requires; ``body`` adds optional ones (``xs:all``: any order)."""
    return (
        f'<resource registeredObjectType="{GA}{kind}"><resourceIdentifier>{identifier}</resourceIdentifier>'
        f"<landingPage>https://example.org/{identifier}</landingPage>{public}<resourceTitle>t</resourceTitle>"
        f"<resourceTypes><resourceType>{ODM2}specimentype/core</resourceType></resourceTypes>"
        f"<materialTypes><materialType>{ODM2}medium/rock</materialType></materialTypes>"
        f"<curationDetails>{curation}</curationDetails>{body}{log}</resource>"
    )


def document(*resources: str) -> etree._Element:
    return parse_xml(f'<resources xmlns="{ardc.NS}">{"".join(resources)}</resources>')


def one(*args: str, **kwargs: str) -> SampleRecord:
    [record] = ardc.read(document(resource(*args, **kwargs)))
    return record


# -- the example -----------------------------------------------------------------------------------
def test_example_and_test_documents_are_valid_against_the_xsd(example: Loader, assert_valid: Check) -> None:
    assert_valid(example(EXAMPLE), XSD)
    assert_valid(document(resource(), resource("20.500.11812/XXAB0002", kind="SampleCollection")), XSD)


def test_reads_every_element_of_the_ardc_example(example: Loader) -> None:
    [record] = ardc.read(example(EXAMPLE))
    assert (record.igsn, record.kind, record.doi) == ("XX0TUIAYLV", "Sample", None)
    assert record.landing_page == "https://demo.identifiers.ardc.edu.au/igsn/#/meta/XX0TUIAYLV"
    assert record.is_public is True and record.embargo_end is None
    assert record.name == "This Tiltle also left blank on purpose"
    assert record.alternate_identifiers == [Identifier("AltID2134", "local")]  # alternateIdentifierType
    assert record.resource_types == [ODM2 + "specimentype/core/"]
    assert record.materials == [ODM2 + "medium/liquidOrganic"]
    # the second classification and sampled feature are empty: nothing to keep
    assert record.classifications == [Classification("Classification", "ClassificationUrl")]
    assert record.purpose == "Purpose"
    assert record.sampled_features == [SampledFeature("Sampled Feature", "SampledFeatureURL")]
    assert record.places == [Place("Locality", "locality URL")]
    # the WKT broken over two lines is one xs:token
    assert record.geometries == [
        Geometry(
            "POLYGON ((10.689 -25.092, 34.595 -20.17, 38.814 -35.639, 13.502 -39.155, 10.689 -25.092))",
            srid="4326",
            vertical_datum="4326",
            uri="GeoURL",
        )
    ]
    assert record.collection_time == TimeSpan(start="2020-07-30", end="2020-07-30")
    assert (record.collection_method, record.alternate_collection_methods) == (None, ["MethodURL"])
    assert record.method_description == "Method"
    assert record.campaign == "Project"
    # curator/curatorName; the curator's identifier has no place in Curation (reported below)
    assert record.curations == [
        Curation(
            "Jay Bee",
            "2020-08-05",
            "Curation Location",
            Agent("Research Lab 123", Identifier("https://institution.url", "URL"), kind="Organization"),
        ),
        Curation(
            "Prof. Jay R",
            "2020-08-05",
            "Second Curation Location",
            Agent("Research Lab 2004", Identifier("https://institution2.url", "URL"), kind="Organization"),
        ),
    ]
    assert record.contributors == [
        Contributor(Agent("Sarah Contributor", Identifier("0000-1111-2222-9999", "ORCID")), "ContactPerson"),
        Contributor(Agent("Sam Smith"), "ProjectLeader"),
        Contributor(Agent("Greg Chalms", Identifier("0000-1111-2222-9998", "ORCID")), "ProjectMember"),
        Contributor(Agent("Peter Mards", Identifier("0000-1111-2222-9997", "ORCID")), "RelatedPerson"),
        Contributor(Agent("Craig A"), "Sponsor"),
        Contributor(Agent("Shelly M"), "Sponsor"),
        Contributor(Agent("Ron", Identifier("102.123/387554", "Handle")), "DataManager"),
    ]
    assert record.collectors == []
    # relatedResourceTitle and relatedResourceIdentifier; GA's HasReferenceResource is DataCite References
    assert record.relations == [Relation("eissn-sdoiuowre", "EISSN", "References", title="Example Publication")]
    assert record.comments == "Comments"
    assert record.log == [LogEvent("updated", "2020-08-03T12:05:12+10:00")]
    assert record.source_elements["kind"] == "/resources/resource/@registeredObjectType"
    assert record.source_elements["relations"] == "/resources/resource/relatedResources/relatedResource"
    assert record.warnings == ["not mapped: /resources/resource/curationDetails/curation[1]/curator/curatorIdentifier"]


def test_example_is_detected_and_conforms(shared: Path, validator: Validator) -> None:
    doc = read_xml((shared / "examples" / EXAMPLE).read_bytes())
    assert (doc.format.name if doc.format else None, [r.igsn for r in doc.records]) == ("ardc", ["XX0TUIAYLV"])
    assert XML_FORMATS["ardc"].record_element == "resource" and XML_FORMATS["ardc"].write is None
    conforms(doc.records[0], validator)


# -- vocabularies ----------------------------------------------------------------------------------
def _enumeration(shared: Path, type_name: str) -> list[str]:
    schema = etree.parse(str(shared / "schemas" / XSD))
    xs = "{http://www.w3.org/2001/XMLSchema}"
    [simple] = [t for t in schema.getroot().iter(f"{xs}simpleType") if t.get("name") == type_name]
    return [e.get("value") or "" for e in simple.iter(f"{xs}enumeration")]


def test_every_igsncode_term_of_the_xsd_maps(shared: Path) -> None:
    """agent_terms.csv covers the GA code lists the ARDC XSD uses: identifier, relation and registration types."""
    ids = codelist("identifier_type")
    assert [
        v for v in _enumeration(shared, "identifierType") if ids.canonical(agent_term("identifier_type", v)) is None
    ] == []
    assert [
        v
        for v in _enumeration(shared, "relationType")
        if relation_types().canonical(agent_term("relation_type", v)) is None
    ] == []
    assert [agent_term("kind", v) for v in _enumeration(shared, "registrationType")] == [
        "Sample",
        "Collection",
        "Feature",
    ]


@pytest.mark.parametrize(
    "term,expected",
    [
        ("IsDerivedFrom", ("IsDerivedFrom", None)),
        ("IsMemberOf", ("IsPartOf", None)),  # GA's aggregation terms are DataCite's part terms
        ("IsAggregateOf", ("HasPart", None)),
        ("collectedAsPartOf", ("Other", GA + "collectedAsPartOf")),  # no DataCite equivalent: kept as written
        ("hasAssociationWith", ("Other", GA + "hasAssociationWith")),
    ],
)
def test_relation_types_and_identifiers_as_written(term: str, expected: tuple[str, str | None]) -> None:
    record = one(
        body=f'<relatedResources><relatedResource relationType="{GA}{term}"><relatedResourceIdentifier '
        f'relatedResourceIdentifierType="{GA}IGSN"> 10273/xxab0000 </relatedResourceIdentifier>'
        "</relatedResource></relatedResources>"
    )
    [relation] = record.relations
    # the identifier as written (stripped); links.resolve finds the IGSN in it
    assert (relation.identifier, relation.identifier_type) == ("10273/xxab0000", "IGSN")
    assert (relation.relation_type, relation.source_relation_type) == expected


def test_ror_and_local_identifier_types(validator: Validator) -> None:
    record = one(
        body=f'<alternateIdentifiers><alternateIdentifier alternateIdentifierType="local">CORE-17'
        f"</alternateIdentifier></alternateIdentifiers><contributors><contributor "
        f'contributorType="{ROLE}custodian"><contributorName>Core Library</contributorName>'
        f'<contributorIdentifier contributorIdentifierType="{GA}ROR">https://ror.org/03qn8fb07'
        f'</contributorIdentifier></contributor><contributor contributorType="{ROLE}originator">'
        "<contributorName>A. Collector</contributorName></contributor></contributors>"
    )
    assert record.alternate_identifiers == [Identifier("CORE-17", "local")]
    assert record.contributors == [
        Contributor(Agent("Core Library", Identifier("https://ror.org/03qn8fb07", "ROR")), "DataCurator")
    ]
    assert record.collectors == [Agent("A. Collector")]  # CI_RoleCode/originator
    conforms(record, validator)


# -- visibility and embargo ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "written,stored",
    [
        ("2031", "2031-12-31"),  # a bare year: the end of that year
        ("2032-02", "2032-02-29"),  # a year-month: the end of that month
        ("2031-06-30", "2031-06-30"),
        ("2031-06-30T12:00:00Z", "2031-06-30T12:00:00Z"),
    ],
)
def test_embargo_end(written: str, stored: str, validator: Validator, assert_valid: Check) -> None:
    public = f'<isPublic embargoEnd="{written}">false</isPublic>'
    assert_valid(document(resource(public=public)), XSD)
    record = one(public=public)
    assert (record.is_public, record.embargo_end) == (False, stored)
    assert record.source_elements["embargo_end"] == "/resources/resource/isPublic/@embargoEnd"
    conforms(record, validator)


def test_an_embargo_that_is_not_a_date_is_refused() -> None:
    with pytest.raises(InvalidRecord, match=re.escape("/resources/resource/isPublic/@embargoEnd: 'soon'")):
        one(public='<isPublic embargoEnd="soon">false</isPublic>')
    with pytest.raises(InvalidRecord, match="isPublic must be true or false"):
        one(public="<isPublic>maybe</isPublic>")


def test_is_public_defaults_to_true_when_empty() -> None:
    assert one(public="<isPublic/>").is_public is True


# -- batches and identifiers -----------------------------------------------------------------------
def test_batch_mixing_handle_prefixes(validator: Validator) -> None:
    """Each resourceIdentifier is parsed on its own: 10273, the test prefix 20.500.11812, a DOI."""
    records = ardc.read(
        document(resource("10273/XXAB0001"), resource("20.500.11812/xxab0002"), resource("10.58108/XXAB0003"))
    )
    assert [r.igsn for r in records] == ["XXAB0001", "XXAB0002", "XXAB0003"]
    assert [r.doi for r in records] == [None, None, "10.58108/XXAB0003"]
    assert [r.source_elements["igsn"] for r in records] == [
        f"/resources/resource[{i}]/resourceIdentifier" for i in (1, 2, 3)
    ]
    assert all(r.warnings == [] for r in records)
    for record in records:
        conforms(record, validator)


def test_a_prefix_of_no_igsn_is_refused_and_a_bare_name_is_read_with_a_warning() -> None:
    with pytest.raises(InvalidIdentifier, match=r"resource\[2\]/resourceIdentifier: 99999 is not an IGSN handle"):
        ardc.read(document(resource("10273/XXAB0001"), resource("99999/XXAB0002")))
    record = one("XXAB0009")
    assert record.igsn == "XXAB0009"
    assert record.warnings == [
        "/resources/resource/resourceIdentifier: 'XXAB0009' has no handle prefix (the "
        "schema wants 10273/NAME); read as the IGSN XXAB0009"
    ]


@pytest.mark.parametrize("identifier", ["", "<resourceIdentifier/>", "<resourceIdentifier>  </resourceIdentifier>"])
def test_a_record_without_identifier_is_refused(identifier: str) -> None:
    body = resource().replace("<resourceIdentifier>10273/XXAB0001</resourceIdentifier>", identifier)
    with pytest.raises(InvalidRecord, match=r"^/resources/resource: resourceIdentifier is missing or empty$"):
        ardc.read(document(body))


def test_an_identifier_that_cannot_be_parsed_names_its_element() -> None:
    with pytest.raises(InvalidIdentifier, match=r"^/resources/resource/resourceIdentifier: .*character"):
        one("10273/XXAB#1")


def test_other_roots_and_kinds() -> None:
    with pytest.raises(UnsupportedFormat):
        ardc.read(parse_xml('<resources xmlns="https://igsn.csiro.au/schemas/3.0"/>'))
    with pytest.raises(InvalidRecord, match="no resource element"):
        ardc.read(parse_xml(f'<resources xmlns="{ardc.NS}"/>'))
    with pytest.raises(InvalidRecord, match="@registeredObjectType: must be PhysicalSample"):
        one(kind="Rock")
    assert one(kind="SamplingFeature").kind == "Feature"


# -- lifecycle dates -------------------------------------------------------------------------------
def test_lifecycle_log_dates(validator: Validator) -> None:
    record = one(log='<logDate eventType="destroyed">2022</logDate>')
    assert record.log == [LogEvent("destroyed", "2022")]
    assert record.lifecycle == "destroyed"
    conforms(record, validator)
    # the XSD's date-time to the minute gets its seconds, and the owner is told
    record = one(log='<logDate eventType="deprecated">2021-03-04T10:20+10:00</logDate>')
    assert record.log == [LogEvent("deprecated", "2021-03-04T10:20:00+10:00")]
    assert record.warnings == [
        "/resources/resource/logDate: date-time without seconds '2021-03-04T10:20+10:00'; "
        "read as 2021-03-04T10:20:00+10:00"
    ]


def test_an_empty_log_date_leaves_the_event_out_with_a_warning() -> None:
    record = one(log='<logDate eventType="destroyed"/>')
    assert record.log == [] and record.lifecycle is None
    assert record.warnings == [
        "/resources/resource/logDate: empty time stamp; the 'destroyed' event is left out "
        "of the description (a log event needs a date); the sample's destroyed state is "
        "not recorded"
    ]


@pytest.mark.parametrize(
    "change,where",
    [
        ({"log": '<logDate eventType="registered">last week</logDate>'}, "/resources/resource/logDate"),
        ({"body": "<date><timeInstant>2021-02-30</timeInstant></date>"}, "/resources/resource/date/timeInstant"),
        (
            {
                "curation": "<curation><curator><curatorName>c</curatorName></curator><curationDate>circa 1990"
                "</curationDate><curatingInstitution>i</curatingInstitution></curation>"
            },
            "/resources/resource/curationDetails/curation/curationDate",
        ),
    ],
)
def test_a_date_that_is_not_a_date_is_refused(change: dict[str, str], where: str) -> None:
    with pytest.raises(InvalidRecord, match=re.escape(where) + ": '.*' is not a date"):
        one(**change)


# -- what is not mapped ----------------------------------------------------------------------------
def test_elements_and_attributes_not_mapped_are_reported() -> None:
    extra = (
        '<relatedResources><relatedResource relationType="' + GA + 'IsDocumentedBy">'
        "<relatedResourceTitle>Only a title</relatedResourceTitle></relatedResource></relatedResources>"
        '<contributors><contributor contributorType="' + ROLE + 'funder"><contributorName/>'
        '<contributorIdentifier contributorIdentifierType="' + GA + 'ROR">https://ror.org/0abcdef12'
        "</contributorIdentifier></contributor></contributors>"
        '<x:depth xmlns:x="https://example.org/ext" x:unit="m">12.5</x:depth>'
        '<x:depth xmlns:x="https://example.org/ext" x:unit="m">13.0</x:depth>'
    )
    doc = parse_xml(
        f'<resources xmlns="{ardc.NS}" batch="7">{resource(body=extra)}<note>loaded by hand</note></resources>'
    )
    [record] = ardc.read(doc)
    assert record.relations == [] and record.contributors == []
    # a related resource without an identifier, a contributor without a name: what they carry is reported
    assert record.warnings == [
        "not mapped: /resources/resource/relatedResources/relatedResource/@relationType",
        "not mapped: /resources/resource/relatedResources/relatedResource/relatedResourceTitle",
        "not mapped: /resources/resource/contributors/contributor/@contributorType",
        "not mapped: /resources/resource/contributors/contributor/contributorIdentifier",
        "not mapped: /resources/resource/depth[1]",  # one warning for the path, its attributes with it
        "not mapped: /resources/@batch",
        "not mapped: /resources/note",
    ]


def test_nil_containers_and_their_content() -> None:
    nil = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    record = one(
        body=f'<location {nil} xsi:nil="true"><locality>Hidden</locality></location>'
        f'<sampledFeatures {nil} xsi:nil="true"/>'
        "<date><timeInstant>http://www.opengis.net/def/nil/OGC/0/unknown</timeInstant></date>"
    )
    assert record.places == [] and record.sampled_features == [] and record.collection_time is None
    # the content of a nil element is not read: the owner is told
    assert record.warnings == ["not mapped: /resources/resource/location/locality"]


def test_geometry_notes_become_warnings() -> None:
    record = one(
        body='<location><geometry srid="https://epsg.io/8311">SRID=8311;POINTZ(137.6 -34.2 103)</geometry></location>'
    )
    assert record.geometries[0].srid == "8311"
    assert record.warnings and all(w.startswith("/resources/resource/location/geometry: ") for w in record.warnings)
