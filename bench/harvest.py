"""Harvest benchmark: records/s harvesting N demo records from a second igsn-graph server, and what an
incremental re-harvest after K changes fetches.

The source is a second data folder holding the demo agents and N demo samples (``ensure_demo``), served by
uvicorn in a child process; the harvesting registry (the demo accounts, no samples) runs
``igsn_graph.harvest.scheduler.run`` on an unverified source with ``metadataPrefix=igsn_desc`` (every
record read, validated and registered as on any load). Then K samples change at the source (their landing
page moved through MDS), and the source is harvested again: the requests and records counted are what the
``from`` argument saves.

Each harvested record also gets its own harvest graph and its XML as received (``harvest.origins``); the run
prints how many were kept and their compressed size per record, the figure behind the 10 M estimate.

    python bench/harvest.py [--n 2000] [--changes 100] [--page 250]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from igsn_graph.demo import demo_accounts  # noqa: E402
from igsn_graph.demo_load import ensure_demo, load_demo_accounts  # noqa: E402
from igsn_graph.harvest import scheduler, sources  # noqa: E402
from igsn_graph.registry.service import Registry, init_data_dir  # noqa: E402
from igsn_graph.settings import Settings  # noqa: E402
from testkit.harness import start_server, stop_server  # noqa: E402

__all__ = ["main"]


def _change(base: str, harvested: Registry, k: int) -> int:
    """Moves the landing page of ``k`` samples at the source (MDS, as their agents; the names and owners as
    harvested, since the server holds the source's store); how many moved."""
    agents, clients = demo_accounts()
    passwords = {a.symbol: a.password for a in agents}
    domains = {c.symbol: c.domains[0] for c in clients}  # a landing page must be on the client's domains
    rows = (
        harvested.db.read()
        .execute(
            "SELECT igsn, agent, client FROM catalogue WHERE active = 1 AND is_public = 1 ORDER BY igsn LIMIT ?", (k,)
        )
        .fetchall()
    )
    moved = 0
    with httpx.Client(timeout=60) as client:
        for igsn, agent, owner in rows:
            host = domains.get(owner, "example.org")
            r = client.post(
                f"{base}/igsn",
                content=f"igsn={igsn}\nurl=https://{host}/moved/{igsn}",
                auth=(agent, passwords[agent]),
                headers={"Content-Type": "text/plain;charset=UTF-8"},
            )
            moved += r.status_code == 201
            if r.status_code != 201:
                print(f"not changed: {igsn}: {r.status_code} {r.text[:200]}", file=sys.stderr)
    return moved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="demo samples at the source")
    parser.add_argument("--changes", type=int, default=100, help="samples changed before the re-harvest")
    parser.add_argument("--page", type=int, default=250, help="the source's OAI-PMH page size")
    parser.add_argument(
        "--source",
        type=Path,
        help="a data folder to serve as the source (built once with --n demo samples and reused: the demo load "
        "is the slow part at 100,000; the re-harvest's changes are written into it)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="igsn-harvest-bench-") as tmp:
        source_dir, target_dir = args.source or Path(tmp) / "source", Path(tmp) / "target"
        t = time.monotonic()
        ensure_demo(Settings(data_dir=source_dir), size=args.n)
        print(f"source: {args.n} demo samples loaded in {time.monotonic() - t:.1f} s", flush=True)
        proc, base = start_server(source_dir, env={"IGSN_GRAPH_OAI_PAGE_SIZE": str(args.page)})
        try:
            settings = Settings(data_dir=target_dir)
            init_data_dir(settings)
            with Registry(settings) as registry:
                load_demo_accounts(registry)
                sources.add(registry, "demo", url=base + "/oai", prefix="igsn_desc", rate=1000, timeout_s=300)
                time.sleep(1.1)  # the load's last datestamp before the first responseDate (second granularity)
                t = time.monotonic()
                full = scheduler.run(registry, "demo")
                elapsed = time.monotonic() - t
                if full.error:
                    print(f"harvest failed: {full.error}")
                    return 1
                print(
                    f"full harvest: {full.records} records ({full.stored} stored, {len(full.refused)} refused) "
                    f"in {full.pages} pages, {full.requests} requests, {elapsed:.1f} s: "
                    f"{full.records / elapsed:,.0f} records/s",
                    flush=True,
                )
                kept, size = (
                    registry.db.read()
                    .execute("SELECT COUNT(*), COALESCE(SUM(LENGTH(original)), 0) FROM harvest_origin")
                    .fetchone()
                )
                print(
                    f"kept: {kept} source records (a named graph each), their XML as received "
                    f"{size / max(kept, 1):,.0f} bytes each compressed ({size / 2**20:,.1f} MiB in all); "
                    f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
                    flush=True,
                )
                moved = _change(base, registry, args.changes)
                t = time.monotonic()
                again = scheduler.run(registry, "demo")
                elapsed = time.monotonic() - t
                print(
                    f"re-harvest after {moved} changes: {again.records} records ({again.stored} stored) in "
                    f"{again.pages} pages, {again.requests} requests, {elapsed:.1f} s"
                )
        finally:
            stop_server(proc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
