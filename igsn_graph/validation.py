"""Checks sample graphs against the SHACL shapes of shapes/ and reports the violations per sample.

The only module that imports pyshacl. Shapes are parsed and checked once, when a ``Validator`` is built:
a broken shapes file fails there, never during a validation. A batch is validated in one engine run and
the results are split per sample by focus node (the sample IRI, or a ``#fragment`` of it). Two engines
give the same results (tests/test_validation_engines.py), chosen by the setting ``validation_engine``:

- ``compiled``, the default: validation_shapes.py reads the shapes into rules (refusing, at start, any
  shape it cannot compile) and validation_compiled.py runs them over the pyoxigraph triples as they are;
- ``pyshacl``, the reference (``PyshaclEngine`` below): any SHACL Core shape, but it needs an rdflib graph
  of each batch, and building it costs more than pyshacl's validation (issue 16).

bench/validate.py measures them side by side with pyrudof and SPARQL over pyoxigraph.

The shapes describe the graph as it is served (they target the classes of a description and the
subjects of the registry facts), so anyone can run pyshacl with shapes/ on a sample's Turtle. The
validator adds one triple per IGSN, typing it ``igsh:FullRegistration`` or ``igsh:UrlOnlyRegistration``:
a submission that lacks even its type is then still checked in full, and a URL-only one against the
rules of an IGSN minted without metadata (its landing page).

A record that does not conform is a result, not an exception: refusing it is the registry's call.
"""

from __future__ import annotations

import threading
from collections.abc import Set
from pathlib import Path
from typing import Any, Iterable, Mapping, Protocol, Sequence, Union

import rdflib
from pyoxigraph import BlankNode, Literal, NamedNode, Quad, Triple
from rdflib import BNode, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.namespace import RDF as RDFLIB_RDF
from rdflib.namespace import SH

from .formats.graph import facts_triples, record_triples
from .iris import Iris
from .record import (
    Agent,
    Contributor,
    Curation,
    Geometry,
    Identifier,
    LogEvent,
    RegistryFacts,
    Relation,
    SampleRecord,
    TimeSpan,
)
from .resources import shapes_dir
from .validation_compiled import CompiledEngine
from .validation_report import ValidationReport, Violation, with_elements
from .validation_shapes import ShapesError, compile_shapes
from .vocab import RDF_TYPE

__all__ = ["Validator", "ValidationReport", "Violation", "ShapesError", "with_elements", "SHAPES_NS", "ENGINES"]

#: the namespace of our shapes and of the two classes the validator adds to what the shapes target
SHAPES_NS = "https://w3id.org/igsn-graph/shapes#"
_FULL = NamedNode(SHAPES_NS + "FullRegistration")
_URL_ONLY = NamedNode(SHAPES_NS + "UrlOnlyRegistration")
_DRAFT = NamedNode(SHAPES_NS + "DraftRegistration")
#: the validation engines, the default first
ENGINES = ("compiled", "pyshacl")
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


# --- the reference engine: pyshacl over rdflib -------------------------------------------------


class _Converter:
    """pyoxigraph terms to rdflib terms, directly (no text round trip), each distinct term once."""

    def __init__(self) -> None:
        self._done: dict[object, rdflib.term.Node] = {}

    def __call__(self, term: Union[NamedNode, Literal, BlankNode, Triple]) -> rdflib.term.Node:
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
            raise TypeError(f"not an RDF term pyshacl reads: {term!r}")
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

    for p in (
        SH.path,
        SH.equals,
        SH.disjoint,
        SH.lessThan,
        SH.lessThanOrEquals,
        SH.targetSubjectsOf,
        SH.targetObjectsOf,
    ):
        for o in shapes.objects(None, p):
            collect(o)
    return frozenset(NamedNode(n) for n in names)


class PyshaclEngine:
    """The reference engine: one pyshacl set-up for the shapes, SHACL Core, no inference, shapes harvested once.

    A batch is one rdflib graph and one pyshacl call: pyshacl's cost is mostly per shape and per call.

    ``pyshacl.validate()`` rebuilds its view of the shapes on every call (≈3 ms for ours); a
    ``pyshacl.Validator`` whose ``shacl_graph`` is the one built here skips that. Should a pyshacl
    release move these internals, ``run`` falls back to the public ``validate()``.
    """

    _OPTIONS = {
        "inference": "none",
        "inplace": True,
        "advanced": False,
        "abort_on_first": False,
        "allow_infos": True,
        "allow_warnings": True,
    }

    def __init__(self, parsed: rdflib.Graph) -> None:
        # what pyshacl reads: no prefixes (each report would copy them) in the faster
        # context-free store; shapes harvested once and reused by every run
        shapes = rdflib.Graph(store="SimpleMemory", bind_namespaces="none")
        for triple in parsed:
            shapes.add(triple)
        self.shapes = shapes
        import pyshacl  # here, not at the top: the compiled engine never loads it

        self._pyshacl = pyshacl
        try:
            from pyshacl.constraints import CONSTRAINT_PARAMETERS_MAP
            from pyshacl.graph_abstraction import DataGraph
            from pyshacl.monkey import apply_patches

            apply_patches()  # type: ignore[no-untyped-call]  # what validate() applies on each call
            prepared = pyshacl.ShapesGraph(shapes)
            # harvest the shapes and build each constraint once now, so that a malformed one
            # (sh:minCount "x", a bad sh:pattern...) fails here rather than in some validation
            for shape in prepared.shapes:
                for parameter, _ in shapes.predicate_objects(shape.node):
                    if parameter in CONSTRAINT_PARAMETERS_MAP:
                        CONSTRAINT_PARAMETERS_MAP[parameter](shape)
            self._data_graph = DataGraph.from_rdflib
            self._prepared: Any = prepared
        except ImportError:  # pragma: no cover - other pyshacl releases
            self._prepared = None
        # triples no shape can see are not worth converting (about 1 in 8 of ours)
        self._reads = _predicates_read(parsed)
        # property shapes may be blank nodes; report the named shape that holds them
        self._owner: dict[rdflib.term.Node, str] = {
            prop: str(shape) for shape, prop in parsed.subject_objects(SH.property) if isinstance(shape, URIRef)
        }
        self._lock = threading.Lock()  # a pyshacl.ShapesGraph is not safe to share between threads

    def run(
        self, graphs: Mapping[str, Sequence[Triple | Quad]], types: Iterable[tuple[NamedNode, NamedNode]] = ()
    ) -> list[Violation]:
        """The results of the shapes over the union of ``graphs`` plus the ``types`` (subject, class) given."""
        convert = _Converter()
        data = rdflib.Graph()  # pyshacl needs a context-aware store: the default Memory
        quads: list[tuple[rdflib.term.Node, rdflib.term.Node, rdflib.term.Node, rdflib.Graph]] = [
            (convert(s), RDFLIB_RDF.type, convert(c), data) for s, c in types
        ]
        reads = self._reads
        for triples in graphs.values():
            quads.extend(
                (convert(t.subject), convert(t.predicate), convert(t.object), data)
                for t in triples
                if reads is None or t.predicate in reads
            )
        data.addN(quads)
        with self._lock:
            conforms, results = self._validate(data)
        # warnings and infos leave pyshacl's verdict True but are still reported
        if conforms and (None, SH.result, None) not in results:
            return []
        return list(self._violations(results))

    def _validate(self, data: rdflib.Graph) -> tuple[bool, rdflib.Graph]:
        if self._prepared is not None:
            validator = self._pyshacl.Validator(
                self._data_graph(data), shacl_graph=self.shapes, options=dict(self._OPTIONS)
            )
            validator.shacl_graph = self._prepared
            conforms, report, _ = validator.run()  # type: ignore[no-untyped-call]  # pyshacl is untyped
        else:  # pragma: no cover
            conforms, report, _ = self._pyshacl.validate(
                data, shacl_graph=self.shapes, inference=None, inplace=True, allow_infos=True, allow_warnings=True
            )
        return bool(conforms), report

    def _source(self, shape: rdflib.term.Node | None) -> str | None:
        """The named shape a result came from (a blank property shape's named holder), else None."""
        if shape is None:
            return None
        return self._owner.get(shape, None if isinstance(shape, BNode) else str(shape))

    def _violations(self, results: rdflib.Graph) -> Iterable[Violation]:
        for result in results.objects(None, SH.result):
            focus, path, value, shape, severity, component = (
                results.value(result, p)
                for p in (
                    SH.focusNode,
                    SH.resultPath,
                    SH.value,
                    SH.sourceShape,
                    SH.resultSeverity,
                    SH.sourceConstraintComponent,
                )
            )
            messages = list(results.objects(result, SH.resultMessage))
            yield Violation(
                focus_node=str(focus),
                path=str(path) if isinstance(path, URIRef) else None,
                value=None if value is None else str(value),
                message=str(messages[0]) if messages else "Does not conform.",
                severity=str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation",
                source_shape=self._source(shape),
                constraint=None if component is None else str(component),
            )


# --- the validator ----------------------------------------------------------------------------


class Validator:
    """The shapes of shapes/, loaded once; validates sample graphs one by one or as a batch.

    ``engine`` is one of ``ENGINES`` (the setting ``validation_engine``): ``compiled`` refuses, here,
    shapes it cannot compile (``ShapesError`` naming the shape), ``pyshacl`` runs any SHACL Core shape.
    """

    def __init__(self, iris: Iris | None = None, folder: Path | None = None, *, engine: str = ENGINES[0]) -> None:
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
        #: the engine's name, one of ``ENGINES``
        self.engine = engine
        self._engine = _engine(engine, parsed)
        self._self_test()

    # a known-good batch must conform: catches shapes that load but reject what the converter writes
    def _self_test(self) -> None:
        try:
            reports = self.validate_many(_probes(self.iris), url_only={"PROBE.URL"}, draft={"PROBE.DRAFT"})
        except Exception as e:
            raise ShapesError(f"the shapes cannot be used: {e}") from e
        failing = {name: str(r) for name, r in reports.items() if not r.conforms}
        if failing:
            raise ShapesError(f"the shapes reject known-good records: {failing}")

    def validate(
        self, igsn: str, triples: Sequence[Triple | Quad], *, url_only: bool = False, draft: bool = False
    ) -> ValidationReport:
        """Validate the graph of one sample."""
        return self.validate_many(
            {igsn: triples},
            url_only={igsn} if url_only else frozenset(),
            draft={igsn} if draft else frozenset(),
        )[igsn]

    def validate_many(
        self,
        graphs: Mapping[str, Sequence[Triple | Quad]],
        *,
        url_only: Set[str] = frozenset(),
        draft: Set[str] = frozenset(),
    ) -> dict[str, ValidationReport]:
        """Validate many samples in one engine run; ``url_only`` IGSNs get the URL-only shapes, ``draft`` ones the
        relaxed shapes of a reserved IGSN (shapes/draft.ttl: their description's classes are left out)."""
        if not graphs:
            return {}
        sample_of: dict[str, str] = {}
        types: list[tuple[NamedNode, NamedNode]] = []
        if draft:
            graphs = {
                igsn: _without_classes(self.iris.sample(igsn), g) if igsn in draft else g for igsn, g in graphs.items()
            }
        for igsn in graphs:
            subject = self.iris.sample(igsn)
            sample_of[subject.value] = igsn
            types.append((subject, _URL_ONLY if igsn in url_only else _DRAFT if igsn in draft else _FULL))
        found: dict[str, list[Violation]] = {igsn: [] for igsn in graphs}
        for violation in self._engine.run(graphs, types):
            owner = sample_of.get(violation.focus_node.split("#", 1)[0]) or _owner_of(violation.focus_node, graphs)
            if owner is not None:
                found[owner].append(violation)
        return {
            igsn: ValidationReport(
                conforms=not any(v.severity == "Violation" for v in vs),
                violations=tuple(sorted(vs, key=_order)),
            )
            for igsn, vs in found.items()
        }


def _without_classes(subject: NamedNode, triples: Sequence[Triple | Quad]) -> list[Triple | Quad]:
    """A draft's triples without the classes of its sample, which the rules requiring a value target."""
    return [t for t in triples if not (t.subject == subject and t.predicate == RDF_TYPE)]


def _engine(name: str, shapes: rdflib.Graph) -> _Engine:
    """The engine called ``name``, set up for ``shapes``; ``ShapesError`` when they cannot be used."""
    if name == "compiled":
        return CompiledEngine(compile_shapes(shapes))
    if name == "pyshacl":
        try:
            return PyshaclEngine(shapes)
        except Exception as e:  # pyshacl's ShapeLoadError, ConstraintLoadError, re.error...
            raise ShapesError(f"the shapes are malformed: {e}") from e
    raise ShapesError(f"unknown validation engine {name!r}: choose one of {', '.join(ENGINES)}")


class _Engine(Protocol):
    """What an engine does: the results of the shapes over a batch, plus the validator's type triples."""

    def run(
        self, graphs: Mapping[str, Sequence[Triple | Quad]], types: Iterable[tuple[NamedNode, NamedNode]] = ()
    ) -> list[Violation]: ...


def _order(v: Violation) -> tuple[str, str, str, str, str]:
    return (v.focus_node, v.path or "", v.message, v.constraint or "", v.value or "")


def _owner_of(focus: str, graphs: Mapping[str, Sequence[Triple | Quad]]) -> str | None:
    """The sample whose triples mention ``focus`` as a subject (foreign subjects are rare)."""
    for igsn, triples in graphs.items():
        if any(getattr(t.subject, "value", None) == focus for t in triples):
            return igsn
    return None


def _probes(iris: Iris) -> dict[str, list[Triple]]:
    """A known-good sample, feature, collection, URL-only IGSN and draft that between them reach every shape."""
    registrant = Agent("Probe Institute", Identifier("03qn8fb07", "ROR"), kind="Organization")
    sample = SampleRecord(
        igsn="PROBE.SAMPLE",
        name="probe",
        registrant=registrant,
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
        embargo_end="2030-01-01",
        log=[LogEvent("registered", "2020-06-01T00:00:00Z")],
    )
    feature = SampleRecord(
        igsn="PROBE.FEATURE",
        kind="Feature",
        registrant=registrant,
        resource_types=["http://vocabulary.odm2.org/samplingfeaturetype/borehole"],
    )
    collection = SampleRecord(igsn="PROBE.COLLECTION", kind="Collection", registrant=registrant)
    facts = RegistryFacts("PROBE.URL", "probe", "PROBE", "2024-01-01T00:00:00Z", landing_url="https://probe.invalid/x")
    probes = {r.igsn: record_triples(r, iris) for r in (sample, feature, collection)}
    probes[facts.igsn] = facts_triples(facts, iris)
    probes["PROBE.DRAFT"] = record_triples(SampleRecord(igsn="PROBE.DRAFT"), iris)  # no name, no registrant yet
    return probes
