"""Commands that keep stored samples current: reindex, relink, restamp, prerender, transfers, embargoes."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from .common import Commands, registry_of, settings_of

if TYPE_CHECKING:
    from ..registry.service import Registry


def _relink(reg: "Registry") -> None:
    """Descriptions stored before the current link rules get their links first (resumable, idempotent)."""
    from ..registry.relink import relink

    n = relink(reg)
    if n:
        print(f"relinked {n} stored descriptions to the current link rules (a new version each)")


def _drop_graph_datestamps(reg: "Registry") -> None:
    """Graphs of a data folder from before drop their ``ig:datestamp`` (resumable, once)."""
    from ..registry import graph_datestamps
    from ..resolver.stored import FILE, forget

    n = graph_datestamps.drop(reg, changed=lambda names: forget(reg.settings.data_dir / FILE, names, "ig"))
    if n:
        print(f"dropped ig:datestamp from {n} sample graphs (the datestamp is the catalogue's)")


def cmd_reindex(args: argparse.Namespace) -> int:
    from ..registry.datadir import rebuild_indexes

    with registry_of(args) as reg:
        _relink(reg)
        with reg.writing():
            n = rebuild_indexes(reg.db, reg.store, reg.iris)
        _drop_graph_datestamps(reg)  # after: it goes by the rebuilt catalogue
    print(f"index rebuilt from the graph: {n} samples")
    return 0


def cmd_prerender(args: argparse.Namespace) -> int:
    from ..index import catalogue
    from ..resolver.stored import FILE, fill, open_stored

    with registry_of(args) as reg:
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
    from ..registry import restamp

    settings = settings_of(args)
    with registry_of(args) as reg:
        _relink(reg)
        _drop_graph_datestamps(reg)
        restamp.adopt(reg, settings.base_url)
        state = restamp.status(reg, settings.base_url)
        if not (args.force or state.pending or state.in_progress):
            print(f"datestamps are current (fingerprint {state.current}): nothing to restamp")
            return 0
        batch = args.batch_size or restamp.DEFAULT_BATCH
        n = restamp.restamp(reg, settings.base_url, force=args.force, batch=batch)
    print(f"restamped {n} records (fingerprint {state.current})")
    return 0


def cmd_transfer(args: argparse.Namespace) -> int:
    from ..registry.accounts import ADMIN
    from ..registry.transfer import transfer

    if bool(args.names) == bool(args.namespace):
        print("igsn-graph: error: name the samples to transfer or give --namespace, not both", file=sys.stderr)
        return 2
    with registry_of(args) as reg:
        done = transfer(reg, ADMIN, args.to, names=args.names or None, namespace=args.namespace)
    moved = f"transferred {len(done.moved)} sample(s) and {len(done.drafts)} draft(s) to {done.to}"
    print(moved + (f" with namespace {done.namespace}" if done.namespace else ""))
    if done.unchanged:
        print(f"{len(done.unchanged)} were {done.to}'s already")
    return 0


def cmd_embargoes(args: argparse.Namespace) -> int:
    """Lists the embargoes not lifted yet; ``--lift`` first makes the samples whose embargo ended public."""
    from datetime import datetime, timezone

    from ..registry import embargo

    with registry_of(args) as reg:
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


def add_commands(commands: Commands) -> None:
    commands.add(
        "prerender",
        cmd_prerender,
        "store the default RDF representations (Turtle, JSON-LD) of every sample the resolver has not stored yet",
    )
    commands.add("reindex", cmd_reindex, "rebuild the catalogue, search and relation indexes from the graph")
    p = commands.add(
        "restamp",
        cmd_restamp,
        "new datestamps for harvestable records after a writer, crosswalk or "
        "code-list change (the server does this itself at start)",
    )
    p.add_argument("--force", action="store_true", help="restamp even if nothing changed")
    p.add_argument("--batch-size", type=int, default=None, help="records per transaction (default: 5000)")
    p = commands.add(
        "transfer",
        cmd_transfer,
        "move samples (and their drafts) to another agent or client, all or nothing: the named ones, or every "
        "one of a namespace with the namespace",
    )
    p.add_argument("to", help="the receiving agent, or client (AGENT.CLIENT)")
    p.add_argument("names", nargs="*", help="the IGSNs to move (the receiver must own their namespace)")
    p.add_argument("--namespace", help="move every sample and draft of this namespace, and the namespace")
    p = commands.add("embargoes", cmd_embargoes, "list private samples under an embargo and when each ends")
    p.add_argument(
        "--lift",
        action="store_true",
        help="first make public every sample whose embargo has ended (the server does this itself)",
    )
