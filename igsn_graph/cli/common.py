"""What every command shares: settings from the arguments, the registry they name, and the way commands are added."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..settings import Settings

if TYPE_CHECKING:
    from ..registry.service import Registry

    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]  # generic for type checkers only

#: what a command runs: the parsed arguments in, the exit status out
Handler = Callable[[argparse.Namespace], int]


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings from the environment, with the data folder, host and port the command line gives."""
    overrides: dict[str, Any] = {}
    if getattr(args, "data", None):
        overrides["data_dir"] = Path(args.data)
    if getattr(args, "port", None):
        overrides["port"] = args.port
    if getattr(args, "host", None):
        overrides["host"] = args.host
    return Settings.from_env(**overrides)


def registry_of(args: argparse.Namespace) -> Registry:
    from ..registry.service import Registry

    return Registry(settings_of(args))


class Commands:
    """Adds the subcommands of ``igsn-graph``: each takes ``--data`` and runs its handler."""

    def __init__(self, sub: SubParsers) -> None:
        self.sub = sub

    def add(self, name: str, func: Handler, help: str, parent: SubParsers | None = None) -> argparse.ArgumentParser:
        p = (parent or self.sub).add_parser(name, help=help, description=help)
        p.add_argument("--data", help="data folder (default: $IGSN_GRAPH_DATA or ./var)")
        p.set_defaults(func=func)
        return p

    def group(self, name: str, help: str, dest: str) -> SubParsers:
        """A command with subcommands of its own (``agent add``, ``source list``…)."""
        return self.sub.add_parser(name, help=help).add_subparsers(dest=dest, required=True)
