"""OAI-PMH harvest benchmark: full ListRecords harvests (oai_dc, igsn) over N synthetic samples, and a pyoai peer.

Builds a data folder of N samples, serves it with uvicorn in a child process (so the harvesting client
does not share the server's GIL) and harvests it to the end, following resumption tokens. Prints
records/s and the latency of the first, middle and last page of each harvest:

* ours, ``oai_dc`` — the first harvest after the load: the metadata cache is cold, every record is
  read from its stored version, mapped and written in all four formats (and cached);
* ours, ``igsn`` and ``oai_dc`` again — what every later harvest costs (cache warm);
* the peer: the PyPI ``oaipmh`` (pyoai) ``BatchingServer`` over the same catalogue and the same cached
  metadata documents, paging with ``LIMIT/OFFSET`` as pyoai's batching interface asks for.

The samples are the demo generator's (``--templates`` distinct descriptions, by default 2,000,
repeated under new names); they are written the way the journal writes them — a history version and a
catalogue row per sample, in one SQLite transaction per batch — but not into the graph store and
without SHACL validation, which the provider never reads and which would dominate the set-up time
(``bench/load.py`` measures that path).

    python bench/oai.py [--n 100000] [--page 250] [--gzip] [--no-peer]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from igsn_graph.demo import generate_samples  # noqa: E402
from igsn_graph.demo_load import load_demo_accounts  # noqa: E402
from igsn_graph.formats import graph as graphmap  # noqa: E402
from igsn_graph.formats.rdf import ntriples  # noqa: E402
from igsn_graph.identifiers import namespace_of  # noqa: E402
from igsn_graph.index import catalogue  # noqa: E402
from igsn_graph.record import RegistryFacts  # noqa: E402
from igsn_graph.registry.service import Registry, init_data_dir  # noqa: E402
from igsn_graph.settings import Settings  # noqa: E402
from igsn_graph.store import history  # noqa: E402
from testkit.harness import start_server, stop_server  # noqa: E402

__all__ = ["main", "our_app", "peer_app", "build"]

OAI = "{http://www.openarchives.org/OAI/2.0/}"
REPOSITORY_ID = "bench.igsn-graph.org"
_ENV_DATA, _ENV_PAGE = "BENCH_OAI_DATA", "BENCH_OAI_PAGE"


# -- the data -------------------------------------------------------------------------------------
def build(data_dir: Path, n: int, templates: int, batch: int = 5000) -> float:
    """N samples as history versions + catalogue rows (see the module docstring); returns seconds taken."""
    settings = Settings(data_dir=data_dir)
    init_data_dir(settings, repository_id=REPOSITORY_ID)
    start = time.perf_counter()
    with Registry(settings) as registry:
        load_demo_accounts(registry)
        table = registry.accounts.namespace_table()
        stamp0 = datetime(2020, 1, 1, tzinfo=timezone.utc)
        bases = []
        for sample in generate_samples(min(n, templates), seed=7):
            record = sample.record
            ns = namespace_of(record.igsn, table)
            assert ns is not None
            agent, client = table[ns]
            facts = RegistryFacts(
                igsn=record.igsn,
                agent=agent,
                client=client,
                namespace=ns,
                datestamp="2020-01-01T00:00:00Z",
                landing_url=sample.landing_url,
                is_public=record.is_public,
                has_metadata=True,
                registered="2020-01-01T00:00:00Z",
            )
            triples = graphmap.record_triples(record, registry.iris) + graphmap.facts_triples(facts, registry.iris)
            text = ntriples(triples)
            bases.append((record.igsn, text, facts))
        versions: list[history.Version] = []
        rows: list[catalogue.CatalogueRow] = []

        def flush() -> None:
            with registry.db.write() as conn:
                history.add_versions(conn, versions)
                catalogue.upsert(conn, rows)
            versions.clear()
            rows.clear()

        for i in range(n):
            name0, text, facts = bases[i % len(bases)]
            # a new name in the template's namespace; the template's name is replaced wherever it occurs
            name = f"{facts.namespace}{i:08d}"
            datestamp = catalogue.format_datestamp(stamp0 + timedelta(seconds=i // 7))  # ~7 samples a second
            graph = text.replace(name0, name)
            row = catalogue.row_from_facts(
                RegistryFacts(
                    igsn=name,
                    agent=facts.agent,
                    client=facts.client,
                    namespace=facts.namespace,
                    datestamp=datestamp,
                    landing_url=facts.landing_url,
                    is_public=facts.is_public,
                    has_metadata=True,
                    registered=datestamp,
                ),
                1,
            )
            versions.append(history.Version(name, 1, datestamp, "metadata-registered", "admin", "demo", None, graph))
            rows.append(row)
            if len(rows) >= batch:
                flush()
        flush()
        registry.db.set_meta("last_datestamp", catalogue.format_datestamp(stamp0 + timedelta(seconds=n // 7)))
    return time.perf_counter() - start


# -- the two providers (app factories for uvicorn --factory) -------------------------------------------
def our_app() -> Any:
    """igsn-graph's app with the OAI router, from the environment (data folder, public URL, page size)."""
    from api.app import create_app

    return create_app(Settings.from_env())  # page size from IGSN_GRAPH_OAI_PAGE_SIZE


class PeerOAI:
    """pyoai's ``IBatchingOAI`` over the catalogue (LIMIT/OFFSET) and the cached metadata documents."""

    def __init__(self, data_dir: Path, base_url: str) -> None:
        self.data_dir = data_dir
        self.base_url = base_url
        self._local = threading.local()

    def _db(self) -> tuple[sqlite3.Connection, sqlite3.Connection]:
        conns = getattr(self._local, "conns", None)
        if conns is None:
            conns = (
                sqlite3.connect(self.data_dir / "registry.sqlite", check_same_thread=False),
                sqlite3.connect(self.data_dir / "oai-cache.sqlite", check_same_thread=False),
            )
            self._local.conns = conns
        return conns

    def identify(self) -> Any:
        from oaipmh import common

        first = self._db()[0].execute("SELECT MIN(datestamp) FROM catalogue").fetchone()[0]
        return common.Identify(
            repositoryName="pyoai peer",
            baseURL=self.base_url,
            protocolVersion="2.0",
            adminEmails=["admin@" + REPOSITORY_ID],
            deletedRecord="persistent",
            earliestDatestamp=datetime.strptime(first, "%Y-%m-%dT%H:%M:%SZ"),
            granularity="YYYY-MM-DDThh:mm:ssZ",
            compression=["identity"],
        )

    def listMetadataFormats(self, identifier: str | None = None) -> list[tuple[str, str, str]]:  # noqa: N802
        return [
            ("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", "http://www.openarchives.org/OAI/2.0/oai_dc/"),
            (
                "igsn",
                "http://doidb.wdc-terra.org/igsn/schemas/igsn.org/schema/1.0/igsn.xsd",
                "http://igsn.org/schema/kernel-v.1.0",
            ),
        ]

    def listSets(self, cursor: int = 0, batch_size: int = 10) -> list[Any]:  # noqa: N802
        return []

    def _rows(self, from_: datetime | None, until: datetime | None, cursor: int, batch_size: int) -> list[Any]:
        sql = (
            "SELECT igsn, datestamp, deleted, agent, client, namespace FROM catalogue "
            "WHERE test = 0 AND has_metadata = 1"
        )
        args: list[object] = []
        if from_ is not None:
            sql += " AND datestamp >= ?"
            args.append(from_.strftime("%Y-%m-%dT%H:%M:%SZ"))
        if until is not None:
            sql += " AND datestamp <= ?"
            args.append(until.strftime("%Y-%m-%dT%H:%M:%SZ"))
        sql += " ORDER BY datestamp, igsn LIMIT ? OFFSET ?"
        return self._db()[0].execute(sql, [*args, batch_size, cursor]).fetchall()

    def _header(self, row: Any) -> Any:
        from oaipmh import common

        igsn, stamp, deleted, agent, client, namespace = row
        specs = [f"{agent}:{client}" if client else agent, f"ns:{namespace}"]
        return common.Header(
            None, f"oai:{REPOSITORY_ID}:{igsn}", datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"), specs, bool(deleted)
        )

    def listIdentifiers(
        self,
        metadataPrefix: str,
        set: str | None = None,  # noqa: N802,N803,A002
        from_: datetime | None = None,
        until: datetime | None = None,
        cursor: int = 0,
        batch_size: int = 10,
    ) -> list[Any]:
        return [self._header(r) for r in self._rows(from_, until, cursor, batch_size)]

    def listRecords(
        self,
        metadataPrefix: str,
        set: str | None = None,  # noqa: N802,N803,A002
        from_: datetime | None = None,
        until: datetime | None = None,
        cursor: int = 0,
        batch_size: int = 10,
    ) -> list[Any]:
        from oaipmh import common

        rows = self._rows(from_, until, cursor, batch_size)
        names = [r[0] for r in rows if not r[2]]
        docs: dict[str, bytes] = {}
        if names:
            sql = f"SELECT igsn, xml FROM metadata WHERE prefix = ? AND igsn IN ({','.join('?' * len(names))})"
            docs = {k: zlib.decompress(v) for k, v in self._db()[1].execute(sql, [metadataPrefix, *names]) if v}
        out = []
        for row in rows:
            header = self._header(row)
            if row[2] or row[0] not in docs:
                out.append((header, None, None))
                continue
            element = etree.fromstring(docs[row[0]])
            fields: dict[str, list[str]] = {}
            for child in element:
                fields.setdefault(etree.QName(child).localname, []).append(child.text or "")
            out.append((header, common.Metadata(element, fields), None))
        return out

    def getRecord(self, metadataPrefix: str, identifier: str) -> Any:  # noqa: N802,N803
        raise NotImplementedError


def peer_app() -> Any:
    """pyoai's BatchingServer behind Starlette (the same HTTP stack as ours)."""
    from oaipmh.metadata import MetadataRegistry
    from oaipmh.server import BatchingServer, oai_dc_writer
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    writers = MetadataRegistry()
    writers.registerWriter("oai_dc", oai_dc_writer)
    writers.registerWriter("igsn", lambda element, metadata: element.append(metadata.element()))
    settings = Settings.from_env()
    server = BatchingServer(
        PeerOAI(settings.data_dir, settings.base_url + "oai"), writers, resumption_batch_size=int(os.environ[_ENV_PAGE])
    )

    def endpoint(request: Request) -> Response:
        return Response(server.handleRequest(dict(request.query_params)), media_type="text/xml; charset=utf-8")

    return Starlette(routes=[Route("/oai", endpoint)])


# -- harvesting ---------------------------------------------------------------------------------------
def start(factory: str, data_dir: Path, page: int) -> tuple[subprocess.Popen[bytes], str]:
    """A provider of this module (``our_app`` or ``peer_app``) in its own process; returns it and its OAI base URL."""
    env = {_ENV_DATA: str(data_dir), _ENV_PAGE: str(page), "IGSN_GRAPH_OAI_PAGE_SIZE": str(page)}
    proc, base = start_server(
        data_dir, env, timeout=60, app=f"oai:{factory}", app_dir=ROOT / "bench", ready="/oai?verb=Identify"
    )
    return proc, base + "/oai"


@dataclass
class Harvest:
    records: int
    deleted: int
    pages: list[float]
    seconds: float

    def line(self, label: str) -> str:
        p = self.pages
        return (
            f"{label:<28} {self.records:>9,} {self.deleted:>7,} {len(p):>6,} {self.seconds:>8.1f} "
            f"{self.records / self.seconds:>10,.0f} {self.records / sum(p):>10,.0f} {p[0] * 1000:>9.1f} "
            f"{p[len(p) // 2] * 1000:>9.1f} {p[-1] * 1000:>9.1f} {statistics.median(p) * 1000:>9.1f}"
        )


def harvest(base: str, prefix: str, use_gzip: bool) -> Harvest:
    """A full ListRecords harvest to the end of the list, timing every page."""
    headers = {"accept-encoding": "gzip" if use_gzip else "identity"}
    params: dict[str, str] = {"verb": "ListRecords", "metadataPrefix": prefix}
    records = deleted = 0
    pages: list[float] = []
    start_time = time.perf_counter()
    with httpx.Client(timeout=600, headers=headers) as http:
        while True:
            t0 = time.perf_counter()
            response = http.get(base, params=params)
            pages.append(time.perf_counter() - t0)
            root = etree.fromstring(response.content)
            error = root.find(f"{OAI}error")
            if error is not None:
                raise RuntimeError(f"{error.get('code')}: {error.text}")
            for header in root.iter(f"{OAI}header"):
                records += 1
                deleted += header.get("status") == "deleted"
            token = root.findtext(f".//{OAI}resumptionToken")
            if not token:
                break
            params = {"verb": "ListRecords", "resumptionToken": token}
    return Harvest(records, deleted, pages, time.perf_counter() - start_time)


#: records/s end to end (the harvester parses every page, as Sickle does) and as the server sees it (the
#: records over the sum of the page latencies: request sent → response read)
HEAD = (
    f"{'provider, format':<28} {'records':>9} {'deleted':>7} {'pages':>6} {'seconds':>8} {'records/s':>10} "
    f"{'server r/s':>10} {'first ms':>9} {'middle ms':>9} {'last ms':>9} {'median ms':>9}"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="samples (1,000,000 when asked)")
    parser.add_argument("--page", type=int, default=250, help="records per page (both providers)")
    parser.add_argument("--templates", type=int, default=2000, help="distinct generated descriptions")
    parser.add_argument("--gzip", action="store_true", help="ask for gzip (as Sickle and pyoai do)")
    parser.add_argument("--no-peer", action="store_true", help="skip the pyoai peer")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        took = build(data_dir, args.n, args.templates)
        print(
            f"built {args.n:,} samples ({min(args.n, args.templates):,} distinct descriptions) in {took:.1f} s; "
            f"pages of {args.page}, {'gzip' if args.gzip else 'identity'} transfer, "
            f"server in its own process on {os.cpu_count()} CPUs"
        )
        print(HEAD)
        proc, base = start("our_app", data_dir, args.page)
        try:
            print(harvest(base, "oai_dc", args.gzip).line("igsn-graph oai_dc (cold)"), flush=True)
            print(harvest(base, "igsn", args.gzip).line("igsn-graph igsn"), flush=True)
            print(harvest(base, "oai_dc", args.gzip).line("igsn-graph oai_dc"), flush=True)
        finally:
            stop_server(proc)
        cache = data_dir / "oai-cache.sqlite"
        print(f"metadata cache: {cache.stat().st_size / 2**20:,.0f} MiB for 4 formats")
        if args.no_peer:
            return
        try:
            import oaipmh  # noqa: F401
        except ImportError:
            print("peer skipped: the PyPI package oaipmh (pyoai) is not installed")
            return
        proc, base = start("peer_app", data_dir, args.page)
        try:
            print(harvest(base, "oai_dc", args.gzip).line("pyoai peer oai_dc"), flush=True)
            print(harvest(base, "igsn", args.gzip).line("pyoai peer igsn"), flush=True)
        finally:
            stop_server(proc)


if __name__ == "__main__":
    main()
