"""Registration kernel 1.0 (and 0.3) ⇄ SampleRecord: real examples, XSD validity, round trips, losses."""

from __future__ import annotations

import dataclasses

import pytest
from lxml import etree

from igsn_graph.errors import InvalidIdentifier, InvalidRecord, UnsupportedFormat
from igsn_graph.formats import registration_kernel as rk
from igsn_graph.record import Agent, Identifier, LogEvent, Relation, SampleRecord
from igsn_graph.xmlparser import parse_xml

XSD_1_0 = "igsn/registration/1.0/igsn.xsd"

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


@pytest.mark.parametrize("written,expected", [
    ("10273/test/x1", "TEST/X1"), ("https://hdl.handle.net/10273/AU240", "AU240"), ("igsn:au240", "AU240")])
def test_sample_number_is_normalised(written: str, expected: str) -> None:
    doc = (f'<sample xmlns="{rk.NS_1_0}"><sampleNumber identifierType="igsn">{written}</sampleNumber>'
           '<registrant><registrantName>X</registrantName></registrant>'
           '<log><logElement event="registered" timeStamp="2020-01-01T00:00:00"/></log></sample>')
    assert rk.read(parse_xml(doc))[0].igsn == expected


def test_missing_sample_number_is_invalid() -> None:
    doc = f'<sample xmlns="{rk.NS_1_0}"><registrant><registrantName>X</registrantName></registrant></sample>'
    with pytest.raises(InvalidRecord, match="sampleNumber"):
        rk.read(parse_xml(doc))


def test_malformed_sample_number_is_an_identifier_error() -> None:
    doc = f'<sample xmlns="{rk.NS_1_0}"><sampleNumber identifierType="igsn">10273/A B</sampleNumber></sample>'
    with pytest.raises(InvalidIdentifier):
        rk.read(parse_xml(doc))


@pytest.mark.parametrize("doc", [
    '<sample xmlns="http://schema.igsn.org/registration/1.1"/>',  # the draft the registry never accepted
    '<resource xmlns="http://igsn.org/schema/kernel-v.1.0"/>',
    "<sample/>",
])
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
    written = rk.write(_sample(log=[LogEvent("registered", "2002"), LogEvent("updated", "2020-08-11T11:12:14+10:00"),
                                    LogEvent("renamed", "2021-01-01T00:00:00Z")]))
    assert_valid(written, XSD_1_0)
    assert _reread(written).log == [LogEvent("updated", "2020-08-11T11:12:14+10:00")]


def test_inexpressible_relations_are_left_out(assert_valid) -> None:
    relations = [
        Relation("10.5072/ok", "DOI", "IsCitedBy"),
        Relation("XXABC0000", "IGSN", "IsDerivedFrom"),            # neither type exists in 1.0
        Relation("10.5072/derived", "DOI", "IsDerivedFrom"),      # relation type outside the eleven
        Relation("ark:/13030/tf5p30086k", "ARK", "References"),   # identifier type outside the five
        Relation("https://w3id.org/example/x", "w3id", "References"),  # an http(s) value: written as url
        Relation("urn:isbn:0451450523", None, None),              # untyped relations stay untyped
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
    doc = (f'<sample xmlns="{rk.NS_1_0}"><sampleNumber identifierType="igsn">10273/X1</sampleNumber>'
           '<registrant><registrantName>X</registrantName></registrant><relatedResourceIdentifiers>'
           '<relatedIdentifier relatedIdentifierType="gopher" relationType="Likes">x</relatedIdentifier>'
           '</relatedResourceIdentifiers><log><logElement event="registered" timeStamp="2020-01-01T00:00:00"/>'
           '</log></sample>')
    [record] = rk.read(parse_xml(doc))
    assert record.relations == [Relation("x", "gopher", "Likes")]
    assert record.source_elements["relations"] == "/sample/relatedResourceIdentifiers/relatedIdentifier"
