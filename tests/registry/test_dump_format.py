"""Dumps in standard formats (issue 16): N-Quads a user loads elsewhere, accounts apart with hashed secrets, a
manifest; taken while the registry writes; carried as a tar stream and restored from it."""

from __future__ import annotations

import gzip
import io
import json
import threading
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, RdfFormat, Store

from igsn_graph.registry.accounts import ADMIN
from igsn_graph.registry.dump import PARTS, dump
from igsn_graph.registry.dump_stream import extract, tar_stream
from igsn_graph.registry.history_file import DUMP
from igsn_graph.registry.restore import restore
from igsn_graph.registry.service import Registry
from igsn_graph.registry.tables import DumpBroken, json_lines
from igsn_graph.settings import Settings
from igsn_graph.store import history
from tests.conftest import AGENT, CLIENT_ONE, fresh_settings
from tests.reliability.raw_text import record_with, store_raw


@pytest.fixture
def dumped(tmp_path: Path) -> tuple[Settings, Path]:
    settings = fresh_settings(tmp_path / "src")
    with Registry(settings) as reg:
        store_raw(reg, record_with("ZTA-F1", "first core"))
        store_raw(reg, record_with("ZTA-F1", "first core, described again"))
        reg.mint(ADMIN, "ZTA-F2", "https://example.org/2")
        with reg.db.write() as w:  # a verbatim document that is not UTF-8 (kept as xsd:base64Binary)
            w.execute(
                "UPDATE versions SET document = ?, format = 'kernel' WHERE igsn = 'ZTA-F2'",
                (history.compress(b"<r>\xff\xfe</r>"),),
            )
        dump(reg, tmp_path / "d")
    return settings, tmp_path / "d"


def test_the_parts_load_into_any_rdf_store(dumped: tuple[Settings, Path]) -> None:
    settings, folder = dumped
    assert sorted(p.name for p in folder.iterdir()) == sorted(PARTS)
    other = Store()  # any N-Quads reader: nothing of ours is needed
    for part in ("graph.nq.gz", "history.nq.gz"):
        other.load(input=gzip.decompress((folder / part).read_bytes()), format=RdfFormat.N_QUADS)
    with Registry(settings) as reg:
        for name in ("ZTA-F1", "ZTA-F2"):
            for v in history.versions_of(reg.db.read(), name):
                graph = reg.iris.version(name, v.version)
                got = {str(q.triple) for q in other.quads_for_pattern(None, None, None, graph)}
                assert got == {line[:-2] for line in v.graph_ntriples.splitlines()}
        current = reg.iris.record_graph("ZTA-F1")
        assert {str(q.triple) for q in other.quads_for_pattern(None, None, None, current)} == {
            str(t) for t in reg.store.graph(current)
        }
    versions = list(
        other.query(
            f"SELECT ?v ?n WHERE {{ GRAPH ?h {{ ?v <{DUMP}sample> 'ZTA-F1' ; <{DUMP}version> ?n }} }} ORDER BY ?n"
        )
    )
    assert [int(row["n"].value) for row in versions] == [1, 2]  # type: ignore[index,union-attr]
    docs = list(other.query(f"SELECT ?d WHERE {{ GRAPH ?h {{ ?v <{DUMP}sample> 'ZTA-F2' ; <{DUMP}document> ?d }} }}"))
    assert docs[0]["d"].datatype == NamedNode("http://www.w3.org/2001/XMLSchema#base64Binary")  # type: ignore[index,union-attr]


def test_accounts_are_their_own_file_with_secrets_hashed(dumped: tuple[Settings, Path]) -> None:
    _, folder = dumped
    accounts = gzip.decompress((folder / "accounts.jsonl.gz").read_bytes()).decode("utf-8")
    assert AGENT[0] in accounts and CLIENT_ONE[0] in accounts
    for part in PARTS:  # no password in clear anywhere
        text = gzip.decompress((folder / part).read_bytes()) if part.endswith(".gz") else (folder / part).read_bytes()
        assert AGENT[1].encode() not in text and CLIENT_ONE[1].encode() not in text
    tables = [json.loads(line)["table"] for line in accounts.splitlines() if '"table"' in line]
    assert tables == ["agents", "clients", "namespaces", "doi_prefixes"]


def test_the_manifest_says_what_the_dump_holds(dumped: tuple[Settings, Path]) -> None:
    settings, folder = dumped
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["format"] == "igsn-graph-dump" and manifest["version"] == 3
    assert manifest["parts"]["history.nq.gz"]["versions"] == 3
    assert manifest["parts"]["accounts.jsonl.gz"]["agents"] == 2
    assert {"igsn-graph", "pyoxigraph", "sqlite"} <= set(manifest["software"])
    with Registry(settings) as reg:
        last = reg.db.read().execute("SELECT MAX(datestamp) FROM versions").fetchone()[0]
    assert manifest["journal"]["datestamp"] == last and manifest["journal"]["seq"] >= 3


def test_a_tar_stream_of_a_dump_restores(dumped: tuple[Settings, Path], tmp_path: Path) -> None:
    settings, folder = dumped
    tar = tmp_path / "d.tar"
    tar.write_bytes(b"".join(tar_stream(folder, PARTS)))
    target = Settings(data_dir=tmp_path / "from-tar")
    counts = restore(target, tar)
    assert counts["catalogue"] == 2 and counts["versions"] == 3
    assert not (target.data_dir / ".restore-incomplete").exists() and not (target.data_dir / "dump").exists()
    with Registry(settings) as a, Registry(target) as b:
        assert a.record("ZTA-F1") == b.record("ZTA-F1") and a.row("ZTA-F2") == b.row("ZTA-F2")
        assert history.versions_of(a.db.read(), "ZTA-F2") == history.versions_of(b.db.read(), "ZTA-F2")
    # a stream cut short, or one carrying other names, is refused
    from igsn_graph.registry.tables import DumpBroken

    with pytest.raises(DumpBroken, match="cut short"):
        extract(io.BytesIO(tar.read_bytes()[:-5000]), tmp_path / "cut", set(PARTS))
    with pytest.raises(DumpBroken, match="no part of a dump"):
        extract(io.BytesIO(tar.read_bytes()), tmp_path / "few", {"manifest.json"})


def test_a_dump_taken_while_writes_go_on_restores_and_verifies(tmp_path: Path) -> None:
    settings = fresh_settings(tmp_path / "src")
    acknowledged: list[str] = []
    stop = threading.Event()
    with Registry(settings) as reg:

        def write() -> None:
            i = 0
            while not stop.is_set():
                reg.mint(ADMIN, f"ZTA-W{i:05d}", f"https://example.org/{i}")
                acknowledged.append(f"ZTA-W{i:05d}")
                i += 1

        writer = threading.Thread(target=write)
        writer.start()
        try:
            while len(acknowledged) < 5:
                stop.wait(0.01)
            before = set(acknowledged)
            counts = dump(reg, tmp_path / "d")
        finally:
            stop.set()
            writer.join()
    target = Settings(data_dir=tmp_path / "restored")
    restored = restore(target, tmp_path / "d")  # verified: graph, history and index agree
    with Registry(target) as reg:
        names = {r[0] for r in reg.db.read().execute("SELECT igsn FROM catalogue")}
    assert before <= names <= set(acknowledged) and restored["catalogue"] == len(names) == counts["versions"]


@pytest.mark.both_stores
@pytest.mark.sqlite_only(
    "the target restores into a second data folder; on PostgreSQL the round trip is in tests/db (a fresh database)"
)
def test_dump_and_restore_over_either_store(settings: Settings, tmp_path: Path) -> None:
    """With a remote engine the dump reads the engine's dataset (under the write lock) and restore loads it back
    into an engine that holds no sample graphs."""
    from igsn_graph.registry.service import init_data_dir
    from tests.conftest import add_test_accounts, empty_engine

    init_data_dir(settings, repository_id="test.igsn-graph.org")
    with Registry(settings) as reg:
        add_test_accounts(reg)
        store_raw(reg, record_with("ZTA-RD1", "dumped core"))
        before = reg.record("ZTA-RD1")
        counts = dump(reg, tmp_path / "d")
    if settings.store not in ("", "embedded"):
        empty_engine(settings)
    target = settings.with_(data_dir=tmp_path / "restored")
    restored = restore(target, tmp_path / "d")
    assert restored["quads"] == counts["quads"] and restored["catalogue"] == 1
    with Registry(target) as reg:
        assert reg.record("ZTA-RD1") == before


def test_json_lines_name_the_line_that_breaks_in_every_dump_version(tmp_path: Path) -> None:
    """One reader of JSON lines (``tables.json_lines``) for the tables files and the single-file dumps of v1-2."""
    path = tmp_path / "t.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write('{"format": "x"}\n{"a": 1}\n\n[1]\n')
    with gzip.open(path, "rt", encoding="utf-8") as f:
        f.readline()  # a header, as a v1-2 dump has
        lines = json_lines(f, path, read=1)
        assert next(lines) == {"a": 1}
        with pytest.raises(DumpBroken, match=r"damaged at line 4: not an object"):
            next(lines)
