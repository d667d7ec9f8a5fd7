"""The resolver's fast path (``api.routers.resolver.FastPath``) answers exactly as the full stack does, only for
what it may answer, and the representations kept on disk (``representations.sqlite``) are served only for the
version and datestamp they were rendered from. Real app under uvicorn, real store, over HTTP."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from api.app import create_app
from api.routers.resolver import FastPath
from igsn_graph.cli import main as cli_main
from igsn_graph.index import catalogue
from igsn_graph.registry.service import Registry, Submission
from igsn_graph.resolver import PROFILES, Choice, SampleView, render
from igsn_graph.resolver.stored import FILE, PRERENDERED, StoredRepresentations, fill
from igsn_graph.settings import Settings
from tests.conftest import CLIENT_ONE, live_server
from tests.oai.samples import ONE, rich

NAME = "ZTA301"
RDF = ["text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml", "application/n-quads"]
#: set by the server, not by the app
_TRANSPORT = {"date", "server"}


def _fast_path(app: object) -> FastPath:
    """The resolver's fast path among the app's outer layers (inside the request count, ``api.activity``)."""
    layer = app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(layer, FastPath):
        layer = layer.app
    return layer


def _headers(r: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in r.headers.items() if k not in _TRANSPORT}


def _register(registry: Registry, igsn: str = NAME, **changes: object) -> None:
    assert all(o.ok for o in registry.register(ONE, [Submission(rich(igsn, **changes), "igsn_desc", None, None)]))


def test_the_fast_path_answers_as_the_full_stack(registry: Registry, settings: Settings) -> None:
    _register(registry)
    registry.close()
    app = create_app(settings)
    with live_server(settings, app=app) as base, httpx.Client(base_url=base) as client:
        for media_type in RDF:
            accept = {"Accept": media_type}
            # a query sends the request through the full stack (which renders and keeps the body)
            full = client.get(f"/{NAME}", params={"_profile": "ig"}, headers=accept)
            before = _fast_path(app).answered
            fast = client.get(f"/{NAME}", headers=accept)
            assert _fast_path(app).answered == before + 1, media_type
            assert fast.status_code == full.status_code == 200
            assert fast.content == full.content and _headers(fast) == _headers(full), media_type

            full_head = client.head(f"/{NAME}", params={"_profile": "ig"}, headers=accept)
            fast_head = client.head(f"/{NAME}", headers=accept)
            assert fast_head.content == full_head.content == b""
            assert _headers(fast_head) == _headers(full_head) == _headers(full)

            tag = {**accept, "If-None-Match": full.headers["etag"]}
            full_304 = client.get(f"/{NAME}", params={"_profile": "ig"}, headers=tag)
            fast_304 = client.get(f"/{NAME}", headers=tag)
            assert fast_304.status_code == full_304.status_code == 304
            assert _headers(fast_304) == _headers(full_304)
            assert _fast_path(app).answered == before + 3, media_type


def test_what_the_fast_path_leaves_to_the_full_stack(registry: Registry, settings: Settings) -> None:
    _register(registry)
    registry.close()
    app = create_app(settings)
    with live_server(settings, app=app) as base, httpx.Client(base_url=base) as client:
        assert client.get(f"/{NAME}", headers={"Accept": "text/turtle"}).status_code == 200  # rendered, kept
        answered = _fast_path(app).answered
        others = [
            client.get(f"/{NAME}", headers={"Accept": "text/html"}),  # the landing page
            client.get(
                f"/{NAME}", headers={"Accept": "application/ld+json", "Accept-Profile": "<https://schema.org/>"}
            ),
            client.get(f"/{NAME.lower()}", headers={"Accept": "text/turtle"}),  # another form: redirected
            client.get("/ZTA999", headers={"Accept": "text/turtle"}),  # unknown
            client.get(f"/{NAME}", headers={"Accept": "image/png"}),  # 406
        ]
        assert [r.status_code for r in others] == [200, 200, 301, 404, 406]
        assert others[0].headers["content-type"].startswith("text/html")  # our landing page, with its CSP
        assert "content-security-policy" in others[0].headers
        with_credentials = client.get(f"/{NAME}", headers={"Accept": "text/turtle"}, auth=CLIENT_ONE)
        assert with_credentials.status_code == 200
        assert with_credentials.headers["cache-control"] == "no-store"  # what SecurityHeaders adds
        assert _fast_path(app).answered == answered


def test_kept_bodies_outlive_the_app_and_never_a_version(registry: Registry, settings: Settings) -> None:
    _register(registry)
    registry.close()
    accept = {"Accept": "text/turtle"}
    with live_server(settings) as base:
        first = httpx.get(f"{base}/{NAME}", headers=accept)
    assert (settings.data_dir / FILE).exists()
    app = create_app(settings)
    with live_server(settings, app=app) as base, httpx.Client(base_url=base) as client:
        again = client.get(f"/{NAME}", headers=accept)  # a new process: from disk, by the fast path
        assert _fast_path(app).answered == 1
        assert again.content == first.content and _headers(again) == _headers(first)
        written = client.post(
            "/metadata",
            content=(
                f'<resource xmlns="http://schema.igsn.org/description/1.1" type="Sample">'
                f'<identifier type="IGSN">{NAME}</identifier><name>Basalt renamed</name></resource>'
            ).encode(),
            headers={"Content-Type": "application/xml;charset=UTF-8"},
            auth=CLIENT_ONE,
        )
        assert written.status_code in (200, 201), written.text
        after = client.get(f"/{NAME}", headers=accept)
        assert b"Basalt renamed" in after.content and after.headers["etag"] != first.headers["etag"]


def test_prerender_stores_what_the_resolver_would_render(registry: Registry, settings: Settings) -> None:
    _register(registry)
    _register(registry, "ZTA302")
    path = settings.data_dir / FILE
    stored = StoredRepresentations(path)
    try:
        rows = list(catalogue.all_rows(registry.db.read()))
        assert fill(registry, stored, rows) == 2
        assert fill(registry, stored, rows) == 0  # nothing left to render
        for row in rows:
            for choice in PRERENDERED:
                key = (row.igsn, row.version, row.datestamp, choice.profile.token, choice.media_type, ())
                kept = stored.get(key)
                assert kept is not None
                assert kept == render(SampleView(registry, row), choice, "", list(PROFILES))
                # another version is a miss, never the old body; another datestamp is not (the graph holds none)
                assert stored.get((row.igsn, row.version + 1, *key[2:])) is None  # type: ignore[arg-type]
                assert stored.get((row.igsn, row.version, "2001-01-01T00:00:00Z", *key[3:])) == kept  # type: ignore[arg-type]
        _register(registry, "ZTA302", name="Changed")
        changed = registry.row("ZTA302")
        assert changed is not None
        assert stored.missing([changed], Choice(PROFILES["ig"], "text/turtle")) == [changed]
    finally:
        stored.close()


def test_the_prerender_command(registry: Registry, settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    _register(registry)
    registry.close()
    assert cli_main(["prerender", "--data", str(settings.data_dir)]) == 0
    assert "of 1 samples" in capsys.readouterr().out
    stored = StoredRepresentations(settings.data_dir / FILE)
    try:
        with Registry(settings) as reg:
            row = reg.row(NAME)
        assert row is not None
        assert stored.missing([row], PRERENDERED[0]) == [] and stored.missing([row], PRERENDERED[1]) == []
        assert stored.missing([replace(row, version=row.version + 1)], PRERENDERED[0]) != []
    finally:
        stored.close()


def test_only_representations_without_parameters_go_to_disk(registry: Registry, settings: Settings) -> None:
    # a client chooses parameters freely (citation style and locale): on disk they would grow without bound
    _register(registry)
    registry.close()
    with live_server(settings) as base, httpx.Client(base_url=base) as client:
        for style in ("apa", "made-up-style-1", "made-up-style-2"):
            cited = client.get(f"/{NAME}", params={"_mediatype": f"text/x-bibliography; style={style}"})
            assert cited.status_code == 200
        assert client.get(f"/{NAME}", headers={"Accept": "text/turtle"}).status_code == 200
    stored = StoredRepresentations(settings.data_dir / FILE, read_only=True)
    try:
        rows = stored._conn().execute("SELECT media_type, params FROM representation").fetchall()
    finally:
        stored.close()
    assert [tuple(r) for r in rows] == [("text/turtle", "")]
