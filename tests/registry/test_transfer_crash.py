"""A transfer killed with SIGKILL (between the journal's steps, or at a random moment) is all or nothing: the next
start completes it — every sample, its drafts and its namespace with the new owner — or nothing of it happened,
and ``igsn-graph verify`` passes either way."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from igsn_graph.loader import read_document
from igsn_graph.registry import lifecycle
from igsn_graph.registry.accounts import ADMIN
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
from tests.conftest import CLIENT_ONE, OTHER, fresh_settings
from tests.registry.test_crash import cli
from tests.reliability.test_isolation import csiro

pytestmark = pytest.mark.slow

SAMPLES = 300


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Client ONE holds SAMPLES samples and a draft in namespace ZTA: loaded once, copied by ``world``."""
    settings = fresh_settings(tmp_path_factory.mktemp("transfer-world"))
    with Registry(settings) as reg:
        subs = [read_document(csiro(f"ZTA{i:04d}"), None)[0] for i in range(SAMPLES)]
        assert all(o.ok for batch in reg.load_records(subs, principal=ADMIN, batch_size=SAMPLES) for o in batch)
        lifecycle.reserve_names(reg, ADMIN, [reg.parse("ZTA9999")])
    return settings.data_dir


@pytest.fixture
def world(loaded: Path, tmp_path: Path) -> Path:
    """A copy of ``loaded`` of this test's own (the registry is closed: its files are at rest)."""
    shutil.copytree(loaded, tmp_path / "data")
    return tmp_path / "data"


def owners(data: Path) -> tuple[set[tuple[str, str | None]], tuple[str, str | None], str | None, int]:
    """The holders of the samples, the namespace's owner, the draft's agent, the number of versions."""
    with Registry(Settings(data_dir=data)) as reg:
        conn = reg.db.read()
        held = {(r[0], r[1]) for r in conn.execute("SELECT agent, client FROM catalogue WHERE namespace = 'ZTA'")}
        draft = lifecycle.get(conn, "ZTA9999")
        versions = conn.execute("SELECT COUNT(*) FROM versions").fetchone()[0]
        return held, reg.accounts.namespace_table()["ZTA"], draft.agent if draft else None, versions


BEFORE = ({("ZTEST", CLIENT_ONE[0])}, ("ZTEST", CLIENT_ONE[0]), "ZTEST", SAMPLES)
AFTER = ({(OTHER[0], None)}, (OTHER[0], None), OTHER[0], 2 * SAMPLES)


@pytest.mark.parametrize("point", ["after-journal", "after-graph", "after-index"])
def test_kill_between_the_steps_of_a_transfer(world: Path, point: str) -> None:
    data = world
    proc = cli(data, "transfer", OTHER[0], "--namespace", "ZTA", env={"IGSN_GRAPH_CRASH_AT": point})
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    check = cli(data, "verify")
    assert check.returncode == 0, check.stdout + check.stderr
    if point != "after-index":
        assert f"repaired {SAMPLES} interrupted write" in check.stdout
    assert owners(data) == AFTER  # journaled: completed, namespace and draft included


@pytest.mark.parametrize("seed", [1, 2])
def test_kill_at_a_random_moment_of_a_transfer(world: Path, seed: int) -> None:
    data = world
    env = {**os.environ, "IGSN_GRAPH_DATA": str(data)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "igsn_graph.cli", "transfer", OTHER[0], "--namespace", "ZTA"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(random.Random(seed).uniform(1.0, 4.0))  # start-up ~1.5 s, the transfer a few seconds more
    proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=60)
    check = cli(data, "verify")
    assert check.returncode == 0, check.stdout + check.stderr
    state = owners(data)
    if proc.returncode == 0:  # it finished before the kill: acknowledged, so it must all be there
        assert state == AFTER, out
    else:
        assert state in (BEFORE, AFTER)  # never a part of it
