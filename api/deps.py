"""Depends providers: settings and the registry from ``app.state``."""

from __future__ import annotations

from fastapi import Request

from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings

__all__ = ["get_registry", "get_settings"]


def get_registry(request: Request) -> Registry:
    return request.app.state.registry  # type: ignore[no-any-return]


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]
