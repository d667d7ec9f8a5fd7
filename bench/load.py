"""Import benchmark: synthetic samples loaded end to end, as description-kernel XML or per input format.

End to end = read (XML parse, or RDF/JSON parse) + mapping + SHACL validation + graph write + history +
catalogue index, through the same path as `igsn-graph load` (``loader.read_input``, then
``Registry.load_records`` as the administrator). The default mode prints samples/s, peak memory, and a
per-stage breakdown measured on a separate slice of the same records.

``--per-format N`` writes the demo generator's first N records in every format the readers take, one document per
record (as a folder of files given to `igsn-graph load`), and loads each format into a fresh registry: a table of
records/s read only (the reader, without the registry, so a slow reader shows) and read + load. Formats with a
writer use it (registration and description kernels, DataCite, Dublin Core, Turtle and JSON-LD from
``formats.graph``); the read-only formats (CSIRO v3, ARDC 1.0, CSIRO v2, IGSN-JSON, AGN JSON) are synthesised from
the same records by the templates of ``load_documents`` and ``load_json_documents`` (lxml and json, a crosswalk of
the fields each format has a place for, geometries in JSON as points or bounding boxes).

The default mode (``bench/load_scale.py``) loads N generated records at scale with `igsn-graph load`'s path and
prints samples/s, quads and disk per sample, and peak RSS beside raw pyoxigraph ``bulk_load`` of the same quads.
``--stages N`` times the stages (XML read, record to RDF, SHACL) of N records one at a time.

    python bench/load.py 10000 100000 [--batch 1000] [--docs DIR] [--readers N]
    python bench/load.py --stages 5000
    python bench/load.py --per-format 10000 [--formats igsn,csirov3] [--batch 1000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree

from igsn_graph.demo import generate_samples
from igsn_graph.demo_load import load_demo_accounts
from igsn_graph.formats import description_kernel
from igsn_graph.formats import graph as graphmap
from igsn_graph.formats.kernels import read_xml
from igsn_graph.registry.service import Registry, Submission, init_data_dir
from igsn_graph.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout: ``python bench/load.py``
    sys.path.insert(0, str(ROOT))

from bench.load_per_format import peak_rss_mib, per_format


# -- the default mode: description kernel, with a stage breakdown -----------------------------------
def description_kernel_load(n: int, batch: int) -> None:
    t0 = time.perf_counter()
    samples = list(generate_samples(n, seed=7))
    documents = [
        etree.tostring(description_kernel.write(s.record), encoding="utf-8", xml_declaration=True) for s in samples
    ]
    urls = [s.landing_url for s in samples]
    del samples
    print(
        f"prepared {len(documents)} description-kernel documents in {time.perf_counter() - t0:.1f} s "
        f"(not measured below)"
    )

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", batch_size=batch)
        init_data_dir(settings)
        with Registry(settings) as registry:
            load_demo_accounts(registry)
            start = time.perf_counter()

            def submissions():  # type: ignore[no-untyped-def]
                for data, url in zip(documents, urls, strict=False):
                    doc = read_xml(data)
                    yield Submission(doc.records[0], doc.format.name, data, url)

            stored = invalid = 0
            for outcomes in registry.load_records(submissions()):
                stored += sum(o.ok for o in outcomes)
                invalid += sum(not o.ok for o in outcomes)
                if stored and stored % (batch * 10) == 0:
                    rate = stored / (time.perf_counter() - start)
                    print(f"  {stored:>9,} stored  {rate:8,.0f}/s", file=sys.stderr)
            elapsed = time.perf_counter() - start
            print(
                f"end to end: {stored:,} samples stored ({invalid} refused) in {elapsed:.1f} s = "
                f"{stored / elapsed:,.0f} samples/s; peak RSS {peak_rss_mib():,.0f} MiB"
            )

            # stage breakdown on a fresh slice (same shapes of work, measured one stage at a time)
            k = min(5000, len(documents))
            t = time.perf_counter()
            docs = [read_xml(d) for d in documents[:k]]
            parse = time.perf_counter() - t
            t = time.perf_counter()
            graphs = {d.records[0].igsn: graphmap.record_triples(d.records[0], registry.iris) for d in docs}
            mapping = time.perf_counter() - t
            t = time.perf_counter()
            names = list(graphs)
            for i in range(0, k, batch):
                chunk = {n: graphs[n] for n in names[i : i + batch]}
                registry.validator.validate_many(chunk)
            validate = time.perf_counter() - t
            per = lambda seconds: seconds / k * 1000  # noqa: E731 - ms per sample
            triples = sum(len(g) for g in graphs.values()) / k
            print(
                f"stages, ms per sample ({triples:.0f} description triples each): XML parse+read "
                f"{per(parse):.2f}, record->RDF {per(mapping):.2f}, SHACL (batches of {batch}) "
                f"{per(validate):.2f}; the rest of end to end "
                f"({elapsed / stored * 1000 - per(parse + mapping + validate):.2f}) is facts, journal, "
                f"graph write, history and index"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", type=int, nargs="*", default=[10_000], help="records per run (default mode)")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--docs", type=Path, help="where the generated records are kept between runs")
    parser.add_argument("--readers", type=int, help="reading processes (default: one per core but the writer's)")
    parser.add_argument("--stages", type=int, metavar="N", help="time the stages of N records instead")
    parser.add_argument(
        "--per-format",
        type=int,
        metavar="N",
        help="load N records in every input format instead (the issue 13 table: 10000)",
    )
    parser.add_argument("--formats", help="with --per-format: only these, comma-separated (e.g. igsn,csirov3)")
    args = parser.parse_args()
    if args.per_format:
        only = set(args.formats.split(",")) if args.formats else None
        per_format(args.per_format, args.batch, only)
    elif args.stages:
        description_kernel_load(args.stages, args.batch)
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout
        from bench import load_scale

        load_scale.main(args.sizes, args.batch, args.docs, args.readers)


if __name__ == "__main__":
    main()
