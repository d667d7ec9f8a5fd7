"""A draft (reserved IGSN) resolves for its owner only (issue 19): the owning client, its agent and the administrator
get its partial description in every representation it can be written in (406 for the others), never kept by any
cache; everyone else, wrong credentials included, gets exactly the answer of an unknown name."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from igsn_graph.resolver import PROFILES, RenderCache, negotiate
from igsn_graph.resolver.stored import FILE as STORED_FILE
from tests.conftest import ADMIN_PASSWORD, AGENT, CLIENT_ONE, CLIENT_TWO, OTHER, fresh_settings

JSONAPI = {"Content-Type": "application/vnd.api+json"}
DESCRIBED, RESERVED, UNKNOWN = "ZTA0101", "ZTA0102", "ZTA0999"
WORD = "DRAFTWORDCORE"
OWNERS = {"client": CLIENT_ONE, "agent": AGENT, "admin": ("admin", ADMIN_PASSWORD)}
OTHERS = {"anonymous": None, "sibling-client": CLIENT_TWO, "other-agent": OTHER, "wrong-password": ("ZTEST.ONE", "x")}
#: every representation the resolver offers, as the alternates in ``Link`` name them
CELLS = [(token, media_type) for token, profile in PROFILES.items() for media_type in profile.offered]


def _draft(c: TestClient, name: str, attributes: dict[str, object]) -> None:
    body = {"data": {"attributes": {"doi": f"10.99990/{name}", **attributes}}}
    r = c.post("/dois", json=body, headers=JSONAPI, auth=CLIENT_ONE)
    assert r.status_code == 201, r.text
    assert r.json()["data"]["attributes"]["state"] == "draft"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    # the wrong-password cases fail many logins: throttling (which answers 404 here too) must not reach the owners
    many = {"login_failures_burst": 1000, "login_address_burst": 1000, "login_global_burst": 1000}
    with TestClient(create_app(fresh_settings(tmp_path_factory.mktemp("drafts"), **many))) as c:
        _draft(
            c,
            DESCRIBED,
            {
                "url": "https://example.org/described",
                "titles": [{"title": f"Core {WORD}"}],
                "creators": [{"name": "Doe, Jane"}],
                "publisher": "P",
                "publicationYear": 2024,
                "types": {"resourceTypeGeneral": "PhysicalObject", "resourceType": "Core"},
            },
        )
        _draft(c, RESERVED, {})  # a reservation: the name, nothing described yet
        yield c


def _get(c: TestClient, path: str, auth: tuple[str, str] | None, **headers: str) -> httpx.Response:
    return c.get(path, headers=headers, auth=auth, follow_redirects=False)


@pytest.mark.parametrize("owner", list(OWNERS))
@pytest.mark.parametrize("accept", ["application/ld+json", "text/turtle", "text/html"])
def test_a_draft_resolves_for_its_owner(client: TestClient, owner: str, accept: str) -> None:
    r = _get(client, f"/{DESCRIBED}", OWNERS[owner], Accept=accept)
    assert r.status_code == 200, r.text
    assert WORD in r.text
    assert r.headers["content-type"].startswith(accept)
    assert r.headers["cache-control"] == "private, no-store"
    assert "Authorization" in r.headers["vary"]
    assert 'rel="profile"' in r.headers["link"]
    if accept == "text/html":
        assert "draft" in r.text  # its status, on its page


@pytest.mark.parametrize(("token", "media_type"), CELLS, ids=[f"{t}-{m}" for t, m in CELLS])
def test_every_representation_of_a_draft_or_a_clear_406(client: TestClient, token: str, media_type: str) -> None:
    """Each representation is served from the partial description, or refused with 406 and the alternates; none
    is kept in the shared render cache or in representations.sqlite."""
    query = {"_profile": token, "_mediatype": media_type}
    for name in (DESCRIBED, RESERVED):
        r = client.get(f"/{name}", params=query, auth=CLIENT_ONE)
        assert r.status_code in (200, 406), (name, r.status_code, r.text)
        assert r.headers["cache-control"] == "private, no-store"
        if r.status_code == 406:
            assert 'rel="alternate"' in r.headers["link"]
            continue
        assert r.headers["content-type"].split(";")[0] == media_type
        assert r.content
        if name == DESCRIBED and token in ("ig", "datacite", "oai_dc", "citation", "landing"):
            assert WORD in r.text
    # the record profiles need a description: a reservation has none, so it is refused in them
    if token in ("igsn", "igsn_desc", "oai_dc", "datacite", "citation") and media_type not in PROFILES["ig"].offered:
        assert client.get(f"/{RESERVED}", params=query, auth=CLIENT_ONE).status_code == 406
    # nothing of a draft is kept: the key its answer would have, and the disk file, hold nothing
    cache: RenderCache = client.app.state.render_cache  # type: ignore[attr-defined]
    available = [t for t in PROFILES if t != "prov"]
    choice = negotiate(profile_arg=token, mediatype_arg=media_type, available=available)
    for name in (DESCRIBED, RESERVED):
        draft = client.get(f"/dois/10.99990/{name}", auth=CLIENT_ONE).json()["data"]["attributes"]
        assert cache.get((name, 0, draft["updated"], choice.profile.token, choice.media_type, ())) is None
    stored = client.app.state.registry.settings.data_dir / STORED_FILE  # type: ignore[attr-defined]
    if stored.exists():
        with sqlite3.connect(stored) as conn:
            kept = conn.execute("SELECT count(*) FROM representation WHERE igsn IN (?, ?)", (DESCRIBED, RESERVED))
            assert kept.fetchone()[0] == 0


def test_a_reservation_resolves_to_its_name_alone(client: TestClient) -> None:
    r = client.get(f"/{RESERVED}", headers={"Accept": "application/n-triples"}, auth=CLIENT_ONE)
    assert r.status_code == 200, r.text
    assert f"/{RESERVED}>" in r.text
    # the XML kernels need a description
    r = client.get(f"/{RESERVED}", params={"_profile": "igsn"}, headers={"Accept": "application/xml"}, auth=AGENT)
    assert r.status_code == 406
    assert r.headers["cache-control"] == "private, no-store"


def _same_as_unknown(client: TestClient, auth: tuple[str, str] | None, path: str, **headers: str) -> None:
    asked = _get(client, path.format(DESCRIBED), auth, **headers)
    unknown = _get(client, path.format(UNKNOWN), auth, **headers)
    assert asked.status_code == unknown.status_code == 404
    assert asked.content == unknown.content.replace(UNKNOWN.encode(), DESCRIBED.encode())
    drop = {"date", "content-length"}  # content-length: the names are as long, but say so without relying on it
    assert {k: v for k, v in asked.headers.items() if k not in drop} == {
        k: v for k, v in unknown.headers.items() if k not in drop
    }


@pytest.mark.parametrize("caller", list(OTHERS))
@pytest.mark.parametrize("accept", ["application/ld+json", "text/html", "text/turtle"])
def test_anyone_else_gets_the_answer_of_an_unknown_name(client: TestClient, caller: str, accept: str) -> None:
    _same_as_unknown(client, OTHERS[caller], "/{}", Accept=accept)
    _same_as_unknown(client, OTHERS[caller], "/{}?_profile=alt", Accept=accept)
    _same_as_unknown(client, OTHERS[caller], "/10.99990/{}", Accept=accept)  # another form of the name


def test_the_owner_is_sent_to_the_canonical_url_privately(client: TestClient) -> None:
    r = _get(client, f"/10.99990/{DESCRIBED}", CLIENT_ONE, Accept="text/turtle")
    assert r.status_code == 301
    assert r.headers["location"].endswith(f"/{DESCRIBED}")
    assert r.headers["cache-control"] == "private, no-store"


def test_head_of_a_draft(client: TestClient) -> None:
    r = client.head(f"/{DESCRIBED}", headers={"Accept": "text/turtle"}, auth=CLIENT_ONE)
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["cache-control"] == "private, no-store"
    assert client.head(f"/{DESCRIBED}", headers={"Accept": "text/turtle"}).status_code == 404


def test_a_published_draft_resolves_for_everyone_and_is_kept_again(client: TestClient) -> None:
    name = "ZTA0103"
    _draft(client, name, {"url": "https://example.org/3"})
    assert client.get(f"/{name}", headers={"Accept": "text/turtle"}).status_code == 404
    assert client.get(f"/{name}", headers={"Accept": "text/turtle"}, auth=CLIENT_ONE).status_code == 200
    body = {
        "data": {
            "attributes": {
                "event": "publish",
                "titles": [{"title": "Published core"}],
                "creators": [{"name": "Doe, Jane"}],
                "publisher": "P",
                "publicationYear": 2024,
                "types": {"resourceTypeGeneral": "PhysicalObject", "resourceType": "Core"},
            }
        }
    }
    r = client.put(f"/dois/10.99990/{name}", json=body, headers=JSONAPI, auth=CLIENT_ONE)
    assert r.status_code == 200, r.text
    r = client.get(f"/{name}", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert "private" not in r.headers.get("cache-control", "")


def test_throttled_credentials_get_the_answer_of_an_unknown_name(tmp_path_factory: pytest.TempPathFactory) -> None:
    """No 429 from the resolver either: a throttled login is no login, and says nothing of the name."""
    settings = fresh_settings(tmp_path_factory.mktemp("drafts-throttled"), login_failures_burst=1)
    with TestClient(create_app(settings)) as c:
        _draft(c, DESCRIBED, {"url": "https://example.org/described"})
        for _ in range(3):
            assert _get(c, f"/{DESCRIBED}", (AGENT[0], "wrong"), Accept="text/turtle").status_code == 404
        # the owning agent's own password while its account is throttled (not checked, so not a login)
        _same_as_unknown(c, AGENT, "/{}", Accept="text/turtle")
        assert c.get("/api/v1/samples/" + DESCRIBED, auth=AGENT).status_code == 429  # where logins are answered
