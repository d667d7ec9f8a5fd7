"""HEAD and 405 on the fixed endpoints /oai, /sparql and /health: HEAD answers as GET does without a body, and
a method the endpoint does not take is a 405 whose Allow names every method it does take."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.conftest import fresh_settings

GETS = ["/oai?verb=Identify", "/oai?verb=ListSets", "/sparql", "/sparql?query=ASK%7B%7D", "/health"]
ALLOWED = {"/oai": {"GET", "HEAD", "POST"}, "/sparql": {"GET", "HEAD", "POST", "OPTIONS"}, "/health": {"GET", "HEAD"}}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(create_app(fresh_settings(Path(tmp_path_factory.mktemp("methods"))))) as http:
        yield http


@pytest.mark.parametrize("url", GETS)
def test_head_answers_like_get_without_a_body(client: TestClient, url: str) -> None:
    plain = {"Accept-Encoding": "identity"}
    got, head = client.get(url, headers=plain), client.head(url, headers=plain)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == str(len(got.content))


@pytest.mark.parametrize("path", sorted(ALLOWED))
@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND"])
def test_405_names_every_allowed_method(client: TestClient, path: str, method: str) -> None:
    if method in ALLOWED[path]:
        pytest.skip(f"{path} takes {method}")
    response = client.request(method, path)
    assert response.status_code == 405
    allow = [m.strip() for m in response.headers["allow"].split(",")]
    assert set(allow) == ALLOWED[path] and len(allow) == len(ALLOWED[path])
    for allowed in ALLOWED[path] - {"POST"}:  # and every method it names is taken
        assert client.request(allowed, path).status_code != 405
