"""API nodes for tests and benchmarks: ``igsn-graph serve`` processes over one PostgreSQL registry and one SPARQL
engine, each in a working directory of its own and configured only by environment (``node_env``), as a deployment
runs them behind a load balancer. A node's data folder (``var`` in its directory) holds only caches keyed by
catalogue version, so nodes answer alike; ``kill`` is SIGKILL, ``start`` again brings the node back.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .harness import ROOT, free_port, stop_server

__all__ = ["Node", "node_env", "start_nodes"]


def node_env(database: str, engine: str, *, admin_password: str, public_url: str) -> dict[str, str]:
    """The settings every node shares: the database URL, the engine URL, the administrator's password and the one
    public URL the nodes answer under (the load balancer's); the OAI-PMH token secret lives in the database."""
    return {
        "IGSN_GRAPH_DATABASE": database,
        "IGSN_GRAPH_STORE": engine,
        "IGSN_GRAPH_ADMIN_PASSWORD": admin_password,
        "IGSN_GRAPH_PUBLIC_URL": public_url,
    }


class Node:
    """One ``igsn-graph serve`` in ``workdir`` on its own loopback port (kept across restarts)."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = env
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> Node:
        """Starts the node and returns once its /health answers 200."""
        self.launch()
        return self.wait_ready(timeout)

    def launch(self) -> None:
        """Starts the process (``wait_ready`` waits for it to answer)."""
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("IGSN_GRAPH_")},
            **self.env,
            "PORT": str(self.port),
            "PYTHONPATH": str(ROOT),
        }
        with open(self.workdir / "serve.log", "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "igsn_graph.cli", "serve"],
                cwd=self.workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 120.0) -> Node:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(self.base + "/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = (self.workdir / "serve.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"node in {self.workdir} did not start:\n{tail}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no clean-up, as when the machine fails."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            stop_server(self.proc)


def start_nodes(root: Path, count: int, env: dict[str, str]) -> list[Node]:
    """``count`` nodes in ``root/node-1``…, started together (the database was initialised beforehand, as
    ``igsn-graph init`` does once per deployment: a node runs no migration)."""
    nodes = [Node(root / f"node-{i + 1}", env) for i in range(count)]
    try:
        for node in nodes:
            node.launch()
        for node in nodes:
            node.wait_ready()
    except BaseException:
        for node in nodes:
            node.stop()
        raise
    return nodes
