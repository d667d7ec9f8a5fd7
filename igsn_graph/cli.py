"""The ``igsn-graph`` command: parses arguments, calls the core, prints."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from .errors import IgsnGraphError
from .progress import Lines, Progress
from .settings import Settings

#: `load` reads files in a second process from this many files on (below it, starting one costs more)
READ_AHEAD_MIN_FILES = 32

if TYPE_CHECKING:
    from .registry.service import Registry

__all__ = ["main", "build_parser"]


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "data", None):
        overrides["data_dir"] = Path(args.data)
    if getattr(args, "port", None):
        overrides["port"] = args.port
    if getattr(args, "host", None):
        overrides["host"] = args.host
    return Settings.from_env(**overrides)


def _registry(args: argparse.Namespace) -> Registry:
    from .registry.service import Registry

    return Registry(_settings(args))


def cmd_init(args: argparse.Namespace) -> int:
    from .iris import DEFAULT_IRI_BASE
    from .registry.service import init_data_dir

    settings = _settings(args)
    created = init_data_dir(
        settings,
        iri_base=args.iri_base or DEFAULT_IRI_BASE,
        repository_id=args.repository_id,
        contact_email=args.contact_email,
    )
    print(f"{'initialised' if created else 'already initialised'}: {settings.data_dir.resolve()}")
    return 0


def cmd_agent_add(args: argparse.Namespace) -> int:
    with _registry(args) as reg:
        agent = reg.add_agent(
            args.symbol,
            name=args.name,
            password=args.password,
            namespaces=args.namespace,
            doi_prefixes=args.doi_prefix or [],
            quota=args.quota,
            ror=args.ror,
        )
    print(
        f"agent {agent.symbol} added: namespaces {', '.join(agent.namespaces)}"
        + (f"; DOI prefixes {', '.join(agent.doi_prefixes)}" if agent.doi_prefixes else "")
    )
    return 0


def cmd_agent_list(args: argparse.Namespace) -> int:
    with _registry(args) as reg:
        for a in reg.accounts.agents():
            print(
                f"{a.symbol}\t{a.name}\tnamespaces={','.join(a.namespaces)}\tdoi={','.join(a.doi_prefixes)}"
                f"\tquota={a.quota}"
            )
            for c in reg.accounts.clients(a.symbol):
                print(
                    f"  {c.symbol}\t{c.name}\tnamespaces={','.join(c.namespaces)}\tdomains={','.join(c.domains)}"
                    f"\tquota={c.quota}"
                )
    return 0


def cmd_client_add(args: argparse.Namespace) -> int:
    with _registry(args) as reg:
        client = reg.add_client(
            args.symbol,
            password=args.password,
            namespaces=args.namespace,
            name=args.name,
            doi_prefixes=args.doi_prefix or [],
            domains=args.domain or [],
            quota=args.quota,
        )
    print(f"client {client.symbol} added: namespaces {', '.join(client.namespaces)}")
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    from .formats.contexts import own_context_urls
    from .loader import apply_deletions, iter_files, segments
    from .registry.accounts import ADMIN, Principal

    reg = _registry(args)
    try:
        principal = ADMIN
        if args.client:
            client = reg.accounts.client(args.client)
            principal = Principal("client", client.symbol, client.agent)
        files = list(iter_files(Path(p) for p in args.paths))
        problems = Lines()
        progress = Progress(sys.stderr, bar=args.progress or sys.stderr.isatty())
        counts = {"stored": 0, "created": 0, "invalid": 0, "files": 0}
        start = time.monotonic()

        deletions: dict[str, int] = {}
        warnings = Lines()  # of stored records: accepted off-form, or not mapped

        def unreadable(path: Path, reason: str) -> None:
            problems.append(f"{path}: {reason}")
            counts["invalid"] += 1

        def read(_path: Path) -> None:
            counts["files"] += 1

        # OAI-PMH harvests: deleted records are deactivated after the records read before them are written
        # our JSON-LD context by the URLs this deployment publishes it at is read from the local copy
        own = own_context_urls(reg.settings.public_url, reg.iris.base)
        # many files: read (parsed, mapped to records) in a worker process while this one writes
        read_ahead = args.read_ahead and len(files) >= READ_AHEAD_MIN_FILES
        for segment in segments(
            files,
            max_bytes=reg.settings.max_body_bytes,
            on_problem=unreadable,
            on_read=read,
            context_urls=own,
            read_ahead=read_ahead,
        ):
            for outcomes in reg.load_records(segment, principal=principal, batch_size=args.batch_size):
                for o in outcomes:
                    if o.ok:
                        counts["stored"] += 1
                        counts["created"] += int(o.created)
                        for w in o.warnings:
                            warnings.append(f"{o.igsn}: {w}")
                    else:
                        counts["invalid"] += 1
                        for reason in o.reasons:
                            problems.append(f"{o.igsn}: {reason}")
                progress.update(counts["stored"], counts["invalid"], counts["files"], len(files))
            for d in apply_deletions(reg, principal, segment.deleted):
                deletions[d.status] = deletions.get(d.status, 0) + 1
                if d.status == "failed":
                    counts["invalid"] += 1
                    problems.append(f"{d.igsn}: deleted at the source, not deactivated: {d.reason}")
        progress.close()
        elapsed = time.monotonic() - start
        for p in problems:
            print(f"invalid: {p}", file=sys.stderr)
        for w in warnings:
            print(f"warning: {w}", file=sys.stderr)
        problems.close()
        warnings.close()
        total = counts["stored"]
        print(
            f"loaded {total} records ({counts['created']} new) from {len(files)} files in {elapsed:.1f} s "
            f"({total / max(elapsed, 1e-9):,.0f} records/s); {counts['invalid']} invalid"
        )
        if deletions:
            print(
                f"deleted at the source: {deletions.get('deactivated', 0)} deactivated, "
                f"{deletions.get('inactive', 0)} inactive already, {deletions.get('unknown', 0)} not registered "
                f"here, {deletions.get('failed', 0)} refused"
            )
        return 0 if counts["invalid"] == 0 else 3
    finally:
        reg.close()


def cmd_dump(args: argparse.Namespace) -> int:
    from .registry.dump import dump

    target = Path(args.directory)
    try:
        if args.url:
            from . import ops_client

            counts = ops_client.dump(args.url, _settings(args), target)
        else:
            with _local(args) as reg:  # from a snapshot: one point of the journal, writes go on
                counts = dump(reg, target)  # read back and checked before it takes the name
    except OSError as exc:  # disk full, no permission: no dump was written
        print(f"igsn-graph: error: no dump written to {target}: {exc}", file=sys.stderr)
        return 2
    print("dumped " + ", ".join(f"{k}={v}" for k, v in counts.items()) + f" to {target} (read back: complete)")
    return 0


def _local(args: argparse.Namespace) -> Registry:
    """The registry of the data folder; a server holding it is named, with the way round it (``--url``)."""
    from .errors import StoreBusy

    try:
        return _registry(args)
    except StoreBusy as exc:
        raise StoreBusy(f"{exc.message}; ask the running server instead: --url http://HOST:PORT/") from None


def cmd_backup(args: argparse.Namespace) -> int:
    from .registry.backup import backup

    try:
        if args.url:
            from . import ops_client

            manifest = ops_client.backup(args.url, _settings(args), args.directory)
        else:
            with _local(args) as reg:
                manifest = backup(reg, Path(args.directory))
    except OSError as exc:  # disk full, no permission: no backup was written
        print(f"igsn-graph: error: no backup written to {args.directory}: {exc}", file=sys.stderr)
        return 2
    print(_backup_line(manifest, args.directory))
    return 0


def _backup_line(manifest: dict[str, Any], directory: str) -> str:
    counts = manifest.get("counts", {})
    journal = manifest.get("journal", {})
    return (
        f"backup written to {directory}: {counts.get('catalogue', 0)} samples, {counts.get('versions', 0)} versions, "
        f"journal at {journal.get('seq')} ({journal.get('datestamp')}), {manifest.get('seconds')} s"
    )


def cmd_restore(args: argparse.Namespace) -> int:
    from .registry.restore import restore

    settings = _settings(args)
    try:
        counts = restore(settings, Path(args.file))
    except OSError as exc:
        print(f"igsn-graph: error: nothing restored into {settings.data_dir}: {exc}", file=sys.stderr)
        return 2
    print("restored " + ", ".join(f"{k}={v}" for k, v in counts.items()) + " (verified)")
    return 0


def _relink(reg: "Registry") -> None:
    """Descriptions stored before the current link rules get their links first (resumable, idempotent)."""
    from .registry.relink import relink

    n = relink(reg)
    if n:
        print(f"relinked {n} stored descriptions to the current link rules (a new version each)")


def cmd_reindex(args: argparse.Namespace) -> int:
    from .registry.datadir import rebuild_indexes

    with _registry(args) as reg:
        _relink(reg)
        with reg.writing():
            n = rebuild_indexes(reg.db, reg.store, reg.iris)
    print(f"index rebuilt from the graph: {n} samples")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from .index.rebuild import verify
    from .registry.restore import STAGING

    if args.url:
        from . import ops_client

        answer = ops_client.verify(args.url, _settings(args))
        journal = answer.get("journal", {})
        print(f"verified by {args.url} at journal position {journal.get('seq')} ({journal.get('datestamp')})")
        return _verified(bool(answer["ok"]), int(answer["samples"]), list(answer["problems"]))
    staging = _settings(args).data_dir / STAGING
    if staging.exists():  # a restore was killed: the folder holds no registry, or only a part of one
        print(
            f"igsn-graph: error: an interrupted restore left {staging}: remove it (and the data folder's "
            "graph/ and registry.sqlite, if there) and restore again",
            file=sys.stderr,
        )
        return 1
    with _local(args) as reg:
        if reg.repaired:
            print(f"repaired {reg.repaired} interrupted write(s) from the journal")
        report = verify(reg.db, reg.store, reg.iris)
    return _verified(report.ok, report.samples, report.problems)


def _verified(ok: bool, samples: int, problems: list[str]) -> int:
    for p in problems:
        print(f"differs: {p}")
    if ok:
        print(f"ok: graph, history and index agree on {samples} samples")
        return 0
    print(f"{len(problems)} problem(s) in {samples} samples", file=sys.stderr)
    return 1


def cmd_prerender(args: argparse.Namespace) -> int:
    from .index import catalogue
    from .resolver.stored import FILE, fill, open_stored

    with _registry(args) as reg:
        stored = open_stored(reg.settings.data_dir / FILE)
        if stored is None:
            print(f"igsn-graph: error: {FILE} cannot be written", file=sys.stderr)
            return 1
        try:
            start = time.monotonic()
            n = fill(reg, stored, catalogue.all_rows(reg.db.read()))
        finally:
            stored.close()
    print(f"rendered the default RDF of {n} samples into {FILE} ({time.monotonic() - start:.0f} s)")
    return 0


def cmd_restamp(args: argparse.Namespace) -> int:
    from .registry import restamp

    settings = _settings(args)
    with _registry(args) as reg:
        _relink(reg)
        restamp.adopt(reg, settings.base_url)
        state = restamp.status(reg, settings.base_url)
        if not (args.force or state.pending or state.in_progress):
            print(f"datestamps are current (fingerprint {state.current}): nothing to restamp")
            return 0
        n = restamp.restamp(reg, settings.base_url, force=args.force, batch=args.batch_size)
    print(f"restamped {n} records (fingerprint {state.current})")
    return 0


def cmd_transfer(args: argparse.Namespace) -> int:
    from .registry.accounts import ADMIN
    from .registry.transfer import transfer

    if bool(args.names) == bool(args.namespace):
        print("igsn-graph: error: name the samples to transfer or give --namespace, not both", file=sys.stderr)
        return 2
    with _registry(args) as reg:
        done = transfer(reg, ADMIN, args.to, names=args.names or None, namespace=args.namespace)
    moved = f"transferred {len(done.moved)} sample(s) and {len(done.drafts)} draft(s) to {done.to}"
    print(moved + (f" with namespace {done.namespace}" if done.namespace else ""))
    if done.unchanged:
        print(f"{len(done.unchanged)} were {done.to}'s already")
    return 0


def cmd_embargoes(args: argparse.Namespace) -> int:
    """Lists the embargoes not lifted yet; ``--lift`` first makes the samples whose embargo ended public."""
    from datetime import datetime, timezone

    from .registry import embargo

    with _registry(args) as reg:
        if args.lift:
            lifted = embargo.lift(reg)
            for e in lifted:
                print(f"lifted {e.igsn}: embargoed until {e.ends}, public now (a new version)")
            print(f"{len(lifted)} embargo(es) lifted")
        now = datetime.now(timezone.utc)
        running = embargo.running(reg)
    for e in running:
        when = "ended, not lifted yet" if e.due(now) else f"public from {e.lifts_at}"
        print(f"{e.igsn}\tembargoed until {e.ends}\t{when}")
    due = sum(e.due(now) for e in running)
    print(
        f"{len(running)} embargo(es) running, {due} ended and not lifted yet"
        + (" (--lift, or a running server within minutes)" if due else "")
    )
    return 0


def cmd_source_add(args: argparse.Namespace) -> int:
    from .harvest import sources

    with _registry(args) as reg:
        src = sources.add(
            reg,
            args.name,
            url=args.url,
            prefix=args.prefix,
            set_spec=args.set,
            agent=args.agent,
            every=args.every,
            rate=args.rate,
            timeout_s=args.timeout,
        )
    print(
        f"source {src.name} added: {src.url} ({src.prefix}), "
        + (f"speaks for {src.agent}" if src.agent else "unverified (no agent)")
        + (f", every {sources.format_every(src.every_s)}" if src.every_s else ", on demand")
    )
    return 0


def cmd_source_list(args: argparse.Namespace) -> int:
    from .harvest import sources

    with _registry(args) as reg:
        found = sources.all_sources(reg)
    for s in found:
        print(
            f"{s.name}\t{s.url}\t{s.prefix}\t{s.agent or 'unverified'}\t{sources.format_every(s.every_s) or '-'}"
            f"\t{s.state}\tlast run {s.last_run or 'never'}"
        )
    print(f"{len(found)} source(s)")
    return 0


def cmd_source_show(args: argparse.Namespace) -> int:
    from .harvest import sources

    with _registry(args) as reg:
        shown = sources.get(reg, args.name).as_dict()
        counts = sources.record_counts(reg, args.name)
    for key, value in shown.items():
        print(f"{key}: {'' if value is None else value}")
    print("samples: " + (", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "none yet"))
    return 0


def cmd_source_pause(args: argparse.Namespace) -> int:
    from .harvest import sources

    with _registry(args) as reg:
        src = sources.set_paused(reg, args.name, args.source_cmd == "pause")
    print(f"source {src.name}: {src.state}")
    return 0


def cmd_source_remove(args: argparse.Namespace) -> int:
    from .harvest import sources

    with _registry(args) as reg:
        src = sources.remove(reg, args.name)
    print(f"source {src.name} removed (the samples it brought stay registered)")
    return 0


def cmd_harvest(args: argparse.Namespace) -> int:
    """Harvests one source, or every source that is not paused; a progress line per page."""
    from .harvest import scheduler, sources

    failed = 0
    with _registry(args) as reg:
        names = [args.name] if args.name else [s.name for s in sources.all_sources(reg) if not s.paused]
        for name in names:
            start = time.monotonic()

            def progress(r: scheduler.RunReport, name: str = name, start: float = start) -> None:
                total = f"/{r.total}" if r.total else ""
                rate = r.records / max(time.monotonic() - start, 1e-9)
                print(
                    f"{name}: page {r.pages}, {r.records}{total} records, {r.stored} stored, "
                    f"{len(r.refused)} refused, {rate:,.0f}/s",
                    file=sys.stderr,
                    flush=True,
                )

            report = scheduler.run(reg, name, on_page=progress)
            for problem in report.refused:
                print(f"refused: {name}: {problem}", file=sys.stderr)
            if args.verbose:
                for w in report.warnings:
                    print(f"warning: {name}: {w}", file=sys.stderr)
                for kept in report.beside:  # stored in its harvest graph, not shown (harvest.precedence)
                    print(f"beside: {name}: {kept}", file=sys.stderr)
            said = "resumed, " if report.resumed else ""
            if report.error:
                failed += 1
                print(f"{name}: failed ({said}{report.stored} stored before): {report.error}")
            else:
                print(
                    f"{name}: {said}{report.records} records in {report.pages} page(s), {report.stored} stored, "
                    f"{report.deleted} deleted, {len(report.refused)} refused, {report.requests} requests, "
                    f"{time.monotonic() - start:.1f} s"
                )
                if report.unlisted:
                    print(
                        f"{name}: {len(report.unlisted)} sample(s) no longer listed by the source, flagged and "
                        f"kept: {', '.join(report.unlisted[:10])}{' …' if len(report.unlisted) > 10 else ''}"
                    )
    return 4 if failed else 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo_load import ensure_demo

    settings = _settings(args)

    def acknowledged(n: int) -> None:
        if args.verbose:
            print(f"acknowledged {n}", flush=True)

    summary = ensure_demo(settings, size=args.size, on_batch=acknowledged)
    print(summary)
    return 0


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
    settings = _settings(args)
    if args.demo:
        from .demo_load import demo_credentials, ensure_demo

        print(ensure_demo(settings))
        credentials = demo_credentials()
    else:
        credentials = []
    # the app reads its settings from the environment of this process (the factory builds them)
    os.environ["IGSN_GRAPH_DATA"] = str(settings.data_dir.resolve())
    os.environ["IGSN_GRAPH_HOST"] = settings.host
    os.environ["PORT"] = str(settings.port)
    if args.demo and not settings.admin_password:
        os.environ["IGSN_GRAPH_ADMIN_PASSWORD"] = "admin-demo"
    base = settings.base_url
    print(f"igsn-graph serving {settings.data_dir.resolve()} on http://{settings.host}:{settings.port}/")
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


def _start_readers(settings: Settings, args: argparse.Namespace) -> subprocess.Popen[bytes]:
    """``--readers N`` processes on ``--read-port`` (api.readers): resolutions from SQLite, everything else 307
    to this server. A child process of ``serve``, stopped with it."""
    port = args.read_port or settings.port + 1
    print(f"  {'resolver readers':<30} http://{settings.host}:{port}/ ({args.readers} processes)")
    sys.stdout.flush()
    code = (
        "import uvicorn, sys; from igsn_graph.cli import server_options; from igsn_graph.settings import Settings; "
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="igsn-graph", description="The IGSN sample registry as an RDF graph.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str,
        func: Callable[[argparse.Namespace], int],
        help: str,
        parent: argparse._SubParsersAction[argparse.ArgumentParser] | None = None,
    ) -> argparse.ArgumentParser:
        p = (parent or sub).add_parser(name, help=help, description=help)
        p.add_argument("--data", help="data folder (default: $IGSN_GRAPH_DATA or ./var)")
        p.set_defaults(func=func)
        return p

    p = command("init", cmd_init, "create a data folder and fix its IRI base and OAI repository id")
    p.add_argument("--iri-base", help="base of sample IRIs (default https://igsn.org/)")
    p.add_argument(
        "--repository-id",
        default="igsn-graph.example.org",
        help="the OAI-PMH repository identifier, a dotted domain name",
    )
    p.add_argument(
        "--contact-email",
        help="the registry's contact address, OAI-PMH Identify's adminEmail "
        "(default contact@REPOSITORY-ID; $IGSN_GRAPH_OAI_ADMIN_EMAIL beats it)",
    )

    command(
        "prerender",
        cmd_prerender,
        "store the default RDF representations (Turtle, JSON-LD) of every sample the resolver has not stored yet",
    )

    p = command("serve", cmd_serve, "run the HTTP server")
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

    agent = sub.add_parser("agent", help="allocating agents").add_subparsers(dest="agent_cmd", required=True)
    p = command("add", cmd_agent_add, "add an allocating agent", agent)
    p.add_argument("symbol")
    p.add_argument("--name", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--namespace", action="append", required=True, help="e.g. IEXYZ or 10273/IEXYZ; repeatable")
    p.add_argument("--doi-prefix", action="append", help="10.NNNN; repeatable")
    p.add_argument("--quota", type=int, default=-1, help="distinct IGSNs (-1 = unlimited)")
    p.add_argument("--ror", help="ROR IRI of the organisation")
    command("list", cmd_agent_list, "list agents and their clients", agent)

    client = sub.add_parser("client", help="clients (datacentres)").add_subparsers(dest="client_cmd", required=True)
    p = command("add", cmd_client_add, "add a client of an agent", client)
    p.add_argument("symbol", help="AGENT.CLIENT")
    p.add_argument("--password", required=True)
    p.add_argument("--name")
    p.add_argument("--namespace", action="append", required=True)
    p.add_argument("--doi-prefix", action="append")
    p.add_argument("--domain", action="append", help="allowed landing-page domain; repeatable")
    p.add_argument("--quota", type=int, default=-1)

    p = command("load", cmd_load, "import XML (any kernel), Turtle or JSON-LD files or folders")
    p.add_argument("paths", nargs="+")
    p.add_argument("--client", help="register as this client (AGENT.CLIENT)")
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--progress", action="store_true", help="show the progress bar even when not on a terminal")
    p.add_argument(
        "--no-read-ahead",
        dest="read_ahead",
        action="store_false",
        help="read the files in this process (by default many files are read in a second process meanwhile)",
    )

    p = command(
        "dump",
        cmd_dump,
        "write everything (graph and history as N-Quads, accounts, registry state) to a new folder DIRECTORY",
    )
    p.add_argument("directory")
    p.add_argument("--url", help="take the dump from the running server at URL (admin credentials from the settings)")
    p = command("backup", cmd_backup, "write a consistent copy of the data folder (graph, database) to DIRECTORY")
    p.add_argument("directory", help="a new folder (with --url: a path on the server)")
    p.add_argument(
        "--url", help="ask the running server at URL to write the backup (admin credentials from the settings)"
    )
    p = command("restore", cmd_restore, "restore a dump or a backup into an empty data folder")
    p.add_argument("file", help="a dump (folder, tar or older single file) or a backup folder")
    command("reindex", cmd_reindex, "rebuild the catalogue, search and relation indexes from the graph")
    p = command("verify", cmd_verify, "check that graph, history and index agree")
    p.add_argument(
        "--url", help="ask the running server at URL to verify a snapshot (admin credentials from the settings)"
    )
    p = command(
        "restamp",
        cmd_restamp,
        "new datestamps for harvestable records after a writer, crosswalk or "
        "public-URL change (the server does this itself at start)",
    )
    p.add_argument("--force", action="store_true", help="restamp even if nothing changed")
    p.add_argument("--batch-size", type=int, default=500)
    p = command(
        "transfer",
        cmd_transfer,
        "move samples (and their drafts) to another agent or client, all or nothing: the named ones, or every "
        "one of a namespace with the namespace",
    )
    p.add_argument("to", help="the receiving agent, or client (AGENT.CLIENT)")
    p.add_argument("names", nargs="*", help="the IGSNs to move (the receiver must own their namespace)")
    p.add_argument("--namespace", help="move every sample and draft of this namespace, and the namespace")
    p = command("embargoes", cmd_embargoes, "list private samples under an embargo and when each ends")
    p.add_argument(
        "--lift",
        action="store_true",
        help="first make public every sample whose embargo has ended (the server does this itself)",
    )
    source = sub.add_parser("source", help="OAI-PMH harvest sources").add_subparsers(dest="source_cmd", required=True)
    p = command("add", cmd_source_add, "add an OAI-PMH source to harvest", source)
    p.add_argument("name")
    p.add_argument("--url", required=True, help="the provider's OAI-PMH base URL")
    p.add_argument(
        "--prefix", required=True, help="metadataPrefix to ask for (igsn_desc, csirov3, datacite, oai_dc, …)"
    )
    p.add_argument("--set", help="setSpec to harvest (default: everything)")
    p.add_argument(
        "--agent",
        help="the allocating agent the source speaks for (its namespaces are checked per "
        "record); without it the source is unverified",
    )
    p.add_argument("--every", help="harvest by the server every 30m, 6h, 1d, … (default: on demand only)")
    p.add_argument("--rate", type=float, default=1.0, help="requests per second at most (default 1)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per request (default 60)")
    command("list", cmd_source_list, "list sources and their state", source)
    for name, func, text in (
        ("show", cmd_source_show, "one source and its harvest state"),
        ("pause", cmd_source_pause, "stop scheduled harvests of a source"),
        ("resume", cmd_source_pause, "schedule a paused or failing source again"),
        ("remove", cmd_source_remove, "forget a source (its samples stay)"),
    ):
        command(name, func, text, source).add_argument("name")
    p = command("harvest", cmd_harvest, "harvest one source, or every source not paused (for cron)")
    p.add_argument("name", nargs="?")
    p.add_argument("--verbose", action="store_true", help="print the readers' warnings too")
    p = command("demo", cmd_demo, "initialise the data folder and load the demo data (once)")
    p.add_argument(
        "--size",
        "--count",
        type=int,
        default=None,
        help="number of synthetic samples, generated as they are loaded (default: the small set)",
    )
    p.add_argument("--verbose", action="store_true", help="print each acknowledged batch")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except IgsnGraphError as exc:
        print(f"igsn-graph: error: {exc.message}", file=sys.stderr)
        return 2
    except ValueError as exc:  # bad settings
        print(f"igsn-graph: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
