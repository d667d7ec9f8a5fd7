"""The DataCite MDS ``/doi`` resource: the ``/igsn`` operations with DataCite's body and identifier forms.

Wire contract: DataCite MDS (IGSN.md §2.10) — body ``doi=…`` newline ``url=…``; the same statuses and one-line
plain-text errors as ``/igsn`` (``api.mds_errors``), the same ``testMode``. A DOI here is an IGSN in DOI form
under a DOI prefix of the sample's owner (``10.99990/NAME``), or a handle-form IGSN (``10273/NAME``); a
bare name is not a DOI. Request and response helpers are ``api.mds_wire``'s, as ``/igsn``'s.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse, Response

from igsn_graph.dois import doi_form, parse_doi
from igsn_graph.errors import NotFound
from igsn_graph.registry.accounts import Principal

from ..auth import principal
from ..deps import get_registry
from ..mds_errors import GET_DOI_NOT_FOUND, reword_not_found
from ..mds_wire import (
    echo,
    identifier_and_url,
    location,
    matching_identifier_and_url,
    not_allowed,
    ok,
    text_body,
)
from ..testmode import test_mode

__all__ = ["router"]

router = APIRouter(tags=["DataCite MDS API"])


@router.api_route("/doi", methods=["PUT", "DELETE", "PATCH"], include_in_schema=False)
def doi_collection_not_allowed() -> None:
    not_allowed("GET, HEAD, POST")


# DataCite deletes only draft DOIs; a registered IGSN is deactivated through DELETE /metadata/{doi}
@router.api_route("/doi/{doi:path}", methods=["POST", "DELETE", "PATCH"], include_in_schema=False)
def doi_not_allowed() -> None:
    not_allowed("GET, HEAD, PUT")


@router.head("/doi", include_in_schema=False)
@router.get("/doi", summary="The caller's DOIs, one per line")
def list_dois(request: Request, who: Principal = Depends(principal)) -> Response:
    registry = get_registry(request)
    names = registry.names_of(who)
    if not names:
        return Response(status_code=204)
    return PlainTextResponse("\n".join(doi_form(registry, name) for name in names))


@router.post("/doi", status_code=201, summary="Mint a DOI or change its landing URL")
def post_doi(request: Request, who: Principal = Depends(principal), body: bytes = Depends(text_body)) -> Response:
    text, url = identifier_and_url(request, body, "doi")
    registry = get_registry(request)
    parse_doi(registry, text)
    result = registry.mint(who, text, url, test_mode=test_mode(request))
    return ok("OK", request, where=location(request, "doi", echo(result.igsn)))


@router.put("/doi/{doi:path}", status_code=201, summary="Mint or update the DOI of the path")
def put_doi(
    doi: str, request: Request, who: Principal = Depends(principal), body: bytes = Depends(text_body)
) -> Response:
    registry = get_registry(request)
    given, url = matching_identifier_and_url(request, body, "doi", parse_doi(registry, doi))
    parse_doi(registry, given)
    registry.mint(who, given, url, test_mode=test_mode(request))
    return ok("OK", request)


@router.head("/doi/{doi:path}", include_in_schema=False)
@router.get("/doi/{doi:path}", summary="The landing URL of a DOI")
def get_doi(doi: str, request: Request, who: Principal = Depends(principal)) -> Response:
    registry = get_registry(request)
    igsn = parse_doi(registry, doi)
    try:
        url = registry.landing_url(who, doi)
    except NotFound as exc:
        raise reword_not_found(exc, GET_DOI_NOT_FOUND) from None
    registry.check_doi_prefix(igsn, who)  # the sample exists: is this DOI its DOI?
    if url is None:
        return Response(status_code=204)  # known, not resolvable yet (metadata without URL)
    return PlainTextResponse(url)
