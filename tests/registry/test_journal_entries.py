"""Journal entries left by a writer killed after journaling are redone at the next start: in the form written
now (graph and document compressed once, for the entry and for history) and in the form older versions wrote
(the whole entry compressed), which a registry upgraded after a crash still finds in its journal."""

from __future__ import annotations

import base64
import json
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from igsn_graph.index.rebuild import verify
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
from igsn_graph.store import history
from tests.conftest import fresh_settings
from tests.registry.test_service import registration_xml

pytestmark = pytest.mark.slow

NAME = "ZTA0777"


def _killed_after_journal(settings: Settings) -> None:
    """A registration (with its document) journaled by a process killed right after: never acknowledged."""
    script = (
        "import sys; from pathlib import Path; from igsn_graph.formats.kernels import read_xml; "
        "from igsn_graph.registry.service import Registry, Submission; from igsn_graph.settings import Settings; "
        "from tests.registry.test_service import ONE; "
        "data = sys.stdin.buffer.read(); doc = read_xml(data); "
        "Registry(Settings(data_dir=Path(sys.argv[1]), crash_at='after-journal'))"
        ".register(ONE, [Submission(doc.records[0], doc.format.name, data)])"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(settings.data_dir)], input=registration_xml(NAME), check=False
    )
    assert done.returncode == -9


def _payloads(settings: Settings) -> list[bytes]:
    conn = sqlite3.connect(settings.data_dir / "registry.sqlite")
    try:
        return [r[0] for r in conn.execute("SELECT payload FROM journal ORDER BY seq")]
    finally:
        conn.close()


def _redone(settings: Settings) -> None:
    with Registry(settings) as reg:
        assert reg.repaired == 1
        row = reg.row(NAME)
        assert row is not None and row.has_metadata and row.version == 1
        kept = history.latest_document(reg.db.read(), NAME)
        assert kept is not None and kept.document == registration_xml(NAME)
        assert "Jane Doe" in kept.graph_ntriples
        assert verify(reg.db, reg.store, reg.iris).ok


def test_an_entry_is_redone_with_its_document_and_graph(tmp_path: Path) -> None:
    settings = fresh_settings(tmp_path)
    _killed_after_journal(settings)
    (payload,) = _payloads(settings)
    body = json.loads(payload)
    # history's compressed bytes, as they are stored there
    assert history.decompress(base64.b64decode(body["document_z"])) == registration_xml(NAME)
    _redone(settings)


def test_an_entry_of_the_older_form_is_redone(tmp_path: Path) -> None:
    settings = fresh_settings(tmp_path)
    _killed_after_journal(settings)
    (payload,) = _payloads(settings)
    body = json.loads(payload)
    # the same entry as an older version wrote it: the whole JSON compressed, graph and document in clear
    body["graph"] = history.decompress(base64.b64decode(body.pop("graph_z"))).decode("utf-8")
    body["document"] = base64.b64encode(history.decompress(base64.b64decode(body.pop("document_z")))).decode("ascii")
    old = zlib.compress(json.dumps(body).encode("utf-8"), 1)
    conn = sqlite3.connect(settings.data_dir / "registry.sqlite")
    try:
        with conn:
            conn.execute("UPDATE journal SET payload = ?", (old,))
    finally:
        conn.close()
    _redone(settings)
