"""igsn-graph: the IGSN sample registry as an RDF knowledge graph."""

from __future__ import annotations

__version__ = "0.1.0"

from . import errors  # noqa: E402
from .identifiers import Igsn, normalise, parse_igsn  # noqa: E402
from .settings import Settings  # noqa: E402


def __getattr__(name: str) -> object:
    # the registry pulls in pyshacl and the store; import it only when asked for
    if name == "Registry":
        from .registry.service import Registry

        return Registry
    raise AttributeError(name)


__all__ = ["__version__", "errors", "Igsn", "normalise", "parse_igsn", "Settings", "Registry"]
