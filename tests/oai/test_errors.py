"""The error matrix of OAI-PMH.md §1.4, one test per case: code, HTTP 200, bare ``request`` where required.

Every response is XSD-validated and spec-checked by ``OaiClient``; the probes of the reference Perl
validator come first, then the cases it does not probe, then every other code.
"""

from __future__ import annotations

from typing import Iterator

import pytest
from lxml import etree

from igsn_graph.oai.tokens import TokenCodec, TokenState, load_secret
from igsn_graph.registry.service import Registry
from tests.conftest import add_test_accounts

from .conftest import NS, OaiClient, oai_app
from .samples import ONE, at, register, rich

REPO = "test.igsn-graph.org"


def _prepare(registry: Registry) -> None:
    add_test_accounts(registry)
    at(registry, "2090-06-01T00:00:00Z")
    register(registry, ONE, *(rich(f"ZTA{i:04d}") for i in range(7)))
    registry.mint(ONE, "ZTA0100", "https://example.org/s/100")  # an item without metadata


@pytest.fixture(scope="module")
def oai(tmp_path_factory: pytest.TempPathFactory, oai_schema: etree.XMLSchema) -> Iterator[OaiClient]:
    with oai_app(tmp_path_factory.mktemp("errors") / "data", oai_schema, prepare=_prepare) as client:
        yield client


@pytest.fixture(scope="module")
def no_sets(tmp_path_factory: pytest.TempPathFactory, oai_schema: etree.XMLSchema) -> Iterator[OaiClient]:
    """A repository without accounts: it has no sets."""
    with oai_app(tmp_path_factory.mktemp("nosets") / "data", oai_schema) as client:
        yield client


def codes(root: etree._Element) -> list[str]:
    return [e.get("code") for e in root.iterfind("o:error", NS)]  # type: ignore[misc]


def request_attributes(root: etree._Element) -> dict[str, str]:
    return dict(root.find("o:request", NS).attrib)  # type: ignore[union-attr]


def a_token(oai: OaiClient, verb: str = "ListRecords") -> str:
    root = oai.get(verb=verb, metadataPrefix="oai_dc")
    token = root.findtext(".//o:resumptionToken", namespaces=NS)
    assert token
    return token


# -- what the Perl validator probes (Validator.pm test_expected_errors) ----------------------------
def test_no_verb_is_bad_verb(oai: OaiClient) -> None:
    root = oai.query("junk")
    assert codes(root) == ["badVerb"] and request_attributes(root) == {}


def test_unknown_verb_is_bad_verb(oai: OaiClient) -> None:
    root = oai.query("verb=junk")
    assert codes(root) == ["badVerb"] and request_attributes(root) == {}


def test_get_record_without_identifier(oai: OaiClient) -> None:
    root = oai.get(verb="GetRecord", metadataPrefix="oai_dc")
    assert codes(root) == ["badArgument"] and request_attributes(root) == {}


def test_get_record_without_metadata_prefix(oai: OaiClient) -> None:
    root = oai.get(verb="GetRecord", identifier=f"oai:{REPO}:ZTA0001")
    assert codes(root) == ["badArgument"]


def test_identifier_with_a_quote_stays_well_formed(oai: OaiClient) -> None:
    root = oai.get(verb="GetRecord", identifier='invalid"id', metadataPrefix="oai_dc")
    assert codes(root) == ["badArgument"] and request_attributes(root) == {}


def test_from_junk(oai: OaiClient) -> None:
    assert codes(oai.get(verb="ListRecords", metadataPrefix="oai_dc", from_="junk")) == ["badArgument"]


def test_dates_in_other_digits_are_bad_argument_never_echoed(oai: OaiClient) -> None:
    """Arabic-Indic or full-width digits make a date int() reads, not one the echo may carry (checked by the XSD)."""
    for value in ("٢٠٢٦-01-01", "２０２６-01-01T00:00:00Z"):
        for name in ("from_", "until"):
            assert codes(oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc", **{name: value})) == ["badArgument"]


def test_until_junk(oai: OaiClient) -> None:
    assert codes(oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc", until="junk")) == ["badArgument"]


def test_token_with_another_argument_is_bad_argument(oai: OaiClient) -> None:
    root = oai.get(verb="ListRecords", resumptionToken="junk", until="2099-01-01")
    assert codes(root) == ["badArgument"] and request_attributes(root) == {}


def test_junk_token_is_bad_resumption_token(oai: OaiClient) -> None:
    root = oai.get(verb="ListRecords", resumptionToken="junk")
    assert codes(root) == ["badResumptionToken"]
    assert request_attributes(root) == {"verb": "ListRecords", "resumptionToken": "junk"}


def test_list_records_without_metadata_prefix(oai: OaiClient) -> None:
    assert codes(oai.get(verb="ListRecords")) == ["badArgument"]


def test_mixed_granularity(oai: OaiClient) -> None:
    root = oai.get(verb="ListRecords", metadataPrefix="oai_dc", from_="2002-02-05", until="2002-02-06T05:35:00Z")
    assert codes(root) == ["badArgument"]


def test_until_before_the_earliest_datestamp_is_no_records_match(oai: OaiClient) -> None:
    earliest = oai.get(verb="Identify").findtext(".//o:earliestDatestamp", namespaces=NS)
    year_before = f"{int(earliest[:4]) - 1}{earliest[4:10]}"  # type: ignore[index]
    root = oai.get(verb="ListRecords", metadataPrefix="oai_dc", until=year_before)
    assert codes(root) == ["noRecordsMatch"]
    assert request_attributes(root) == {"verb": "ListRecords", "metadataPrefix": "oai_dc", "until": year_before}


# -- cases the validator does not probe -------------------------------------------------------------
def test_repeated_verb_is_bad_verb(oai: OaiClient) -> None:
    root = oai.query("verb=Identify&verb=Identify")
    assert codes(root) == ["badVerb"] and request_attributes(root) == {}


def test_repeated_argument_is_bad_argument(oai: OaiClient) -> None:
    root = oai.query("verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc")
    assert codes(root) == ["badArgument"] and request_attributes(root) == {}


def test_any_argument_on_identify(oai: OaiClient) -> None:
    assert codes(oai.get(verb="Identify", metadataPrefix="oai_dc")) == ["badArgument"]


def test_unknown_argument(oai: OaiClient) -> None:
    assert codes(oai.get(verb="ListSets", foo="bar")) == ["badArgument"]


def test_set_without_a_set_hierarchy(no_sets: OaiClient) -> None:
    assert codes(no_sets.get(verb="ListIdentifiers", metadataPrefix="oai_dc", set="ZTEST")) == ["noSetHierarchy"]


def test_list_sets_without_a_set_hierarchy(no_sets: OaiClient) -> None:
    root = no_sets.get(verb="ListSets")
    assert codes(root) == ["noSetHierarchy"] and request_attributes(root) == {"verb": "ListSets"}


def test_from_after_until(oai: OaiClient) -> None:
    root = oai.get(verb="ListRecords", metadataPrefix="oai_dc", from_="2020-01-02", until="2020-01-01")
    assert codes(root) == ["badArgument"]


def test_empty_value(oai: OaiClient) -> None:
    assert codes(oai.query("verb=ListRecords&metadataPrefix=")) == ["badArgument"]


def test_prefix_outside_its_pattern_is_bad_argument(oai: OaiClient) -> None:
    root = oai.get(verb="ListRecords", metadataPrefix="a b")
    assert codes(root) == ["badArgument"] and request_attributes(root) == {}


def test_set_outside_its_pattern_is_bad_argument(oai: OaiClient) -> None:
    assert codes(oai.get(verb="ListRecords", metadataPrefix="oai_dc", set="a/b")) == ["badArgument"]


def test_finer_than_seconds_is_bad_argument(oai: OaiClient) -> None:
    for value in ("2020-01-01T00:00:00.5Z", "2020-01-01T00:00:00+01:00", "2020-01-01T00:00Z", "2020-02-30"):
        assert codes(oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc", from_=value)) == ["badArgument"], value


def test_characters_xml_cannot_carry_are_bad_argument(oai: OaiClient) -> None:
    root = oai.query("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai%3Ax%3A%01%FF%FE")
    assert codes(root) == ["badArgument"] and request_attributes(root) == {}
    assert codes(oai.query("verb=Identify%00")) == ["badVerb"]


def test_not_utf8_is_bad_argument(oai: OaiClient) -> None:
    assert codes(oai.query("verb=ListSets&set=%FF")) == ["badArgument"]


def test_every_problem_is_reported(oai: OaiClient) -> None:
    root = oai.get(verb="ListRecords", metadataPrefix="oai_dc", from_="junk", until="junk", foo="x")
    assert codes(root) == ["badArgument"] * 3


# -- the other codes ------------------------------------------------------------------------------
def test_unsupported_prefix_for_a_list(oai: OaiClient) -> None:
    root = oai.get(verb="ListRecords", metadataPrefix="marc21")
    assert codes(root) == ["cannotDisseminateFormat"]
    assert request_attributes(root) == {"verb": "ListRecords", "metadataPrefix": "marc21"}


def test_unsupported_prefix_for_an_item(oai: OaiClient) -> None:
    root = oai.get(verb="GetRecord", identifier=f"oai:{REPO}:ZTA0001", metadataPrefix="marc21")
    assert codes(root) == ["cannotDisseminateFormat"]


def test_an_item_without_metadata_cannot_be_disseminated(oai: OaiClient) -> None:
    root = oai.get(verb="GetRecord", identifier=f"oai:{REPO}:ZTA0100", metadataPrefix="oai_dc")
    assert codes(root) == ["cannotDisseminateFormat"]


def test_unknown_identifier_in_get_record(oai: OaiClient) -> None:
    root = oai.get(verb="GetRecord", identifier=f"oai:{REPO}:ZTA9999", metadataPrefix="oai_dc")
    assert codes(root) == ["idDoesNotExist"]
    assert request_attributes(root)["identifier"] == f"oai:{REPO}:ZTA9999"


def test_identifier_of_another_repository(oai: OaiClient) -> None:
    root = oai.get(verb="GetRecord", identifier="oai:other.example.org:ZTA0001", metadataPrefix="oai_dc")
    assert codes(root) == ["idDoesNotExist"]


def test_unknown_identifier_and_unsupported_prefix_both_reported(oai: OaiClient) -> None:
    root = oai.get(verb="GetRecord", identifier=f"oai:{REPO}:ZTA9999", metadataPrefix="marc21")
    assert codes(root) == ["idDoesNotExist", "cannotDisseminateFormat"]


def test_unknown_identifier_in_list_metadata_formats(oai: OaiClient) -> None:
    assert codes(oai.get(verb="ListMetadataFormats", identifier=f"oai:{REPO}:NOPE")) == ["idDoesNotExist"]


def test_no_metadata_formats(oai: OaiClient) -> None:
    root = oai.get(verb="ListMetadataFormats", identifier=f"oai:{REPO}:ZTA0100")
    assert codes(root) == ["noMetadataFormats"]


def test_no_records_match_for_an_empty_set(oai: OaiClient) -> None:
    assert codes(oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc", set="ZOTHER")) == ["noRecordsMatch"]


def test_no_records_match_after_the_last_datestamp(oai: OaiClient) -> None:
    assert codes(oai.get(verb="ListRecords", metadataPrefix="oai_dc", from_="2999-01-01")) == ["noRecordsMatch"]


def test_tampered_token(oai: OaiClient) -> None:
    token = a_token(oai)
    head, sig = token.split(".")
    altered = head[:-2] + ("A" if head[-2] != "A" else "B") + head[-1] + "." + sig
    assert codes(oai.get(verb="ListRecords", resumptionToken=altered)) == ["badResumptionToken"]


def test_token_of_another_verb(oai: OaiClient) -> None:
    token = a_token(oai, "ListIdentifiers")
    assert codes(oai.get(verb="ListRecords", resumptionToken=token)) == ["badResumptionToken"]


def test_expired_token(oai: OaiClient) -> None:
    from datetime import datetime, timedelta, timezone

    codec = TokenCodec(load_secret(oai.registry.db), timedelta(seconds=1))
    token, _ = codec.encode(
        TokenState("ListRecords", "oai_dc", None, None, "2999-01-01T00:00:00Z", ("", ""), 0, 7),
        datetime.now(timezone.utc) - timedelta(hours=1),
    )
    assert codes(oai.get(verb="ListRecords", resumptionToken=token)) == ["badResumptionToken"]


def test_junk_token_for_list_sets(oai: OaiClient) -> None:
    assert codes(oai.get(verb="ListSets", resumptionToken="junk")) == ["badResumptionToken"]


# -- HTTP ---------------------------------------------------------------------------------------------
def test_errors_are_http_200(oai: OaiClient) -> None:
    for query in ("", "verb=junk", "verb=ListRecords", "verb=ListRecords&metadataPrefix=marc21"):
        assert oai.http.get("/oai?" + query).status_code == 200


def test_post_without_verb_is_bad_verb(oai: OaiClient) -> None:
    assert codes(oai.post("")) == ["badVerb"]


def test_post_that_is_not_a_form_is_bad_argument(oai: OaiClient) -> None:
    root = oai.post('{"verb": "Identify"}', content_type="application/json")
    assert codes(root) == ["badArgument"] and request_attributes(root) == {}


def test_post_repeated_across_query_and_body(oai: OaiClient) -> None:
    response = oai.http.post(
        "/oai?verb=Identify", content=b"verb=Identify", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 200 and b'code="badVerb"' in response.content


def test_error_messages_are_escaped(oai: OaiClient) -> None:
    root = oai.get(verb="ListRecords", metadataPrefix="oai_dc", set="<&>")
    assert codes(root) == ["badArgument"]
    assert "<&>" in (root.findtext("o:error", namespaces=NS) or "")
