"""Schemathesis over our OpenAPI document: every JSON API operation (/api/v1 and /health) of the real server
with generated data (valid and invalid), with the right credentials and without any.

Every answer must be no 5xx, have a documented status code and content type, and match the documented
schema of its body and headers. Without credentials, an operation the document marks as needing HTTP Basic
must answer 401 whatever else is wrong with the request. The registry holds a few samples with parents
(``sample_set``), so reads and lineage walks meet real data. Generation is derandomized and bounded, so
that a run is reproducible and short.

The operations are read from the app's own document at collection time, so a new operation is tested
without anybody listing it here. (Schemathesis' lazy pytest fixture does not run under pytest 9, hence
``as_strategy`` under our own ``@given``.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from igsn_graph.settings import Settings
from tests.conftest import ADMIN_PASSWORD, CLIENT_ONE, live_server

from .sample_set import DATASET, GONE, ORCID, PRIVATE, ROOT, populate

#: examples per operation, mode and credentials
MAX_EXAMPLES = 20
#: examples of an anonymous call of an operation that needs credentials (all must be 401)
REFUSAL_EXAMPLES = 5
#: the operations under test: the JSON API and /health (the MDS, OAI-PMH, SPARQL and the resolver speak
#: their own protocols and have their own tests)
OPERATIONS = re.compile(r"/(api/v1/.*|health)")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


#: real values of path and query parameters, mixed into the generated reads so that they meet real data
#: (writes get generated values only: a run must not disable the accounts or samples the others read)
REAL_PATHS: dict[str, list[str]] = {
    "igsn": [ROOT, "10273/ZTA-K3", "igsn:zta-k1", PRIVATE, GONE, "ZO-CROSS"],
    "symbol": ["ZTEST", "ZTEST.ONE", "ZOTHER"],
    "agent": [ORCID, ORCID.rsplit("/", 1)[1]],
}
REAL_QUERIES: dict[str, list[dict[str, str]]] = {
    "/api/v1/related": [{"identifier": DATASET}, {"identifier": f"https://doi.org/{DATASET}", "descendants": "true"}],
    "/api/v1/search": [
        {"q": "basalt"},
        {"bbox": "-180,-90,180,90", "sort": "date", "limit": "2"},
        {"from": "2019", "until": "2021-03"},
    ],
    "/api/v1/samples/{igsn}/descendants": [{"limit": "1"}],
    "/api/v1/agents/{agent}/samples": [{"limit": "1"}],
}


def _strategy(operation: Any, path: str, method: str, mode: GenerationMode) -> Any:
    """Generated cases of the operation, and for reads also cases with real parameter values."""
    generated = operation.as_strategy(generation_mode=mode)
    if method != "GET" or mode is not GenerationMode.POSITIVE:
        return generated
    names = {p["name"] for p in operation.definition.raw.get("parameters", []) if p["in"] == "path"}
    real = [
        operation.as_strategy(path_parameters={name: value}) for name in names for value in REAL_PATHS.get(name, [])
    ]
    real += [operation.as_strategy(query=query) for query in REAL_QUERIES.get(path, []) if not names]
    real += [
        operation.as_strategy(path_parameters={name: REAL_PATHS[name][0]}, query=query)
        for query in REAL_QUERIES.get(path, [])
        for name in names
        if name in REAL_PATHS
    ]
    return st.one_of(generated, *real)


def _can_be_invalid(operation: dict[str, Any]) -> bool:
    """Whether the document constrains anything of a request (a body, or a parameter more than any text), so
    that invalid data exists to be generated."""
    plain = {"type": "string"}
    return "requestBody" in operation or any(
        {k: v for k, v in p.get("schema", {}).items() if k != "title"} != plain for p in operation.get("parameters", [])
    )


def _cases() -> list[Any]:
    """(method, path, mode, authenticated) of every run: the negative mode where invalid data exists, with
    credentials where the operation takes them."""
    document = create_app(Settings(data_dir=Path("unused"))).openapi()  # the lifespan never runs: nothing opened
    out = []
    for path, item in document["paths"].items():
        if not OPERATIONS.fullmatch(path):
            continue
        for method, operation in item.items():
            secured = bool(operation.get("security"))
            modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if _can_be_invalid(operation) else [])
            for mode in modes:
                label = f"{method.upper()} {path} {mode.value}"
                if secured or "401" in operation["responses"]:
                    out.append(pytest.param(method.upper(), path, mode, True, id=f"{label} credentials"))
                if not secured or mode is GenerationMode.POSITIVE:
                    out.append(pytest.param(method.upper(), path, mode, False, id=f"{label} anonymous"))
    return out


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    settings_ = Settings(data_dir=tmp_path_factory.mktemp("openapi") / "data", admin_password=ADMIN_PASSWORD)
    populate(settings_)
    # no generated Authorization headers: the runs choose the credentials (random ones cost a scrypt each)
    config = schemathesis.Config.from_dict(
        {"seed": 20260101, "generation": {"deterministic": True, "with-security-parameters": False}}
    )
    with live_server(settings_) as url:
        yield schemathesis.openapi.from_url(f"{url}/openapi.json", config=config)


def credentials(path: str) -> tuple[str, str]:
    """The account an operation is meant for: the administrator for the admin API, else a client."""
    return ("admin", ADMIN_PASSWORD) if path.startswith("/api/v1/admin") else CLIENT_ONE


@pytest.mark.parametrize("method,path,mode,authenticated", _cases())
def test_operation(
    api_schema: schemathesis.BaseSchema, method: str, path: str, mode: GenerationMode, authenticated: bool
) -> None:
    operation = api_schema[path][method]
    secured = bool(operation.definition.raw.get("security"))
    auth = credentials(path) if authenticated else None

    @settings(
        max_examples=MAX_EXAMPLES if authenticated or not secured else REFUSAL_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(operation, path, method, mode))
    def run(case: schemathesis.Case) -> None:
        response = case.call_and_validate(auth=auth, checks=CHECKS, timeout=30)
        if secured and auth is None:
            assert response.status_code == 401, (case.as_curl_command(), response.status_code)
            assert response.headers["www-authenticate"][0].startswith("Basic ")

    run()
