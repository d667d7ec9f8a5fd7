"""Depends providers: settings and the registry from ``app.state``, and objects made once per app."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from fastapi import Request

from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
from igsn_graph.sparql_workers import QueryPool

__all__ = ["get_registry", "get_settings", "per_app", "sparql_pool"]

T = TypeVar("T")
_PER_APP_LOCK = threading.Lock()


def get_registry(request: Request) -> Registry:
    registry: Registry = request.app.state.registry  # Starlette's app state is untyped
    return registry


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings  # Starlette's app state is untyped
    return settings


def per_app(request: Request, name: str, make: Callable[[Settings], T]) -> T:
    """``app.state.<name>``, made from the app's settings on first use (once, however many requests race)."""
    state = request.app.state
    made: T | None = getattr(state, name, None)
    if made is None:
        with _PER_APP_LOCK:
            made = getattr(state, name, None)
            if made is None:
                made = make(state.settings)
                setattr(state, name, made)
    return made


def sparql_pool(request: Request) -> QueryPool | None:
    """The app's SPARQL query workers, if a query was asked for (``/health`` reads their saturation)."""
    pool: QueryPool | None = getattr(request.app.state, "sparql_executor", None)
    return pool
