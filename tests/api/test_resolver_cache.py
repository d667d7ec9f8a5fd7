"""The resolver's fast paths never change what is served: rendered bodies are kept per catalogue version (a
write is read back at once), pages that list other samples are never kept, and the shortcut past the
router only takes paths no fixed route can have."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from api.app import create_app
from api.routers.resolver import _SAMPLE_PATH
from igsn_graph import resolver
from igsn_graph.registry.service import Registry, Submission
from igsn_graph.resolver import rendering
from igsn_graph.settings import Settings
from tests.conftest import CLIENT_ONE
from tests.oai.samples import ONE, rich

PARENT, CHILD = "ZTA201", "ZTA202"
XML = {"Content-Type": "application/xml;charset=UTF-8"}
#: representations kept by version, and a word of the sample's name as each writes it
KEPT = [
    ({"Accept": "text/turtle"}, {}),
    ({"Accept": "application/ld+json"}, {}),
    ({"Accept": "application/n-quads"}, {}),
    ({}, {"_profile": "igsn_desc"}),
    ({"Accept": "application/vnd.datacite.datacite+json"}, {}),
    ({"Accept": "application/x-bibtex"}, {}),
]


def description(igsn: str, name: str) -> bytes:
    return (
        f'<resource xmlns="http://schema.igsn.org/description/1.1" type="Sample">'
        f'<identifier type="IGSN">{igsn}</identifier><name>{name}</name></resource>'
    ).encode()


@pytest.fixture
def client(registry: Registry, settings: Settings) -> Iterator[TestClient]:
    registry.close()  # the app opens the store itself (one process, one opener)
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.mark.both_stores
def test_a_write_is_served_at_once(client: TestClient) -> None:
    assert (
        client.post("/metadata", content=description("ZTA101", "Granite one"), headers=XML, auth=CLIENT_ONE).status_code
        == 201
    )
    before: dict[int, tuple[bytes, str]] = {}
    for i, (headers, params) in enumerate(KEPT):
        first = client.get("/ZTA101", headers=headers, params=params)
        again = client.get("/ZTA101", headers=headers, params=params)  # from the cache
        assert first.status_code == again.status_code == 200, first.text
        assert b"Granite one" in first.content and first.content == again.content
        assert first.headers["etag"] == again.headers["etag"]
        before[i] = (first.content, first.headers["etag"])

    assert client.post(
        "/metadata", content=description("ZTA101", "Basalt two"), headers=XML, auth=CLIENT_ONE
    ).status_code in (200, 201)
    for i, (headers, params) in enumerate(KEPT):
        r = client.get("/ZTA101", headers={**headers, "If-None-Match": before[i][1]}, params=params)
        assert r.status_code == 200, (headers, params)  # the old tag no longer matches
        assert b"Basalt two" in r.content and b"Granite one" not in r.content, (headers, params)
        assert r.headers["etag"] != before[i][1]
        head = client.head("/ZTA101", headers=headers, params=params)
        assert head.headers["etag"] == r.headers["etag"]
        assert head.headers["content-length"] == str(len(r.content))


@pytest.mark.both_stores
def test_pages_listing_children_show_a_new_child(client: TestClient) -> None:
    registry: Registry = client.app.state.registry  # type: ignore[attr-defined]
    assert all(o.ok for o in registry.register(ONE, [Submission(rich(PARENT), "igsn_desc", None, None)]))
    landing = {"_profile": "landing"}
    sdo = {"_profile": "sdo"}
    before = {name: client.get("/" + PARENT, params=params) for name, params in (("landing", landing), ("sdo", sdo))}
    assert CHILD not in before["landing"].text
    assert "hasPart" not in before["sdo"].json()
    for r in before.values():  # revalidation works while nothing changed
        again = client.get(
            "/" + PARENT,
            params=landing if r is before["landing"] else sdo,
            headers={"If-None-Match": r.headers["etag"]},
        )
        assert again.status_code == 304 and again.headers["etag"] == r.headers["etag"]
    # the child names the parent: the parent's version does not change, its pages do
    assert all(
        o.ok for o in registry.register(ONE, [Submission(rich(CHILD, parents=[PARENT]), "igsn_desc", None, None)])
    )
    page = client.get("/" + PARENT, params=landing, headers={"If-None-Match": before["landing"].headers["etag"]})
    assert page.status_code == 200 and "/" + CHILD in page.text  # no stale 304 for a page that changed
    doc = client.get("/" + PARENT, params=sdo, headers={"If-None-Match": before["sdo"].headers["etag"]})
    assert doc.status_code == 200 and doc.json()["hasPart"] == [{"@id": "https://igsn.org/" + CHILD}]


@pytest.mark.both_stores
def test_an_unknown_sample_path_answers_in_the_apps_error_form(client: TestClient) -> None:
    # the shortcut leaves a 404 to the full stack: the same JSON body as any unknown path
    r = client.get("/ZTA999", headers={"Accept": "text/turtle"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/json")
    assert "ZTA999" in json.dumps(r.json())
    assert r.headers["x-content-type-options"] == "nosniff"  # inside SecurityHeaders


@pytest.mark.both_stores
def test_the_store_writes_a_graph_as_serialising_its_triples_would(registry: Registry) -> None:
    """The resolver lets the store write the graph syntaxes: the bytes must not change."""
    assert all(o.ok for o in registry.register(ONE, [Submission(rich(PARENT), "igsn_desc", None, None)]))
    graph = registry.iris.record_graph(PARENT)
    for media_type, fmt in resolver.RDF_FORMATS.items():
        if media_type in ("application/n-quads", "application/trig"):
            continue  # dataset syntaxes: written from the triples, in their named graph
        expected = resolver.render_rdf(registry.store.graph(graph), graph, media_type)
        assert registry.store.serialize_graph(graph, fmt, rendering._prefixes(fmt)) == expected, media_type
    assert (
        registry.store.serialize_graph(registry.iris.record_graph("ZTA999"), resolver.RDF_FORMATS["text/turtle"])
        is None
    )


def test_no_fixed_route_has_a_sample_path(settings: Settings) -> None:
    """The shortcut takes a path whose first segment has no lower-case letter: no other route may have one."""
    app = create_app(settings)
    paths = {rc.path for rc in iter_route_contexts(app.routes)} - {"/{identifier:path}"}
    assert {"/health", "/oai", "/sparql", "/igsn/{igsn:path}", "/api/v1/samples"} <= paths
    for path in paths:
        assert not _SAMPLE_PATH.match(path), path
        assert path == "/" or path.strip("/").split("/")[0] in resolver.RESERVED, path  # "/": the home page
    for sample in ("/ZTA001", "/10273/ZTA001", "/IGSN:ZTA001", "/ZTA001/"):
        assert _SAMPLE_PATH.match(sample), sample
    for other in ("/", "/zta001", "/health", "/api/v1/search", "/Docs"):
        assert not _SAMPLE_PATH.match(other), other


def _rendered(size: int) -> resolver.Rendered:
    return resolver.Rendered(b"x" * size, "text/turtle")


def test_render_cache_is_bounded_and_least_recently_used_first() -> None:
    cache = resolver.RenderCache(max_bytes=1600)
    for n in range(16):
        cache.put(("S", n, "D", "ig", "text/turtle", ()), _rendered(100))
    assert len(cache) == 16
    assert cache.get(("S", 0, "D", "ig", "text/turtle", ())) is not None  # now the most recently used
    cache.put(("S", 16, "D", "ig", "text/turtle", ()), _rendered(100))
    assert cache.get(("S", 1, "D", "ig", "text/turtle", ())) is None  # the least recently used went
    assert cache.get(("S", 0, "D", "ig", "text/turtle", ())) is not None
    cache.put(("BIG", 1, "D", "ig", "text/turtle", ()), _rendered(1000))  # over a sixteenth: never kept
    assert cache.get(("BIG", 1, "D", "ig", "text/turtle", ())) is None and len(cache) == 16


def test_what_is_kept_depends_on_the_samples_own_version_and_datestamp_only() -> None:
    # the datestamp where the body may contain it: a restamp changes it without a new version; the graph holds
    # none (the datestamp is the catalogue's), so its bodies are kept across a restamp
    row = type("Row", (), {"igsn": "S", "version": 3, "datestamp": "2026-01-02T03:04:05Z"})()
    choice = lambda token, mt: resolver.Choice(resolver.PROFILES[token], mt)
    assert resolver.RenderCache.key(row, choice("ig", "text/turtle")) == ("S", 3, "", "ig", "text/turtle", ())  # type: ignore[arg-type]
    assert resolver.RenderCache.key(row, choice("datacite", "application/xml")) == (  # type: ignore[arg-type]
        "S",
        3,
        "2026-01-02T03:04:05Z",
        "datacite",
        "application/xml",
        (),
    )
    assert resolver.RenderCache.key(row, choice("alt", "text/html")) is not None  # type: ignore[arg-type]
    # schema.org and the landing page list children: rendered every time
    assert resolver.RenderCache.key(row, choice("sdo", "application/ld+json")) is None  # type: ignore[arg-type]
    assert resolver.RenderCache.key(row, choice("landing", "text/html")) is None  # type: ignore[arg-type]
    assert resolver.RenderCache.key(row, choice("ig", "text/html")) is None  # type: ignore[arg-type]


def test_each_app_owns_its_cache(registry: Registry, settings: Settings) -> None:
    # bodies carry URLs of one deployment: a cache belongs to the app that rendered them, not to the module
    assert all(o.ok for o in registry.register(ONE, [Submission(rich(PARENT), "igsn_desc", None, None)]))
    registry.close()
    with TestClient(create_app(settings)) as first:
        assert first.get(f"/{PARENT}", headers={"Accept": "text/turtle"}).status_code == 200
        assert len(first.app.state.render_cache) == 1  # type: ignore[attr-defined]
    with TestClient(create_app(settings)) as second:
        assert len(second.app.state.render_cache) == 0  # type: ignore[attr-defined]
        assert second.get(f"/{PARENT}", headers={"Accept": "text/turtle"}).status_code == 200
