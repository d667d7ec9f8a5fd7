"""The MDS wire format the ``/igsn``, ``/metadata`` and DataCite ``/doi`` routers share: their bodies, the
identifier forms they echo, their one-line answers (IGSN.md §2). Errors are ``api.mds_errors``'.

Bodies go through ``api.bodies`` (one Content-Type parser, one text check); ``testMode`` is ``api.testmode``'s.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import PlainTextResponse

from igsn_graph.errors import InvalidInput
from igsn_graph.identifiers import Igsn

from .bodies import CONTROLS, ContentType, content_type, read_body, text_of
from .deps import get_registry
from .mds_errors import MdsRefusal, with_test_mode
from .testmode import test_mode
from .urls import public_base

__all__ = [
    "text_body",
    "xml_body",
    "parse_text_body",
    "identifier_and_url",
    "matching_identifier_and_url",
    "echo",
    "location",
    "ok",
    "not_allowed",
]

_FORM = "application/x-www-form-urlencoded"
_TEXT_TYPES = ("text/plain", _FORM)
_LINES = re.compile(r"\r\n|\r|\n")


def _check_charset(given: ContentType) -> None:
    if not given.utf8:
        raise MdsRefusal(415, f"charset {given.charset} is not supported: send UTF-8")


async def text_body(request: Request) -> bytes:
    """Body of ``/igsn`` and ``/doi`` writes: ``text/plain`` (or form-encoded, or untyped), UTF-8."""
    given = content_type(request)
    if given.media_type is not None and given.media_type not in _TEXT_TYPES:
        raise MdsRefusal(415, f"Content-Type {given.media_type} is not supported: send text/plain or {_FORM}")
    _check_charset(given)
    return await read_body(request)


async def xml_body(request: Request) -> bytes:
    """Body of ``/metadata`` writes: XML (``application/xml``, ``text/xml``, ``…+xml``) or untyped."""
    given = content_type(request)
    if given.media_type is not None and not given.xml:
        raise MdsRefusal(415, f"Content-Type {given.media_type} is not supported: send application/xml")
    _check_charset(given)
    return await read_body(request)


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
    text = text_of(body)
    # curl -H form … --data-binary "igsn=…\nurl=…" is common: raw line breaks mean the line format
    if media == _FORM and not _LINES.search(text):
        try:
            form = parse_qs(text, keep_blank_values=True, strict_parsing=False, errors="strict", max_num_fields=100)
        except (ValueError, UnicodeDecodeError):
            raise InvalidInput("malformed form-encoded body") from None
        params = {k: v[-1] for k, v in form.items()}
        for value in params.values():
            bad = CONTROLS.search(value) or _LINES.search(value)
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
    params = parse_text_body(body, content_type(request).media_type)
    return _required(params, key), _required(params, "url")


def matching_identifier_and_url(request: Request, body: bytes, key: str, target: Igsn) -> tuple[str, str]:
    """The same for ``PUT /{collection}/{id}``: the body's identifier must name the path's sample."""
    params = parse_text_body(body, content_type(request).media_type)
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
    return f"{public_base(request)}{collection}/{written}"


def ok(message: str, request: Request, *, status: int = 201, where: str | None = None) -> PlainTextResponse:
    headers = {"Location": where} if where else None
    return PlainTextResponse(with_test_mode(message, test_mode(request)), status_code=status, headers=headers)


def not_allowed(allow: str) -> None:
    raise MdsRefusal(405, "Method Not Allowed", {"Allow": allow})
