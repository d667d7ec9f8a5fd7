"""The family on a landing page (issue 17): ancestors up to the root, siblings, paged children, collections and
members, with names and types from the search rows; private samples never shown. Core (``family.family``) over a
real registry, then the landing pages through the real app over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from lxml import html

from api.app import create_app
from igsn_graph.family import PAGE, Family, family
from igsn_graph.record import SampleRecord
from igsn_graph.registry.accounts import ADMIN
from igsn_graph.registry.service import Registry, Submission, init_data_dir
from igsn_graph.settings import Settings
from tests.conftest import add_test_accounts, fresh_settings, live_server

CORE = "http://vocabulary.odm2.org/specimentype/core/"
BROWSER = {"Accept": "text/html"}


def _records() -> list[SampleRecord]:
    records = [
        SampleRecord("ZTA-FROOT", name="Borehole 7", resource_types=[CORE]),
        SampleRecord("ZTA-FP", name="Core section 3", parents=["ZTA-FROOT"]),
        SampleRecord("ZTA-FME", name="Split half A", parents=["ZTA-FP"], collections=["ZTA-FCOLL"]),
        SampleRecord("ZTA-FSIB1", name="Split half B", parents=["ZTA-FP"]),
        SampleRecord("ZTA-FSIB2", name="Split half C", parents=["ZTA-FP"]),
        SampleRecord("ZTA-FHIDDEN", name="secret sibling", parents=["ZTA-FP"], is_public=False),
        SampleRecord("ZTA-FCOLL", name="Cruise collection", kind="Collection"),
        SampleRecord("ZTA-FSECRET", name="secret parent", is_public=False),
        SampleRecord("ZTA-FORPHAN", name="Orphan", parents=["ZTA-FSECRET"]),
    ]
    records += [SampleRecord(f"ZTA-FC{i:02}", name=f"Chip {i}", parents=["ZTA-FME"]) for i in range(PAGE + 1)]
    return records


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(data_dir=tmp_path_factory.mktemp("family") / "data")
    init_data_dir(settings)
    registry = Registry(settings)
    try:
        add_test_accounts(registry)
        outcomes = registry.register(ADMIN, [Submission(r, "test") for r in _records()])
        assert all(o.ok for o in outcomes), [o for o in outcomes if not o.ok]
    finally:
        registry.close()
    return settings


@pytest.fixture(scope="module")
def base(settings: Settings) -> Iterator[str]:
    with live_server(settings) as url:
        yield url


def _family(settings: Settings, name: str) -> Family:
    registry = Registry(settings)
    try:
        return family(registry.db.read(), name)
    finally:
        registry.close()


def _page(base: str, name: str) -> html.HtmlElement:
    r = httpx.get(f"{base}/{name}", headers=BROWSER, timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), r.status_code
    return html.fromstring(r.content)


def test_family_reads_the_chain_siblings_and_pages_children(settings: Settings) -> None:
    fam = _family(settings, "ZTA-FME")
    assert [[r.igsn for r in g] for g in fam.lineage] == [["ZTA-FROOT"], ["ZTA-FP"]]  # the root first
    root = fam.lineage[0][0]
    assert root.name == "Borehole 7" and root.types == ("Core",)  # the code-list label, from the search rows
    assert [r.igsn for r in fam.siblings] == ["ZTA-FSIB1", "ZTA-FSIB2"]  # the private sibling is left out
    assert len(fam.children) == PAGE and fam.more_children
    assert fam.children[0].name == "Chip 0"
    assert [r.igsn for r in fam.collections] == ["ZTA-FCOLL"]
    assert [r.igsn for r in _family(settings, "ZTA-FCOLL").members] == ["ZTA-FME"]
    assert not _family(settings, "ZTA-FORPHAN")  # its only parent is private: no family at all


def test_landing_page_shows_the_family_as_a_tree(base: str) -> None:
    doc = _page(base, "ZTA-FME")
    tree = doc.xpath("//section[h2='Family']/ul[@class='family']")[0]
    # root > parent > (this sample, its siblings): nested lists, each relative linked to its page
    root_item = tree.xpath("./li")[0]
    assert root_item.xpath("./a/@href") == ["/ZTA-FROOT"] and root_item.xpath("./a/text()") == ["Borehole 7"]
    assert "Core" in root_item.xpath("./span[@class='meta']/text()")[0]
    parent_item = root_item.xpath("./ul/li")[0]
    assert parent_item.xpath("./a/@href") == ["/ZTA-FP"]
    generation = parent_item.xpath("./ul/li")
    assert generation[0].xpath("./strong[@aria-current='page']/text()") == ["Split half A"]
    assert [li.xpath("./a/@href")[0] for li in generation[1:]] == ["/ZTA-FSIB1", "/ZTA-FSIB2"]
    # the children under this sample: the first PAGE, then a link to all of them
    children = generation[0].xpath("./ul/li")
    assert len(children) == PAGE + 1 and children[0].xpath("./a/@href") == ["/ZTA-FC00"]
    assert children[-1].xpath("./a/@href") == ["/api/v1/samples/ZTA-FME/descendants?depth=1"]
    assert doc.xpath("//section[h2='Family']//h3[.='Part of the collections']/following-sibling::ul[1]//a/@href") == [
        "/ZTA-FCOLL"
    ]
    assert b"ZTA-FHIDDEN" not in html.tostring(doc) and b"secret" not in html.tostring(doc)


def test_the_paging_link_answers_with_the_rest(base: str) -> None:
    r = httpx.get(f"{base}/api/v1/samples/ZTA-FME/descendants", params={"depth": 1, "limit": 200}, timeout=30)
    assert r.status_code == 200 and len(r.json()["items"]) == PAGE + 1


def test_collection_page_lists_its_members(base: str) -> None:
    doc = _page(base, "ZTA-FCOLL")
    members = doc.xpath("//section[h2='Family']/h3[.='Members of this collection']/following-sibling::ul[1]/li")
    assert [li.xpath("./a/@href")[0] for li in members] == ["/ZTA-FME"]


def test_private_relatives_are_never_shown(base: str) -> None:
    doc = _page(base, "ZTA-FORPHAN")
    assert not doc.xpath("//section[h2='Family']")
    shown = doc.xpath("string(//main)")  # what a reader sees (the JSON-LD block repeats the record as written)
    assert "ZTA-FSECRET" not in shown and "secret parent" not in shown


# --- the landing page's cache validator names what its family shows ------------------------------------------


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, Registry]]:
    """A live server over a family of its own (the tests below change it); writes go through its registry."""
    settings = fresh_settings(tmp_path)
    app = create_app(settings)
    with live_server(settings, app=app) as url:
        registry = app.state.registry
        _write(registry, SampleRecord("ZTA-EROOT", name="Borehole 9"))
        _write(registry, SampleRecord("ZTA-EP", name="Core 1", parents=["ZTA-EROOT"]))
        _write(registry, SampleRecord("ZTA-EME", name="Half A", parents=["ZTA-EP"]))
        _write(registry, SampleRecord("ZTA-ESIB", name="Half B", parents=["ZTA-EP"]))
        _write(registry, SampleRecord("ZTA-EKID", name="Chip 1", parents=["ZTA-EME"]))
        yield url, registry


def _write(registry: Registry, record: SampleRecord) -> None:
    outcomes = registry.register(ADMIN, [Submission(record, "test")])
    assert all(o.ok for o in outcomes), outcomes


def _validators(base: str, name: str) -> tuple[str, str]:
    r = httpx.get(f"{base}/{name}", headers=BROWSER, timeout=30)
    assert r.status_code == 200, r.status_code
    return r.headers["etag"], r.headers["last-modified"]


@pytest.mark.parametrize(
    ("changed", "record"),
    [
        ("child", SampleRecord("ZTA-EKID", name="Chip 1, polished", parents=["ZTA-EME"])),
        ("sibling", SampleRecord("ZTA-ESIB", name="Half B, dated", parents=["ZTA-EP"])),
        ("parent", SampleRecord("ZTA-EP", name="Core 1, logged", parents=["ZTA-EROOT"])),
        ("root", SampleRecord("ZTA-EROOT", name="Borehole 9, deepened")),
        ("new sibling", SampleRecord("ZTA-ENEW", name="Half C", parents=["ZTA-EP"])),
        ("sibling made private", SampleRecord("ZTA-ESIB", name="Half B", parents=["ZTA-EP"], is_public=False)),
    ],
)
def test_a_relatives_change_changes_the_landing_pages_validator(
    live: tuple[str, Registry], changed: str, record: SampleRecord
) -> None:
    base, registry = live
    tag, _ = _validators(base, "ZTA-EME")
    unchanged = httpx.get(f"{base}/ZTA-EME", headers={**BROWSER, "If-None-Match": tag}, timeout=30)
    assert unchanged.status_code == 304  # revalidation works while nothing it shows changed
    version = registry.row("ZTA-EME").version  # type: ignore[union-attr]
    _write(registry, record)
    assert registry.row("ZTA-EME").version == version  # type: ignore[union-attr]  # its own version stays
    r = httpx.get(f"{base}/ZTA-EME", headers={**BROWSER, "If-None-Match": tag}, timeout=30)
    assert r.status_code == 200 and r.headers["etag"] != tag, changed  # no stale 304 for a page that changed
    shown = r.text
    if record.is_public:
        assert record.name in shown
    else:
        assert "ZTA-ESIB" not in html.fromstring(r.content).xpath("string(//section[h2='Family'])")
    again = httpx.get(f"{base}/ZTA-EME", headers={**BROWSER, "If-None-Match": r.headers["etag"]}, timeout=30)
    assert again.status_code == 304


def test_an_unrelated_change_keeps_the_validator(live: tuple[str, Registry]) -> None:
    base, registry = live
    before = _validators(base, "ZTA-EME")
    _write(registry, SampleRecord("ZTA-EOTHER", name="Elsewhere"))
    assert _validators(base, "ZTA-EME") == before


def test_children_are_read_in_one_place(tmp_path: Path) -> None:
    """The family section, the resolver's projections (schema.org hasPart) and ``relations.children`` read the
    same children: the findable samples naming the sample as parent (the private one is in none)."""
    from igsn_graph import relations
    from igsn_graph.resolver.reads import related

    settings = Settings(data_dir=tmp_path / "data")
    init_data_dir(settings)
    registry = Registry(settings)
    try:
        add_test_accounts(registry)
        records = [
            SampleRecord("ZTA-KP", name="Parent", kind="Collection"),
            SampleRecord("ZTA-KB", name="Child B", parents=["ZTA-KP"]),
            SampleRecord("ZTA-KA", name="Child A", parents=["ZTA-KP"], collections=["ZTA-KP"]),
            SampleRecord("ZTA-KH", name="Hidden child", parents=["ZTA-KP"], is_public=False),
        ]
        assert all(o.ok for o in registry.register(ADMIN, [Submission(r, "test") for r in records]))
        children = relations.children(registry.db, "ZTA-KP")
        assert children == ["ZTA-KA", "ZTA-KB"]
        assert list(related(registry, "ZTA-KP").children) == children
        assert [r.igsn for r in family(registry.db.read(), "ZTA-KP").children] == children
        assert list(related(registry, "ZTA-KP").members) == ["ZTA-KA"]
        assert relations.children(registry.db, "ZTA-KP", limit=1) == ["ZTA-KA"]
    finally:
        registry.close()
