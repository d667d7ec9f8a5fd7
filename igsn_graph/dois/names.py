"""The written forms of a DOI: read (a DOI under a DOI prefix registered here, or the IGSN as a handle) and written
(the registered DOI, else the handle)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InvalidInput
from ..identifiers import HANDLE_PREFIX, Igsn

if TYPE_CHECKING:
    from ..registry.service import Registry

__all__ = ["doi_form", "parse_doi", "written_doi"]


def parse_doi(registry: Registry, text: str) -> Igsn:
    """A DOI of the path or body: an IGSN in DOI or handle form (a DOI prefix must be registered here)."""
    igsn = registry.parse(text)
    if igsn.doi_prefix is None and igsn.handle_prefix is None:
        raise InvalidInput(
            f"malformed DOI {text!r}: give 10.NNNN/NAME under your DOI prefix, "
            f"or the IGSN as a handle ({HANDLE_PREFIX}/NAME)"
        )
    return igsn


def written_doi(name: str, doi: str | None) -> str:
    """How a sample is named as a DOI: its registered DOI, else its handle."""
    return doi or f"{HANDLE_PREFIX}/{name}"


def doi_form(registry: Registry, name: str) -> str:
    """How ``GET /doi`` lists a sample: its registered DOI, else its handle."""
    facts = registry.facts(name)
    return written_doi(name, facts.doi if facts is not None else None)
