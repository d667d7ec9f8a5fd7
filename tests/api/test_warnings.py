"""Accept with a warning what is only off-form: every surface says the warnings (MDS plain text, the JSON API,
bulk per record, ``igsn-graph load``) and the history keeps them with the version (``ig:inputWarning``)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from igsn_graph.registry.service import Registry
from igsn_graph.vocab import IG
from tests.conftest import CLIENT_ONE, fresh_settings

XML = {"Content-Type": "application/xml;charset=UTF-8"}


def off_form(igsn: str) -> bytes:
    """A registration kernel as MARUM sent them for years: an empty timeStamp beside a good one."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sample xmlns="http://igsn.org/schema/kernel-v.1.0">\n'
        f'  <sampleNumber identifierType="igsn">{igsn}</sampleNumber>\n'
        "  <registrant><registrantName>Jane Doe</registrantName></registrant>\n"
        '  <log><logElement event="submitted" timeStamp=""/>'
        '<logElement event="registered" timeStamp="2020-01-01T10:00:00Z"/></log>\n'
        "</sample>\n"
    ).encode()


def clean(igsn: str) -> bytes:
    return off_form(igsn).replace(b'<logElement event="submitted" timeStamp=""/>', b"")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(create_app(fresh_settings(tmp_path_factory.mktemp("warnings")))) as c:
        yield c


def _timestamp_warning(warnings: list[str]) -> None:
    assert any("timeStamp" in w for w in warnings), warnings


def test_mds_answers_ok_then_a_line_per_warning(client: TestClient) -> None:
    r = client.post("/metadata", content=off_form("ZTA-W1"), headers=XML, auth=CLIENT_ONE)
    assert r.status_code == 201, r.text
    first, *rest = r.text.split("\n")
    assert first == "OK (ZTA-W1)" and rest and all(line.startswith("warning: ") for line in rest)
    _timestamp_warning(rest)
    assert client.post("/metadata", content=clean("ZTA-W0"), headers=XML, auth=CLIENT_ONE).text == "OK (ZTA-W0)"


def test_json_api_and_bulk_list_the_warnings(client: TestClient) -> None:
    r = client.post("/api/v1/samples", content=off_form("ZTA-W2"), headers=XML, auth=CLIENT_ONE)
    assert r.status_code == 201, r.text
    _timestamp_warning(r.json()["warnings"])
    r = client.post("/api/v1/samples", content=clean("ZTA-W3"), headers=XML, auth=CLIENT_ONE)
    assert r.status_code == 201 and r.json()["warnings"] == []
    r = client.post("/api/v1/samples/bulk", content=off_form("ZTA-W4"), headers=XML, auth=CLIENT_ONE)
    assert r.status_code == 200, r.text
    [record] = r.json()["results"]
    assert record["status"] == "created"
    _timestamp_warning(record["warnings"])


def test_history_keeps_the_warnings_with_the_version(client: TestClient) -> None:
    client.post("/metadata", content=off_form("ZTA-W5"), headers=XML, auth=CLIENT_ONE)
    client.post("/metadata", content=clean("ZTA-W5"), headers=XML, auth=CLIENT_ONE)
    registry: Registry = client.app.state.registry  # type: ignore[attr-defined]
    iris = registry.iris
    kept = {
        (t.subject.value, t.object.value)
        for t in registry.store.graph(iris.provenance_graph("ZTA-W5"))
        if t.predicate == IG.inputWarning
    }
    assert {s for s, _ in kept} == {iris.activity("ZTA-W5/1").value}  # version 2 was clean
    _timestamp_warning([w for _, w in kept])


def test_cli_load_prints_the_warnings(tmp_path: Path) -> None:
    settings = fresh_settings(tmp_path)
    (tmp_path / "w.xml").write_bytes(off_form("ZTA-W6"))
    out = subprocess.run(
        [sys.executable, "-m", "igsn_graph.cli", "load", str(tmp_path / "w.xml"), "--data", str(settings.data_dir)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "loaded 1 records" in out.stdout
    warnings = [line for line in out.stderr.splitlines() if line.startswith("warning: ZTA-W6: ")]
    _timestamp_warning(warnings)
