"""Serving latencies of one completed data folder, as it is: to compare a registry of 100,000 samples with one of
1,000,000 (issue 16, "Serving at 10 M as at 100 k").

Starts ``igsn-graph serve`` on a free loopback port over --data as an operator does, with
``IGSN_GRAPH_AUTO_RESTAMP=false``; loads nothing and refuses a folder whose start would write more than two meta
rows (a migration, a journal to redo, embargoes due, harvest sources). Then ``wrk`` (``testkit.harness``), every
request drawn at random over the whole set (IGSNs read from the folder's catalogue, a fresh draw for each row and
repetition, never a hot set), rows interleaved --repeat times:

* resolver: GET /{IGSN} as Turtle;
* OAI-PMH GetRecord (oai_dc) of random IGSNs; ListRecords (oai_dc) first pages of random windows (``from`` and
  ``until`` drawn over the datestamps, in a random set or none); resumption-token pages (tokens collected first
  with httpx from other random windows);
* search: /api/v1/search, a row for each kind of query drawn from the data: a word of a description, an agent, a
  material, a box around a location, no condition (each with the facet counts a search answers by default); and the
  HTML page /search of a word (the same query, with a map of the page's hits);
* SPARQL: ``bench/sparql.py``'s point lookup of a random IGSN, POSTed as application/sparql-query, over as many
  connections as one client may have queries (``IGSN_GRAPH_SPARQL_PER_CLIENT``; more are answered 429).

Prints one table (req/s min–max, p50 and p99 medians with their range, requests failed: past --timeout, socket
errors, answers outside 2xx/3xx — a slow surface at scale is a figure, not an abort), the folder's disk use per sample,
the server's VmRSS and VmHWM after the run (and its SPARQL workers'), the load average before and after, and
whether the registry database's content (``serving_draws.fingerprint``) is the same after the run as before.

    python bench/serving.py --data DIR [--seconds 10] [--repeat 3] [--connections 16] [--tokens 200] [--timeout 30]
                            [--only search]  (rows whose label starts with a word: here the search rows alone)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.resolve import start  # noqa: E402
from bench.serving_draws import (  # noqa: E402
    SEARCH_KINDS,
    Folder,
    disk_usage,
    fingerprint,
    get_record_paths,
    list_records_paths,
    search_paths,
    start_writes,
)
from bench.sparql import point_query  # noqa: E402
from igsn_graph.settings import Settings  # noqa: E402
from igsn_graph.xmlparser import parse_xml  # noqa: E402
from testkit.harness import (  # noqa: E402
    WrkResult,
    free_port,
    run_wrk,
    stop_server,
    write_posts,
    write_requests,
)

OAI = "{http://www.openarchives.org/OAI/2.0/}"

#: a row: label → (draws its request file for one repetition, runs wrk on it)
Row = tuple[Callable[[int], Path], Callable[[Path], WrkResult]]


def sparql_posts(path: Path, igsns: list[str]) -> Path:
    headers = [("Content-Type", "application/sparql-query"), ("Accept", "application/sparql-results+json")]
    return write_posts(path, [("/sparql", point_query(n), headers) for n in igsns])


def collect_tokens(base: str, paths: list[str], want: int) -> list[str]:
    """Resumption tokens of real ListRecords first pages (4 at a time), until ``want`` are had or the windows run
    out (a window of one page has none)."""

    def token(path: str) -> str | None:
        r = httpx.get(base + path, timeout=120)
        r.raise_for_status()
        found = parse_xml(r.content).find(f".//{OAI}resumptionToken")
        return found.text if found is not None and found.text else None

    tokens: list[str] = []
    with ThreadPoolExecutor(4) as pool:
        for i in range(0, len(paths), 16):
            tokens += [t for t in pool.map(token, paths[i : i + 16]) if t]
            if len(tokens) >= want:
                break
    return tokens[:want]


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in kB (/proc, Linux)."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def children(pid: int) -> list[int]:
    """The processes ``pid`` started that still run (its SPARQL workers): the children of each of its threads."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(p) for p in task.read_text().split()]
        except OSError:
            pass
    return found


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="a completed data folder (nothing is written)")
    parser.add_argument("--seconds", type=float, default=10.0, help="wrk duration of each row")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved repetitions of every row")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before wrk counts a request failed")
    parser.add_argument("--keys", type=int, default=10_000, help="random requests in each row's request file")
    parser.add_argument("--tokens", type=int, default=200, help="resumption tokens collected for their row")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--only", help="only the rows whose label starts with this (resolver, OAI, search, SPARQL)")
    args = parser.parse_args()
    data = args.data.resolve()
    refusals = start_writes(data)
    if refusals:
        raise SystemExit(f"{data}: a server's start would write to it:\n  " + "\n  ".join(refusals))
    print(f"load average before: {load()}", flush=True)
    before = fingerprint(data)
    for key, what in (
        ("projection_fingerprint", "the server's start records the restamp fingerprint"),
        ("oai_token_secret", "the first resumption token stores the token secret"),
    ):
        if f"meta {key}" not in before:
            print(f"note: {what} (one meta row, {key}): a first start of this folder", flush=True)
    size = disk_usage(data)
    folder = Folder.open(data)
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="serving-bench-"))
    print(f"{data}: {len(folder.igsns)} public samples", flush=True)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "IGSN_GRAPH_DATA": str(data),
        "IGSN_GRAPH_PUBLIC_URL": base + "/",
        "IGSN_GRAPH_AUTO_RESTAMP": "false",
        "PYTHONPATH": str(ROOT),
    }
    started = time.monotonic()
    server = start(
        [sys.executable, "-m", "igsn_graph.cli", "serve", "--data", str(data), "--port", str(port)], env, base
    )
    print(f"server up after {time.monotonic() - started:.1f} s", flush=True)
    try:
        at_start = fingerprint(data)
        t = time.monotonic()
        tokens: list[str] = []
        if not args.only or "OAI".startswith(args.only) or args.only.startswith("OAI"):
            windows = list_records_paths(folder, rng, folder.draw(rng, 4 * args.tokens))
            tokens = collect_tokens(base, windows, args.tokens)
            print(f"{len(tokens)} resumption tokens collected in {time.monotonic() - t:.1f} s", flush=True)
            if not tokens:
                raise SystemExit("no ListRecords window had a second page: no token row")

        def gets(name: str, paths: Callable[[list[str]], list[str]], headers: list[tuple[str, str]]) -> Row:
            def draw(rep: int) -> Path:
                file = work / f"{name}-{rep}.txt"
                return write_requests(file, [(p, headers) for p in paths(folder.draw(rng, args.keys))])

            return draw, lambda f: run_wrk(
                base,
                f,
                seconds=args.seconds,
                connections=args.connections,
                threads=args.threads,
                timeout_s=args.timeout,
            )

        def posts(rep: int) -> Path:
            return sparql_posts(work / f"sparql-{rep}.txt", folder.draw(rng, args.keys))

        # one client gets this many SPARQL queries at once (more are answered 429): the row uses as many connections
        sparql_connections = min(args.connections, Settings.from_env(env, data_dir=data).sparql_per_client)
        xml = [("Accept", "text/xml")]
        token_paths = ["/oai?" + urlencode({"verb": "ListRecords", "resumptionToken": t}) for t in tokens]
        rows: dict[str, Row] = {
            "resolver Turtle": gets("ttl", lambda ns: ["/" + n for n in ns], [("Accept", "text/turtle")]),
            "OAI GetRecord": gets("getrecord", lambda ns: get_record_paths(folder, ns), xml),
            "OAI ListRecords 1st": gets("window", lambda ns: list_records_paths(folder, rng, ns), xml),
            "OAI token page": gets("token", lambda _: rng.sample(token_paths, len(token_paths)), xml),
            **{
                f"search {kind}": gets(
                    f"search-{kind}", partial(search_paths, folder, rng, kind=kind), [("Accept", "application/json")]
                )
                for kind in SEARCH_KINDS
            },
            "search page (HTML)": gets(
                "search-page",
                lambda ns: [
                    "/search" + p.removeprefix("/api/v1/search") for p in search_paths(folder, rng, ns, "text")
                ],
                [("Accept", "text/html")],
            ),
            "SPARQL point": (
                posts,
                lambda f: run_wrk(
                    base,
                    f,
                    seconds=args.seconds,
                    connections=sparql_connections,
                    threads=1,
                    timeout_s=args.timeout,
                ),
            ),
        }
        if args.only:
            rows = {label: row for label, row in rows.items() if label.startswith(args.only)}
            if not rows:
                raise SystemExit(f"no row's label starts with {args.only!r}")
        results: dict[str, list[WrkResult]] = {label: [] for label in rows}
        for rep in range(args.repeat):
            for label, (draw, run) in rows.items():
                r = run(draw(rep))
                results[label].append(r)
                # a slow surface at scale is a finding, not a failure: its timeouts and refusals are counted
                bad = r.errors or r.status_errors
                note = f"  {r.errors} timeouts/socket errors, {r.status_errors} not 2xx/3xx" if bad else ""
                print(
                    f"  rep {rep + 1} {label:20} {r.rps:8.0f} req/s  p50 {r.p50_ms:7.2f}  p99 {r.p99_ms:7.2f} ms{note}"
                )
        rss = memory(server.pid)
        workers = [memory(p) for p in children(server.pid)]
    finally:
        stop_server(server)
        folder.close()
    after = fingerprint(data)
    total, samples = sum(size.values()), int(before["catalogue"][0])  # type: ignore[index]
    print(
        f"\n{data}: {samples} samples, {len(folder.igsns)} public; wrk {args.threads} threads, "
        f"{args.connections} connections, {args.seconds:.0f} s per row, {args.repeat} interleaved repetitions; "
        f"{os.cpu_count()} CPUs; SPARQL {sparql_connections} connections (one client's limit)"
    )
    print(f"{'':20} {'req/s (min–max)':>17} {'p50 ms':>8} {'p99 ms (min–max)':>24} {'failed':>7}")
    for label, runs in results.items():
        rps, p99 = [r.rps for r in runs], [r.p99_ms for r in runs]
        failed = sum(r.errors + r.status_errors for r in runs)
        print(
            f"{label:20} {min(rps):8.0f}–{max(rps):<8.0f} {statistics.median(r.p50_ms for r in runs):8.2f} "
            f"{statistics.median(p99):8.2f} ({min(p99):.2f}–{max(p99):.2f}) {failed:7d}"
        )
    print(f"failed: timeouts ({args.timeout:g} s), socket errors and answers outside 2xx/3xx, all repetitions")
    parts = ", ".join(f"{k} {v / 2**20:.0f} MiB" for k, v in size.items() if v)
    print(f"disk before the run: {total / 2**30:.2f} GiB, {total / samples / 1024:.1f} KiB per sample ({parts})")
    grown = sum(disk_usage(data).values()) - total
    print(f"  after the run: {grown / 2**20:+.0f} MiB (caches the requests filled)")
    print(f"server RSS after the run: VmRSS {rss['VmRSS'] / 1024:.0f} MiB, VmHWM {rss['VmHWM'] / 1024:.0f} MiB")
    if workers:
        print(
            f"  its {len(workers)} SPARQL workers: VmRSS {sum(w['VmRSS'] for w in workers) / 1024:.0f} MiB in all, "
            f"VmHWM {max(w['VmHWM'] for w in workers) / 1024:.0f} MiB the largest"
        )
    print(f"load average after: {load()}")
    for label, state in (("the server's start", at_start), ("the run", after)):
        changed = sorted(k for k in before.keys() | state.keys() if before.get(k) != state.get(k))
        print(f"registry content after {label}: " + ("unchanged" if not changed else "CHANGED " + ", ".join(changed)))


if __name__ == "__main__":
    main()
