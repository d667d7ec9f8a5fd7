"""Pages that show the registry at large — the home page, the pages of agents, clients and namespaces — carry
an ETag that changes when anything they show changes: another sample registered or renamed, an agent renamed.
Revalidation with the tag answers 304 while nothing changed (issue 17). The real app over HTTP; writes go
through the registry the app opened."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from igsn_graph.registry.service import Registry, Submission
from tests.conftest import AGENT, CLIENT_ONE, fresh_settings, live_server
from tests.oai.samples import ONE, rich

BROWSER = {"Accept": "text/html"}
#: every page whose validator is the registry's change state, as a browser and an RDF client ask for it
PAGES = [
    ("/", BROWSER),
    ("/", {"Accept": "text/turtle"}),
    (f"/agent/{AGENT[0]}", BROWSER),
    (f"/agent/{AGENT[0]}", {"Accept": "text/turtle"}),
    (f"/client/{CLIENT_ONE[0]}", BROWSER),
    ("/namespace/ZTA", BROWSER),
    ("/accounts", BROWSER),
]


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, Registry]]:
    settings = fresh_settings(tmp_path)
    app = create_app(settings)
    with live_server(settings, app=app) as url:
        registry: Registry = app.state.registry
        _write(registry, "ZTA301", "Core section ZTA301")
        yield url, registry


def _write(registry: Registry, igsn: str, name: str) -> None:
    outcomes = registry.register(ONE, [Submission(rich(igsn, name=name), "igsn_desc", None, None)])
    assert all(o.ok for o in outcomes), outcomes


def _get(base: str, path: str, headers: dict[str, str], tag: str | None = None) -> httpx.Response:
    return httpx.get(base + path, headers={**headers, **({"If-None-Match": tag} if tag else {})}, timeout=30)


def _tags(base: str) -> dict[tuple[str, str], str]:
    tags = {}
    for path, headers in PAGES:
        r = _get(base, path, headers)
        assert r.status_code == 200 and r.headers["etag"].startswith('"'), (path, r.status_code)
        tags[(path, headers["Accept"])] = r.headers["etag"]
        again = _get(base, path, headers, r.headers["etag"])
        assert again.status_code == 304 and again.headers["etag"] == r.headers["etag"], path
        assert not again.content
        head = httpx.head(base + path, headers=headers, timeout=30)
        assert head.headers["etag"] == r.headers["etag"], path
    return tags


def test_representations_of_a_page_have_their_own_tags(live: tuple[str, Registry]) -> None:
    tags = _tags(live[0])
    assert tags[("/", "text/html")] != tags[("/", "text/turtle")]
    agent = f"/agent/{AGENT[0]}"
    assert tags[(agent, "text/html")] != tags[(agent, "text/turtle")]
    assert len(set(tags.values())) == len(tags)


def test_another_samples_change_changes_every_such_page(live: tuple[str, Registry]) -> None:
    base, registry = live
    before = _tags(base)
    _write(registry, "ZTA301", "Granite block")  # a sample those pages list, renamed
    for path, headers in PAGES:
        r = _get(base, path, headers, before[(path, headers["Accept"])])
        assert r.status_code == 200 and r.headers["etag"] != before[(path, headers["Accept"])], path
        if path != "/accounts" and "html" in headers["Accept"]:
            assert "Granite block" in r.text, path  # what changed is shown, not a stale copy
    middle = _tags(base)
    _write(registry, "ZTA302", "Basalt chip")  # a new sample
    r = _get(base, "/", BROWSER, middle[("/", "text/html")])
    assert r.status_code == 200 and "Basalt chip" in r.text


def test_an_account_change_changes_the_pages_that_name_it(live: tuple[str, Registry]) -> None:
    base, registry = live
    before = _tags(base)
    registry.update_agent(AGENT[0], name="Renamed Agent")
    for path in (f"/agent/{AGENT[0]}", "/accounts", f"/client/{CLIENT_ONE[0]}"):
        r = _get(base, path, BROWSER, before[(path, "text/html")])
        assert r.status_code == 200 and "Renamed Agent" in r.text, path
