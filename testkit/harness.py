"""What the benchmarks and the tests share: a free loopback port, the real server (or another app, or
``oxigraph serve``) in a child process, percentiles, and ``wrk`` as the load generator (``run_wrk``: requests
drawn at random from a file of paths, each with its own headers)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

__all__ = [
    "ROOT",
    "WrkResult",
    "free_port",
    "oxigraph_executable",
    "percentile",
    "run_wrk",
    "run_wrk_script",
    "start_oxigraph",
    "start_server",
    "write_posts",
    "write_requests",
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


def start_oxigraph(location: Path, port: int, *, timeout_s: float | None = None) -> subprocess.Popen[bytes]:
    """`oxigraph serve` on a loopback port (``timeout_s``: its query time limit, ``--timeout-s``); returns once
    it answers. ``--bind`` comes last (fixtures read the port from it)."""
    exe = oxigraph_executable()
    if exe is None:
        raise RuntimeError("the oxigraph server (PyPI package `oxigraph`) is not installed")
    limit = [] if timeout_s is None else ["--timeout-s", f"{timeout_s:g}"]
    proc = subprocess.Popen(
        [exe, "serve", *limit, "--location", str(location), "--bind", f"127.0.0.1:{port}"],
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


#: wrk's Lua ``done``: the totals and latency percentiles as one ``WRK-JSON {...}`` line (what ``run_wrk_script``
#: reads); every script this project gives wrk ends with it
WRK_DONE_LUA = r"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK-JSON {\"requests\": %d, \"duration_us\": %d, \"p50_us\": %d, \"p99_us\": %d, \"max_us\": %d, "
    .. "\"errors\": %d, \"status_errors\": %d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


#: wrk's Lua: each thread reads the request list (``path<TAB>header: value<TAB>…`` per line) and sends them in
#: a random order of its own; ``done`` prints the totals and latency percentiles as one JSON line
_WRK_LUA = (
    r"""
local requests = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end
local function unquote(s)
  return (string.gsub(s, "%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end
function init(args)
  for line in io.lines(args[1]) do
    local fields = {}
    for field in string.gmatch(line, "[^\t]+") do fields[#fields + 1] = field end
    local headers = {}
    for i = 4, #fields do
      local name, value = string.match(fields[i], "^([^:]+):%s*(.*)$")
      headers[name] = value
    end
    local body = nil
    if fields[3] ~= "-" then body = unquote(fields[3]) end
    requests[#requests + 1] = wrk.format(fields[1], fields[2], headers, body)
  end
  math.randomseed(id * 7919 + os.time())
end
function request()
  return requests[math.random(#requests)]
end
"""
    + WRK_DONE_LUA
)


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    #: socket errors and timeouts; answers outside 2xx/3xx (wrk counts them apart)
    errors: int
    status_errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def write_requests(path: Path, requests: Iterable[tuple[str, Sequence[tuple[str, str]]]]) -> Path:
    """The request list ``run_wrk`` draws from: (path, headers) per GET."""
    return _write(path, (("GET", target, None, headers) for target, headers in requests))


def write_posts(path: Path, posts: Iterable[tuple[str, str, Sequence[tuple[str, str]]]]) -> Path:
    """The request list ``run_wrk`` draws from: (path, body, headers) per POST."""
    return _write(path, (("POST", target, body, headers) for target, body, headers in posts))


def _write(path: Path, requests: Iterable[tuple[str, str, str | None, Sequence[tuple[str, str]]]]) -> Path:
    # a line per request: method, path, the body percent-encoded (or "-"), then "name: value" headers, tab apart
    lines = [
        "\t".join([method, target, "-" if body is None else quote(body, safe=""), *(f"{k}: {v}" for k, v in headers)])
        for method, target, body, headers in requests
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_wrk(
    base_url: str,
    requests_file: Path,
    *,
    seconds: float = 10.0,
    connections: int = 16,
    threads: int = 2,
    timeout_s: float = 10.0,
) -> WrkResult:
    """``wrk`` against ``base_url`` for ``seconds`` with ``connections`` keep-alive connections, each request
    drawn at random from ``requests_file`` (``write_requests``); raises when wrk is missing or fails."""
    script = requests_file.with_suffix(".lua")
    script.write_text(_WRK_LUA, encoding="utf-8")
    return run_wrk_script(
        base_url,
        script,
        [str(requests_file)],
        seconds=seconds,
        connections=connections,
        threads=threads,
        timeout_s=timeout_s,
    )


def run_wrk_script(
    base_url: str,
    script: Path,
    script_args: Sequence[str],
    *,
    seconds: float,
    connections: int,
    threads: int,
    timeout_s: float = 10.0,
) -> WrkResult:
    """``wrk`` with a Lua ``script`` that prints its summary as one ``WRK-JSON {...}`` line (as ``_WRK_LUA``
    does), ``script_args`` after ``--``; raises when wrk is missing or fails."""
    exe = shutil.which("wrk")
    if exe is None:
        raise RuntimeError("wrk is not installed (Debian: apt-get install wrk)")
    out = subprocess.run(
        [
            exe,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            f"--timeout={max(1, round(timeout_s))}s",
            "-s",
            str(script),
            base_url,
            "--",
            *script_args,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next((x for x in out.splitlines() if x.startswith("WRK-JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    r = json.loads(line.removeprefix("WRK-JSON "))
    return WrkResult(
        requests=r["requests"],
        seconds=r["duration_us"] / 1e6,
        p50_ms=r["p50_us"] / 1000,
        p99_ms=r["p99_us"] / 1000,
        max_ms=r["max_us"] / 1000,
        errors=r["errors"],
        status_errors=r["status_errors"],
    )
