"""The MDS-compatible registration API (``/igsn``, ``/metadata``): HTTP ⇄ registry calls, nothing more.

Wire contract: IGSN.md §2 (the IGSN fork of DataCite MDS). ``/metadata`` also takes DataCite kernel-4
documents and DOI-form paths (``/metadata/10.99990/NAME``), as DataCite MDS clients send them; request and
response helpers are ``api.mds_wire``'s, shared with the DataCite ``/doi`` resource. Endpoints are plain ``def`` so that FastAPI
runs them, and the blocking core (pyoxigraph, pyshacl, scrypt), in its thread pool; only reading the
request body, which must not be buffered without limit, is ``async``.

Dependencies are resolved in parameter order: credentials first (401 before any body is read), then
the content type (415), then the body (413).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse, Response
from lxml import etree

from igsn_graph.errors import Gone, InvalidInput, NotFound
from igsn_graph.formats.kernels import XmlFormat, detect
from igsn_graph.registry.accounts import Principal
from igsn_graph.registry.service import Registry, Submission
from igsn_graph.xmlparser import parse_xml

from ..auth import principal
from ..deps import get_registry
from ..mds_errors import DELETE_METADATA_NOT_FOUND, GET_METADATA_NOT_FOUND, reword_not_found
from ..mds_wire import (
    echo,
    identifier_and_url,
    location,
    matching_identifier_and_url,
    not_allowed,
    ok,
    text_body,
    xml_body,
)
from ..testmode import test_mode

__all__ = ["router", "BULK_ENDPOINT", "register_document"]

router = APIRouter(tags=["MDS registration API"])

#: where documents holding several records go
BULK_ENDPOINT = "/api/v1/samples/bulk"


# -- /igsn ---------------------------------------------------------------------------------------
@router.api_route("/igsn", methods=["PUT", "DELETE", "PATCH"], include_in_schema=False)
def igsn_collection_not_allowed() -> None:
    not_allowed("GET, HEAD, POST")  # MDS: PUT /igsn is 405 (putRoot)


@router.api_route("/igsn/{igsn:path}", methods=["POST", "DELETE", "PATCH"], include_in_schema=False)
def igsn_not_allowed() -> None:
    not_allowed("GET, HEAD, PUT")


@router.api_route("/metadata", methods=["PUT", "DELETE", "PATCH"], include_in_schema=False)
def metadata_collection_not_allowed() -> None:
    not_allowed("GET, HEAD, POST")


@router.api_route("/metadata/{igsn:path}", methods=["PATCH"], include_in_schema=False)
def metadata_not_allowed() -> None:
    not_allowed("GET, HEAD, POST, PUT, DELETE")


@router.head("/igsn", include_in_schema=False)
@router.get("/igsn", summary="The caller's IGSNs, one per line")
def list_igsns(request: Request, who: Principal = Depends(principal)) -> Response:
    names = get_registry(request).names_of(who)
    if not names:
        return Response(status_code=204)
    return PlainTextResponse("\n".join(names))


@router.post("/igsn", status_code=201, summary="Mint an IGSN or change its landing URL")
def post_igsn(request: Request, who: Principal = Depends(principal), body: bytes = Depends(text_body)) -> Response:
    text, url = identifier_and_url(request, body, "igsn")
    result = get_registry(request).mint(who, text, url, test_mode=test_mode(request))
    return ok("OK", request, where=location(request, "igsn", echo(result.igsn)))


@router.put("/igsn/{igsn:path}", status_code=201, summary="Mint or update the IGSN of the path")
def put_igsn(
    igsn: str, request: Request, who: Principal = Depends(principal), body: bytes = Depends(text_body)
) -> Response:
    registry = get_registry(request)
    given, url = matching_identifier_and_url(request, body, "igsn", registry.parse(igsn))
    registry.mint(who, given, url, test_mode=test_mode(request))
    return ok("OK", request)


@router.head("/igsn/{igsn:path}", include_in_schema=False)
@router.get("/igsn/{igsn:path}", summary="The landing URL of an IGSN")
def get_igsn(igsn: str, request: Request, who: Principal = Depends(principal)) -> Response:
    url = get_registry(request).landing_url(who, igsn)
    if url is None:
        return Response(status_code=204)  # known, not resolvable yet (metadata without URL)
    return PlainTextResponse(url)


# -- /metadata -----------------------------------------------------------------------------------
def _written_igsn(root: etree._Element, fmt: XmlFormat) -> str | None:
    """The IGSN text of the document's (first) record, as written; None when there is none (or when the format
    table gives no identifier element for the format: its reader finds it, or refuses the record)."""
    el = fmt.identifier(root) if fmt.identifier is not None else None
    text = (el.text or "").strip() if el is not None else ""
    return text or None


def register_document(request: Request, who: Principal, body: bytes, path_igsn: str | None) -> Response:
    """``POST /metadata`` (``path_igsn`` None) and ``PUT /metadata/{igsn}``: one record registered, the MDS answer
    (also ``mds_fast.FastPath``'s, which calls it for cached credentials)."""
    registry = get_registry(request)
    target = registry.parse(path_igsn) if path_igsn is not None else None
    if not body.strip():
        raise InvalidInput("request body must not be empty")
    root = parse_xml(body, max_bytes=registry.settings.max_body_bytes)
    fmt = detect(root)
    count = len(fmt.record_elements(root))
    if count > 1:
        raise InvalidInput(
            f"the document holds {count} records; /metadata takes one record per request, "
            f"send documents with several records to {BULK_ENDPOINT}"
        )
    written = _written_igsn(root, fmt)
    if count == 0 or (written is None and fmt.identifier is not None):
        raise InvalidInput("failed to retrieve IGSN from xml")
    igsn = registry.parse(written) if written is not None else None
    [record] = fmt.read(root)
    if igsn is None:  # a format without a listed identifier element: the IGSN its reader found
        igsn = registry.parse(record.igsn)
    if target is not None and target.name != record.igsn:
        raise InvalidInput("IGSN does not match")
    shown = echo(target if target is not None else igsn)
    [outcome] = registry.register(who, [Submission(record, fmt.name, body)], test_mode=test_mode(request), strict=True)
    # MDS answers one line; what was accepted off-form or not mapped follows it, a line each
    lines = [f"OK ({shown})"] + [f"warning: {w}" for w in outcome.warnings]
    return ok("\n".join(lines), request, where=location(request, "metadata", shown))


@router.head("/metadata", include_in_schema=False)
@router.get("/metadata", summary="Nothing to list (MDS: 204)")
def list_metadata(who: Principal = Depends(principal)) -> Response:
    return Response(status_code=204)


@router.post("/metadata", status_code=201, summary="Register one record (kernel XML); the IGSN is read from it")
def post_metadata(request: Request, who: Principal = Depends(principal), body: bytes = Depends(xml_body)) -> Response:
    return register_document(request, who, body, None)


@router.post("/metadata/{igsn:path}", status_code=201, include_in_schema=False)
@router.put("/metadata/{igsn:path}", status_code=201, summary="Register one record for the IGSN of the path")
def put_metadata(
    igsn: str, request: Request, who: Principal = Depends(principal), body: bytes = Depends(xml_body)
) -> Response:
    return register_document(request, who, body, igsn)


@router.head("/metadata/{igsn:path}", include_in_schema=False)
@router.get("/metadata/{igsn:path}", summary="The latest submitted document, verbatim")
def get_metadata(igsn: str, request: Request, who: Principal = Depends(principal)) -> Response:
    try:
        version = get_registry(request).metadata_document(who, igsn)
    except NotFound as exc:
        raise reword_not_found(exc, GET_METADATA_NOT_FOUND) from None
    return Response(version.document or b"", media_type="application/xml")


@router.delete("/metadata/{igsn:path}", summary="Mark the sample inactive (posting metadata reactivates)")
def delete_metadata(igsn: str, request: Request, who: Principal = Depends(principal)) -> Response:
    registry: Registry = get_registry(request)
    # existence, ownership and metadata first (the MDS order), without changing anything
    try:
        registry.metadata_document(who, igsn)
    except NotFound as exc:
        raise reword_not_found(exc, DELETE_METADATA_NOT_FOUND) from None
    except Gone:
        return ok("OK", request, status=200)  # inactive already: deleting again changes nothing
    if not test_mode(request):
        registry.deactivate(who, igsn)
    return ok("OK", request, status=200)
