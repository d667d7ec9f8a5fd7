"""Prints how many samples per second each SHACL engine validates, on the same corpus, in batches (issue 16).

    .venv/bin/python bench/validate.py [N] [BATCH] [--engines compiled,sparql,pyshacl,...]

Corpus: N records of the demo generator (samples, features, collections with parents, relations, agents,
geometries, dates), each with its registry facts as the registry validates it; every 10th is broken by one
of the defects of tests/test_validation.py in turn. Engines, all on the shapes of shapes/ and behind the
same ``Validator.validate_many`` (types added, results split per sample):

- ``compiled``: the shapes compiled to Python checks over the pyoxigraph triples (the default engine)
- ``sparql``: the same compiled rules as SPARQL SELECTs over a pyoxigraph in-memory ``Store`` of the batch
- ``pyshacl``: pyshacl over an rdflib graph built term by term (the reference engine, the route before)
- ``pyshacl-nt``: pyshacl over an rdflib graph parsed from the batch's N-Triples text
- ``pyshacl-oxrdflib``: pyshacl over rdflib with oxrdflib's pyoxigraph store (when oxrdflib is installed);
  so slow (a batch of 1,000 did not end in 10 minutes) that it runs on the first ``--slow-n`` records only,
  in batches of 100, and rdflib tells its xsd:string literals from the shapes' plain ones (sh:in fails)
- ``pyrudof``: the Rust SHACL engine of pyrudof on the batch's N-Triples (when pyrudof is installed)

"differ" counts the samples whose violations (focus node, path, constraint component, severity) are not
pyshacl's. Figures are for one machine under its load of the moment; compare the engines of one run.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout, installed or not

import pyoxigraph as ox
from pyoxigraph import NamedNode, Quad, Triple

from igsn_graph.demo import generate_samples
from igsn_graph.formats.graph import facts_triples, record_triples
from igsn_graph.iris import Iris
from igsn_graph.record import RegistryFacts
from igsn_graph.resources import shapes_dir
from igsn_graph.validation import PyshaclEngine, ValidationReport, Validator, Violation
from igsn_graph.validation_shapes import SH, Rule, Target, compile_shapes
from testkit.validation_cases import DEFECTS  # the invalid cases: one list for the tests and this corpus

if TYPE_CHECKING:
    import rdflib

RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
ENGINES = ("compiled", "sparql", "pyshacl", "pyshacl-nt", "pyshacl-oxrdflib", "pyrudof")
#: engines run on the first records only (see above)
SLOW = {"pyshacl-oxrdflib": 100}
Graphs = Mapping[str, Sequence[Triple | Quad]]


def corpus(n: int, iris: Iris) -> dict[str, list[Triple]]:
    """``n`` demo registrations as the registry validates them; every 10th with a defect of test_validation."""
    defects: list[Any] = [DEFECTS[name][0] for name in sorted(DEFECTS)]  # the tests' table mixes value types
    out: dict[str, list[Triple]] = {}
    for i, demo in enumerate(generate_samples(n)):
        record = demo.record
        if i % 10 == 9:
            changes: dict[str, Any] = dict(defects[(i // 10) % len(defects)])
            if "igsn" in changes:
                changes["igsn"] = record.igsn.lower()
            record = dataclasses.replace(record, **changes)
        facts = RegistryFacts(
            record.igsn,
            demo.client.split(".")[0],
            record.igsn[:3],
            "2026-01-02T03:04:05Z",
            client=demo.client,
            landing_url=demo.landing_url,
            has_metadata=True,
        )
        out[record.igsn] = record_triples(record, iris) + facts_triples(facts, iris)
    return out


def all_triples(graphs: Graphs, types: Iterable[tuple[NamedNode, NamedNode]]) -> list[Triple | Quad]:
    out: list[Triple | Quad] = [Triple(s, RDF_TYPE, c) for s, c in types]
    for triples in graphs.values():
        out.extend(triples)
    return out


# --- the engines measured beside ours ------------------------------------------------------------


class NTriplesPyshacl(PyshaclEngine):
    """pyshacl over an rdflib graph parsed from N-Triples that pyoxigraph writes (no term-by-term conversion)."""

    def run(self, graphs: Graphs, types: Iterable[tuple[NamedNode, NamedNode]] = ()) -> list[Violation]:
        import rdflib

        reads = self._reads
        triples = [t for t in all_triples(graphs, types) if reads is None or t.predicate in reads]
        data = rdflib.Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
        return self._report(data)

    def _report(self, data: rdflib.Graph) -> list[Violation]:
        from rdflib.namespace import SH as RDFLIB_SH

        with self._lock:
            conforms, results = self._validate(data)
        if conforms and (None, RDFLIB_SH.result, None) not in results:
            return []
        return list(self._violations(results))


class OxrdflibPyshacl(NTriplesPyshacl):
    """pyshacl over rdflib with oxrdflib's store: the batch is parsed by pyoxigraph into its in-memory store."""

    def run(self, graphs: Graphs, types: Iterable[tuple[NamedNode, NamedNode]] = ()) -> list[Violation]:
        import rdflib

        data = rdflib.Graph(store="Oxigraph")
        data.parse(data=ox.serialize(all_triples(graphs, types), format=ox.RdfFormat.N_TRIPLES), format="ox-nt")
        return self._report(data)


class Pyrudof:
    """pyrudof's native SHACL engine (Rust) on the batch as N-Triples text."""

    def __init__(self) -> None:
        import pyrudof

        self.pyrudof = pyrudof
        self.rudof = pyrudof.Rudof(pyrudof.RudofConfig())
        self.shapes = "\n".join(p.read_text(encoding="utf-8") for p in sorted(shapes_dir().glob("*.ttl")))

    def run(self, graphs: Graphs, types: Iterable[tuple[NamedNode, NamedNode]] = ()) -> list[Violation]:
        rudof, pyrudof = self.rudof, self.pyrudof
        text = ox.serialize(all_triples(graphs, types), format=ox.RdfFormat.N_TRIPLES).decode()
        rudof.reset_data()  # which also drops the shapes: read again (about 20 ms)
        rudof.reset_validation_results()
        rudof.read_data(text, format=pyrudof.RDFFormat.NTriples)
        rudof.read_shacl(self.shapes)
        report = rudof.validate_shacl(pyrudof.ShaclValidationMode.Native)
        entries = report.violations() if callable(report.violations) else report.violations
        return [
            Violation(
                focus_node=_plain(e.focus_node),
                path=_plain(e.path) or None,
                value=_plain(e.value) or None,
                message=_plain(e.message),
                severity=_plain(e.severity),
                source_shape=_plain(e.source_shape) or None,
                constraint=_plain(e.constraint_component),
            )
            for e in entries
        ]


def _plain(text: object) -> str:
    """pyrudof's text of a term or message: <iri> and "literal" without their marks."""
    s = "" if text is None else str(text)
    if s.startswith("<") and s.endswith(">"):
        return s[1:-1]
    if s.startswith('"'):
        return s[1 : s.rfind('"')]
    return s


class Sparql:
    """The compiled rules as SPARQL over a pyoxigraph in-memory Store of the batch: one or two SELECTs a rule."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = rules
        self.wanted = {RDF_TYPE, NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")}
        self.queries: list[tuple[Rule, str | None, str | None]] = []
        for rule in rules:
            self.wanted.add(rule.path)
            self.wanted.update(rule.target.subjects_of, rule.target.objects_of)
            self.queries.append((rule, _counts(rule), _values(rule)))

    def run(self, graphs: Graphs, types: Iterable[tuple[NamedNode, NamedNode]] = ()) -> list[Violation]:
        store = ox.Store()
        wanted = self.wanted
        store.extend(
            [Quad(t.subject, t.predicate, t.object) for t in all_triples(graphs, types) if t.predicate in wanted]
        )
        out = []
        for rule, counts, values in self.queries:
            if counts:
                for row in store.query(counts):
                    n = int(row["n"].value)
                    for component, bad in (
                        ("MinCount", rule.min_count is not None and n < rule.min_count),
                        ("MaxCount", rule.max_count is not None and n > rule.max_count),
                    ):
                        if bad:
                            out.append(_violation(rule, row["focus"], None, component + "ConstraintComponent"))
            if values:
                for row in store.query(values):
                    out.append(_violation(rule, row["focus"], row["v"], row["c"].value))
        return out


def _violation(rule: Rule, focus: ox.NamedNode, value: object, component: str) -> Violation:
    return Violation(
        focus_node=focus.value,
        path=rule.path.value,
        value=None if value is None else value.value,
        message=rule.message or component,
        severity=rule.severity,
        source_shape=rule.shape,
        constraint=SH + component,
    )


def _focus(target: Target) -> str:
    branches = []
    if target.classes:
        classes = " ".join(str(c) for c in target.classes)
        branches.append(
            f"{{ ?focus a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* ?class . VALUES ?class {{ {classes} }} }}"
        )
    branches += [f"{{ ?focus {p} ?o }}" for p in target.subjects_of]
    branches += [f"{{ ?s {p} ?focus }}" for p in target.objects_of]
    if target.nodes:
        branches.append(f"{{ VALUES ?focus {{ {' '.join(str(n) for n in target.nodes)} }} }}")
    return "{ SELECT DISTINCT ?focus WHERE { " + " UNION ".join(branches) + " } }"


def _counts(rule: Rule) -> str | None:
    tests = ([f"?n < {rule.min_count}"] if rule.min_count else []) + (
        [f"?n > {rule.max_count}"] if rule.max_count is not None else []
    )
    if not tests:
        return None
    return (
        f"SELECT ?focus ?n WHERE {{ {{ SELECT ?focus (COUNT(DISTINCT ?v) AS ?n) WHERE {{ {_focus(rule.target)} "
        f"OPTIONAL {{ ?focus {rule.path} ?v }} }} GROUP BY ?focus }} FILTER({' || '.join(tests)}) }}"
    )


def _values(rule: Rule) -> str | None:
    """One UNION branch per value constraint: the values that do not pass it."""
    conditions = []
    if rule.datatype:
        conditions.append(
            (
                "Datatype",
                {
                    "http://www.w3.org/2000/01/rdf-schema#Literal": "isLiteral(?v)",
                    "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString": 'lang(?v) != ""',
                }.get(rule.datatype, f"isLiteral(?v) && datatype(?v) = <{rule.datatype}>"),
            )
        )
    if rule.node_kind:
        kinds = {"IRI": "isIRI(?v)", "BlankNode": "isBlank(?v)", "Literal": "isLiteral(?v)"}
        wanted = [k for k in kinds if k in rule.node_kind[len(SH) :]]
        conditions.append(("NodeKind", " || ".join(kinds[k] for k in wanted)))
    if rule.allowed is not None:
        conditions.append(("In", " || ".join(f"sameTerm(?v, {t})" for t in rule.allowed) or "false"))
    for pattern in rule.patterns:
        flags = ("i" if pattern.flags & 2 else "") + ("m" if pattern.flags & 8 else "")
        conditions.append(("Pattern", f'!isBlank(?v) && REGEX(STR(?v), {ox.Literal(pattern.pattern)}, "{flags}")'))
    if rule.min_length:
        conditions.append(("MinLength", f"!isBlank(?v) && STRLEN(STR(?v)) >= {rule.min_length}"))
    if rule.max_length is not None:
        conditions.append(("MaxLength", f"!isBlank(?v) && STRLEN(STR(?v)) <= {rule.max_length}"))
    operators = {"MinInclusive": ">=", "MaxInclusive": "<=", "MinExclusive": ">", "MaxExclusive": "<"}
    for component, bound in rule.bounds:
        name = component.removesuffix("ConstraintComponent")
        conditions.append((name, f"isLiteral(?v) && ?v {operators[name]} {bound}"))
    if not conditions:
        return None
    branches = [
        f'{{ ?focus {rule.path} ?v . FILTER(!COALESCE({test}, false)) BIND("{name}ConstraintComponent" AS ?c) }}'
        for name, test in conditions
    ]
    return f"SELECT ?focus ?v ?c WHERE {{ {_focus(rule.target)} {' UNION '.join(branches)} }}"


def make(name: str, iris: Iris) -> Validator:
    """A Validator whose engine is ``name`` (those not in the product replace its engine after the start)."""
    if name in ("compiled", "pyshacl"):
        return Validator(iris, engine=name)
    validator = Validator(iris, engine="compiled")
    if name == "sparql":
        validator._engine = Sparql(compile_shapes(validator.shapes))
    elif name == "pyshacl-nt":
        validator._engine = NTriplesPyshacl(validator.shapes)
    elif name == "pyshacl-oxrdflib":
        import oxrdflib  # noqa: F401 - registers the "Oxigraph" store

        validator._engine = OxrdflibPyshacl(validator.shapes)
    elif name == "pyrudof":
        validator._engine = Pyrudof()
    else:
        raise SystemExit(f"unknown engine {name}: choose among {', '.join(ENGINES)}")
    return validator


def signature(report: ValidationReport) -> Counter[tuple[str, str, str, str]]:
    return Counter((v.focus_node, v.path or "", v.constraint or "", v.severity) for v in report.violations)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, nargs="?", default=10_000)
    parser.add_argument("batch", type=int, nargs="?", default=1000)
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated, from: " + ", ".join(ENGINES))
    parser.add_argument("--slow-n", type=int, default=200, help="records for " + ", ".join(SLOW))
    args = parser.parse_args()
    n, batch = args.n, args.batch
    iris = Iris()

    t0 = time.perf_counter()
    graphs = corpus(n, iris)
    t1 = time.perf_counter()
    triples = sum(len(g) for g in graphs.values())
    print(
        f"corpus: {n:,} demo records ({n // 10:,} with a defect of tests/test_validation.py), "
        f"{triples / n:.0f} triples each with their registry facts; generate + convert {n / (t1 - t0):,.0f}/s"
    )
    names = list(graphs)
    chunks = [{name: graphs[name] for name in names[i : i + batch]} for i in range(0, n, batch)]

    results: dict[str, dict[str, ValidationReport]] = {}
    print(
        f"{'engine':<18}{'start ms':>9}{'samples/s':>11}{'ms/batch':>10}{'invalid':>9}{'differ':>8}  "
        f"(batches of {batch:,}; differ: samples whose violations are not pyshacl's)"
    )
    for name in [e.strip() for e in args.engines.split(",") if e.strip()]:
        s = time.perf_counter()
        try:
            validator = make(name, iris)
        except ImportError as e:
            print(f"{name:<18} not installed ({e.name})")
            continue
        started = time.perf_counter() - s
        reports: dict[str, ValidationReport] = {}
        todo, note = chunks, ""
        if name in SLOW:
            size = SLOW[name]
            todo = [{k: graphs[k] for k in names[i : i + size]} for i in range(0, min(n, args.slow_n), size)]
            note = f"  first {min(n, args.slow_n):,} records, batches of {size}"
        s = time.perf_counter()
        for chunk in todo:
            reports.update(validator.validate_many(chunk))
        elapsed = time.perf_counter() - s
        results[name] = reports
        invalid = sum(not r.conforms for r in reports.values())
        reference = results.get("pyshacl")
        differ = (
            "" if reference is None else str(sum(signature(r) != signature(reference[k]) for k, r in reports.items()))
        )
        print(
            f"{name:<18}{1000 * started:>9,.0f}{len(reports) / elapsed:>11,.0f}"
            f"{1000 * elapsed / len(todo):>10,.0f}{invalid:>9,}{differ:>8}{note}",
            flush=True,
        )
    if "pyshacl" in results:  # engines measured before pyshacl are compared now
        for name, reports in results.items():
            differ = sum(signature(r) != signature(results["pyshacl"][k]) for k, r in reports.items())
            print(f"  {name}: {differ} samples differ from pyshacl")
    if "compiled" in results:
        validator = Validator(iris)
        singles = names[: min(n, 1000)]
        timings = []
        for name in singles:
            s = time.perf_counter()
            validator.validate(name, graphs[name])
            timings.append(time.perf_counter() - s)
        print(
            f"compiled, one by one: {1 / statistics.fmean(timings):,.0f} samples/s "
            f"({1000 * statistics.median(timings):.2f} ms median, over {len(singles):,})"
        )


if __name__ == "__main__":
    main()
