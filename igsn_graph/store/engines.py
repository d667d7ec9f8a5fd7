"""How each SPARQL engine departs from the protocols as written, as data (``PROFILES``), and the translations
the remote store makes from it: writes as the engine is given them, reads as the embedded store gives them.

README "The graph in another SPARQL engine" says why each entry is there; tests/store/test_engines.py runs the
same contract against each engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from pyoxigraph import (
    Literal,
    NamedNode,
    Quad,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    Store,
    Triple,
    parse_query_results,
)

from .base import DROP_ALL_AT_ONCE, GraphWrite

__all__ = [
    "PROFILES",
    "EngineProfile",
    "as_written",
    "ask_answer",
    "stored_write",
    "timed_out",
    "written_datatypes_in_json",
]

GEO_WKT = "http://www.opengis.net/ont/geosparql#wktLiteral"


@dataclass(frozen=True)
class EngineProfile:
    """What one engine needs beyond the SPARQL 1.1 Protocol and the Graph Store Protocol, as they are written."""

    query_path: str
    update_path: str
    gsp_path: str
    #: the request parameter that makes the default graph the union of all graphs (None: not offered, or the
    #: engine's default graph is that union already)
    union_param: str | None
    #: queries sent as an HTML form field (``query=``) rather than as the body (``application/sparql-query``)
    query_as_form: bool = False
    #: the pattern that lists named graphs (``GRAPH ?g { }`` matches no graph on some engines)
    graph_pattern: str = "GRAPH ?g { }"
    #: an ASK answered as a one-row SELECT binding this variable to 0 or 1, instead of a boolean
    ask_variable: str | None = None
    #: a graph name no graph has, sent as ``named-graph-uri`` when a request names default graphs only (the
    #: protocol's dataset then has no named graphs; without one given, some engines keep every named graph)
    no_named_graph: str | None = None
    #: IRI prefixes of graphs the engine keeps for itself: not data (not dumped, not counted by ``is_empty``)
    own_graphs: tuple[str, ...] = ()
    #: the whole dataset read and written as N-Quads through the Graph Store Protocol's default graph store;
    #: without it a dump reads graph by graph (SPARQL) and a load inserts graph by graph (SPARQL Update)
    gsp_dataset: bool = True
    #: a response header that says a result was cut at the engine's row limit (the read fails, never comes short;
    #: Virtuoso sends it with a result of exactly the limit too)
    truncated_header: str | None = None
    #: the replaced graphs of a write emptied by one statement (``base.update_request``), not one DROP each
    drop_template: str | None = None
    #: literals read back are put in pyoxigraph's canonical forms (the engine keeps other lexical forms)
    canonical_forms: bool = False
    #: datatypes given to the engine under another name (written name: stored name) because it would change
    #: their values; reads give them their written names back
    written_as: Mapping[str, str] = field(default_factory=dict)
    #: how the engine answers a query it stopped at its own time limit (``timed_out``): the end of a ``200``
    #: body it cut off; ...
    cancelled_tail: bytes | None = None
    #: ... a response header and its value on an incomplete result; ...
    timeout_header: tuple[str, str] | None = None
    #: ... or what an error answer's message starts with (a part of the result may come before it)
    timeout_errors: tuple[bytes, ...] = ()
    #: what separates an error answer's message from the query it repeats (the client's text, never read)
    error_echo: bytes | None = None


#: the engines tested, by the name ``IGSN_GRAPH_STORE_ENGINE`` takes
PROFILES: dict[str, EngineProfile] = {
    "oxigraph": EngineProfile(
        "/query",
        "/update",
        "/store",
        "union-default-graph",
        # `oxigraph serve --timeout-s`: the results written so far, then this text, in a 200
        cancelled_tail=b"The SPARQL operation has been cancelled",
    ),
    "virtuoso": EngineProfile(
        "/sparql",
        "/sparql",
        "/sparql-graph-crud",
        None,  # its default graph is the union of all graphs already
        query_as_form=True,  # 7.2 leaves many `application/sparql-query` bodies unanswered
        # (without the filter, listing every graph runs for minutes once a thousand graphs exist)
        graph_pattern="GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?g))",
        ask_variable="__ASK_RETVAL",
        no_named_graph="urn:x-igsn-graph:no-named-graph",
        own_graphs=(
            "http://www.openlinksw.com/schemas/virtrdf#",
            "http://www.w3.org/ns/ldp#",
            "http://localuriqaserver/",
        ),
        gsp_dataset=False,  # its Graph Store Protocol serves one graph at a time
        truncated_header="X-SPARQL-MaxRows",
        drop_template=DROP_ALL_AT_ONCE,  # a DROP per graph: over ~1,000 graphs "SQL text has exceeded 10000 lines"
        canonical_forms=True,
        # a geo:wktLiteral becomes a geometry of single-precision floats ("2.1" → "2.0999999046326")
        written_as={GEO_WKT: "https://w3id.org/igsn-graph/ontology#wktText"},
        # past MaxQueryExecutionTime: 500 "Virtuoso S1T00 Error SR171: Transaction timed out"; an "anytime" query
        # (a `timeout` argument, or ExecutionTimeout in its ini) comes back incomplete, as a 200 with
        # X-SQL-State: S1TAT (a COUNT with no row), or as a 500 of the rows so far and "Virtuoso S1TAT Error"
        timeout_header=("X-SQL-State", "S1TAT"),
        timeout_errors=(b"Virtuoso S1T00 Error SR171", b"Virtuoso S1TAT Error"),
        error_echo=b"\n\nSPARQL query:\n",
    ),
}


def _renamed(triples: Sequence[Triple], names: Mapping[NamedNode, NamedNode]) -> list[Triple]:
    out = []
    for t in triples:
        o = t.object
        if isinstance(o, Literal) and o.datatype in names:
            t = Triple(t.subject, t.predicate, Literal(o.value, datatype=names[o.datatype]))
        out.append(t)
    return out


def stored_write(write: GraphWrite, profile: EngineProfile) -> GraphWrite:
    """``write`` as the engine is to be given it: datatypes of ``written_as`` renamed (the N-Triples text of a
    graph that may hold one is left out, so its triples are written from the renamed objects)."""
    if not profile.written_as:
        return write
    names = {NamedNode(k): NamedNode(v) for k, v in profile.written_as.items()}
    text = {g: t for g, t in write.text.items() if not any(k in t for k in profile.written_as)}
    return GraphWrite(
        replace={g: None if ts is None else _renamed(ts, names) for g, ts in write.replace.items()},
        add={g: _renamed(ts, names) for g, ts in write.add.items()},
        remove={g: _renamed(ts, names) for g, ts in write.remove.items()},
        new_graphs=write.new_graphs,
        text=text,
    )


def as_written(triples: list[Triple], profile: EngineProfile) -> list[Triple]:
    """Triples read from the engine as the embedded store gives them back: ``written_as`` datatypes under their
    written names, literals in pyoxigraph's canonical forms (e.g. "1.50" → "1.5", "1000.0"^^xsd:double → "1000"),
    so a graph read from either store compares equal to its history."""
    if not triples or not (profile.canonical_forms or profile.written_as):
        return triples
    names = {NamedNode(v): NamedNode(k) for k, v in profile.written_as.items()}
    renamed = _renamed(triples, names)
    if not profile.canonical_forms:
        return renamed
    mem = Store()
    mem.extend(Quad(t.subject, t.predicate, t.object) for t in renamed)
    return [q.triple for q in mem]


def written_datatypes_in_json(results: bytes, profile: EngineProfile) -> bytes:
    """SPARQL JSON results with the ``written_as`` datatypes under their written names. Only a ``"datatype"``
    member matches (quotes inside a JSON string are escaped, so a value cannot look like one)."""
    for written, stored in profile.written_as.items():
        pattern = re.compile(rb'("datatype"\s*:\s*)"' + re.escape(stored.encode()) + rb'"')
        results = pattern.sub(rb'\1"' + written.encode() + rb'"', results)
    return results


def ask_answer(solutions: QuerySolutions, variable: str) -> QueryBoolean:
    """An ASK answered as a row binding ``variable`` to 1 or 0, as the boolean result it stands for."""
    value = next((row[variable] for row in solutions), None)
    truth = isinstance(value, Literal) and value.value not in ("0", "false")
    body = b'{"head": {}, "boolean": %s}' % (b"true" if truth else b"false")
    parsed = parse_query_results(body, format=QueryResultsFormat.JSON)
    assert isinstance(parsed, QueryBoolean)
    return parsed


def timed_out(status: int, headers: Mapping[str, str], body: bytes, profile: EngineProfile) -> bool:
    """Whether an answer to a query is the engine's report of stopping it at its own time limit: never a result
    (it may be cut off or incomplete) nor the client's error. A whole result never ends in the cancelled text
    (JSON and XML results end in their closing bracket, N-Triples in a full stop, and a literal holding that
    text is followed by its closing quote); an error's message is read without the query it repeats."""
    if profile.timeout_header is not None:
        name, value = profile.timeout_header
        if headers.get(name, "").strip() == value:
            return True
    if status == 200:
        return profile.cancelled_tail is not None and body.rstrip().endswith(profile.cancelled_tail)
    if status < 400 or not profile.timeout_errors:
        return False
    message = body.split(profile.error_echo, 1)[0] if profile.error_echo else body
    return any(marker in message[-1000:] for marker in profile.timeout_errors)
