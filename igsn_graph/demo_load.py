"""Puts the demo data into a data folder once: init, demo accounts, synthetic samples, then a marker.

The marker is written only after the load completed, so an interrupted load is redone (registration
is create-or-update, so redoing it is harmless).
"""

from __future__ import annotations

import time
from typing import Callable, Iterator

from .demo import demo_accounts, generate_samples, small_demo
from .errors import Conflict, NotFound
from .registry.service import Registry, Submission, init_data_dir
from .settings import Settings

__all__ = ["ensure_demo", "demo_credentials", "load_demo_accounts", "demo_submissions", "stream_demo_submissions"]

MARKER = ".demo-loaded"


def demo_credentials() -> list[tuple[str, str, str]]:
    """(symbol, password, "agent" | "client") of every demo account."""
    agents, clients = demo_accounts()
    return [(a.symbol, a.password, "agent") for a in agents] + [(c.symbol, c.password, "client") for c in clients]


def load_demo_accounts(registry: Registry) -> None:
    agents, clients = demo_accounts()
    for a in agents:
        try:
            registry.accounts.agent(a.symbol)
        except NotFound:
            registry.add_agent(
                a.symbol,
                name=a.name,
                password=a.password,
                namespaces=list(a.namespaces),
                doi_prefixes=list(a.doi_prefixes),
                ror=a.ror,
            )
    for c in clients:
        try:
            registry.accounts.client(c.symbol)
        except NotFound:
            registry.add_client(
                c.symbol,
                name=c.name,
                password=c.password,
                namespaces=list(c.namespaces),
                doi_prefixes=list(c.doi_prefixes),
                domains=list(c.domains),
                quota=c.quota,
            )


def demo_submissions(size: int | None = None, seed: int = 42) -> list[Submission]:
    return list(stream_demo_submissions(size, seed))


def stream_demo_submissions(size: int | None = None, seed: int = 42) -> Iterator[Submission]:
    """The small demo, or ``size`` generated samples made one campaign at a time as they are loaded (a load of
    ten million holds no more of them than a campaign and a batch)."""
    samples = small_demo(seed) if size is None else generate_samples(size, seed=seed)
    return (Submission(s.record, s.format, None, s.landing_url) for s in samples)


def ensure_demo(settings: Settings, *, size: int | None = None, on_batch: Callable[[int], None] | None = None) -> str:
    """Initialises the data folder and loads the demo set unless a completed load is recorded."""
    try:
        init_data_dir(settings)
    except Conflict:
        pass  # initialised with other settings: load into it as it is
    marker = settings.data_dir / MARKER
    if marker.exists():
        return f"demo data already loaded in {settings.data_dir.resolve()}"
    start = time.monotonic()
    with Registry(settings) as registry:
        load_demo_accounts(registry)
        stored = invalid = 0
        for outcomes in registry.load_records(stream_demo_submissions(size)):
            stored += sum(o.ok for o in outcomes)
            invalid += sum(not o.ok for o in outcomes)
            if on_batch is not None:
                on_batch(stored)
    marker.write_text(f"{stored} samples\n", encoding="utf-8")
    return (
        f"demo data loaded into {settings.data_dir.resolve()}: {stored} samples "
        f"({invalid} refused) in {time.monotonic() - start:.1f} s"
    )
