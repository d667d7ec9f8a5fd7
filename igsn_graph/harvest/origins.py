"""Harvested records kept apart: one named graph per source record, with its provenance, and its XML as received.

Each source's current record of a sample has the graph ``<IRI-BASE>harvest/SOURCE/NAME``, which states about
itself (PROV): the source it came from (``prov:hadPrimarySource`` the source's node, ``<IRI-BASE>source/SOURCE``,
in a graph of the same name), the request it came in (``ig:harvestRequest``, the provider's ``<request>``), the
responseDate (``prov:generatedAtTime``), the record's OAI identifier and datestamp (``dcterms:identifier``,
``dcterms:modified``), the GetRecord URL that serves exactly this record (``prov:wasDerivedFrom``), and the
sample it is about (``foaf:primaryTopic``, the same IGSN IRI as everywhere: one node, however many describe it).

The record's description is stored once: when it is the description in force (``ig:inForce true``, see
``precedence``) it is the sample's public graph, written by the registry as a ``harvested`` version; otherwise
(beside a description registered here, or an older record than another source's) the harvest graph holds it.
Stored twice, SPARQL's union default graph would answer every harvested sample's triples twice, and 10 M
samples would cost twice the store.

The XML as received (the ``<record>`` element, header and metadata) is kept in the registry database
(``harvest_origin``, zlib), not as an RDF literal and not as files: at 10 M records of 2–5 KB, literals would
put 20–50 GB of text into the store that every SPARQL text filter scans, and files 10 M inodes; compressed
rows cost about 1 KB each, are replaced in place by a re-harvest, and are dumped with the registry.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from lxml import etree
from pyoxigraph import Literal, NamedNode, Triple

from ..iris import Iris
from ..store.history import compress, decompress
from ..vocab import DCAT, DCTERMS, FOAF, IG, PROV, RDF_TYPE, XSD
from .sources import HarvestSource

__all__ = [
    "Origin",
    "OriginRow",
    "record_graph",
    "source_node",
    "source_triples",
    "origin_triples",
    "request_url",
    "get_record_url",
    "origins_of",
    "origin",
    "save",
    "forget",
    "set_in_force",
    "original",
    "sources_of",
    "unlisted_triples",
    "unverified_shown",
]

_TRUE = Literal("true", datatype=XSD.boolean)


@dataclass(frozen=True)
class Origin:
    """Where one harvested record came from: the source, its OAI header, the response that carried it."""

    source: str
    igsn: str
    oai_identifier: str | None
    datestamp: str | None
    response_date: str
    request: str
    format: str | None


@dataclass(frozen=True)
class OriginRow:
    """A stored origin and whether its description is the one in force."""

    origin: Origin
    in_force: bool


def record_graph(iris: Iris, source: str, igsn: str) -> NamedNode:
    """The named graph of one source's record of one sample."""
    return iris.harvest_graph(source, igsn)


def source_node(iris: Iris, source: str) -> NamedNode:
    """The source's node (and the graph that describes it)."""
    return NamedNode(f"{iris.base}source/{quote(source, safe='')}")


def source_triples(iris: Iris, source: HarvestSource) -> list[Triple]:
    """The source as a data service: its name, endpoint and format, the agent it speaks for or ``unverified``."""
    node = source_node(iris, source.name)
    out = [
        Triple(node, RDF_TYPE, DCAT.DataService),
        Triple(node, RDF_TYPE, IG.HarvestSource),
        Triple(node, DCTERMS.term("title"), Literal(source.name)),
        Triple(node, DCAT.endpointURL, NamedNode(source.url)),
        Triple(node, IG.metadataPrefix, Literal(source.prefix)),
    ]
    if source.agent:
        out.append(Triple(node, IG.speaksFor, iris.agent(source.agent)))
    else:
        out.append(Triple(node, IG.unverified, _TRUE))
    return out


def request_url(root: etree._Element, oai: str) -> str:
    """The request a response answers, as the provider states it (``<request>``: base URL, arguments)."""
    request = root.find(f"{{{oai}}}request")
    if request is None:
        return ""
    base = (request.text or "").strip()
    args = sorted((k, v) for k, v in request.attrib.items() if isinstance(k, str))
    return f"{base}?{urlencode(args)}" if args else base


def get_record_url(source: HarvestSource, oai_identifier: str) -> str:
    """The GetRecord request that serves exactly this record from its source."""
    return f"{source.url}?{urlencode({'verb': 'GetRecord', 'identifier': oai_identifier, 'metadataPrefix': source.prefix})}"


def origin_triples(
    iris: Iris, source: HarvestSource, origin: Origin, *, in_force: bool, description: list[Triple]
) -> list[Triple]:
    """The harvest graph of one record: its provenance, and the description when it is not the one in force."""
    g = record_graph(iris, source.name, origin.igsn)
    out = [
        Triple(g, RDF_TYPE, PROV.Entity),
        Triple(g, RDF_TYPE, IG.HarvestedRecord),
        Triple(g, FOAF.primaryTopic, iris.sample(origin.igsn)),
        Triple(g, PROV.hadPrimarySource, source_node(iris, source.name)),
        Triple(g, IG.harvestRequest, Literal(origin.request)),
        Triple(g, IG.inForce, Literal("true" if in_force else "false", datatype=XSD.boolean)),
    ]
    if origin.response_date:
        out.append(Triple(g, PROV.generatedAtTime, Literal(origin.response_date, datatype=XSD.dateTime)))
    if origin.oai_identifier:
        out.append(Triple(g, DCTERMS.identifier, Literal(origin.oai_identifier)))
        out.append(Triple(g, PROV.wasDerivedFrom, NamedNode(get_record_url(source, origin.oai_identifier))))
    if origin.datestamp:
        out.append(Triple(g, DCTERMS.modified, Literal(origin.datestamp)))
    if not source.verified:
        out.append(Triple(g, IG.unverified, _TRUE))
    return out + ([] if in_force else description)


def unlisted_triples(iris: Iris, source: str, igsn: str) -> list[Triple]:
    """Added to a record's graph when a complete full run of its source no longer listed it (flagged, kept; the
    next time the source lists it, its graph is written anew without them)."""
    return [Triple(record_graph(iris, source, igsn), IG.unlisted, _TRUE)]


_COLUMNS = "source, igsn, oai_identifier, datestamp, response_date, request, format, in_force"


def _row(r: sqlite3.Row | tuple[Any, ...]) -> OriginRow:
    s, i, o, d, rd, rq, f, force = tuple(r)
    return OriginRow(Origin(str(s), str(i), o, d, str(rd), str(rq), f), bool(force))


def origins_of(conn: sqlite3.Connection, igsn: str) -> list[OriginRow]:
    """Every source's current record of the sample, the most recent (record datestamp) first."""
    try:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM harvest_origin WHERE igsn = ? ORDER BY datestamp DESC, source", (igsn,)
        ).fetchall()
    except sqlite3.OperationalError:  # a database from before harvests, opened read-only (no schema update)
        return []
    return [_row(r) for r in rows]


def origin(conn: sqlite3.Connection, source: str, igsn: str) -> OriginRow | None:
    r = conn.execute(f"SELECT {_COLUMNS} FROM harvest_origin WHERE source = ? AND igsn = ?", (source, igsn)).fetchone()
    return _row(r) if r is not None else None


def sources_of(conn: sqlite3.Connection, igsn: str) -> list[str]:
    """The sources holding a record of the sample (its ``source:NAME`` OAI sets)."""
    try:
        rows = conn.execute("SELECT source FROM harvest_origin WHERE igsn = ? ORDER BY source", (igsn,)).fetchall()
    except sqlite3.OperationalError:  # a database from before harvests, opened read-only (no schema update)
        return []
    return [r[0] for r in rows]


def unverified_shown(conn: sqlite3.Connection, igsns: Sequence[str]) -> dict[str, str]:
    """The samples among ``igsns`` whose shown description came from an unverified source (no allocating agent
    speaks for it), each with that source's name: what every output marks."""
    if not igsns:
        return {}
    marks = ",".join("?" * len(igsns))
    try:
        rows = conn.execute(
            "SELECT o.igsn, o.source FROM harvest_origin o JOIN harvest_source s ON s.name = o.source "
            f"WHERE o.in_force = 1 AND s.agent IS NULL AND o.igsn IN ({marks})",
            list(igsns),
        ).fetchall()
    except sqlite3.OperationalError:  # a database from before harvests, opened read-only (no schema update)
        return {}
    return {str(r[0]): str(r[1]) for r in rows}


def save(conn: sqlite3.Connection, origin: Origin, *, in_force: bool, original: bytes) -> None:
    """Keeps a source's current record of a sample (replacing its earlier one), inside the caller's transaction."""
    conn.execute(
        "INSERT OR REPLACE INTO harvest_origin (source, igsn, oai_identifier, datestamp, response_date, request, "
        "format, in_force, original) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            origin.source,
            origin.igsn,
            origin.oai_identifier,
            origin.datestamp,
            origin.response_date,
            origin.request,
            origin.format,
            int(in_force),
            compress(original),
        ),
    )


def set_in_force(conn: sqlite3.Connection, source: str, igsn: str, in_force: bool) -> None:
    conn.execute("UPDATE harvest_origin SET in_force = ? WHERE source = ? AND igsn = ?", (int(in_force), source, igsn))


def forget(conn: sqlite3.Connection, source: str, igsn: str) -> None:
    """Drops a source's record of a sample (the source reported it deleted)."""
    conn.execute("DELETE FROM harvest_origin WHERE source = ? AND igsn = ?", (source, igsn))


def original(conn: sqlite3.Connection, source: str, igsn: str) -> bytes | None:
    """The record's XML exactly as the source sent it (its ``<record>`` element), or None."""
    r = conn.execute("SELECT original FROM harvest_origin WHERE source = ? AND igsn = ?", (source, igsn)).fetchone()
    return decompress(r[0]) if r is not None else None
