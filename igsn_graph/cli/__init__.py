"""The ``igsn-graph`` command: parses arguments, calls the core, prints.

One module per group of commands (``accounts``, ``data``, ``upkeep``, ``harvest``, ``serve``), each adding its
own subcommands; this module assembles the parser and runs the command (``main``, the console script).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import IgsnGraphError
from . import accounts, data, harvest, serve, upkeep
from .common import Commands
from .serve import server_options

__all__ = ["main", "build_parser", "server_options"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="igsn-graph", description="The IGSN sample registry as an RDF graph.")
    commands = Commands(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    for group in (data, serve, accounts, upkeep, harvest):
        group.add_commands(commands)
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
