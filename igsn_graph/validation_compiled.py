"""Runs the rules compiled from shapes/ over a batch of pyoxigraph triples: the fast validation engine.

Why: it reads the triples the converter made as they are (no rdflib graph, no store, no text round
trip), in one pass that keeps only the predicates some rule follows, and checks each rule's focus nodes
in plain Python; bench/validate.py measures it beside pyshacl, pyrudof and the same rules as SPARQL
over pyoxigraph. tests/test_validation_engines.py holds it to pyshacl's results (focus node, path,
constraint component, severity, value, message) on every record of a corpus of valid and invalid ones.

Semantics follow pyshacl where SHACL leaves room: class targets include rdfs:subClassOf instances;
sh:pattern uses Python's ``re`` with the i and m flags only; sh:datatype asks rdflib whether the
lexical form is well formed for the XSD types rdflib knows (and takes any other datatype as written);
a string is never compared with a number. One deliberate difference: a typed literal is matched and
reported by its lexical form as written (SHACL's ``str()``), where rdflib first rewrites some (``-1e3``
becomes ``-1000.0``, ``Z`` ``+00:00``); our date shapes accept both forms, so only the reported value of
such a literal differs.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping, Sequence

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, Triple
from rdflib import Literal as RdfLiteral
from rdflib import URIRef
from rdflib.term import XSDToPython

from .validation_report import Violation
from .validation_shapes import SH, Rule, Target, Term

__all__ = ["CompiledEngine"]

_RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_SUBCLASS = NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
_XSD = "http://www.w3.org/2001/XMLSchema#"
_XSD_STRING = _XSD + "string"
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_RDFS_LITERAL = "http://www.w3.org/2000/01/rdf-schema#Literal"
_RDFS_DATATYPE = "http://www.w3.org/2000/01/rdf-schema#Datatype"
_XSD_DECIMAL = _XSD + "decimal"
_XSD_INTEGER = _XSD + "integer"
_DECIMAL_FORM = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_INTEGER_FORM = re.compile(r"[+-]?[0-9]+")
#: the Python type rdflib gives a well-formed value of these datatypes (pyshacl checks it)
_VALUE_TYPES: dict[str, type | tuple[type, ...]] = {
    _XSD + "integer": int,
    _XSD + "float": float,
    _XSD + "decimal": Decimal,
    _XSD + "boolean": bool,
}

#: the datatypes whose lexical forms rdflib parses (and so may find ill-typed)
_RDFLIB_PARSES = frozenset(str(k) for k in XSDToPython if k is not None)

Check = Callable[[Term], bool]


class CompiledEngine:
    """The rules of shapes/, each turned into value checks once; ``run`` validates a batch of samples."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        self._checks = [_value_checks(rule) for rule in self.rules]
        # the predicates any rule reads: paths, target predicates, rdf:type (and subClassOf) for classes
        wanted: set[NamedNode] = {_RDF_TYPE, _SUBCLASS}
        for rule in self.rules:
            wanted.add(rule.path)
            wanted.update(rule.target.subjects_of, rule.target.objects_of)
        self._wanted = frozenset(wanted)

    def run(
        self, graphs: Mapping[str, Sequence[Triple | Quad]], types: Iterable[tuple[NamedNode, NamedNode]] = ()
    ) -> list[Violation]:
        """The results of every rule over the union of ``graphs`` plus the ``types`` (subject, class) given."""
        by_predicate: dict[NamedNode, list[Triple | Quad]] = {p: [] for p in self._wanted}
        get = by_predicate.get
        for triples in graphs.values():
            for t in triples:
                found = get(t.predicate)
                if found is not None:
                    found.append(t)
        by_predicate[_RDF_TYPE].extend(Triple(s, _RDF_TYPE, c) for s, c in types)
        batch = _Batch(by_predicate)
        out: list[Violation] = []
        for rule, checks in zip(self.rules, self._checks, strict=True):
            by_subject = batch.subjects(rule.path)
            low, high = rule.min_count or 0, rule.max_count
            for key, holder in batch.focus(rule.target).items():
                hit = by_subject.get(key)
                if hit is None:
                    if low:
                        out.append(_result(rule, _node(key, holder), None, "MinCountConstraintComponent"))
                    continue
                values: Sequence[Triple | Quad]
                if isinstance(hit, list):
                    values = list(dict.fromkeys(hit))  # a triple repeated in two samples' graphs counts once
                else:
                    values = (hit,)
                if len(values) < low:
                    out.append(_result(rule, _node(key, holder), None, "MinCountConstraintComponent"))
                if high is not None and len(values) > high:
                    out.append(_result(rule, _node(key, holder), None, "MaxCountConstraintComponent"))
                for t in values if checks else ():
                    value: Term = t.object  # type: ignore[assignment]  # no RDF-star in our graphs
                    for component, check in checks:
                        if not check(value):
                            out.append(_result(rule, _node(key, holder), value, component))
        return out


class _Batch:
    """The triples of one batch by predicate, and what the rules look up in them, each computed once.

    Nodes are keyed by their N-Triples text: a ``str`` is cheap to hash and is not tracked by the
    garbage collector, whereas keeping a pyoxigraph term per triple made collections the largest cost.
    A node's term is made again from a triple that holds it (``_node``) only when it is reported.
    """

    def __init__(self, by_predicate: dict[NamedNode, list[Triple | Quad]]) -> None:
        self.by_predicate = by_predicate
        self._subjects: dict[NamedNode, dict[str, Triple | Quad | list[Triple | Quad]]] = {}
        self._focus: dict[Target, dict[str, Triple | Quad]] = {}
        self._instances: dict[str, dict[str, Triple | Quad]] | None = None

    def subjects(self, p: NamedNode) -> dict[str, Triple | Quad | list[Triple | Quad]]:
        """Subject key -> the triple with predicate ``p`` (a list of them when there are several)."""
        found = self._subjects.get(p)
        if found is None:
            found = self._subjects[p] = {}
            for t in self.by_predicate[p]:
                old = found.setdefault(str(t.subject), t)
                if old is not t:
                    if isinstance(old, list):
                        old.append(t)
                    else:
                        found[str(t.subject)] = [old, t]
        return found

    def focus(self, target: Target) -> dict[str, Triple | Quad]:
        """Focus node key -> a triple holding the node, for every focus node of ``target``."""
        found = self._focus.get(target)
        if found is None:
            found = self._focus[target] = {}
            if target.classes:
                instances = self.instances()
                for cls in target.classes:
                    found.update(instances.get(str(cls), {}))
            for p in target.subjects_of:
                for t in self.by_predicate[p]:
                    found.setdefault(str(t.subject), t)
            for p in target.objects_of:
                for t in self.by_predicate[p]:
                    found.setdefault(str(t.object), t)
            for node in target.nodes:
                found.setdefault(
                    str(node),
                    Triple(node, _RDF_TYPE, node)
                    if not isinstance(node, Literal)
                    else Triple(_RDF_TYPE, _RDF_TYPE, node),
                )
        return found

    def instances(self) -> dict[str, dict[str, Triple | Quad]]:
        """Class key -> its instances (key -> their rdf:type triple), through rdfs:subClassOf when given."""
        if self._instances is None:
            by_class: dict[str, dict[str, Triple | Quad]] = defaultdict(dict)
            for t in self.by_predicate[_RDF_TYPE]:
                by_class[str(t.object)].setdefault(str(t.subject), t)
            supers: dict[str, set[str]] = defaultdict(set)
            for t in self.by_predicate[_SUBCLASS]:
                supers[str(t.subject)].add(str(t.object))
            for cls in list(by_class) if supers else ():
                for ancestor in _ancestors(cls, supers):
                    for key, t in list(by_class[cls].items()):
                        by_class[ancestor].setdefault(key, t)
            self._instances = by_class
        return self._instances


def _node(key: str, holder: Triple | Quad) -> Term:
    """The term whose key is ``key``, from a triple that holds it."""
    # no RDF-star in our graphs: neither side is a triple term
    return holder.subject if str(holder.subject) == key else holder.object  # type: ignore[return-value]


def _ancestors(cls: str, supers: Mapping[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(supers.get(cls, ()))
    while todo:
        node = todo.pop()
        if node not in seen and node != cls:
            seen.add(node)
            todo.extend(supers.get(node, ()))
    return seen


def _result(rule: Rule, focus: Term, value: Term | None, component: str) -> Violation:
    return Violation(
        focus_node=focus.value,
        path=rule.path.value,
        value=None if value is None else value.value,
        message=rule.message or _generic(rule, component, focus, value),
        severity=rule.severity,
        source_shape=rule.shape,
        constraint=SH + component,
    )


def _generic(rule: Rule, component: str, focus: Term, value: Term | None) -> str:
    """A message for a shape without sh:message: what failed, on which node and path."""
    name = component.removesuffix("ConstraintComponent")
    shown = f" value {value}" if value is not None else ""
    return f"{name} constraint not met on {focus}->{rule.path}{shown}"


# --- value checks ------------------------------------------------------------------------------


def _value_checks(rule: Rule) -> list[tuple[str, Check]]:
    """(component, test) for each constraint of ``rule`` on a single value node, in SHACL's order."""
    checks: list[tuple[str, Check]] = []
    if rule.datatype is not None:
        datatype = rule.datatype
        checks.append(("DatatypeConstraintComponent", lambda v: _datatype_ok(v, datatype)))
    if rule.node_kind is not None:
        kind = rule.node_kind[len(SH) :]
        checks.append(("NodeKindConstraintComponent", lambda v: _node_kind_ok(v, kind)))
    if rule.allowed is not None:
        allowed = rule.allowed
        checks.append(("InConstraintComponent", lambda v: v in allowed))
    for pattern in rule.patterns:
        checks.append(("PatternConstraintComponent", _pattern_check(pattern)))
    if rule.min_length:  # 0 passes anything, blank nodes included (as in pyshacl)
        low = rule.min_length
        checks.append(("MinLengthConstraintComponent", lambda v: _string_ok(v, lambda s: len(s) >= low)))
    if rule.max_length is not None:
        high = rule.max_length
        checks.append(("MaxLengthConstraintComponent", lambda v: _string_ok(v, lambda s: len(s) <= high)))
    for component, bound in rule.bounds:
        checks.append((component, _bound_check(component, bound)))
    return checks


def _pattern_check(pattern: re.Pattern[str]) -> Check:
    return lambda v: _string_ok(v, lambda s: pattern.search(s) is not None)


def _string_ok(v: Term, test: Callable[[str], bool]) -> bool:
    """A string test on an IRI or a literal's lexical form; a blank node never passes."""
    return not isinstance(v, BlankNode) and test(v.value)


def _node_kind_ok(v: Term, kind: str) -> bool:
    if isinstance(v, NamedNode):
        return kind in ("IRI", "BlankNodeOrIRI", "IRIOrLiteral")
    if isinstance(v, BlankNode):
        return kind in ("BlankNode", "BlankNodeOrIRI", "BlankNodeOrLiteral")
    return kind in ("Literal", "BlankNodeOrLiteral", "IRIOrLiteral")


def _datatype_ok(v: Term, datatype: str) -> bool:
    """SHACL's datatype test as pyshacl makes it over rdflib (which takes xsd:string as a plain literal)."""
    if not isinstance(v, Literal):
        return False
    if v.language:
        return datatype in (_LANG_STRING, _RDFS_LITERAL)
    own = v.datatype.value
    if own == _XSD_STRING:
        return datatype in (_XSD_STRING, _RDFS_LITERAL)
    if own == datatype:
        return _well_formed(v.value, datatype)
    return datatype in (_RDFS_LITERAL, _RDFS_DATATYPE)


@lru_cache(maxsize=4096)
def _well_formed(lexical: str, datatype: str) -> bool:
    """Whether rdflib parses ``lexical`` as a value of ``datatype`` (any datatype it does not know passes)."""
    if datatype not in _RDFLIB_PARSES:
        return True
    parsed = RdfLiteral(lexical, datatype=URIRef(datatype))
    if parsed.ill_typed:
        return False
    if datatype in _VALUE_TYPES:
        return isinstance(parsed.value, _VALUE_TYPES[datatype])
    if datatype in (_XSD + "date", _XSD + "time", _XSD + "dateTime"):
        import datetime

        kind = {"date": datetime.date, "time": datetime.time, "dateTime": datetime.datetime}
        return isinstance(parsed.value, kind[datatype[len(_XSD) :]])
    return True


def _bound_check(component: str, bound: Literal) -> Check:
    """``bound <= v`` (and the other three) as pyshacl decides it: by comparing values, a failure to compare
    failing the check; numbers without rdflib in the common case."""
    limit = RdfLiteral(bound.value, datatype=URIRef(bound.datatype.value)).value
    passes: Callable[[int], bool] = {
        "MinInclusiveConstraintComponent": lambda cmp: cmp >= 0,
        "MaxInclusiveConstraintComponent": lambda cmp: cmp <= 0,
        "MinExclusiveConstraintComponent": lambda cmp: cmp > 0,
        "MaxExclusiveConstraintComponent": lambda cmp: cmp < 0,
    }[component]

    def check(v: Term) -> bool:
        if not isinstance(v, Literal) or v.language:
            return False
        datatype, lexical = v.datatype.value, v.value
        number: Any
        if datatype == _XSD_DECIMAL and _DECIMAL_FORM.fullmatch(lexical):
            number = Decimal(lexical)
        elif datatype == _XSD_INTEGER and _INTEGER_FORM.fullmatch(lexical):
            number = int(lexical)
        else:
            number = _number(lexical, datatype)
            if number is None:
                return False
        try:
            return passes(0 if number == limit else 1 if number > limit else -1)
        except (TypeError, ArithmeticError):
            return False

    return check


def _number(lexical: str, datatype: str) -> Any:
    """rdflib's value of any other literal when it is a number (strings and other values are not compared)."""
    if datatype == _XSD_STRING:
        return None
    value = RdfLiteral(lexical, datatype=URIRef(datatype))
    number = value.value
    if value.ill_typed or isinstance(number, bool) or not isinstance(number, (int, float, Decimal)):
        return None
    return number
