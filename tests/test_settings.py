"""settings: env, TOML file and explicit values, in that order of strength; only settings.py reads the env."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from igsn_graph.settings import Settings


def test_env_values_are_typed(tmp_path: Path) -> None:
    s = Settings.from_env(
        {
            "IGSN_GRAPH_DATA": str(tmp_path),
            "PORT": "9001",
            "IGSN_GRAPH_PUBLIC_URL": "https://x.org",
            "IGSN_GRAPH_METADATA_REQUIRED": "true",
        }
    )
    assert s.data_dir == tmp_path and s.port == 9001 and s.metadata_required is True
    assert s.base_url == "https://x.org/"


def test_explicit_beats_env_beats_toml(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('port = 7000\nadmin_user = "root"\n')
    env = {"IGSN_GRAPH_DATA": str(tmp_path)}
    assert Settings.from_env(env).port == 7000
    assert Settings.from_env(env).admin_user == "root"
    assert Settings.from_env({**env, "PORT": "7100"}).port == 7100
    assert Settings.from_env({**env, "PORT": "7100"}, port=7200).port == 7200


def test_bad_values_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PORT|port"):
        Settings.from_env({"PORT": "eighty"})
    (tmp_path / "config.toml").write_text("colour = 1\n")
    with pytest.raises(ValueError, match="unknown setting"):
        Settings.from_env({"IGSN_GRAPH_DATA": str(tmp_path)})


def test_default_base_url_follows_host_and_port() -> None:
    assert Settings.from_env({}, port=8123).base_url == "http://127.0.0.1:8123/"


def test_only_settings_reads_the_environment() -> None:
    root = Path(__file__).resolve().parents[1]
    offenders = []
    for path in list((root / "igsn_graph").rglob("*.py")) + list((root / "api").rglob("*.py")):
        if path.name == "settings.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and (node.func.attr == "getenv" or (node.func.attr == "get" and "environ" in ast.dump(node.func.value)))
            ):
                offenders.append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and "environ" in ast.dump(node.value):
                offenders.append(f"{path.name}:{node.lineno}")
    # writing the environment for the server process (cli serve) is allowed; reading it is not
    assert offenders == []


@pytest.mark.parametrize("value", ["ture", "2", "enabled", "y e s"])
def test_a_malformed_boolean_is_a_startup_error_not_false(value: str) -> None:
    with pytest.raises(ValueError, match="IGSN_GRAPH_READ_ONLY|read_only"):
        Settings.from_env({"IGSN_GRAPH_READ_ONLY": value})


@pytest.mark.parametrize("value,expected", [("TRUE", True), ("on", True), ("1", True), ("No", False), ("off", False)])
def test_booleans_in_every_usual_spelling(value: str, expected: bool) -> None:
    assert Settings.from_env({"IGSN_GRAPH_READ_ONLY": value}).read_only is expected
