"""OAI-PMH responses as input: GetRecord and ListRecords envelopes, deleted records, per-record documents, and
the refusals (other verbs, error responses, records without metadata)."""

from __future__ import annotations

from pathlib import Path

import pytest

from igsn_graph.errors import InvalidIdentifier, InvalidInput, InvalidRecord, UnsupportedFormat
from igsn_graph.formats import oai_input
from igsn_graph.formats.kernels import DESCRIPTION, read_xml
from igsn_graph.loader import read_document, read_input
from igsn_graph.xmlparser import parse_xml

from .conftest import OAI_NS

GA = "GeoscienceAustralia-samples-api/"
GET_RECORD_240 = GA + "_tests/static_data/static_GetRecord_240_igsn.xml"
GET_RECORD_239 = GA + "_tests/xml-validation/eg_GetRecord_AU239_igsn-dev.xml"
#: README.md describes it as the description kernel; it is byte for byte the oai_dc GetRecord of AU240
GET_RECORD_240_DC = GA + "test/static_data/static_GetRecord_240.xml"
DESC = "http://schema.igsn.org/description/1.1"


def _payload(name: str) -> str:
    return (
        f'<resource xmlns="{DESC}" type="Sample"><identifier type="IGSN">{name}</identifier>'
        f"<name>Core {name}</name></resource>"
    )


def _record(identifier: str, payload: str | None = None, *, deleted: bool = False, extra: str = "") -> str:
    status = ' status="deleted"' if deleted else ""
    metadata = f"<metadata>{payload}</metadata>" if payload is not None else ""
    return (
        f"<record><header{status}><identifier>{identifier}</identifier><datestamp>2024-01-02T03:04:05Z"
        f"</datestamp>{extra}</header>{metadata}</record>"
    )


def _response(*records: str, verb: str = "ListRecords") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="{OAI_NS}"><responseDate>2024-01-02T03:04:05Z'
        f'</responseDate><request verb="{verb}" metadataPrefix="igsn_desc">https://example.org/oai</request>'
        f"<{verb}>{''.join(records)}</{verb}></OAI-PMH>"
    ).encode()


@pytest.mark.parametrize("path,igsn", [(GET_RECORD_240, "AU240"), (GET_RECORD_239, "AU239")])
def test_ga_get_record_responses_read(shared: Path, path: str, igsn: str) -> None:
    data = (shared / "examples" / path).read_bytes()
    doc = read_xml(data)
    assert doc.envelope == "OAI-PMH" and doc.format is DESCRIPTION and doc.deleted == []
    [record] = doc.records
    assert record.igsn == igsn
    # the payload is read in place: its paths are those of the response the caller holds
    assert record.source_elements["igsn"].startswith("/OAI-PMH/GetRecord/record/metadata/resource/")
    [document] = doc.documents()
    assert parse_xml(document).tag == "{http://schema.igsn.org/description/1.0}resource"
    assert read_xml(document).records == [record]
    [item] = oai_input.items(parse_xml(data))
    assert (item.identifier, item.deleted, oai_input.sample_named(item)) == (igsn, False, igsn)


@pytest.mark.parametrize("path", [GET_RECORD_240_DC, GA + "_tests/static_data/static_GetRecord_240_dc.xml"])
def test_an_oai_dc_payload_is_read(shared: Path, path: str) -> None:
    doc = read_xml((shared / "examples" / path).read_bytes())  # formats.dc_reader (tests/formats/test_dc_reader.py)
    assert doc.format is not None and doc.format.name == "oai_dc" and [r.igsn for r in doc.records] == ["AU239"]


def test_an_unknown_payload_is_unsupported_and_says_where() -> None:
    mods = '<mods xmlns="http://www.loc.gov/mods/v3"><identifier>AU1</identifier></mods>'
    with pytest.raises(UnsupportedFormat) as info:
        read_xml(_response(_record("AU1", mods), verb="GetRecord"))
    assert str(info.value).startswith("/OAI-PMH/GetRecord/record/metadata: unsupported XML document")
    assert "{http://www.loc.gov/mods/v3}mods" in str(info.value)


@pytest.mark.parametrize(
    "name,verb",
    [
        ("static_Identify.xml", "Identify"),
        ("static_ListMetadataFormats.xml", "ListMetadataFormats"),
        ("static_ListSets.xml", "ListSets"),
    ],
)
def test_other_verbs_carry_no_records(shared: Path, name: str, verb: str) -> None:
    with pytest.raises(
        UnsupportedFormat,
        match=f"^an OAI-PMH {verb} response carries no records: only GetRecord and ListRecords responses are read$",
    ):
        read_xml((shared / "examples" / GA / "_tests/static_data" / name).read_bytes())


def test_list_identifiers_and_error_responses_carry_no_records() -> None:
    with pytest.raises(UnsupportedFormat, match="ListIdentifiers response carries no records"):
        read_xml(_response(verb="ListIdentifiers"))
    error = (
        f'<OAI-PMH xmlns="{OAI_NS}"><responseDate>2024-01-02T03:04:05Z</responseDate><request>x</request>'
        '<error code="noRecordsMatch">nothing in this range</error></OAI-PMH>'
    ).encode()
    with pytest.raises(UnsupportedFormat, match=r"is an error \(noRecordsMatch: nothing in this range\)"):
        read_xml(error)


def test_list_records_with_deleted_records() -> None:
    data = _response(
        _record("oai:registry:XXA1", _payload("XXA1")),
        _record("oai:registry:XXA2", deleted=True),
        _record("oai:pid.example.org:10273/xxa3", _payload("XXA3")),
        _record("igsn:xxa4", deleted=True),
    )
    doc = read_xml(data)
    assert doc.format is DESCRIPTION
    assert [r.igsn for r in doc.records] == ["XXA1", "XXA3"]
    assert doc.deleted == ["XXA2", "XXA4"]
    assert [r.warnings for r in doc.records] == [[], []]
    documents = doc.documents()
    assert [parse_xml(d).tag for d in documents] == [f"{{{DESC}}}resource"] * 2
    assert [read_xml(d).records for d in documents] == [[r] for r in doc.records]
    got = read_input(data)
    assert [(s.record.igsn, s.format, s.document) for s in got.submissions] == [
        ("XXA1", "igsn_desc", documents[0]),
        ("XXA3", "igsn_desc", documents[1]),
    ]
    assert got.deleted == ["XXA2", "XXA4"]


def test_a_caller_that_cannot_deactivate_refuses_deletions() -> None:
    with pytest.raises(InvalidInput, match=r"reports 1 deleted record\(s\) \(XXA2\).*igsn-graph load"):
        read_document(_response(_record("oai:r:XXA1", _payload("XXA1")), _record("oai:r:XXA2", deleted=True)))
    [sub] = read_document(_response(_record("oai:r:XXA1", _payload("XXA1"))))
    assert sub.record.igsn == "XXA1"


def test_a_response_of_deletions_only() -> None:
    doc = read_xml(_response(_record("oai:r:XXA2", deleted=True)))
    assert (doc.format, doc.records, doc.documents(), doc.deleted) == (None, [], [], ["XXA2"])


def test_set_specs_about_and_a_foreign_header_identifier_are_reported() -> None:
    about = f'<about><provenance xmlns="{OAI_NS}provenance"/></about>'
    data = _response(
        _record("oai:r:XXB1", _payload("XXA1"), extra="<setSpec>a</setSpec><setSpec>b</setSpec>").replace(
            "</metadata>", "</metadata>" + about
        ),
        _record("urn:uuid:1234", _payload("XXA2")),
    )
    first, second = read_xml(data).records
    assert first.warnings == [
        "not mapped: /OAI-PMH/ListRecords/record[1]/header/setSpec[1]",
        "not mapped: /OAI-PMH/ListRecords/record[1]/header/setSpec[2]",
        "not mapped: /OAI-PMH/ListRecords/record[1]/about",
        "/OAI-PMH/ListRecords/record[1]/header/identifier: 'oai:r:XXB1' names XXB1, the record XXA1; the "
        "record's own identifier is used",
    ]
    [warning] = second.warnings
    assert warning.startswith("/OAI-PMH/ListRecords/record[2]/header/identifier: 'urn:uuid:1234' names no IGSN")
    assert warning.endswith("; the record's own identifier XXA2 is used")


@pytest.mark.parametrize(
    "identifier,name",
    [
        ("oai:registry:AU240", "AU240"),
        ("AU240", "AU240"),
        ("oai:pid.geoscience.gov.au:10273/au240", "AU240"),
        ("oai:x.org:igsn:AU240", "AU240"),
        ("oai:x.org:https://hdl.handle.net/10273/AU240", "AU240"),
    ],
)
def test_the_header_identifier_names_the_sample(identifier: str, name: str) -> None:
    assert read_xml(_response(_record(identifier, deleted=True))).deleted == [name]


def test_a_deleted_record_naming_no_igsn_is_refused() -> None:
    with pytest.raises(
        InvalidIdentifier,
        match=r"^/OAI-PMH/ListRecords/record\[2\]/header/identifier: "
        r"'oai:r:a b' names no IGSN",
    ):
        read_xml(_response(_record("oai:r:XXA1", deleted=True), _record("oai:r:a b", deleted=True)))
    with pytest.raises(InvalidRecord, match=r"^/OAI-PMH/ListRecords/record/header/identifier: missing"):
        read_xml(_response(_record("", deleted=True)))


def test_records_without_metadata_or_deleted_with_metadata_are_refused() -> None:
    with pytest.raises(InvalidRecord, match=r"^/OAI-PMH/GetRecord/record/metadata: no metadata"):
        read_xml(_response(_record("oai:r:XXA1"), verb="GetRecord"))
    with pytest.raises(InvalidRecord, match="header says deleted but the record has metadata"):
        read_xml(_response(_record("oai:r:XXA1", _payload("XXA1"), deleted=True)))


def test_a_payload_error_names_its_place_in_the_response() -> None:
    registration = '<sample xmlns="http://igsn.org/schema/kernel-v.1.0"><registrant/></sample>'
    with pytest.raises(InvalidRecord, match=r"^/OAI-PMH/ListRecords/record\[2\]/metadata/sample: sampleNumber"):
        first = registration.replace("<registrant/>", "<sampleNumber>X1</sampleNumber>")
        read_xml(_response(_record("oai:r:X1", first), _record("oai:r:X2", registration)))


def test_one_metadata_format_per_response() -> None:
    registration = (
        '<sample xmlns="http://igsn.org/schema/kernel-v.1.0"><sampleNumber identifierType="igsn">'
        "10273/XXA2</sampleNumber></sample>"
    )
    with pytest.raises(InvalidInput, match=r"record\[2\]/metadata: a igsn record in a response of igsn_desc"):
        read_xml(_response(_record("oai:r:XXA1", _payload("XXA1")), _record("oai:r:XXA2", registration)))
