"""Fixtures shared by every test folder: settings per test, an initialised registry with accounts."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from igsn_graph.registry.service import Registry, init_data_dir
from igsn_graph.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

#: test accounts: (symbol, password); namespaces ZT (agent) ⊃ ZTA (client ONE), ZTB (client TWO); ZO other agent
AGENT = ("ZTEST", "agent-secret-1")
CLIENT_ONE = ("ZTEST.ONE", "client-secret-1")
CLIENT_TWO = ("ZTEST.TWO", "client-secret-2")
OTHER = ("ZOTHER", "other-secret-1")
ADMIN_PASSWORD = "admin-secret-0"


@pytest.fixture
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is absent: official schemas and examples are not available")
    return SHARED


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", admin_password=ADMIN_PASSWORD)


def add_test_accounts(registry: Registry) -> None:
    registry.add_agent(AGENT[0], name="Test Agent", password=AGENT[1], namespaces=["ZT"],
                       doi_prefixes=["10.99990"], ror="https://ror.org/00test000")
    registry.add_client(CLIENT_ONE[0], name="Client One", password=CLIENT_ONE[1], namespaces=["ZTA"],
                        domains=["example.org"])
    registry.add_client(CLIENT_TWO[0], name="Client Two", password=CLIENT_TWO[1], namespaces=["10273/ZTB"],
                        quota=2)
    registry.add_agent(OTHER[0], name="Other Agent", password=OTHER[1], namespaces=["ZO"])


@pytest.fixture
def registry(settings: Settings) -> Iterator[Registry]:
    init_data_dir(settings, repository_id="test.igsn-graph.org")
    reg = Registry(settings)
    add_test_accounts(reg)
    try:
        yield reg
    finally:
        reg.close()
