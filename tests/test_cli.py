"""cli: the exact commands other tools script — init, agent/client add and list, load, dump/restore, reindex, verify."""

from __future__ import annotations

import gzip
from dataclasses import replace
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
    assert (
        run(
            capsys,
            "agent",
            "add",
            "ZCLI",
            "--name",
            "CLI Agent",
            "--password",
            "pw-agent",
            "--namespace",
            "ZC",
            "--namespace",
            "10273/ZCX",
            "--doi-prefix",
            "10.99970",
            "--data",
            str(d),
        )[0]
        == 0
    )
    assert (
        run(
            capsys,
            "client",
            "add",
            "ZCLI.ONE",
            "--password",
            "pw-one",
            "--namespace",
            "ZCA",
            "--domain",
            "example.org",
            "--quota",
            "100",
            "--data",
            str(d),
        )[0]
        == 0
    )
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
    path.write_text(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<resource xmlns="http://schema.igsn.org/description/1.1" type="Sample">
  <identifier type="IGSN">{name}</identifier>
  <name>Core {name}</name>
  <materials><material>{material}</material></materials>
  <sampleAccess>Public</sampleAccess>
</resource>
""",
        encoding="utf-8",
    )
    return path


def test_load_reports_invalid_records_and_stores_the_rest(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _write(folder / "a.xml", "ZCA0001")
    _write(folder / "b.xml", "ZCA0002", material="http://example.org/cheese")
    _write(folder / "c.xml", "QQ0001")
    (folder / "d.xml").write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    )
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
    for part in ("graph.nq.gz", "history.nq.gz", "accounts.jsonl.gz", "registry.jsonl.gz"):
        assert gzip.decompress((first / part).read_bytes()) == gzip.decompress((second / part).read_bytes()), part
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
    (folder / "bomb.xml").write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        b'<resource xmlns="http://schema.igsn.org/description/1.1">&b;</resource>'
    )
    code, out, err = run(capsys, "load", str(folder), "--data", str(data))
    assert code == 3 and "loaded 0 records" in out and "4 invalid" in out
    assert "UTF-8" in err and "'#' is not allowed" in err and "spaces" in err and "document type" in err
    with Registry(Settings(data_dir=data)) as reg:
        assert reg.count() == 0


# -- records of other agents: registration kernel 1.1, off-form logs, OAI-PMH harvests (issue 13) ----------
OAI = "http://www.openarchives.org/OAI/2.0/"


def _payload(name: str) -> str:
    return (
        f'<resource xmlns="http://schema.igsn.org/description/1.1" type="Sample"><identifier type="IGSN">{name}'
        f"</identifier><name>Core {name}</name><materials><material>http://vocabulary.odm2.org/medium/rock"
        "</material></materials><sampleAccess>Public</sampleAccess></resource>"
    )


def _harvest(path: Path, *records: tuple[str, bool]) -> Path:
    """A ListRecords response: (IGSN, deleted) per record, oai-identifiers of a made-up provider."""
    items = "".join(
        ("<record><header status='deleted'>" if deleted else "<record><header>")
        + f"<identifier>oai:agent.example.org:{name}</identifier><datestamp>2024-01-02T03:04:05Z</datestamp>"
        + ("</header></record>" if deleted else f"</header><metadata>{_payload(name)}</metadata></record>")
        for name, deleted in records
    )
    path.write_text(
        f'<OAI-PMH xmlns="{OAI}"><responseDate>2024-01-02T03:04:05Z</responseDate><request '
        f'verb="ListRecords" metadataPrefix="igsn">https://agent.example.org/oai</request>'
        f"<ListRecords>{items}</ListRecords></OAI-PMH>",
        encoding="utf-8",
    )
    return path


def test_load_registration_kernel_1_1_and_logs_without_time_stamps(
    data: Path, shared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marum = tmp_path / "marum.xml"
    marum.write_text(
        '<sample xmlns="http://igsn.org/schema/kernel-v.1.0"><sampleNumber identifierType="igsn">'
        "10273/ZCA0400</sampleNumber><registrant><registrantName>MARUM</registrantName></registrant>"
        '<log><logElement event="submitted" timeStamp=""/><logElement event="registered" '
        'timeStamp="2012-03-04T05:06:07Z"/></log></sample>',
        encoding="utf-8",
    )
    draft = shared / "examples/IGSN-metadata/registration/1.1/igsn.xml"
    code, out, err = run(capsys, "load", str(draft), str(marum), "--client", "ZCLI.ONE", "--data", str(data))
    assert code == 0, err
    assert "loaded 2 records (2 new)" in out
    with Registry(Settings(data_dir=data)) as reg:
        draft_record = reg.record("TESTIGSN")
        assert draft_record is not None and [e.timestamp for e in draft_record.log] == [
            "1997",
            "1997-07",
            "1997-07-16",
            "1997-07-16T19:20:30.45+01:00",
            "1997-07-16T19:20:00+01:00",
        ]
        facts = reg.facts("TESTIGSN")
        assert facts is not None and facts.lifecycle == "destroyed"
        marum_record = reg.record("ZCA0400")
        assert marum_record is not None
        assert [(e.event, e.timestamp) for e in marum_record.log] == [("registered", "2012-03-04T05:06:07Z")]


def test_load_a_harvest_applies_its_deletions_in_order(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "harvest"
    folder.mkdir()
    _harvest(folder / "1.xml", ("ZCA0301", False), ("ZCA0302", False))
    _harvest(folder / "2.xml", ("ZCA0301", True), ("ZCA0309", True))  # ZCA0309 was never registered here
    _harvest(folder / "3.xml", ("ZCA0302", True))
    _write(folder / "4.xml", "ZCA0301")  # registered again after its deletion: the later file wins
    code, out, err = run(capsys, "load", str(folder), "--data", str(data))
    assert code == 0, err
    assert "loaded 3 records (2 new) from 4 files" in out
    assert "deleted at the source: 2 deactivated, 0 inactive already, 1 not registered here, 0 refused" in out
    with Registry(Settings(data_dir=data)) as reg:
        first, second = reg.facts("ZCA0301"), reg.facts("ZCA0302")
        assert first is not None and first.active
        assert second is not None and not second.active
        version = reg.row("ZCA0302").version  # type: ignore[union-attr]
    # a deletion of a sample inactive already writes nothing
    code, out, _ = run(capsys, "load", str(folder / "3.xml"), "--data", str(data))
    assert code == 0 and "0 deactivated, 1 inactive already" in out
    with Registry(Settings(data_dir=data)) as reg:
        assert reg.row("ZCA0302").version == version  # type: ignore[union-attr]


def test_load_a_deletion_the_client_may_not_apply(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "load", str(_write(tmp_path / "x.xml", "ZC0500")), "--data", str(data))[0] == 0
    code, out, err = run(
        capsys, "load", str(_harvest(tmp_path / "h.xml", ("ZC0500", True))), "--client", "ZCLI.ONE", "--data", str(data)
    )
    assert code == 3 and "1 refused" in out
    assert "ZC0500: deleted at the source, not deactivated: cannot access dataset which belongs to another party" in err
    with Registry(Settings(data_dir=data)) as reg:
        assert reg.facts("ZC0500").active  # type: ignore[union-attr]


def test_load_a_harvest_of_this_registry(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Our own ListRecords page, saved and loaded elsewhere, gives the same samples and the same deletions."""
    from datetime import datetime, timedelta, timezone

    from igsn_graph.oai.args import OaiRequest
    from igsn_graph.oai.verbs import Repository, handle
    from igsn_graph.oai.xml import render
    from igsn_graph.registry.accounts import ADMIN

    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        _write(folder / f"{i}.xml", f"ZCA060{i}")
    assert run(capsys, "load", str(folder), "--data", str(data))[0] == 0
    with Registry(Settings(data_dir=data)) as reg:
        reg.deactivate(ADMIN, "ZCA0601")
        repo = Repository(reg, cache=False)
        request = OaiRequest("ListRecords", {"metadataPrefix": "igsn_desc"})
        now = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=5)  # past the datestamps
        page = render(handle(repo, request, now), request.echo, repo.base_url, now)
        repo.close()
        originals = {n: reg.record(n) for n in ("ZCA0600", "ZCA0602")}
    (tmp_path / "page.xml").write_bytes(page)
    other = tmp_path / "other"
    assert run(capsys, "init", "--data", str(other))[0] == 0
    assert (
        run(
            capsys,
            "agent",
            "add",
            "ZCLI",
            "--name",
            "CLI Agent",
            "--password",
            "pw",
            "--namespace",
            "ZC",
            "--data",
            str(other),
        )[0]
        == 0
    )
    # the deleted sample is new here: nothing to deactivate
    code, out, err = run(capsys, "load", str(tmp_path / "page.xml"), "--data", str(other))
    assert code == 0, err
    assert "loaded 2 records (2 new)" in out and "1 not registered here" in out
    with Registry(Settings(data_dir=other)) as reg:
        for name, original in originals.items():
            copy = reg.record(name)
            assert copy is not None and original is not None
            # the registrant is the registering account's; here it is named as the harvest wrote it
            assert copy.registrant is not None and copy.registrant.name == original.registrant.name  # type: ignore
            assert replace(copy, registrant=None) == replace(original, registrant=None)
        assert reg.row("ZCA0601") is None


def test_load_a_geoscience_australia_get_record(
    tmp_path: Path, shared: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / "ga"
    assert run(capsys, "init", "--data", str(d))[0] == 0
    assert (
        run(
            capsys,
            "agent",
            "add",
            "ZGA",
            "--name",
            "Geoscience Australia",
            "--password",
            "pw",
            "--namespace",
            "AU",
            "--data",
            str(d),
        )[0]
        == 0
    )
    path = shared / "examples/GeoscienceAustralia-samples-api/_tests/static_data/static_GetRecord_240_igsn.xml"
    code, out, err = run(capsys, "load", str(path), "--data", str(d))
    assert code == 0, err
    with Registry(Settings(data_dir=d)) as reg:
        assert reg.row("AU240") is not None


def test_load_reads_our_context_at_the_iri_base_from_the_local_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    d = tmp_path / "ctx"
    assert run(capsys, "init", "--iri-base", "https://samples.example.org/", "--data", str(d))[0] == 0
    assert (
        run(
            capsys,
            "agent",
            "add",
            "ZCX",
            "--name",
            "Context",
            "--password",
            "pw",
            "--namespace",
            "ZCX",
            "--data",
            str(d),
        )[0]
        == 0
    )
    doc = {
        "@context": "https://samples.example.org/context.jsonld",
        "@id": "https://samples.example.org/ZCX001",
        "@type": "Sample",
        "igsn": "ZCX001",
        "title": "read with the context this registry publishes at its IRI base",
    }
    (tmp_path / "s.jsonld").write_text(json.dumps(doc))
    code, out, err = run(capsys, "load", str(tmp_path / "s.jsonld"), "--data", str(d))
    assert code == 0, err
    assert "loaded 1 records" in out
