"""Backups that can be restored (issue 21): ``dump`` → ``restore`` → ``dump`` is exact for any text a record
or an account can hold; ``dump`` reads back what it wrote before it exits 0; a failed restore leaves the
data folder as it was and never verifies as an empty registry. Dumps of the older single-file format
(versions 1-2) are still read.

The attack: a title holding U+2028 (or U+0085, or any character ``str.splitlines()`` takes for a line end)
made every later dump unrestorable ("Line jumps are not allowed"), the half-restored folder verified as
"ok … 0 samples" and refused a second restore, and ``dump`` exited 0.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from igsn_graph.cli import main
from igsn_graph.errors import InvalidInput
from igsn_graph.registry import dump as dumping
from igsn_graph.registry import restore as restoring
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
from tests.conftest import fresh_settings

from .raw_text import TRICKY, any_text, record_with, store_raw

pytestmark = pytest.mark.slow

PROPERTY = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in gzip.decompress(path.read_bytes()).decode("utf-8").split("\n") if line]


#: the parts of a dump that two dumps of the same registry hold byte for byte (the manifest says when)
PARTS = ("graph.nq.gz", "history.nq.gz", "accounts.jsonl.gz", "registry.jsonl.gz")


def _same_dumps(first: Path, second: Path) -> None:
    for part in PARTS:
        assert gzip.decompress((first / part).read_bytes()) == gzip.decompress((second / part).read_bytes()), part


def _write_lines(path: Path, records: list[dict[str, object]]) -> None:
    path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode("utf-8")))


def _kernel(name: str, title: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<resource xmlns="http://schema.igsn.org/description/1.1" '
        f'type="Sample"><identifier type="IGSN">{name}</identifier><name>{title}</name>'
        f"<materials><material>http://vocabulary.odm2.org/medium/rock</material></materials>"
        f"<sampleAccess>Public</sampleAccess></resource>"
    )


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_a_line_separator_in_a_title_restores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], separator: str
) -> None:
    """Registered through a real write surface (a kernel document given to ``load``)."""
    data = fresh_settings(tmp_path).data_dir
    (tmp_path / "in.xml").write_text(_kernel("ZTA0001", f"Core{separator}one"), encoding="utf-8")
    code, _, err = run(capsys, "load", str(tmp_path / "in.xml"), "--client", "ZTEST.ONE", "--data", str(data))
    assert code == 0, err
    code, out, _ = run(capsys, "dump", str(tmp_path / "one.dump"), "--data", str(data))
    assert code == 0 and "read back" in out
    restored = tmp_path / "restored"
    code, out, err = run(capsys, "restore", str(tmp_path / "one.dump"), "--data", str(restored))
    assert code == 0, err
    assert "catalogue=1" in out
    code, out, _ = run(capsys, "verify", "--data", str(restored))
    assert code == 0 and "1 samples" in out
    with Registry(Settings(data_dir=restored)) as reg:
        assert reg.record("ZTA0001").name == f"Core{separator}one"  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return fresh_settings(tmp_path_factory.mktemp("backups"))


@PROPERTY
@given(texts=st.lists(any_text, min_size=1, max_size=3))
@example(texts=TRICKY)
def test_dump_restore_dump_is_exact_for_any_text(
    source: Settings, tmp_path_factory: pytest.TempPathFactory, texts: list[str]
) -> None:
    """Every text field of a sample and an account name hold the text, stored by the internal write path."""
    with Registry(source) as reg:
        for i, text in enumerate(texts):
            store_raw(reg, record_with(f"ZTA-T{i}", text))
        with reg.db.write() as w:  # an account name as an older registry may hold it
            w.execute("UPDATE clients SET name = ? WHERE symbol = 'ZTEST.ONE'", (texts[0] or "x",))
        reg.publish_accounts()
        before = {f"ZTA-T{i}": reg.record(f"ZTA-T{i}") for i in range(len(texts))}
    folder = tmp_path_factory.mktemp("restore")
    first, second = folder / "one.dump", folder / "two.dump"
    with Registry(source) as reg, reg.writing():
        counts = dumping.dump(reg, first)
    target = Settings(data_dir=folder / "data")
    restored = restoring.restore(target, first)
    assert restored["quads"] == counts["quads"] and restored["versions"] == counts["versions"]
    with Registry(target) as reg, reg.writing():
        dumping.dump(reg, second)
        assert {name: reg.record(name) for name in before} == before
    _same_dumps(first, second)


def test_dump_checks_what_it_wrote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The store's N-Quads come out cut inside a statement (a failing engine, a full pipe): no dump is left."""
    from igsn_graph.store.oxigraph import OxigraphStore

    settings_ = fresh_settings(tmp_path)
    whole = OxigraphStore.dump_nquads

    def cut(self: OxigraphStore) -> Iterator[bytes]:
        for chunk in whole(self):
            yield chunk[: len(chunk) // 2] + b"\n"

    monkeypatch.setattr(OxigraphStore, "dump_nquads", cut)
    with Registry(settings_) as reg:
        store_raw(reg, record_with("ZTA0002", "a core"))
        with pytest.raises(InvalidInput, match="does not parse"):
            dumping.dump(reg, tmp_path / "cut.dump")
    assert not (tmp_path / "cut.dump").exists() and not list(tmp_path.glob("cut.dump*"))


def _legacy(good: Path, out: Path) -> None:
    """The dump as the format version 1 wrote it: one file of JSON lines, the graph split with splitlines()."""
    records: list[dict[str, object]] = [{"format": "igsn-graph-dump", "version": 1}]
    for part in ("accounts.jsonl.gz", "registry.jsonl.gz"):
        records += _lines(good / part)
    nquads = gzip.decompress((good / "graph.nq.gz").read_bytes()).decode("utf-8")
    records.append({"nquads": "\n".join(sorted(nquads.splitlines())) + "\n"})
    _write_lines(out, records)


def _damaged(good: Path, tmp_path: Path, how: str) -> Path:
    out = tmp_path / "damaged.dump"
    if how == "version 1, split at U+2028":  # as the old dump wrote a title holding U+2028
        _legacy(good, out)
        return out
    shutil.copytree(good, out)
    if how == "no manifest":
        (out / "manifest.json").unlink()
    elif how == "graph does not parse":
        text = gzip.decompress((out / "graph.nq.gz").read_bytes()).replace(b" .\n", b"\n", 1)
        (out / "graph.nq.gz").write_bytes(gzip.compress(text))
    elif how == "gzip cut short":
        (out / "history.nq.gz").write_bytes((good / "history.nq.gz").read_bytes()[:-20])
    elif how == "a count differs":
        manifest = json.loads((out / "manifest.json").read_text())
        manifest["parts"]["accounts.jsonl.gz"]["agents"] += 1
        (out / "manifest.json").write_text(json.dumps(manifest))
    return out


@pytest.mark.parametrize(
    "how", ["no manifest", "graph does not parse", "version 1, split at U+2028", "gzip cut short", "a count differs"]
)
def test_a_failed_restore_leaves_the_folder_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str) -> None:
    data = fresh_settings(tmp_path).data_dir
    with Registry(Settings(data_dir=data)) as reg:
        store_raw(reg, record_with("ZTA0003", "Core\u2028three"))
    good = tmp_path / "good.dump"
    assert run(capsys, "dump", str(good), "--data", str(data))[0] == 0
    target = tmp_path / "target"
    code, out, err = run(capsys, "restore", str(_damaged(good, tmp_path, how)), "--data", str(target))
    assert code == 2 and "restored" not in out and err.startswith("igsn-graph: error:"), (out, err)
    if how == "version 1, split at U+2028":
        assert "version 1" in err
    assert sorted(p.name for p in target.iterdir()) == []  # nothing to remove by hand
    code, out, _ = run(capsys, "verify", "--data", str(target))
    assert code != 0 and "ok" not in out  # never "ok … 0 samples"
    code, out, err = run(capsys, "restore", str(good), "--data", str(target))  # and a good dump goes in
    assert code == 0 and "catalogue=1" in out, err
    assert run(capsys, "verify", "--data", str(target))[0] == 0


def test_an_interrupted_restore_is_named_by_verify_and_cleared_by_restore(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A restore killed midway leaves its staging folder (never a registry): verify says what to remove."""
    data = fresh_settings(tmp_path).data_dir
    good = tmp_path / "good.dump"
    assert run(capsys, "dump", str(good), "--data", str(data))[0] == 0
    target = tmp_path / "target"
    staging = target / restoring.STAGING
    staging.mkdir(parents=True)
    sqlite3.connect(staging / "registry.sqlite").close()
    code, _, err = run(capsys, "verify", "--data", str(target))
    assert code == 1 and str(staging) in err and "remove" in err
    code, out, err = run(capsys, "restore", str(good), "--data", str(target))
    assert code == 0, err
    assert not staging.exists() and run(capsys, "verify", "--data", str(target))[0] == 0
