"""The admin API (/api/v1/admin): HTTP ⇄ core calls, nothing more."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter()
