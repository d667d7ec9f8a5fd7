"""Prints the CPU time of reading a Turtle bulk document (``read_rdf``) as its blank nodes grow: it must be linear.

    .venv/bin/python bench/rdf_input.py [--samples 300] [--sizes 1000,10000,100000]

The document registers ``--samples`` samples and carries N blank-node triples in one of four shapes:
``stray`` (a chain no sample reaches: the attack of issue 21, 30,000 of them took 73 s), ``owned`` (a chain
below each sample), ``fan`` (N one-triple blank nodes spread over the samples), ``shared`` (a chain below a
node every sample links to, which a document may not make every sample read again: refused) and ``bases`` (no
blank node: each sample under a host of its own, N triples between other IRIs, each tried as a sample IRI).
Linear means the microseconds per triple stay flat from row to row.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout, installed or not

from igsn_graph.errors import InvalidInput  # noqa: E402
from igsn_graph.formats.rdf import read_rdf  # noqa: E402
from testkit.rdf_input import SHAPES, document  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--samples", type=int, default=300)
    p.add_argument("--sizes", default="1000,10000,100000", help="blank-node (or other) triples per row")
    p.add_argument("--shapes", default=",".join(SHAPES))
    args = p.parse_args()
    print(f"read_rdf of a Turtle document with {args.samples} samples (CPU seconds)")
    print(f"{'shape':<8} {'N triples':>11} {'MB':>6} {'CPU s':>8} {'µs/triple':>10}  result")
    for shape in args.shapes.split(","):
        for blanks in (int(n) for n in args.sizes.split(",")):
            data = document(shape, args.samples, blanks)
            triples = data.count(b" .\n")
            start = time.process_time()
            try:
                result = f"{len(read_rdf(data, 'text/turtle'))} records"
            except InvalidInput as exc:
                result = f"refused: {exc.message[:60]}…"
            cpu = time.process_time() - start
            per = cpu / triples * 1e6
            print(f"{shape:<8} {blanks:>11,} {len(data) / 1e6:>6.2f} {cpu:>8.2f} {per:>10.1f}  {result}", flush=True)


if __name__ == "__main__":
    main()
