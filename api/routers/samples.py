"""The JSON/RDF samples API (/api/v1/samples, bulk): HTTP ⇄ core calls, nothing more.

Bodies are JSON-LD, Turtle, N-Triples, N-Quads, TriG or any XML kernel we read, chosen by
``Content-Type``; reads give the sample's graph in the RDF syntax ``Accept`` asks for (Turtle by
default). Every error is RFC 9457 problem+json (``api.errors``).

A sample path takes the bare name or any written form with slashes (``10273/NAME``); paths ending in
``/ancestors``, ``/descendants`` or ``/related`` are never sample paths (the relations API's).

ETags name the sample's catalogue version (``"VERSION-…"``, the resolver's tags); ``If-Match`` on PUT and
DELETE is checked under the registry's write lock, so a stale write gets 412 and changes nothing.
Concurrent writes are serialised by that lock and each is kept in the history.

Endpoints are plain ``def`` (FastAPI runs them in its thread pool); only reading the body is ``async``.
Dependencies run in parameter order: credentials (401), content type (415), body (413).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.convertors import Convertor, register_url_convertor

from igsn_graph import conneg, resolver
from igsn_graph.errors import Conflict, InvalidInput, NotFound
from igsn_graph.formats import graph as graphmap
from igsn_graph.formats import jsontext
from igsn_graph.formats.rdf import own_context_urls
from igsn_graph.formats.table import RDF_MEDIA_TYPES, XML_MEDIA_TYPES
from igsn_graph.loader import DocumentInput, apply_deletions, read_document, read_input
from igsn_graph.registry import lifecycle
from igsn_graph.registry.accounts import Principal
from igsn_graph.registry.service import Outcome, Precondition, PreconditionFailed, Registry, Submission

from ..auth import optional_principal, principal
from ..bodies import content_type, read_body, text_of
from ..deps import get_registry
from ..errors import ApiProblem, ViolationModel, problem_responses, violation_json
from ..testmode import test_mode

__all__ = ["router", "PREFIX", "RELATION_SUFFIXES", "INPUT_TYPES", "SampleWritten", "BulkResult"]

PREFIX = "/api/v1/samples"
#: sub-resources of a sample served by the relations API, never part of a sample name
RELATION_SUFFIXES = ("ancestors", "descendants", "related")


class _SamplePath(Convertor[str]):
    """A sample's written form (slashes allowed) that does not end in a relations sub-resource."""

    # any character, line breaks included (a malformed name is the handler's 400, not a routing 404)
    regex = r"[\s\S]+" + "".join(f"(?<!/{s})" for s in RELATION_SUFFIXES)

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("sample", _SamplePath())

router = APIRouter(prefix=PREFIX, tags=["samples"])

#: request media types → the RDF media type read_rdf takes (None: XML, any kernel), from the format table
INPUT_TYPES: dict[str, str | None] = {
    **{media_type: syntax.media_type for media_type, syntax in RDF_MEDIA_TYPES.items()},
    **dict.fromkeys(XML_MEDIA_TYPES),
}
#: what a read can be given as: the canonical RDF types (Turtle first: the default), then their aliases
_OUTPUT = list(resolver.RDF_FORMATS) + [a for a, c in resolver.MEDIA_ALIASES.items() if c in resolver.RDF_FORMATS]
_RDF_PROFILE = resolver.PROFILES["ig"]
_JSON = "application/ld+json"
#: charsets a JSON body may name (RFC 8259 defines none; the reader detects the encoding from the bytes)
_JSON_CHARSETS = frozenset({"utf-16", "utf-16le", "utf-16be", "utf-32", "utf-32le", "utf-32be"})
_ETAG = re.compile(r'"(\d+)(?:-[0-9a-f]+)?"')


# -- models (the OpenAPI document's response schemas) --------------------------------------------
class SampleWritten(BaseModel):
    """The result of a write of one sample."""

    igsn: str
    status: Literal["created", "updated", "deactivated"]
    #: the catalogue version now current (in test mode: the one that would be)
    version: int | None = None
    testMode: bool = False
    stored: bool = True
    message: str
    #: what was accepted off-form, and "not mapped: …" for what the graph does not say (the document is kept)
    warnings: list[str] = []


class BulkRecord(BaseModel):
    index: int
    igsn: str
    #: failed: not stored because writing its batch failed (the records of earlier batches are stored)
    status: Literal["created", "updated", "invalid", "refused", "failed"]
    violations: list[ViolationModel] = []
    #: for a stored record: what was accepted off-form or not mapped
    warnings: list[str] = []


class BulkCounts(BaseModel):
    records: int
    created: int
    updated: int
    invalid: int
    refused: int
    #: records not stored because writing their batch failed (present only when some did)
    failed: int | None = None
    stored: int


class BulkDeletion(BaseModel):
    """A record an OAI-PMH response in the body reports deleted: ``deactivated`` here, ``inactive`` already,
    ``unknown`` (not registered here) or ``failed`` (with the reason)."""

    igsn: str
    status: Literal["deactivated", "inactive", "unknown", "failed"]
    reason: str | None = None


class BulkResult(BaseModel):
    testMode: bool
    counts: BulkCounts
    results: list[BulkRecord]
    #: only for an OAI-PMH response that reports deleted records, applied after its records, in order
    deleted: list[BulkDeletion] | None = None


def _request_body(bulk: bool) -> dict[str, Any]:
    text = {"schema": {"type": "string"}}
    what = "records" if bulk else "one record"
    return {
        "requestBody": {
            "required": True,
            "description": f"{what} as JSON-LD, RDF or an XML kernel document",
            "content": {
                "application/ld+json": {"schema": {"type": "object"}},
                **{t: text for t in INPUT_TYPES if t not in ("application/ld+json", "application/json")},
            },
        }
    }


_TEST_MODE = {
    "parameters": [
        {
            "name": "testMode",
            "in": "query",
            "required": False,
            "schema": {"type": "boolean"},
            "description": "validate only: nothing is stored",
        }
    ]
}
_WRITE_PROBLEMS = problem_responses(400, 401, 403, 409, 412, 413, 415, 503)


# -- request parts -------------------------------------------------------------------------------
def _input_type(request: Request) -> str | None:
    """The RDF media type of the body, or None for XML; 415 for anything else."""
    given = content_type(request)
    media = given.media_type or ""
    if not given.utf8 and not (INPUT_TYPES.get(media) == _JSON and given.charset in _JSON_CHARSETS):
        raise ApiProblem(415, f"charset {given.charset} is not supported: send UTF-8")
    if media in INPUT_TYPES:
        return INPUT_TYPES[media]
    if given.xml:
        return None
    accepted = ", ".join(INPUT_TYPES)
    raise ApiProblem(
        415,
        f"Content-Type {media or '(none)'} is not supported; send one of {accepted}",
        headers={"Accept-Post": accepted},
    )


class Document:
    """A request body and how to read it; ``context_urls``: where this deployment publishes our JSON-LD context."""

    def __init__(self, data: bytes, rdf_type: str | None, context_urls: tuple[str, ...] = ()) -> None:
        self.data = data
        self.rdf_type = rdf_type
        self.context_urls = context_urls

    def _checked(self) -> None:
        if not self.data.strip():
            raise InvalidInput("request body must not be empty")
        # JSON may be UTF-16 or UTF-32 (RFC 4627 §3): the text checks read it as UTF-8, the reader as sent
        text_of(jsontext.utf8(self.data) if self.rdf_type == _JSON else self.data)

    def submissions(self) -> list[Submission]:
        """The records; a document that reports deleted records is refused (only bulk applies deletions)."""
        self._checked()
        return read_document(self.data, self.rdf_type, context_urls=self.context_urls)

    def input(self) -> DocumentInput:
        """The records and the deletions an OAI-PMH response reports (for bulk)."""
        self._checked()
        return read_input(self.data, self.rdf_type, context_urls=self.context_urls)


async def document(request: Request) -> Document:
    rdf_type = _input_type(request)
    data = await read_body(request)  # api.limits: 413/408 in the surface's form, as every body reader
    settings = request.app.state.settings
    return Document(
        data, rdf_type, own_context_urls(settings.public_url or str(request.base_url), get_registry(request).iris.base)
    )


def _precondition(request: Request, *, create: bool = False) -> Precondition | None:
    """``If-Match`` / ``If-None-Match: *`` as the state the write expects (None: unconditional)."""
    if_match = request.headers.get("if-match")
    if if_match is not None:
        tags = [t.strip() for t in if_match.split(",") if t.strip()]
        if "*" in tags:
            return Precondition(exists=True)
        # strong comparison (RFC 9110 §13.1.1): a weak or foreign tag matches no version
        versions = {int(m.group(1)) if (m := _ETAG.fullmatch(t)) else -1 for t in tags}
        return Precondition(versions=frozenset(versions))
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and if_none_match.strip() == "*":
        return Precondition(exists=False)
    return Precondition(exists=False) if create else None


def _etag(version: int, media_type: str = "text/turtle") -> str:
    return resolver.etag(version, resolver.Choice(_RDF_PROFILE, media_type))


def _location(request: Request, name: str) -> str:
    base = request.app.state.settings.public_url or str(request.base_url)
    return f"{base.rstrip('/')}{PREFIX}/{resolver.resource_url('', name)}"


def _one(doc: Document) -> Submission:
    subs = doc.submissions()
    if len(subs) != 1:
        raise InvalidInput(
            f"the document holds {len(subs)} records; send one record per request, or several to {PREFIX}/bulk"
        )
    return subs[0]


def _written(
    request: Request, outcome: Outcome, status: Literal["created", "updated", "deactivated"], *, code: int
) -> JSONResponse:
    test = test_mode(request)
    body = SampleWritten(
        igsn=outcome.igsn,
        status=status,
        version=outcome.version,
        testMode=test,
        stored=not test,
        message=f"test mode: valid, nothing stored ({status} if sent without testMode)"
        if test
        else f"{outcome.igsn} {status}",
        warnings=outcome.warnings,
    )
    headers = {"Location": _location(request, outcome.igsn)} if code == 201 and not test else {}
    if outcome.version is not None and not test:
        headers["ETag"] = _etag(outcome.version)
    return JSONResponse(body.model_dump(), status_code=200 if test else code, headers=headers)


# -- one sample ----------------------------------------------------------------------------------
@router.post(
    "",
    status_code=201,
    response_model=SampleWritten,
    summary="Register a new sample (IGSN from the body)",
    responses={200: {"description": "test mode: valid, nothing stored", "model": SampleWritten}, **_WRITE_PROBLEMS},
    openapi_extra={**_request_body(False), **_TEST_MODE},
)
def create_sample(request: Request, who: Principal = Depends(principal), doc: Document = Depends(document)) -> Response:
    sub = _one(doc)
    registry: Registry = get_registry(request)
    try:
        [outcome] = registry.register(
            who, [sub], test_mode=test_mode(request), strict=True, expected=_precondition(request, create=True)
        )
    except PreconditionFailed as exc:
        if request.headers.get("if-match") is not None or request.headers.get("if-none-match") is not None:
            raise
        raise Conflict(
            f"{exc.igsn} is registered already; PUT {PREFIX}/{exc.igsn} replaces it", igsn=exc.igsn
        ) from None
    return _written(request, outcome, "created", code=201)


@router.put(
    "/{igsn:sample}",
    response_model=SampleWritten,
    summary="Create or replace the sample of the path",
    responses={201: {"description": "created", "model": SampleWritten}, **_WRITE_PROBLEMS},
    openapi_extra={**_request_body(False), **_TEST_MODE},
)
def replace_sample(
    igsn: str, request: Request, who: Principal = Depends(principal), doc: Document = Depends(document)
) -> Response:
    registry: Registry = get_registry(request)
    target = registry.parse(igsn)
    sub = _one(doc)
    if sub.record.igsn != target.name:
        raise InvalidInput(f"the body describes {sub.record.igsn}, the path names {target.name}", igsn=target.name)
    [outcome] = registry.register(
        who, [sub], test_mode=test_mode(request), strict=True, expected=_precondition(request)
    )
    return _written(request, outcome, "created" if outcome.created else "updated", code=201 if outcome.created else 200)


@router.delete(
    "/{igsn:sample}",
    response_model=SampleWritten,
    summary="Deactivate the sample (it resolves to 410; registering it again reactivates it)",
    responses=problem_responses(400, 401, 403, 404, 412, 503),
    openapi_extra=_TEST_MODE,
)
def deactivate_sample(igsn: str, request: Request, who: Principal = Depends(principal)) -> Response:
    registry: Registry = get_registry(request)
    name = registry.parse(igsn).name
    test = test_mode(request)
    facts = registry.facts(name)
    if facts is not None and not facts.active and registry.row(name) is not None:
        registry.deactivate(who, name, expected=_precondition(request), test_mode=True)  # ownership, If-Match
        message = f"{name} is inactive already"
    else:
        registry.deactivate(who, name, expected=_precondition(request), test_mode=test)
        message = "test mode: nothing changed" if test else f"{name} deactivated"
    row = registry.row(name)
    version = row.version if row is not None else None
    body = SampleWritten(
        igsn=name, status="deactivated", version=version, testMode=test, stored=not test, message=message
    )
    headers = {"ETag": _etag(version)} if version is not None else {}
    return JSONResponse(body.model_dump(), headers=headers)


_RDF_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the sample's graph",
        "content": {t: {"schema": {"type": "string"}} for t in resolver.RDF_FORMATS},
    },
    **problem_responses(400, 401, 404, 406, 410, 503),
}


@router.get(
    "/{igsn:sample}",
    summary="The sample's graph in the RDF syntax of Accept (Turtle by default)",
    responses=_RDF_RESPONSES,
    response_class=Response,
)
def read_sample(igsn: str, request: Request, who: Principal | None = Depends(optional_principal)) -> Response:
    registry: Registry = get_registry(request)
    name = registry.parse(igsn).name
    if registry.row(name) is None:
        return _read_draft(registry, request, who, name)
    # others see what the resolver shows: nothing of an inactive or private sample (the registry's one rule)
    seen = registry.visible(name, who)
    chosen = conneg.choose(request.headers.get("accept"), _OUTPUT)
    if chosen is None:
        raise ApiProblem(
            406, f"none of the media types in Accept is available; offered: {', '.join(resolver.RDF_FORMATS)}"
        )
    media_type = resolver.MEDIA_ALIASES.get(chosen, chosen)
    row, owner, triples = seen.row, seen.owner, seen.triples
    body = resolver.render_rdf(triples, registry.iris.record_graph(name), media_type)
    headers = {
        "ETag": _etag(row.version, media_type),
        "Vary": "Accept, Authorization",
        "Cache-Control": "private, no-cache" if owner else "no-cache",
    }
    if media_type.startswith("text/"):
        media_type += "; charset=utf-8"
    return Response(body, media_type=media_type, headers=headers)


def _read_draft(registry: Registry, request: Request, who: Principal | None, name: str) -> Response:
    """A reserved IGSN (a DataCite draft): its partial description, to its owner only; NotFound for anyone else."""
    draft = registry.draft_for(name, who)
    if draft is None:
        raise NotFound("IGSN not found", igsn=name)
    chosen = conneg.choose(request.headers.get("accept"), _OUTPUT)
    if chosen is None:
        raise ApiProblem(
            406, f"none of the media types in Accept is available; offered: {', '.join(resolver.RDF_FORMATS)}"
        )
    media_type = resolver.MEDIA_ALIASES.get(chosen, chosen)
    record = lifecycle.description(draft, max_bytes=registry.settings.max_body_bytes)
    triples = graphmap.record_triples(record, registry.iris)
    body = resolver.render_rdf(triples, registry.iris.record_graph(name), media_type)
    headers = {"Vary": "Accept, Authorization", "Cache-Control": "private, no-store"}
    if media_type.startswith("text/"):
        media_type += "; charset=utf-8"
    return Response(body, media_type=media_type, headers=headers)


# -- bulk ----------------------------------------------------------------------------------------
def _bulk_record(o: Outcome) -> BulkRecord:
    status: Literal["created", "updated", "invalid", "refused", "failed"]
    if o.ok:
        status = "created" if o.created else "updated"
    else:
        status = "failed" if o.failed else "refused" if o.refused else "invalid"
    violations = [violation_json(v) for v in o.violations] or [violation_json(r) for r in o.reasons]
    return BulkRecord(
        index=o.index,
        igsn=o.igsn,
        status=status,
        violations=[ViolationModel(**v) for v in violations],
        warnings=o.warnings,
    )


@router.post(
    "/bulk",
    response_model=BulkResult,
    summary="Register many records at once: validated as a batch, the valid ones stored, a result per record",
    responses=problem_responses(400, 401, 413, 415, 503),
    openapi_extra={**_request_body(True), **_TEST_MODE},
)
def bulk(request: Request, who: Principal = Depends(principal), doc: Document = Depends(document)) -> Response:
    registry: Registry = get_registry(request)
    given = doc.input()
    subs = given.submissions
    test = test_mode(request)
    outcomes = [o for batch in registry.load_records(subs, principal=who, test_mode=test) for o in batch]
    # a harvest's deleted records: after its records, as the source applied them
    deleted = [
        BulkDeletion(igsn=d.igsn, status=d.status, reason=d.reason)  # type: ignore[arg-type]  # loader's statuses
        for d in apply_deletions(registry, who, given.deleted, test_mode=test)
    ]
    records = [_bulk_record(o) for o in sorted(outcomes, key=lambda o: o.index)]
    counts = {s: sum(r.status == s for r in records) for s in ("created", "updated", "invalid", "refused", "failed")}
    failed = counts.pop("failed") or None
    result = BulkResult(
        testMode=test,
        results=records,
        deleted=deleted or None,
        counts=BulkCounts(
            records=len(records), stored=0 if test else counts["created"] + counts["updated"], failed=failed, **counts
        ),
    )
    body = result.model_dump()
    if body["counts"]["failed"] is None:
        del body["counts"]["failed"]
    if body["deleted"] is None:
        del body["deleted"]
    return JSONResponse(body)
