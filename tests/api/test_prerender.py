"""``igsn-graph prerender`` (``resolver.stored.fill``) keeps the very bytes the resolver renders on a miss: for
samples with agents, geometries and relations (to papers, data and other samples) and for real records of
../shared/examples; in batches, on several threads, each sample once. Real store, real app over HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pyoxigraph import NamedNode, Triple

from igsn_graph.index import catalogue
from igsn_graph.loader import RDF_SUFFIXES, read_input
from igsn_graph.record import Relation
from igsn_graph.registry.service import Registry, Submission
from igsn_graph.resolver.rendering import render_rdf
from igsn_graph.resolver.stored import PRERENDERED, StoredRepresentations, fill
from igsn_graph.settings import Settings
from igsn_graph.store.oxigraph import OxigraphStore
from testkit.examples_agent import add_examples_agent
from tests.conftest import SHARED, live_server
from tests.oai.samples import ONE, rich

#: real records of several kernels (CSIRO v3, ARDC, DataCite 4.7, IGSN descriptive with geometry, IGSN registration 1.1)
EXAMPLE_FILES = [
    "au-research-igsn-metadata-registry/src/main/resources/static/examples/sample_csiro_v3.xml",
    "au-research-igsn-metadata-registry/src/main/resources/static/examples/sample_ardc_v1.xml",
    "datacite-schema/kernel-4.7/datacite-example-ancientdates-v4.xml",
    "GeoscienceAustralia-samples-api/_tests/static_data/static_GetRecord_240_igsn.xml",
    "au-research-igsn-metadata-registry/src/test/resources/xml/sample_csirov3_batch.xml",
    "IGSN-metadata/registration/1.1/igsn.xml",
]


def _register(registry: Registry, *records: object) -> None:
    subs = [Submission(r, "igsn_desc", None, None) for r in records]  # type: ignore[arg-type]
    assert all(o.ok for o in registry.register(ONE, subs))


def _load_examples(registry: Registry) -> set[str]:
    """The example files' samples, registered by one agent owning their namespaces; the names loaded."""
    paths = [SHARED / "examples" / name for name in EXAMPLE_FILES]
    if not all(p.exists() for p in paths):
        pytest.skip("../shared/examples is absent in this checkout")
    read = [read_input(p.read_bytes(), RDF_SUFFIXES.get(p.suffix.lower())) for p in paths]
    names = {s.record.igsn for got in read for s in got.submissions}
    agent = add_examples_agent(registry, names)
    loaded = set()
    for got in read:
        for batch in registry.load_records(got.submissions, principal=agent):
            loaded |= {o.igsn for o in batch if o.ok}
    return loaded


def test_prerendered_bodies_are_the_bodies_served_on_a_miss(
    registry: Registry, settings: Settings, tmp_path: Path
) -> None:
    _register(
        registry,
        rich("ZTA401"),
        rich("ZTA402", relations=[Relation("ZTA401", "IGSN", "IsPartOf"), Relation("10.5072/P2", "DOI", "IsCitedBy")]),
    )
    examples = _load_examples(registry)
    assert len(examples) >= 3, examples
    rows = [r for r in catalogue.all_rows(registry.db.read()) if r.active]
    assert {"ZTA401", "ZTA402"} | examples <= {r.igsn for r in rows}
    kept_file = StoredRepresentations(tmp_path / "kept.sqlite")  # not the server's own file: it renders each
    try:
        assert fill(registry, kept_file, rows, batch=3, threads=2) == len(rows)
        kept = {
            (row.igsn, c.media_type): kept_file.get(
                (row.igsn, row.version, row.datestamp, c.profile.token, c.media_type, ())
            )
            for row in rows
            for c in PRERENDERED
        }
        for row in rows:
            graph = registry.iris.record_graph(row.igsn)
            for c in PRERENDERED:
                body = kept[row.igsn, c.media_type]
                assert body is not None
                # the bytes kept before the store read graphs by a query: its quads, in index order, serialised
                assert body.body == render_rdf(_quads_read(registry, graph), graph, c.media_type), row.igsn
    finally:
        kept_file.close()
    registry.close()
    with live_server(settings) as base, httpx.Client(base_url=base) as client:
        for (name, media_type), body in kept.items():
            served = client.get(f"/{name}", headers={"Accept": media_type})
            assert served.status_code == 200, (name, served.text)
            assert body is not None
            assert served.content == body.body and served.headers["content-type"] == body.content_type, name
    related = kept["ZTA402", "text/turtle"]
    assert related is not None and b"ZTA401" in related.body  # the relation to another sample is in the body


def test_fill_renders_each_sample_once_whatever_the_batches_and_threads(
    registry: Registry, settings: Settings, tmp_path: Path
) -> None:
    names = [f"ZTA41{i}" for i in range(7)]
    _register(registry, *(rich(n) for n in names))
    rows = [r for r in catalogue.all_rows(registry.db.read()) if r.igsn in names]
    one = StoredRepresentations(tmp_path / "one.sqlite")
    many = StoredRepresentations(tmp_path / "many.sqlite")
    try:
        assert fill(registry, one, rows, batch=1000, threads=1) == 7
        assert fill(registry, many, rows, batch=2, threads=3) == 7
        assert fill(registry, many, rows, batch=2, threads=3) == 0  # nothing left
        for row in rows:
            for c in PRERENDERED:
                key = (row.igsn, row.version, row.datestamp, c.profile.token, c.media_type, ())
                assert many.get(key) == one.get(key) is not None
        _register(registry, rich(names[3], name="Changed"))
        changed = [r for r in catalogue.all_rows(registry.db.read()) if r.igsn in names]
        assert many.lacking(changed, PRERENDERED) == {names[3]: list(PRERENDERED)}
        assert fill(registry, many, changed, batch=2, threads=3) == 1  # only the one with a new version
        assert many.lacking(changed, PRERENDERED) == {}
    finally:
        one.close()
        many.close()


def test_a_graph_is_read_as_its_quads_are_in_index_order(registry: Registry) -> None:
    _register(registry, rich("ZTA421"), rich("ZTA422", relations=[Relation("ZTA421", "IGSN", "IsPartOf")]))
    for name in ("ZTA421", "ZTA422"):
        for graph in (registry.iris.record_graph(name), registry.iris.provenance_graph(name)):
            triples = registry.store.graph(graph)
            assert triples and triples == _quads_read(registry, graph)
    assert registry.store.graph(registry.iris.record_graph("ZTA999")) == []


def _quads_read(registry: Registry, graph: NamedNode) -> list[Triple]:
    """The graph's triples as pyoxigraph's index gives them, one quad at a time (the embedded store's read)."""
    if not isinstance(registry.store, OxigraphStore):
        pytest.skip("the embedded store's own order")
    return [q.triple for q in registry.store.raw.quads_for_pattern(None, None, None, graph)]
