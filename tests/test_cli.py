"""cli: the exact commands other tools script — init, agent/client add and list, load, dump/restore, reindex, verify."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from igsn_graph.cli import main
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    d = tmp_path / "data"
    assert run(capsys, "init", "--data", str(d), "--repository-id", "test.example.org")[0] == 0
    assert run(capsys, "agent", "add", "ZCLI", "--name", "CLI Agent", "--password", "pw-agent", "--namespace", "ZC",
               "--namespace", "10273/ZCX", "--doi-prefix", "10.99970", "--data", str(d))[0] == 0
    assert run(capsys, "client", "add", "ZCLI.ONE", "--password", "pw-one", "--namespace", "ZCA",
               "--domain", "example.org", "--quota", "100", "--data", str(d))[0] == 0
    return d


def test_init_is_fixed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = str(tmp_path / "d")
    assert run(capsys, "init", "--data", d, "--iri-base", "https://samples.example.org/id/")[0] == 0
    code, out, _ = run(capsys, "init", "--data", d, "--iri-base", "https://samples.example.org/id/")
    assert code == 0 and "already initialised" in out
    code, _, err = run(capsys, "init", "--data", d, "--iri-base", "https://other.example.org/")
    assert code == 2 and "fixed at init" in err
    code, _, err = run(capsys, "init", "--data", str(tmp_path / "e"), "--repository-id", "not a domain")
    assert code == 2 and "dotted domain name" in err
    code, _, err = run(capsys, "init", "--data", str(tmp_path / "f"), "--iri-base", "https://x.org/id#")
    assert code == 2 and "ending in '/'" in err


def test_agent_list(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "agent", "list", "--data", str(data))
    assert code == 0
    assert "ZCLI\tCLI Agent\tnamespaces=ZC,ZCX\tdoi=10.99970" in out
    assert "ZCLI.ONE" in out and "namespaces=ZCA" in out and "domains=example.org" in out
    assert "pw-" not in out


def test_errors_are_one_clear_line(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "client", "add", "ZCLI.TWO", "--password", "x", "--namespace", "QQ", "--data", str(data))
    assert code == 2 and err.startswith("igsn-graph: error:") and "within" in err
    code, _, err = run(capsys, "agent", "list", "--data", str(data.parent / "missing"))
    assert code == 2 and "igsn-graph init" in err


def _write(path: Path, name: str, material: str = "http://vocabulary.odm2.org/medium/rock") -> Path:
    path.write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<resource xmlns="http://schema.igsn.org/description/1.1" type="Sample">
  <identifier type="IGSN">{name}</identifier>
  <name>Core {name}</name>
  <materials><material>{material}</material></materials>
  <sampleAccess>Public</sampleAccess>
</resource>
""", encoding="utf-8")
    return path


def test_load_reports_invalid_records_and_stores_the_rest(data: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _write(folder / "a.xml", "ZCA0001")
    _write(folder / "b.xml", "ZCA0002", material="http://example.org/cheese")
    _write(folder / "c.xml", "QQ0001")
    (folder / "d.xml").write_bytes(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>')
    (folder / "e.xml").write_bytes(b"<resource xmlns='urn:unknown'/>")
    code, out, err = run(capsys, "load", str(folder), "--data", str(data))
    assert code == 3
    assert "loaded 1 records (1 new) from 5 files" in out and "records/s" in out and "4 invalid" in out
    assert "ZCA0002" in err and "material" in err.lower()
    assert "QQ0001" in err and "namespace" in err
    assert "d.xml" in err and "document type" in err
    assert "e.xml" in err and "urn:unknown" in err
    with Registry(Settings(data_dir=data)) as reg:
        assert reg.count() == 1 and reg.row("ZCA0001") is not None


def test_load_examples_as_a_client(data: Path, shared: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the official registration-kernel examples use the TEST namespace: a client may register there
    example = shared / "examples/IGSN-metadata/registration/1.0/igsn.xml"
    code, out, err = run(capsys, "load", str(example), "--client", "ZCLI.ONE", "--data", str(data))
    assert code == 0, err
    with Registry(Settings(data_dir=data)) as reg:
        row = reg.row("TEST/TESTHANDLE")
        assert row is not None and row.test and row.client == "ZCLI.ONE"


def test_dump_restore_reproduces_the_store(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(5):
        _write(folder / f"{i}.xml", f"ZCA00{i}")
    assert run(capsys, "load", str(folder), "--data", str(data))[0] == 0
    with Registry(Settings(data_dir=data)) as reg:
        from igsn_graph.registry.accounts import ADMIN
        reg.deactivate(ADMIN, "ZCA001")
        reg.mint(ADMIN, "ZCA002", "https://example.org/2")
    first = tmp_path / "one.dump"
    assert run(capsys, "dump", str(first), "--data", str(data))[0] == 0
    restored = tmp_path / "restored"
    code, out, _ = run(capsys, "restore", str(first), "--data", str(restored))
    assert code == 0 and "catalogue=5" in out
    second = tmp_path / "two.dump"
    assert run(capsys, "dump", str(second), "--data", str(restored))[0] == 0
    assert gzip.decompress(first.read_bytes()) == gzip.decompress(second.read_bytes())
    assert run(capsys, "verify", "--data", str(restored))[0] == 0
    with Registry(Settings(data_dir=data)) as a, Registry(Settings(data_dir=restored)) as b:
        assert [a.row(f"ZCA00{i}") for i in range(5)] == [b.row(f"ZCA00{i}") for i in range(5)]
    # restore refuses a folder that holds data
    code, _, err = run(capsys, "restore", str(first), "--data", str(data))
    assert code == 2 and "empty" in err


def test_reindex_and_verify(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path / "x.xml", "ZCA0100")
    assert run(capsys, "load", str(tmp_path / "x.xml"), "--data", str(data))[0] == 0
    with Registry(Settings(data_dir=data)) as reg:
        with reg.db.write() as conn:
            conn.execute("DELETE FROM catalogue")
    code, out, _ = run(capsys, "verify", "--data", str(data))
    assert code == 1 and "ZCA0100: in the graph but not in the index" in out
    code, out, _ = run(capsys, "reindex", "--data", str(data))
    assert code == 0 and "1 samples" in out
    code, out, _ = run(capsys, "verify", "--data", str(data))
    assert code == 0 and "agree on 1 samples" in out


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("init", "serve", "agent", "client", "load", "dump", "restore", "reindex", "verify"):
        assert cmd in out


def test_load_refuses_bad_bytes_and_bad_names(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "utf.xml").write_bytes(_write(tmp_path / "x.xml", "ZCA0200").read_bytes().replace(b"Core", b"C\xffre"))
    _write(folder / "name.xml", "ZCA#0201")
    _write(folder / "space.xml", "ZCA 0202")
    (folder / "bomb.xml").write_bytes(b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
                                      b'<resource xmlns="http://schema.igsn.org/description/1.1">&b;</resource>')
    code, out, err = run(capsys, "load", str(folder), "--data", str(data))
    assert code == 3 and "loaded 0 records" in out and "4 invalid" in out
    assert "UTF-8" in err and "'#' is not allowed" in err and "spaces" in err and "document type" in err
    with Registry(Settings(data_dir=data)) as reg:
        assert reg.count() == 0
