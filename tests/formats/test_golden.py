"""Golden files: one demo record written by every writer of the format table, compared byte for byte.

A writer's output is part of what harvesters were told (OAI datestamps, cached documents): when it changes, the
format's ``revision`` in ``formats/table.py`` must change too, so its fingerprint part does and the registry
restamps. ``golden/parts.json`` keeps the fingerprint part each golden file was written under, so a changed
output under an unchanged part fails with that instruction. After bumping the revision (or when the demo record
or a crosswalk changed), rewrite the files with ``python -m tests.formats.test_golden``; it refuses to rewrite
an output that changed under an unchanged part.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest
from lxml import etree

from igsn_graph.demo import small_demo
from igsn_graph.formats import table
from igsn_graph.formats.table import WRITTEN, XmlFormat
from igsn_graph.oai.formats import for_oai
from igsn_graph.record import RegistryFacts, SampleRecord

GOLDEN = Path(__file__).parent / "golden"
PARTS = GOLDEN / "parts.json"
#: the richest record of the small demo (most fields filled in)
DEMO_IGSN = "ZSBKGHCT8"
IRI_BASE = "https://w3id.org/igsn-graph/id/"
FACTS = RegistryFacts(
    DEMO_IGSN,
    agent="ZSEA",
    namespace="ZSB",
    datestamp="2026-01-02T03:04:05Z",
    client="ZSEA.LAB",
    has_metadata=True,
    registered="2025-06-07T08:09:10Z",
    doi="10.99991/ZSBKGHCT8",
)


def demo_record() -> SampleRecord:
    found = [s.record for s in small_demo() if s.record.igsn == DEMO_IGSN]
    if not found:
        pytest.fail(f"the small demo no longer has {DEMO_IGSN}: pick its richest record here and regenerate")
    return found[0]


def record_digest(record: SampleRecord) -> str:
    return hashlib.sha256(repr(record).encode()).hexdigest()[:16]


def written(fmt: XmlFormat, record: SampleRecord) -> bytes:
    assert fmt.write is not None
    # as the data provider and the resolver write it: the registered DOI joins the record
    element = fmt.write(for_oai(record, FACTS), FACTS, IRI_BASE)
    data: bytes = etree.tostring(element, encoding="utf-8", pretty_print=True)
    return data


def recorded() -> dict[str, str]:
    parts: dict[str, str] = json.loads(PARTS.read_text(encoding="utf-8"))
    return parts


def test_every_written_format_has_a_golden_file_and_a_recorded_part() -> None:
    assert WRITTEN, "the table writes nothing"
    parts = recorded()
    assert set(parts) == {"record", *(f.name for f in WRITTEN)}
    assert {p.stem for p in GOLDEN.glob("*.xml")} == {f.name for f in WRITTEN}


def problem(fmt: XmlFormat, record: SampleRecord, parts: dict[str, str]) -> str | None:
    """Why ``fmt``'s output of ``record`` does not match its golden file, or None when it does."""
    if record_digest(record) != parts["record"]:
        return "the demo record changed: regenerate the golden files (python -m tests.formats.test_golden)"
    output = written(fmt, record)
    golden = (GOLDEN / f"{fmt.name}.xml").read_bytes()
    if output != golden and fmt.fingerprint_part() == parts[fmt.name]:
        return (
            f"the {fmt.name} writer's output changed but its fingerprint part did not: bump its revision in "
            "igsn_graph/formats/table.py (harvesters must see new datestamps), then regenerate the golden files "
            "(python -m tests.formats.test_golden)"
        )
    if fmt.fingerprint_part() != parts[fmt.name] or output != golden:
        return (
            f"{fmt.name}'s fingerprint part changed (revision or a mapping file it reads): regenerate the golden "
            "files (python -m tests.formats.test_golden)"
        )
    return None


@pytest.mark.parametrize("fmt", WRITTEN, ids=lambda f: f.name)
def test_writer_output_is_the_golden_file(fmt: XmlFormat) -> None:
    found = problem(fmt, demo_record(), recorded())
    if found is not None:
        pytest.fail(found)


def test_a_changed_writer_without_a_new_revision_fails_and_with_one_asks_for_new_golden_files() -> None:
    oai_dc = table.XML_FORMATS["oai_dc"]
    assert oai_dc.write is not None
    original = oai_dc.write

    def changed(record: SampleRecord, facts: RegistryFacts, iri_base: str) -> etree._Element:
        element = original(record, facts, iri_base)
        element.append(etree.Element("{http://purl.org/dc/elements/1.1/}source"))
        return element

    record, parts = demo_record(), recorded()
    forgot = table.replace(oai_dc, write=changed)
    assert "bump its revision" in (problem(forgot, record, parts) or "")
    bumped = table.replace(oai_dc, write=changed, revision="2099-1")
    assert "regenerate the golden files" in (problem(bumped, record, parts) or "")
    assert "bump" not in (problem(bumped, record, parts) or "")


def test_read_only_formats_have_no_fingerprint_part() -> None:
    assert all(f.fingerprint_part() == "" for f in table.XML_FORMATS.values() if f.write is None)


def test_a_revision_bump_changes_the_part_and_the_fingerprint(monkeypatch: pytest.MonkeyPatch) -> None:
    before = table.fingerprint()
    datacite = table.XML_FORMATS["datacite"]
    bumped = table.replace(datacite, revision="2099-1")
    assert bumped.fingerprint_part() != datacite.fingerprint_part()
    monkeypatch.setattr(table, "WRITTEN", tuple(bumped if f is datacite else f for f in table.WRITTEN))
    assert table.fingerprint() != before


def test_at_the_base_revision_the_fingerprint_is_that_of_the_single_shared_revision() -> None:
    # what oai.formats.fingerprint computed before the table: data folders stamped then are not restamped
    assert all(f.revision == table.BASE_REVISION for f in WRITTEN)
    files = ("oai_dc.csv", "relation_types.csv", "codelists")
    digest = table._mappings_digest(table.mappings_dir(), files)
    old = hashlib.sha256(f"{table.BASE_REVISION}\n{digest}".encode()).hexdigest()[:16]
    assert table.fingerprint() == old


def regenerate() -> int:
    """Rewrites the golden files and parts; refuses an output that changed under an unchanged part."""
    record = demo_record()
    old = recorded() if PARTS.exists() else {}
    same_record = old.get("record") == record_digest(record)
    refused = []
    for fmt in WRITTEN:
        path = GOLDEN / f"{fmt.name}.xml"
        output = written(fmt, record)
        changed = path.exists() and path.read_bytes() != output
        if changed and same_record and old.get(fmt.name) == fmt.fingerprint_part():
            refused.append(fmt.name)
    if refused:
        print(f"refused: output of {', '.join(refused)} changed; bump their revision in formats/table.py first")
        return 1
    GOLDEN.mkdir(exist_ok=True)
    for fmt in WRITTEN:
        (GOLDEN / f"{fmt.name}.xml").write_bytes(written(fmt, record))
    parts = {"record": record_digest(record), **{f.name: f.fingerprint_part() for f in WRITTEN}}
    PARTS.write_text(json.dumps(parts, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(WRITTEN)} golden files and {PARTS.name}")
    return 0


if __name__ == "__main__":
    sys.exit(regenerate())
