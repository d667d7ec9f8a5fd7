"""api.activity: the outermost layer counts the requests a background restamp yields to, and the share of the
time they kept the server answering: the arithmetic on a clock of the test's, then over real HTTP."""

from __future__ import annotations

import time

import httpx

from api.activity import BUSY_SHARE, Requests
from api.app import create_app
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
from tests.conftest import live_server


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_share_counts_the_time_any_request_was_in_flight_once() -> None:
    clock = _Clock()
    requests = Requests(clock)
    clock.now = 110.0
    assert requests.share() == 0.0 and not requests.busy()
    requests.begin()  # 110-112: one request, 111-113: another overlapping it; in flight 110-113
    clock.now = 111.0
    requests.begin()
    clock.now = 112.0
    requests.end()
    clock.now = 113.0
    requests.end()
    clock.now = 120.0
    assert requests.share() == 0.3 and requests.started == 2 and requests.in_flight == 0
    requests.begin()  # in flight when asked: the stretch so far counts, the rest next time
    clock.now = 124.0
    assert requests.share() == 1.0
    clock.now = 130.0
    requests.end()
    clock.now = 140.0
    assert requests.share() == 0.375  # 124-130 of 124-140


def test_a_health_check_a_second_is_not_busy_and_a_steady_load_is() -> None:
    clock = _Clock()
    requests = Requests(clock)
    for _ in range(10):  # a millisecond's answer each second
        requests.begin()
        clock.now += 0.001
        requests.end()
        clock.now += 0.999
    assert requests.share() < BUSY_SHARE and not requests.busy()
    for _ in range(10):  # one page after another, 10 ms apart
        requests.begin()
        clock.now += 0.4
        requests.end()
        clock.now += 0.01
    assert requests.busy()


def test_requests_over_http_are_counted_and_make_the_server_busy(registry: Registry, settings: Settings) -> None:
    registry.close()  # the app opens the store itself
    app = create_app(settings)
    requests = app.state.requests
    with live_server(settings, app=app) as base, httpx.Client(base_url=base) as client:
        # the fast paths' and the framework's requests alike: a sample path, a route, an unknown one
        for path in ("/ZTA0001", "/health", "/no-such-route"):
            before = requests.started
            client.get(path)
            assert requests.started == before + 1
            _answered(requests)
        requests.share()
        until = time.monotonic() + 0.5
        while time.monotonic() < until:  # one request after another
            client.get("/health")
        assert requests.busy()
        # one request, then a pause of forty times as long as it took the client: under 5 % of the time served
        began = time.monotonic()
        client.get("/health")
        took = time.monotonic() - began
        _answered(requests)
        time.sleep(max(0.5, 40 * took))
        assert not requests.busy()


def _answered(requests: Requests) -> None:
    """Waits for the server's side of the last request to end (the client may have its answer first)."""
    deadline = time.monotonic() + 10
    while requests.in_flight:
        assert time.monotonic() < deadline, "a request stayed in flight"
        time.sleep(0.01)
