"""Records derived where they are read (``registry.derivation``, `igsn-graph load`'s reading processes) are stored
exactly as records derived by the writer: the same graphs, history, catalogue, search and relation rows, embargoes
and outcomes (SHACL reports included) over valid, invalid, refused and registrant-less records. A derivation whose
assumptions do not hold where it is written (the owner's registrant, the registry facts its report was made with,
an embargo that has since ended, the links settings) is made again by the writer, never taken as it is."""

from __future__ import annotations

import dataclasses
import gc
import itertools
import re
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from pyoxigraph import Literal, RdfFormat, Triple, parse

from igsn_graph.demo import generate_samples
from igsn_graph.demo_load import load_demo_accounts
from igsn_graph.formats import description_kernel
from igsn_graph.formats.graph import facts_ntriples, facts_triples
from igsn_graph.formats.rdf import NTriplesText, ntriples
from igsn_graph.iris import Iris
from igsn_graph.loader import fewer_collections, read_files
from igsn_graph.record import Agent, RegistryFacts
from igsn_graph.registry import derivation
from igsn_graph.registry.derivation import DerivationSettings, Derived, derive_many
from igsn_graph.registry.service import Registry, Submission, init_data_dir
from igsn_graph.registry.writes import Outcome
from igsn_graph.settings import Settings
from igsn_graph.store import history
from igsn_graph.validation import ValidationReport, Validator, Violation
from igsn_graph.vocab import IG, PROV, RDF_TYPE, XSD
from testkit.validation_cases import DEFECTS

_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def _registry(folder: Path) -> Registry:
    settings = Settings(data_dir=folder, batch_size=25)
    init_data_dir(settings)
    registry = Registry(settings)
    load_demo_accounts(registry)
    return registry


def _corpus() -> list[Submission]:
    """Demo records as read, and beside them: one per SHACL defect, registrant-less ones (the owner's is given),
    embargoed ones, a refused text, a name twice, names in no namespace and in the test namespace."""
    samples = list(generate_samples(90, seed=3))
    out = [Submission(s.record, "igsn_desc", f"<doc n='{i}'/>".encode(), s.landing_url) for i, s in enumerate(samples)]
    spare = iter(samples[40:])
    for changes, _, _ in DEFECTS.values():
        record = dataclasses.replace(next(spare).record, **changes)  # type: ignore[arg-type]
        out.append(Submission(record, "igsn_desc"))
    for _ in range(4):
        out.append(Submission(dataclasses.replace(next(spare).record, registrant=None), "igsn", None))
    future = (datetime.now(timezone.utc) + timedelta(days=400)).strftime("%Y-%m-%d")
    out.append(Submission(dataclasses.replace(next(spare).record, embargo_end=future), "igsn_desc"))
    out.append(Submission(dataclasses.replace(next(spare).record, embargo_end="2001-02"), "igsn_desc"))
    out.append(Submission(dataclasses.replace(next(spare).record, name="bad \x01 control"), "igsn_desc"))
    out.append(Submission(dataclasses.replace(samples[0].record, description="again, changed"), "igsn_desc"))
    out.append(Submission(dataclasses.replace(samples[1].record, igsn="QQNOWHERE1"), "igsn_desc"))
    out.append(Submission(dataclasses.replace(samples[2].record, igsn="TEST.X1"), "igsn_desc"))
    return out


def _derived(
    registry: Registry,
    subs: list[Submission],
    settings: DerivationSettings | None = None,
    validator: Validator | None = None,
) -> list[Derived]:
    """As a reading process derives them: a few records at a time, and handed over pickled."""
    import pickle

    settings = settings or DerivationSettings.of(registry)
    validator = validator or Validator(registry.iris)
    out: list[Derived] = []
    for i in range(0, len(subs), 10):
        out += pickle.loads(pickle.dumps(derive_many(subs[i : i + 10], settings, validator)))
    return out


def _outcomes(registry: Registry, subs: list[Any]) -> list[tuple[Any, ...]]:
    got: list[Outcome] = [o for batch in registry.load_records(subs) for o in batch]
    return sorted(
        (o.index, o.igsn, o.ok, o.created, o.refused, o.version, tuple(o.reasons), tuple(map(str, o.violations)))
        + (tuple(o.warnings),)
        for o in got
    )


def _stored(registry: Registry) -> dict[str, Any]:
    """Everything a write leaves, datestamps blanked (the two registries write at other moments)."""
    conn = registry.db.read()

    def rows(sql: str) -> list[tuple[Any, ...]]:
        return sorted(tuple(_STAMP.sub("T", v) if isinstance(v, str) else v for v in r) for r in conn.execute(sql))

    names = [r[0] for r in conn.execute("SELECT igsn FROM catalogue ORDER BY igsn")]
    graphs = {}
    for name in names:
        triples = registry.store.graph(registry.iris.record_graph(name))
        triples += registry.store.graph(registry.iris.provenance_graph(name))
        graphs[name] = sorted(_STAMP.sub("T", str(t)) for t in triples)
    versions = {
        name: [
            (v.version, v.event, v.format, v.document, _STAMP.sub("T", v.graph_ntriples))
            for v in history.versions_of(conn, name)
        ]
        for name in names
    }
    return {
        "graphs": graphs,
        "versions": versions,
        "catalogue": rows("SELECT * FROM catalogue"),
        "search": rows(
            "SELECT igsn, kind, name, agent, client, namespace, status, collected_from, collected_to FROM search_doc"
        ),
        "text": rows("SELECT igsn, name, description, identifiers, people, terms, places FROM search_text"),
        "facets": rows("SELECT d.igsn, f.facet, f.value FROM search_facet f JOIN search_doc d ON d.doc = f.doc"),
        "totals": rows("SELECT * FROM search_facet_total"),
        "boxes": rows(
            "SELECT d.igsn, b.west, b.east, b.south, b.north FROM search_box b JOIN search_doc d ON d.doc = b.doc"
        ),
        "edges": rows("SELECT * FROM relation_edge"),
        "embargo": rows("SELECT * FROM embargo"),
    }


def test_records_derived_where_read_are_stored_as_records_derived_by_the_writer(tmp_path: Path) -> None:
    subs = _corpus()
    with _registry(tmp_path / "here") as here, _registry(tmp_path / "there") as there:
        derived = _derived(there, subs)
        # the corpus reaches every branch: derived and validated there, refused by the text policy, no owner seen
        assert sum(d.report is not None for d in derived) > 80
        assert any(d.record is None for d in derived) and any(d.report is None and d.record for d in derived)
        assert any(d.registrant is not None for d in derived)
        outcomes_here = _outcomes(here, subs)
        assert _outcomes(there, derived) == outcomes_here
        # invalid, refused, and stored records all came
        assert any(not o[2] and o[7] for o in outcomes_here) and any(o[4] for o in outcomes_here)
        assert sum(o[2] for o in outcomes_here) > 80
        assert _stored(there) == _stored(here)


def _violation(name: str) -> Violation:
    return Violation(focus_node=f"https://x/{name}", path=None, value=None, message="made up", severity="Violation")


def test_a_derivation_is_taken_only_where_its_assumptions_hold(tmp_path: Path) -> None:
    samples = [s.record for s in generate_samples(6, seed=5)]
    subs = [Submission(dataclasses.replace(r, registrant=None), "igsn") for r in samples]
    with _registry(tmp_path / "data") as registry:
        settings = DerivationSettings.of(registry)
        # a reader that foresaw another registrant for every owner: the writer gives the owner's own
        other = dataclasses.replace(settings, registrants={k: Agent("Someone Else") for k in settings.registrants})
        [wrong_registrant] = _derived(registry, subs[:1], other)
        assert wrong_registrant.record is not None and wrong_registrant.record.registrant == Agent("Someone Else")
        # a made-up failing report: taken where the facts it was made with are those written…
        [forged] = _derived(registry, subs[1:2])
        forged.report = ValidationReport(False, (_violation("forged"),))
        # …and not where they differ (another owner foreseen): validated again by the writer
        [other_facts] = _derived(registry, subs[2:3])
        assert other_facts.facts is not None
        other_facts.facts = dataclasses.replace(other_facts.facts, agent="someone-else")
        other_facts.report = ValidationReport(False, (_violation("other"),))
        # an embargo that ended since it was derived, and links settings that changed: derived again
        [ended] = _derived(registry, subs[3:4])
        ended.private_until = datetime.now(timezone.utc) - timedelta(seconds=1)
        assert ended.record is not None
        ended.record = dataclasses.replace(ended.record, is_public=False)
        [links] = _derived(registry, subs[4:5])
        links.links = "another"
        assert links.record is not None
        links.record = dataclasses.replace(links.record, name="not the record's")
        outcomes = [
            o for batch in registry.load_records([wrong_registrant, forged, other_facts, ended, links]) for o in batch
        ]
        assert [(o.igsn, o.ok) for o in outcomes if not o.ok] == [(samples[1].igsn, False)]
        assert [o for o in outcomes if not o.ok][0].reasons == [str(_violation("forged"))]
        first = registry.record(samples[0].igsn)
        assert first is not None and first.registrant is not None and first.registrant.name != "Someone Else"
        assert first.registrant == registry.policy.registrant_of(
            registry.policy.owner_of_name(registry.policy.parse(samples[0].igsn))
        )
        ended_record = registry.record(samples[3].igsn)
        assert ended_record is not None and ended_record.is_public
        linked = registry.record(samples[4].igsn)
        assert linked is not None and linked.name == samples[4].name


def test_a_derivation_that_fails_where_read_is_left_to_the_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    subs = [Submission(s.record, "igsn_desc") for s in generate_samples(5, seed=11)]
    with _registry(tmp_path / "here") as here, _registry(tmp_path / "there") as there:
        failing = subs[1].record.igsn
        describe = derivation.describe

        def describe_but_one(record: Any, iris: Iris) -> Any:
            if record.igsn == failing:
                raise ValueError("a fault of the reader's derivation")
            return describe(record, iris)

        def no_validation(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("a fault of the reader's validator")

        monkeypatch.setattr(derivation, "describe", describe_but_one)
        derived = _derived(there, subs[:3])
        validator = Validator(there.iris)
        monkeypatch.setattr(Validator, "validate_many", no_validation)
        derived += _derived(there, subs[3:], validator=validator)
        monkeypatch.undo()
        assert [d.record is None for d in derived] == [False, True, False, False, False]
        assert [d.report is None for d in derived] == [False, True, False, True, True]
        assert _outcomes(there, derived) == _outcomes(here, subs)
        assert _stored(there) == _stored(here)


def _kernel_files(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, s in enumerate(generate_samples(n, seed=9)):
        path = folder / f"{i:05d}.xml"
        path.write_bytes(etree.tostring(description_kernel.write(s.record), encoding="utf-8", xml_declaration=True))
        paths.append(path)
    return paths


def test_several_reading_processes_hand_over_their_derivations_in_file_order(tmp_path: Path) -> None:
    files = _kernel_files(tmp_path / "in", 70)
    (tmp_path / "in" / "broken.xml").write_text("<resource", encoding="utf-8")
    files = files[:33] + [tmp_path / "in" / "broken.xml"] + files[33:]
    with _registry(tmp_path / "data") as registry:
        settings = DerivationSettings.of(registry)
        here = list(read_files(files, max_bytes=1 << 20))
        there = list(read_files(files, max_bytes=1 << 20, in_worker=True, derive=settings, readers=3))
    assert [p for p, _ in there] == [p for p, _ in here] == files
    assert there[33][1] == here[33][1] and isinstance(here[33][1], str)
    for (_, mine), (_, theirs) in zip(here, there, strict=True):
        if isinstance(mine, str):
            continue
        assert not isinstance(theirs, str)
        [sub] = mine.submissions
        [got] = theirs.submissions
        assert isinstance(sub, Submission) and isinstance(got, Derived)
        assert got.igsn == sub.record.igsn and got.source_record() == sub.record
        assert got.record is not None and got.report is not None and got.report.conforms
        assert got.document_z is not None and zlib.decompress(got.document_z) == sub.document


def test_the_writer_adds_the_facts_to_a_description_derived_as_text() -> None:
    iris = Iris("https://igsn.example.org/")
    choices = itertools.product(
        [None, "csiro.cap"],
        [None, "https://example.org/a?b=1", "not a url"],
        [None, "destroyed"],
        [None, "AU2", "bad name"],
        [None, "2024-01-02T03:04:05Z", "2024", "someday"],
        [None, '10.1/x"y'],
        ["AU", "bad namespace"],
    )
    for n, (client, url, lifecycle, replaced, registered, doi, ns) in enumerate(choices):
        facts = RegistryFacts(
            "AU9",
            "csiro",
            ns,
            "2024-01-02T03:04:05Z",
            client=client,
            landing_url=url,
            lifecycle=lifecycle,
            replaced_by=replaced,
            registered=registered,
            doi=doi,
            is_public=n % 2 == 0,
            active=n % 3 == 0,
            has_metadata=n % 5 == 0,
        )
        assert facts_ntriples(facts, iris) == ntriples(facts_triples(facts, iris)), facts
    for version, warnings in itertools.product((1, 2), ((), ('a "quoted"\nwarning', "x", "x"))):
        text = history.activity_ntriples(
            iris, "AU9", version, "2024-01-02T03:04:05Z", "harvested", iris.agent("a"), warnings=warnings
        )
        act, ver, sample = iris.activity(f"AU9/{version}"), iris.version("AU9", version), iris.sample("AU9")
        expected = {
            Triple(act, RDF_TYPE, PROV.Activity),
            Triple(act, RDF_TYPE, IG.RegistrationEvent),
            Triple(act, IG.changeType, Literal("harvested")),
            Triple(act, PROV.wasAssociatedWith, iris.agent("a")),
            Triple(act, PROV.endedAtTime, Literal("2024-01-02T03:04:05Z", datatype=XSD.dateTime)),
            Triple(act, PROV.generated, ver),
            Triple(act, IG.concerns, sample),
            Triple(ver, RDF_TYPE, PROV.Entity),
            Triple(ver, RDF_TYPE, IG.Version),
            Triple(ver, PROV.specializationOf, sample),
            Triple(ver, IG.versionNumber, Literal(str(version), datatype=XSD.integer)),
            Triple(ver, PROV.wasGeneratedBy, act),
        }
        if version > 1:
            expected.add(Triple(ver, PROV.wasRevisionOf, iris.version("AU9", 1)))
        expected |= {Triple(act, IG.inputWarning, Literal(w)) for w in warnings}
        # valid N-Triples (pyoxigraph reads it), exactly those triples, a repeated warning once
        read = [q.triple for q in parse(text, RdfFormat.N_TRIPLES)]
        assert set(read) == expected and len(read) == len(expected)
    # a description compressed where it was read, finished with the facts: one stream, as compressing both
    start = history.compress_start(b"<a> <b> <c> .\n" * 50)
    assert history.decompress(history.compress_rest(start, b"<d> <e> <f> .\n")) == b"<a> <b> <c> .\n" * 50 + (
        b"<d> <e> <f> .\n"
    )
    lines = NTriplesText('<https://x/a> <https://x/b> "c\\nd" .\n<https://x/a> <https://x/b> <https://x/e> .\n')
    assert len(lines) == 2 and [str(t.object) for t in lines] == ['"c\\nd"', "<https://x/e>"]
    assert ntriples(lines) == lines.text


def test_a_load_freezes_the_heap_it_found_and_gives_the_collector_back_as_it_was() -> None:
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    with fewer_collections(5000):
        assert gc.get_threshold()[0] == 5000 and gc.get_freeze_count() > frozen
    assert gc.get_threshold() == before
    # thawed when nothing was frozen before; what another froze (the test run's own heap) stays frozen
    assert gc.get_freeze_count() == frozen if not frozen else gc.get_freeze_count() >= frozen
