"""Graph stores: the embedded pyoxigraph store, or a remote SPARQL engine, chosen by one setting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import GraphStore, GraphWrite

if TYPE_CHECKING:
    from ..settings import Settings

__all__ = ["GraphStore", "GraphWrite", "open_store"]


def open_store(settings: "Settings") -> GraphStore:
    """``settings.store`` is ``embedded`` (pyoxigraph in the data folder) or the URL of a SPARQL engine."""
    if settings.store in ("", "embedded"):
        from .oxigraph import OxigraphStore
        return OxigraphStore(settings.graph_dir)
    from .remote import RemoteEndpoints, RemoteStore
    return RemoteStore(RemoteEndpoints(settings.store, settings.store_query_path, settings.store_update_path,
                                       settings.store_gsp_path,
                                       None if settings.store_union_param.lower() in ("", "none") else
                                       settings.store_union_param,
                                       query_timeout_s=settings.sparql_timeout_s))
