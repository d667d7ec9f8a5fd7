"""A check the server runs in the background: at start, then every ``interval`` seconds, until stopped.

The embargo lifter and the harvest scheduler are such checks. A failing check is logged and tried again at
the next interval (never in a hot loop); a read-only registry runs none, since they write. Over a shared
(PostgreSQL) registry every node starts its checks, but each round runs only on the node holding the check's lease
(``registry.lease``, named by ``name``): the others stand by and take over within an interval when the holder dies.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from .lease import Lease

if TYPE_CHECKING:
    from .restamp import Restamper
    from .service import Registry

__all__ = ["PeriodicCheck", "RestampCheck"]


class PeriodicCheck:
    """Subclasses give ``name`` (the thread's), ``what`` and ``log`` (for a failure) and implement ``check``."""

    name = "igsn-graph-check"
    what = "a background check"
    log = logging.getLogger("igsn_graph")

    def __init__(self, registry: Registry, *, interval: float) -> None:
        self.registry = registry
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        #: set after each check (for whoever waits for the first one: a test, a health probe)
        self.checked = threading.Event()
        #: who runs the rounds when nodes share the registry (always this process on SQLite)
        self.lease = Lease(registry.db.url, self.name)
        #: rounds this process ran (a standby node's stays 0)
        self.rounds = 0

    def check(self, stop: Callable[[], bool]) -> None:
        """One round of the work; ``stop`` says the server is shutting down."""
        raise NotImplementedError

    def start(self) -> bool:
        """Starts the checks (not on a read-only registry, which cannot write what they do); whether it started."""
        if self.registry.read_only:
            return False
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        return True

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if self.lease.hold():
                    try:
                        self.check(self._stop.is_set)
                    except Exception as exc:  # noqa: BLE001 - logged; the next check tries again
                        self.error = exc
                        self.log.exception("%s failed; the next check tries again", self.what)
                    self.rounds += 1
                    self.checked.set()
                if self._stop.wait(self.interval):
                    break
        finally:
            self.lease.close()  # another node takes the job over at its next round

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


class RestampCheck(PeriodicCheck):
    """Over a shared registry: the node holding this lease runs a pending (or interrupted) restamp, so one node
    restamps at a time, and a standby resumes the restamp of a holder that died. (One process restamps at start.)"""

    name = "igsn-graph-restamp"
    what = "the restamp"

    def __init__(self, restamper: Restamper, *, interval: float = 30.0) -> None:
        super().__init__(restamper.registry, interval=interval)
        self.restamper = restamper

    def check(self, stop: Callable[[], bool]) -> None:
        if not self.restamper.running:
            self.restamper.start()  # drops graphs' old datestamps, then restamps what is pending, if anything

    def stop(self, timeout: float = 30.0) -> None:
        super().stop(timeout)  # no new start, then the running restamp stops between batches
        self.restamper.stop(timeout)
