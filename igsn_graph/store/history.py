"""History: every version of every sample kept in the registry database, one PROV activity per change.

The queryable graph holds only the current description; superseded versions (their graph and the
verbatim submitted document) live in the ``versions`` table, and each change adds a ``prov:Activity``
to the sample's provenance graph, so nothing is overwritten without a trace.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from pyoxigraph import Literal, NamedNode

from ..iris import Iris
from ..vocab import IG, PROV, RDF_TYPE, XSD

__all__ = [
    "Version",
    "EVENTS",
    "activity_ntriples",
    "add_versions",
    "latest_document",
    "versions_of",
    "latest_version",
    "compress",
    "compress_rest",
    "compress_start",
    "CompressedStart",
    "decompress",
]

#: what a change did; the first word of the activity's label
EVENTS = (
    "minted",
    "url-updated",
    "metadata-registered",
    "metadata-updated",
    "harvested",
    "deactivated",
    "reactivated",
    "deprecated",
    "destroyed",
    "restored",
    "transferred",
    "registered",
    "published",
    "hidden",
)


@dataclass(frozen=True)
class Version:
    igsn: str
    version: int
    datestamp: str
    event: str
    principal: str
    format: str | None
    document: bytes | None
    graph_ntriples: str
    #: ``document`` and ``graph_ntriples`` compressed already, when the writer has them (the journal compresses
    #: each once for its own entry and for history); computed by ``add_versions`` otherwise
    document_z: bytes | None = field(default=None, compare=False, repr=False)
    graph_z: bytes | None = field(default=None, compare=False, repr=False)


def compress(data: bytes) -> bytes:
    return zlib.compress(data, 1)  # level 1: most of the gain at a fraction of the time


def decompress(data: bytes) -> bytes:
    return zlib.decompress(data)


@dataclass(frozen=True)
class CompressedStart:
    """The first part of a text compressed as ``compress`` would begin it (a zlib stream left open on a byte
    boundary) and its Adler-32: ``compress_rest`` finishes it with the rest, so a text whose start is known early
    (a sample's description, in a reading process) is compressed once, not again when its end is known."""

    head: bytes
    adler: int


def compress_start(data: bytes) -> CompressedStart:
    compressor = zlib.compressobj(1)
    return CompressedStart(compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH), zlib.adler32(data))


def compress_rest(start: CompressedStart, rest: bytes) -> bytes:
    """``start`` + ``rest`` as one zlib stream (``decompress`` gives the start's text followed by ``rest``): a raw
    deflate of ``rest`` continues the open stream, and the trailer is the Adler-32 of the whole."""
    tail = zlib.compressobj(1, zlib.DEFLATED, -15)
    body = tail.compress(rest) + tail.flush(zlib.Z_FINISH)
    return start.head + body + zlib.adler32(rest, start.adler).to_bytes(4, "big")


def activity_ntriples(
    iris: Iris,
    igsn: str,
    version: int,
    datestamp: str,
    event: str,
    principal_iri: NamedNode,
    *,
    warnings: Sequence[str] = (),
) -> str:
    """The PROV record of one change as N-Triples text: an activity generating a version of the sample, with the
    warnings its input was accepted with (``ig:inputWarning``, each once). Text, not a Python object per triple: a
    bulk load's writer makes one per change."""
    act, ver, sample = str(iris.activity(f"{igsn}/{version}")), str(iris.version(igsn, version)), str(iris.sample(igsn))
    lines = [
        f"{act} {_T_TYPE} {_T_ACTIVITY} .\n",
        f"{act} {_T_TYPE} {_T_EVENT} .\n",
        f"{act} {_T_CHANGE} {Literal(event)} .\n",
        f"{act} {_T_ASSOCIATED} {principal_iri} .\n",
        f"{act} {_T_ENDED} {Literal(datestamp, datatype=XSD.dateTime)} .\n",
        f"{act} {_T_GENERATED} {ver} .\n",
        f"{act} {_T_CONCERNS} {sample} .\n",
        f"{ver} {_T_TYPE} {_T_ENTITY} .\n",
        f"{ver} {_T_TYPE} {_T_VERSION} .\n",
        f"{ver} {_T_SPECIALIZES} {sample} .\n",
        f"{ver} {_T_NUMBER} {Literal(str(version), datatype=XSD.integer)} .\n",
        f"{ver} {_T_GENERATED_BY} {act} .\n",
    ]
    if version > 1:
        lines.append(f"{ver} {_T_REVISION} {iris.version(igsn, version - 1)} .\n")
    lines += [f"{act} {_T_WARNING} {Literal(w)} .\n" for w in dict.fromkeys(warnings)]
    return "".join(lines)


_T_TYPE, _T_ACTIVITY, _T_EVENT, _T_CHANGE = (
    str(RDF_TYPE),
    str(PROV.Activity),
    str(IG.RegistrationEvent),
    str(IG.changeType),
)
_T_ASSOCIATED, _T_ENDED, _T_GENERATED = str(PROV.wasAssociatedWith), str(PROV.endedAtTime), str(PROV.generated)
_T_CONCERNS, _T_ENTITY, _T_VERSION = str(IG.concerns), str(PROV.Entity), str(IG.Version)
_T_SPECIALIZES, _T_NUMBER = str(PROV.specializationOf), str(IG.versionNumber)
_T_GENERATED_BY, _T_REVISION, _T_WARNING = str(PROV.wasGeneratedBy), str(PROV.wasRevisionOf), str(IG.inputWarning)


def add_versions(conn: sqlite3.Connection, versions: list[Version]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO versions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                v.igsn,
                v.version,
                v.datestamp,
                v.event,
                v.principal,
                v.format,
                v.document_z if v.document_z is not None or v.document is None else compress(v.document),
                v.graph_z if v.graph_z is not None else compress(v.graph_ntriples.encode("utf-8")),
            )
            for v in versions
        ],
    )


def _version(r: sqlite3.Row) -> Version:
    return Version(
        r["igsn"],
        r["version"],
        r["datestamp"],
        r["event"],
        r["principal"],
        r["format"],
        decompress(r["document"]) if r["document"] is not None else None,
        decompress(r["graph"]).decode("utf-8"),
    )


def latest_document(conn: sqlite3.Connection, igsn: str) -> Version | None:
    """The newest version that carried a submitted document (what ``GET /metadata`` returns)."""
    r = conn.execute(
        "SELECT * FROM versions WHERE igsn = ? AND document IS NOT NULL ORDER BY version DESC LIMIT 1", (igsn,)
    ).fetchone()
    return _version(r) if r else None


def latest_version(conn: sqlite3.Connection, igsn: str) -> Version | None:
    r = conn.execute("SELECT * FROM versions WHERE igsn = ? ORDER BY version DESC LIMIT 1", (igsn,)).fetchone()
    return _version(r) if r else None


def versions_of(conn: sqlite3.Connection, igsn: str) -> list[Version]:
    return [_version(r) for r in conn.execute("SELECT * FROM versions WHERE igsn = ? ORDER BY version", (igsn,))]


def submitted_format(conn: sqlite3.Connection, igsn: str) -> str | None:
    """The format the sample's current description was submitted in (its latest version that had one)."""
    r = conn.execute(
        "SELECT format FROM versions WHERE igsn = ? AND format IS NOT NULL ORDER BY version DESC LIMIT 1", (igsn,)
    ).fetchone()
    return r[0] if r else None
