"""Read-only SPARQL over the public graph: what a request may ask, its dataset, its media types, its errors.

Queries are evaluated by killable worker processes (``sparql_workers``); this module decides everything that
comes before: refusals (updates, SERVICE), the RDF dataset of a request (the rule below), which media type
each result kind gets, and the errors the endpoint translates.

The dataset rule (SPARQL 1.1 Protocol §2.1.4, Query §13.2):

1. a request that names graphs (``default-graph-uri`` and/or ``named-graph-uri``) gets exactly that dataset:
   the default graph is the merge of the ``default-graph-uri`` graphs (empty when none is given), the named
   graphs are the ``named-graph-uri`` graphs (none when none is given); ``FROM``/``FROM NAMED`` in the
   query are then ignored;
2. otherwise a query with ``FROM``/``FROM NAMED`` gets the dataset it describes (a query with only
   ``FROM NAMED`` has an empty default graph);
3. otherwise the default graph is the union of all named graphs, and every named graph can be used in
   ``GRAPH``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from pyoxigraph import NamedNode

from . import conneg
from .errors import IgsnGraphError, InvalidInput, NotAllowed, StorageFailure

__all__ = [
    "FORMAT_IRIS",
    "FORMAT_NAMES",
    "GRAPH_TYPES",
    "RESULT_TYPES",
    "UPDATE_REFUSED",
    "EndpointBusy",
    "QueryEvaluationError",
    "QuerySyntaxError",
    "QueryTimeout",
    "ServiceRefused",
    "TooManyQueries",
    "UpdateRefused",
    "check_query",
    "dataset",
    "has_dataset_clause",
    "is_update",
    "media_types",
    "query_form",
    "uses_service",
]

#: media types for SELECT/ASK results, first is the default
RESULT_TYPES = [
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
    "application/json",
    "application/xml",
]
#: media types for CONSTRUCT/DESCRIBE results, first is the default
GRAPH_TYPES = [
    "text/turtle",
    "application/n-triples",
    "application/n-quads",
    "application/trig",
    "application/rdf+xml",
    "application/ld+json",
    "text/plain",
]
#: the W3C's IRIs of the formats (http://www.w3.org/ns/formats/), for the service description
FORMAT_IRIS = {
    "application/sparql-results+json": "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
    "application/sparql-results+xml": "http://www.w3.org/ns/formats/SPARQL_Results_XML",
    "text/csv": "http://www.w3.org/ns/formats/SPARQL_Results_CSV",
    "text/tab-separated-values": "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
    "text/turtle": "http://www.w3.org/ns/formats/Turtle",
    "application/n-triples": "http://www.w3.org/ns/formats/N-Triples",
    "application/n-quads": "http://www.w3.org/ns/formats/N-Quads",
    "application/trig": "http://www.w3.org/ns/formats/TriG",
    "application/rdf+xml": "http://www.w3.org/ns/formats/RDF_XML",
    "application/ld+json": "http://www.w3.org/ns/formats/JSON-LD",
}
#: values of the ``format`` argument (browsers cannot set Accept), per result kind: (SELECT/ASK, CONSTRUCT/DESCRIBE)
FORMAT_NAMES: dict[str, tuple[str | None, str | None]] = {
    "json": ("application/sparql-results+json", "application/ld+json"),
    "xml": ("application/sparql-results+xml", "application/rdf+xml"),
    "csv": ("text/csv", None),
    "tsv": ("text/tab-separated-values", None),
    "turtle": (None, "text/turtle"),
    "ttl": (None, "text/turtle"),
    "ntriples": (None, "application/n-triples"),
    "nt": (None, "application/n-triples"),
    "nquads": (None, "application/n-quads"),
    "trig": (None, "application/trig"),
    "rdfxml": (None, "application/rdf+xml"),
    "rdf+xml": (None, "application/rdf+xml"),
    "jsonld": (None, "application/ld+json"),
    "json-ld": (None, "application/ld+json"),
}


class QuerySyntaxError(InvalidInput):
    """The query does not parse (the message is the parser's)."""


class UpdateRefused(NotAllowed):
    """SPARQL Update is not offered: every write goes through the registry."""


class ServiceRefused(NotAllowed):
    """Federated queries (SERVICE) are refused: the server would fetch whatever a client names."""


class QueryEvaluationError(InvalidInput):
    """The engine failed while evaluating the query (e.g. a type error it does not recover from)."""


class QueryTimeout(StorageFailure):
    """The query ran into the time limit (its worker was stopped)."""


class TooManyQueries(IgsnGraphError):
    """This client has as many queries running or waiting as it may; ``data["retry_after"]`` in seconds."""


class EndpointBusy(StorageFailure):
    """Every query worker is busy and the queue is full, or no worker became free in time;
    ``data["retry_after"]`` in seconds."""


UPDATE_REFUSED = "SPARQL Update is not available: samples are registered and changed through the registry API"
_UPDATE_WORDS = ("insert", "delete", "load", "clear", "create", "drop", "copy", "move", "add", "with")


_STRINGS_AND_IRIS = re.compile(
    r'"""(?:.|\n)*?"""|\'\'\'(?:.|\n)*?\'\'\'|"(?:\\.|[^"\\\n])*"|'
    r"'(?:\\.|[^'\\\n])*'|<[^<>\s]*>|#[^\n]*"
)
#: FROM as a keyword: not a prefixed name's local part (ex:from), a variable (?from) or part of a word
_FROM = re.compile(r"(?i)(?<![\w:?$.-])FROM(?![\w:-])")


def _keywords(text: str) -> str:
    """The query without strings, IRIs and comments (where keywords cannot hide)."""
    return _STRINGS_AND_IRIS.sub(" ", text)


def uses_service(text: str) -> bool:
    """Whether a query uses SERVICE outside strings, IRIs and comments."""
    return re.search(r"(?i)(?<![\w:?$])SERVICE\b", _keywords(text)) is not None


def has_dataset_clause(text: str) -> bool:
    """Whether a query has a FROM or FROM NAMED clause."""
    return _FROM.search(_keywords(text)) is not None


_FORM = re.compile(r"(?i)(?<![\w:?$])(SELECT|CONSTRUCT|DESCRIBE|ASK)(?![\w:-])")


def query_form(text: str) -> str | None:
    """The query's form, upper case (``SELECT``, ``CONSTRUCT``, ``DESCRIBE``, ``ASK``), None when none is found:
    the first form keyword outside strings, IRIs and comments (the prologue has none)."""
    found = _FORM.search(_keywords(text))
    return found.group(1).upper() if found else None


def is_update(text: str) -> bool:
    """Whether a request text is a SPARQL Update rather than a query (after prologue and comments)."""
    words: list[str] = []
    for line in re.split(r"\r\n|\r|\n", text):  # SPARQL's line ends only (U+2028 & co. are not)
        line = line.split("#", 1)[0] if "<" not in line else line
        words.extend(line.lower().split())
    skip = 0
    for word in words:
        if skip:
            skip -= 1
            continue
        if word in ("prefix",):
            skip = 2
            continue
        if word == "base":
            skip = 1
            continue
        return word.rstrip("{") in _UPDATE_WORDS
    return False


def check_query(text: str) -> None:
    """Refuses what is never evaluated, before any worker is taken: updates and federated queries."""
    if is_update(text):
        raise UpdateRefused(UPDATE_REFUSED)
    if uses_service(text):
        # federated queries would make this server send requests wherever a client points it
        raise ServiceRefused("SERVICE (federated query) is not available on this endpoint")


def dataset(query: str, default_graphs: Sequence[str], named_graphs: Sequence[str]) -> dict[str, Any]:
    """The request's dataset by the rule of this module's docstring, as worker request fields
    (``union``; ``default`` and ``named``: lists of graph IRIs, or None for the query's own)."""
    for iri in (*default_graphs, *named_graphs):
        try:
            NamedNode(iri)
        except ValueError as exc:
            raise QuerySyntaxError(f"invalid graph IRI {iri!r}: {exc}") from None
    if default_graphs or named_graphs:
        return {"union": False, "default": list(default_graphs), "named": list(named_graphs)}
    if has_dataset_clause(query):
        return {"union": False, "default": None, "named": None}
    return {"union": True, "default": None, "named": None}


@lru_cache(maxsize=512)  # a few Accept headers and formats recur in every client's queries (36 µs each)
def media_types(accept: str | None, fmt: str | None) -> tuple[str | None, str | None]:
    """The media type for a SELECT/ASK result and for a CONSTRUCT/DESCRIBE result (None: not acceptable).

    A servable type the Accept header names (not through a wildcard) wins over the ``format`` argument
    (SPARQLWrapper sends both, with ``format`` values meant for other servers); then ``format``; then the
    Accept header's wildcards. ``format`` may also be a media type.
    """
    named = FORMAT_NAMES.get(fmt.strip().lower()) if fmt else None
    if fmt and named is None:
        mt = fmt.strip().lower()
        named = (mt if mt in RESULT_TYPES else None, mt if mt in GRAPH_TYPES else None)
    out: list[str | None] = []
    for offered, from_format in (
        (RESULT_TYPES, named[0] if named else None),
        (GRAPH_TYPES, named[1] if named else None),
    ):
        specific = [t for t in offered if conneg.quality(accept, t)[1] >= 2]
        if specific:
            out.append(conneg.choose(accept, specific))
        elif from_format is not None:
            out.append(from_format)
        else:
            out.append(conneg.choose(accept, offered))
    return out[0], out[1]
