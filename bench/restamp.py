"""Restamp benchmark: records/s of a restamp (new datestamps after a writer or crosswalk change, no history
versions), and what it costs the resolver when the server runs it in the background (issue 23).

The store is the demo set (`igsn_graph/demo_load.py`) of --size samples in --data (reused when a completed
load is there; loading runs at roughly 100 samples/s, so build 100,000 once). A restamp is forced by making
the data folder's recorded fingerprint stale, as a new writer revision would.

Rows: "direct" runs `restamp()` in this process (the `igsn-graph restamp` path) on the whole store;
"server" keeps the default RDF of the samples the load asks for (`igsn-graph prerender`, the resolver's steady
state; --asked N random ones, default all), starts the real server with a stale fingerprint and measures resolver
latency with wrk (`testkit.harness.run_wrk`: Turtle of random samples of those, --connections keep-alive
connections) while its background restamp of the whole store runs (wrk stops before the restamp ends; the line
says when it did not), then, same server, the same load for as long once the restamp has ended, --rounds times.
Changing the public URL (each server gets a new port) restamps nothing: a server started with the current
fingerprint before each round shows it.

    python bench/restamp.py --size 10000 [--data DIR] [--batch 2000] [--connections 8] [--rounds 3] [--asked N]
        [--no-prerender] [--no-server | --no-direct]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from igsn_graph.demo_load import ensure_demo
from igsn_graph.index import catalogue
from igsn_graph.oai.formats import fingerprint
from igsn_graph.registry import restamp
from igsn_graph.registry.service import Registry
from igsn_graph.resolver.stored import FILE, fill, open_stored
from igsn_graph.settings import Settings
from testkit.harness import run_wrk, start_server, stop_server, write_requests

STALE = "bench-stale-fingerprint"


def _set_fingerprint(data: Path, value: str) -> None:
    """Records ``value`` as the fingerprint the datestamps were issued under; the write-ahead log a restamp before
    left is checkpointed first, so every server measured starts from the same state."""
    db = sqlite3.connect(data / "registry.sqlite")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
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


def prerender(settings: Settings, names: list[str]) -> int:
    """The default RDF of the samples asked for kept in representations.sqlite (`igsn-graph prerender`): the
    resolver's steady state, which a restamp invalidates for the bodies that contain the datestamp."""
    with Registry(settings) as registry:
        stored = open_stored(settings.data_dir / FILE)
        if stored is None:
            raise RuntimeError(f"{FILE} cannot be written")
        try:
            return fill(registry, stored, catalogue.get_many(registry.db.read(), names).values())
        finally:
            stored.close()


def _health(base: str) -> dict[str, Any]:
    return dict(httpx.get(base + "/health", timeout=30).json())


def _round(data: Path, requests: Path, window: int, connections: int) -> dict[str, float]:
    """One busy and one quiet measurement of ``window`` seconds each (wrk, same load) on one server: while its
    background restamp runs, then once it has ended (same process, same caches: only the restamp differs)."""
    _set_fingerprint(data, fingerprint())
    proc, base = start_server(data)  # a new port, so a new public URL
    try:
        health = _health(base)
        if health["restamp_pending"] or health["restamp"] is not None:
            raise RuntimeError("a new public URL started a restamp")
    finally:
        stop_server(proc)
    _set_fingerprint(data, STALE)
    proc, base = start_server(data)
    try:
        # warmed up (the restamp running): without, the first run pays for reading the kept bodies' file pages
        run_wrk(base, requests, seconds=1, connections=connections, threads=1)
        busy = run_wrk(base, requests, seconds=window, connections=connections, threads=1)
        at_wrk_end = _health(base).get("restamp") or {}
        during = at_wrk_end.get("running", False)
        while True:
            health = _health(base)
            progress = health.get("restamp") or {}
            if not health["restamp_pending"] and not progress.get("running", False):
                break
            time.sleep(1)  # as a monitor would: each request makes the restamp yield (half duty) for a batch
        quiet = run_wrk(base, requests, seconds=window, connections=connections, threads=1)
    finally:
        stop_server(proc)
    for r in (quiet, busy):
        if r.errors or r.status_errors:
            raise RuntimeError(f"{r.errors} socket errors, {r.status_errors} bad statuses")
    return {
        "quiet_p50": quiet.p50_ms,
        "quiet_p99": quiet.p99_ms,
        "quiet_rps": quiet.rps,
        "busy_p50": busy.p50_ms,
        "busy_p99": busy.p99_ms,
        "busy_rps": busy.rps,
        "ratio": busy.p99_ms / quiet.p99_ms,
        "restamp_outlasted_wrk": float(during),
        "rate": float(progress.get("records_per_s", 0.0)),
        # while wrk ran (the restamp yields to requests): records done by then over the warm-up and the window
        "busy_rate": float(at_wrk_end.get("done", 0)) / (window + 1),
        "records": float(progress.get("done", 0)),
        "load": os.getloadavg()[0],
    }


def server(
    data: Path, names: list[str], seconds: float, connections: int, direct_rate: float, rounds: int, asked: list[str]
) -> list[dict[str, float]]:
    """Resolver latency (wrk, Turtle of random samples of ``asked``) with nothing else running and, same
    run, while the server's background restamp runs, over windows of equal length, ``rounds`` times (wrk ends
    before the restamp does: checked on /health)."""
    work = Path(tempfile.mkdtemp())
    requests = write_requests(work / "ttl.txt", [("/" + n, [("Accept", "text/turtle")]) for n in asked])
    # wrk counts whole seconds: measure for about 80 % of the restamp expected in the background (duty share)
    window = max(1, round(seconds))
    if direct_rate:
        window = max(1, min(window, int(len(names) / max(direct_rate * restamp.DEFAULT_DUTY, 1.0) * 0.8)))
    return [_round(data, requests, window, connections) for _ in range(rounds)]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", type=int, default=20_000, help="demo samples in the store")
    p.add_argument("--data", type=Path, default=None, help="data folder (built unless a load completed there)")
    p.add_argument("--batch", type=int, default=restamp.DEFAULT_BATCH, help="records per batch (direct row)")
    p.add_argument("--seconds", type=float, default=5, help="wrk seconds of the quiet measurement (at most)")
    p.add_argument("--connections", type=int, default=8, help="keep-alive connections of the resolver load")
    p.add_argument("--no-prerender", action="store_true", help="start with no kept bodies")
    p.add_argument("--no-server", action="store_true", help="the direct row only")
    p.add_argument("--no-direct", action="store_true", help="the server row only (its windows --seconds long)")
    p.add_argument("--rounds", type=int, default=3, help="quiet/busy measurements of the server row")
    p.add_argument("--asked", type=int, default=None, help="samples the resolver load asks for (default: all)")
    args = p.parse_args()
    data = args.data or Path(tempfile.mkdtemp()) / "data"
    settings = Settings(data_dir=data)
    t = time.monotonic()
    print(ensure_demo(settings, size=args.size), f"({time.monotonic() - t:.0f} s)", flush=True)
    names = _live_names(data)
    asked = names if args.asked is None else random.Random(1).sample(names, min(args.asked, len(names)))
    print(f"\nstore: {len(names)} harvestable records; {os.cpu_count()} CPUs; batch {args.batch}")
    d = {"rate": 0.0} if args.no_direct else direct(settings, args.batch)
    if not args.no_direct:
        print(
            f"direct: {d['records']:.0f} records in {d['seconds']:.2f} s = {d['rate']:,.0f} records/s "
            f"({d['cpu_rate']:,.0f} per CPU second; batch p50 {d['batch_p50_ms']:.0f} ms, "
            f"max {d['batch_max_ms']:.0f} ms; load average {os.getloadavg()[0]:.1f})"
        )
    if not args.no_server:
        if not args.no_prerender:
            t = time.monotonic()
            print(f"prerendered {prerender(settings, asked)} samples ({time.monotonic() - t:.0f} s)", flush=True)
        rounds = server(data, names, args.seconds, args.connections, d["rate"], args.rounds, asked)
        for s in rounds:
            print(
                f"server: background restamp {s['records']:.0f} records at {s['rate']:,.0f} records/s "
                f"(~{s['busy_rate']:,.0f}/s while wrk ran); resolver "
                f"Turtle p50/p99 {s['quiet_p50']:.1f}/{s['quiet_p99']:.1f} ms quiet ({s['quiet_rps']:.0f} req/s), "
                f"{s['busy_p50']:.1f}/{s['busy_p99']:.1f} ms during the restamp ({s['busy_rps']:.0f} req/s"
                f"{'' if s['restamp_outlasted_wrk'] else ', restamp ended before wrk did'}): "
                f"p99 x{s['ratio']:.2f}; load average {s['load']:.1f}",
                flush=True,
            )
        # one round's p99 follows whatever else the machine runs: the median over rounds is the figure to compare
        ratios = sorted(r["ratio"] for r in rounds)
        print(
            f"server: p99 during / after the restamp, median of {len(ratios)} rounds x{statistics.median(ratios):.2f} "
            f"(x{ratios[0]:.2f}-x{ratios[-1]:.2f})"
        )
    print("direction: >= 20,000 records/s; resolver p99 during a restamp <= 1.2x quiet")


if __name__ == "__main__":
    main()
