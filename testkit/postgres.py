"""A throwaway PostgreSQL server for tests and benchmarks, from the Debian ``postgresql`` binaries.

``PostgresServer.start()`` runs ``initdb`` into a fresh folder and ``postgres`` on a free loopback port (and a unix
socket in the same folder), trust authentication, no fsync (a test server's data are worthless after a crash).
As root, both run as the ``postgres`` user (they refuse root); the folder is then created outside pytest's
per-user temp tree, which that user cannot enter. ``fresh_database()`` makes a new database from a template that
already holds the registry schema (``CREATE DATABASE … TEMPLATE``: a file copy, much cheaper than the DDL).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from itertools import count
from pathlib import Path

from .harness import free_port

__all__ = ["PostgresServer", "postgres_bin_dir"]

_TEMPLATE = "igsn_template"


def postgres_bin_dir() -> Path | None:
    """The folder holding ``initdb`` and ``postgres`` (PATH first, then Debian's versioned folders), or None."""
    found = shutil.which("initdb")
    if found and shutil.which("postgres"):
        return Path(found).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "postgres").exists():
            return Path(folder)
    return None


class PostgresServer:
    def __init__(self, bin_dir: Path, folder: Path, port: int, proc: subprocess.Popen[bytes]) -> None:
        self.bin_dir = bin_dir
        self.folder = folder
        self.port = port
        self._proc = proc
        self._names = count(1)

    @property
    def admin_url(self) -> str:
        return self.url("postgres")

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    @classmethod
    def start(cls, *, timeout: float = 60.0) -> PostgresServer:
        """A running server; ``RuntimeError`` when the binaries are absent or the server does not come up."""
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL binaries (initdb, postgres) are not installed (Debian package postgresql)")
        folder = Path(tempfile.mkdtemp(prefix="igsn-pg-", dir="/tmp"))
        run_as: list[str] = []
        stop_with_parent: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(folder, user.pw_uid, user.pw_gid)
            run_as = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups", "--"]
            # the server stops (fast shutdown) when the process that started it dies, even by SIGKILL
            stop_with_parent = ["setpriv", "--pdeathsig=INT", *run_as[1:]]
        data = folder / "data"
        subprocess.run(
            [*run_as, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"]
            + ["--no-sync", "--locale=C"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        port = free_port()
        settings = ["fsync=off", "synchronous_commit=off", "full_page_writes=off", "listen_addresses=127.0.0.1"]
        settings += [f"port={port}", f"unix_socket_directories={folder}", "max_connections=200", "shared_buffers=32MB"]
        args = [*stop_with_parent, str(bin_dir / "postgres"), "-D", str(data)]
        for setting in settings:
            args += ["-c", setting]
        log = open(folder / "server.log", "wb")
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        server = cls(bin_dir, folder, port, proc)
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                text = (folder / "server.log").read_text(errors="replace")
                server.stop()
                raise RuntimeError(f"postgres exited at start: {text[-2000:]}")
            try:
                server._admin("SELECT 1")
                break
            except Exception:
                if time.monotonic() > deadline:
                    server.stop()
                    raise RuntimeError("postgres did not answer in time") from None
                time.sleep(0.1)
        return server

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)

    def template(self) -> None:
        """Creates the template database holding the current registry schema (once per server)."""
        from igsn_graph.db import Database

        self._admin(f"CREATE DATABASE {_TEMPLATE}")
        Database(self.url(_TEMPLATE)).close()

    def fresh_database(self, template: str | None = None) -> str:
        """The URL of a new, empty registry database (schema only) on this server; with ``template`` (the URL of
        a database on this server, nothing connected to it), a copy of that database."""
        name = f"t{os.getpid()}_{next(self._names)}"
        source = template.rsplit("/", 1)[1] if template is not None else _TEMPLATE
        self._admin(f"CREATE DATABASE {name} TEMPLATE {source}")
        return self.url(name)

    def empty_database(self) -> str:
        """The URL of a new database without any table."""
        name = f"e{os.getpid()}_{next(self._names)}"
        self._admin(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGINT)  # fast shutdown: open client connections do not hold it up
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)
