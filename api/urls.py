"""Where things are on this deployment, per request: the public base URL and a sample's API links.

Only what is about the deployment uses the public URL (documents name samples by their persistent IRIs).
"""

from __future__ import annotations

from fastapi import Request

__all__ = ["public_base", "sample_links"]


def public_base(request: Request) -> str:
    """The public URL of this service (``IGSN_GRAPH_PUBLIC_URL``, else the request's base), ending in ``/``."""
    url = request.app.state.settings.public_url or str(request.base_url)
    return url if url.endswith("/") else url + "/"


def sample_links(base: str, igsn: str) -> dict[str, str]:
    """Where a sample is: its JSON record, its resolver (landing page by content negotiation), its relations."""
    return {
        "self": f"{base}api/v1/samples/{igsn}",
        "landing": f"{base}{igsn}",
        "related": f"{base}api/v1/samples/{igsn}/related",
    }
