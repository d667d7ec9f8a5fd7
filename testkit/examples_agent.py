"""The account that registers every file of ``../shared/examples`` in a test: one agent owning each namespace the
examples' IGSNs use (their first two characters; TEST is every account's) and the DOI prefixes they write."""

from __future__ import annotations

from collections.abc import Iterable

from igsn_graph.registry.accounts import Principal
from igsn_graph.registry.service import Registry

__all__ = ["add_examples_agent"]


def add_examples_agent(registry: Registry, names: Iterable[str]) -> Principal:
    """Adds the agent for the IGSNs ``names`` to ``registry``; the principal that registers as it."""
    registry.add_agent(
        "ZEXAMPLE",
        name="Examples",
        password="examples",
        namespaces=sorted({n[:2] for n in names if not n.startswith("TEST")}),
        doi_prefixes=["10.58052", "10.5072"],
    )
    return Principal("agent", "ZEXAMPLE", "ZEXAMPLE")
