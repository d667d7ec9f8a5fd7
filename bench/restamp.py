"""Restamp benchmark: records/s of a restamp (new datestamps after a writer or crosswalk change, no history
versions), and what it costs the resolver when the server runs it in the background (issue 23).

The store is the demo set (`igsn_graph/demo_load.py`) of --size samples in --data (reused when a completed
load is there; loading runs at roughly 100 samples/s, so build 100,000 once). A restamp is forced by making
the data folder's recorded fingerprint stale, as a new writer revision would.

Rows: "direct" runs `restamp()` in this process (the `igsn-graph restamp` path) on the whole store;
"server" starts the real server, measures resolver latency (Turtle of random samples from the whole
store, --concurrency keep-alive connections) with nothing else running, then restarts it with a stale
fingerprint and measures the same load while its background restamp runs (only requests that ended
before /health reported the restamp done count). Changing the public URL between the runs (each server
gets a new port) restamps nothing: the first server start shows it.

    python bench/restamp.py --size 20000 [--data DIR] [--batch 2000] [--concurrency 8] [--no-server]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from igsn_graph.demo_load import ensure_demo
from igsn_graph.oai.formats import fingerprint
from igsn_graph.registry import restamp
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
from testkit.harness import percentile, start_server, stop_server

STALE = "bench-stale-fingerprint"


def _set_fingerprint(data: Path, value: str) -> None:
    db = sqlite3.connect(data / "registry.sqlite")
    with db:
        db.execute("INSERT OR REPLACE INTO meta VALUES ('projection_fingerprint', ?)", (value,))
    db.close()


def _live_names(data: Path) -> list[str]:
    db = sqlite3.connect(data / "registry.sqlite")
    names = [r[0] for r in db.execute("SELECT igsn FROM catalogue WHERE deleted = 0 AND has_metadata = 1")]
    db.close()
    return names


def direct(settings: Settings, batch: int) -> dict[str, float]:
    """One whole restamp in this process; records/s and batch times."""
    _set_fingerprint(settings.data_dir, STALE)
    times: list[float] = []
    last = [time.perf_counter()]

    def progress(_: int) -> None:
        now = time.perf_counter()
        times.append(now - last[0])
        last[0] = now

    with Registry(settings) as registry:
        start, cpu = time.perf_counter(), time.process_time()
        last[0] = start
        n = restamp.restamp(registry, batch=batch, progress=progress)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    # CPU seconds of every thread of this process: what the rate would be with a core to itself
    return {
        "records": n,
        "seconds": elapsed,
        "rate": n / elapsed,
        "cpu_rate": n / max(cpu, 1e-9),
        "batch_p50_ms": statistics.median(times) * 1000 if times else 0.0,
        "batch_max_ms": max(times) * 1000 if times else 0.0,
    }


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> int:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\nAccept: text/turtle\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0
    )
    await reader.readexactly(length)
    return int(head.split(b" ", 2)[1])


async def _load(
    port: int, names: list[str], concurrency: int, until: asyncio.Future[None] | None, total: int
) -> list[tuple[float, float]]:
    """(end time, latency s) of each request: ``total`` requests, or until ``until`` is done."""
    rng = random.Random(11)
    out: list[tuple[float, float]] = []

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while (until is None and len(out) < total) or (until is not None and not until.done()):
                t = time.perf_counter()
                status = await _request(reader, writer, "/" + rng.choice(names))
                end = time.perf_counter()
                if status != 200:
                    raise RuntimeError(f"the resolver answered {status}")
                out.append((end, end - t))
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return out


async def _during_restamp(base: str, port: int, names: list[str], concurrency: int) -> tuple[list[float], dict]:
    loop = asyncio.get_running_loop()
    finished: asyncio.Future[None] = loop.create_future()
    report: dict = {}

    async def watch() -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            while True:
                health = (await client.get(base + "/health")).json()
                progress = health.get("restamp") or {}
                if not health["restamp_pending"] and not progress.get("running", False):
                    report.update(progress)
                    report["ended"] = time.perf_counter()
                    finished.set_result(None)
                    return
                await asyncio.sleep(0.05)

    results, _ = await asyncio.gather(_load(port, names, concurrency, finished, 0), watch())
    return [lat for end, lat in results if end <= report["ended"]], report


def server(data: Path, names: list[str], requests: int, concurrency: int) -> dict[str, float]:
    """Resolver latency without, then during, the server's background restamp."""
    _set_fingerprint(data, fingerprint())
    proc, base = start_server(data)
    try:
        health = httpx.get(base + "/health").json()
        if health["restamp_pending"] or health["restamp"] is not None:
            raise RuntimeError("a new public URL started a restamp")
        port = int(base.rsplit(":", 1)[1])
        asyncio.run(_load(port, names, concurrency, None, max(requests // 10, concurrency)))  # warm-up
        quiet = [lat for _, lat in asyncio.run(_load(port, names, concurrency, None, requests))]
    finally:
        stop_server(proc)
    _set_fingerprint(data, STALE)
    proc, base = start_server(data)
    try:
        port = int(base.rsplit(":", 1)[1])
        busy, report = asyncio.run(_during_restamp(base, port, names, concurrency))
    finally:
        stop_server(proc)
    return {
        "quiet_p50": statistics.median(quiet) * 1000,
        "quiet_p99": percentile(quiet, 99) * 1000,
        "busy_p50": statistics.median(busy) * 1000 if busy else float("nan"),
        "busy_p99": percentile(busy, 99) * 1000,
        "busy_requests": len(busy),
        "rate": float(report.get("records_per_s", 0.0)),
        "records": float(report.get("done", 0)),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", type=int, default=20_000, help="demo samples in the store")
    p.add_argument("--data", type=Path, default=None, help="data folder (built unless a load completed there)")
    p.add_argument("--batch", type=int, default=restamp.DEFAULT_BATCH, help="records per batch (direct row)")
    p.add_argument("--requests", type=int, default=3000, help="resolver requests of the quiet measurement")
    p.add_argument("--concurrency", type=int, default=8, help="keep-alive connections of the resolver load")
    p.add_argument("--no-server", action="store_true", help="the direct row only")
    args = p.parse_args()
    data = args.data or Path(tempfile.mkdtemp()) / "data"
    settings = Settings(data_dir=data)
    t = time.monotonic()
    print(ensure_demo(settings, size=args.size), f"({time.monotonic() - t:.0f} s)", flush=True)
    names = _live_names(data)
    d = direct(settings, args.batch)
    print(f"\nstore: {len(names)} harvestable records; {os.cpu_count()} CPUs; batch {args.batch}")
    print(
        f"direct: {d['records']:.0f} records in {d['seconds']:.2f} s = {d['rate']:,.0f} records/s "
        f"({d['cpu_rate']:,.0f} per CPU second; batch p50 {d['batch_p50_ms']:.0f} ms, "
        f"max {d['batch_max_ms']:.0f} ms; load average {os.getloadavg()[0]:.1f})"
    )
    if not args.no_server:
        s = server(data, names, args.requests, args.concurrency)
        print(
            f"server: background restamp {s['records']:.0f} records at {s['rate']:,.0f} records/s; resolver "
            f"Turtle p50/p99 {s['quiet_p50']:.1f}/{s['quiet_p99']:.1f} ms quiet, "
            f"{s['busy_p50']:.1f}/{s['busy_p99']:.1f} ms during the restamp ({s['busy_requests']} requests): "
            f"p99 x{s['busy_p99'] / s['quiet_p99']:.2f}"
        )
    print("direction: >= 20,000 records/s; resolver p99 during a restamp <= 1.2x quiet")


if __name__ == "__main__":
    main()
