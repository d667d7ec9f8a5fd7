"""What the benchmark scripts share: a free loopback port, the real server (or another app, or ``oxigraph
serve``) in a child process, percentiles. The tests start ``oxigraph serve`` with the same code."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

__all__ = [
    "ROOT",
    "free_port",
    "oxigraph_executable",
    "percentile",
    "start_oxigraph",
    "start_server",
    "stop_server",
    "summary",
]

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    data_dir: Path,
    env: dict[str, str] | None = None,
    timeout: float = 120.0,
    *,
    app: str = "api.app:create_app",
    app_dir: Path | None = None,
    ready: str = "/health",
) -> tuple[subprocess.Popen[bytes], str]:
    """uvicorn (one process) serving ``data_dir`` on a free loopback port; returns once ``ready`` answers 200.

    ``app`` is the app factory (``module:function``), imported from ``app_dir`` when given. ``--host/--port``
    rather than a bound socket with ``--fd``: uvicorn opens ``--fd`` sockets as AF_UNIX, so asyncio leaves
    Nagle on and every response pays a ~40 ms delayed ACK.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    full_env = {
        **os.environ,
        "IGSN_GRAPH_DATA": str(data_dir),
        "IGSN_GRAPH_PUBLIC_URL": base + "/",
        "PYTHONPATH": str(ROOT),
        **(env or {}),
    }
    where = ["--app-dir", str(app_dir)] if app_dir is not None else []
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--factory",
            *where,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=full_env,
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(base + ready, timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"{app} did not start")
        time.sleep(0.1)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)


def oxigraph_executable() -> str | None:
    """The ``oxigraph`` server of the PyPI package ``oxigraph`` (on PATH or beside this Python), or None."""
    exe = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    return exe if Path(exe).exists() else None


def start_oxigraph(location: Path, port: int) -> subprocess.Popen[bytes]:
    """`oxigraph serve` on a loopback port; returns once it answers."""
    exe = oxigraph_executable()
    if exe is None:
        raise RuntimeError("the oxigraph server (PyPI package `oxigraph`) is not installed")
    proc = subprocess.Popen(
        [exe, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/query", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("oxigraph serve did not start")


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def summary(latencies_s: list[float]) -> str:
    return (
        f"n={len(latencies_s):6d}  p50={percentile(latencies_s, 50) * 1000:7.1f} ms  "
        f"p99={percentile(latencies_s, 99) * 1000:7.1f} ms"
    )
