"""A throwaway Virtuoso (Debian ``virtuoso-opensource``) on free loopback ports, for tests of the remote store.

Its own ``virtuoso.ini`` in a scratch folder (database, log and lock files there, no system service), started in
the foreground, SPARQL Update granted to the ``SPARQL`` user that ``/sparql`` runs as, stopped with SIGTERM.
The settings and the grant are the ones the README's deployment paragraph describes.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from igsn_graph.store.base import DROP_ALL_AT_ONCE

from .harness import free_port, stop_server

__all__ = ["VirtuosoServer", "start_virtuoso", "virtuoso_executable"]

#: the server's configuration (``{dir}``: the scratch folder, which is also the only folder its SQL may read)
INI = """\
[Database]
DatabaseFile       = {dir}/virtuoso.db
ErrorLogFile       = {dir}/virtuoso.log
LockFile           = {dir}/virtuoso.lck
TransactionFile    = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile    = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx

[Parameters]
ServerPort         = 127.0.0.1:{sql_port}
DisableUnixSocket  = 1
DirsAllowed        = {dir}
NumberOfBuffers    = 10000
MaxDirtyBuffers    = 6000
CheckpointInterval = 60

[HTTPServer]
ServerPort    = 127.0.0.1:{http_port}
ServerRoot    = {dir}
ServerThreads = 8
Charset       = UTF-8

[SPARQL]
; the Debian default (10000) truncates a result (announced only in a response header): far above any read of ours
ResultSetMaxRows      = {max_rows}
MaxQueryExecutionTime = {max_query_s}
"""

#: the grant that lets ``/sparql`` (which runs as the SQL user ``SPARQL``) apply SPARQL Update
GRANT = 'GRANT SPARQL_UPDATE TO "SPARQL";'


def virtuoso_executable() -> str | None:
    """``virtuoso-t`` and ``isql-vt`` (Debian ``virtuoso-opensource``), or None when either is missing."""
    server, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    return server if server and isql else None


@dataclass
class VirtuosoServer:
    proc: subprocess.Popen[bytes]
    folder: Path
    http_port: int
    sql_port: int
    #: the graphs a fresh database holds (Virtuoso's own); ``clear`` keeps them
    own_graphs: frozenset[str] = frozenset()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def sql(self, statements: str) -> str:
        """Runs SQL as ``dba`` through ``isql-vt``; its output (raises on an error)."""
        done = subprocess.run(
            ["isql-vt", f"127.0.0.1:{self.sql_port}", "dba", "dba", f"exec={statements}"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0 or "*** Error" in done.stdout:
            raise RuntimeError(f"isql-vt failed: {done.stdout}{done.stderr}")
        return done.stdout

    def graph_names(self) -> set[str]:
        response = httpx.post(
            self.url + "/sparql",
            data={
                "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?g)) }"
            },  # (engines.PROFILES)
            headers={"Accept": "application/sparql-results+json"},
            timeout=60,
        )
        response.raise_for_status()
        return {b["g"]["value"] for b in response.json()["results"]["bindings"]}

    def clear(self) -> None:
        """Drops every graph but Virtuoso's own (a test starts from an empty dataset; DROP ALL would remove
        the metadata graphs Virtuoso needs)."""
        ours = sorted(self.graph_names() - self.own_graphs)
        for i in range(0, len(ours), 1000):  # one statement (a DROP each: ~1,000 are refused, and slow)
            update = DROP_ALL_AT_ONCE.format(graphs=" ".join(f"<{g}>" for g in ours[i : i + 1000])).rstrip(" ;")
            response = httpx.post(
                self.url + "/sparql", content=update, headers={"Content-Type": "application/sparql-update"}, timeout=60
            )
            response.raise_for_status()

    def stop(self) -> None:
        stop_server(self.proc)


def start_virtuoso(folder: Path, *, max_rows: int = 10_000_000, max_query_s: int = 120) -> VirtuosoServer:
    """A new database in ``folder`` served on free loopback ports; returns once ``/sparql`` answers and the
    grant is in place. ``max_rows``: the rows a result may have (``ResultSetMaxRows``); ``max_query_s``: its
    query time limit (``MaxQueryExecutionTime``)."""
    exe = virtuoso_executable()
    if exe is None:
        raise RuntimeError("Virtuoso (Debian package `virtuoso-opensource`) is not installed")
    folder.mkdir(parents=True, exist_ok=True)
    http_port, sql_port = free_port(), free_port()
    while sql_port == http_port:
        sql_port = free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(
        INI.format(dir=folder, sql_port=sql_port, http_port=http_port, max_rows=max_rows, max_query_s=max_query_s),
        encoding="utf-8",
    )
    log = (folder / "stdout.log").open("wb")
    proc = subprocess.Popen(
        [exe, "+configfile", str(ini), "+foreground"], cwd=folder, stdout=log, stderr=subprocess.STDOUT
    )
    log.close()
    server = VirtuosoServer(proc, folder, http_port, sql_port)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"virtuoso-t exited ({proc.returncode}): {_tail(folder)}")
        try:
            if httpx.get(server.url + "/sparql", params={"query": "ASK {}"}, timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    else:
        server.stop()
        raise RuntimeError(f"virtuoso-t did not start: {_tail(folder)}")
    try:
        server.sql(GRANT)
        server.own_graphs = frozenset(server.graph_names())
    except BaseException:
        server.stop()
        raise
    return server


def _tail(folder: Path) -> str:
    log = folder / "virtuoso.log"
    return log.read_text(encoding="utf-8", errors="replace")[-800:] if log.exists() else ""
