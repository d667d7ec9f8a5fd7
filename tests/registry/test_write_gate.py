"""When a registry may write (``registry.write_gate``): refused read-only, else under the one write lock."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from igsn_graph.errors import ReadOnly
from igsn_graph.registry.accounts import ADMIN
from igsn_graph.registry.service import Registry
from igsn_graph.registry.write_gate import read_only_refusal
from tests.conftest import fresh_settings


def test_a_writable_registry_writes_under_the_lock(registry: Registry) -> None:
    assert not registry.gate.read_only and read_only_refusal(registry.settings) is None
    with registry.writing():
        assert registry.gate.lock.held()
    assert not registry.gate.lock.held()


def test_read_only_refuses_every_write_with_the_reason(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = fresh_settings(tmp_path).with_(read_only=True)
    caplog.set_level(logging.WARNING, logger="igsn_graph")
    with Registry(settings) as reg:
        assert reg.read_only and reg.gate.read_only and reg.repaired == 0
        with pytest.raises(ReadOnly, match=r"setting read_only"), reg.writing():
            pass
        with pytest.raises(ReadOnly, match=r"setting read_only"):
            reg.mint(ADMIN, "ZTA0001", "https://example.org/1")  # the group-committed path asks the same gate
    messages = [r.getMessage() for r in caplog.records]
    assert any("opening" in m and "read-only (setting read_only)" in m for m in messages), messages
    assert sum("write refused" in m for m in messages) == 2
