"""Registration latency and throughput: single-record ``POST /metadata`` measured by ``wrk``, beside a hello-world POST.

Our server (``igsn-graph serve``) and the peer (the smallest FastAPI app answering a POST, same uvicorn
settings) run in their own processes over loopback. wrk's Lua builds every request: a registration-kernel
document of a new IGSN (a counter per wrk thread, a prefix per row), HTTP Basic, kept-alive connections.
Rows (ours and hello at each connection count) are interleaved, --repeat times, so a change of the
machine's load touches every row alike. Then the throughput (records/s) of ``POST /api/v1/samples/bulk``
with one request of N new records (CSIRO v3 XML and Turtle). ``--core`` first runs single-record writes
through ``Registry.register`` in this process (no HTTP), and prints how the group commit grouped them.

    python bench/register.py [--seconds 5] [--connections 1 16] [--repeat 3] [--bulk 1000 10000] [--core]
                             [--data DIR]

With --data the writes go into that registry as it is (e.g. 100,000 or 1,000,000 demo samples: issue 22 asks
for both sizes), the bench's agent and client added to it once; the new names carry this run's tag, so every
request registers a new sample however often the bench has run there. Without it, into an empty one.

Targets (issue 22): one client p50 <= 5 ms; 16 clients p99 <= 25 ms and >= 1,000 writes/s.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from lxml import etree
from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, serialize

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from igsn_graph.formats.kernels import read_xml  # noqa: E402
from igsn_graph.registry.accounts import Principal  # noqa: E402
from igsn_graph.registry.service import Registry, Submission, init_data_dir  # noqa: E402
from igsn_graph.settings import Settings  # noqa: E402
from testkit.harness import WRK_DONE_LUA, WrkResult, free_port, percentile, run_wrk_script, stop_server  # noqa: E402

__all__ = ["WRK_LUA", "add_bench_accounts", "main", "run_wrk_posts"]

USER, PASSWORD = "BENCH.ONE", "bench-secret-1"
CSIRO_NS = "https://igsn.csiro.au/schemas/3.0"
IGSN = NamedNode("https://w3id.org/igsn-graph/ontology#igsn")
TITLE = NamedNode("http://purl.org/dc/terms/title")


def document(igsn: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<sample xmlns="http://igsn.org/schema/kernel-v.1.0">'
        f'<sampleNumber identifierType="igsn">10273/{igsn}</sampleNumber>'
        "<registrant><registrantName>Bench Mark</registrantName></registrant>"
        '<relatedResourceIdentifiers><relatedIdentifier relatedIdentifierType="doi" relationType="IsCitedBy">'
        "10.5072/PAPER1</relatedIdentifier></relatedResourceIdentifiers>"
        '<log><logElement event="submitted" timeStamp="2020-01-01T10:00:00"/></log></sample>'
    ).encode()


def prepare(data_dir: Path) -> None:
    settings = Settings(data_dir=data_dir)
    init_data_dir(settings, repository_id="bench.igsn-graph.org")
    with Registry(settings) as registry:
        add_bench_accounts(registry)


def add_bench_accounts(registry: Registry) -> None:
    """The agent and the client (USER, namespace BNA) whose registrations ``WRK_LUA`` sends, unless the registry
    has them; bench/sparql.py's --saturation adds them to its demo data."""
    if any(agent.symbol == "BENCH" for agent in registry.accounts.agents()):
        return
    registry.add_agent("BENCH", name="Bench Agent", password="bench-agent-secret", namespaces=["BN"])
    registry.add_client(USER, name="Bench Client", password=PASSWORD, namespaces=["BNA"], domains=["example.org"])


def base36(n: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return (base36(n // 36) if n >= 36 else "") + digits[n % 36]


def in_threads(worker: Callable[[int], None], concurrency: int) -> float:
    """Runs ``worker(0..concurrency-1)`` in threads; the wall time (s) until all are done."""
    threads = [threading.Thread(target=worker, args=(w,)) for w in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


#: the peer: the smallest FastAPI app taking a POST body, served by uvicorn with our server's settings
HELLO = """
import sys, uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from igsn_graph.cli import server_options
from igsn_graph.settings import Settings
app = FastAPI()
@app.get("/health")
def health() -> PlainTextResponse:
    return PlainTextResponse("ok")
@app.post("/metadata", status_code=201)
async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("OK (" + str(len(await request.body())) + ")", status_code=201)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), **server_options(Settings.from_env(), http=sys.argv[2]))
"""

#: wrk's Lua: every request a registration kernel of a new name, BNA<row prefix><thread id><counter>;
#: ``done`` prints the totals and latency percentiles as one JSON line (``testkit.harness.run_wrk``'s form)
WRK_LUA = (
    r"""
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end
function init(args)
  prefix = args[1]
  auth = args[2]
  sent = 0
end
function request()
  sent = sent + 1
  local name = string.format("BNA%s%02d%07d", prefix, id, sent)
  local body = '<?xml version="1.0" encoding="UTF-8"?>\n<sample xmlns="http://igsn.org/schema/kernel-v.1.0">'
    .. '<sampleNumber identifierType="igsn">10273/' .. name .. '</sampleNumber>'
    .. '<registrant><registrantName>Bench Mark</registrantName></registrant>'
    .. '<relatedResourceIdentifiers><relatedIdentifier relatedIdentifierType="doi" relationType="IsCitedBy">'
    .. '10.5072/PAPER1</relatedIdentifier></relatedResourceIdentifiers>'
    .. '<log><logElement event="submitted" timeStamp="2020-01-01T10:00:00"/></log></sample>'
  return wrk.format("POST", "/metadata", {["Content-Type"] = "application/xml", ["Authorization"] = auth}, body)
end
"""
    + WRK_DONE_LUA
)


def start(cmd: list[str], env: dict[str, str], base: str) -> subprocess.Popen[bytes]:
    """Runs ``cmd`` until ``base``/health answers."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"{cmd} exited")
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{cmd} did not start")


def run_wrk_posts(base: str, script: Path, prefix: str, *, seconds: float, connections: int) -> WrkResult:
    """wrk POSTing new registrations to ``base``/metadata; one wrk thread per 8 connections (at least one)."""
    auth = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return run_wrk_script(
        base, script, [prefix, auth], seconds=seconds, connections=connections, threads=max(1, min(2, connections // 8))
    )


def run_core(registry: Registry, prefix: str, requests: int, concurrency: int) -> tuple[list[float], float]:
    """Latencies (s) of ``requests`` single-record ``Registry.register`` calls from ``concurrency`` threads."""
    who = Principal("client", USER, USER.split(".")[0])
    latencies: list[float] = []
    lock = threading.Lock()
    per_worker = max(1, requests // concurrency)
    barrier = threading.Barrier(concurrency)

    def worker(w: int) -> None:
        mine: list[float] = []
        barrier.wait()
        for i in range(per_worker):
            data = document(f"BNA{prefix}{w:02d}{i:05d}")
            parsed = read_xml(data)
            t0 = time.perf_counter()
            registry.register(who, [Submission(parsed.records[0], parsed.format.name, data)])
            mine.append(time.perf_counter() - t0)
        with lock:
            latencies.extend(mine)

    return latencies, in_threads(worker, concurrency)


def core(data_dir: Path, requests: int, levels: list[int], tag: str = "") -> None:
    with Registry(Settings(data_dir=data_dir)) as registry:
        run_core(registry, f"{tag}CW", 20, 1)  # warm-up: shapes loaded, caches filled
        print("Registry.register in process (no HTTP), registration kernel, new IGSN per call")
        print(
            f"{'threads':>7} {'calls':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} {'calls/s':>8} "
            f"{'groups':>7} {'per group':>9}"
        )
        for level, concurrency in enumerate(levels):
            before = (registry.stats.batches, registry.stats.requests)
            latencies, wall = run_core(registry, f"{tag}C{chr(ord('A') + level)}", requests, concurrency)
            groups = registry.stats.batches - before[0]
            ms = [x * 1000 for x in latencies]
            print(
                f"{concurrency:>7} {len(ms):>8} {statistics.median(ms):>8.1f} {percentile(ms, 90):>8.1f} "
                f"{percentile(ms, 99):>8.1f} {max(ms):>8.1f} {len(ms) / wall:>8.0f} {groups:>7} "
                f"{(registry.stats.requests - before[1]) / max(1, groups):>9.1f}"
            )
    print()


def bulk_document(kind: str, prefix: str, count: int) -> tuple[bytes, str]:
    """One document of ``count`` new records, and its media type."""
    names = [f"BNA{prefix}{i:06d}" for i in range(count)]
    if kind == "xml":
        root = etree.Element(f"{{{CSIRO_NS}}}resources", nsmap={None: CSIRO_NS})
        for name in names:
            res = etree.SubElement(
                root,
                f"{{{CSIRO_NS}}}resource",
                registeredObjectType="http://pid.geoscience.gov.au/def/voc/igsn-codelists/PhysicalSample",
            )
            for tag, text in (
                ("resourceIdentifier", name),
                ("landingPage", f"https://example.org/{name}"),
                ("isPublic", "true"),
                ("resourceTitle", f"Sample {name}"),
            ):
                etree.SubElement(res, f"{{{CSIRO_NS}}}{tag}").text = text
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8"), "application/xml"
    triples = [
        Triple(NamedNode(f"https://igsn.org/{n}"), p, Literal(v))
        for n in names
        for p, v in ((IGSN, n), (TITLE, f"Sample {n}"))
    ]
    return serialize(triples, format=RdfFormat.TURTLE) or b"", "text/turtle"


def run_bulk(base: str, kind: str, prefix: str, count: int) -> tuple[float, int]:
    """Wall time of one bulk request of ``count`` records, and how many were stored."""
    data, media_type = bulk_document(kind, prefix, count)
    with httpx.Client(base_url=base, auth=(USER, PASSWORD), timeout=3600) as client:
        start = time.perf_counter()
        r = client.post("/api/v1/samples/bulk", content=data, headers={"Content-Type": media_type})
        wall = time.perf_counter() - start
    if r.status_code != 200:
        raise RuntimeError(f"bulk request failed: {r.status_code} {r.text[:300]}")
    return wall, int(r.json()["counts"]["stored"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="wrk duration of each row")
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--repeat", type=int, default=3, help="interleaved repetitions of every row")
    parser.add_argument("--http", default="httptools", help="uvicorn HTTP protocol, for both servers")
    parser.add_argument("--bulk", type=int, nargs="*", default=[1000, 10000], help="records per bulk request")
    parser.add_argument("--core", action="store_true", help="also time Registry.register in process first")
    parser.add_argument("--requests", type=int, default=300, help="calls per thread count of --core")
    parser.add_argument("--data", type=Path, default=None, help="write into this registry (default: a new one)")
    args = parser.parse_args()
    # a tag of this run in every new name, so that writes into a kept registry are always new samples
    tag = base36(int(time.time()) % 36**4).rjust(4, "0") if args.data else ""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data_dir = args.data or work / "data"
        if args.data:
            with Registry(Settings(data_dir=data_dir)) as registry:
                add_bench_accounts(registry)
                size = int(registry.db.read().execute("SELECT count(*) FROM catalogue").fetchone()[0])
            print(f"writing into {data_dir}: {size:,} samples in its catalogue")
        else:
            prepare(data_dir)
        if args.core:
            core(data_dir, args.requests, args.connections, tag)
        ours_base, hello_base = f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"
        env = {**os.environ, "IGSN_GRAPH_DATA": str(data_dir), "PYTHONPATH": str(ROOT), "IGSN_GRAPH_AUTO_RESTAMP": "0"}
        serve = [sys.executable, "-m", "igsn_graph.cli", "serve", "--data", str(data_dir), "--http", args.http]
        ours = start(
            [*serve, "--port", ours_base.rsplit(":", 1)[1]],
            {**env, "IGSN_GRAPH_PUBLIC_URL": ours_base + "/"},
            ours_base,
        )
        hello = start([sys.executable, "-c", HELLO, hello_base.rsplit(":", 1)[1], args.http], env, hello_base)
        script = work / "register.lua"
        script.write_text(WRK_LUA, encoding="utf-8")
        results: dict[tuple[str, int], list[WrkResult]] = {}
        try:
            # warm-up: the first validation loads the shapes, the first login pays one scrypt
            run_wrk_posts(ours_base, script, f"{tag}W", seconds=1, connections=1)
            for rep in range(args.repeat):
                for c in args.connections:
                    for label, base in (("POST /metadata", ours_base), ("hello world", hello_base)):
                        r = run_wrk_posts(base, script, f"{tag}{rep}{c:02d}", seconds=args.seconds, connections=c)
                        if r.errors or r.status_errors:
                            raise RuntimeError(f"{label}, {c} connections: {r}")
                        results.setdefault((label, c), []).append(r)
            if args.bulk:
                print("POST /api/v1/samples/bulk, one request of new records (batches of the server's batch size)")
                print(f"{'format':>7} {'records':>8} {'stored':>8} {'seconds':>8} {'records/s':>10}")
                for level, count in enumerate(args.bulk):
                    for kind in ("xml", "turtle"):
                        wall, stored = run_bulk(ours_base, kind, f"{tag}{kind[0].upper()}{level}", count)
                        print(f"{kind:>7} {count:>8} {stored:>8} {wall:>8.1f} {count / wall:>10.0f}")
                print()
        finally:
            for proc in (ours, hello):
                stop_server(proc)
    print(
        f"POST /metadata, registration kernel, new IGSN per request; {args.http}; wrk {args.seconds:g} s per row, "
        f"{args.repeat} interleaved repetitions; load {os.getloadavg()[0]:.2f}"
    )
    print(f"{'':16} {'conns':>5} {'req/s (min–max)':>17} {'p50 ms':>13} {'p99 ms (min–max)':>18} {'× hello':>12}")
    for (label, c), runs in results.items():
        hello_runs = results[("hello world", c)]
        ratios = [r.rps / h.rps for r, h in zip(runs, hello_runs, strict=True)]
        print(
            f"{label:16} {c:>5} {min(r.rps for r in runs):>8.0f}–{max(r.rps for r in runs):<8.0f} "
            f"{statistics.median(r.p50_ms for r in runs):>13.1f} "
            f"{min(r.p99_ms for r in runs):>9.1f}–{max(r.p99_ms for r in runs):<8.1f} "
            f"{min(ratios):>5.2f}–{max(ratios):<5.2f}"
        )
    print("targets (issue 22): 1 connection p50 <= 5 ms; 16 connections p99 <= 25 ms, >= 1,000 writes/s")


if __name__ == "__main__":
    main()
