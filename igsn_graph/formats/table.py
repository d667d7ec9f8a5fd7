"""Every format we read or write, one row each: the one place its facts live (like oxigraph's ``RdfFormat``).

An XML row (``XmlFormat``) owns the format's name, media types, namespaces and root, schema location,
profile IRI, reader, writer, OAI ``metadataPrefix`` and schema, where a document keeps its record's IGSN,
and its part of the restamp fingerprint. Native RDF syntaxes (``RdfSyntax``) own their media types, file
suffixes and pyoxigraph format; JSON formats (``JsonFormat``) the marker that picks them, as JSON arrives
under one media type whatever it holds. The dispatchers (``kernels``, ``json_input``, ``rdf``, ``loader``),
the OAI-PMH data provider (``oai.formats``), the resolver's profiles, the MDS and samples routers and the
restamp read these rows; none keeps its own list.

A writer's output is pinned by golden files (``tests/formats/golden``): a change to it must bump that row's
``revision``, which changes its ``fingerprint_part`` and so ``fingerprint``: the registry restamps and
harvesters see the change (``registry.restamp``, ``oai.cache``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from lxml import etree
from pyoxigraph import RdfFormat

from ..record import LOG_EVENTS, LogEvent, RegistryFacts, SampleRecord
from ..resources import mappings_dir
from . import (
    agn_json,
    ardc,
    csiro,
    csiro_v2,
    datacite,
    dc_reader,
    description_kernel,
    igsn_json,
    oai_dc,
    registration_kernel,
)
from ._kernel import DATETIME

__all__ = [
    "Reader",
    "Writer",
    "XmlFormat",
    "RdfSyntax",
    "JsonFormat",
    "XML_FORMATS",
    "WRITTEN",
    "XML_MEDIA_TYPES",
    "RDF_SYNTAXES",
    "RDF_WRITTEN",
    "RDF_MEDIA_TYPES",
    "JSON_FORMATS",
    "BASE_REVISION",
    "profile_iri",
    "fingerprint",
]

Reader = Callable[[etree._Element], list[SampleRecord]]
#: the element of a document that names its (first) record's IGSN, None when it has none
IdentifierFinder = Callable[[etree._Element], "etree._Element | None"]


class Writer(Protocol):
    """Writes a record in one format; ``iri_base`` (the store's IRI base) gives samples their persistent IRIs.
    Documents never name the address this server answers on, so moving the server changes no document."""

    def __call__(self, record: SampleRecord, facts: RegistryFacts, iri_base: str) -> etree._Element: ...


#: the revision every writer shared before each format had its own: a row at it adds nothing to ``fingerprint``,
#: so data folders stamped under the one shared revision are not restamped for the table's sake
BASE_REVISION = "2026-3"
#: mapping files every writer reads (code lists, relation types): their content is part of each output
_SHARED_MAPPINGS = ("relation_types.csv", "codelists")


@dataclass(frozen=True)
class XmlFormat:
    """One XML format. ``namespaces`` are those read, the one written first; ``record_element`` is the local
    name of each record's element below the root (None: the root is the record); ``identifier`` finds the
    element naming the IGSN (None: only the reader finds it). ``write`` is None for read-only formats;
    ``revision`` and ``mappings`` (files below ``mappings/`` the writer reads) make its fingerprint part."""

    name: str
    namespaces: tuple[str, ...]
    root: str
    schema_location: str
    read: Reader = field(repr=False)
    media_types: tuple[str, ...] = ("application/xml",)
    record_element: str | None = None
    identifier: IdentifierFinder | None = field(default=None, repr=False)
    write: Writer | None = field(default=None, repr=False)
    profile_iri: str | None = None
    oai_prefix: str | None = None
    oai_schema: str | None = None
    revision: str | None = None
    mappings: tuple[str, ...] = ()

    @property
    def namespace(self) -> str:
        """The namespace written."""
        return self.namespaces[0]

    @property
    def media_type(self) -> str:
        return self.media_types[0]

    def record_elements(self, root: etree._Element) -> list[etree._Element]:
        """The element of each record in a document of this format whose root is ``root``."""
        if self.record_element is None:
            return [root]
        found: list[etree._Element] = root.findall(f"{{{etree.QName(root).namespace}}}{self.record_element}")
        return found

    def fingerprint_part(self) -> str:
        """Names everything besides a record that shapes this format's documents: its writer's revision and
        the mapping files it reads; "" for a read-only format."""
        if self.write is None:
            return ""
        text = f"{self.name}\n{self.revision}\n{_mappings_digest(mappings_dir(), self.mappings)}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class RdfSyntax:
    """A native RDF syntax: its media types (the canonical one first), file suffixes and pyoxigraph format;
    ``dataset``: we write it with graph names (a sample's triples in its named graph); ``prefixed``: we write it
    with our prefixes."""

    name: str
    media_types: tuple[str, ...]
    suffixes: tuple[str, ...]
    rdf_format: RdfFormat
    dataset: bool = False
    prefixed: bool = False

    @property
    def media_type(self) -> str:
        return self.media_types[0]


@dataclass(frozen=True)
class JsonFormat:
    """A JSON format, picked by its marker (JSON comes as ``application/json`` whatever it holds); ``read``
    takes the decoded document."""

    name: str
    marker: Callable[[Any], bool] = field(repr=False)
    read: Callable[[Any], list[SampleRecord]] = field(repr=False)


def below_root(*steps: str) -> IdentifierFinder:
    """Finds the element at ``steps`` below the root, in the root's namespace."""

    def find(root: etree._Element) -> etree._Element | None:
        ns = etree.QName(root).namespace
        return root.find("/".join(f"{{{ns}}}{step}" for step in steps))

    return find


def _schema_of(schema_location: str) -> str:
    return schema_location.split()[1]


def _write_registration(record: SampleRecord, facts: RegistryFacts, iri_base: str) -> etree._Element:
    # the kernel needs a log event with an xs:dateTime: the registration itself when the record has none
    if not any(e.event in LOG_EVENTS and DATETIME.fullmatch(e.timestamp) for e in record.log):
        stamp = facts.registered or facts.datestamp
        record = replace(record, log=[*record.log, LogEvent("registered", stamp)])
    return registration_kernel.write(record)


def _write_description(record: SampleRecord, facts: RegistryFacts, iri_base: str) -> etree._Element:
    return description_kernel.write(record)


def _write_oai_dc(record: SampleRecord, facts: RegistryFacts, iri_base: str) -> etree._Element:
    return oai_dc.write(record, iri_base=iri_base)


def _write_datacite(record: SampleRecord, facts: RegistryFacts, iri_base: str) -> etree._Element:
    return datacite.write(record, iri_base=iri_base, publication_year=(facts.registered or facts.datestamp)[:4])


# the written formats first, in the order OAI-PMH lists them; a namespace read by two formats (the registration
# kernel 1.0's, by root ``sample`` and CSIRO v2's ``samples``) is told apart by the root
_ROWS = (
    XmlFormat(
        "oai_dc",
        dc_reader.NAMESPACES,
        dc_reader.ROOT,
        dc_reader.SCHEMA_LOCATION,
        dc_reader.read,
        write=_write_oai_dc,
        profile_iri=oai_dc.NS_OAI_DC,
        oai_prefix="oai_dc",
        oai_schema=oai_dc.SCHEMA,
        revision=BASE_REVISION,
        mappings=("oai_dc.csv", *_SHARED_MAPPINGS),
    ),
    XmlFormat(
        "igsn",
        registration_kernel.NAMESPACES,
        registration_kernel.ROOT,
        registration_kernel.SCHEMA_LOCATION,
        registration_kernel.read,
        identifier=below_root("sampleNumber"),
        write=_write_registration,
        profile_iri=registration_kernel.NS_1_0,
        oai_prefix="igsn",
        oai_schema=_schema_of(registration_kernel.SCHEMA_LOCATION),
        revision=BASE_REVISION,
        mappings=_SHARED_MAPPINGS,
    ),
    XmlFormat(
        "igsn_desc",
        description_kernel.NAMESPACES,
        description_kernel.ROOT,
        description_kernel.SCHEMA_LOCATION,
        description_kernel.read,
        identifier=below_root("identifier"),
        write=_write_description,
        profile_iri=description_kernel.NS_1_1,
        oai_prefix="igsn_desc",
        oai_schema=_schema_of(description_kernel.SCHEMA_LOCATION),
        revision=BASE_REVISION,
        mappings=_SHARED_MAPPINGS,
    ),
    XmlFormat(
        "datacite",
        datacite.NAMESPACES,
        datacite.ROOT,
        datacite.SCHEMA_LOCATION,
        datacite.read,
        media_types=("application/vnd.datacite.datacite+xml", "application/xml"),
        identifier=datacite.identifier_element,
        write=_write_datacite,
        profile_iri=datacite.NS,
        oai_prefix="datacite",
        oai_schema=datacite.SCHEMA,
        revision=BASE_REVISION,
        mappings=_SHARED_MAPPINGS,
    ),
    XmlFormat(
        "csirov3",
        csiro.NAMESPACES,
        csiro.ROOT,
        csiro.SCHEMA_LOCATION,
        csiro.read,
        record_element="resource",
        identifier=below_root("resource", "resourceIdentifier"),
    ),
    # ARDC descriptive 1.0 succeeds CSIRO v3
    XmlFormat(
        "ardc",
        ardc.NAMESPACES,
        ardc.ROOT,
        ardc.SCHEMA_LOCATION,
        ardc.read,
        record_element="resource",
        identifier=below_root("resource", "resourceIdentifier"),
    ),
    XmlFormat(
        "csirov2",
        csiro_v2.NAMESPACES,
        csiro_v2.ROOT,
        csiro_v2.SCHEMA_LOCATION,
        csiro_v2.read,
        record_element="sample",
        identifier=below_root("sample", "sampleNumber"),
    ),
)

#: every XML format by name
XML_FORMATS: dict[str, XmlFormat] = {f.name: f for f in _ROWS}
#: the formats we write (each with an OAI metadataPrefix), in the order OAI-PMH lists them
WRITTEN: tuple[XmlFormat, ...] = tuple(f for f in _ROWS if f.write is not None)

#: the media types XML of any format is read under (and any ``…+xml``): the format is told by the root element
XML_MEDIA_TYPES = ("application/xml", "text/xml")

# JSON of any kind comes as JSON-LD and is then told by its content (``JSON_FORMATS``)
_JSON_LD = RdfSyntax("json-ld", ("application/ld+json", "application/json"), (".jsonld", ".json"), RdfFormat.JSON_LD)
_TURTLE = RdfSyntax("turtle", ("text/turtle", "application/x-turtle"), (".ttl",), RdfFormat.TURTLE, prefixed=True)
_N_TRIPLES = RdfSyntax("n-triples", ("application/n-triples",), (".nt",), RdfFormat.N_TRIPLES)
# datasets (bulk input, one named graph per sample): graph names are ignored, samples found by ig:igsn
_N_QUADS = RdfSyntax("n-quads", ("application/n-quads",), (".nq",), RdfFormat.N_QUADS, dataset=True)
_TRIG = RdfSyntax("trig", ("application/trig",), (".trig",), RdfFormat.TRIG, dataset=True, prefixed=True)
# written only: XML of any kind is read as a record format, told by its root element (``XML_MEDIA_TYPES``)
_RDF_XML = RdfSyntax("rdf-xml", ("application/rdf+xml",), (".rdf",), RdfFormat.RDF_XML)

#: the RDF syntaxes we read
RDF_SYNTAXES: tuple[RdfSyntax, ...] = (_JSON_LD, _TURTLE, _N_TRIPLES, _N_QUADS, _TRIG)
#: the RDF syntaxes we write (a sample, a node, the home page's description), the default (Turtle) first
RDF_WRITTEN: tuple[RdfSyntax, ...] = (_TURTLE, _N_TRIPLES, _N_QUADS, _TRIG, _RDF_XML, _JSON_LD)
#: every RDF media type we read (aliases too) → its syntax
RDF_MEDIA_TYPES: dict[str, RdfSyntax] = {m: s for s in RDF_SYNTAXES for m in s.media_types}

#: JSON formats besides JSON-LD, tried in this order (JSON-LD: anything neither marker claims)
JSON_FORMATS: tuple[JsonFormat, ...] = (
    JsonFormat(igsn_json.FORMAT, igsn_json.is_igsn_json, igsn_json.read),
    JsonFormat(agn_json.FORMAT, agn_json.is_agn_json, agn_json.read),
)


def profile_iri(name: str) -> str:
    """The profile IRI of the written format ``name`` (a resolver profile token), or ``KeyError``."""
    iri = XML_FORMATS[name].profile_iri
    if iri is None:
        raise KeyError(name)
    return iri


def fingerprint() -> str:
    """Names everything besides a record that shapes its documents: each written format's revision and the
    mapping files the writers read. Not the public URL: no document names it (``Writer``).

    Two different values mean the same record may give different documents, so harvesters must see new
    datestamps (``registry.restamp``) and cached documents are stale (``oai.cache``). Every input of every
    ``fingerprint_part`` is an input here; a row at ``BASE_REVISION`` gives the value of the single shared
    revision the writers had before this table.
    """
    revisions = BASE_REVISION + "".join(f" {f.name}={f.revision}" for f in WRITTEN if f.revision != BASE_REVISION)
    files = tuple(dict.fromkeys(name for f in WRITTEN for name in f.mappings))
    return hashlib.sha256(f"{revisions}\n{_mappings_digest(mappings_dir(), files)}".encode()).hexdigest()[:16]


@lru_cache(maxsize=32)
def _mappings_digest(root: Path, names: tuple[str, ...]) -> str:
    # read once per process (the writers read these files once too): /health asks for the fingerprint
    digest = hashlib.sha256()
    for name in names:
        path = root / name
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file():
                digest.update(file.relative_to(root).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()
