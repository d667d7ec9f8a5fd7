"""The wheel carries ontology/, shapes/ and mappings/: built, installed into a fresh venv, it runs and validates."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: one worker builds the wheel once for both tests that install it (``--dist loadgroup``)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheel")]

RECORD = """<?xml version="1.0" encoding="UTF-8"?>
<resource xmlns="http://schema.igsn.org/description/1.1" type="Sample">
  <identifier type="IGSN">ZW0001</identifier><name>Wheel test</name>
  <materials><material>http://vocabulary.odm2.org/medium/rock</material></materials>
  <sampleAccess>Public</sampleAccess>
</resource>
"""


def _outside_env() -> dict[str, str]:
    """The environment of a process that must see only what is installed: no ``PYTHONPATH`` pointing back at a
    checkout (it would import the sources instead of the wheel), no ``IGSN_GRAPH_*`` settings of the caller."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("IGSN_GRAPH_")}


def pip_into(python: Path) -> list[str]:
    """``pip install`` into the environment of ``python`` run by this environment's pip (``--python``): the same
    install, without bootstrapping a pip into each fresh environment first (ensurepip: ~4 CPU-s)."""
    return [sys.executable, "-m", "pip", "--python", str(python), "install"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built once for the tests that install it (a build takes several seconds)."""
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return next(dist.glob("igsn_graph-*.whl"))


def test_wheel_installs_and_validates(tmp_path: Path, wheel: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder().create(env_dir)  # without pip: this environment's pip installs into it (``pip_into``)
    py = env_dir / "bin" / "python"
    # dependencies come from this test environment (no second download); the project only from the wheel
    site = Path(
        subprocess.check_output(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([*pip_into(py), "--quiet", "--no-deps", "--no-index", str(wheel)], check=True, timeout=300)
    where = subprocess.check_output(
        [str(py), "-c", "import igsn_graph.resources as r; print(r.shapes_dir())"],
        text=True,
        cwd=tmp_path,
        env=_outside_env(),
    ).strip()
    assert where.startswith(str(env_dir)), where
    exe = env_dir / "bin" / "igsn-graph"
    out = subprocess.run(
        [str(exe), "--help"], capture_output=True, text=True, cwd=tmp_path, timeout=120, env=_outside_env()
    )
    assert out.returncode == 0 and "verify" in out.stdout
    data = tmp_path / "data"
    (tmp_path / "r.xml").write_text(RECORD)
    (tmp_path / "bad.xml").write_text(RECORD.replace("medium/rock", "medium/cheese").replace("ZW0001", "ZW0002"))
    for args in (["init"], ["agent", "add", "ZWHL", "--name", "Wheel", "--password", "pw", "--namespace", "ZW"]):
        subprocess.run(
            [str(exe), *args, "--data", str(data)],
            check=True,
            cwd=tmp_path,
            timeout=120,
            capture_output=True,
            env=_outside_env(),
        )
    loaded = subprocess.run(
        [str(exe), "load", "r.xml", "bad.xml", "--data", str(data)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        env=_outside_env(),
    )
    assert "loaded 1 records" in loaded.stdout, loaded.stdout + loaded.stderr
    assert "ZW0002" in loaded.stderr and loaded.returncode == 3


def _imported_top_levels() -> set[str]:
    """Every top-level module the shipped packages import (at any depth, lazy imports included)."""
    import ast

    found: set[str] = set()
    for package in ("igsn_graph", "api"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    found.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    return found


def test_every_import_is_a_declared_runtime_dependency() -> None:
    """A plain ``pip install .`` (no extras) must run the server: no import may arrive only with the test extras."""
    import importlib.metadata as md
    import re
    import tomllib

    declared = {
        re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0].lower().replace("_", "-")
        for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    }
    distributions = md.packages_distributions()
    missing = {}
    for module in sorted(_imported_top_levels() - set(sys.stdlib_module_names) - {"igsn_graph", "api"}):
        dists = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
        if not dists & declared:
            missing[module] = sorted(dists)
    assert not missing, f"imported but not in [project] dependencies: {missing}"


def test_a_plain_install_without_extras_serves(tmp_path: Path, wheel: Path) -> None:
    """What a user of the package does: ``pip install`` the wheel alone (its declared dependencies, no test
    extras) into a fresh virtual environment, ``igsn-graph init``, ``serve``, and read every kind of page."""
    import time

    import httpx

    from testkit.harness import free_port

    env_dir = tmp_path / "plain"
    venv.EnvBuilder().create(env_dir)  # without pip: this environment's pip installs into it (``pip_into``)
    py, exe = env_dir / "bin" / "python", env_dir / "bin" / "igsn-graph"
    # the dependencies from the package index (pip's cache makes this quick), nothing from this environment
    subprocess.run([*pip_into(py), "--quiet", str(wheel)], check=True, timeout=900)
    data = tmp_path / "data"
    env = _outside_env()
    port = free_port()
    subprocess.run([str(exe), "init", "--data", str(data)], check=True, cwd=tmp_path, timeout=120, env=env)
    subprocess.run(
        [str(exe), "demo", "--data", str(data)], check=True, cwd=tmp_path, timeout=600, env=env, capture_output=True
    )
    server = subprocess.Popen(
        [str(exe), "serve", "--data", str(data), "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(base + "/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.3)
        home = httpx.get(base + "/", headers={"Accept": "text/html"}, timeout=30)
        assert home.status_code == 200 and "<html" in home.text.lower()
        sample = httpx.get(base + "/api/v1/search", params={"limit": 1}, timeout=30).json()["items"][0]["igsn"]
        assert httpx.get(f"{base}/{sample}", headers={"Accept": "text/html"}, timeout=30).status_code == 200
        for media in (
            "text/turtle",
            "application/ld+json",
            "application/vnd.datacite.datacite+xml",
            "application/x-bibtex",
        ):
            r = httpx.get(f"{base}/{sample}", headers={"Accept": media}, timeout=30)
            assert r.status_code == 200, (media, r.status_code, r.text[:200])
        assert "<Identify>" in httpx.get(base + "/oai", params={"verb": "Identify"}, timeout=30).text
        ask = httpx.get(
            base + "/sparql",
            params={"query": "ASK { ?s ?p ?o }"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=60,
        )
        assert ask.status_code == 200 and ask.json()["boolean"] is True
        # the query page and the vendored editor come from the wheel's own files
        page = httpx.get(base + "/sparql", headers={"Accept": "text/html"}, timeout=30)
        assert page.status_code == 200 and 'id="yasgui"' in page.text
        editor = re.search(r'src="(/sparql/assets/yasgui\.min\.js\?v=[0-9a-f]+)"', page.text)
        assert editor is not None, "the page names no editor script"
        script = httpx.get(base + editor.group(1), timeout=30)
        assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
        assert len(script.content) > 100_000
        assert httpx.get(base + "/docs", timeout=30).status_code == 200
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
