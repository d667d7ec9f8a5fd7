"""Import benchmark: N synthetic samples as description-kernel XML, loaded end to end.

End to end = XML parse + mapping + SHACL validation + graph write + history + catalogue index, through
the same path as `igsn-graph load`. Prints samples/s, peak memory, and a per-stage breakdown measured
on a separate slice of the same records.

    python bench/load.py 100000 [--batch 1000]
"""

from __future__ import annotations

import argparse
import resource
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


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()

    t0 = time.perf_counter()
    samples = list(generate_samples(args.n, seed=7))
    documents = [etree.tostring(description_kernel.write(s.record), encoding="utf-8", xml_declaration=True)
                 for s in samples]
    urls = [s.landing_url for s in samples]
    del samples
    print(f"prepared {len(documents)} description-kernel documents in {time.perf_counter() - t0:.1f} s "
          f"(not measured below)")

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", batch_size=args.batch)
        init_data_dir(settings)
        with Registry(settings) as registry:
            load_demo_accounts(registry)
            start = time.perf_counter()

            def submissions():  # type: ignore[no-untyped-def]
                for data, url in zip(documents, urls):
                    doc = read_xml(data)
                    yield Submission(doc.records[0], doc.format.name, data, url)

            stored = invalid = 0
            for outcomes in registry.load_records(submissions()):
                stored += sum(o.ok for o in outcomes)
                invalid += sum(not o.ok for o in outcomes)
                if stored and stored % (args.batch * 10) == 0:
                    rate = stored / (time.perf_counter() - start)
                    print(f"  {stored:>9,} stored  {rate:8,.0f}/s", file=sys.stderr)
            elapsed = time.perf_counter() - start
            print(f"end to end: {stored:,} samples stored ({invalid} refused) in {elapsed:.1f} s = "
                  f"{stored / elapsed:,.0f} samples/s; peak RSS {peak_rss_mib():,.0f} MiB")

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
            for i in range(0, k, args.batch):
                chunk = {n: graphs[n] for n in names[i:i + args.batch]}
                registry.validator.validate_many(chunk)
            validate = time.perf_counter() - t
            per = lambda seconds: seconds / k * 1000  # noqa: E731 - ms per sample
            triples = sum(len(g) for g in graphs.values()) / k
            print(f"stages, ms per sample ({triples:.0f} description triples each): XML parse+read "
                  f"{per(parse):.2f}, record->RDF {per(mapping):.2f}, SHACL (batches of {args.batch}) "
                  f"{per(validate):.2f}; the rest of end to end "
                  f"({elapsed / stored * 1000 - per(parse + mapping + validate):.2f}) is facts, journal, "
                  f"graph write, history and index")


if __name__ == "__main__":
    main()
