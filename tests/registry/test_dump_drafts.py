"""Reservations (drafts) and harvest sources are acknowledged writes: dump and restore keep them."""

from __future__ import annotations

from pathlib import Path

from igsn_graph.registry import lifecycle
from igsn_graph.registry.accounts import Principal
from igsn_graph.registry.dump import dump
from igsn_graph.registry.restore import restore
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
from tests.conftest import AGENT, CLIENT_ONE, fresh_settings


def test_reserved_names_survive_dump_and_restore(tmp_path: Path) -> None:
    settings = fresh_settings(tmp_path / "a")
    one = Principal("client", CLIENT_ONE[0], AGENT[0])
    with Registry(settings) as registry:
        got = lifecycle.reserve_names(registry, one, [registry.parse("ZTA-RES1"), registry.parse("ZTA-RES2")])
        assert [d.igsn for d in got] == ["ZTA-RES1", "ZTA-RES2"]
        counts = dump(registry, tmp_path / "all.dump")
    assert counts["draft"] == 2
    target = Settings(data_dir=tmp_path / "b" / "data")
    restore(target, tmp_path / "all.dump")
    with Registry(target) as registry:
        kept = lifecycle.drafts_of(registry.db.read(), one)
        assert [(d.igsn, d.client, d.namespace) for d in kept] == [
            ("ZTA-RES1", "ZTEST.ONE", "ZTA"),
            ("ZTA-RES2", "ZTEST.ONE", "ZTA"),
        ]


def test_harvest_sources_survive_dump_and_restore(tmp_path: Path) -> None:
    from igsn_graph.harvest import sources

    settings = fresh_settings(tmp_path / "a")
    with Registry(settings) as registry:
        sources.add(registry, "ga", url="https://pid.example.org/oai", prefix="igsn", agent=AGENT[0])
        counts = dump(registry, tmp_path / "all.dump")
    assert counts["harvest_source"] == 1
    target = Settings(data_dir=tmp_path / "b" / "data")
    restore(target, tmp_path / "all.dump")
    with Registry(target) as registry:
        got = sources.get(registry, "ga")
        assert (got.url, got.prefix, got.agent) == ("https://pid.example.org/oai", "igsn", AGENT[0])
