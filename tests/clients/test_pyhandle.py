"""pyhandle (EUDAT's handle client) pointed at a live server resolves a demo IGSN and misses an unknown one."""

from __future__ import annotations

from typing import Iterator

import pytest
from pyhandle.handleclient import PyHandleClient
from pyhandle.handleexceptions import HandleNotFoundException

from igsn_graph.demo import small_demo
from tests.conftest import demo_settings, live_server


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(demo_settings(tmp_path_factory.mktemp("pyhandle"))) as url:
        yield url


def _client(base: str) -> PyHandleClient:
    return PyHandleClient("rest").instantiate_for_read_access(handle_server_url=base, HTTPS_verify=False)


def test_resolves_a_demo_igsn(base: str) -> None:
    # the demo registers no external landing pages (issue 17): the handle's URL is the sample's page here
    sample = small_demo(42)[0]
    client = _client(base)
    record = client.retrieve_handle_record("10273/" + sample.record.igsn)
    assert record is not None and record["URL"].endswith("/" + sample.record.igsn) and "HS_ADMIN" in record
    assert client.get_value_from_handle("10273/" + sample.record.igsn, "URL") == record["URL"]


def test_unknown_igsn_is_not_found(base: str) -> None:
    client = _client(base)
    assert client.retrieve_handle_record("10273/ZZZ999999") is None
    with pytest.raises(HandleNotFoundException):
        client.get_value_from_handle("10273/ZZZ999999", "URL")
