"""The relations endpoints through the real app over HTTP: lineage, related links with inferred inverses,
samples by dataset and by agent, handle-form paths, 404/410 and 400 problems."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from igsn_graph.record import Agent, Identifier, Relation, SampleRecord
from igsn_graph.registry.accounts import ADMIN, Principal
from igsn_graph.registry.service import Registry, Submission, init_data_dir
from igsn_graph.settings import Settings
from tests.conftest import OTHER, add_test_accounts, live_server

ORCID = "https://orcid.org/0000-0002-1825-0097"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("relations") / "data")
    init_data_dir(settings)
    registry = Registry(settings)
    add_test_accounts(registry)
    person = Agent("Doe, Jane", Identifier(ORCID, "ORCID"), kind="Person")
    subs = [
        SampleRecord("ZTA-ROOT", name="root", relations=[Relation("10.5072/DATA.1", "DOI", "IsReferencedBy")]),
        SampleRecord("ZTA-K1", name="k1", parents=["ZTA-ROOT"], collectors=[person]),
        SampleRecord("ZTA-K2", name="k2", parents=["ZTA-ROOT"]),
        SampleRecord("ZTA-K3", name="k3", parents=["ZTA-K1", "ZTA-K2"]),
        SampleRecord("ZTA-GONE", name="gone", parents=["ZTA-ROOT"]),
        SampleRecord("ZTA-PRIV", name="private", parents=["ZTA-ROOT"], is_public=False),
    ]
    assert all(o.ok for o in registry.register(ADMIN, [Submission(r, "test") for r in subs]))
    other = SampleRecord(
        "ZO-CROSS",
        name="cross",
        parents=["ZTA-K3"],
        relations=[Relation("ZTA-ROOT", "IGSN", "IsPartOf")],
        collectors=[person],
    )
    assert registry.register(Principal("agent", OTHER[0], OTHER[0]), [Submission(other, "test")])[0].ok
    registry.deactivate(ADMIN, "ZTA-GONE")
    registry.close()  # the server opens the data folder itself
    with live_server(settings) as url:
        yield url


def get(base: str, path: str, **params: object) -> httpx.Response:
    return httpx.get(base + path, params=params, timeout=30)  # type: ignore[arg-type]


def test_descendants_and_ancestors(base: str) -> None:
    r = get(base, "/api/v1/samples/ZTA-ROOT/descendants")
    assert r.status_code == 200
    body = r.json()
    assert [(i["igsn"], i["depth"]) for i in body["items"]] == [
        ("ZTA-K1", 1),
        ("ZTA-K2", 1),
        ("ZTA-K3", 2),
        ("ZO-CROSS", 3),
    ]  # the diamond's K3 once; no private, no gone
    assert body["items"][0]["links"]["self"] == f"{base}/api/v1/samples/ZTA-K1"
    assert [i["igsn"] for i in get(base, "/api/v1/samples/ZTA-ROOT/descendants", depth=1).json()["items"]] == [
        "ZTA-K1",
        "ZTA-K2",
    ]
    page = get(base, "/api/v1/samples/ZTA-ROOT/descendants", limit=3).json()
    assert len(page["items"]) == 3
    rest = httpx.get(page["links"]["next"], timeout=30).json()
    assert [i["igsn"] for i in rest["items"]] == ["ZO-CROSS"] and "next" not in rest["links"]
    # every written form of the IGSN, the handle form included
    for written in ("10273/ZO-CROSS", "zo-cross", "igsn:ZO-CROSS"):
        up = get(base, f"/api/v1/samples/{written}/ancestors")
        assert up.status_code == 200, written
        assert [(i["igsn"], i["depth"]) for i in up.json()["items"]] == [
            ("ZTA-K3", 1),
            ("ZTA-K1", 2),
            ("ZTA-K2", 2),
            ("ZTA-ROOT", 3),
        ]


def test_related_shows_inferred_inverses(base: str) -> None:
    body = get(base, "/api/v1/samples/ZTA-ROOT/related").json()
    got = {(x["kind"], x["relation_type"], x["identifier"], x["inferred"]) for x in body["related"]}
    assert got == {
        ("related", "IsReferencedBy", "10.5072/data.1", False),
        ("child", "IsSourceOf", "ZTA-K1", True),
        ("child", "IsSourceOf", "ZTA-K2", True),
        ("member", "HasPart", "ZO-CROSS", True),
    }  # IsPartOf an IGSN: a collection (relation_semantics.csv)
    cross = next(x for x in body["related"] if x["identifier"] == "ZO-CROSS")
    assert cross["links"]["related"] == f"{base}/api/v1/samples/ZO-CROSS/related"


def test_samples_of_a_dataset_and_of_an_agent(base: str) -> None:
    r = get(base, "/api/v1/related", identifier="https://doi.org/10.5072/data.1")
    assert r.status_code == 200
    assert r.json()["identifier_type"] == "DOI" and [i["igsn"] for i in r.json()["items"]] == ["ZTA-ROOT"]
    deep = get(base, "/api/v1/related", identifier="doi:10.5072/DATA.1", descendants="true").json()
    assert [(i["igsn"], i["via_ancestor"]) for i in deep["items"]] == [
        ("ZTA-ROOT", False),
        ("ZTA-K1", True),
        ("ZTA-K2", True),
        ("ZTA-K3", True),
        ("ZO-CROSS", True),
    ]
    agent = get(base, "/api/v1/agents/0000-0002-1825-0097/samples").json()
    assert agent["agent"] == ORCID
    assert [(i["igsn"], i["roles"]) for i in agent["items"]] == [("ZO-CROSS", ["Collector"]), ("ZTA-K1", ["Collector"])]
    same = get(base, f"/api/v1/agents/{ORCID}/samples", limit=1).json()
    assert [i["igsn"] for i in same["items"]] == ["ZO-CROSS"]
    assert [i["igsn"] for i in httpx.get(same["links"]["next"], timeout=30).json()["items"]] == ["ZTA-K1"]


@pytest.mark.parametrize(
    "path, params, status",
    [
        ("/api/v1/samples/ZTA-NONE/related", {}, 404),
        ("/api/v1/samples/ZTA-PRIV/descendants", {}, 404),
        ("/api/v1/samples/ZTA-GONE/ancestors", {}, 410),
        ("/api/v1/samples/ZTA ROOT/related", {}, 400),
        ("/api/v1/samples/ZTA-ROOT/descendants", {"depth": "0"}, 400),
        ("/api/v1/samples/ZTA-ROOT/descendants", {"depth": "deep"}, 400),
        ("/api/v1/samples/ZTA-ROOT/descendants", {"after": "x"}, 400),
        ("/api/v1/samples/ZTA-ROOT/descendants", {"limit": "100001"}, 400),
        ("/api/v1/related", {}, 400),
        ("/api/v1/related", {"identifier": "10.5072/x", "descendants": "perhaps"}, 400),
        ("/api/v1/agents/jane/samples", {}, 400),
    ],
)
def test_errors_are_problems(base: str, path: str, params: dict[str, str], status: int) -> None:
    r = get(base, path, **params)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
