"""oai.args: argument tables, form decoding, repeats, dates and granularity; errors always render well-formed."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from igsn_graph.oai.args import VERB_ARGUMENTS, OaiRequest, decode_form, parse_datestamp, parse_request, xml_compatible
from igsn_graph.oai.errors import CODES, BadArgument, OaiErrors
from igsn_graph.oai.xml import render_errors


def codes(pairs: list[tuple[str, str]]) -> list[str]:
    with pytest.raises(OaiErrors) as info:
        parse_request(pairs)
    return [e.code for e in info.value.errors]


def test_verb_tables_follow_the_spec() -> None:
    assert set(VERB_ARGUMENTS) == {
        "Identify",
        "ListMetadataFormats",
        "ListSets",
        "GetRecord",
        "ListIdentifiers",
        "ListRecords",
    }
    assert VERB_ARGUMENTS["GetRecord"].required == {"identifier", "metadataPrefix"}
    assert VERB_ARGUMENTS["ListRecords"].exclusive == "resumptionToken"
    assert VERB_ARGUMENTS["ListRecords"].optional == {"from", "until", "set"}
    assert VERB_ARGUMENTS["Identify"].allowed == frozenset()


def test_a_valid_request() -> None:
    request = parse_request(
        [
            ("verb", "ListRecords"),
            ("metadataPrefix", "oai_dc"),
            ("from", "2020-01-01"),
            ("until", "2020-01-31"),
            ("set", "ZTEST:ZTEST.ONE"),
        ]
    )
    assert request == OaiRequest(
        "ListRecords",
        {"metadataPrefix": "oai_dc", "from": "2020-01-01", "until": "2020-01-31", "set": "ZTEST:ZTEST.ONE"},
    )
    assert request.echo["verb"] == "ListRecords"
    assert request.from_ is not None and request.from_.lower == "2020-01-01T00:00:00Z"
    assert request.until is not None and request.until.upper == "2020-01-31T23:59:59Z"


def test_form_decoding_keeps_repeats_and_plus_is_space() -> None:
    assert decode_form(b"verb=a+b&x=1&x=2&empty=") == [("verb", "a b"), ("x", "1"), ("x", "2"), ("empty", "")]
    assert decode_form(b"identifier=oai%3Ax%3Aab%253Ccd") == [("identifier", "oai:x:ab%3Ccd")]
    with pytest.raises(OaiErrors):
        decode_form(b"x=%FF")
    with pytest.raises(OaiErrors):
        decode_form(b"&".join(b"k%d=v" % i for i in range(100)))


def test_verb_errors() -> None:
    assert codes([]) == ["badVerb"]
    assert codes([("verb", "Identify"), ("verb", "Identify")]) == ["badVerb"]
    assert codes([("verb", "")]) == ["badVerb"]
    assert codes([("Verb", "Identify")]) == ["badVerb"]  # keys are case-sensitive


def test_argument_errors() -> None:
    assert codes([("verb", "Identify"), ("set", "x")]) == ["badArgument"]
    assert codes([("verb", "GetRecord")]) == ["badArgument", "badArgument"]
    assert codes([("verb", "ListSets"), ("resumptionToken", "a"), ("resumptionToken", "a")]) == ["badArgument"]
    assert codes([("verb", "ListRecords"), ("resumptionToken", "t"), ("metadataPrefix", "oai_dc")]) == ["badArgument"]
    assert codes(
        [("verb", "ListRecords"), ("metadataPrefix", "oai_dc"), ("until", "2020-01-01"), ("from", "2020-01-02")]
    ) == ["badArgument"]


def test_dates() -> None:
    day = parse_datestamp("2024-02-29")
    assert (day.granularity, day.lower, day.upper) == ("day", "2024-02-29T00:00:00Z", "2024-02-29T23:59:59Z")
    seconds = parse_datestamp("2024-02-29T12:30:00Z")
    assert seconds.granularity == "seconds" and seconds.lower == seconds.upper == "2024-02-29T12:30:00Z"
    for bad in (
        "2023-02-29",
        "2024-13-01",
        "2024-01-01T24:00:00Z",
        "2024-01-01T00:00:00",
        "2024-01-01 00:00:00Z",
        "20240101",
        "2024-1-1",
        "2024-01-01T00:00:00.000Z",
        "2024-01-01T00:00:00-05:00",
        "99999-01-01",
        "٢٠٢٦-01-01",
        "２０２４-01-01",
        "2024-01-01T00:00:0٠Z",
        "2024-0१-01",
    ):  # ASCII digits only
        with pytest.raises(BadArgument):
            parse_datestamp(bad)


def test_same_granularity_and_order() -> None:
    ok = [("verb", "ListIdentifiers"), ("metadataPrefix", "oai_dc")]
    parse_request(ok + [("from", "2020-01-01"), ("until", "2020-01-01")])  # one whole day
    parse_request(ok + [("from", "2020-01-01T10:00:00Z"), ("until", "2020-01-01T10:00:00Z")])
    assert codes(ok + [("from", "2020-01-01"), ("until", "2020-01-01T10:00:00Z")]) == ["badArgument"]
    assert codes(ok + [("from", "2020-01-01T10:00:01Z"), ("until", "2020-01-01T10:00:00Z")]) == ["badArgument"]


def test_xml_compatibility() -> None:
    assert xml_compatible("tab\tnewline\n\u00e9\U0001f600")
    for bad in ("\x00", "\x01", "\x1f", "\ufffe", "\uffff", "\ud800"):
        assert not xml_compatible(bad)


_NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)
_KEYS = st.sampled_from(["verb", "metadataPrefix", "identifier", "from", "until", "set", "resumptionToken", "x"])
_VALUES = st.one_of(
    st.sampled_from(
        [
            "Identify",
            "ListRecords",
            "GetRecord",
            "ListSets",
            "oai_dc",
            "2020-01-01",
            "2020-01-01T00:00:00Z",
            "oai:a.b:C",
            "ZTEST",
        ]
    ),
    st.text(max_size=12),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_KEYS, _VALUES), max_size=6))
def test_any_request_parses_or_fails_with_protocol_errors_that_render(pairs: list[tuple[str, str]]) -> None:
    try:
        request = parse_request(pairs)
    except OaiErrors as errors:
        assert errors.errors and all(e.code in CODES for e in errors.errors)
        body = render_errors(errors, None, "http://x.example/oai", _NOW)
        root = etree.fromstring(body)  # always well-formed
        assert {el.get("code") for el in root.iter("{*}error")} <= CODES
    else:
        assert request.verb in VERB_ARGUMENTS
        assert all(xml_compatible(k) and xml_compatible(v) for k, v in request.echo.items())
        etree.fromstring(render_errors(OaiErrors([BadArgument("x")]), request.echo, "http://x.example/oai", _NOW))
