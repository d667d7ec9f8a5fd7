"""The handle-compatible REST API (/api/handles): HTTP ⇄ core calls, nothing more."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter()
