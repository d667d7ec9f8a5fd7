"""Leaks and surprises (issue 21): a refusal never names what the caller cannot see, OAI-PMH shows no account
name, ``testMode`` has one rule everywhere, authenticated answers are not cached, and the page policy allows
only the inline scripts we wrote.

The attacks: a parent-cycle refusal named another party's private parent link ("AA1X001 → BB1PRIV2 →
AA1X001"); Identify's ``adminEmail`` was the administrator's login name at the repository id; MDS
``?testMode=yes`` and ``?testmode=true`` wrote for real; MDS and admin answers carried no ``Cache-Control``;
the CSP hashed every inline script of a page as served, so an injected one would have been allowed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from api.app import create_app
from api.security import SecurityHeaders, inline_script_hashes
from igsn_graph.cli import main
from igsn_graph.registry.service import init_data_dir
from igsn_graph.settings import Settings
from tests.api.test_samples import NON_PUBLIC, TURTLE, turtle
from tests.conftest import ADMIN_PASSWORD, CLIENT_ONE, OTHER, fresh_settings

API = "/api/v1/samples"
ADMIN = ("admin", ADMIN_PASSWORD)
OAI = "{http://www.openarchives.org/OAI/2.0/}"
PARENT = "<https://w3id.org/igsn-graph/ontology#parent>"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(
        create_app(fresh_settings(tmp_path_factory.mktemp("leaks"))), raise_server_exceptions=False
    ) as client:
        yield client


def _put(app: TestClient, name: str, who: tuple[str, str], extra: str = "") -> None:
    r = app.put(f"{API}/{name}", content=turtle(name, f"Core {name}", extra=extra), headers=TURTLE, auth=who)
    assert r.status_code in (200, 201), r.text


def test_a_cycle_refusal_names_no_private_link_of_another_party(app: TestClient) -> None:
    _put(app, "ZTA-X1", CLIENT_ONE)
    # the other agent's private chain ends at our sample: ZO-PRIV2 → ZO-PRIV3 → ZTA-X1
    _put(app, "ZO-PRIV3", OTHER, f"; dcterms:accessRights {NON_PUBLIC} ; {PARENT} <https://igsn.org/ZTA-X1> ")
    _put(app, "ZO-PRIV2", OTHER, f"; dcterms:accessRights {NON_PUBLIC} ; {PARENT} <https://igsn.org/ZO-PRIV3> ")
    body = turtle("ZTA-X1", "Core", extra=f"; {PARENT} <https://igsn.org/ZO-PRIV2> ")
    for r in (
        app.put(f"{API}/ZTA-X1", content=body, headers=TURTLE, auth=CLIENT_ONE),
        app.post(f"{API}/bulk", content=body, headers=TURTLE, auth=CLIENT_ONE),
    ):
        assert "cycle" in r.text, r.text
        assert "ZO-PRIV3" not in r.text and "ZO-PRIV2 →" not in r.text, r.text
        assert "ZTA-X1 → … → ZTA-X1" in r.text, r.text


def test_a_cycle_through_public_samples_is_named(app: TestClient) -> None:
    _put(app, "ZTA-P1", CLIENT_ONE)
    _put(app, "ZTA-P2", CLIENT_ONE, f"; {PARENT} <https://igsn.org/ZTA-P1> ")
    r = app.put(
        f"{API}/ZTA-P1",
        content=turtle("ZTA-P1", "Core", extra=f"; {PARENT} <https://igsn.org/ZTA-P2> "),
        headers=TURTLE,
        auth=CLIENT_ONE,
    )
    assert r.status_code == 400 and "ZTA-P1 → ZTA-P2 → ZTA-P1" in r.json()["detail"], r.text


def _admin_email(settings: Settings) -> str:
    with TestClient(create_app(settings)) as client:
        root = etree.fromstring(client.get("/oai", params={"verb": "Identify"}).content)
    return root.findtext(f".//{OAI}adminEmail") or ""


def test_identify_names_a_contact_address_never_an_account(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "a" / "data", admin_user="root-operator", admin_password="x-12345678")
    init_data_dir(settings, repository_id="samples.example.org")
    assert _admin_email(settings) == "contact@samples.example.org"
    # given at init (the CLI's --contact-email), or by the setting, which wins
    assert (
        main(
            [
                "init",
                "--data",
                str(tmp_path / "b" / "data"),
                "--repository-id",
                "samples.example.org",
                "--contact-email",
                "registry@example.org",
            ]
        )
        == 0
    )
    given = Settings(data_dir=tmp_path / "b" / "data", admin_user="root-operator")
    assert _admin_email(given) == "registry@example.org"
    assert _admin_email(given.with_(oai_admin_email="desk@example.org")) == "desk@example.org"
    assert main(["init", "--data", str(tmp_path / "c" / "data"), "--contact-email", "not an address"]) == 2


@pytest.mark.parametrize(
    "query", ["testMode=yes", "testmode=true", "testMode=", "testMode=TRUE&testMode=false", "TESTMODE=on"]
)
def test_an_unknown_test_mode_is_refused_never_a_real_write(app: TestClient, query: str) -> None:
    writes = [
        (
            "post",
            f"/igsn?{query}",
            {"content": b"igsn=ZTA0900\nurl=https://example.org/900\n", "headers": {"Content-Type": "text/plain"}},
        ),
        (
            "post",
            f"/doi?{query}",
            {
                "content": b"doi=10.99990/ZTA0901\nurl=https://example.org/901\n",
                "headers": {"Content-Type": "text/plain"},
            },
        ),
        ("post", f"{API}?{query}", {"content": turtle("ZTA0902", "Core"), "headers": TURTLE}),
        ("post", f"{API}/bulk?{query}", {"content": turtle("ZTA0903", "Core"), "headers": TURTLE}),
    ]
    for method, path, kwargs in writes:
        r = getattr(app, method)(path, auth=CLIENT_ONE, **kwargs)
        if query == "testmode=true":  # the parameter's name in another letter case: a test all the same
            assert r.status_code in (200, 201) and "test" in r.text.lower(), (path, r.text)
        else:
            assert r.status_code == 400 and "testMode" in r.text, (path, r.status_code, r.text)
    listed = set(app.get("/igsn", auth=CLIENT_ONE).text.split())
    assert not listed & {"ZTA0900", "ZTA0901", "ZTA0902", "ZTA0903"}


@pytest.mark.parametrize(
    "request_",
    [
        ("get", "/igsn", CLIENT_ONE),
        ("get", "/igsn/ZTA-X1", CLIENT_ONE),
        ("get", "/metadata/ZTA-X1", CLIENT_ONE),
        ("get", "/api/v1/admin/agents", ADMIN),
        ("get", "/api/v1/admin/quotas", ADMIN),
        ("get", "/igsn", ("ZTEST", "x")),
        ("post", "/igsn", CLIENT_ONE),
    ],
)
def test_authenticated_answers_are_not_stored_by_caches(app: TestClient, request_: tuple[str, str, object]) -> None:
    method, path, auth = request_
    _put(app, "ZTA-X1", CLIENT_ONE)
    r = getattr(app, method)(path, auth=auth)
    assert r.headers.get("cache-control") == "no-store", (path, r.status_code, r.headers)
    assert "no-store" not in app.get("/ZTA-X1", headers={"Accept": "text/turtle"}).headers.get("cache-control", "")


def _page(request: object) -> HTMLResponse:
    return HTMLResponse("<html><body><script>alert(document.cookie)</script></body></html>")


def test_the_page_policy_allows_only_the_scripts_we_wrote(app: TestClient) -> None:
    """An inline script on a page (an injection) is not allowed by a hash of itself; the docs' are."""
    injected = TestClient(SecurityHeaders(Starlette(routes=[Route("/x", _page)]), known_pages={}))
    r = injected.get("/x")
    [mine] = inline_script_hashes(r.content)
    assert mine not in r.headers["content-security-policy"]
    assert "script-src 'self';" in r.headers["content-security-policy"]
    docs = app.get("/docs")
    scripts = inline_script_hashes(docs.content)
    assert scripts and all(h in docs.headers["content-security-policy"] for h in scripts)
    landing = app.get("/ZTA-X1", headers={"Accept": "text/html"})
    assert not any(h in landing.headers["content-security-policy"] for h in scripts)
    assert re.search(r"script-src 'self';", landing.headers["content-security-policy"])
