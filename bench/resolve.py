"""Resolver benchmark: requests/s and latency of GET /{IGSN} as JSON-LD and as Turtle, beside a
hello-world uvicorn app on the same machine in the same run (the reference ratio).

The store is the demo set (`igsn_graph/demo_load.py`) of --size samples, built in --data (reused when a
completed load is there: loading runs at roughly 85 samples/s, so build 100,000 once, in the background).
Both servers are single uvicorn processes; the load generator is a small asyncio HTTP/1.1 client with
--concurrency keep-alive connections.

Rows: "JSON-LD" and "Turtle" ask for random samples among 2,000 (a hot set: after the first request of
each, the resolver serves its rendered body from memory until the sample changes); the "… uncached" rows
ask for a different sample every request, drawn from the whole store (a crawler: every request reads
the graph and renders); "304" repeats a request with its ETag in If-None-Match.

    python bench/resolve.py --size 10000 [--data DIR] [--requests 4000] [--concurrency 16] [--as-is]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from igsn_graph.demo import generate_samples
from igsn_graph.demo_load import ensure_demo
from igsn_graph.settings import Settings
from tests.conftest import free_port

HELLO = """
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
import sys, uvicorn
app = FastAPI()
@app.get("/{name}")
def hello(name: str) -> PlainTextResponse:
    return PlainTextResponse("hello " + name)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def start(cmd: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            asyncio.run(_one("127.0.0.1", port, "/health", "*/*"))
            return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "server exited") from None
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{cmd} did not start")


async def _etag(port: int, path: str, accept: str) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\nAccept: {accept}\r\n\r\n".encode())
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"etag:"):
                return line.split(b":", 1)[1].strip().decode()
        raise RuntimeError(f"{path} has no ETag")
    finally:
        writer.close()


async def _one(host: str, port: int, path: str, accept: str) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        return (await _request(reader, writer, path, accept))[0]
    finally:
        writer.close()


async def _request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str, accept: str, extra: str = ""
) -> tuple[int, int]:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\nAccept: {accept}\r\n{extra}\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = await reader.readexactly(length)
    return status, len(body)


async def _load(
    port: int,
    next_path: Callable[[], str],
    accept: str,
    total: int,
    concurrency: int,
    expect: int = 200,
    extra: str = "",
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    counter = itertools.count()

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while next(counter) < total:
                path = next_path()
                t = time.perf_counter()
                status, _ = await _request(reader, writer, path, accept, extra)
                latencies.append((time.perf_counter() - t) * 1000)
                if status != expect:
                    raise RuntimeError(f"{path} answered {status}")
        finally:
            writer.close()

    start_t = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - start_t, latencies


def measure(
    port: int,
    next_path: Callable[[], str],
    accept: str,
    total: int,
    concurrency: int,
    expect: int = 200,
    extra: str = "",
) -> dict[str, float]:
    asyncio.run(_load(port, next_path, accept, max(total // 10, concurrency), concurrency, expect, extra))  # warm-up
    elapsed, latencies = asyncio.run(_load(port, next_path, accept, total, concurrency, expect, extra))
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000, help="demo samples in the store")
    parser.add_argument("--data", type=Path, default=None, help="data folder (built unless a load completed there)")
    parser.add_argument("--requests", type=int, default=4000, help="requests per measurement")
    parser.add_argument("--concurrency", type=int, default=16, help="keep-alive connections")
    parser.add_argument(
        "--as-is",
        action="store_true",
        help="no load: --data holds (at least) the first --size demo samples (a load in progress)",
    )
    args = parser.parse_args()
    data = args.data or Path(tempfile.mkdtemp()) / "data"
    settings = Settings(data_dir=data)
    t = time.monotonic()
    if args.as_is:
        print(f"measuring {data} as it is: its first {args.size} demo samples", flush=True)
    else:
        print(ensure_demo(settings, size=args.size), f"({time.monotonic() - t:.0f} s)", flush=True)
    # the demo generator is deterministic: the same names the store holds, without opening it
    every = ["/" + s.record.igsn for s in generate_samples(args.size, seed=42) if s.record.igsn]
    hot = every[:2000]
    # the uncached rows never ask for a sample twice (unless the store is too small for that)
    spread = random.Random(7).sample(every, len(every))
    cold = itertools.cycle(spread)
    if len(spread) < 2 * (args.requests + args.requests // 10):
        print(
            f"note: {len(spread)} samples are too few for uncached rows of {args.requests} requests: "
            "they repeat samples (and hit the cache)",
            flush=True,
        )

    env = {**os.environ, "IGSN_GRAPH_DATA": str(data)}
    ours_port, hello_port = free_port(), free_port()
    ours = start(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(ours_port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env,
        ours_port,
    )
    hello = start([sys.executable, "-c", HELLO, str(hello_port)], env, hello_port)
    try:

        def pick() -> str:
            return random.choice(hot)

        def warm(accept: str) -> str:
            # one request per sample of the hot set first: the rows measure the steady state
            asyncio.run(_load(ours_port, iter(hot).__next__, accept, len(hot), args.concurrency))
            return accept

        tag = asyncio.run(_etag(ours_port, hot[0], "application/ld+json"))
        results = {
            "hello world": measure(hello_port, pick, "*/*", args.requests, args.concurrency),
            "JSON-LD": measure(ours_port, pick, warm("application/ld+json"), args.requests, args.concurrency),
            "Turtle": measure(ours_port, pick, warm("text/turtle"), args.requests, args.concurrency),
            "JSON-LD uncached": measure(
                ours_port, lambda: next(cold), "application/ld+json", args.requests, args.concurrency
            ),
            "Turtle uncached": measure(ours_port, lambda: next(cold), "text/turtle", args.requests, args.concurrency),
            "304": measure(
                ours_port,
                lambda: hot[0],
                "application/ld+json",
                args.requests,
                args.concurrency,
                expect=304,
                extra=f"If-None-Match: {tag}\r\n",
            ),
        }
    finally:
        for proc in (ours, hello):
            proc.terminate()
            proc.wait(timeout=30)
    base = results["hello world"]["rps"]
    print(
        f"\nstore: {args.size} samples; {args.requests} requests per row, {args.concurrency} connections, "
        f"{os.cpu_count()} CPUs"
    )
    print(f"{'':18} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'× hello':>8}")
    for label, r in results.items():
        print(f"{label:18} {r['rps']:8.0f} {r['p50']:8.2f} {r['p99']:8.2f} {r['rps'] / base:8.2f}")
    print("direction: >= 2,000 req/s, p99 <= 20 ms, >= 0.3x hello world")


if __name__ == "__main__":
    main()
