"""xmlparser: the one safe XML parser refuses every dangerous or broken input with a clear reason."""

from __future__ import annotations

import pytest

from igsn_graph.errors import MalformedDocument
from igsn_graph.xmlparser import element_path, parse_xml

GOOD = b'<?xml version="1.0" encoding="UTF-8"?><sample xmlns="http://igsn.org/schema/kernel-v.1.0"><a/><a><b/></a></sample>'


def test_parses_utf8_with_and_without_bom() -> None:
    assert parse_xml(GOOD).tag.endswith("sample")
    assert parse_xml(b"\xef\xbb\xbf" + GOOD).tag.endswith("sample")


def test_element_path_counts_siblings() -> None:
    root = parse_xml(GOOD)
    b = root[1][0]
    assert element_path(b) == "/sample/a[2]/b"


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>"""
XXE_FILE = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"""
XXE_HTTP = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]><r>&x;</r>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.0.0.1:9/x.dtd"><r/>"""
XINCLUDE = b"""<r xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="file:///etc/passwd" parse="text"/></r>"""


@pytest.mark.parametrize(
    "data,needle",
    [
        (BILLION_LAUGHS, "document type"),
        (XXE_FILE, "document type"),
        (XXE_HTTP, "document type"),
        (EXTERNAL_DTD, "document type"),
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"<a><b></a>", "malformed XML"),
        (b"<a>\xff\xfe</a>", "UTF-8"),
        (b"<a>\x01</a>", "malformed XML"),
        ('<?xml version="1.0" encoding="ISO-8859-1"?><a/>'.encode(), "UTF-8"),
        (b"<a>" * 3000 + b"</a>" * 3000, "malformed XML"),
    ],
)
def test_refuses(data: bytes, needle: str) -> None:
    with pytest.raises(MalformedDocument) as info:
        parse_xml(data)
    assert needle in info.value.message


def test_xinclude_is_not_processed() -> None:
    root = parse_xml(XINCLUDE)
    assert "root:" not in (root.text or "") and len(root) == 1


def test_size_limit() -> None:
    with pytest.raises(MalformedDocument) as info:
        parse_xml(b"<a>" + b"x" * 2000 + b"</a>", max_bytes=1000)
    assert "larger than 1000 bytes" in info.value.message


def test_syntax_errors_carry_a_position() -> None:
    with pytest.raises(MalformedDocument) as info:
        parse_xml(b"<a>\n<b></c></a>")
    assert info.value.line == 2
