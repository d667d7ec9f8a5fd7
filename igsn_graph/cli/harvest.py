"""Commands for OAI-PMH harvest sources and harvest runs."""

from __future__ import annotations

import argparse
import sys
import time

from .common import Commands, registry_of


def cmd_source_add(args: argparse.Namespace) -> int:
    from ..harvest import sources

    with registry_of(args) as reg:
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
    from ..harvest import sources

    with registry_of(args) as reg:
        found = sources.all_sources(reg)
    for s in found:
        print(
            f"{s.name}\t{s.url}\t{s.prefix}\t{s.agent or 'unverified'}\t{sources.format_every(s.every_s) or '-'}"
            f"\t{s.state}\tlast run {s.last_run or 'never'}"
        )
    print(f"{len(found)} source(s)")
    return 0


def cmd_source_show(args: argparse.Namespace) -> int:
    from ..harvest import sources

    with registry_of(args) as reg:
        shown = sources.get(reg, args.name).as_dict()
        counts = sources.record_counts(reg, args.name)
    for key, value in shown.items():
        print(f"{key}: {'' if value is None else value}")
    print("samples: " + (", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "none yet"))
    return 0


def cmd_source_pause(args: argparse.Namespace) -> int:
    from ..harvest import sources

    with registry_of(args) as reg:
        src = sources.set_paused(reg, args.name, args.source_cmd == "pause")
    print(f"source {src.name}: {src.state}")
    return 0


def cmd_source_remove(args: argparse.Namespace) -> int:
    from ..harvest import sources

    with registry_of(args) as reg:
        src = sources.remove(reg, args.name)
    print(f"source {src.name} removed (the samples it brought stay registered)")
    return 0


def cmd_harvest(args: argparse.Namespace) -> int:
    """Harvests one source, or every source that is not paused; a progress line per page."""
    from ..harvest import scheduler, sources

    failed = 0
    with registry_of(args) as reg:
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


def add_commands(commands: Commands) -> None:
    source = commands.group("source", "OAI-PMH harvest sources", "source_cmd")
    p = commands.add("add", cmd_source_add, "add an OAI-PMH source to harvest", source)
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
    commands.add("list", cmd_source_list, "list sources and their state", source)
    for name, func, text in (
        ("show", cmd_source_show, "one source and its harvest state"),
        ("pause", cmd_source_pause, "stop scheduled harvests of a source"),
        ("resume", cmd_source_pause, "schedule a paused or failing source again"),
        ("remove", cmd_source_remove, "forget a source (its samples stay)"),
    ):
        commands.add(name, func, text, source).add_argument("name")
    p = commands.add("harvest", cmd_harvest, "harvest one source, or every source not paused (for cron)")
    p.add_argument("name", nargs="?")
    p.add_argument("--verbose", action="store_true", help="print the readers' warnings too")
