"""What a reader left unread (``formats._unmapped``): one form of the warning, one log per kind of document."""

from __future__ import annotations

import ast
from pathlib import Path

from igsn_graph.formats._unmapped import PointerLog, not_mapped

FORMATS = Path(__file__).resolve().parents[2] / "igsn_graph" / "formats"


def test_a_json_place_is_reported_once_with_indices_inside_the_record_as_stars() -> None:
    log = PointerLog()
    assert log.note((2,), ("related", 0, "note")) == "not mapped: /2/related/*/note"
    assert log.note((2,), ("related", 3, "note")) is None
    assert log.note((2,), ("related", 3, "note"), "why") == "not mapped: /2/related/3/note (why)"


def _literal_warnings(path: Path) -> list[str]:
    """String constants (also the first part of an f-string) that start a ``not mapped:`` warning by hand."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("not mapped:"):
            found.append(f"{path.name}:{node.lineno}")
    return found


def test_every_reader_writes_the_warning_through_not_mapped() -> None:
    found = [
        hit for path in sorted(FORMATS.glob("*.py")) if path.name != "_unmapped.py" for hit in _literal_warnings(path)
    ]
    assert found == []
    assert not_mapped("/a") == "not mapped: /a" and not_mapped("/a", "why") == "not mapped: /a (why)"
