"""The MDS-compatible registration API (``/igsn``, ``/metadata``): HTTP ⇄ registry calls, nothing more.

Wire contract: IGSN.md §2 (the IGSN fork of DataCite MDS). ``/metadata`` also takes DataCite kernel-4
documents and DOI-form paths (``/metadata/10.99990/NAME``), as DataCite MDS clients send them; the
DataCite ``/doi`` resource (``api.routers.doi``) shares this module's request and response helpers. Endpoints are plain ``def`` so that FastAPI
runs them, and the blocking core (pyoxigraph, pyshacl, scrypt), in its thread pool; only reading the
request body, which must not be buffered without limit, is ``async``.

Dependencies are resolved in parameter order: credentials first (401 before any body is read), then
the content type (415), then the body (413).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse, Response
from lxml import etree

from igsn_graph.errors import Gone, InvalidInput, NotFound
from igsn_graph.formats.kernels import XmlFormat, detect
from igsn_graph.identifiers import Igsn
from igsn_graph.registry.accounts import Principal
from igsn_graph.registry.service import Registry, Submission
from igsn_graph.xmlparser import parse_xml

from .. import limits, testmode
from ..auth import principal
from ..deps import get_registry
from ..mds_errors import DELETE_METADATA_NOT_FOUND, GET_METADATA_NOT_FOUND, MdsRefusal, reword_not_found, with_test_mode

__all__ = [
    "router",
    "BULK_ENDPOINT",
    "read_body",
    "text_body",
    "xml_body",
    "parse_text_body",
    "echo",
    "test_mode",
    "media_type",
    "identifier_and_url",
    "matching_identifier_and_url",
    "location",
    "ok",
    "not_allowed",
]

router = APIRouter(tags=["MDS registration API"])

#: where documents holding several records go
BULK_ENDPOINT = "/api/v1/samples/bulk"

_TEXT_TYPES = ("text/plain", "application/x-www-form-urlencoded")
_FORM = "application/x-www-form-urlencoded"
# C0 and C1 controls but TAB, LF and CR, which the line format uses
_BODY_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINES = re.compile(r"\r\n|\r|\n")


# -- request parts -------------------------------------------------------------------------------
def test_mode(request: Request) -> bool:
    """``testMode`` by the one rule of every write API (``api.testmode``): an unknown value is a 400, never a write."""
    return testmode.test_mode(request)


def media_type(request: Request) -> tuple[str | None, str | None]:
    """(media type, charset) of the request, lower-cased; (None, None) when absent."""
    header = request.headers.get("content-type")
    if header is None or not header.strip():
        return None, None
    parts = [p.strip() for p in header.split(";")]
    charset = None
    for p in parts[1:]:
        key, _, value = p.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return parts[0].lower(), charset


def _check_charset(charset: str | None) -> None:
    if charset is not None and charset not in ("utf-8", "utf8"):
        raise MdsRefusal(415, f"charset {charset} is not supported: send UTF-8")


async def read_body(request: Request) -> bytes:
    """The request body, read chunk by chunk and refused (413) as soon as it exceeds the limit."""
    return await limits.read_body(request)


async def text_body(request: Request) -> bytes:
    """Body of ``/igsn`` writes: ``text/plain`` (or form-encoded, or untyped), UTF-8."""
    media, charset = media_type(request)
    if media is not None and media not in _TEXT_TYPES:
        raise MdsRefusal(415, f"Content-Type {media} is not supported: send text/plain or {_FORM}")
    _check_charset(charset)
    return await read_body(request)


async def xml_body(request: Request) -> bytes:
    """Body of ``/metadata`` writes: XML (``application/xml``, ``text/xml``, ``…+xml``) or untyped."""
    media, charset = media_type(request)
    if media is not None and media not in ("application/xml", "text/xml") and not media.endswith("+xml"):
        raise MdsRefusal(415, f"Content-Type {media} is not supported: send application/xml")
    _check_charset(charset)
    return await read_body(request)


def _decode(body: bytes) -> str:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"request body is not valid UTF-8 (byte {exc.start})") from None
    bad = _BODY_CONTROLS.search(text)
    if bad:
        raise InvalidInput(f"request body must not contain control characters (U+{ord(bad.group()):04X})")
    return text.removeprefix("\ufeff")


def _properties(text: str) -> dict[str, str]:
    """Java ``Properties``-style lines: ``key=value`` (or ``key:value``), ``#``/``!`` comments.

    As in Java, whitespace before the key and around the separator is dropped, trailing whitespace is
    kept (so ``igsn=ABC `` gets ``IGSN must not contain any spaces``); a repeated key: the last wins.
    Backslash escapes and continuation lines are not interpreted.
    """
    out: dict[str, str] = {}
    for line in _LINES.split(text):
        line = line.lstrip(" \t\f")
        if not line or line[0] in "#!":
            continue
        cut = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
        if cut < 0:
            continue
        out[line[:cut].strip()] = line[cut + 1 :].lstrip(" \t\f")
    return out


def parse_text_body(body: bytes, media: str | None) -> dict[str, str]:
    """``igsn``/``url`` parameters of a ``/igsn`` body (line format, or form encoding)."""
    text = _decode(body)
    # curl -H form … --data-binary "igsn=…\nurl=…" is common: raw line breaks mean the line format
    if media == _FORM and not _LINES.search(text):
        try:
            form = parse_qs(text, keep_blank_values=True, strict_parsing=False, errors="strict", max_num_fields=100)
        except (ValueError, UnicodeDecodeError):
            raise InvalidInput("malformed form-encoded body") from None
        params = {k: v[-1] for k, v in form.items()}
        for value in params.values():
            bad = _BODY_CONTROLS.search(value) or _LINES.search(value)
            if bad:
                raise InvalidInput(f"request body must not contain control characters (U+{ord(bad.group()[0]):04X})")
        return params
    return _properties(text)


def _required(params: dict[str, str], key: str) -> str:
    value = params.get(key)
    if not value:
        raise InvalidInput(f"param '{key}' required")
    return value


def identifier_and_url(request: Request, body: bytes, key: str) -> tuple[str, str]:
    """The identifier (parameter ``key``: ``igsn`` or ``doi``) and ``url`` of a create-or-update body."""
    params = parse_text_body(body, media_type(request)[0])
    return _required(params, key), _required(params, "url")


def matching_identifier_and_url(request: Request, body: bytes, key: str, target: Igsn) -> tuple[str, str]:
    """The same for ``PUT /{collection}/{id}``: the body's identifier must name the path's sample."""
    params = parse_text_body(body, media_type(request)[0])
    given = params.get(key)
    # as in the MDS, the match is checked before the required parameters
    if not given or get_registry(request).parse(given).name != target.name:
        raise InvalidInput(f"{key} parameter does not match {key} of resource")
    return given, _required(params, "url")


def echo(igsn: Igsn) -> str:
    """The IGSN as the client wrote it, upper-cased: handle (``10273/NAME``), DOI or bare name."""
    if igsn.handle_prefix:
        return f"{igsn.handle_prefix}/{igsn.name}"
    if igsn.doi_prefix:
        return f"{igsn.doi_prefix}/{igsn.name}"
    return igsn.name


def location(request: Request, collection: str, written: str) -> str:
    base = request.app.state.settings.public_url or str(request.base_url)
    return f"{base.rstrip('/')}/{collection}/{written}"


def ok(message: str, request: Request, *, status: int = 201, where: str | None = None) -> PlainTextResponse:
    headers = {"Location": where} if where else None
    return PlainTextResponse(with_test_mode(message, test_mode(request)), status_code=status, headers=headers)


def not_allowed(allow: str) -> None:
    raise MdsRefusal(405, "Method Not Allowed", {"Allow": allow})


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


def _register_document(request: Request, who: Principal, body: bytes, path_igsn: str | None) -> Response:
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
    return _register_document(request, who, body, None)


@router.post("/metadata/{igsn:path}", status_code=201, include_in_schema=False)
@router.put("/metadata/{igsn:path}", status_code=201, summary="Register one record for the IGSN of the path")
def put_metadata(
    igsn: str, request: Request, who: Principal = Depends(principal), body: bytes = Depends(xml_body)
) -> Response:
    return _register_document(request, who, body, igsn)


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
