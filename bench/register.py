"""Registration latency: single-record ``POST /metadata`` against a real uvicorn on loopback; bulk throughput.

The server runs in its own process (so the load generator does not share its GIL) over a fresh data
folder; each request registers a new IGSN with a registration-kernel document, authenticated with HTTP
Basic on a kept-alive connection. Prints p50/p90/p99/max latency and throughput per concurrency level,
then the throughput (records/s) of ``POST /api/v1/samples/bulk`` with one request of N new records
(CSIRO v3 XML and Turtle). ``--core`` first runs the same single-record writes through
``Registry.register`` in this process (no HTTP), and prints how the group commit grouped them.

    python bench/register.py [--requests 300] [--concurrency 1 16] [--bulk 1000 10000] [--core]
"""

from __future__ import annotations

import argparse
import socket
import statistics
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
from testkit.harness import percentile, start_server, stop_server  # noqa: E402

__all__ = ["main"]

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
        registry.add_agent("BENCH", name="Bench Agent", password="bench-agent-secret", namespaces=["BN"])
        registry.add_client(USER, name="Bench Client", password=PASSWORD, namespaces=["BNA"], domains=["example.org"])


def in_threads(worker: Callable[[int], None], concurrency: int) -> float:
    """Runs ``worker(0..concurrency-1)`` in threads; the wall time (s) until all are done."""
    threads = [threading.Thread(target=worker, args=(w,)) for w in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def run(base: str, prefix: str, requests: int, concurrency: int) -> tuple[list[float], float]:
    """Latencies (s) of ``requests`` POSTs spread over ``concurrency`` threads, and the wall time."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    per_worker = max(1, requests // concurrency)
    barrier = threading.Barrier(concurrency)

    def worker(w: int) -> None:
        mine: list[float] = []
        # TCP_NODELAY: httpx writes headers and body separately; with Nagle the body waits for the
        # server's delayed ACK (~40 ms on Linux), which would be measured as server latency
        transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
        with httpx.Client(
            base_url=base,
            auth=(USER, PASSWORD),
            timeout=60,
            transport=transport,
            headers={"Content-Type": "application/xml"},
        ) as client:
            client.get("/metadata")  # connect and warm the credential cache outside the measurement
            barrier.wait()
            for i in range(per_worker):
                data = document(f"BNA{prefix}{w:02d}{i:05d}")
                t0 = time.perf_counter()
                r = client.post("/metadata", content=data)
                mine.append(time.perf_counter() - t0)
                if r.status_code != 201:
                    with lock:
                        errors.append(f"{r.status_code} {r.text}")
        with lock:
            latencies.extend(mine)

    wall = in_threads(worker, concurrency)
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed, e.g. {errors[0]}")
    return latencies, wall


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


def core(data_dir: Path, requests: int, levels: list[int]) -> None:
    with Registry(Settings(data_dir=data_dir)) as registry:
        run_core(registry, "CW", 20, 1)  # warm-up: shapes loaded, caches filled
        print("Registry.register in process (no HTTP), registration kernel, new IGSN per call")
        print(
            f"{'threads':>7} {'calls':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} {'calls/s':>8} "
            f"{'groups':>7} {'per group':>9}"
        )
        for level, concurrency in enumerate(levels):
            before = (registry.stats.batches, registry.stats.requests)
            latencies, wall = run_core(registry, f"C{chr(ord('A') + level)}", requests, concurrency)
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per concurrency level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--bulk", type=int, nargs="*", default=[1000, 10000], help="records per bulk request")
    parser.add_argument("--core", action="store_true", help="also time Registry.register in process first")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        prepare(data_dir)
        if args.core:
            core(data_dir, args.requests, args.concurrency)
        proc, base = start_server(data_dir)
        try:
            # warm-up: first validation loads the shapes, first login pays one scrypt
            run(base, "W", 20, 1)
            print(f"POST /metadata, registration kernel, new IGSN per request, server {base}")
            print(
                f"{'clients':>7} {'requests':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} {'req/s':>8}"
            )
            for level, concurrency in enumerate(args.concurrency):
                latencies, wall = run(base, chr(ord("A") + level), args.requests, concurrency)
                ms = [x * 1000 for x in latencies]
                print(
                    f"{concurrency:>7} {len(ms):>8} {statistics.median(ms):>8.1f} {percentile(ms, 90):>8.1f} "
                    f"{percentile(ms, 99):>8.1f} {max(ms):>8.1f} {len(ms) / wall:>8.0f}"
                )
            if args.bulk:
                print("\nPOST /api/v1/samples/bulk, one request of new records (batches of the server's batch size)")
                print(f"{'format':>7} {'records':>8} {'stored':>8} {'seconds':>8} {'records/s':>10}")
                for level, count in enumerate(args.bulk):
                    for kind in ("xml", "turtle"):
                        wall, stored = run_bulk(base, kind, f"{kind[0].upper()}{level}", count)
                        print(f"{kind:>7} {count:>8} {stored:>8} {wall:>8.1f} {count / wall:>10.0f}")
        finally:
            stop_server(proc)


if __name__ == "__main__":
    main()
