"""igsn_graph.once: a property computed at its first read, per instance, with no lock shared between instances."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from igsn_graph.once import once


@dataclass(frozen=True)
class _Sample:
    name: str
    calls: list[str]

    @once
    def label(self) -> str:
        """The sample's label."""
        self.calls.append(self.name)
        return self.name.upper()


def test_computed_at_the_first_read_and_kept_per_instance() -> None:
    calls: list[str] = []
    a, b = _Sample("a", calls), _Sample("b", calls)
    assert (a.label, a.label, b.label, a.label) == ("A", "A", "B", "A")
    assert calls == ["a", "b"]  # once each, on a frozen dataclass too
    assert isinstance(_Sample.__dict__["label"], once) and _Sample.label.__doc__ == "The sample's label."


def test_two_threads_reading_two_objects_do_not_wait_for_each_other() -> None:
    """``functools.cached_property`` before Python 3.12 holds one lock per property for every instance: the
    second thread would wait for the first, which waits for it at the barrier, and the barrier would break."""
    barrier = threading.Barrier(2, timeout=10)

    class Meeting:
        @once
        def met(self) -> int:
            return barrier.wait()

    seen: list[int] = []
    threads = [threading.Thread(target=lambda m=Meeting(): seen.append(m.met)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(seen) == [0, 1] and not barrier.broken
