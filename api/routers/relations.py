"""The relations API (ancestors, descendants, related): HTTP ⇄ core calls, nothing more."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter()
