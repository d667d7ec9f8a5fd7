"""The DataCite MDS-compatible /doi API: HTTP ⇄ core calls, nothing more."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter()
