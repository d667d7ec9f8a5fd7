"""Resolves one sample to a representation, in modules by job:

- ``profiles``: profiles and media types as data, negotiation, ``Link`` and ``ETag`` values;
- ``rendering``: the representations (RDF, XML kernels, JSON, citations, alternates) from one graph read;
- ``reads``: what pages need besides the sample's graph (samples that name it, its history);
- ``drafts``: a draft (reserved IGSN) as its owner resolves it, from the draft table;
- ``pages``: the HTML pages (landing, alternates, not found, tombstone);
- ``cache``: rendered bodies by catalogue version (one ``RenderCache`` per app, on ``app.state``);
- ``stored``: the same bodies on disk (``representations.sqlite``), readable by every process; ``prerender``.

No HTTP here: ``api.routers.resolver`` turns a ``Choice``, ``Rendered`` or ``NotAcceptable`` into a response.
"""

from __future__ import annotations

from .cache import CacheKey, RenderCache, cacheable
from .drafts import DraftView, draft_view
from .pages import landing_page, not_found_page, tombstone_page
from .profiles import (
    DEFAULT_PROFILE,
    MEDIA_ALIASES,
    PROFILES,
    RESERVED,
    Choice,
    NotAcceptable,
    Profile,
    alternate_url,
    available_profiles,
    etag,
    link_header,
    lookup_profile,
    negotiate,
    resource_url,
)
from .reads import HistoryEntry, Related, history, related
from .rendering import (
    RDF_FORMATS,
    Rendered,
    SampleMissing,
    SampleView,
    alt_page,
    csl_of,
    datacite_json_of,
    render,
    render_alt,
    render_element,
    render_rdf,
    render_xml,
    sample_url,
    schemaorg_of,
)

__all__ = [
    "DEFAULT_PROFILE",
    "MEDIA_ALIASES",
    "PROFILES",
    "RDF_FORMATS",
    "RESERVED",
    "CacheKey",
    "Choice",
    "DraftView",
    "HistoryEntry",
    "NotAcceptable",
    "Profile",
    "Related",
    "RenderCache",
    "Rendered",
    "SampleMissing",
    "SampleView",
    "alt_page",
    "alternate_url",
    "available_profiles",
    "cacheable",
    "csl_of",
    "datacite_json_of",
    "draft_view",
    "etag",
    "history",
    "landing_page",
    "link_header",
    "lookup_profile",
    "negotiate",
    "not_found_page",
    "related",
    "render",
    "render_alt",
    "render_element",
    "render_rdf",
    "render_xml",
    "resource_url",
    "sample_url",
    "schemaorg_of",
    "tombstone_page",
]
