"""api.activity: the outermost layer counts the requests a background restamp yields to, over real HTTP."""

from __future__ import annotations

import time

import httpx

from api.activity import Requests
from api.app import create_app
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
from tests.conftest import live_server


def test_requests_make_the_server_busy_until_asked(registry: Registry, settings: Settings) -> None:
    registry.close()  # the app opens the store itself
    app = create_app(settings)
    requests = app.state.requests
    with live_server(settings, app=app) as base:
        requests.busy()  # whatever came in while it started
        assert not requests.busy()
        # the fast paths' and the framework's requests alike: a sample path, a route, an unknown one
        for path in ("/ZTA0001", "/health", "/no-such-route"):
            before = requests.started
            httpx.get(base + path)
            assert requests.started == before + 1
            _answered(requests)
            assert requests.busy()  # came in since it was last asked
            assert not requests.busy()


def _answered(requests: Requests) -> None:
    """Waits for the server's side of the last request to end (the client may have its answer first)."""
    deadline = time.monotonic() + 10
    while requests.in_flight:
        assert time.monotonic() < deadline, "a request stayed in flight"
        time.sleep(0.01)
