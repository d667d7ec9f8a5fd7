"""api.bodies: the one Content-Type parser and text check, and routers that use it instead of their own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from api.bodies import ContentType, parse_content_type, text_of
from igsn_graph.errors import InvalidInput

ROUTERS = Path(__file__).resolve().parents[2] / "api" / "routers"


@pytest.mark.parametrize(
    "header,expected",
    [
        (None, ContentType(None)),
        ("  ", ContentType(None)),
        ("application/xml", ContentType("application/xml")),
        ('Text/Plain; Charset="UTF-8"', ContentType("text/plain", "utf-8")),
        ("application/ld+json; profile=x; charset=utf-16", ContentType("application/ld+json", "utf-16")),
        ("; charset=utf-8", ContentType(None, "utf-8")),
    ],
)
def test_content_type_is_parsed_once_for_all(header: str | None, expected: ContentType) -> None:
    assert parse_content_type(header) == expected


def test_utf8_and_xml() -> None:
    assert parse_content_type("text/plain").utf8 and parse_content_type("text/plain;charset=utf8").utf8
    assert not parse_content_type("text/plain;charset=latin-1").utf8
    assert all(parse_content_type(t).xml for t in ("application/xml", "text/xml", "application/rdf+xml"))
    assert not parse_content_type("application/json").xml and not ContentType(None).xml


def test_text_bodies_are_utf8_without_controls() -> None:
    assert text_of("\ufeffigsn=X\r\nurl=\tY".encode()) == "igsn=X\r\nurl=\tY"
    with pytest.raises(InvalidInput, match="not valid UTF-8"):
        text_of(b"\xff")
    with pytest.raises(InvalidInput, match="U\\+0007"):
        text_of(b"a\x07")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            out.append("." * node.level + (node.module or ""))
    return out


#: the routers held to it so far (admin, operations and transfers still share helpers: to move next)
CHECKED = ("mds", "doi", "dois", "samples", "oai", "handles", "sparql", "health", "relations", "search", "resolver")


@pytest.mark.parametrize("name", CHECKED)
def test_routers_read_no_content_type_themselves_nor_each_other(name: str) -> None:
    path = ROUTERS / f"{name}.py"
    source = path.read_text(encoding="utf-8").lower()
    assert 'headers.get("content-type"' not in source, "use api.bodies.content_type"
    siblings = {p.stem for p in ROUTERS.glob("*.py")}
    assert not [m for m in _imports(path) if m.startswith(".") and m.lstrip(".") in siblings]
    assert not [m for m in _imports(path) if m.startswith("api.routers")]
