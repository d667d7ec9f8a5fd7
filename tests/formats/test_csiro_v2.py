"""CSIRO v2 (root ``samples`` in the registration kernel 1.0 namespace) → SampleRecord: the test batch against the
v2 XSD, every element of IGSN.md §6.1 in the record, SHACL, detection beside the kernel, refusals, "not mapped"."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Callable

import pytest
from lxml import etree

from igsn_graph.errors import InvalidIdentifier, InvalidRecord, UnsupportedFormat
from igsn_graph.formats import csiro_v2
from igsn_graph.formats.kernels import XML_FORMATS, detect, read_xml
from igsn_graph.iris import Iris
from igsn_graph.record import (
    Agent,
    Classification,
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

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "csiro-v2" / "capricorn-groundwater.xml"
XSD = "csiro/2.0/igsn-csiro-v2.0.xsd"
ODM2 = "http://vocabulary.odm2.org/"
SF = "http://www.opengis.net/ont/sf#"
GEOSCIML = "http://resource.geosciml.org/classifier/cgi/geologicunittype/"
IRIS = Iris()
Check = Callable[[etree._Element, str], None]


def batch() -> list[SampleRecord]:
    return csiro_v2.read(parse_xml(FIXTURE.read_bytes()))


def sample(body: str = "", number: str = "CSXYZ0001", log: str = 'timeStamp="2015-09-10T18:20:30"') -> str:
    """One ``sample`` with the elements the XSD requires; ``body`` adds optional ones (``xs:all``: any order)."""
    return (
        f'<sample><sampleNumber identifierType="igsn">{number}</sampleNumber><sampleName>s</sampleName>'
        "<isPublic>1</isPublic><landingPage>https://example.org/s</landingPage>"
        f"<sampleTypes><sampleType>{ODM2}specimentype/core</sampleType></sampleTypes>"
        f"<materialTypes><materialType>{ODM2}medium/rock</materialType></materialTypes>"
        "<samplingLocation/><samplingTime/><sampleCollectors><collector>c</collector></sampleCollectors>"
        "<samplingMethod>Hand</samplingMethod><sampleCuration><curation><curator>k</curator></curation>"
        f'</sampleCuration>{body}<logElement event="submitted" {log}/></sample>'
    )


def document(*samples: str) -> etree._Element:
    return parse_xml(f'<samples xmlns="{csiro_v2.NS}">{"".join(samples)}</samples>')


def one(*args: str, **kwargs: str) -> SampleRecord:
    [record] = csiro_v2.read(document(sample(*args, **kwargs)))
    return record


def test_the_test_documents_are_valid_against_the_v2_xsd(assert_valid: Check) -> None:
    assert_valid(parse_xml(FIXTURE.read_bytes()), XSD)
    assert_valid(document(sample(), sample(number="CSXYZ0002")), XSD)


def test_every_element_of_the_first_sample() -> None:
    record = batch()[0]
    assert (record.igsn, record.kind, record.name) == ("CSCAP0243", "Sample", "Cap0243-JHP8 groundwater")
    assert record.alternate_identifiers == [Identifier("JHP8-2014-05"), Identifier("sid 243")]  # otherNames
    assert record.is_public is True and record.embargo_end is None
    assert record.landing_page == (
        "https://capdf.csiro.au/gs-hydrogeochem/public/ows?service=WFS&version=1.0.0"
        "&request=GetFeature&typeName=public:hydrogeochem&cql_filter=sid%3D243"
    )
    # ODM2 specimen types and media; the first type in a code list is the type, the others alternates
    assert record.resource_types == [ODM2 + "specimentype/grab/"]
    assert record.alternate_resource_types == [ODM2 + "specimentype/individualSample/"]
    assert record.materials == [ODM2 + "medium/liquidAqueous"]
    assert record.classifications == [Classification("Water>Groundwater", ODM2 + "medium/liquidAqueous")]
    assert record.purpose == "Hydrogeochemical exploration of the Capricorn Orogen"
    # samplingLocation: locality, wkt@srs@spatialType, elevation@datum@units
    assert record.places == [Place("Jack Hills pastoral lease, Western Australia")]
    assert record.geometries == [
        Geometry(
            "POINT(116.2614 -26.0601)",
            SF + "Point",
            "4283",
            "AHD",
            elevation=Decimal("412.5"),
            elevation_unit="http://qudt.org/vocab/unit/M",
        )
    ]
    # samplingTime: a period whose end is written to the minute
    assert record.collection_time == TimeSpan(start="2014-05-12T09:30:00+08:00", end="2014-05-12T10:15:00")
    # samplingFeature (its type through the ODM2 list) and its sampledFeature (type as written)
    assert record.sampled_features == [
        SampledFeature("JHP8 bore", feature_type=ODM2 + "samplingfeaturetype/observationWell"),
        SampledFeature("Jack Hills greenstone belt aquifer", feature_type=GEOSCIML + "lithostratigraphic_unit"),
    ]
    orcid = Identifier("https://orcid.org/0000-0002-1825-0097", "ORCID")
    assert record.collectors == [Agent("Josiah Carberry", orcid), Agent("CSIRO Mineral Resources field team")]
    assert record.collection_method == "http://pid.geoscience.gov.au/def/voc/ga/igsn/method/Grab"
    assert record.campaign == "Capricorn Distal Footprints 2014"
    assert record.curations == [
        Curation("CSIRO Mineral Resources", "2014-06", "Australian Resources Research Centre, Kensington WA")
    ]
    # related identifiers as written, the kernel's lower-case identifier types as DataCite names
    assert record.relations == [
        Relation("10.4225/08/584d948f9bbd1", "DOI", "IsDocumentedBy"),
        Relation("10273/CSCAP0001", "Handle", "IsPartOf"),
        Relation("https://capdf.csiro.au/gs-hydrogeochem/", "URL", "IsReferencedBy"),
    ]
    assert record.comments == "Filtered (0.45 um) and acidified in the field"
    assert record.log == [LogEvent("submitted", "2015-09-10T18:20:30", text="first registration")]
    assert record.source_elements["igsn"] == "/samples/sample[1]/sampleNumber"
    assert record.warnings == [
        "/samples/sample[1]/samplingTime/timePeriod/end: date-time without seconds '2014-05-12T10:15'; "
        "read as 2014-05-12T10:15:00",
        # the sampling feature's own location has no place in the record
        "not mapped: /samples/sample[1]/samplingFeatures/samplingFeature/samplingFeatureLocation/locality",
        "not mapped: /samples/sample[1]/samplingFeatures/samplingFeature/samplingFeatureLocation/wkt",
        "not mapped: /samples/sample[1]/samplingFeatures/samplingFeature/samplingFeatureLocation/elevation",
    ]


def test_nil_and_alternative_forms_of_the_second_sample() -> None:
    record = batch()[1]
    assert record.igsn == "CSCAP0244" and record.is_public is False
    assert record.resource_types == [ODM2 + "specimentype/unknown/"]  # theSpecimenTypeIsUnknown
    assert record.materials == [] and record.collectors == []  # nil
    # spatialType Line is a LineString; srs none: no SRID
    assert record.geometries == [Geometry("LINESTRING(116.25 -26.06, 116.27 -26.05)", SF + "LineString")]
    assert record.collection_time == TimeSpan(instant="2014")
    assert (record.collection_method, record.alternate_collection_methods) == (None, ["Bailer"])
    assert record.curations == [Curation("CSIRO Mineral Resources")]
    assert record.log == [LogEvent("destroyed", "2016-02-01", text="consumed by analysis")]
    assert record.lifecycle == "destroyed"
    assert record.warnings == []


def test_both_records_conform(validator: Validator) -> None:
    for record in batch():
        conforms(record, validator)


def test_detected_by_the_root_beside_the_registration_kernel(shared: Path) -> None:
    doc = read_xml(FIXTURE.read_bytes())
    assert (doc.format.name if doc.format else None, [r.igsn for r in doc.records]) == (
        "csirov2",
        ["CSCAP0243", "CSCAP0244"],
    )
    assert [etree.QName(e).localname for e in doc.elements] == ["sample", "sample"]
    assert XML_FORMATS["csirov2"].write is None
    # the same namespace with root sample is the registration kernel 1.0
    kernel = parse_xml((shared / "examples" / "IGSN-metadata/registration/1.0/igsn.xml").read_bytes())
    assert etree.QName(kernel).namespace == csiro_v2.NS and detect(kernel).name == "igsn"


def test_sample_numbers_in_any_written_form() -> None:
    records = csiro_v2.read(document(sample(number="CSXYZ0001"), sample(number="10273/csxyz0002")))
    assert [r.igsn for r in records] == ["CSXYZ0001", "CSXYZ0002"]


def test_elements_not_mapped_are_reported() -> None:
    extra = (
        '<classification classificationIdentifier="https://example.org/rock"/>'
        '<x:bottle xmlns:x="https://example.org/lab" x:volume="250 ml">B-17</x:bottle>'
        "<sampleCuration><curation><curator>k</curator><curationTime><timePeriod><start>2015</start>"
        "<end>2016</end></timePeriod></curationTime></curation></sampleCuration>"
    )
    body = sample(body=extra).replace(
        "<sampleCuration><curation><curator>k</curator></curation></sampleCuration>", "", 1
    )
    [record] = csiro_v2.read(document(body))
    assert record.curations == [Curation("k", "2015")]  # a curation period: its start
    assert record.warnings == [
        "not mapped: /samples/sample/classification/@classificationIdentifier",  # a URI without a label
        "not mapped: /samples/sample/bottle",
        "not mapped: /samples/sample/sampleCuration/curation/curationTime/timePeriod/end",
    ]


def test_an_empty_log_time_stamp_leaves_the_event_out() -> None:
    record = one(log='timeStamp=""')
    assert record.log == []
    assert record.warnings == [
        "/samples/sample/logElement/@timeStamp: empty time stamp; the 'submitted' event is "
        "left out of the description (a log event needs a date)"
    ]


@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        ({"number": ""}, InvalidRecord, r"^/samples/sample: sampleNumber is missing or empty$"),
        ({"number": "CS XYZ"}, InvalidIdentifier, r"^/samples/sample/sampleNumber: IGSN must not contain any spaces"),
        ({"log": 'timeStamp="10/09/2015"'}, InvalidRecord, r"^/samples/sample/logElement/@timeStamp: '10/09/2015' is"),
        (
            {"body": "<samplingTime><timeInstant>autumn</timeInstant></samplingTime>"},
            InvalidRecord,
            r"^/samples/sample/samplingTime/timeInstant: 'autumn' is not a date",
        ),
    ],
)
def test_refusals_name_the_element(kwargs: dict[str, str], error: type[Exception], message: str) -> None:
    text = sample(**kwargs)
    if "samplingTime" in kwargs.get("body", ""):
        text = text.replace("<samplingTime/>", "", 1)
    with pytest.raises(error, match=message):
        csiro_v2.read(document(text))


def test_an_elevation_that_is_not_a_number_is_refused() -> None:
    location = (
        '<samplingLocation><wkt srs="EPSG:4326" spatialType="Point">POINT(1 2)</wkt>'
        '<elevation units="m">high</elevation></samplingLocation>'
    )
    with pytest.raises(InvalidRecord, match=r"samplingLocation/elevation: the elevation 'high' is not a number"):
        csiro_v2.read(document(sample().replace("<samplingLocation/>", location)))


def test_other_roots() -> None:
    with pytest.raises(UnsupportedFormat):
        csiro_v2.read(parse_xml(f'<sample xmlns="{csiro_v2.NS}"/>'))
    with pytest.raises(InvalidRecord, match="no sample element"):
        csiro_v2.read(parse_xml(f'<samples xmlns="{csiro_v2.NS}"/>'))
