"""``igsn-graph serve``: the HTTP server (uvicorn, started by import string) and its optional reader processes."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from typing import Any

from ..errors import InvalidInput
from ..settings import Settings
from .common import Commands, settings_of

#: what the server offers, printed by `serve` (label, path)
SERVED = [
    ("health", "health"),
    ("API docs (OpenAPI)", "docs"),
    ("OpenAPI document", "openapi.json"),
    ("MDS registration (Basic auth)", "igsn"),
    ("MDS metadata (Basic auth)", "metadata"),
    ("OAI-PMH 2.0", "oai?verb=Identify"),
    ("SPARQL 1.1 (read-only)", "sparql"),
    ("ontology", "ontology"),
    ("JSON-LD context", "context.jsonld"),
]


def cmd_serve(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    if getattr(args, "readers", 0) and settings.shared_database:
        # the reader processes read the SQLite file; over PostgreSQL every `serve` is a full node instead
        raise InvalidInput("--readers reads the SQLite registry file; with IGSN_GRAPH_DATABASE start more servers")
    if args.demo:
        from ..demo_load import demo_credentials, ensure_demo

        print(ensure_demo(settings))
        credentials = demo_credentials()
    else:
        credentials = []
    if settings.shared_database:
        # a node of a shared registry (issue 20): everything shared is in the database and the engine; its data
        # folder holds only its own caches, keyed by catalogue version, so a new node makes an empty one
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    # the app reads its settings from the environment of this process (the factory builds them)
    os.environ["IGSN_GRAPH_DATA"] = str(settings.data_dir.resolve())
    os.environ["IGSN_GRAPH_HOST"] = settings.host
    os.environ["PORT"] = str(settings.port)
    if args.demo and not settings.admin_password:
        os.environ["IGSN_GRAPH_ADMIN_PASSWORD"] = "admin-demo"
    base = settings.base_url
    print(f"igsn-graph serving {_registry_of(settings)} on http://{settings.host}:{settings.port}/")
    for label, path in SERVED:
        print(f"  {label:<30} {base}{path}")
    if credentials:
        served = Settings.from_env()  # what the app will read, admin password included
        print("demo credentials (HTTP Basic):")
        print(f"  admin  {served.admin_user} / {served.admin_password}")
        for symbol, password, what in credentials:
            print(f"  {what:<6} {symbol} / {password}")
    sys.stdout.flush()
    import uvicorn

    readers = _start_readers(settings, args) if getattr(args, "readers", 0) else None
    try:
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            **server_options(settings, http=getattr(args, "http", "httptools")),
        )
    finally:
        if readers is not None:
            readers.terminate()
            readers.wait(timeout=30)
    return 0


def _registry_of(settings: Settings) -> str:
    """What this server serves: the data folder, or the shared database and engine (never a password)."""
    if not settings.shared_database:
        return str(settings.data_dir.resolve())
    from ..db.postgres import redacted

    return f"{redacted(settings.database)} and {settings.store} (caches in {settings.data_dir.resolve()})"


def _start_readers(settings: Settings, args: argparse.Namespace) -> subprocess.Popen[bytes]:
    """``--readers N`` processes on ``--read-port`` (api.readers): resolutions from SQLite, everything else 307
    to this server. A child process of ``serve``, stopped with it."""
    port = args.read_port or settings.port + 1
    print(f"  {'resolver readers':<30} http://{settings.host}:{port}/ ({args.readers} processes)")
    sys.stdout.flush()
    code = (
        "import uvicorn, sys; from igsn_graph.cli.serve import server_options; from igsn_graph.settings import Settings; "
        "s = Settings.from_env(); uvicorn.run('api.readers:create_reader_app', factory=True, host=s.host, "
        "port=int(sys.argv[1]), workers=int(sys.argv[2]), **server_options(s, http=sys.argv[3]))"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, str(port), str(args.readers), args.http], preexec_fn=_die_with_parent
    )


def _die_with_parent() -> None:
    """In a child: SIGTERM when the parent ends (uvicorn re-raises the signal that stopped it, so ``serve``'s own
    clean-up may not run). Linux only; elsewhere the readers are stopped by ``serve``'s ``finally``."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


#: HTTP/1.1 protocols of ``serve --http`` (api.server): both close a connection whose request head is late
HTTP_PROTOCOLS = {"httptools": "api.server:HeadTimeoutHttpTools", "h11": "api.server:HeadTimeoutProtocol"}


def server_options(settings: Settings, http: str = "httptools") -> dict[str, Any]:
    """uvicorn's settings for the app (``bench/resolve.py`` runs its hello-world peer with the same ones)."""
    # slow or idle clients cannot hold connections: a deadline for each request head (the protocol class),
    # for pauses inside a body (the app's BodyGuard) and for idle keep-alive, and a cap on connections (503
    # past it). X-Forwarded-For is read by the app from trusted hops only (trusted_proxy_hops), not by uvicorn.
    return {
        "log_level": "info",
        "http": HTTP_PROTOCOLS[http],
        "timeout_keep_alive": settings.keep_alive_s,
        "limit_concurrency": settings.max_connections or None,
        "proxy_headers": False,
    }


def add_commands(commands: Commands) -> None:
    p = commands.add("serve", cmd_serve, "run the HTTP server")
    p.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (beats $PORT; default 8000)")
    p.add_argument("--demo", action="store_true", help="initialise and load the demo data first (once)")
    p.add_argument(
        "--readers",
        type=int,
        default=0,
        help="reader processes answering resolutions from SQLite beside this (the one writer) on --read-port",
    )
    p.add_argument("--read-port", type=int, help="port of the readers (default: --port + 1)")
    p.add_argument(
        "--http",
        choices=sorted(HTTP_PROTOCOLS),
        default="httptools",
        help="HTTP/1.1 parser (default httptools; h11 is pure Python and slower)",
    )
