"""The example queries (mappings/sparql-examples, shown on the SPARQL page and in the README) return rows on the
demo data through the real endpoint, and the README shows every one of them as it is."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from igsn_graph.sparql_examples import examples
from tests.conftest import demo_settings

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(create_app(demo_settings(tmp_path_factory.mktemp("sparql-examples")))) as c:
        yield c


@pytest.mark.parametrize("title,query", examples(), ids=[t for t, _ in examples()])
def test_each_example_returns_rows_on_the_demo_data(client: TestClient, title: str, query: str) -> None:
    r = client.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    assert r.json()["results"]["bindings"], title


def test_the_readme_shows_every_example() -> None:
    blocks = [b.strip() for b in re.findall(r"```sparql\n(.*?)```", README.read_text(encoding="utf-8"), re.S)]
    assert blocks == [query for _, query in examples()]
