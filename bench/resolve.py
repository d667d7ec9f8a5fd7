"""Resolver benchmark: requests/s and latency of GET /{IGSN}, measured by ``wrk``, beside a hello-world app
served with the same uvicorn settings (``igsn_graph.cli.server_options``) in the same run.

Ours is started as an operator starts it (``igsn-graph serve``) over the demo set (``igsn_graph/demo_load.py``)
of --size samples in --data (built unless a completed load is there: build 100,000 once, in the background).
Every row runs --seconds of ``wrk`` with --connections keep-alive connections; rows are interleaved, --repeat
times, so a change of the machine's load touches every row alike (the ratio to hello world is the figure).

Rows: "Turtle" and "JSON-LD" ask for a sample drawn at random from the whole store for every request (not a hot
set); "304" revalidates a random sample among 2,000 with the ETag it was served with; "Turtle, hot 2,000" (a
labelled extra) draws from 2,000 samples only. With --readers N the same three rows are measured again against
``serve --readers N`` (reader processes beside the writer, api/readers.py). Bodies come from
``representations.sqlite``: run ``igsn-graph prerender --data DIR`` once after building the data (--prerender
does it here), else the first request of each sample renders it from the graph store.

    python bench/resolve.py --size 10000 [--data DIR] [--seconds 10] [--repeat 3] [--connections 16] [--as-is]
                            [--prerender] [--readers 2] [--http httptools|h11]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from igsn_graph.demo import generate_samples  # noqa: E402
from testkit.demo_folder import add_demo_arguments, demo_folder  # noqa: E402
from testkit.harness import WrkResult, free_port, run_wrk, stop_server, write_requests  # noqa: E402

#: the peer: the smallest FastAPI app, served by uvicorn with our server's settings
HELLO = """
import sys, uvicorn
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from igsn_graph.cli import server_options
from igsn_graph.settings import Settings
app = FastAPI()
@app.get("/{name}")
def hello(name: str) -> PlainTextResponse:
    return PlainTextResponse("hello " + name)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), **server_options(Settings.from_env(), http=sys.argv[2]))
"""


def start(cmd: list[str], env: dict[str, str], base: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            httpx.get(base + "/health", timeout=2)
            return proc
        except httpx.HTTPError:
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd} exited") from None
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{cmd} did not start")


def wait_for(url: str) -> None:
    """Until ``url`` answers at all (a reader answers a sample it has not got with a 307)."""
    deadline = time.monotonic() + 120
    while True:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def etags(base: str, paths: list[str], accept: str) -> list[str]:
    with httpx.Client(base_url=base, timeout=30) as client:
        out = []
        for path in paths:
            r = client.get(path, headers={"Accept": accept})
            r.raise_for_status()
            out.append(r.headers["etag"])
        return out


def sample_paths(data: Path, size: int) -> list[str]:
    """The path of every sample in the folder's catalogue (read-only; a million names in a second, where
    generating the demo set again to learn them took minutes), else the demo generator's first ``size``."""
    db = data / "registry.sqlite"
    if db.exists():
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            names = [row[0] for row in conn.execute("SELECT igsn FROM catalogue")]
        if names:
            return ["/" + name for name in names]
    return ["/" + s.record.igsn for s in generate_samples(size, seed=42) if s.record.igsn]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_demo_arguments(
        parser,
        size=100_000,
        size_help="demo samples in the store",
        data_help="data folder (built unless a load completed there)",
        as_is_help="no load: --data holds (at least) the first --size demo samples (a load in progress)",
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="wrk duration of each row")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved repetitions of every row")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--readers", type=int, default=0, help="also measure serve --readers N (0: not)")
    parser.add_argument("--http", default="httptools", help="serve --http (and the peer's parser): httptools or h11")
    parser.add_argument("--prerender", action="store_true", help="igsn-graph prerender before serving")
    args = parser.parse_args()
    # without --data, a folder of this run's own (built afresh)
    data = demo_folder(args, default=None if args.data else Path(tempfile.mkdtemp()) / "data", report=True).data_dir
    if args.as_is:
        print(f"measuring {data} as it is", flush=True)
    every = sample_paths(data, args.size)
    work = Path(tempfile.mkdtemp(prefix="resolve-bench-"))
    if args.prerender:
        t = time.monotonic()
        subprocess.run([sys.executable, "-m", "igsn_graph.cli", "prerender", "--data", str(data)], check=True)
        print(f"prerendered ({time.monotonic() - t:.0f} s)", flush=True)

    ours_port, hello_port, read_port = free_port(), free_port(), free_port()
    ours_base, hello_base = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{hello_port}"
    read_base = f"http://127.0.0.1:{read_port}"
    readers = ["--readers", str(args.readers), "--read-port", str(read_port)] if args.readers else []
    env = {
        **os.environ,
        "IGSN_GRAPH_DATA": str(data),
        "IGSN_GRAPH_PUBLIC_URL": ours_base + "/",
        "PYTHONPATH": str(ROOT),
        # the resolver alone: a restamp a stale fingerprint would start is bench/restamp.py's subject
        "IGSN_GRAPH_AUTO_RESTAMP": "0",
    }
    ours = start(
        [
            sys.executable,
            "-m",
            "igsn_graph.cli",
            "serve",
            "--data",
            str(data),
            "--port",
            str(ours_port),
            "--http",
            args.http,
            *readers,
        ],
        env,
        ours_base,
    )
    hello = start([sys.executable, "-c", HELLO, str(hello_port), args.http], env, hello_base)
    try:
        revalidated = random.Random(7).sample(every, min(2000, len(every)))
        tags = etags(ours_base, revalidated, "application/ld+json")
        hot = every[:2000]
        files = {
            "hello world": (hello_base, write_requests(work / "hello.txt", [(p, ()) for p in every])),
            "Turtle": (ours_base, write_requests(work / "ttl.txt", [(p, [("Accept", "text/turtle")]) for p in every])),
            "JSON-LD": (
                ours_base,
                write_requests(work / "jsonld.txt", [(p, [("Accept", "application/ld+json")]) for p in every]),
            ),
            "304": (
                ours_base,
                write_requests(
                    work / "304.txt",
                    [
                        (p, [("Accept", "application/ld+json"), ("If-None-Match", tag)])
                        for p, tag in zip(revalidated, tags, strict=True)
                    ],
                ),
            ),
            "Turtle, hot 2,000": (
                ours_base,
                write_requests(work / "hot.txt", [(p, [("Accept", "text/turtle")]) for p in hot]),
            ),
        }
        if args.readers:
            wait_for(read_base + every[0])
            probe = [httpx.get(read_base + p, headers={"Accept": "text/turtle"}).status_code for p in revalidated[:50]]
            if any(status != 200 for status in probe):
                raise RuntimeError("the readers send samples to the writer (307): run with --prerender")
            for label in ("Turtle", "JSON-LD", "304"):
                files[f"{label}, {args.readers} readers"] = (read_base, files[label][1])
        results: dict[str, list[WrkResult]] = {label: [] for label in files}
        for rep in range(args.repeat):
            for label, (base, requests) in files.items():
                r = run_wrk(base, requests, seconds=args.seconds, connections=args.connections, threads=args.threads)
                if r.errors or r.status_errors:
                    raise RuntimeError(f"{label}: {r.errors} socket errors, {r.status_errors} bad statuses")
                results[label].append(r)
                print(f"  rep {rep + 1} {label:18} {r.rps:8.0f} req/s  p99 {r.p99_ms:7.2f} ms", flush=True)
    finally:
        for proc in (ours, hello):
            stop_server(proc)
    load = os.getloadavg()
    print(
        f"\nstore: {len(every):,} samples, each request one at random; {args.http}; wrk {args.threads} threads, {args.connections} connections, "
        f"{args.seconds:.0f} s per row, {args.repeat} interleaved repetitions; {os.cpu_count()} CPUs; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(f"{'':18} {'req/s (min–max)':>17} {'p50 ms':>8} {'p99 ms (min–max)':>18} {'× hello':>12}")
    for label, runs in results.items():
        ratios = [r.rps / h.rps for r, h in zip(runs, results["hello world"], strict=True)]
        rps = [r.rps for r in runs]
        p99 = [r.p99_ms for r in runs]
        print(
            f"{label:18} {min(rps):8.0f}–{max(rps):<8.0f} {statistics.median(r.p50_ms for r in runs):8.2f} "
            f"{min(p99):8.2f}–{max(p99):<9.2f} {min(ratios):5.2f}–{max(ratios):<5.2f}"
        )
    print("targets (issue 22): >= 2,000 req/s, p99 <= 20 ms, >= 0.3x hello world; 304 >= 0.6x hello world")


if __name__ == "__main__":
    main()
