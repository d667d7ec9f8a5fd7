"""Reads the SHACL shapes of shapes/ into rules a fast engine can run, refusing what it cannot compile.

Why: pyshacl needs an rdflib graph of every batch, and building it costs more than validating (issue 16).
Our shapes use a small part of SHACL Core: property shapes with an IRI path, class/subjects-of/objects-of
targets, cardinality and value-type constraints. This module turns each such shape into a ``Rule``
(plain data: targets, path, the constraint parameters) read from the Turtle a curator edits, with no
per-shape code. A shape using anything else (a nested shape, a SPARQL constraint, a path expression, a
constraint component not in ``COMPILED``) raises ``ShapesError`` when the shapes are loaded, so a curator
who adds one gets a clear error rather than a check silently skipped; pyshacl (the reference engine)
still runs such shapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable

import rdflib
from pyoxigraph import BlankNode, Literal, NamedNode
from rdflib import BNode, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.collection import Collection

from .errors import IgsnGraphError

__all__ = ["Rule", "Target", "Term", "ShapesError", "COMPILED", "compile_shapes", "ox_term"]

SH = "http://www.w3.org/ns/shacl#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_XSD = "http://www.w3.org/2001/XMLSchema#"

Term = NamedNode | BlankNode | Literal

#: the constraint components compiled, by the parameter that selects each (SHACL §4)
COMPILED = {
    "minCount": "MinCountConstraintComponent",
    "maxCount": "MaxCountConstraintComponent",
    "datatype": "DatatypeConstraintComponent",
    "nodeKind": "NodeKindConstraintComponent",
    "in": "InConstraintComponent",
    "pattern": "PatternConstraintComponent",
    "minLength": "MinLengthConstraintComponent",
    "maxLength": "MaxLengthConstraintComponent",
    "minInclusive": "MinInclusiveConstraintComponent",
    "maxInclusive": "MaxInclusiveConstraintComponent",
    "minExclusive": "MinExclusiveConstraintComponent",
    "maxExclusive": "MaxExclusiveConstraintComponent",
}
#: what a shape may say besides its constraints: targets, path, report text, non-validating properties
_STRUCTURE = {
    "path",
    "targetClass",
    "targetSubjectsOf",
    "targetObjectsOf",
    "targetNode",
    "message",
    "severity",
    "deactivated",
    "flags",
    "name",
    "description",
    "order",
    "group",
    "defaultValue",
}
_TARGETS = ("targetClass", "targetSubjectsOf", "targetObjectsOf", "targetNode")
_NESTING = ("property", "node", "qualifiedValueShape", "not", "and", "or", "xone")
_NODE_KINDS = {SH + k for k in ("IRI", "BlankNode", "Literal", "BlankNodeOrIRI", "BlankNodeOrLiteral", "IRIOrLiteral")}
_SEVERITIES = {SH + "Violation": "Violation", SH + "Warning": "Warning", SH + "Info": "Info"}


class ShapesError(IgsnGraphError):
    """The shapes in shapes/ cannot be loaded or reject a known-good record: a deployment error."""


@dataclass(frozen=True)
class Target:
    """The focus nodes of a shape: instances of classes, subjects or objects of predicates, named nodes."""

    classes: frozenset[NamedNode] = frozenset()
    subjects_of: frozenset[NamedNode] = frozenset()
    objects_of: frozenset[NamedNode] = frozenset()
    nodes: tuple[Term, ...] = ()


@dataclass(frozen=True)
class Rule:
    """One property shape: what it targets, the path it follows and the constraints on the values found."""

    #: the shape's IRI (None for a blank-node shape), reported as the source shape
    shape: str | None
    path: NamedNode
    target: Target
    severity: str
    #: the shape's sh:message (the first one); None: the engine writes a generic message
    message: str | None
    min_count: int | None = None
    max_count: int | None = None
    datatype: str | None = None
    node_kind: str | None = None
    allowed: frozenset[Term] | None = None
    patterns: tuple[re.Pattern[str], ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    #: (component name, bound): value comparisons, e.g. ("MinInclusiveConstraintComponent", Literal(-180))
    bounds: tuple[tuple[str, Literal], ...] = ()

    @property
    def label(self) -> str:
        return f"<{self.shape}>" if self.shape else "a blank-node shape"


def ox_term(node: rdflib.term.Node) -> Term:
    """An rdflib term of the shapes as the pyoxigraph term that data would carry."""
    if isinstance(node, URIRef):
        return NamedNode(str(node))
    if isinstance(node, BNode):
        return BlankNode(str(node))
    if isinstance(node, RdfLiteral):
        if node.language:
            return Literal(str(node), language=node.language)
        return Literal(str(node), datatype=NamedNode(str(node.datatype)) if node.datatype else None)
    raise ShapesError(f"not an RDF term in the shapes: {node!r}")


def compile_shapes(graph: rdflib.Graph) -> tuple[Rule, ...]:
    """Every active shape of ``graph`` as a ``Rule``; ``ShapesError`` names the first one not compiled."""
    rules = []
    for shape in sorted(_shapes(graph), key=str):
        rule = _rule(graph, shape)
        if rule is not None:
            rules.append(rule)
    return tuple(rules)


def _shapes(graph: rdflib.Graph) -> set[rdflib.term.Node]:
    """What SHACL takes for a shape: typed as one, targeting, having a path, or nested in another."""
    found: set[rdflib.term.Node] = set()
    for kind in ("NodeShape", "PropertyShape"):
        found.update(graph.subjects(rdflib.RDF.type, URIRef(SH + kind)))
    for p in _TARGETS + ("path",):
        found.update(graph.subjects(URIRef(SH + p), None))
    for p in _NESTING:
        for s in graph.subjects(URIRef(SH + p), None):
            raise _refused(_name(s), f"uses sh:{p} (a nested shape; write the rule as its own property shape)")
    return found


def _refused(where: str, what: str) -> ShapesError:
    return ShapesError(
        f"{where} {what}: the fast validation engine does not compile it; use the setting "
        'validation_engine = "pyshacl" (IGSN_GRAPH_VALIDATION_ENGINE), or extend '
        "igsn_graph/validation_shapes.py and validation_compiled.py"
    )


def _name(node: rdflib.term.Node) -> str:
    return f"<{node}>" if isinstance(node, URIRef) else "a blank-node shape"


def _rule(graph: rdflib.Graph, shape: rdflib.term.Node) -> Rule | None:
    where = _name(shape)
    params: dict[str, list[rdflib.term.Node]] = {}
    for p, o in graph.predicate_objects(shape):
        name = str(p)
        if not name.startswith(SH):
            continue  # annotations (rdfs:comment, igsh:codeList...) and rdf:type
        local = name[len(SH) :]
        if local not in COMPILED and local not in _STRUCTURE:
            raise _refused(where, f"uses sh:{local} (compiled: " + ", ".join("sh:" + k for k in COMPILED) + ")")
        params.setdefault(local, []).append(o)

    def one(local: str) -> rdflib.term.Node | None:
        values = params.get(local, [])
        if len(values) > 1:
            raise ShapesError(f"{where} has {len(values)} values of sh:{local}; SHACL allows one")
        return values[0] if values else None

    if _literal_is(one("deactivated"), True):
        return None
    constraints = [k for k in params if k in COMPILED]
    path = one("path")
    if path is None:
        if constraints:
            raise _refused(
                where, f"is a node shape with a constraint (sh:{constraints[0]}; property shapes are compiled)"
            )
        return None
    if not isinstance(path, URIRef):
        raise _refused(where, "has a path expression (IRI paths are compiled)")
    classes = {c for c in params.get("targetClass", [])}
    if (shape, rdflib.RDF.type, rdflib.RDFS.Class) in graph or (shape, rdflib.RDF.type, rdflib.OWL.Class) in graph:
        classes.add(shape)  # implicit class target (SHACL §2.1.3.3)
    target = Target(
        classes=frozenset(_iris(where, "targetClass", classes)),
        subjects_of=frozenset(_iris(where, "targetSubjectsOf", params.get("targetSubjectsOf", []))),
        objects_of=frozenset(_iris(where, "targetObjectsOf", params.get("targetObjectsOf", []))),
        nodes=tuple(ox_term(n) for n in params.get("targetNode", [])),
    )
    severity = one("severity")
    if severity is not None and str(severity) not in _SEVERITIES:
        raise ShapesError(f"{where}: sh:severity {severity} is not sh:Violation, sh:Warning or sh:Info")
    messages = params.get("message", [])
    datatype, node_kind = one("datatype"), one("nodeKind")
    if datatype is not None and not isinstance(datatype, URIRef):
        raise ShapesError(f"{where}: sh:datatype must be an IRI")
    if node_kind is not None and str(node_kind) not in _NODE_KINDS:
        raise ShapesError(f"{where}: sh:nodeKind {node_kind} is not a SHACL node kind")
    allowed = None
    if "in" in params:
        head = one("in")
        assert head is not None
        try:
            allowed = frozenset(ox_term(m) for m in Collection(graph, head))
        except Exception as e:  # a broken list
            raise ShapesError(f"{where}: sh:in is not an RDF list: {e}") from e
    return Rule(
        shape=str(shape) if isinstance(shape, URIRef) else None,
        path=NamedNode(str(path)),
        target=target,
        severity=_SEVERITIES[str(severity)] if severity is not None else "Violation",
        message=str(messages[0]) if messages else None,
        min_count=_count(where, "minCount", one("minCount")),
        max_count=_count(where, "maxCount", one("maxCount")),
        datatype=str(datatype) if datatype is not None else None,
        node_kind=str(node_kind) if node_kind is not None else None,
        allowed=allowed,
        patterns=_patterns(where, params.get("pattern", []), one("flags")),
        min_length=_count(where, "minLength", one("minLength")),
        max_length=_count(where, "maxLength", one("maxLength")),
        bounds=tuple(
            (COMPILED[k], _bound(where, k, one(k)))
            for k in ("minInclusive", "maxInclusive", "minExclusive", "maxExclusive")
            if k in params
        ),
    )


def _iris(where: str, local: str, nodes: Iterable[rdflib.term.Node]) -> Iterable[NamedNode]:
    for node in nodes:
        if not isinstance(node, URIRef):
            raise ShapesError(f"{where}: sh:{local} must be an IRI, not {node!r}")
        yield NamedNode(str(node))


def _literal_is(node: rdflib.term.Node | None, value: object) -> bool:
    return isinstance(node, RdfLiteral) and node.value == value


def _count(where: str, local: str, node: rdflib.term.Node | None) -> int | None:
    """A non-negative integer parameter (sh:minCount, sh:maxLength...), checked as pyshacl checks it."""
    if node is None:
        return None
    if (
        not isinstance(node, RdfLiteral)
        or node.ill_typed
        or not isinstance(node.value, int)
        or isinstance(node.value, bool)
        or node.value < 0
    ):
        raise ShapesError(f"{where}: sh:{local} must be a non-negative integer, not {node.n3()}")
    return int(node.value)


def _patterns(where: str, nodes: list[rdflib.term.Node], flags: rdflib.term.Node | None) -> tuple[re.Pattern[str], ...]:
    """Compiled with Python's re and only the i and m flags, as pyshacl does."""
    re_flags = 0
    if flags is not None:
        text = str(flags).lower()
        re_flags = (re.I if "i" in text else 0) | (re.M if "m" in text else 0)
    out = []
    for node in nodes:
        if not isinstance(node, RdfLiteral):
            raise ShapesError(f"{where}: sh:pattern must be a literal")
        try:
            out.append(re.compile(str(node), re_flags))
        except re.error as e:
            raise ShapesError(f"{where}: sh:pattern {str(node)!r} is not a regular expression: {e}") from e
    return tuple(out)


def _bound(where: str, local: str, node: rdflib.term.Node | None) -> Literal:
    if (
        not isinstance(node, RdfLiteral)
        or node.ill_typed
        or not isinstance(node.value, (int, float, Decimal))
        or isinstance(node.value, bool)
    ):
        raise _refused(where, f"compares with sh:{local} {node!r}, not a number (numbers are compiled)")
    term = ox_term(node)
    assert isinstance(term, Literal)
    return term
