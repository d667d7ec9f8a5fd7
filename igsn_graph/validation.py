"""Checks sample graphs against the SHACL shapes of shapes/ and reports the violations per sample.

The only module that imports pyshacl. Shapes are parsed and checked once, when a ``Validator`` is
built: a broken shapes file fails there, never during a validation. A batch is validated as one
rdflib graph in one pyshacl call, SHACL Core only, no inference, and the results are split per
sample by focus node (the sample IRI, or a ``#fragment`` of it). bench/validate.py measures about
1.6 ms per record in batches of 1000 against about 9 ms one by one: pyshacl's cost is mostly per
shape and per call, and shapes/ holds some 55 shapes.

The shapes describe the graph as it is served (they target the classes of a description and the
subjects of the registry facts), so anyone can run pyshacl with shapes/ on a sample's Turtle. The
validator adds one triple per IGSN, typing it ``igsh:FullRegistration`` or ``igsh:UrlOnlyRegistration``:
a submission that lacks even its type is then still checked in full, and a URL-only one against the
rules of an IGSN minted without metadata (its landing page).

A record that does not conform is a result, not an exception: refusing it is the registry's call.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence, Set, Union

import pyshacl
import rdflib
from pyoxigraph import BlankNode, Literal, NamedNode, Quad, Triple
from rdflib import BNode, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.namespace import RDF as RDFLIB_RDF
from rdflib.namespace import SH

from .errors import IgsnGraphError
from .formats.graph import field_of, facts_triples, record_triples
from .iris import Iris
from .record import (
    Agent, Contributor, Curation, Geometry, Identifier, LogEvent, Relation, RegistryFacts, SampleRecord, TimeSpan,
)
from .resources import shapes_dir
from .vocab import PREFIXES

__all__ = ["Validator", "ValidationReport", "Violation", "ShapesError", "with_elements", "SHAPES_NS"]

#: the namespace of our shapes and of the two classes the validator adds to what the shapes target
SHAPES_NS = "https://w3id.org/igsn-graph/shapes#"
_FULL = URIRef(SHAPES_NS + "FullRegistration")
_URL_ONLY = URIRef(SHAPES_NS + "UrlOnlyRegistration")
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class ShapesError(IgsnGraphError):
    """The shapes in shapes/ cannot be loaded or reject a known-good record: a deployment error."""


@dataclass(frozen=True)
class Violation:
    """One SHACL result, in terms a registrant can act on."""

    focus_node: str
    path: str | None
    value: str | None
    message: str
    severity: str = "Violation"
    source_shape: str | None = None
    #: the XML element the offending field was read from, when known (``with_elements``)
    element: str | None = None

    def __str__(self) -> str:
        where = self.element or _where(self.focus_node, self.path)
        shown = "" if self.value is None or len(self.value) > 80 else f" (value: {self.value!r})"
        return f"{where}: {self.message}{shown}"


@dataclass(frozen=True)
class ValidationReport:
    """Whether one sample conforms, and why not."""

    conforms: bool
    violations: tuple[Violation, ...] = ()

    def __str__(self) -> str:
        if self.conforms:
            return "conforms"
        return "\n".join(str(v) for v in self.violations)


def _compact(iri: str) -> str:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return f"<{iri}>"


def _where(focus: str, path: str | None) -> str:
    node = "#" + focus.rsplit("#", 1)[1] + " " if "#" in focus else ""
    return f"{node}{_compact(path)}" if path else (node.strip() or _compact(focus))


def with_elements(report: ValidationReport, record: SampleRecord) -> ValidationReport:
    """``report`` with each violation's ``element`` taken from ``record.source_elements``."""
    if not record.source_elements or not report.violations:
        return report
    out = []
    for v in report.violations:
        field = field_of(v.focus_node, v.path)
        element = record.source_elements.get(field) if field else None
        out.append(dataclasses.replace(v, element=element) if element else v)
    return dataclasses.replace(report, violations=tuple(out))


# --- pyoxigraph -> rdflib ---------------------------------------------------------------------

class _Converter:
    """pyoxigraph terms to rdflib terms, directly (no text round trip), each distinct term once."""

    def __init__(self) -> None:
        self._done: dict[object, rdflib.term.Node] = {}

    def __call__(self, term: Union[NamedNode, Literal, BlankNode]) -> rdflib.term.Node:
        done = self._done.get(term)
        if done is not None:
            return done
        if isinstance(term, NamedNode):
            done = URIRef(term.value)
        elif isinstance(term, Literal):
            datatype = term.datatype.value
            if term.language:
                done = RdfLiteral(term.value, lang=term.language)
            elif datatype == _XSD_STRING:
                done = RdfLiteral(term.value)
            else:
                done = RdfLiteral(term.value, datatype=URIRef(datatype))
        elif isinstance(term, BlankNode):
            done = BNode(term.value)
        else:
            raise TypeError(f"not an RDF term: {term!r}")
        self._done[term] = done
        return done


def _predicates_read(shapes: rdflib.Graph) -> frozenset[NamedNode] | None:
    """Every predicate SHACL Core can look at for these shapes, or None when that is not knowable.

    Paths, pair constraints and targets name them; class targets add rdf:type and
    rdfs:subClassOf. With sh:closed or SPARQL anything may matter, so nothing is filtered.
    """
    if any((None, p, None) in shapes for p in (SH.closed, SH.sparql, SH.select, SH.target)):
        return None
    names: set[str] = {str(RDFLIB_RDF.type), "http://www.w3.org/2000/01/rdf-schema#subClassOf"}

    def collect(node: rdflib.term.Node) -> None:  # a path: an IRI or a blank node of path syntax
        if isinstance(node, URIRef):
            names.add(str(node))
            return
        for _, o in shapes.predicate_objects(node):
            if o != RDFLIB_RDF.nil:
                collect(o)

    for p in (SH.path, SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals,
              SH.targetSubjectsOf, SH.targetObjectsOf):
        for o in shapes.objects(None, p):
            collect(o)
    return frozenset(NamedNode(n) for n in names)


# --- the validator ----------------------------------------------------------------------------

class Validator:
    """The shapes of shapes/, loaded once; validates sample graphs one by one or as a batch."""

    def __init__(self, iris: Iris | None = None, folder: Path | None = None) -> None:
        self.iris = iris or Iris()
        folder = folder or shapes_dir()
        files = sorted(folder.glob("*.ttl"))
        if not files:
            raise ShapesError(f"no shapes (*.ttl) in {folder}")
        parsed = rdflib.Graph()
        for path in files:
            try:
                parsed.parse(path, format="turtle")
            except Exception as e:  # any parser error: the file is broken
                raise ShapesError(f"shapes file {path.name} cannot be read: {e}") from e
        #: the shapes, as parsed (prefixes bound), for readers such as tests and RDF error bodies
        self.shapes = parsed
        # what pyshacl reads: no prefixes (each report would copy them) in the faster
        # context-free store; shapes harvested once and reused by every run
        lean = rdflib.Graph(store="SimpleMemory", bind_namespaces="none")
        for triple in parsed:
            lean.add(triple)
        try:
            self._engine = _Engine(lean)
        except Exception as e:  # pyshacl's ShapeLoadError, ConstraintLoadError, re.error...
            raise ShapesError(f"the shapes are malformed: {e}") from e
        # triples no shape can see are not worth converting (about 1 in 8 of ours)
        self._reads = _predicates_read(parsed)
        # property shapes may be blank nodes; report the named shape that holds them
        self._owner: dict[rdflib.term.Node, str] = {
            prop: str(shape) for shape, prop in parsed.subject_objects(SH.property) if isinstance(shape, URIRef)
        }
        self._lock = threading.Lock()
        self._self_test()

    # a known-good batch must conform: catches shapes that load but reject what the converter writes
    def _self_test(self) -> None:
        try:
            reports = self.validate_many(_probes(self.iris), url_only={"PROBE.URL"})
        except Exception as e:
            raise ShapesError(f"the shapes cannot be used: {e}") from e
        failing = {name: str(r) for name, r in reports.items() if not r.conforms}
        if failing:
            raise ShapesError(f"the shapes reject known-good records: {failing}")

    def validate(self, igsn: str, triples: Sequence[Triple | Quad], *, url_only: bool = False) -> ValidationReport:
        """Validate the graph of one sample."""
        return self.validate_many({igsn: triples}, url_only={igsn} if url_only else frozenset())[igsn]

    def validate_many(
        self, graphs: Mapping[str, Sequence[Triple | Quad]], *, url_only: Set[str] = frozenset()
    ) -> dict[str, ValidationReport]:
        """Validate many samples in one pyshacl run; ``url_only`` IGSNs get the URL-only shapes."""
        if not graphs:
            return {}
        convert = _Converter()
        data = rdflib.Graph()  # pyshacl needs a context-aware store: the default Memory
        sample_of: dict[str, str] = {}
        quads: list[tuple[rdflib.term.Node, rdflib.term.Node, rdflib.term.Node, rdflib.Graph]] = []
        for igsn, triples in graphs.items():
            subject = self.iris.sample(igsn).value
            sample_of[subject] = igsn
            quads.append((URIRef(subject), RDFLIB_RDF.type, _URL_ONLY if igsn in url_only else _FULL, data))
            reads = self._reads
            quads.extend(
                (convert(t.subject), convert(t.predicate), convert(t.object), data)
                for t in triples if reads is None or t.predicate in reads
            )
        data.addN(quads)
        with self._lock:
            conforms, results = self._engine.run(data)
        found: dict[str, list[Violation]] = {igsn: [] for igsn in graphs}
        # warnings and infos leave pyshacl's verdict True but are still reported
        if not conforms or (None, SH.result, None) in results:
            for violation in self._violations(results):
                igsn = sample_of.get(violation.focus_node.split("#", 1)[0]) or _owner_of(
                    violation.focus_node, graphs)
                if igsn is not None:
                    found[igsn].append(violation)
        return {
            igsn: ValidationReport(
                conforms=not any(v.severity == "Violation" for v in vs),
                violations=tuple(sorted(vs, key=_order)),
            )
            for igsn, vs in found.items()
        }

    def _violations(self, results: rdflib.Graph) -> Iterable[Violation]:
        for result in results.objects(None, SH.result):
            get = lambda p: results.value(result, p)  # noqa: E731
            focus, path, value, shape = get(SH.focusNode), get(SH.resultPath), get(SH.value), get(SH.sourceShape)
            messages = list(results.objects(result, SH.resultMessage))
            severity = get(SH.resultSeverity)
            yield Violation(
                focus_node=str(focus),
                path=str(path) if isinstance(path, URIRef) else None,
                value=None if value is None else str(value),
                message=str(messages[0]) if messages else "Does not conform.",
                severity=str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation",
                source_shape=self._owner.get(shape, None if isinstance(shape, BNode) else str(shape)),
            )


class _Engine:
    """One pyshacl set-up: SHACL Core, no inference, shapes harvested once.

    ``pyshacl.validate()`` rebuilds its view of the shapes on every call (≈3 ms for ours); a
    ``pyshacl.Validator`` whose ``shacl_graph`` is the one built here skips that. Should a pyshacl
    release move these internals, ``run`` falls back to the public ``validate()``.
    """

    _OPTIONS = {"inference": "none", "inplace": True, "advanced": False, "abort_on_first": False,
                "allow_infos": True, "allow_warnings": True}

    def __init__(self, shapes: rdflib.Graph) -> None:
        self.shapes = shapes
        try:
            from pyshacl.constraints import CONSTRAINT_PARAMETERS_MAP
            from pyshacl.graph_abstraction import DataGraph
            from pyshacl.monkey import apply_patches

            apply_patches()  # what validate() applies on each call
            prepared = pyshacl.ShapesGraph(shapes)
            # harvest the shapes and build each constraint once now, so that a malformed one
            # (sh:minCount "x", a bad sh:pattern...) fails here rather than in some validation
            for shape in prepared.shapes:
                for parameter, _ in shapes.predicate_objects(shape.node):
                    if parameter in CONSTRAINT_PARAMETERS_MAP:
                        CONSTRAINT_PARAMETERS_MAP[parameter](shape)
            self._data_graph = DataGraph.from_rdflib
            self._prepared: pyshacl.ShapesGraph | None = prepared
        except ImportError:  # pragma: no cover - other pyshacl releases
            self._prepared = None

    def run(self, data: rdflib.Graph) -> tuple[bool, rdflib.Graph]:
        if self._prepared is not None:
            validator = pyshacl.Validator(self._data_graph(data), shacl_graph=self.shapes, options=dict(self._OPTIONS))
            validator.shacl_graph = self._prepared
            conforms, report, _ = validator.run()
        else:  # pragma: no cover
            conforms, report, _ = pyshacl.validate(data, shacl_graph=self.shapes, inference=None, inplace=True,
                                                   allow_infos=True, allow_warnings=True)
        return bool(conforms), report


def _order(v: Violation) -> tuple[str, str, str]:
    return (v.focus_node, v.path or "", v.message)


def _owner_of(focus: str, graphs: Mapping[str, Sequence[Triple | Quad]]) -> str | None:
    """The sample whose triples mention ``focus`` as a subject (foreign subjects are rare)."""
    for igsn, triples in graphs.items():
        if any(t.subject.value == focus for t in triples):
            return igsn
    return None


def _probes(iris: Iris) -> dict[str, list[Triple]]:
    """A known-good sample, feature, collection and URL-only IGSN that between them reach every shape."""
    registrant = Agent("Probe Institute", Identifier("03qn8fb07", "ROR"), kind="Organization")
    sample = SampleRecord(
        igsn="PROBE.SAMPLE", name="probe", registrant=registrant,
        alternate_identifiers=[Identifier("probe-1", "local")],
        collectors=[Agent("A. Person", affiliation=registrant, kind="Person")],
        contributors=[Contributor(Agent("B. Person"), "DataCurator")],
        curations=[Curation("C. Person", "2020-05", institution=registrant)],
        geometries=[Geometry("POINT (147.3 -42.9)", "http://www.opengis.net/ont/sf#Point")],
        materials=["http://vocabulary.odm2.org/medium/rock"],
        resource_types=["http://vocabulary.odm2.org/specimentype/core/"],
        collection_method="http://pid.geoscience.gov.au/def/voc/ga/igsn/method/Corer",
        collection_time=TimeSpan(start="2020", end="2020-05-17T10:00:00Z"),
        relations=[Relation("10.1234/x", "DOI", "IsCitedBy")],
        embargo_end="2030-01-01", log=[LogEvent("registered", "2020-06-01T00:00:00Z")],
    )
    feature = SampleRecord(igsn="PROBE.FEATURE", kind="Feature", registrant=registrant,
                           resource_types=["http://vocabulary.odm2.org/samplingfeaturetype/borehole"])
    collection = SampleRecord(igsn="PROBE.COLLECTION", kind="Collection", registrant=registrant)
    facts = RegistryFacts("PROBE.URL", "probe", "PROBE", "2024-01-01T00:00:00Z", landing_url="https://probe.invalid/x")
    probes = {r.igsn: record_triples(r, iris) for r in (sample, feature, collection)}
    probes[facts.igsn] = facts_triples(facts, iris)
    return probes
