"""api.security and api.docs: security headers everywhere, a strict CSP on HTML pages, API docs that work offline."""

from __future__ import annotations

import re
from typing import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.security import content_security_policy, inline_script_hashes
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings


@pytest.fixture
def client(settings: Settings, registry: Registry) -> Iterator[TestClient]:
    registry.close()
    with TestClient(create_app(settings)) as c:
        yield c


def test_inline_scripts_are_hashed_and_data_blocks_are_not() -> None:
    page = (
        b'<html><head><script src="/x.js"></script><script type="application/ld+json">{"a": 1}</script>'
        b"<script>alert(1)</script><SCRIPT type='module'>let a = 2;</SCRIPT></head></html>"
    )
    hashes = inline_script_hashes(page)
    # sha256 of the exact script text, base64 (CSP Level 2)
    assert hashes == [
        "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='",
        "'sha256-"
        + __import__("base64").b64encode(__import__("hashlib").sha256(b"let a = 2;").digest()).decode()
        + "'",
    ]
    policy = content_security_policy(hashes)
    assert "script-src 'self' " + " ".join(hashes) in policy
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]


@pytest.mark.parametrize("path", ["/health", "/oai?verb=Identify", "/ontology", "/openapi.json", "/NOSUCHSAMPLE"])
def test_every_response_says_nosniff(client: TestClient, path: str) -> None:
    r = client.get(path, follow_redirects=False)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_html_pages_carry_a_policy_that_allows_only_their_own_scripts(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    policy = r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    scripts = re.findall(r"<script>(.*?)</script>", r.text, re.S)
    assert scripts, "the docs page bootstraps Swagger UI with an inline script"
    for h in inline_script_hashes(r.content):
        assert h in policy
    # an unknown sample's page (HTML 404) also carries the policy
    miss = client.get("/ZZZZ9999", headers={"Accept": "text/html"})
    assert miss.status_code == 404 and "content-security-policy" in miss.headers


def test_docs_work_offline(client: TestClient) -> None:
    page = client.get("/docs").text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and all(a.startswith("/") for a in assets), f"the docs page loads something remote: {assets}"
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert "cdn" not in page.lower()
