"""Bulk load pipeline: files read in a worker process while the loader writes give the same records, problems
and deletions in the same order as reading in the loader; a killed loader does not leave its reader behind;
`igsn-graph load` shows its progress as a bar on a terminal and as plain lines otherwise."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lxml import etree

from igsn_graph.cli import main
from igsn_graph.demo import generate_samples
from igsn_graph.demo_load import load_demo_accounts
from igsn_graph.formats import description_kernel
from igsn_graph.loader import read_files, segments
from igsn_graph.progress import Lines, Progress
from igsn_graph.registry.accounts import ADMIN
from igsn_graph.registry.service import Registry, init_data_dir
from igsn_graph.settings import Settings

OAI = "http://www.openarchives.org/OAI/2.0/"


def _kernel_files(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, s in enumerate(generate_samples(n, seed=3)):
        path = folder / f"{i:05d}.xml"
        path.write_bytes(etree.tostring(description_kernel.write(s.record), encoding="utf-8", xml_declaration=True))
        paths.append(path)
    return paths


def _deletion(path: Path, name: str) -> Path:
    path.write_text(
        f'<OAI-PMH xmlns="{OAI}"><responseDate>2024-01-02T03:04:05Z</responseDate><request verb="ListRecords" '
        f'metadataPrefix="igsn">https://agent.example.org/oai</request><ListRecords><record><header status="deleted">'
        f"<identifier>oai:agent.example.org:{name}</identifier><datestamp>2024-01-02T03:04:05Z</datestamp>"
        "</header></record></ListRecords></OAI-PMH>",
        encoding="utf-8",
    )
    return path


def _segments(files: list[Path], read_ahead: bool) -> list[tuple[list[str], list[str], list[str]]]:
    """Per segment: the IGSNs read, the files refused, the deletions."""
    problems: list[str] = []
    out = []
    for segment in segments(
        files, max_bytes=1 << 20, on_problem=lambda p, _: problems.append(p.name), read_ahead=read_ahead
    ):
        names = [s.record.igsn for s in segment]
        out.append((names, list(problems), list(segment.deleted)))
        problems.clear()
    return out


def test_reading_in_a_worker_gives_what_reading_here_gives(tmp_path: Path) -> None:
    files = _kernel_files(tmp_path / "in", 60)
    first = next(iter(read_files(files[:1], max_bytes=1 << 20)))[1]
    assert not isinstance(first, str)
    (tmp_path / "in" / "broken.xml").write_text("<resource", encoding="utf-8")
    # an unreadable file and a harvest's deletion in the middle: the deletion cuts the segments there
    files = (
        files[:25] + [tmp_path / "in" / "broken.xml", _deletion(tmp_path / "in" / "h.xml", "ZGEO00001")] + files[25:]
    )
    here = _segments(files, read_ahead=False)
    there = _segments(files, read_ahead=True)
    assert there == here
    assert len(here) == 2 and here[0][1] == ["broken.xml"] and here[0][2] == ["ZGEO00001"]
    assert len(here[0][0]) + len(here[1][0]) == 60
    # the records themselves arrive whole (the worker pickles them)
    ahead = [got for _, got in read_files(files[:3], max_bytes=1 << 20, in_worker=True)]
    local = [got for _, got in read_files(files[:3], max_bytes=1 << 20)]
    assert ahead == local


def test_a_file_too_large_is_refused_by_the_worker_too(tmp_path: Path) -> None:
    files = _kernel_files(tmp_path / "in", 2)
    got = list(read_files(files, max_bytes=100, in_worker=True))
    assert [p for p, _ in got] == files and all(isinstance(r, str) and "larger than 100" in r for _, r in got)


_KILLED_LOADER = """
import multiprocessing, os, signal, sys
from pathlib import Path
from igsn_graph.loader import read_files
files = sorted(Path(sys.argv[1]).glob("*.xml")) * 20  # more than the queue holds: the worker blocks on it
it = read_files(files, max_bytes=1 << 20, in_worker=True)
next(it)  # the worker is running and its queue fills up behind us
print(multiprocessing.active_children()[0].pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_loader_does_not_leave_its_reader_behind(tmp_path: Path) -> None:
    _kernel_files(tmp_path / "in", 40)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    out = tmp_path / "out.txt"
    with out.open("w") as stdout:  # a file, not a pipe: a reader left behind would keep a pipe open
        proc = subprocess.run(
            [sys.executable, "-c", _KILLED_LOADER, str(tmp_path / "in")], env=env, stdout=stdout, timeout=120
        )
    assert proc.returncode == -signal.SIGKILL
    worker = int(out.read_text().split()[0])
    for _ in range(600):  # it checks for its parent while its queue is full
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(worker, signal.SIGKILL)
    pytest.fail("the reading process outlived the loader it read for")


def test_load_with_and_without_read_ahead_stores_the_same(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _kernel_files(tmp_path / "in", 40)  # past READ_AHEAD_MIN_FILES: read in a worker
    results = []
    for flag in ([], ["--no-read-ahead"]):
        settings = Settings(data_dir=tmp_path / f"data{len(flag)}")
        init_data_dir(settings)
        with Registry(settings) as reg:
            load_demo_accounts(reg)
        code = main(["load", str(tmp_path / "in"), "--data", str(settings.data_dir), *flag])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert "loaded 40 records (40 new) from 40 files" in out
        with Registry(settings) as reg:
            results.append([(name, len(reg.graph_of(name))) for name in reg.names_of(ADMIN)])
    assert results[0] == results[1]


def test_progress_is_a_bar_on_a_terminal_and_lines_in_a_log() -> None:
    bar, log = io.StringIO(), io.StringIO()
    on_terminal = Progress(bar, bar=True)
    in_log = Progress(log, bar=False, log_every_s=0)
    on_terminal.start -= 10  # ten seconds in
    in_log.start -= 10
    on_terminal._last = in_log._last = 0  # noqa: SLF001 - draw now
    on_terminal.update(500, 3, 1, 4)
    in_log.update(500, 3, 1, 4)
    on_terminal.close()
    # a quarter of the files in ten seconds: about thirty seconds left, at about 50 records/s
    assert bar.getvalue().startswith("\r[#######-") and "500 records, 3 invalid, 50/s" in bar.getvalue()
    assert "1/4 files, 0:30 left" in bar.getvalue() and bar.getvalue().endswith("\n")
    assert "\r" not in log.getvalue() and log.getvalue().count("\n") == 1 and "0:30 left" in log.getvalue()


def test_demo_count_loads_that_many_generated_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    assert main(["demo", "--count", "40", "--data", data]) == 0
    assert "40 samples (0 refused)" in capsys.readouterr().out
    assert main(["verify", "--data", data]) == 0


def test_report_lines_past_the_memory_bound_go_to_a_file_and_all_come_back() -> None:
    lines = Lines(in_memory=3)
    for i in range(10):
        lines.append(f"ZX{i}: warning {i}")
    assert len(lines) == 10 and len(lines._held) == 3  # noqa: SLF001 - the bound held
    assert list(lines) == [f"ZX{i}: warning {i}" for i in range(10)]
    lines.append("ZX10: one more")
    assert list(lines)[-2:] == ["ZX9: warning 9", "ZX10: one more"]
    lines.close()
