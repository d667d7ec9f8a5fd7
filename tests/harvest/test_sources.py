"""igsn_graph.harvest.sources, `igsn-graph source …` and /api/v1/admin/sources: sources are registry data."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from igsn_graph.cli import main
from igsn_graph.errors import Conflict, InvalidInput, NotFound
from igsn_graph.harvest import sources
from igsn_graph.registry.service import Registry
from tests.conftest import ADMIN_PASSWORD, AGENT, fresh_settings

ADMIN = ("admin", ADMIN_PASSWORD)
A = "/api/v1/admin/sources"


@pytest.mark.both_databases
def test_add_list_pause_remove(registry: Registry) -> None:
    src = sources.add(registry, "ga", url="https://example.org/oai", prefix="igsn_desc", agent="ztest", every="1d")
    assert (src.agent, src.every_s, src.verified, src.state) == ("ZTEST", 86400, True, "never run")
    assert src.next_due is not None  # a scheduled source is due at once
    other = sources.add(registry, "any", url="http://example.org/oai", prefix="oai_dc", set_spec="x")
    assert not other.verified and other.every_s is None
    assert [s.name for s in sources.all_sources(registry)] == ["any", "ga"]
    assert sources.set_paused(registry, "ga", True).state == "paused"
    assert sources.set_paused(registry, "ga", False).state == "never run"
    sources.remove(registry, "ga")
    with pytest.raises(NotFound):
        sources.get(registry, "ga")


@pytest.mark.parametrize(
    "kwargs, named",
    [
        ({"name": "bad name", "url": "https://e.org/oai", "prefix": "oai_dc"}, "source name"),
        ({"name": "s", "url": "ftp://e.org/oai", "prefix": "oai_dc"}, "--url"),
        ({"name": "s", "url": "https://e.org/oai", "prefix": ""}, "--prefix"),
        ({"name": "s", "url": "https://e.org/oai", "prefix": "oai_dc", "every": "often"}, "--every"),
        ({"name": "s", "url": "https://e.org/oai", "prefix": "oai_dc", "every": "10s"}, "--every"),
    ],
)
def test_refused_arguments_are_named(registry: Registry, kwargs: dict[str, str], named: str) -> None:
    name = kwargs.pop("name")
    with pytest.raises(InvalidInput, match=named):
        sources.add(registry, name, **kwargs)  # type: ignore[arg-type]


def test_unknown_agent_and_twice(registry: Registry) -> None:
    with pytest.raises(NotFound):
        sources.add(registry, "s", url="https://e.org/oai", prefix="oai_dc", agent="NOBODY")
    sources.add(registry, "s", url="https://e.org/oai", prefix="oai_dc")
    with pytest.raises(Conflict):
        sources.add(registry, "s", url="https://e.org/oai", prefix="oai_dc")


def test_every_round_trips() -> None:
    assert [sources.parse_every(t) for t in ("30m", "6h", "1d", "2w", "120", None)] == [
        1800,
        21600,
        86400,
        1209600,
        120,
        None,
    ]
    assert [sources.format_every(s) for s in (1800, 21600, 86400, 1209600, 90)] == ["30m", "6h", "1d", "2w", "90s"]


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(fresh_settings(tmp_path).data_dir)
    assert (
        main(
            [
                "source",
                "add",
                "ga",
                "--data",
                data,
                "--url",
                "https://example.org/oai",
                "--prefix",
                "igsn_desc",
                "--agent",
                "ZTEST",
                "--every",
                "6h",
            ]
        )
        == 0
    )
    assert "speaks for ZTEST, every 6h" in capsys.readouterr().out
    assert main(["source", "pause", "ga", "--data", data]) == 0
    assert main(["source", "list", "--data", data]) == 0
    out = capsys.readouterr().out
    assert "ga\thttps://example.org/oai\tigsn_desc\tZTEST\t6h\tpaused" in out
    assert main(["source", "show", "ga", "--data", data]) == 0
    assert "paused: True" in capsys.readouterr().out
    assert main(["source", "add", "ga", "--data", data, "--url", "https://example.org/oai", "--prefix", "x"]) == 2
    assert "exists already" in capsys.readouterr().err
    assert main(["source", "remove", "ga", "--data", data]) == 0
    assert main(["source", "show", "ga", "--data", data]) == 2


def test_admin_api(tmp_path: Path) -> None:
    with TestClient(create_app(fresh_settings(tmp_path))) as api:
        body = {"name": "ga", "url": "https://example.org/oai", "prefix": "igsn_desc", "agent": "ZTEST", "every": "1d"}
        assert api.post(A, json=body, auth=AGENT).status_code == 403
        r = api.post(A, json=body, auth=ADMIN)
        assert r.status_code == 201, r.text
        assert r.json()["verified"] and r.json()["every"] == "1d" and r.json()["state"] == "never run"
        assert api.post(A, json=body, auth=ADMIN).status_code == 409
        assert api.post(A, json={**body, "name": "x", "every": "soon"}, auth=ADMIN).status_code == 400
        assert api.post(A, json={**body, "name": "x", "agent": "NOBODY"}, auth=ADMIN).status_code == 404
        assert api.post(f"{A}/ga/pause", auth=ADMIN).json()["state"] == "paused"
        assert api.post(f"{A}/ga/resume", auth=ADMIN).json()["paused"] is False
        assert [s["name"] for s in api.get(A, auth=ADMIN).json()] == ["ga"]
        assert api.delete(f"{A}/ga", auth=ADMIN).status_code == 204
        assert api.get(f"{A}/ga", auth=ADMIN).status_code == 404
