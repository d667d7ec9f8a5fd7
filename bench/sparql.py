"""SPARQL benchmark: our /sparql vs raw `oxigraph serve` vs rdflib-endpoint, same data, same run.

Queries: a point lookup, a lineage property path and a facet count. Each endpoint gets the same
requests over one keep-alive connection; prints median and p99 per query and the ratio to Oxigraph.

    python bench/sparql.py [--n 3000] [--requests 200]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from igsn_graph.demo import generate_samples
from igsn_graph.demo_load import ensure_demo
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.harness import free_port, percentile, start_oxigraph, start_server, stop_server  # noqa: E402

PREFIX = "PREFIX ig: <https://w3id.org/igsn-graph/ontology#>\n"


def queries(names: tuple[str, str]) -> dict[str, str]:
    leaf, _ = names
    return {
        "point lookup": PREFIX + f'SELECT ?p ?o WHERE {{ ?s ig:igsn "{leaf}" ; ?p ?o }}',
        "lineage (ig:parent+)": PREFIX + f'SELECT ?a WHERE {{ ?s ig:igsn "{leaf}" ; ig:parent+ ?a }}',
        "facet count (material)": PREFIX + "SELECT ?m (COUNT(?s) AS ?n) WHERE { ?s ig:material ?m } GROUP BY ?m",
    }


def measure(url: str, query: str, n: int, union_param: dict[str, str]) -> list[float]:
    times = []
    with httpx.Client(timeout=60) as client:
        for _ in range(n):
            t = time.perf_counter()
            r = client.get(url, params={"query": query, **union_param},
                           headers={"Accept": "application/sparql-results+json"})
            r.raise_for_status()
            times.append((time.perf_counter() - t) * 1000)
    return times


def wait(url: str) -> None:
    for _ in range(300):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=3000, help="synthetic samples")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    settings = Settings(data_dir=tmp / "data")
    ensure_demo(settings, size=args.n)
    with Registry(settings) as reg:
        dump = tmp / "public.nq"
        dump.write_bytes(b"".join(reg.store.dump_nquads()))
        quads = dump.read_bytes().count(b"\n")
    leaf = next(s.record for s in generate_samples(args.n, seed=42) if s.record.parents)
    names = (leaf.igsn, leaf.parents[0])
    print(f"{args.n} samples, {quads:,} quads in the public graph; {args.requests} sequential requests per query")

    # raw Oxigraph server on a copy of the same data
    engine = tmp / "engine"
    subprocess.run([str(Path(sys.executable).parent / "oxigraph"), "load", "--location", str(engine), "--file",
                    str(dump)], check=True, capture_output=True)
    ox_port = free_port()
    ox = start_oxigraph(engine, ox_port)
    ours, base = start_server(settings.data_dir)
    endpoints = {"igsn-graph /sparql": (f"{base}/sparql", {}),
                 "oxigraph serve": (f"http://127.0.0.1:{ox_port}/query", {"union-default-graph": "true"})}
    try:
        import rdflib
        import uvicorn
        from rdflib_endpoint import SparqlEndpoint
        ds = rdflib.Dataset(default_union=True)
        ds.parse(dump, format="nquads")
        rport = free_port()
        server = uvicorn.Server(uvicorn.Config(SparqlEndpoint(graph=ds), host="127.0.0.1", port=rport,
                                               log_level="error"))
        threading.Thread(target=server.run, daemon=True).start()
        wait(f"http://127.0.0.1:{rport}/?query=ASK%7B%7D")
        endpoints["rdflib-endpoint"] = (f"http://127.0.0.1:{rport}/", {})
    except ImportError:
        print("rdflib-endpoint is not installed (pip install rdflib-endpoint): its column is left out")
    try:
        for label, query in queries(names).items():
            results = {}
            for name, (url, extra) in endpoints.items():
                times = measure(url, query, args.requests if name != "rdflib-endpoint" else max(20, args.requests // 10),
                                extra)
                results[name] = (statistics.median(times), percentile(times, 99))
            base = results["oxigraph serve"][0]
            line = "; ".join(f"{n}: p50 {p50:.2f} ms, p99 {p99:.2f} ms ({p50 / base:.2f}x)"
                             for n, (p50, p99) in results.items())
            print(f"{label:<24} {line}")
    finally:
        stop_server(ours)
        ox.terminate()


if __name__ == "__main__":
    main()
