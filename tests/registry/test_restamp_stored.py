"""Kept bodies across a restamp (issue 23): a restamp gives new datestamps and nothing else, so the bodies kept in
``representations.sqlite`` that do not contain the datestamp (``stored.DATESTAMP_FREE``) stay valid and are served
as kept; those that contain it are rendered again. Real registry and store, real app over HTTP."""

from __future__ import annotations

import time

import httpx
import pytest

from igsn_graph.registry import restamp
from igsn_graph.registry.service import Registry, Submission
from igsn_graph.resolver import PROFILES, Choice, SampleView, render
from igsn_graph.resolver.profiles import available_profiles
from igsn_graph.resolver.rendering import Rendered
from igsn_graph.resolver.stored import DATESTAMP_FREE, FILE, StoredRepresentations
from igsn_graph.settings import Settings
from tests.conftest import live_server
from tests.oai.samples import ONE, rich

NAME = "ZTA401"
#: one representation kept across a restamp (the graph: it holds no datestamp), one keyed by the datestamp and
#: rendered again: asked for over HTTP
FREE = ("ig", "text/turtle")
STAMPED = ("datacite", "application/xml")


def _register(registry: Registry) -> None:
    assert all(o.ok for o in registry.register(ONE, [Submission(rich(NAME), "igsn_desc", None, None)]))


def _every_body(registry: Registry) -> dict[tuple[str, str], bytes]:
    """Every representation of the sample the resolver renders (landing page and parameters aside)."""
    row = registry.row(NAME)
    assert row is not None
    available = available_profiles(row)
    view = SampleView(registry, row)
    out = {}
    for token in available:
        for media_type in PROFILES[token].media_types:
            if token == "landing" or media_type == "text/html":
                continue  # pages name the datestamp ("Last changed") and are never kept on disk
            out[(token, media_type)] = render(
                view, Choice(PROFILES[token], media_type), f"https://registry.example.org/{NAME}", available
            ).body
    return out


def test_the_datestamp_free_profiles_are_those_whose_bodies_a_restamp_leaves_alone(registry: Registry) -> None:
    _register(registry)
    before = _every_body(registry)
    old = registry.row(NAME)
    time.sleep(1.1)  # datestamps have whole seconds: the new one must be visibly later
    assert restamp.restamp(registry, force=True) == 1
    new = registry.row(NAME)
    assert old is not None and new is not None and new.version == old.version and new.datestamp > old.datestamp
    after = _every_body(registry)
    assert after.keys() == before.keys()
    assert {token for token, _ in before} >= DATESTAMP_FREE
    for (token, media_type), body in after.items():
        if token in DATESTAMP_FREE:
            assert body == before[(token, media_type)], (token, media_type)
            assert new.datestamp.encode() not in body, (token, media_type)
    # schema.org names the datestamp (dateModified): its bodies change, so they are keyed by it; the graph does not
    assert new.datestamp.encode() in after[("sdo", "application/ld+json")] != before[("sdo", "application/ld+json")]
    assert "ig" in DATESTAMP_FREE and "sdo" not in DATESTAMP_FREE


def _get(client: httpx.Client, representation: tuple[str, str]) -> httpx.Response:
    profile, media_type = representation
    r = client.get(f"/{NAME}", params={"_profile": profile, "_mediatype": media_type})
    assert r.status_code == 200, (representation, r.text)
    return r


def _kept(settings: Settings, registry: Registry, representation: tuple[str, str]) -> bytes | None:
    row = registry.row(NAME)
    assert row is not None
    stored = StoredRepresentations(settings.data_dir / FILE, read_only=True)
    try:
        found = stored.get((NAME, row.version, row.datestamp, *representation, ()))
    finally:
        stored.close()
    return None if found is None else found.body


def test_a_restamp_keeps_the_bodies_that_do_not_change_and_replaces_those_that_do(
    settings: Settings, registry: Registry
) -> None:
    _register(registry)
    registry.close()
    with live_server(settings) as base, httpx.Client(base_url=base) as client:
        free, stamped = _get(client, FREE).content, _get(client, STAMPED).content
    with Registry(settings) as reg:
        assert _kept(settings, reg, FREE) == free and _kept(settings, reg, STAMPED) == stamped
        old = reg.row(NAME)
        time.sleep(1.1)
        assert restamp.restamp(reg, force=True) == 1
        new = reg.row(NAME)
        assert old is not None and new is not None and new.datestamp > old.datestamp
        # kept for the new datestamp: the same bytes; DataCite's is keyed by the datestamp: not kept for the new one
        assert _kept(settings, reg, FREE) == free
        assert _kept(settings, reg, STAMPED) is None
        # a marker in the kept body shows that the resolver serves it as kept, not rendered again
        marked = free + b"# kept\n"
        stored = StoredRepresentations(settings.data_dir / FILE)
        try:
            stored.put([((NAME, new.version, new.datestamp, *FREE, ()), Rendered(marked, "text/turtle"))])
        finally:
            stored.close()
    with live_server(settings) as base, httpx.Client(base_url=base) as client:
        assert _get(client, FREE).content == marked
        served = _get(client, STAMPED).content
        assert served == stamped  # rendered again: the same (the sample has a registration date to fall back to)
    with Registry(settings) as reg:
        assert _kept(settings, reg, STAMPED) == served  # rendered again and kept for the new datestamp


pytestmark = pytest.mark.both_stores
