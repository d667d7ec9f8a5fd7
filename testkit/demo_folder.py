"""The data folder of a benchmark over the demo set (``bench/ops.py``, ``bench/verify.py``, ``bench/load_mix.py``,
``bench/resolve.py``): the demo set of ``--size`` samples in ``--data``, loaded unless a completed load is there,
or the folder as it is with ``--as-is``."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from igsn_graph.demo_load import ensure_demo
from igsn_graph.settings import Settings

__all__ = ["add_demo_arguments", "demo_folder"]


def add_demo_arguments(
    parser: argparse.ArgumentParser,
    *,
    size: int = 10000,
    size_help: str | None = None,
    data_help: str | None = None,
    as_is_help: str = "use the registry in --data as it is (no demo load)",
) -> None:
    """``--size``, ``--data`` and ``--as-is``; a benchmark states its own default size and what they mean to it."""
    parser.add_argument("--size", type=int, default=size, help=size_help)
    parser.add_argument("--data", type=Path, default=None, help=data_help)
    parser.add_argument("--as-is", action="store_true", help=as_is_help)


def demo_folder(args: argparse.Namespace, *, default: Path | None = None, report: bool = False) -> Settings:
    """The settings of ``--data`` (else ``default``, else one temporary folder per size shared by the operations
    benchmarks) with the demo set loaded there, unless ``--as-is``; ``report``: print what the load did and how
    long it took."""
    data = args.data or default or Path(tempfile.gettempdir()) / f"igsn-graph-bench-ops-{args.size}"
    settings = Settings(data_dir=data)
    if not args.as_is:
        start = time.monotonic()
        outcome = ensure_demo(settings, size=args.size)
        if report:
            print(outcome, f"({time.monotonic() - start:.0f} s)", flush=True)
    return settings
