"""Verify benchmark (issue 16): samples/s of `verify` (graph, history and indexes compared) on the demo set.

The store is the demo set (`igsn_graph/demo_load.py`) of --size samples in --data (reused when a completed
load is there). Verify runs once in this process on the folder not served (the server runs the same code
through the admin API); the load average of the machine is printed before and after (2 shared cores: the
ratios count more than the absolute figures).

    python bench/verify.py --size 10000 [--data DIR] [--as-is]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from igsn_graph.index.rebuild import verify
from igsn_graph.registry.service import Registry
from testkit.demo_folder import add_demo_arguments, demo_folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_demo_arguments(parser)
    args = parser.parse_args()
    settings = demo_folder(args)
    load_before = os.getloadavg()
    with Registry(settings) as reg:
        start = time.monotonic()
        report = verify(reg.db, reg.store, reg.iris)
        seconds = time.monotonic() - start
    load_after = os.getloadavg()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"verify: {report.samples:,} samples in {seconds:.1f} s = {report.samples / seconds:,.0f} samples/s, "
        f"ok={report.ok} ({len(report.problems)} problems), peak RSS {peak_mb:,.0f} MB"
    )
    for problem in report.problems[:5]:
        print("  ", problem)
    print(f"load average before {load_before[0]:.1f} / after {load_after[0]:.1f} (1 min), {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
