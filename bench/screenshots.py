"""Screenshots of the pages a researcher meets, at desktop and phone widths, for anyone to look at (issue 17).

    python bench/screenshots.py OUT_DIR [--data DIR] [--chromium PATH]

Loads the demo data (into ``--data``, or a temporary folder), starts the real server on a loopback port
(``harness.start_server``), and has headless Chromium (``chromium --headless --screenshot``) take the home
page, a landing page (a demo sample with a family when there is one), search, an agent page and /sparql at
1280 and 390 CSS pixels wide. Writes ``<page>-<width>.png`` into OUT_DIR; nothing is committed. The pages
load no external resource, so no network is needed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from igsn_graph.demo_load import ensure_demo
from igsn_graph.settings import Settings
from testkit.harness import start_server, stop_server

#: (name, width, height) of each window; tall enough to show most of a page (the CLI takes no full-page shot)
SIZES = (("desktop", 1280, 2400), ("phone", 390, 3200))


def pages(base: str) -> dict[str, str]:
    """The paths to shoot: home, a landing page, search, an agent page and the SPARQL editor."""
    hits = httpx.get(base + "/api/v1/search", params={"q": "core", "limit": 50}, timeout=30).json()["items"]
    if not hits:
        hits = httpx.get(base + "/api/v1/search", params={"limit": 50}, timeout=30).json()["items"]
    sample = hits[0]
    for hit in hits:  # a sample with parents shows the family tree too
        up = httpx.get(f"{base}/api/v1/samples/{hit['igsn']}/ancestors", timeout=30)
        if up.status_code == 200 and up.json()["items"]:
            sample = hit
            break
    return {
        "home": "/",
        "landing": f"/{sample['igsn']}",
        "search": "/search?q=core",
        "agent": f"/agent/{sample['agent']}",
        "sparql": "/sparql",
    }


def shoot(chromium: str, url: str, target: Path, width: int, height: int, profile: Path) -> None:
    """One screenshot of ``url`` in a ``width`` × ``height`` window (raises when Chromium writes none)."""
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            "--virtual-time-budget=5000",
            f"--screenshot={target}",
            url,
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    if not target.is_file():
        raise RuntimeError(f"chromium wrote no screenshot of {url}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder for the PNG files (created)")
    parser.add_argument("--data", type=Path, help="data folder (the demo set is loaded once); default: a temporary one")
    parser.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser"))
    args = parser.parse_args(argv)
    if not args.chromium:
        parser.error("chromium is not installed (apt-get install chromium) and --chromium was not given")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="igsn-shots-") as tmp:
        data = args.data or Path(tmp) / "data"
        print(ensure_demo(Settings(data_dir=data)), file=sys.stderr)
        proc, base = start_server(data)
        try:
            for name, path in pages(base).items():
                for size, width, height in SIZES:
                    target = args.out.resolve() / f"{name}-{size}.png"
                    shoot(args.chromium, base + path, target, width, height, Path(tmp) / "profile")
                    print(f"{target}  ←  {path}")
        finally:
            stop_server(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
