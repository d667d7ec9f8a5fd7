"""The DOI model (igsn_graph/dois) on a real registry, without HTTP: the written forms of a DOI, a draft's way to
findable and what the rules refuse (the JSON:API answers: tests/api/test_dois*.py)."""

from __future__ import annotations

import pytest

from igsn_graph.dois import DraftsOnly, Unprocessable, doi_form, parse_doi, resources, writes
from igsn_graph.errors import InvalidInput
from igsn_graph.registry.accounts import Principal
from igsn_graph.registry.service import Registry
from tests.conftest import AGENT, CLIENT_ONE

ONE = Principal("client", CLIENT_ONE[0], AGENT[0])
DESCRIBED = {
    "titles": [{"title": "A core"}],
    "creators": [{"name": "Doe, Jane"}],
    "publisher": "Example",
    "publicationYear": 2024,
    "types": {"resourceTypeGeneral": "PhysicalObject"},
}


def test_a_doi_is_read_under_a_registered_prefix_or_as_a_handle_and_written_as_registered(registry: Registry) -> None:
    assert parse_doi(registry, "10.99990/zta0001").name == "ZTA0001"
    assert parse_doi(registry, "10273/ZTA0001").name == "ZTA0001"
    with pytest.raises(InvalidInput, match="malformed DOI"):
        parse_doi(registry, "ZTA0001")
    registry.mint(ONE, "10.99990/ZTA0002", "https://example.org/2")
    assert doi_form(registry, "ZTA0002") == "10.99990/ZTA0002"


def test_a_draft_is_described_then_published_and_only_a_draft_is_deleted(registry: Registry) -> None:
    name = writes.create(registry, ONE, {"doi": "10.99990/ZTA0010", "url": "https://example.org/10"})
    assert resources.resource(registry, name)["attributes"]["state"] == "draft"
    with pytest.raises(Unprocessable, match="already been taken") as taken:
        writes.create(registry, ONE, {"doi": "10.99990/ZTA0010"})
    assert taken.value.data["pointer"] == "/data/attributes/doi"
    with pytest.raises(Unprocessable, match="needs its metadata to publish"):
        writes.put(registry, ONE, "10.99990/ZTA0010", {"event": "publish"})
    assert writes.put(registry, ONE, "10.99990/ZTA0010", {**DESCRIBED, "event": "publish"}) == name
    shown = resources.shown(registry, None, "10.99990/ZTA0010")  # findable: anyone sees it
    assert shown["attributes"]["state"] == "findable" and shown["id"] == "10.99990/zta0010"
    with pytest.raises(DraftsOnly):
        writes.delete(registry, ONE, "10.99990/ZTA0010")
    writes.create(registry, ONE, {"doi": "10.99990/ZTA0011"})
    writes.delete(registry, ONE, "10.99990/ZTA0011")
    assert [a["attributes"]["event"] for a in resources.activities(registry, ONE, "10.99990/ZTA0010")] == ["published"]
