"""Reading the dumps of format versions 1 and 2: one gzip file of JSON lines (no longer written).

A header, the rows of each registry table, the graph as N-Quads in JSON strings, and (version 2) a trailer
with the counts of every part. Version 1 split the graph at every character ``str.splitlines()`` takes for a
line end, so a text holding U+2028 or U+0085 cannot be restored from it (the error says so).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import IO, Any

from pyoxigraph import RdfFormat, parse

from .tables import DumpBroken, decode_value, json_lines

__all__ = ["FORMAT", "read_into"]

FORMAT = "igsn-graph-dump"


def _open(path: Path) -> tuple[IO[str], int]:
    """The dump opened after its header; its format version. ``DumpBroken`` when it is no dump."""
    try:
        f = gzip.open(path, "rt", encoding="utf-8")
        header = json.loads(f.readline())
    except (OSError, EOFError, ValueError) as exc:
        raise DumpBroken(f"{path} is not an igsn-graph dump: {exc}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("version") not in (1, 2):
        f.close()
        raise DumpBroken(f"{path} is not an igsn-graph dump (or one of a later version)")
    return f, header["version"]


def _parsed_quads(text: str, path: Path, version: int) -> int:
    """How many statements a chunk of the dump's N-Quads holds; ``DumpBroken`` when it does not parse."""
    try:
        return sum(1 for _ in parse(input=text.encode("utf-8"), format=RdfFormat.N_QUADS))
    except SyntaxError as exc:
        hint = (
            "; dumps of format version 1 split the graph at U+2028, U+0085 and other characters that "
            "are not line ends in N-Quads, so a text holding one cannot be restored from them"
            if version == 1
            else ""
        )
        raise DumpBroken(f"{path}: the graph in the dump does not parse: {exc}{hint}") from None


def read_into(path: Path, insert: Any, tables: dict[str, str]) -> tuple[dict[str, int], list[bytes]]:
    """Every row handed to ``insert(table, columns, row)`` and the graph's N-Quads chunks (all parsed first);
    counts per part, checked against the trailer."""
    counts: dict[str, int] = {}
    nquads: list[bytes] = []
    end: dict[str, int] | None = None
    f, version = _open(path)
    with f:
        table: str | None = None
        columns: list[str] = []
        for rec in json_lines(f, path, read=1):  # after the header
            if "table" in rec:
                table, columns = rec["table"], rec["columns"]
                if table not in tables:
                    raise DumpBroken(f"{path}: unknown table {table!r} in dump")
                counts[table] = 0
            elif "r" in rec:
                if table is None:
                    raise DumpBroken(f"{path}: a row before any table")
                insert(table, columns, [decode_value(v) for v in rec["r"]])
                counts[table] += 1
            elif "nquads" in rec:
                text = rec["nquads"]
                counts["quads"] = counts.get("quads", 0) + _parsed_quads(text, path, version)
                nquads.append(text.encode("utf-8"))
            elif "end" in rec:
                end = rec["end"]
    counts.setdefault("quads", 0)
    if version >= 2 and end != counts:
        raise DumpBroken(
            f"{path} is incomplete: it holds {counts}, its trailer says {end}"
            if end is not None
            else f"{path} is cut short (no trailer): it holds {counts}"
        )
    return counts, nquads
