"""Registration kernel 1.0 (0.3, the 1.1 draft) ⇄ SampleRecord: real examples, XSD validity, round trips, losses,
and what is accepted off-form with a warning."""

from __future__ import annotations

import dataclasses

import pytest
from lxml import etree

from igsn_graph.errors import InvalidIdentifier, InvalidRecord, UnsupportedFormat
from igsn_graph.formats import registration_kernel as rk
from igsn_graph.record import Agent, Identifier, LogEvent, Relation, SampleRecord
from igsn_graph.xmlparser import parse_xml

XSD_1_0 = "igsn/registration/1.0/igsn.xsd"
XSD_1_1 = "igsn/registration/1.1/igsn.xsd"
EXAMPLE_1_1 = "IGSN-metadata/registration/1.1/igsn.xml"
#: the GFZ MDS fixture whose xsi:schemaLocation names the 1.0 schema for the 0.3 namespace
MISMATCH = "IGSN-mds/src/test/resources/igsn-v1.0.xml"

#: every registration-kernel example in shared/examples (0.3 and 1.0 namespaces) → its IGSN
EXAMPLES = {
    "IGSN-metadata/registration/0.3/igsn.xml": "IGSN.TEST2",
    "IGSN-metadata/registration/1.0/igsn.xml": "TEST/TESTHANDLE",
    "IGSN-mds/src/main/webapp/examples/igsn.org/examples/java/test.xml": "TEST/TEST3",
    "IGSN-mds/src/main/webapp/examples/igsn.org/examples/python/test.xml": "TEST/TEST3",
    "IGSN-mds/src/test/resources/igsn-v0.3.xml": "IGSN.TEST",
    "IGSN-mds/src/test/resources/igsn-v1.0.xml": "IGSN.TEST",
    "au-research-igsn-metadata-registry/src/test/resources/xml/sample_igsn_descriptive_v1.xml": "TEST/TESTHANDLE",
}


def _sample(**changes: object) -> SampleRecord:
    base = SampleRecord(
        igsn="XXABC0001",
        registrant=Agent("Doe, Jane", Identifier("0000-0001-5109-3700", "ORCID")),
        log=[LogEvent("registered", "2024-01-02T03:04:05Z")],
    )
    return dataclasses.replace(base, **changes)


def _reread(element: etree._Element) -> SampleRecord:
    [record] = rk.read(parse_xml(etree.tostring(element)))
    return record


@pytest.mark.parametrize("path", sorted(EXAMPLES))
def test_example_reads(example, path: str) -> None:
    [record] = rk.read(example(path))
    assert record.igsn == EXAMPLES[path]
    assert record.warnings == (
        []
        if path != MISMATCH
        else [
            "/sample/@xsi:schemaLocation: http://igsn.org/schema/kernel-v.0.3 is paired with the kernel 1.0 schema "
            "http://doidb.wdc-terra.org/igsn/schemas/igsn.org/schema/1.0/igsn.xsd; read as kernel 0.3, the "
            "document's namespace"
        ]
    )
    assert record.registrant is not None and record.registrant.identifier == Identifier("Test", "ORCID")
    assert [r.relation_type for r in record.relations] == ["IsCitedBy", "IsReferencedBy"]
    assert [r.identifier_type for r in record.relations] == ["DOI", "Handle"]
    assert {e.event for e in record.log} == {"registered", "submitted"}
    assert record.source_elements["igsn"] == "/sample/sampleNumber"
    assert record.source_elements["log"] == "/sample/log/logElement[1]"


@pytest.mark.parametrize("path", sorted(EXAMPLES))
def test_example_write_validates_and_round_trips(example, assert_valid, path: str) -> None:
    [record] = rk.read(example(path))
    written = rk.write(record)
    assert_valid(written, XSD_1_0)
    assert _reread(written) == record


def test_reads_log_comment_and_text(example) -> None:
    [record] = rk.read(example("IGSN-mds/src/main/webapp/examples/igsn.org/examples/python/test.xml"))
    assert record.log[0] == LogEvent("registered", "2002-09-24T20:00:00", "comment", "This is an optional text")
    assert record.log[1] == LogEvent("submitted", "2002-09-24T20:00:00")


def test_reads_0_3_and_writes_1_0(example) -> None:
    root = example("IGSN-metadata/registration/0.3/igsn.xml")
    assert etree.QName(root).namespace == rk.NS_0_3
    [record] = rk.read(root)
    written = rk.write(record)
    assert etree.QName(written).namespace == rk.NS_1_0
    assert written.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation") == rk.SCHEMA_LOCATION


def test_sample_number_is_written_as_handle() -> None:
    written = rk.write(_sample(igsn="TEST/TESTHANDLE"))
    number = written.find(f"{{{rk.NS_1_0}}}sampleNumber")
    assert number is not None
    assert (number.text, number.get("identifierType")) == ("10273/TEST/TESTHANDLE", "igsn")


@pytest.mark.parametrize(
    "written,expected",
    [("10273/test/x1", "TEST/X1"), ("https://hdl.handle.net/10273/AU240", "AU240"), ("igsn:au240", "AU240")],
)
def test_sample_number_is_normalised(written: str, expected: str) -> None:
    doc = (
        f'<sample xmlns="{rk.NS_1_0}"><sampleNumber identifierType="igsn">{written}</sampleNumber>'
        "<registrant><registrantName>X</registrantName></registrant>"
        '<log><logElement event="registered" timeStamp="2020-01-01T00:00:00"/></log></sample>'
    )
    assert rk.read(parse_xml(doc))[0].igsn == expected


def test_missing_sample_number_is_invalid() -> None:
    doc = f'<sample xmlns="{rk.NS_1_0}"><registrant><registrantName>X</registrantName></registrant></sample>'
    with pytest.raises(InvalidRecord, match="sampleNumber"):
        rk.read(parse_xml(doc))


def test_malformed_sample_number_is_an_identifier_error() -> None:
    doc = f'<sample xmlns="{rk.NS_1_0}"><sampleNumber identifierType="igsn">10273/A B</sampleNumber></sample>'
    with pytest.raises(InvalidIdentifier):
        rk.read(parse_xml(doc))


@pytest.mark.parametrize(
    "doc",
    [
        '<sample xmlns="http://schema.igsn.org/registration/2.0"/>',
        '<resource xmlns="http://igsn.org/schema/kernel-v.1.0"/>',
        "<sample/>",
    ],
)
def test_other_roots_are_unsupported(doc: str) -> None:
    with pytest.raises(UnsupportedFormat):
        rk.read(parse_xml(doc))


def test_write_requires_a_registrant() -> None:
    with pytest.raises(ValueError, match="registrant"):
        rk.write(_sample(registrant=None))


def test_write_requires_a_datetime_log_event(assert_valid) -> None:
    with pytest.raises(ValueError, match="log"):
        rk.write(_sample(log=[]))
    with pytest.raises(ValueError, match="log"):
        rk.write(_sample(log=[LogEvent("registered", "2002")]))  # a CSIRO-style year
    # events the 1.0 kernel cannot hold are left out, the others kept
    written = rk.write(
        _sample(
            log=[
                LogEvent("registered", "2002"),
                LogEvent("updated", "2020-08-11T11:12:14+10:00"),
                LogEvent("renamed", "2021-01-01T00:00:00Z"),
            ]
        )
    )
    assert_valid(written, XSD_1_0)
    assert _reread(written).log == [LogEvent("updated", "2020-08-11T11:12:14+10:00")]


def test_inexpressible_relations_are_left_out(assert_valid) -> None:
    relations = [
        Relation("10.5072/ok", "DOI", "IsCitedBy"),
        Relation("XXABC0000", "IGSN", "IsDerivedFrom"),  # neither type exists in 1.0
        Relation("10.5072/derived", "DOI", "IsDerivedFrom"),  # relation type outside the eleven
        Relation("ark:/13030/tf5p30086k", "ARK", "References"),  # identifier type outside the five
        Relation("https://w3id.org/example/x", "w3id", "References"),  # an http(s) value: written as url
        Relation("urn:isbn:0451450523", None, None),  # untyped relations stay untyped
    ]
    written = rk.write(_sample(relations=relations))
    assert_valid(written, XSD_1_0)
    assert _reread(written).relations == [
        Relation("10.5072/ok", "DOI", "IsCitedBy"),
        Relation("https://w3id.org/example/x", "URL", "References"),
        Relation("urn:isbn:0451450523", None, None),
    ]


def test_no_expressible_relation_means_no_container(assert_valid) -> None:
    written = rk.write(_sample(relations=[Relation("XXABC0000", "IGSN", "IsDerivedFrom")], parents=["XXABC0000"]))
    assert_valid(written, XSD_1_0)
    assert written.find(f"{{{rk.NS_1_0}}}relatedResourceIdentifiers") is None


def test_registrant_identifier_outside_the_schemes_is_left_out(assert_valid) -> None:
    written = rk.write(_sample(registrant=Agent("Example Org", Identifier("https://ror.org/05gq02987", "ROR"))))
    assert_valid(written, XSD_1_0)
    assert _reread(written).registrant == Agent("Example Org")
    researcher = Agent("A B", Identifier("A-1234-2010", "ResearcherID"))
    assert _reread(rk.write(_sample(registrant=researcher))).registrant == researcher


def test_unknown_vocabulary_is_kept_as_written() -> None:
    doc = (
        f'<sample xmlns="{rk.NS_1_0}"><sampleNumber identifierType="igsn">10273/X1</sampleNumber>'
        "<registrant><registrantName>X</registrantName></registrant><relatedResourceIdentifiers>"
        '<relatedIdentifier relatedIdentifierType="gopher" relationType="Likes">x</relatedIdentifier>'
        '</relatedResourceIdentifiers><log><logElement event="registered" timeStamp="2020-01-01T00:00:00"/>'
        "</log></sample>"
    )
    [record] = rk.read(parse_xml(doc))
    assert record.relations == [Relation("x", "gopher", "Likes")]
    assert record.source_elements["relations"] == "/sample/relatedResourceIdentifiers/relatedIdentifier"


# -- the 1.1 draft -------------------------------------------------------------------------------
def test_1_1_example_reads(example, assert_valid) -> None:
    root = example(EXAMPLE_1_1)
    assert_valid(root, XSD_1_1)
    [record] = rk.read(root)
    assert record.igsn == "TESTIGSN"  # 20.500.11812/TESTIGSN: the test handle prefix
    assert record.registrant == Agent("John Doe", Identifier("Test", "ORCID"))
    assert record.relations == [
        Relation("10.5072/TEST", "DOI", "IsCitedBy"),
        Relation("10.5072/TEST2", "Handle", "IsReferencedBy"),
    ]
    # W3CDTF time stamps; to the minute gets :00 seconds (the graph and the shapes take whole date-times)
    assert record.log == [
        LogEvent("registered", "1997", "This is an optional comment"),
        LogEvent("submitted", "1997-07"),
        LogEvent("updated", "1997-07-16"),
        LogEvent("deprecated", "1997-07-16T19:20:30.45+01:00"),
        LogEvent("destroyed", "1997-07-16T19:20:00+01:00"),
    ]
    assert record.lifecycle == "destroyed"
    assert record.warnings == []
    assert record.source_elements["relations"] == "/sample/relatedResourceIdentifiers/relatedResourceIdentifier[1]"


def test_1_1_is_written_as_1_0(example, assert_valid) -> None:
    [record] = rk.read(example(EXAMPLE_1_1))
    written = rk.write(record)
    assert_valid(written, XSD_1_0)
    assert etree.QName(written).namespace == rk.NS_1_0
    # partial dates have no place in the 1.0 xs:dateTime: those events are left out
    assert [(e.event, e.timestamp) for e in _reread(written).log] == [
        ("deprecated", "1997-07-16T19:20:30.45+01:00"),
        ("destroyed", "1997-07-16T19:20:00+01:00"),
    ]
    assert _reread(written).relations == record.relations


def _doc(
    ns: str = rk.NS_1_0,
    *,
    log: str = '<logElement event="registered" timeStamp="2020-01-01T00:00:00"/>',
    related: str = "",
    extra: str = "",
) -> str:
    return (
        f'<sample xmlns="{ns}"><sampleNumber identifierType="igsn">10273/X1</sampleNumber>'
        f"<registrant><registrantName>X</registrantName></registrant>{related}<log>{log}</log>{extra}</sample>"
    )


def test_1_1_igsn_relations() -> None:
    related = (
        '<relatedResourceIdentifiers><relatedResourceIdentifier relatedIdentifierType="igsn" '
        'relationType="IsPartOf">10273/XPARENT</relatedResourceIdentifier></relatedResourceIdentifiers>'
    )
    [record] = rk.read(parse_xml(_doc(rk.NS_1_1, related=related)))
    [relation] = record.relations
    assert (relation.identifier_type, relation.relation_type) == ("IGSN", "IsPartOf")
    assert relation.identifier.endswith("XPARENT")
    assert record.warnings == []


@pytest.mark.parametrize(
    "ns,name,other",
    [
        (rk.NS_1_0, "relatedResourceIdentifier", "relatedIdentifier"),
        (rk.NS_1_1, "relatedIdentifier", "relatedResourceIdentifier"),
    ],
)
def test_the_other_versions_related_element_is_read_with_a_warning(ns: str, name: str, other: str) -> None:
    related = (
        f'<relatedResourceIdentifiers><{name} relatedIdentifierType="doi" relationType="IsCitedBy">'
        f"10.5072/X</{name}></relatedResourceIdentifiers>"
    )
    [record] = rk.read(parse_xml(_doc(ns, related=related)))
    assert record.relations == [Relation("10.5072/X", "DOI", "IsCitedBy")]
    assert record.warnings == [
        f"/sample/relatedResourceIdentifiers/{name}: {name} is not the element of this "
        f"kernel version ({other}); read as a related identifier"
    ]


# -- off-form time stamps ------------------------------------------------------------------------
def test_empty_time_stamps_are_left_out_with_a_warning() -> None:
    # MARUM records: the IGSN registry accepted timeStamp="" for years
    log = (
        '<logElement event="submitted" timeStamp=""/>'
        '<logElement event="registered" timeStamp="2020-01-01T00:00:00"/>'
        '<logElement event="destroyed" timeStamp="  "/><logElement event="updated"/>'
    )
    [record] = rk.read(parse_xml(_doc(log=log)))
    assert record.log == [LogEvent("registered", "2020-01-01T00:00:00")]
    assert record.lifecycle is None
    assert record.warnings == [
        "/sample/log/logElement[1]/@timeStamp: empty time stamp; the 'submitted' event is left out of the "
        "description (a log event needs a date)",
        "/sample/log/logElement[3]/@timeStamp: empty time stamp; the 'destroyed' event is left out of the "
        "description (a log event needs a date); the sample's destroyed state is not recorded",
        "/sample/log/logElement[4]/@timeStamp: no time stamp; the 'updated' event is left out of the "
        "description (a log event needs a date)",
    ]
    assert record.source_elements["log"] == "/sample/log/logElement[2]"


@pytest.mark.parametrize("value", ["yesterday", "2021-02-29", "2020-13", "20200101", "2020-01-01 10:00"])
def test_a_time_stamp_that_is_not_a_date_is_refused(value: str) -> None:
    log = f'<logElement event="registered" timeStamp="2020"/><logElement event="updated" timeStamp="{value}"/>'
    with pytest.raises(InvalidRecord, match=r"^/sample/log/logElement\[2\]/@timeStamp: .* is not a date"):
        rk.read(parse_xml(_doc(rk.NS_1_1, log=log)))
    with pytest.raises(InvalidRecord, match="not a date"):
        rk.read(parse_xml(_doc(rk.NS_1_0, log=log)))


def test_a_1_0_partial_date_is_kept_with_a_warning() -> None:
    log = (
        '<logElement event="registered" timeStamp="2020-05-17"/>'
        '<logElement event="updated" timeStamp="2020-05-18T10:00Z"/>'
    )
    [record] = rk.read(parse_xml(_doc(log=log)))
    assert record.log == [LogEvent("registered", "2020-05-17"), LogEvent("updated", "2020-05-18T10:00:00Z")]
    assert record.warnings == [
        "/sample/log/logElement[1]/@timeStamp: '2020-05-17' is not the xs:dateTime kernel 1.0 asks for; read as "
        "the date 2020-05-17",
        "/sample/log/logElement[2]/@timeStamp: '2020-05-18T10:00Z' is not the xs:dateTime kernel 1.0 asks for; "
        "read as the date 2020-05-18T10:00:00Z",
    ]
    # the same values are on-form in the 1.1 draft
    assert rk.read(parse_xml(_doc(rk.NS_1_1, log=log)))[0].warnings == []


# -- schema locations and what is not mapped ---------------------------------------------------------
@pytest.mark.parametrize(
    "location,warned",
    [
        (f"{rk.NS_1_0} {rk.SCHEMAS[rk.NS_1_0]}", False),
        (f"{rk.NS_1_0} file:///local/copy.xsd", False),  # an unknown location is only a hint
        (f"{rk.NS_1_0} {rk.SCHEMAS[rk.NS_1_1]}", True),
        (f"{rk.NS_0_3} {rk.SCHEMAS[rk.NS_1_0]}", True),
    ],
)
def test_schema_location_mismatch_is_a_warning(location: str, warned: bool) -> None:
    doc = _doc().replace("<sample ", f'<sample xmlns:xsi="{rk._XSI}" xsi:schemaLocation="{location}" ', 1)
    [record] = rk.read(parse_xml(doc))
    assert record.igsn == "X1"
    assert bool(record.warnings) == warned
    assert all(w.startswith("/sample/@xsi:schemaLocation: ") and "read as kernel 1.0" in w for w in record.warnings)


def test_what_is_not_mapped_is_reported_once_per_path() -> None:
    log = (
        '<logElement event="registered" timeStamp="2020-01-01T00:00:00" source="lab"/>'
        '<logElement event="updated" timeStamp="2020-02-01T00:00:00" source="lab"/>'
    )
    extra = (
        "<landingPage>https://example.org/x1</landingPage><landingPage>https://example.org/x2</landingPage>"
        '<x:log xmlns:x="urn:example"><x:logElement event="updated" timeStamp="2021"/></x:log>'
    )
    doc = _doc(log=log, extra=extra).replace(
        "<registrantName>", '<affiliation>GFZ</affiliation><registrantName xml:lang="en">'
    )
    [record] = rk.read(parse_xml(doc))
    assert record.warnings == [
        "not mapped: /sample/registrant/affiliation",
        "not mapped: /sample/registrant/registrantName/@lang",
        "not mapped: /sample/log[1]/logElement[1]/@source",
        "not mapped: /sample/landingPage[1]",
        # another namespace's log is not the kernel's: none of its values is read
        "not mapped: /sample/log[2]/logElement/@event",
        "not mapped: /sample/log[2]/logElement/@timeStamp",
    ]
    assert [e.event for e in record.log] == ["registered", "updated"]


def test_a_registrant_without_a_name_is_reported() -> None:
    doc = _doc().replace(
        "<registrantName>X</registrantName>",
        '<nameIdentifier nameIdentifierScheme="orcid">0000-0001-5109-3700</nameIdentifier>',
    )
    [record] = rk.read(parse_xml(doc))
    assert record.registrant is None
    assert record.warnings == [
        "/sample/registrant: no registrantName; the registrant is not mapped (the registry names the registering agent)",
        "not mapped: /sample/registrant/nameIdentifier",  # and what it held, as every value not read
    ]
