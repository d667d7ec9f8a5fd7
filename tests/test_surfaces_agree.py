"""The same graph through every door (issue 13, "Evidence"): the files of ../shared/examples (and of
tests/fixtures, for the formats the examples lack) loaded through ``igsn-graph load``, ``POST
/api/v1/samples/bulk`` and MDS ``POST /metadata`` into three fresh registries with the same accounts give the
same samples, record graphs, relation edges, history and warnings.

Each door is used as a provider would: the CLI is given the folder (``--client``: as the administrator it
could not register the examples' test-namespace records, which need an account), bulk gets each file as it is
(its media type from the file name, as the CLI reads it), and MDS — one record per request, XML only — gets
each XML file whole, or, when it holds several records or an OAI-PMH envelope, each record's own document as
the readers cut it (``XmlDocument.documents``: what every door keeps as the submitted document).

What is normalised, and why:

* ``ig:datestamp`` and ``ig:registered``: the registry's clock at the write, which differs between doors by
  design; every other triple, registry facts included (agent, client, namespace, status, visibility), must
  be equal, since the three registries hold the same accounts and every door writes as the same client.
* Blank-node labels in warnings (``not mapped: _:ab12… <p> …`` from RDF input): a parser's labels are new at
  every parse.

Where the doors legitimately differ:

* MDS takes XML only: the JSON and Turtle files are not sent there (their samples are compared between the
  CLI and bulk only).
* A record MDS received cut out of a batch or an OAI-PMH response is warned about with paths in the
  document MDS was sent, not in the file (and without the OAI header's ``not mapped`` warnings, as the
  header was not sent): those records' warnings are compared between the CLI and bulk only.
* Not exercised here: MDS keeps a landing URL set by ``/igsn`` before the metadata; none is set here.
"""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pyoxigraph import Literal, Triple

from api.app import create_app
from igsn_graph import cli
from igsn_graph.errors import IgsnGraphError
from igsn_graph.formats.kernels import read_xml
from igsn_graph.formats.rdf import parse_ntriples
from igsn_graph.loader import RDF_SUFFIXES, XML_SUFFIXES, iter_files, read_input
from igsn_graph.registry.service import Registry, init_data_dir
from igsn_graph.settings import Settings
from igsn_graph.store import history
from igsn_graph.vocab import IG
from tests.conftest import SHARED

EXAMPLES = SHARED / "examples"
#: the project's own fixtures: formats the examples lack (CSIRO v2 batches, description kernel 1.1)
FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: one agent whose client owns every namespace and DOI prefix the examples use; every door writes as the client
AGENT, CLIENT, PASSWORD = "ZEXAMPLE", "ZEXAMPLE.LOAD", "examples-load-1"
DOI_PREFIXES = ["10.58052", "10.5072"]
#: the registry's clock at the write, different at each door by design
WRITE_TIME = {IG.datestamp, IG.registered}
_STAMP = Literal("(write time)")
_BLANK_LABEL = re.compile(r"_:[A-Za-z0-9]+")


@dataclass
class Door:
    """What one door left in its registry, normalised for comparison."""

    #: sample → its current record graph (description and registry facts), write times normalised
    graphs: dict[str, frozenset[Triple]] = field(default_factory=dict)
    #: every row of relation_edge (igsn_graph.relations' store): source, kind, relation, target type, target, visible
    edges: set[tuple[object, ...]] = field(default_factory=set)
    #: sample → (event, submitted format, submitted document) of each version, oldest first
    history: dict[str, list[tuple[str, str | None, bytes | None]]] = field(default_factory=dict)
    #: sample → the warnings kept with each version (PROV ig:inputWarning), oldest first
    warnings: dict[str, list[frozenset[str]]] = field(default_factory=dict)
    #: HTTP statuses answered (empty for the CLI)
    statuses: list[int] = field(default_factory=list)


@dataclass
class Surfaces:
    root: Path
    cli: Door
    bulk: Door
    mds: Door
    #: samples only in files MDS does not take (JSON, Turtle)
    not_for_mds: set[str]
    #: samples MDS received cut out of a batch or an OAI-PMH response
    cut_for_mds: set[str]
    #: the CLI's exit code and what it printed
    cli_exit: int
    cli_output: str


def _files(root: Path) -> list[Path]:
    """The files ``igsn-graph load <root>`` takes, in its order."""
    return list(iter_files([root]))


def _names(files: list[Path]) -> set[str]:
    names: set[str] = set()
    for path in files:
        with contextlib.suppress(IgsnGraphError):
            got = read_input(path.read_bytes(), RDF_SUFFIXES.get(path.suffix.lower()))
            names |= {s.record.igsn for s in got.submissions}
    return names


def _registry(tmp: Path, names: set[str]) -> Settings:
    """A fresh data folder with the same accounts at every door."""
    settings = Settings(data_dir=tmp / "data")
    init_data_dir(settings, repository_id="test.igsn-graph.org")
    namespaces = sorted({n[:2] for n in names if not n.startswith("TEST")})  # TEST is every account's
    with Registry(settings) as registry:
        registry.add_agent(
            AGENT, name="Examples", password="examples-agent-1", namespaces=namespaces, doi_prefixes=DOI_PREFIXES
        )
        registry.add_client(
            CLIENT, name="Examples loader", password=PASSWORD, namespaces=namespaces, doi_prefixes=DOI_PREFIXES
        )
    return settings


def _normalised(triples: list[Triple]) -> frozenset[Triple]:
    return frozenset(Triple(t.subject, t.predicate, _STAMP) if t.predicate in WRITE_TIME else t for t in triples)


def _door(settings: Settings, statuses: list[int] | None = None) -> Door:
    door = Door(statuses=statuses or [])
    with Registry(settings) as registry:
        conn = registry.db.read()
        names = [r[0] for r in conn.execute("SELECT igsn FROM catalogue ORDER BY igsn")]
        for name in names:
            versions = history.versions_of(conn, name)
            door.graphs[name] = _normalised(parse_ntriples(versions[-1].graph_ntriples))
            door.history[name] = [(v.event, v.format, v.document) for v in versions]
            said: dict[str, set[str]] = {}
            for t in registry.store.graph(registry.iris.provenance_graph(name)):
                if t.predicate == IG.inputWarning:
                    said.setdefault(t.subject.value, set()).add(_BLANK_LABEL.sub("_:b", t.object.value))
            door.warnings[name] = [
                frozenset(said.get(registry.iris.activity(f"{name}/{v.version}").value, ())) for v in versions
            ]
        door.edges = {tuple(r) for r in conn.execute("SELECT * FROM relation_edge")}
    return door


def _through_cli(settings: Settings, root: Path) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = cli.main(["load", "--data", str(settings.data_dir), "--client", CLIENT, str(root)])
    return code, out.getvalue()


def _media_type(path: Path) -> str:
    return RDF_SUFFIXES.get(path.suffix.lower(), "application/xml")


def _through_bulk(settings: Settings, files: list[Path]) -> list[int]:
    statuses = []
    with TestClient(create_app(settings)) as api:
        for path in files:
            r = api.post(
                "/api/v1/samples/bulk",
                content=path.read_bytes(),
                headers={"Content-Type": _media_type(path)},
                auth=(CLIENT, PASSWORD),
            )
            statuses.append(r.status_code)
    return statuses


def _mds_documents(data: bytes) -> tuple[list[bytes], bool]:
    """The documents MDS is sent for one XML file, and whether they were cut out of it: each record's own
    document when the file holds several or an OAI-PMH envelope, else the file (also one no reader takes:
    MDS is to refuse it too)."""
    try:
        doc = read_xml(data)
    except IgsnGraphError:
        return [data], False
    if doc.envelope is None and len(doc.records) <= 1:
        return [data], False
    return doc.documents(), True


def _through_mds(settings: Settings, files: list[Path]) -> tuple[list[int], set[str]]:
    statuses, cut = [], set()
    with TestClient(create_app(settings)) as api:
        for path in files:
            if path.suffix.lower() not in XML_SUFFIXES:
                continue  # MDS /metadata takes XML kernel documents only
            documents, was_cut = _mds_documents(path.read_bytes())
            for document in documents:
                r = api.post(
                    "/metadata", content=document, headers={"Content-Type": "application/xml"}, auth=(CLIENT, PASSWORD)
                )
                statuses.append(r.status_code)
                if was_cut and r.status_code == 201:
                    cut.add(read_xml(document).records[0].igsn)
    return statuses, cut


@pytest.fixture(scope="module", params=[EXAMPLES, FIXTURES], ids=["examples", "fixtures"])
def surfaces(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Surfaces:
    root: Path = request.param
    if not root.is_dir():
        pytest.skip(f"{root} is absent in this checkout")
    files = _files(root)
    names = _names(files)
    cli_settings, bulk_settings, mds_settings = (
        _registry(tmp_path_factory.mktemp(k), names) for k in ("cli", "bulk", "mds")
    )
    code, output = _through_cli(cli_settings, root)
    bulk_statuses = _through_bulk(bulk_settings, files)
    mds_statuses, cut = _through_mds(mds_settings, files)
    xml_names = _names([p for p in files if p.suffix.lower() in XML_SUFFIXES])
    return Surfaces(
        root=root,
        cli=_door(cli_settings),
        bulk=_door(bulk_settings, bulk_statuses),
        mds=_door(mds_settings, mds_statuses),
        not_for_mds=names - xml_names,
        cut_for_mds=cut,
        cli_exit=code,
        cli_output=output,
    )


def _mds_share(door: Door, surfaces: Surfaces) -> set[str]:
    return set(door.graphs) - surfaces.not_for_mds


def test_the_inputs_hold_every_case_the_doors_must_agree_on(surfaces: Surfaces) -> None:
    """Samples MDS does not take, samples MDS gets cut out of a batch or an OAI-PMH response, samples sent whole;
    relations, warnings, and (in the examples) a sample two files describe."""
    stored = set(surfaces.cli.graphs)
    assert surfaces.cut_for_mds and stored - surfaces.not_for_mds - surfaces.cut_for_mds
    assert surfaces.cli.edges
    assert any(w for versions in surfaces.cli.warnings.values() for w in versions)
    if surfaces.root == EXAMPLES:
        assert surfaces.not_for_mds
        assert any(len(v) > 1 for v in surfaces.cli.history.values())


def test_no_door_fails_on_any_file(surfaces: Surfaces) -> None:
    assert "Traceback" not in surfaces.cli_output and surfaces.cli_exit in (0, 3), surfaces.cli_output[-2000:]
    assert all(s < 500 for s in surfaces.bulk.statuses + surfaces.mds.statuses)


def test_every_door_stores_the_same_samples(surfaces: Surfaces) -> None:
    stored = set(surfaces.cli.graphs)
    assert stored, "nothing of ../shared/examples was stored: " + surfaces.cli_output[-2000:]
    assert set(surfaces.bulk.graphs) == stored
    assert set(surfaces.mds.graphs) == stored - surfaces.not_for_mds


def test_each_sample_has_the_same_record_graph(surfaces: Surfaces) -> None:
    """Description and registry facts alike; on a difference, the triples only the CLI has, then the door's."""
    cli_graphs = surfaces.cli.graphs
    for door, names in ((surfaces.bulk, set(cli_graphs)), (surfaces.mds, _mds_share(surfaces.cli, surfaces))):
        differ = {
            n: (sorted(map(str, cli_graphs[n] - door.graphs[n])), sorted(map(str, door.graphs[n] - cli_graphs[n])))
            for n in sorted(names)
            if door.graphs[n] != cli_graphs[n]
        }
        assert not differ


def test_the_relation_edges_are_the_same(surfaces: Surfaces) -> None:
    assert surfaces.bulk.edges == surfaces.cli.edges
    mds_share = _mds_share(surfaces.cli, surfaces)
    assert surfaces.mds.edges == {e for e in surfaces.cli.edges if e[0] in mds_share}


def _documents(door: Door, names: set[str] | None = None) -> dict[str, list[tuple[str | None, bytes | None]]]:
    return {
        n: [(fmt, document) for _, fmt, document in v] for n, v in door.history.items() if names is None or n in names
    }


def _events(door: Door, names: set[str] | None = None) -> dict[str, list[str]]:
    return {n: [event for event, _, _ in v] for n, v in door.history.items() if names is None or n in names}


def test_the_history_keeps_the_same_versions_and_documents(surfaces: Surfaces) -> None:
    """A sample written twice (two files name it) has two versions at every door, each with the document sent."""
    assert _documents(surfaces.bulk) == _documents(surfaces.cli)
    assert _documents(surfaces.mds) == _documents(surfaces.cli, _mds_share(surfaces.cli, surfaces))


def test_the_history_names_the_same_events_through_bulk_and_mds(surfaces: Surfaces) -> None:
    assert _events(surfaces.mds) == _events(surfaces.bulk, _mds_share(surfaces.bulk, surfaces))


def test_the_history_names_the_same_events_through_the_cli(surfaces: Surfaces) -> None:
    """A sample two files describe in one load gets metadata-registered then metadata-updated, as through
    separate requests."""
    assert _events(surfaces.cli) == _events(surfaces.bulk)


def test_the_history_keeps_the_same_warnings(surfaces: Surfaces) -> None:
    assert surfaces.bulk.warnings == surfaces.cli.warnings
    whole = _mds_share(surfaces.cli, surfaces) - surfaces.cut_for_mds
    assert {n: surfaces.mds.warnings[n] for n in whole} == {n: surfaces.cli.warnings[n] for n in whole}


_FIRST = (
    b'<resources xmlns="https://igsn.csiro.au/schemas/3.0"><resource registeredObjectType='
    b'"http://pid.geoscience.gov.au/def/voc/igsn-codelists/PhysicalSample"><resourceIdentifier>ZZTWICE1'
    b"</resourceIdentifier><landingPage>https://example.org/ZZTWICE1</landingPage><isPublic>true</isPublic>"
    b"<resourceTitle>Core ZZTWICE1</resourceTitle></resource></resources>"
)
_SECOND = (
    b'<sample xmlns="http://igsn.org/schema/kernel-v.1.0"><sampleNumber identifierType="igsn">ZZTWICE1'
    b"</sampleNumber><registrant><registrantName>Jane Doe</registrantName></registrant></sample>"
)


def test_a_sample_described_by_two_files_keeps_the_first_files_landing_page(tmp_path: Path) -> None:
    """A CSIRO v3 file gives the landing page, a later registration-kernel file (which has no place for one)
    describes the same sample: every door keeps the landing page, as MDS keeps one set by /igsn."""
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "1.xml").write_bytes(_FIRST)
    (folder / "2.xml").write_bytes(_SECOND)
    cli_settings, bulk_settings = (_registry(tmp_path / k, {"ZZTWICE1"}) for k in ("cli", "bulk"))
    _through_cli(cli_settings, folder)
    _through_bulk(bulk_settings, _files(folder))
    landing = {}
    for door, settings in (("cli", cli_settings), ("bulk", bulk_settings)):
        with Registry(settings) as registry:
            facts = registry.facts("ZZTWICE1")
            landing[door] = facts.landing_url if facts is not None else None
    assert landing == {"cli": "https://example.org/ZZTWICE1", "bulk": "https://example.org/ZZTWICE1"}
