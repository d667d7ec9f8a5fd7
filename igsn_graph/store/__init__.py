"""Graph stores: the embedded pyoxigraph store, or a remote SPARQL engine, chosen by one setting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import GraphStore, GraphWrite

if TYPE_CHECKING:
    from ..settings import Settings

__all__ = ["GraphStore", "GraphWrite", "open_store"]


def open_store(settings: "Settings", *, read_only: bool = False) -> GraphStore:
    """``settings.store`` is ``embedded`` (pyoxigraph in the data folder) or the URL of a SPARQL engine.

    ``read_only``: the embedded store is opened without writing into its folder (a remote engine is
    left as it is: the registry refuses writes before they reach it).
    """
    if settings.store in ("", "embedded"):
        from .oxigraph import OxigraphStore

        return OxigraphStore(settings.graph_dir, read_only=read_only)
    from .remote import RemoteEndpoints, RemoteStore

    return RemoteStore(
        RemoteEndpoints(
            settings.store,
            settings.store_query_path,
            settings.store_update_path,
            settings.store_gsp_path,
            None if settings.store_union_param.lower() == "none" else settings.store_union_param,
            query_timeout_s=settings.sparql_timeout_s,
            engine=settings.store_engine,
        )
    )
