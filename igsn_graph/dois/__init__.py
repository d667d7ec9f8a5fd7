"""DOIs as the DataCite REST API models them, over the registry: a DOI is an IGSN in DOI form under a DOI prefix
of its owner (or in handle form). ``names`` reads the written forms; ``resources`` maps a DOI (draft, registered or
findable), its activities, the DOI prefixes and a client to JSON:API resource objects, and lists the DOIs a caller
may see; ``writes`` creates, updates and deletes them, moving a DOI through its states (``registry.lifecycle``):
no ``event`` keeps a new DOI a ``draft``, ``register`` makes it ``registered`` (private), ``publish``
``findable`` (public), ``hide`` turns a findable DOI back into a registered one. Refusals particular to this
model are ``Unprocessable`` (the DOI's state or the rules refuse a well-formed request) and ``DraftsOnly``; the
web layer (``api.routers.dois``) answers them as JSON:API error objects."""

from __future__ import annotations

from .errors import DraftsOnly, Unprocessable
from .names import doi_form, parse_doi

__all__ = ["DraftsOnly", "Unprocessable", "doi_form", "parse_doi"]
