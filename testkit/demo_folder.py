"""The data folder of an operations benchmark (``bench/ops.py``, ``bench/verify.py``): the demo set of ``--size``
samples in ``--data``, loaded unless a completed load is there, or the folder as it is with ``--as-is``."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from igsn_graph.demo_load import ensure_demo
from igsn_graph.settings import Settings

__all__ = ["add_demo_arguments", "demo_folder"]


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--as-is", action="store_true", help="use the registry in --data as it is (no demo load)")


def demo_folder(args: argparse.Namespace) -> Settings:
    """The settings of ``--data`` (by default one temporary folder per size, shared by these benchmarks) with the
    demo set loaded there, unless ``--as-is``."""
    data = args.data or Path(tempfile.gettempdir()) / f"igsn-graph-bench-ops-{args.size}"
    settings = Settings(data_dir=data)
    if not args.as_is:
        ensure_demo(settings, size=args.size)
    return settings
