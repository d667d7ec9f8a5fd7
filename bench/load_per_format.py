"""``bench/load.py --per-format N``: the demo generator's first N records in every format the readers take, one
document per record, each format loaded into a fresh registry as `igsn-graph load` does: a table of records/s
read only (the reader, without the registry, so a slow reader shows) and read + load."""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import RdfFormat

from igsn_graph.demo import DemoSample, generate_samples
from igsn_graph.demo_load import load_demo_accounts
from igsn_graph.errors import IgsnGraphError
from igsn_graph.formats import ardc, csiro, datacite, description_kernel, registration_kernel
from igsn_graph.formats import graph as graphmap
from igsn_graph.formats.kernels import XML_FORMATS
from igsn_graph.loader import read_input
from igsn_graph.registry.service import Registry, Submission, init_data_dir
from igsn_graph.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout: ``python bench/load.py``
    sys.path.insert(0, str(ROOT))

from bench.load_documents import IRIS, csiro_v2_document, described, descriptive_document, rdf_document, xml_document
from bench.load_json_documents import agn_json_document, igsn_json_document


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass(frozen=True)
class InputFormat:
    """One input format of the readers: how its documents are made from a demo sample, and how they are read."""

    name: str
    #: the RDF media type ``read_input`` is given (JSON is IGSN-JSON, AGN JSON or JSON-LD by content); None: XML
    media_type: str | None
    write: Callable[[DemoSample], bytes]
    #: "writer" (the project's) or "template" (synthesised here)
    made_by: str


def input_formats() -> list[InputFormat]:
    """Every input format a document can be made in, in the table's order."""
    formats = [
        InputFormat(
            "igsn (registration kernel 1.0)",
            None,
            lambda s: xml_document(registration_kernel.write(described(s))),
            "writer",
        ),
        InputFormat(
            "igsn_desc (description kernel 1.1)",
            None,
            lambda s: xml_document(description_kernel.write(described(s))),
            "writer",
        ),
        InputFormat(
            "datacite (kernel-4)",
            None,
            lambda s: xml_document(datacite.write(described(s), iri_base=IRIS.base)),
            "writer",
        ),
    ]
    if "oai_dc" in XML_FORMATS:
        from igsn_graph.formats import oai_dc

        formats.append(
            InputFormat(
                "oai_dc (Dublin Core)",
                None,
                lambda s: xml_document(oai_dc.write(described(s), iri_base=IRIS.base)),
                "writer",
            )
        )
    formats += [
        InputFormat("Turtle (formats.graph)", "text/turtle", lambda s: rdf_document(s, RdfFormat.TURTLE), "writer"),
        InputFormat(
            "JSON-LD (formats.graph)", "application/ld+json", lambda s: rdf_document(s, RdfFormat.JSON_LD), "writer"
        ),
        InputFormat(
            "csirov3 (CSIRO v3)", None, lambda s: descriptive_document(s, ns=csiro.NS, ardc_form=False), "template"
        ),
        InputFormat(
            "ardc (ARDC descriptive 1.0)",
            None,
            lambda s: descriptive_document(s, ns=ardc.NS, ardc_form=True),
            "template",
        ),
        InputFormat("csirov2 (CSIRO v2)", None, csiro_v2_document, "template"),
        InputFormat("igsn_json (IGSN-JSON v0.1)", "application/ld+json", igsn_json_document, "template"),
        InputFormat("agn_json (AusGeochem)", "application/ld+json", agn_json_document, "template"),
    ]
    return formats


@dataclass
class FormatResult:
    name: str
    made_by: str
    records: int
    read_rate: float
    load_rate: float
    stored: int
    invalid: int
    warned: int
    #: description triples per record read (what the format carries: the work validation and storage do)
    triples: float
    first_problem: str | None


def _read_all(documents: list[bytes], media_type: str | None) -> Iterator[Submission]:
    """The submissions of every document, as `igsn-graph load` reads a file (one that cannot be read is
    skipped, as the CLI reports and skips it)."""
    for data in documents:
        try:
            yield from read_input(data, media_type).submissions
        except IgsnGraphError:
            continue


def bench_format(fmt: InputFormat, samples: list[DemoSample], batch: int, tmp: Path) -> FormatResult:
    documents = [fmt.write(s) for s in samples]
    problem: str | None = None
    # read only: the reader, without the registry
    start = time.perf_counter()
    read = 0
    for data in documents:
        try:
            read += len(read_input(data, fmt.media_type).submissions)
        except IgsnGraphError as exc:
            problem = problem or f"unreadable: {exc.message}"
    read_rate = read / max(time.perf_counter() - start, 1e-9)
    some = [sub.record for sub in _read_all(documents[:200], fmt.media_type)]
    triples = sum(len(graphmap.record_triples(r, IRIS)) for r in some) / max(len(some), 1)
    # read + load into a fresh registry, as igsn-graph load does
    settings = Settings(data_dir=tmp / "data", batch_size=batch)
    init_data_dir(settings)
    stored = invalid = warned = 0
    with Registry(settings) as registry:
        load_demo_accounts(registry)
        start = time.perf_counter()
        for outcomes in registry.load_records(_read_all(documents, fmt.media_type)):
            for o in outcomes:
                stored += o.ok
                invalid += not o.ok
                warned += bool(o.ok and o.warnings)
                if problem is None and not o.ok:
                    problem = f"{o.igsn}: {'; '.join(o.reasons)[:300]}"
                elif problem is None and o.warnings:
                    problem = f"{o.igsn}: warning: {o.warnings[0][:300]}"
        load_rate = (stored + invalid) / max(time.perf_counter() - start, 1e-9)
    return FormatResult(
        fmt.name, fmt.made_by, len(documents), read_rate, load_rate, stored, invalid, warned, triples, problem
    )


def per_format(n: int, batch: int, only: set[str] | None) -> None:
    samples = list(generate_samples(n, seed=7))
    formats = [f for f in input_formats() if only is None or f.name.split()[0] in only]
    results = []
    for fmt in formats:
        with tempfile.TemporaryDirectory() as tmp:
            result = bench_format(fmt, samples, batch, Path(tmp))
        results.append(result)
        print(
            f"  {result.name}: read {result.read_rate:,.0f}/s, read + load {result.load_rate:,.0f}/s", file=sys.stderr
        )
    print(f"\n{n:,} demo records per format, one document each, batches of {batch}; records/s:\n")
    print(
        "| input format | documents by | triples/record | read only | read + load | stored | invalid | with warnings |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r.name} | {r.made_by} | {r.triples:.0f} | {r.read_rate:,.0f} | {r.load_rate:,.0f} | {r.stored:,} "
            f"| {r.invalid:,} | {r.warned:,} |"
        )
    for r in results:
        if r.first_problem:
            print(f"\n{r.name}, first refusal or warning: {r.first_problem}")
    print(f"\npeak RSS {peak_rss_mib():,.0f} MiB")
