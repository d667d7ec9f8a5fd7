"""The default mode of ``bench/load.py``: ``igsn-graph load`` of N generated records at scale, beside the storage
engine's own limit.

The records are the demo generator's (hierarchies, collections, relations, agents with ORCID/ROR, geometries,
dates) written as description-kernel records in OAI-PMH ListRecords pages (a saved harvest, the shape of a
migration) into a folder that is kept between runs (made once per N, not measured). The load is what `load`
does (``loader.segments`` with files read and each record derived in ``--readers`` worker processes,
``Registry.load_records`` as the administrator, batches of ``--batch``). Printed per size, in one run:

* samples/s end to end, and the peak RSS of the loading process (each size runs in a fresh process);
* CPU per sample (``getrusage``, user + system) of the loading process (the one writer) and of the reading
  process(es) apart: the writer's share is the serial part that bounds the rate;
* quads written per sample (sample graphs, provenance graphs) and disk per sample: graph store, history
  (the ``versions`` table) and the rest of SQLite (catalogue, search, relations) apart;
* raw pyoxigraph ``bulk_load`` of the same quads (the store's N-Quads dump) into an empty store: its
  samples/s and disk per sample, and the ratio of the two rates.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

from lxml import etree
from pyoxigraph import RdfFormat, Store

from igsn_graph.demo import generate_samples
from igsn_graph.demo_load import load_demo_accounts
from igsn_graph.formats import description_kernel
from igsn_graph.loader import default_readers, fewer_collections, iter_files, segments
from igsn_graph.registry.derivation import DerivationSettings
from igsn_graph.registry.service import Registry, init_data_dir
from igsn_graph.settings import Settings

OAI = "http://www.openarchives.org/OAI/2.0/"
#: records per ListRecords page (file)
PAGE = 100
T = TypeVar("T")


def documents(n: int, root: Path) -> Path:
    """The folder of N records as ListRecords pages, made once (a marker says it is complete)."""
    folder = root / f"kernel-{n}-seed7-page{PAGE}"
    if (folder / ".complete").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    page: list[bytes] = []
    pages = 0

    def flush() -> None:
        nonlocal page, pages
        sub = folder / f"{pages // 1000:04d}"
        sub.mkdir(exist_ok=True)
        (sub / f"{pages:07d}.xml").write_bytes(
            f'<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="{OAI}"><responseDate>2026-01-01T00:00:00Z'
            f'</responseDate><request verb="ListRecords" metadataPrefix="igsn_desc">https://bench.example.org/oai'
            "</request><ListRecords>".encode()
            + b"".join(page)
            + b"</ListRecords></OAI-PMH>"
        )
        pages += 1
        page = []

    for s in generate_samples(n, seed=7):
        payload = etree.tostring(description_kernel.write(replace(s.record, landing_page=s.landing_url)))
        page.append(
            f"<record><header><identifier>oai:bench.example.org:{s.record.igsn}</identifier><datestamp>"
            f"2026-01-01T00:00:00Z</datestamp></header><metadata>".encode()
            + payload
            + b"</metadata></record>"
        )
        if len(page) == PAGE:
            flush()
    if page:
        flush()
    (folder / ".complete").write_text(f"{n}\n")
    print(f"wrote {n:,} records in {pages:,} pages in {time.perf_counter() - start:.0f} s (not measured)")
    return folder


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _sqlite_split(path: Path) -> tuple[int, int]:
    """(history, the rest) in bytes: the pages of the ``versions`` table and its index, and all other pages."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall()
    finally:
        conn.close()
    history = sum(size for name, size in rows if name == "versions" or name.startswith("sqlite_autoindex_versions"))
    return history, sum(size for _, size in rows) - history


def _peak_rss_mib() -> float:
    """This process's peak RSS (VmHWM: of its own image; getrusage's maximum survives fork and exec, so a
    spawned process would report at least its parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class ScaleResult:
    n: int
    stored: int
    seconds: float
    rss_mib: float
    quads: int
    provenance_quads: int
    graph_bytes: int
    history_bytes: int
    index_bytes: int
    raw_seconds: float
    raw_bytes: int
    raw_rss_mib: float
    #: CPU seconds (user + system) of the loading process and of its reading processes during the load
    load_cpu: float = 0.0
    read_cpu: float = 0.0


def run(n: int, batch: int, docs_root: Path, readers: int | None = None) -> ScaleResult:
    folder = documents(n, docs_root)
    files = list(iter_files([folder]))
    with tempfile.TemporaryDirectory(dir=docs_root) as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", batch_size=batch)
        init_data_dir(settings)
        with Registry(settings) as registry:
            load_demo_accounts(registry)
            problems: list[str] = []
            stored = refused = 0
            cpu0, read0 = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            last = start
            with fewer_collections():  # as `igsn-graph load`
                for segment in segments(
                    files,
                    max_bytes=settings.max_body_bytes,
                    on_problem=lambda p, r: problems.append(f"{p}: {r}"),
                    read_ahead=True,
                    derive=DerivationSettings.of(registry),
                    readers=readers or default_readers(),
                ):
                    for outcomes in registry.load_records(segment):
                        stored += sum(o.ok for o in outcomes)
                        refused += sum(not o.ok for o in outcomes)
                        if time.perf_counter() - last > 10:
                            last = time.perf_counter()
                            print(f"  {stored:>10,} stored  {stored / (last - start):8,.0f}/s", file=sys.stderr)
            seconds = time.perf_counter() - start
            # the reading processes are joined once the last segment is taken: their CPU is counted by now
            load_cpu, read_cpu = _cpu(resource.RUSAGE_SELF) - cpu0, _cpu(resource.RUSAGE_CHILDREN) - read0
            rss = _peak_rss_mib()  # before the dump below
            if problems or refused:
                print(f"  {len(problems)} files unreadable, {refused} records refused: {problems[:3]}", file=sys.stderr)
            registry.store.flush()
            provenance = registry.iris.base + "provenance/"
            dump = Path(tmp) / "all.nq"
            with dump.open("wb") as out:
                registry.store.raw.dump(out, RdfFormat.N_QUADS)  # type: ignore[attr-defined]  # embedded store
        graph_bytes = _size(settings.data_dir / "graph")
        history_bytes, index_bytes = _sqlite_split(settings.data_dir / "registry.sqlite")
        with dump.open("rb") as f:
            quads = sum(1 for _ in f)
        # the storage limit: the same quads bulk-loaded into an empty store (in a process of its own, so that
        # its memory is not counted as the loader's)
        raw_dir = Path(tmp) / "raw"
        raw_seconds, raw_rss = _in_process(_raw_bulk_load, str(dump), str(raw_dir))
        raw_bytes = _size(raw_dir)
        prov_quads = _provenance_quads(dump, provenance)
    return ScaleResult(
        n,
        stored,
        seconds,
        rss,
        quads,
        prov_quads,
        graph_bytes,
        history_bytes,
        index_bytes,
        raw_seconds,
        raw_bytes,
        raw_rss,
        load_cpu,
        read_cpu,
    )


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _call(conn: Connection, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    conn.send(fn(*args))
    conn.close()


def _in_process(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in a fresh process (not a daemon: it may start its own), for a peak RSS of its own."""
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_call, args=(send, fn, args))
    proc.start()
    send.close()
    try:
        result: T = receive.recv()
    except EOFError:
        raise RuntimeError(f"{fn.__name__} failed in its process (exit code {proc.join() or proc.exitcode})") from None
    proc.join()
    return result


def _raw_bulk_load(dump: str, folder: str) -> tuple[float, float]:
    start = time.perf_counter()
    raw = Store(folder)
    raw.bulk_load(path=dump, format=RdfFormat.N_QUADS)
    raw.flush()
    seconds = time.perf_counter() - start
    del raw
    return seconds, _peak_rss_mib()


def _provenance_quads(dump: Path, provenance: str) -> int:
    marker = f"<{provenance}".encode()
    with dump.open("rb") as f:
        return sum(1 for line in f if marker in line[-200:])


def report(results: list[ScaleResult]) -> None:
    load = os.getloadavg()
    print(f"\nigsn-graph load of generated records, batches as given; load average {load[0]:.1f} {load[1]:.1f}")
    print(
        "| samples | samples/s | raw bulk_load samples/s | ratio | quads/sample (provenance) | graph KB | "
        "history KB | index KB | total KB/sample | raw graph KB | peak RSS MiB: load, raw | CPU ms/sample: load, read |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        n = max(r.stored, 1)
        rate, raw_rate = r.stored / r.seconds, r.stored / r.raw_seconds
        total = (r.graph_bytes + r.history_bytes + r.index_bytes) / n / 1024
        print(
            f"| {r.stored:,} | {rate:,.0f} | {raw_rate:,.0f} | {raw_rate / rate:.1f}x | {r.quads / n:.0f} "
            f"({r.provenance_quads / n:.0f}) | {r.graph_bytes / n / 1024:.1f} | {r.history_bytes / n / 1024:.1f} "
            f"| {r.index_bytes / n / 1024:.1f} | {total:.1f} | {r.raw_bytes / n / 1024:.1f} "
            f"| {r.rss_mib:,.0f}, {r.raw_rss_mib:,.0f} | {r.load_cpu / n * 1000:.2f}, {r.read_cpu / n * 1000:.2f} |"
        )


def main(sizes: list[int], batch: int, docs_root: Path | None, readers: int | None = None) -> None:
    root = docs_root or Path(tempfile.gettempdir()) / "igsn-graph-bench-load"
    root.mkdir(parents=True, exist_ok=True)
    results = []
    for n in sizes:
        # each size in a fresh process: its peak RSS is its own
        results.append(_in_process(run, n, batch, root, readers))
        report(results[-1:])
    if len(results) > 1:
        report(results)
