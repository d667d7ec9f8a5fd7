"""Quadratic input (issue 21, availability): reading a multi-sample RDF document is linear in its size.

The attack: a 0.9 MB Turtle bulk document, 300 samples and 30,000 blank-node triples no sample reaches, cost
73 s of CPU, because every sample was read together with every triple about no sample. Work is counted (the
triples handed to the record reader), not timed; the end-to-end bulk request has one generous time bound.
``bench/rdf_input.py`` prints the time per triple at 1, 10 and 100 thousand blank nodes."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from igsn_graph.errors import InvalidInput
from igsn_graph.formats import graph as graphmap
from igsn_graph.formats import rdf
from igsn_graph.formats.rdf import read_rdf
from testkit.rdf_input import document
from tests.conftest import CLIENT_ONE, fresh_settings

TURTLE = {"Content-Type": "text/turtle"}


@pytest.fixture
def read_triples(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many triples each record read was handed (the per-sample work of ``read_rdf``)."""
    counts: list[int] = []
    real = graphmap.record_from_triples

    def counting(triples: Iterable[Any], *args: Any, **kwargs: Any) -> Any:
        listed = list(triples)
        counts.append(len(listed))
        return real(listed, *args, **kwargs)

    monkeypatch.setattr(rdf.graphmap, "record_from_triples", counting)
    return counts


def _attack(samples: int = 300, blanks: int = 30_000) -> bytes:
    """The attack's document, in ZTA (the test client's namespace)."""
    return document("stray", samples, blanks).replace(b"ZTB", b"ZTA")


def test_triples_no_sample_reaches_are_read_once_not_once_per_sample(read_triples: list[int]) -> None:
    data = _attack()
    assert len(data) < 2 * 1024 * 1024
    records = read_rdf(data, "text/turtle")
    assert len(records) == 300 and len(read_triples) == 300
    assert sum(read_triples) <= 300 * 2, sum(read_triples)  # 9 million before
    # still reported, once per record and bounded
    warnings = records[0].warnings
    assert warnings[0].startswith("not mapped: _:") and warnings[-1] == "not mapped: and 29980 more triples"
    assert len(warnings) == rdf.MAX_LISTED + 1 and records[-1].warnings == warnings


@pytest.mark.parametrize("shape", ["owned", "fan"])
def test_blank_nodes_below_samples_are_read_by_their_sample_only(read_triples: list[int], shape: str) -> None:
    records = read_rdf(document(shape, 300, 30_000), "text/turtle")
    assert len(records) == 300
    assert sum(read_triples) <= 2 * 30_000 + 300 * 4, sum(read_triples)  # a fan node is two triples


def test_a_node_every_sample_links_to_is_read_for_each_of_them() -> None:
    """A shared description (an agent written once, named by every sample) is part of every record."""
    lines = [
        f'<https://igsn.org/ZTA{s:04d}> <https://w3id.org/igsn-graph/ontology#igsn> "ZTA{s:04d}" ; '
        f"<https://w3id.org/igsn-graph/ontology#registrant> <https://ror.org/03qn8fb07> .\n"
        for s in range(50)
    ]
    lines.append('<https://ror.org/03qn8fb07> <https://schema.org/name> "Bench Institute" .\n')
    records = read_rdf("".join(lines).encode(), "text/turtle")
    assert [r.registrant.name if r.registrant else None for r in records] == ["Bench Institute"] * 50
    assert not any(w for r in records for w in r.warnings if "Bench Institute" in w)


def test_a_huge_node_every_sample_links_to_is_refused_not_read_again_and_again(read_triples: list[int]) -> None:
    data = document("shared", 300, 30_000)
    with pytest.raises(InvalidInput) as info:
        read_rdf(data, "text/turtle")
    assert "<https://example.org/agent>" in info.value.message
    assert sum(read_triples) <= 5 * 30_600 + 10_000  # it stopped once over its budget


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(create_app(fresh_settings(tmp_path_factory.mktemp("quadratic")))) as client:
        yield client


def test_the_attack_through_the_bulk_api_in_test_mode(app: TestClient) -> None:
    start = time.process_time()
    r = app.post("/api/v1/samples/bulk?testMode=true", content=_attack(), headers=TURTLE, auth=CLIENT_ONE)
    cpu = time.process_time() - start
    assert r.status_code == 200, r.text[:300]
    assert len(r.json()["results"]) == 300
    assert cpu < 30, cpu  # generous: it took 73 s before; a few seconds now
