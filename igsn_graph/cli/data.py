"""Commands for the data folder and its contents: init, migrate, load, demo, dump, backup, restore, verify."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..progress import Lines, Progress
from .common import Commands, registry_of, settings_of

if TYPE_CHECKING:
    from ..registry.service import Registry

#: `load` reads files in a second process from this many files on (below it, starting one costs more)
READ_AHEAD_MIN_FILES = 32


def cmd_init(args: argparse.Namespace) -> int:
    from ..iris import DEFAULT_IRI_BASE
    from ..registry.service import init_data_dir

    settings = settings_of(args)
    created = init_data_dir(
        settings,
        iri_base=args.iri_base or DEFAULT_IRI_BASE,
        repository_id=args.repository_id,
        contact_email=args.contact_email,
    )
    print(f"{'initialised' if created else 'already initialised'}: {settings.data_dir.resolve()}")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from ..registry.datadir import migrate_database

    settings = settings_of(args)
    version, applied = migrate_database(settings)
    for step in applied:
        print(f"applied schema step {step.version}: {step.description}")
    where = "PostgreSQL" if settings.shared_database else str(settings.database_path.resolve())
    print(f"registry database ({where}) at schema version {version}{'' if applied else ', up to date'}")
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    from ..formats.contexts import own_context_urls
    from ..loader import apply_deletions, default_readers, fewer_collections, iter_files, segments
    from ..registry.accounts import ADMIN, Principal
    from ..registry.derivation import DerivationSettings

    reg = registry_of(args)
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
        with fewer_collections():  # the registry and modules are not scanned again for every batch
            for segment in segments(
                files,
                max_bytes=reg.settings.max_body_bytes,
                on_problem=unreadable,
                on_read=read,
                context_urls=own,
                read_ahead=read_ahead,
                # what each record makes alone (RDF, SHACL report, index rows…) is derived by the readers too
                derive=DerivationSettings.of(reg) if read_ahead else None,
                readers=args.readers or default_readers(),
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


def cmd_demo(args: argparse.Namespace) -> int:
    from ..demo_load import ensure_demo

    settings = settings_of(args)

    def acknowledged(n: int) -> None:
        if args.verbose:
            print(f"acknowledged {n}", flush=True)

    summary = ensure_demo(settings, size=args.size, on_batch=acknowledged)
    print(summary)
    return 0


def cmd_dump(args: argparse.Namespace) -> int:
    from ..registry.dump import dump

    target = Path(args.directory)
    try:
        if args.url:
            from .. import ops_client

            counts = ops_client.dump(args.url, settings_of(args), target)
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
    from ..errors import StoreBusy

    try:
        return registry_of(args)
    except StoreBusy as exc:
        raise StoreBusy(f"{exc.message}; ask the running server instead: --url http://HOST:PORT/") from None


def cmd_backup(args: argparse.Namespace) -> int:
    from ..registry.backup import backup

    try:
        if args.url:
            from .. import ops_client

            manifest = ops_client.backup(args.url, settings_of(args), args.directory)
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
    from ..registry.restore import restore

    settings = settings_of(args)
    try:
        counts = restore(settings, Path(args.file))
    except OSError as exc:
        print(f"igsn-graph: error: nothing restored into {settings.data_dir}: {exc}", file=sys.stderr)
        return 2
    print("restored " + ", ".join(f"{k}={v}" for k, v in counts.items()) + " (verified)")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from ..index.rebuild import verify
    from ..registry.restore import STAGING

    if args.url:
        from .. import ops_client

        answer = ops_client.verify(args.url, settings_of(args))
        journal = answer.get("journal", {})
        print(f"verified by {args.url} at journal position {journal.get('seq')} ({journal.get('datestamp')})")
        return _verified(bool(answer["ok"]), int(answer["samples"]), list(answer["problems"]))
    staging = settings_of(args).data_dir / STAGING
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


def add_commands(commands: Commands) -> None:
    p = commands.add("init", cmd_init, "create a data folder and fix its IRI base and OAI repository id")
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

    commands.add(
        "migrate",
        cmd_migrate,
        "bring the registry database's schema up to date (SQLite or $IGSN_GRAPH_DATABASE; stop the servers first)",
    )

    p = commands.add("load", cmd_load, "import XML (any kernel), Turtle or JSON-LD files or folders")
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
    p.add_argument(
        "--readers",
        type=int,
        default=None,
        help="processes that read and derive the records while this one writes (default: one per core but one)",
    )

    p = commands.add(
        "dump",
        cmd_dump,
        "write everything (graph and history as N-Quads, accounts, registry state) to a new folder DIRECTORY",
    )
    p.add_argument("directory")
    p.add_argument("--url", help="take the dump from the running server at URL (admin credentials from the settings)")
    p = commands.add("backup", cmd_backup, "write a consistent copy of the data folder (graph, database) to DIRECTORY")
    p.add_argument("directory", help="a new folder (with --url: a path on the server)")
    p.add_argument(
        "--url", help="ask the running server at URL to write the backup (admin credentials from the settings)"
    )
    p = commands.add("restore", cmd_restore, "restore a dump or a backup into an empty data folder")
    p.add_argument("file", help="a dump (folder, tar or older single file) or a backup folder")
    p = commands.add("verify", cmd_verify, "check that graph, history and index agree")
    p.add_argument(
        "--url", help="ask the running server at URL to verify a snapshot (admin credentials from the settings)"
    )
    p = commands.add("demo", cmd_demo, "initialise the data folder and load the demo data (once)")
    p.add_argument(
        "--size",
        "--count",
        type=int,
        default=None,
        help="number of synthetic samples, generated as they are loaded (default: the small set)",
    )
    p.add_argument("--verbose", action="store_true", help="print each acknowledged batch")
