"""identifiers: every written form, the normal form, and what is refused."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from igsn_graph.errors import InvalidIdentifier
from igsn_graph.identifiers import (
    MAX_LENGTH,
    TEST_HANDLE_PREFIX,
    namespace_of,
    normalise,
    normalise_namespace,
    parse_igsn,
)

FORMS = [
    "SSH000SUA",
    "ssh000sua",
    "IGSN: SSH000SUA",
    "IGSN:SSH000SUA",
    "igsn:SSH000SUA",
    "igsn: ssh000sua",
    "10273/SSH000SUA",
    "hdl:10273/SSH000SUA",
    "http://hdl.handle.net/10273/SSH000SUA",
    "https://hdl.handle.net/10273/SSH000SUA",
    "http://doi.org/10273/SSH000SUA",
    "https://dx.doi.org/10273/SSH000SUA",
    "http://igsn.org/SSH000SUA",
    "https://igsn.org/SSH000SUA",
    "igsn.org/SSH000SUA",
    "https://igsn.org/10273/SSH000SUA",
    "igsn.org/10273/SSH000SUA",
    "https://doi.org/10.58052/SSH000SUA",
    "doi:10.58052/SSH000SUA",
    "igsn:10.58052/SSH000SUA",
    "10.58052/ssh000sua",
    "DOI:10.58052/SSH000SUA",
    "https://n2t.net/igsn:SSH000SUA",
    "http://n2t.net/IGSN:ssh000sua",
    "n2t.net/igsn:SSH000SUA",
]


@pytest.mark.parametrize("form", FORMS)
def test_every_form_normalises_to_the_name(form: str) -> None:
    assert parse_igsn(form).name == "SSH000SUA"


def test_doi_and_handle_forms_keep_their_prefix() -> None:
    assert parse_igsn("https://doi.org/10.58052/SSH000SUA").doi_prefix == "10.58052"
    assert parse_igsn("https://doi.org/10.58052/SSH000SUA").doi == "10.58052/SSH000SUA"
    assert parse_igsn("hdl:10273/SSH000SUA").handle_prefix == "10273"
    assert parse_igsn("SSH000SUA").handle == "10273/SSH000SUA"


def test_legacy_names_keep_their_slash() -> None:
    assert parse_igsn("10273/TEST/TEST3").name == "TEST/TEST3"
    assert parse_igsn("http://hdl.handle.net/10273/test/test3").name == "TEST/TEST3"


def test_test_prefix_marks_a_test_registration() -> None:
    igsn = parse_igsn(f"{TEST_HANDLE_PREFIX}/TESTIGSN")
    assert igsn.name == "TESTIGSN" and igsn.is_test
    assert parse_igsn("10273/TEST/TEST3").is_test
    assert not parse_igsn("SSH000SUA").is_test


def test_comparison_is_case_insensitive() -> None:
    assert normalise("AbC") == normalise("abc") == "ABC"


@pytest.mark.parametrize(
    "value,reason",
    [
        ("", "empty"),
        ("SSH 000", "whitespace"),
        ("SSH000\t", "whitespace"),
        ("SSH\x00000", "control"),
        ("SSH\x85000", "whitespace"),
        ("SSH\u200b000", "control"),
        ("SSH#000", "character"),
        ("SSH_000", "character"),
        ("SSHÄ000", "character"),
        ("SSH%20", "character"),
        ("A" * (MAX_LENGTH + 1), "too_long"),
        ("/SSH", "syntax"),
        ("SSH/", "syntax"),
        ("A//B", "syntax"),
        ("https://example.org/SSH000SUA", "syntax"),
        ("hdl:SSH000SUA", "syntax"),
        ("doi:SSH000SUA", "syntax"),
        ("https://igsn.org/SSH?x=1", "character"),
        ("https://hdl.handle.net/SSH000SUA", "syntax"),
        ("ZTA/../ZO0001", "syntax"),
        ("10273/..", "syntax"),
        ("A/./B", "syntax"),
    ],
)
def test_refusals_name_their_reason(value: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        parse_igsn(value)
    assert info.value.reason == reason
    assert info.value.message


def test_unknown_doi_prefix_is_refused_when_prefixes_are_known() -> None:
    with pytest.raises(InvalidIdentifier) as info:
        parse_igsn("10.99999/ABC", doi_prefixes={"10.58052"})
    assert info.value.reason == "doi_prefix"
    assert parse_igsn("10.58052/ABC", doi_prefixes={"10.58052"}).name == "ABC"


def test_max_length_is_accepted() -> None:
    assert len(parse_igsn("A" * MAX_LENGTH).name) == MAX_LENGTH


def test_namespaces() -> None:
    assert normalise_namespace("10273/iexyz") == "IEXYZ"
    assert namespace_of("IEXYZ0001", ["IE", "IEXYZ", "XX"]) == "IEXYZ"
    assert namespace_of("IEA0001", ["IE", "IEXYZ"]) == "IE"
    assert namespace_of("ZZ1", ["IE"]) is None


ALLOWED = string.ascii_letters + string.digits + "-."
names = st.text(alphabet=ALLOWED, min_size=1, max_size=40).filter(lambda s: s not in (".", ".."))


@settings(max_examples=300)
@given(names)
def test_normalise_is_idempotent(name: str) -> None:
    once = normalise(name)
    assert normalise(once) == once
    assert once == name.upper()


@settings(max_examples=200)
@given(names)
def test_every_accepted_form_of_a_name_agrees(name: str) -> None:
    expected = normalise(name)
    for form in (
        f"IGSN: {name}",
        f"igsn:{name}",
        f"10273/{name}",
        f"hdl:10273/{name}",
        f"https://hdl.handle.net/10273/{name}",
        f"http://dx.doi.org/10273/{name}",
        f"https://igsn.org/{name}",
        f"igsn.org/10273/{name}",
        f"https://doi.org/10.58052/{name}",
        f"doi:10.58052/{name}",
        f"igsn:10.58052/{name}",
        name.lower(),
        name.upper(),
    ):
        assert parse_igsn(form).name == expected, form


@settings(max_examples=300)
@given(st.text(min_size=1, max_size=20).filter(lambda s: any(c not in ALLOWED + "/" for c in s)))
def test_nothing_with_a_forbidden_character_is_accepted(text: str) -> None:
    # "AB" first, so that no prefix form (igsn:, hdl:, a URL) can consume the characters
    with pytest.raises(InvalidIdentifier):
        parse_igsn("AB" + text)


@pytest.mark.parametrize("text", ["https://n2t.net/ark:/99166/w6x1", "https://n2t.net/", "https://n2t.net/igsn:"])
def test_n2t_urls_name_an_igsn_only_with_the_igsn_scheme(text: str) -> None:
    with pytest.raises(InvalidIdentifier):
        parse_igsn(text)
