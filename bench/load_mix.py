"""Mixed load on loopback against the real server over a demo store, then the starvation check.

Phase 1 — ``--clients`` concurrent clients for ``--seconds``: registrations, metadata updates, resolver reads
in several media types, OAI-PMH pages, SPARQL queries and searches, while one harvester walks the whole
catalogue. Printed: throughput and p50/p99 per operation, 5xx count, lost or mixed-up updates (each client
reads back what it wrote), and records the harvest missed although their datestamp did not change.

Phase 2 — resolver reads alone, then with a pathological SPARQL query and a pathological search running
beside them: p99 of the reads in both cases.

``--login-flood`` runs only phase 3 — resolver reads alone, then beside a flood of failed logins
(``--flood-rate`` a second, open loop, at most ``--flooders`` unanswered) with random account names, each from
an address of its own (``X-Forwarded-For`` behind one trusted proxy hop: only the global bucket holds them
back), while one client keeps registering: p99 of the reads in both cases (wanted: within 2x), of the
registrations, and the flood's answers (401: hashed, 429: refused before hashing).

``--nodes N`` (issue 20) runs phase 1 against one node and then against N nodes, in the same run, over one
throwaway PostgreSQL (``testkit.postgres``) and one ``oxigraph serve`` holding a fresh demo set of ``--size``:
each ``igsn-graph serve`` node in a folder of its own, configured by environment (``testkit.cluster``), the
clients spread over the nodes, the writes checked from the last node; then both runs side by side (requests/s and
p99 per operation). The load generator is one asyncio process: its CPU share is printed, to show whether it (not
the nodes) was the limit.

    python bench/load_mix.py --size 100000        # builds (once) and reuses var/bench/mix-100000
    python bench/load_mix.py --size 5000 --seconds 20 --clients 16
    python bench/load_mix.py --size 5000 --login-flood --flood-rate 100
    python bench/load_mix.py --nodes 3 --size 500 --seconds 20 --clients 12
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import multiprocessing
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from igsn_graph.demo import demo_accounts  # noqa: E402
from igsn_graph.demo_load import ensure_demo  # noqa: E402
from igsn_graph.iris import Iris  # noqa: E402
from igsn_graph.settings import Settings  # noqa: E402
from testkit.cluster import node_env, start_nodes  # noqa: E402
from testkit.demo_folder import add_demo_arguments, demo_folder  # noqa: E402
from testkit.harness import (  # noqa: E402
    ROOT,
    free_port,
    oxigraph_executable,
    percentile,
    start_server,
    stop_server,
    summary,
)
from testkit.postgres import PostgresServer  # noqa: E402

OAI = "{http://www.openarchives.org/OAI/2.0/}"
MEDIA = [
    "text/turtle",
    "application/ld+json",
    "application/vnd.datacite.datacite+xml",
    "application/x-bibtex",
    "application/n-triples",
]
WORDS = ["basalt", "core", "water", "soil", "granite", "sediment", "leaf", "cruise", "rock", "sample"]
PATHOLOGICAL_SPARQL = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i"
PATHOLOGICAL_SEARCH = {"q": " ".join(f"{c}*" for c in "aeiou"), "facets": "true", "limit": "100"}


def kernel(name: str, marker: str) -> bytes:
    root = etree.Element(
        "{http://igsn.org/schema/kernel-v.1.0}sample", nsmap={None: "http://igsn.org/schema/kernel-v.1.0"}
    )
    etree.SubElement(
        root, "{http://igsn.org/schema/kernel-v.1.0}sampleNumber", identifierType="igsn"
    ).text = f"10273/{name}"
    reg = etree.SubElement(root, "{http://igsn.org/schema/kernel-v.1.0}registrant")
    etree.SubElement(reg, "{http://igsn.org/schema/kernel-v.1.0}registrantName").text = marker
    log = etree.SubElement(root, "{http://igsn.org/schema/kernel-v.1.0}log")
    etree.SubElement(
        log, "{http://igsn.org/schema/kernel-v.1.0}logElement", event="submitted", timeStamp="2020-01-01T10:00:00"
    )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


class Stats:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))

    def add(self, op: str, seconds: float, status: int) -> None:
        self.latency[op].append(seconds)
        self.status[op][status] += 1

    def server_errors(self) -> int:
        return sum(n for codes in self.status.values() for code, n in codes.items() if code >= 500)


async def timed(
    stats: Stats, op: str, client: httpx.AsyncClient, method: str, url: str, **kw: object
) -> httpx.Response:
    start = time.perf_counter()
    r = await client.request(method, url, **kw)  # type: ignore[arg-type]
    stats.add(op, time.perf_counter() - start, r.status_code)
    return r


async def worker(
    n: int,
    base: str,
    account: tuple[str, str, str],
    names: list[str],
    iris: Iris,
    deadline: float,
    stats: Stats,
    written: dict[str, str],
    run: str,
) -> None:
    symbol, password, namespace = account
    rng = random.Random(n)
    mine: list[str] = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as c:
        i = 0
        while time.monotonic() < deadline:
            i += 1
            roll = rng.random()
            if roll < 0.08 or (roll < 0.16 and not mine):
                name = f"{namespace}{run}{n:02d}{i:05d}"
                marker = f"client {n} write {i}"
                r = await timed(
                    stats,
                    "register",
                    c,
                    "POST",
                    "/metadata",
                    content=kernel(name, marker),
                    auth=(symbol, password),
                    headers={"Content-Type": "application/xml"},
                )
                if r.status_code == 201:
                    mine.append(name)
                    written[name] = marker
            elif roll < 0.16:
                name = rng.choice(mine)
                marker = f"client {n} update {i}"
                r = await timed(
                    stats,
                    "update",
                    c,
                    "POST",
                    "/metadata",
                    content=kernel(name, marker),
                    auth=(symbol, password),
                    headers={"Content-Type": "application/xml"},
                )
                if r.status_code == 201:
                    written[name] = marker
            elif roll < 0.60:
                media = rng.choice(MEDIA)
                await timed(stats, f"resolve {media}", c, "GET", "/" + rng.choice(names), headers={"Accept": media})
            elif roll < 0.70:
                day = f"20{rng.randint(0, 26):02d}-01-01"
                await timed(
                    stats,
                    "oai ListRecords page",
                    c,
                    "GET",
                    "/oai",
                    params={"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": day},
                )
            elif roll < 0.82:
                iri = iris.sample(rng.choice(names)).value
                query = f"SELECT ?p ?o WHERE {{ GRAPH ?g {{ <{iri}> ?p ?o }} }} LIMIT 100"
                await timed(
                    stats,
                    "sparql point",
                    c,
                    "GET",
                    "/sparql",
                    params={"query": query},
                    headers={"Accept": "application/sparql-results+json"},
                )
            else:
                await timed(
                    stats, "search", c, "GET", "/api/v1/search", params={"q": rng.choice(WORDS), "facets": "true"}
                )


async def harvest(base: str, stats: Stats | None = None) -> tuple[dict[str, str], str]:
    """identifier → datestamp of a full ListIdentifiers harvest, and the first response's date."""
    seen: dict[str, str] = {}
    params = {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}
    first_date = ""
    async with httpx.AsyncClient(base_url=base, timeout=120) as c:
        while True:
            start = time.perf_counter()
            r = await c.get("/oai", params=params)
            if stats is not None:
                stats.add("harvest page", time.perf_counter() - start, r.status_code)
            root = etree.fromstring(r.content)
            first_date = first_date or (root.findtext(f"{OAI}responseDate") or "")
            for h in root.iter(f"{OAI}header"):
                seen[h.findtext(f"{OAI}identifier") or ""] = h.findtext(f"{OAI}datestamp") or ""
            token = root.findtext(f".//{OAI}resumptionToken")
            if not token:
                return seen, first_date
            params = {"verb": "ListIdentifiers", "resumptionToken": token}


async def check_writes(base: str, accounts: list[tuple[str, str, str]], written: dict[str, str]) -> tuple[int, int]:
    """(lost, mixed up): each written IGSN must give back exactly its last acknowledged document."""
    lost = mixed = 0
    by_ns = {ns: (s, p) for s, p, ns in accounts}
    async with httpx.AsyncClient(base_url=base, timeout=60) as c:
        for name, marker in written.items():
            auth = next(v for ns, v in by_ns.items() if name.startswith(ns))
            r = await c.get(f"/metadata/10273/{name}", auth=auth)
            if r.status_code != 200:
                lost += 1
            elif etree.fromstring(r.content).findtext(".//{*}registrantName") != marker:
                mixed += 1
    return lost, mixed


async def phase_mix(
    bases: list[str], args: argparse.Namespace, names: list[str], iris: Iris, accounts: list[tuple[str, str, str]]
) -> dict[str, tuple[float, float]]:
    """The mixed load, client ``n`` on node ``n % len(bases)``; operation → (requests/s, p99 seconds)."""
    stats = Stats()
    written: dict[str, str] = {}
    run = "".join(random.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(3))
    deadline = time.monotonic() + args.seconds
    harvester = asyncio.create_task(harvest(bases[0], stats))
    started, cpu = time.monotonic(), time.process_time()
    await asyncio.gather(
        *(
            worker(n, bases[n % len(bases)], accounts[n % len(accounts)], names, iris, deadline, stats, written, run)
            for n in range(args.clients)
        )
    )
    elapsed = time.monotonic() - started
    cpu = time.process_time() - cpu
    first, first_date = await harvester
    final, _ = await harvest(bases[-1])
    unchanged = {i for i, stamp in final.items() if stamp < first_date}
    missed = unchanged - set(first)
    lost, mixed = await check_writes(bases[-1], accounts, written)
    total = sum(len(v) for v in stats.latency.values())
    on = f"{len(bases)} node(s)" if len(bases) > 1 or args.nodes else "one server"
    print(f"\n== mixed load on {on}: {args.clients} clients, {elapsed:.0f} s, store of {args.size} demo samples ==")
    print(f"throughput: {total / elapsed:.0f} requests/s ({total} requests); load generator CPU {cpu / elapsed:.0%}")
    for op in sorted(stats.latency):
        codes = ", ".join(f"{k}: {v}" for k, v in sorted(stats.status[op].items()))
        print(f"  {op:<48} {summary(stats.latency[op])}  ({len(stats.latency[op]) / elapsed:6.1f}/s)  [{codes}]")
    print(f"5xx responses: {stats.server_errors()}")
    print(f"writes acknowledged: {len(written)} IGSNs; lost: {lost}; mixed up: {mixed} (read back from {bases[-1]})")
    print(f"harvest during the load: {len(first)} headers; unchanged records missed: {len(missed)}")
    out = {op: (len(v) / elapsed, percentile(v, 99)) for op, v in stats.latency.items()}
    out["all"] = (total / elapsed, percentile([x for v in stats.latency.values() for x in v], 99))
    return out


def scale_out(args: argparse.Namespace, accounts: list[tuple[str, str, str]]) -> None:
    """Phase 1 on one node, then on ``args.nodes`` nodes, over one PostgreSQL and one engine; both side by side."""
    exe = oxigraph_executable()
    if exe is None:
        raise SystemExit("the oxigraph server (PyPI package `oxigraph`) is not installed")
    root = Path(tempfile.mkdtemp(prefix="igsn-scaleout-"))
    postgres = PostgresServer.start()
    port = free_port()
    engine = subprocess.Popen(
        [exe, "serve", "--location", str(root / "engine"), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    nodes = []
    try:
        postgres._admin("CREATE DATABASE registry")
        database, store = postgres.url("registry"), f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(store + "/query", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        settings = Settings(data_dir=root / "setup", database=database, store=store)
        start = time.monotonic()
        print(ensure_demo(settings, size=args.size), f"({time.monotonic() - start:.0f} s)")
        from igsn_graph.registry.service import Registry

        with Registry(settings) as registry:
            rows = registry.db.read().execute("SELECT igsn FROM catalogue WHERE deleted = 0 AND has_metadata = 1")
            names = [r[0] for r in rows]
            iris = registry.iris
        args.size = len(names)
        env = node_env(database, store, admin_password="", public_url="https://registry.example.org/")
        nodes = start_nodes(root, args.nodes, env)
        bases = [node.base for node in nodes]
        # every node warmed alike first (its SPARQL workers started, its caches filled), not measured
        warm = argparse.Namespace(**{**vars(args), "seconds": args.warmup})
        with contextlib.redirect_stdout(io.StringIO()):
            asyncio.run(phase_mix(bases, warm, names, iris, accounts))
        one = asyncio.run(phase_mix(bases[:1], args, names, iris, accounts))
        many = asyncio.run(phase_mix(bases, args, names, iris, accounts))
        print(f"\n== one node vs {args.nodes} nodes (one PostgreSQL, one oxigraph serve, same run) ==")
        print(
            f"  {'operation':<44} {'1 node: req/s':>14} {'p99 ms':>8}   {f'{args.nodes} nodes: req/s':>15} {'p99 ms':>8}"
        )
        for op in sorted(set(one) | set(many), key=lambda o: (o == "all", o)):
            a, b = one.get(op, (0.0, float("nan"))), many.get(op, (0.0, float("nan")))
            print(f"  {op:<44} {a[0]:14.1f} {a[1] * 1000:8.1f}   {b[0]:15.1f} {b[1] * 1000:8.1f}")
    finally:
        for node in nodes:
            node.stop()
        engine.terminate()
        engine.wait(timeout=30)
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)


async def reads_for(base: str, names: list[str], seconds: float, clients: int = 4) -> list[float]:
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def one(n: int) -> None:
        rng = random.Random(n)
        async with httpx.AsyncClient(base_url=base, timeout=60) as c:
            while time.monotonic() < deadline:
                start = time.perf_counter()
                await c.get("/" + rng.choice(names), headers={"Accept": rng.choice(MEDIA[:2])})
                latencies.append(time.perf_counter() - start)

    await asyncio.gather(*(one(n) for n in range(clients)))
    return latencies


async def phase_starvation(base: str, names: list[str], seconds: float) -> None:
    print(f"\n== starvation: resolver reads ({seconds:.0f} s each) ==")
    alone = await reads_for(base, names, seconds)
    print(f"  reads alone                                      {summary(alone)}")
    stop = asyncio.Event()
    codes: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))

    async def hammer(kind: str) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=120) as c:
            while not stop.is_set():
                if kind == "sparql":
                    r = await c.get(
                        "/sparql",
                        params={"query": PATHOLOGICAL_SPARQL},
                        headers={"Accept": "application/sparql-results+json"},
                    )
                else:
                    r = await c.get("/api/v1/search", params=PATHOLOGICAL_SEARCH)
                codes[kind][r.status_code] += 1

    hammers = [asyncio.create_task(hammer("sparql")), asyncio.create_task(hammer("search"))]
    beside = await reads_for(base, names, seconds)
    stop.set()
    await asyncio.gather(*hammers)
    print(f"  reads beside a pathological SPARQL + search      {summary(beside)}")
    for kind, by in codes.items():
        print(f"    pathological {kind}: " + ", ".join(f"{k}: {v}" for k, v in sorted(by.items())))
    print(f"  p99 ratio (beside / alone): {percentile(beside, 99) / percentile(alone, 99):.1f}x")


def _login_flood(
    base: str, rate: float, flooders: int, seconds: float, out: "multiprocessing.Queue[dict[int, int]]"
) -> None:
    """Failed logins for ``seconds``, open loop: ``rate`` a second whatever the answers, at most ``flooders``
    unanswered; random account names, each from an address of its own. Runs in a process of its own, so the
    flood's client does not slow the measured reads down. Puts the answers' status counts on ``out``."""
    codes: dict[int, int] = defaultdict(int)
    rng = random.Random(0)

    async def attempt(c: httpx.AsyncClient) -> None:
        user = "Z" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(6))
        forwarded = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        try:
            r = await c.get("/igsn", auth=(user, "guess"), headers={"X-Forwarded-For": forwarded})
            codes[r.status_code] += 1
        except httpx.HTTPError:
            codes[0] += 1

    async def run() -> None:
        outstanding: set[asyncio.Task[None]] = set()
        limits = httpx.Limits(max_connections=flooders, max_keepalive_connections=flooders)
        async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as c:
            started, sent = time.monotonic(), 0
            while time.monotonic() - started < seconds:
                for _ in range(int((time.monotonic() - started) * rate) - sent):  # those due by now
                    sent += 1
                    if len(outstanding) >= flooders:
                        codes[-1] += 1  # not sent: the cap of unanswered attempts was reached
                        continue
                    task = asyncio.create_task(attempt(c))
                    outstanding.add(task)
                    task.add_done_callback(outstanding.discard)
                await asyncio.sleep(0.01)
            for task in outstanding:
                task.cancel()
            await asyncio.gather(*outstanding, return_exceptions=True)

    asyncio.run(run())
    out.put(dict(codes))


async def phase_login_flood(
    base: str, names: list[str], seconds: float, rate: float, flooders: int, account: tuple[str, str, str]
) -> None:
    print(
        f"\n== login flood: resolver reads ({seconds:.0f} s each), failed logins at {rate:.0f}/s "
        f"(at most {flooders} unanswered) =="
    )
    alone = await reads_for(base, names, seconds)
    print(f"  reads alone                                      {summary(alone)}")
    out: multiprocessing.Queue[dict[int, int]] = multiprocessing.Queue()
    flood = multiprocessing.Process(target=_login_flood, args=(base, rate, flooders, seconds + 2, out))
    flood.start()
    stop = asyncio.Event()
    registered: list[float] = []
    registered_codes: dict[int, int] = defaultdict(int)
    symbol, password, namespace = account
    run = "".join(random.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(3))

    async def register() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=120) as c:
            i = 0
            while not stop.is_set():
                i += 1
                start = time.perf_counter()
                r = await c.post(
                    "/metadata",
                    content=kernel(f"{namespace}{run}F{i:05d}", "flood"),
                    auth=(symbol, password),
                    headers={"Content-Type": "application/xml", "X-Forwarded-For": "192.0.2.1"},
                )
                registered.append(time.perf_counter() - start)
                registered_codes[r.status_code] += 1
                await asyncio.sleep(0.05)

    await asyncio.sleep(1.0)  # the flood is under way
    registering = asyncio.create_task(register())
    beside = await reads_for(base, names, seconds)
    stop.set()
    await registering
    codes = await asyncio.to_thread(out.get)
    flood.join()
    print(f"  reads beside the login flood                     {summary(beside)}")
    print(
        f"  registrations beside the login flood             {summary(registered)}  "
        + "["
        + ", ".join(f"{k}: {v}" for k, v in sorted(registered_codes.items()))
        + "]"
    )
    print(
        "    failed logins: "
        + ", ".join(f"{k if k > 0 else 'not sent' if k else 'error'}: {v}" for k, v in sorted(codes.items()))
    )
    print(f"  p99 ratio (beside / alone): {percentile(beside, 99) / percentile(alone, 99):.1f}x")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_demo_arguments(
        p,
        size=100_000,
        size_help="demo samples in the store (built once, then reused)",
        data_help="data folder (default var/bench/mix-SIZE)",
        as_is_help="use the data folder as it is (no demo load)",
    )
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--starvation-seconds", type=float, default=15)
    p.add_argument("--login-flood", action="store_true", help="run only the login-flood phase")
    p.add_argument("--flood-rate", type=float, default=100, help="failed logins per second in the login flood")
    p.add_argument("--flooders", type=int, default=400, help="unanswered failed logins at most in the login flood")
    p.add_argument("--nodes", type=int, default=0, help="phase 1 on one node, then on this many over PostgreSQL")
    p.add_argument("--warmup", type=float, default=10, help="--nodes: seconds of load on every node first")
    args = p.parse_args()
    if args.nodes:
        _, clients = demo_accounts()
        scale_out(args, [(c.symbol, c.password, c.namespaces[0]) for c in clients])
        return
    data = demo_folder(args, default=ROOT / "var" / "bench" / f"mix-{args.size}", report=True).data_dir
    db = sqlite3.connect(data / "registry.sqlite")
    names = [r[0] for r in db.execute("SELECT igsn FROM catalogue WHERE deleted = 0 AND has_metadata = 1")]
    args.size = len(names)
    base_iri = db.execute("SELECT value FROM meta WHERE key = 'iri_base'").fetchone()[0]
    db.close()
    _, clients = demo_accounts()
    accounts = [(c.symbol, c.password, c.namespaces[0]) for c in clients]
    # a bench server's URL has a new port each run: without this it would restamp the store at start
    # one trusted proxy hop: the login flood's X-Forwarded-For makes each attempt an address of its own
    proc, base = start_server(data, env={"IGSN_GRAPH_AUTO_RESTAMP": "false", "IGSN_GRAPH_TRUSTED_PROXY_HOPS": "1"})
    try:
        if args.login_flood:
            asyncio.run(
                phase_login_flood(base, names, args.starvation_seconds, args.flood_rate, args.flooders, accounts[0])
            )
            return
        asyncio.run(phase_mix([base], args, names, Iris(base_iri), accounts))
        asyncio.run(phase_starvation(base, names, args.starvation_seconds))
    finally:
        stop_server(proc)


if __name__ == "__main__":
    main()
