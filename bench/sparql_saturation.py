"""Issue 14: every other surface keeps its latency while SPARQL is saturated (``bench/sparql.py --saturation``).

Each surface is driven by ``wrk`` (one keep-alive connection by default) with the server idle, and with 8
runaway SPARQL queries kept in flight (each from its own address: the workers all busy, the rest queued),
three interleaved repetitions (idle first, then busy first, then idle first), so a change of the machine's
load touches both columns alike. Surfaces: the resolver (a random sample as Turtle), an OAI-PMH
ListRecords first page (oai_dc) and a GetRecord, a search query, and MDS registrations (``bench/register.py``'s
wrk script: a new registration kernel per request). Prints p50 and p99 per surface and the p99 ratio.
"""

from __future__ import annotations

import os
import re
import statistics
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from bench.register import WRK_LUA, run_wrk_posts
from igsn_graph.record import SampleRecord
from testkit.harness import WrkResult, run_wrk, write_requests

__all__ = ["RUNAWAY", "Runaways", "surfaces"]

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
#: runaway queries kept in flight while the busy column is measured (issue 14)
IN_FLIGHT = 8


class Runaways:
    """``count`` runaway queries kept in flight until the block ends, each from its own address (a thread each,
    which sends its next runaway as soon as one is answered); the statuses they got and the server's SPARQL
    state seen while they ran."""

    def __init__(self, base: str, count: int = IN_FLIGHT) -> None:
        self.base = base
        self.count = count
        self.statuses: list[int] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _run(self, i: int) -> None:
        with httpx.Client(base_url=self.base, timeout=600, headers={"X-Forwarded-For": f"10.7.0.{i}"}) as client:
            while not self._stop.is_set():
                self.statuses.append(client.get("/sparql", params={"query": RUNAWAY}).status_code)

    def __enter__(self) -> Runaways:
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(self.count)]
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join()  # each ends with its runaway's answer: at the time limit, or the queue's bounded wait

    def health(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.base}/health", timeout=60).json().get("sparql", {}))


@dataclass(frozen=True)
class Surface:
    label: str
    #: runs wrk once: (base URL, seconds, connections, repetition tag) → result
    run: Callable[[str, float, int, str], WrkResult]


def _gets(label: str, path: Path, targets: list[tuple[str, list[tuple[str, str]]]]) -> Surface:
    requests = write_requests(path, targets)
    return Surface(
        label, lambda base, seconds, conns, _: run_wrk(base, requests, seconds=seconds, connections=conns, threads=1)
    )


def _search_words(records: list[SampleRecord]) -> list[str]:
    """Words of the samples' descriptions and names (4 letters or more), as people would search them."""
    words = {w.lower() for r in records for w in re.findall(r"[A-Za-z]{4,}", f"{r.description or ''} {r.name or ''}")}
    return sorted(words)[:200] or ["sample"]


def build(work: Path, records: list[SampleRecord], repository_id: str) -> list[Surface]:
    """The surfaces measured, over the public samples ``records`` (the demo data the server holds)."""
    names = [r.igsn for r in records if r.igsn and r.is_public][:500]
    script = work / "register.lua"
    script.write_text(WRK_LUA, encoding="utf-8")
    turtle = [("Accept", "text/turtle")]
    get_record = {"verb": "GetRecord", "metadataPrefix": "oai_dc"}
    return [
        _gets("resolver GET (Turtle)", work / "resolve.txt", [(f"/{n}", turtle) for n in names]),
        _gets("OAI ListRecords oai_dc p.1", work / "list.txt", [("/oai?verb=ListRecords&metadataPrefix=oai_dc", [])]),
        _gets(
            "OAI GetRecord oai_dc",
            work / "get.txt",
            [("/oai?" + urlencode({**get_record, "identifier": f"oai:{repository_id}:{n}"}), []) for n in names],
        ),
        _gets(
            "search /api/v1/search?q=",
            work / "search.txt",
            [
                ("/api/v1/search?" + urlencode({"q": w}), [("Accept", "application/json")])
                for w in _search_words(records)
            ],
        ),
        Surface(
            "MDS POST /metadata",
            lambda base, seconds, conns, tag: run_wrk_posts(base, script, tag, seconds=seconds, connections=conns),
        ),
    ]


def surfaces(
    base: str, work: Path, records: list[SampleRecord], repository_id: str, *, seconds: float, connections: int = 1
) -> None:
    """Every surface idle and with ``IN_FLIGHT`` runaway queries in flight, three interleaved repetitions."""
    measured = build(work, records, repository_id)
    for s in measured:  # warm-up: first pages cached, the first login's scrypt paid, shapes loaded
        s.run(base, 1, 1, "W")
    rows: dict[tuple[str, bool], list[WrkResult]] = {}
    seen: list[dict[str, Any]] = []
    statuses: list[int] = []
    loads: list[float] = []
    for rep in range(3):
        for busy in (False, True) if rep % 2 == 0 else (True, False):
            runaways = Runaways(base) if busy else None
            with runaways or nullcontext():
                for n, s in enumerate(measured):
                    if runaways is not None:
                        if n == 0:
                            time.sleep(1.0)  # the runaways reach the workers and the queue
                        seen.append(runaways.health())
                    loads.append(os.getloadavg()[0])
                    r = s.run(base, seconds, connections, f"S{rep}{int(busy)}{n}")
                    if r.errors or r.status_errors:
                        raise RuntimeError(f"{s.label}: {r.errors} errors, {r.status_errors} answers outside 2xx/3xx")
                    rows.setdefault((s.label, busy), []).append(r)
            if runaways is not None:
                statuses += runaways.statuses
    if not statuses or set(statuses) != {503}:  # a 429: the runaways were taken for one client
        raise RuntimeError(f"runaway queries answered {sorted(set(statuses))}, not 503 at their limit")
    print(
        f"Surfaces idle and with {IN_FLIGHT} runaway SPARQL queries in flight: wrk, {connections} connection(s), "
        f"{seconds:g} s per row, 3 interleaved repetitions; load average {min(loads):.1f}-{max(loads):.1f}; "
        f"SPARQL while busy: busy workers {min(h.get('busy', 0) for h in seen)}-{max(h.get('busy', 0) for h in seen)}, "
        f"queued {min(h.get('queued', 0) for h in seen)}-{max(h.get('queued', 0) for h in seen)}; "
        f"{len(statuses)} runaways answered 503"
    )
    print(f"{'':28} {'idle p50 / p99 ms':>20} {'busy p50 / p99 ms':>20} {'p99 busy/idle (per rep)':>30}")
    for s in measured:
        quiet, saturated = rows[(s.label, False)], rows[(s.label, True)]
        i50, i99 = statistics.median(r.p50_ms for r in quiet), statistics.median(r.p99_ms for r in quiet)
        b50, b99 = statistics.median(r.p50_ms for r in saturated), statistics.median(r.p99_ms for r in saturated)
        per_rep = ", ".join(f"{b.p99_ms / i.p99_ms:.2f}" for i, b in zip(quiet, saturated, strict=True))
        print(f"{s.label:28} {i50:>9.2f} / {i99:<8.2f} {b50:>9.2f} / {b99:<8.2f} {b99 / i99:>6.2f}x ({per_rep})")
