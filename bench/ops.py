"""Operations benchmark (issue 16): wall time of backup, dump, restore (of each) and verify on one store.

The store is the demo set (`igsn_graph/demo_load.py`) of --size samples in --data (reused when a completed
load is there). Each operation runs once, in this process, on the folder not served (the server runs the
same code through the admin API); sizes on disk are given beside the times, and the load average of the
machine before and after the run (2 shared cores: the ratios count more than the absolute figures).

    python bench/ops.py --size 100000 --data /tmp/ops-bench/d100k [--work DIR] [--as-is]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from igsn_graph.index.rebuild import verify
from igsn_graph.registry.backup import backup
from igsn_graph.registry.dump import dump
from igsn_graph.registry.restore import restore
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
from testkit.demo_folder import add_demo_arguments, demo_folder


def _size(path: Path) -> int:
    return int(subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True).stdout.split()[0])


def _timed(label: str, fn: Callable[[], Any], rows: list[tuple[str, float, str]], note: Callable[[Any], str]) -> Any:
    start = time.monotonic()
    result = fn()
    rows.append((label, time.monotonic() - start, note(result)))
    print(f"{label:<28} {rows[-1][1]:8.1f} s  {rows[-1][2]}", flush=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_demo_arguments(parser)
    parser.add_argument("--work", type=Path, default=None, help="where backups, dumps and restores go (removed)")
    args = parser.parse_args()
    settings = demo_folder(args)
    data = settings.data_dir
    work = Path(tempfile.mkdtemp(prefix="ops-", dir=args.work or data.parent))
    load_before = os.getloadavg()
    rows: list[tuple[str, float, str]] = []
    try:
        with Registry(settings) as reg:
            samples = reg.db.read().execute("SELECT COUNT(*) FROM catalogue").fetchone()[0]
            print(f"{samples} samples in {data} ({_size(data) / 1e6:,.0f} MB)", flush=True)
            _timed(
                "backup",
                lambda: backup(reg, work / "backup"),
                rows,
                lambda _: f"{_size(work / 'backup') / 1e6:,.0f} MB",
            )
            _timed(
                "dump (written + read back)",
                lambda: dump(reg, work / "dump"),
                rows,
                lambda c: (
                    f"{_size(work / 'dump') / 1e6:,.0f} MB, {c['quads']:,} graph quads, "
                    f"{c['history_quads']:,} history quads"
                ),
            )
            _timed("verify", lambda: verify(reg.db, reg.store, reg.iris), rows, lambda r: f"ok={r.ok}")
        _timed(
            "restore of the backup",
            lambda: restore(Settings(data_dir=work / "from-backup"), work / "backup"),
            rows,
            lambda c: f"{c['catalogue']:,} samples (verified)",
        )
        _timed(
            "restore of the dump",
            lambda: restore(Settings(data_dir=work / "from-dump"), work / "dump"),
            rows,
            lambda c: f"{c['catalogue']:,} samples (rebuilt, verified)",
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()
    print(f"load average before {load_before[0]:.1f} / after {load_after[0]:.1f} (1 min), {os.cpu_count()} cores")
    print("\n| operation | seconds | |\n|---|---|---|")
    for label, seconds, note in rows:
        print(f"| {label} | {seconds:,.1f} | {note} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
