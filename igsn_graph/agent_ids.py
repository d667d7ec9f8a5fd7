"""The one IRI of a person or organisation: its resolvable identifier, whatever form a record wrote it in.

A collector with an ORCID, a curating institution with a ROR, an organisation with an ISNI or a Wikidata
item is one node across the whole graph: every sample that names it, and every registry account carrying that
identifier, points at the identifier's own IRI (``https://orcid.org/…``, ``https://ror.org/…``,
``https://isni.org/isni/…``, ``http://www.wikidata.org/entity/Q…``). We use the identifier IRI itself rather
than minting ``agent/…`` IRIs with ``owl:sameAs``: it is already the persistent, resolvable name the rest of the
web (ORCID, ROR, DataCite) uses, so a query across graphs joins without any sameAs reasoning. A name without an
identifier stays a node of its own sample. This module knows nothing of RDF.

>>> agent_iri("0000-0002-1825-0097", "ORCID")
'https://orcid.org/0000-0002-1825-0097'
>>> agent_iri("https://ror.org/04QZ1ED08", None)
'https://ror.org/04qz1ed08'
>>> agent_iri("0000 0001 2103 4996", "ISNI")
'https://isni.org/isni/0000000121034996'
>>> agent_iri("Jane Doe", None) is None
True
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["SCHEMES", "agent_iri", "any_agent_iri"]

#: identifier schemes (DataCite names) whose identifiers name one agent across records
SCHEMES = ("ORCID", "ROR", "ISNI", "Wikidata")

#: anywhere in the value: records write "orcid:…", "ORCID iD …", the URL or the bare iD
_ORCID = re.compile(r"(?i)(?<![\d-])(\d{4}-\d{4}-\d{4}-\d{3}[\dX])(?![\d-])")
_ROR = re.compile(r"(?i)^(?:https?://(?:www\.)?ror\.org/)?(0[a-z0-9]{6}\d{2})/?$")
_ISNI = re.compile(r"(?i)^(?:https?://(?:www\.)?isni\.org/isni/)?((?:\d\s?){15}[\dX])/?$")
_WIKIDATA = re.compile(r"(?i)^(?:https?://(?:www\.)?wikidata\.org/(?:entity|wiki)/)?(Q\d+)/?$")
#: written as a URL, an identifier says its scheme by its host
_BY_HOST = (("orcid.org/", "ORCID"), ("ror.org/", "ROR"), ("isni.org/", "ISNI"), ("wikidata.org/", "Wikidata"))


def _orcid(value: str) -> str | None:
    m = _ORCID.search(value)
    return "https://orcid.org/" + m.group(1).upper() if m else None


@lru_cache(maxsize=65_536)
def agent_iri(value: str, scheme: str | None) -> str | None:
    """The IRI of an agent identifier in its scheme (or, for a URL or no scheme, as its form shows), or None.

    Cached: a bulk load asks for the same few organisations and people for every sample, several times."""
    text = value.strip()
    kind = (scheme or "").strip().upper()
    if kind in ("", "URL", "URI"):
        lowered = text.lower()
        kind = next((k.upper() for host, k in _BY_HOST if host in lowered), "")
        if not kind:
            return None
    if kind == "ORCID":
        return _orcid(text)
    if kind == "ROR":
        m = _ROR.match(text)
        return "https://ror.org/" + m.group(1).lower() if m else None
    if kind == "ISNI":
        m = _ISNI.match(text)
        return "https://isni.org/isni/" + re.sub(r"\s", "", m.group(1)).upper() if m else None
    if kind == "WIKIDATA":
        m = _WIKIDATA.match(text)
        return "http://www.wikidata.org/entity/" + m.group(1).upper() if m else None
    return None


def any_agent_iri(value: str) -> str | None:
    """The IRI of an identifier given without its scheme (an API path or query), trying every scheme."""
    for scheme in (None, *SCHEMES):
        iri = agent_iri(value, scheme)
        if iri is not None:
            return iri
    return None
