"""The JSON/RDF samples API (/api/v1/samples, bulk): HTTP ⇄ core calls, nothing more."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter()
