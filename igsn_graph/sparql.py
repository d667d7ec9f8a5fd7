"""Read-only SPARQL over the public graph, with a time limit and a result-size limit, and result serialisers.

pyoxigraph cannot cancel a running query. The limits are enforced between result rows: the worker stops
consuming the iterator at the deadline or the size limit, which ends the engine's work for streaming
queries. A query whose engine spends longer than the limit before yielding its first row (a large
ORDER BY, GROUP BY or COUNT) cannot be interrupted: the caller is answered at the limit and the worker
thread finishes in the background (the endpoint bounds how many such threads exist).
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

from lxml import etree
from pyoxigraph import (BlankNode, DefaultGraph, Literal, NamedNode, QueryBoolean, QuerySolutions, QueryTriples,
                        RdfFormat, Triple, serialize)

from .errors import IgsnGraphError, InvalidInput, NotAllowed, StorageFailure
from .formats.xmltext import clean, xml_safe

__all__ = ["QuerySyntaxError", "QueryTimeout", "ServiceRefused", "QueryEvaluationError", "uses_service", "ResultTooLarge", "UpdateRefused", "QueryResult", "Limits",
           "run_query", "UPDATE_REFUSED", "RESULT_TYPES", "GRAPH_TYPES", "serialize_result", "is_update"]

SRX = "http://www.w3.org/2005/sparql-results#"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

#: media types for SELECT/ASK results, first is the default
RESULT_TYPES = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                "text/tab-separated-values", "application/json", "application/xml"]
#: media types for CONSTRUCT/DESCRIBE results, first is the default
GRAPH_TYPES = {"text/turtle": RdfFormat.TURTLE, "application/n-triples": RdfFormat.N_TRIPLES,
               "application/n-quads": RdfFormat.N_QUADS, "application/trig": RdfFormat.TRIG,
               "application/rdf+xml": RdfFormat.RDF_XML, "application/ld+json": RdfFormat.JSON_LD,
               "text/plain": RdfFormat.N_TRIPLES}


class QuerySyntaxError(InvalidInput):
    """The query does not parse (the message is the parser's)."""


class UpdateRefused(NotAllowed):
    """SPARQL Update is not offered: every write goes through the registry."""


class ServiceRefused(NotAllowed):
    """Federated queries (SERVICE) are refused: the server would fetch whatever a client names."""


class QueryEvaluationError(InvalidInput):
    """The engine failed while evaluating the query (e.g. a type error it does not recover from)."""


class QueryTimeout(StorageFailure):
    """The query ran into the time limit."""


class ResultTooLarge(InvalidInput):
    """The result has more rows than the limit."""


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 30.0
    max_rows: int = 100_000


@dataclass
class QueryResult:
    kind: str  # "select" | "ask" | "graph"
    variables: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[Triple] = field(default_factory=list)


UPDATE_REFUSED = "SPARQL Update is not available: samples are registered and changed through the registry API"
_UPDATE_WORDS = ("insert", "delete", "load", "clear", "create", "drop", "copy", "move", "add", "with")


_STRINGS_AND_IRIS = re.compile(r'"""(?:.|\n)*?"""|\'\'\'(?:.|\n)*?\'\'\'|"(?:\\.|[^"\\\n])*"|'
                               r"'(?:\\.|[^'\\\n])*'|<[^<>\s]*>|#[^\n]*")


def uses_service(text: str) -> bool:
    """Whether a query uses SERVICE outside strings, IRIs and comments."""
    return re.search(r"(?i)\bSERVICE\b", _STRINGS_AND_IRIS.sub(" ", text)) is not None


def is_update(text: str) -> bool:
    """Whether a request text is a SPARQL Update rather than a query (after prologue and comments)."""
    words: list[str] = []
    for line in re.split(r"\r\n|\r|\n", text):  # SPARQL's line ends only (U+2028 & co. are not)
        line = line.split("#", 1)[0] if "<" not in line else line
        words.extend(line.lower().split())
    skip = 0
    for i, word in enumerate(words):
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


def run_query(store: Any, query: str, *, default_graphs: Sequence[str] = (), named_graphs: Sequence[str] = (),
              limits: Limits = Limits(), cancel: threading.Event | None = None,
              base_iri: str | None = None) -> QueryResult:
    """Runs a read-only query against a pyoxigraph store; raises the errors above.

    ``base_iri`` resolves relative IRIs in the query (the protocol's choice: the endpoint's URL).
    """
    deadline = time.monotonic() + limits.timeout_s
    if uses_service(query):
        # federated queries would make this server send requests wherever a client points it
        raise ServiceRefused("SERVICE (federated query) is not available on this endpoint")
    kwargs: dict[str, Any] = {"base_iri": base_iri} if base_iri else {}
    try:
        if default_graphs:
            kwargs["default_graph"] = [NamedNode(g) for g in default_graphs]
        else:
            kwargs["use_default_graph_as_union"] = True
        if named_graphs:
            kwargs["named_graphs"] = [NamedNode(g) for g in named_graphs]
    except ValueError as exc:
        raise QuerySyntaxError(f"invalid graph IRI: {exc}") from None
    try:
        result = store.query(query, **kwargs)
    except (SyntaxError, ValueError) as exc:
        # an update sent as a query fails to parse as one: say why it is refused
        if is_update(query):
            raise UpdateRefused(UPDATE_REFUSED) from None
        raise QuerySyntaxError(str(exc)) from None

    def check(count: int) -> None:
        if count > limits.max_rows:
            raise ResultTooLarge(f"the result has more than {limits.max_rows} rows; add a LIMIT or narrow the query")
        if time.monotonic() > deadline or (cancel is not None and cancel.is_set()):
            raise QueryTimeout(f"the query ran longer than the limit of {limits.timeout_s:g} s")

    # pyoxigraph's result objects belong to the thread that made them: consume them here, drop them here,
    # and let no traceback carry them to another thread
    failure: IgsnGraphError | None = None
    out: QueryResult
    try:
        if isinstance(result, QueryBoolean):
            out = QueryResult("ask", boolean=bool(result))
        elif isinstance(result, QuerySolutions):
            variables = [v.value for v in result.variables]
            rows: list[list[Any]] = []
            for solution in result:
                rows.append([solution[v] for v in variables])
                check(len(rows))
            out = QueryResult("select", variables=variables, rows=rows)
        elif isinstance(result, (QueryTriples, list)):  # a remote engine's CONSTRUCT arrives as a list
            triples: list[Triple] = []
            for triple in result:
                triples.append(triple)
                check(len(triples))
            out = QueryResult("graph", triples=triples)
        else:
            failure = QuerySyntaxError("unsupported query form")
    except (QueryTimeout, ResultTooLarge) as exc:
        failure = type(exc)(exc.message)
    except (OSError, SyntaxError, ValueError, RuntimeError) as exc:  # raised by the engine while evaluating
        failure = QueryEvaluationError(f"the query could not be evaluated: {exc}")
    finally:
        solution = None  # noqa: F841 - drop the last row object in this thread
        del result
    if failure is not None:
        raise failure
    return out


# -- serialisers ---------------------------------------------------------------------------

def _json_term(term: Any) -> dict[str, str]:
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {"type": "literal", "value": str(term)}


def _csv_value(term: Any, tsv: bool) -> str:
    if term is None:
        return ""
    if tsv:
        return str(term)  # TSV uses the N-Triples/Turtle form of terms
    if isinstance(term, BlankNode):
        return "_:" + term.value
    return term.value  # type: ignore[no-any-return]


def serialize_result(result: QueryResult, media_type: str) -> bytes:
    """The result in the chosen media type (one of RESULT_TYPES or GRAPH_TYPES)."""
    if result.kind == "graph":
        fmt = GRAPH_TYPES[media_type]
        if fmt in (RdfFormat.N_QUADS, RdfFormat.TRIG):
            from pyoxigraph import Quad
            return serialize([Quad(t.subject, t.predicate, t.object, DefaultGraph()) for t in result.triples],
                             format=fmt) or b""
        triples = xml_safe(result.triples) if fmt == RdfFormat.RDF_XML else result.triples
        return serialize(triples, format=fmt) or b""
    if media_type in ("application/sparql-results+json", "application/json"):
        if result.kind == "ask":
            body: dict[str, Any] = {"head": {}, "boolean": result.boolean}
        else:
            body = {"head": {"vars": result.variables}, "results": {"bindings": [
                {v: _json_term(t) for v, t in zip(result.variables, row) if t is not None} for row in result.rows]}}
        return json.dumps(body, ensure_ascii=False).encode("utf-8")
    if media_type in ("application/sparql-results+xml", "application/xml"):
        root = etree.Element(f"{{{SRX}}}sparql", nsmap={None: SRX})
        head = etree.SubElement(root, f"{{{SRX}}}head")
        if result.kind == "ask":
            etree.SubElement(root, f"{{{SRX}}}boolean").text = "true" if result.boolean else "false"
        else:
            for v in result.variables:
                etree.SubElement(head, f"{{{SRX}}}variable", name=v)
            results = etree.SubElement(root, f"{{{SRX}}}results")
            for row in result.rows:
                el = etree.SubElement(results, f"{{{SRX}}}result")
                for v, term in zip(result.variables, row):
                    if term is None:
                        continue
                    binding = etree.SubElement(el, f"{{{SRX}}}binding", name=v)
                    j = _json_term(term)
                    tag = {"uri": "uri", "bnode": "bnode"}.get(j["type"], "literal")
                    node = etree.SubElement(binding, f"{{{SRX}}}{tag}")
                    node.text = clean(j["value"])  # XML cannot carry a NUL or U+FFFE: dropped
                    if "xml:lang" in j:
                        node.set("{http://www.w3.org/XML/1998/namespace}lang", j["xml:lang"])
                    elif "datatype" in j:
                        node.set("datatype", j["datatype"])
        return etree.tostring(root, xml_declaration=True, encoding="utf-8")
    if media_type in ("text/csv", "text/tab-separated-values"):
        tsv = media_type == "text/tab-separated-values"
        if result.kind == "ask":
            return (("true" if result.boolean else "false") + "\n").encode()
        buf = io.StringIO()
        if tsv:
            buf.write("\t".join("?" + v for v in result.variables) + "\n")
            for row in result.rows:
                buf.write("\t".join(_csv_value(t, True) for t in row) + "\n")
        else:
            writer = csv.writer(buf, lineterminator="\r\n")
            writer.writerow(result.variables)
            for row in result.rows:
                writer.writerow([_csv_value(t, False) for t in row])
        return buf.getvalue().encode("utf-8")
    raise ValueError(f"no serialiser for {media_type}")
