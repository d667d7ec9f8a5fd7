"""The history of every sample as gzip-compressed N-Quads: one named graph per version, and a graph describing them.

For each version (in sample, version order) the graph ``<IRI-BASE>history`` holds, about the version's IRI
(``<IRI-BASE>version/NAME/N``, the ``prov:Entity`` of the provenance graphs), the columns of the history
table in the ``dump:`` vocabulary (``https://w3id.org/igsn-graph/dump#``): ``sample``, ``version``,
``datestamp``, ``event``, ``principal``, ``format`` and ``document`` — the verbatim submitted document as a
string, or ``xsd:base64Binary`` when it is not UTF-8. Right after them the named graph of that IRI holds the
version's description, statement for statement as stored. Restoring reproduces the stored history exactly.
"""

from __future__ import annotations

import base64
import gzip
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, cast

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, parse

from ..batching import batched
from ..iris import Iris
from ..store import history
from ..vocab import XSD
from .tables import DumpBroken

__all__ = ["DUMP", "write_history", "read_history"]

DUMP = "https://w3id.org/igsn-graph/dump#"
_FIELDS = ("sample", "version", "datestamp", "event", "principal", "format", "document")
_P = {name: NamedNode(DUMP + name) for name in _FIELDS}
_BATCH = 2000


def history_graph(iris: Iris) -> NamedNode:
    return NamedNode(iris.base + "history")


def _document(data: bytes) -> Literal:
    try:
        return Literal(data.decode("utf-8"))
    except UnicodeDecodeError:
        return Literal(base64.b64encode(data).decode("ascii"), datatype=XSD.base64Binary)


def write_history(conn: sqlite3.Connection, iris: Iris, path: Path) -> tuple[int, int]:
    """Writes every version the connection sees; (versions, statements) written."""
    h = history_graph(iris)
    versions = quads = 0
    rows = conn.execute(
        "SELECT igsn, version, datestamp, event, principal, format, document, graph FROM versions ORDER BY igsn, version"
    )
    with gzip.open(path, "wb", compresslevel=3) as raw:
        out = cast(IO[bytes], raw)
        for igsn, version, datestamp, event, principal, fmt, document, graph in rows:
            v = iris.version(igsn, version)
            about = [
                (_P["sample"], Literal(igsn)),
                (_P["version"], Literal(str(version), datatype=XSD.integer)),
                (_P["datestamp"], Literal(datestamp)),
                (_P["event"], Literal(event)),
                (_P["principal"], Literal(principal)),
            ]
            if fmt is not None:
                about.append((_P["format"], Literal(fmt)))
            if document is not None:
                about.append((_P["document"], _document(history.decompress(document))))
            lines = [f"{Quad(v, p, o, h)} .\n" for p, o in about]
            suffix = f" {v} .\n"
            for line in history.decompress(graph).decode("utf-8").split("\n"):
                if line:
                    if not line.endswith(" ."):
                        raise DumpBroken(f"the stored graph of {igsn} version {version} is not N-Triples: {line!r}")
                    lines.append(line[:-2] + suffix)
            out.write("".join(lines).encode("utf-8"))
            versions += 1
            quads += len(lines)
    return versions, quads


def read_history(path: Path, iris: Iris, add: Callable[[list[history.Version]], None] | None = None) -> tuple[int, int]:
    """Reads the file back, handing versions to ``add`` in batches; (versions, statements). ``DumpBroken`` when
    a statement does not parse or the file is not laid out as written."""
    h = history_graph(iris)
    counted = [0, 0]  # versions, statements

    def read() -> Iterator[history.Version]:
        for fields, lines in _versions(path, h):
            try:
                version = history.Version(
                    igsn=str(fields["sample"]),
                    version=int(fields["version"]),
                    datestamp=str(fields["datestamp"]),
                    event=str(fields["event"]),
                    principal=str(fields["principal"]),
                    format=cast(str | None, fields.get("format")),
                    document=cast(bytes | None, fields.get("document")),
                    graph_ntriples="".join(lines),
                )
            except (KeyError, ValueError) as exc:
                raise DumpBroken(f"{path}: a version without its {exc}") from None
            counted[0] += 1
            counted[1] += len(lines) + len(fields)
            yield version

    for batch in batched(read(), _BATCH):
        if add is not None:
            add(batch)
    return counted[0], counted[1]


def _versions(path: Path, h: NamedNode) -> Iterator[tuple[dict[str, str | bytes], list[str]]]:
    current: NamedNode | None = None
    fields: dict[str, str | bytes] = {}
    lines: list[str] = []
    try:
        with gzip.open(path, "rb") as f:
            for q in parse(input=cast(IO[bytes], f), format=RdfFormat.N_QUADS):
                if q.graph_name == h:
                    if q.subject != current:
                        if current is not None:
                            yield fields, lines
                        if not isinstance(q.subject, NamedNode):
                            raise DumpBroken(f"{path}: a version that is not named by an IRI")
                        current, fields, lines = q.subject, {}, []
                    name = q.predicate.value[len(DUMP) :] if q.predicate.value.startswith(DUMP) else ""
                    if name not in _FIELDS or not isinstance(q.object, Literal):
                        raise DumpBroken(f"{path}: {q} is no field of a version")
                    o = q.object
                    fields[name] = base64.b64decode(o.value) if o.datatype == XSD.base64Binary else o.value
                    if name == "document" and isinstance(fields[name], str):
                        fields[name] = str(fields[name]).encode("utf-8")
                elif q.graph_name == current:
                    lines.append(f"{q.triple} .\n")
                else:
                    raise DumpBroken(f"{path}: {q.graph_name} is not the version described just before it")
    except SyntaxError as exc:
        raise DumpBroken(f"{path}: the history does not parse: {exc}") from None
    except (OSError, EOFError) as exc:
        raise DumpBroken(f"{path} is damaged: {exc}") from None
    if current is not None:
        yield fields, lines
