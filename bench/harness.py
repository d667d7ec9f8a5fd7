"""What the benchmark scripts share: a free loopback port, the real server in a child process, percentiles."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

__all__ = ["ROOT", "free_port", "start_server", "stop_server", "percentile", "summary"]

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(data_dir: Path, env: dict[str, str] | None = None,
                 timeout: float = 120.0) -> tuple[subprocess.Popen[bytes], str]:
    """uvicorn (one process) serving ``data_dir`` on a free loopback port; returns once /health answers.

    ``--host/--port`` rather than a bound socket with ``--fd``: uvicorn opens ``--fd`` sockets as AF_UNIX,
    so asyncio leaves Nagle on and every response pays a ~40 ms delayed ACK.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    full_env = {**os.environ, "IGSN_GRAPH_DATA": str(data_dir), "IGSN_GRAPH_PUBLIC_URL": base + "/",
                "PYTHONPATH": str(ROOT), **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"], env=full_env)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the server did not start")
        time.sleep(0.1)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def summary(latencies_s: list[float]) -> str:
    return (f"n={len(latencies_s):6d}  p50={percentile(latencies_s, 50) * 1000:7.1f} ms  "
            f"p99={percentile(latencies_s, 99) * 1000:7.1f} ms")
