"""Refusals of the DOI model that no core error expresses (``api.routers.dois`` answers them as JSON:API errors)."""

from __future__ import annotations

from ..errors import IgsnGraphError

__all__ = ["DraftsOnly", "Unprocessable"]


class Unprocessable(IgsnGraphError):
    """A well-formed request that the DOI's state or the rules refuse (DataCite answers 422); nothing was changed.
    ``data["pointer"]``: where in the request (a JSON pointer), when one part is to blame."""


class DraftsOnly(IgsnGraphError):
    """Only a draft DOI can be deleted (DataCite answers 405)."""
