"""store.oxigraph: atomic, idempotent graph replacement; one opener per folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Triple

from igsn_graph.errors import StoreBusy
from igsn_graph.store.base import GraphWrite
from igsn_graph.store.oxigraph import BULK_QUADS, OxigraphStore

G = NamedNode("https://igsn.org/graph/A")
P = NamedNode("https://igsn.org/provenance/A")
S = NamedNode("https://igsn.org/A")


def t(p: str, o: str) -> Triple:
    return Triple(S, NamedNode("https://example.org/" + p), Literal(o))


def test_replace_is_idempotent_and_additions_accumulate(tmp_path: Path) -> None:
    store = OxigraphStore(tmp_path / "g")
    store.apply(GraphWrite(replace={G: [t("a", "1"), t("b", "2")]}, add={P: [t("x", "1")]}, new_graphs={G}))
    write = GraphWrite(replace={G: [t("a", "3")]}, add={P: [t("x", "2")]})
    store.apply(write)
    store.apply(write)  # replayed after a crash: same state
    assert store.graph(G) == [t("a", "3")]
    assert sorted(str(x) for x in store.graph(P)) == sorted(str(x) for x in [t("x", "1"), t("x", "2")])
    assert list(store.graphs_with_prefix("https://igsn.org/graph/")) == [G]
    store.apply(GraphWrite(replace={G: None}))
    assert store.graph(G) == [] and not store.has_graph(G)
    store.close()


def test_bulk_path_for_big_new_batches(tmp_path: Path) -> None:
    store = OxigraphStore(tmp_path / "g")
    graphs = {
        NamedNode(f"https://igsn.org/graph/S{i}"): [t(f"p{j}", str(i)) for j in range(10)]
        for i in range(BULK_QUADS // 10 + 1)
    }
    store.apply(GraphWrite(replace=dict(graphs), new_graphs=set(graphs)))
    assert len(list(store.graphs_with_prefix("https://igsn.org/graph/"))) == len(graphs)
    store.close()


def test_literals_come_back_canonical(tmp_path: Path) -> None:
    store = OxigraphStore(None)
    dec = NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
    store.apply(GraphWrite(replace={G: [Triple(S, S, Literal("1.50", datatype=dec))]}))
    assert store.graph(G)[0].object == Literal("1.5", datatype=dec)  # why verify canonicalises history


def test_a_second_opener_is_refused_clearly(tmp_path: Path) -> None:
    first = OxigraphStore(tmp_path / "g")
    with pytest.raises(StoreBusy, match="in use"):
        OxigraphStore(tmp_path / "g")
    first.close()
    OxigraphStore(tmp_path / "g").close()


def test_a_closed_store_reopens_at_once_though_garbage_still_refers_to_it(tmp_path: Path) -> None:
    """A reference cycle holding the store (as a stored exception's traceback does) keeps RocksDB's lock until
    collected: close collects then, and only then, so this process and another can open the folder at once."""
    store = OxigraphStore(tmp_path / "g")
    store.apply(GraphWrite(replace={G: [t("a", "1")]}, new_graphs={G}))
    cycle: list[object] = [store.raw]
    cycle.append(cycle)
    del cycle
    store.close()
    other = subprocess.run(
        [sys.executable, "-c", "import sys, pyoxigraph; pyoxigraph.Store(sys.argv[1])", str(tmp_path / "g")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert other.returncode == 0, other.stderr
    again = OxigraphStore(tmp_path / "g")
    assert again.graph(G) == [t("a", "1")]
    again.close()


def test_the_bulk_path_writes_exactly_the_triples_given_as_text(tmp_path: Path) -> None:
    """Big new batches are bulk-loaded from N-Quads text made from the N-Triples the journal keeps: literals
    that look like line ends, quotes, line breaks, language tags, datatypes and blank nodes come back as given."""
    from pyoxigraph import BlankNode

    from igsn_graph.formats.rdf import ntriples

    tricky = [
        Literal('ends like a line .\n<https://x.org/a> <https://x.org/b> "c" .'),
        Literal('tab\tand "quotes" and \\ backslash . '),
        Literal("déjà vu", language="fr"),
        Literal("2024-01-02", datatype=NamedNode("http://www.w3.org/2001/XMLSchema#date")),
        Literal("line\r\nbreaks\u2028and U+2028"),
    ]
    blank = BlankNode()
    graphs: dict[NamedNode, list[Triple]] = {}
    for i in range(BULK_QUADS // 7 + 1):
        s = NamedNode(f"https://igsn.org/S{i}")
        graphs[NamedNode(f"https://igsn.org/graph/S{i}")] = [
            Triple(s, NamedNode(f"https://example.org/p{j}"), o) for j, o in enumerate(tricky)
        ] + [
            Triple(s, NamedNode("https://example.org/node"), blank),
            Triple(blank, NamedNode("https://example.org/v"), s),
        ]
    write = GraphWrite(replace=dict(graphs), new_graphs=set(graphs), text={g: ntriples(ts) for g, ts in graphs.items()})
    assert write.size() >= BULK_QUADS
    store = OxigraphStore(tmp_path / "g")
    store.apply(write)
    for g, triples in list(graphs.items())[:: len(graphs) // 5]:
        got = store.graph(g)
        assert sorted(
            str(x) for x in got if not isinstance(x.subject, BlankNode) and not isinstance(x.object, BlankNode)
        ) == sorted(str(x) for x in triples[: len(tricky)])
        assert len(got) == len(triples)
    # one blank node across the graphs stays one node (as the Quad objects would write it)
    assert (
        len({q.object for q in store.raw.quads_for_pattern(None, NamedNode("https://example.org/node"), None, None)})
        == 1
    )
    store.close()
