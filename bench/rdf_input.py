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

IG = "https://w3id.org/igsn-graph/ontology#"
REL = "<http://purl.org/dc/terms/relation>"
TITLE = "<http://purl.org/dc/terms/title>"
SHAPES = ("stray", "owned", "fan", "shared", "bases")


def document(shape: str, samples: int, blanks: int) -> bytes:
    """A Turtle document: ``samples`` samples and ``blanks`` blank-node triples in ``shape``."""
    host = (lambda s: f"https://h{s}.example.org") if shape == "bases" else (lambda s: "https://igsn.org")
    lines = [f'<{host(s)}/ZTB{s:06d}> <{IG}igsn> "ZTB{s:06d}" ; {TITLE} "Sample {s}" .\n' for s in range(samples)]
    per = max(1, blanks // samples)
    if shape == "stray":
        lines += [f"_:b{i} {REL} _:b{i + 1} .\n" for i in range(blanks)]
    elif shape == "owned":
        for s in range(samples):
            lines.append(f"<https://igsn.org/ZTB{s:06d}> {REL} _:s{s}b0 .\n")
            lines += [f"_:s{s}b{i} {REL} _:s{s}b{i + 1} .\n" for i in range(per)]
    elif shape == "fan":
        for s in range(samples):
            lines += [f'<https://igsn.org/ZTB{s:06d}> {REL} [ {TITLE} "x{i}" ] .\n' for i in range(per)]
    elif shape == "bases":
        lines += [f"<https://example.org/n{i}> {REL} <https://example.org/n{i + 1}> .\n" for i in range(blanks)]
    else:
        lines += [
            f"<https://igsn.org/ZTB{s:06d}> <{IG}registrant> <https://example.org/agent> .\n" for s in range(samples)
        ]
        lines.append(f"<https://example.org/agent> {REL} _:b0 .\n")
        lines += [f"_:b{i} {REL} _:b{i + 1} .\n" for i in range(blanks)]
    return "".join(lines).encode()


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
