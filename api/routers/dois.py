"""The DataCite REST API (JSON:API at ``/dois``, ``/prefixes``, ``/clients``), as the ``datacite`` package's
``DataCiteRESTClient`` and the repositories built on it (InvenioRDM, Dataverse) speak it.

Wire contract: DataCite's REST API reference (support.datacite.org/reference): ``{"data": {"type": "dois",
"attributes": {...}}}`` in and out, ``application/vnd.api+json``, ids as lower-cased DOIs, refusals as JSON:API
error objects (``{"errors": [{"status", "title", "source": {"pointer"}}]}``). A DOI is an IGSN in DOI form under a
DOI prefix of its owner, as at the MDS ``/doi`` (``api.mds_wire.parse_doi``). The attributes map to the record
through ``formats.datacite_rest`` (JSON → DataCite XML → the DataCite reader) and back through the resolver's
DataCite JSON, so this door and every other describe a sample the same way.

States (``registry.lifecycle``): no ``event`` keeps a new DOI a ``draft`` (reserved, nowhere public, deletable);
``register`` makes it ``registered`` (private), ``publish`` ``findable`` (public); ``hide`` turns a findable DOI
back into a registered one. Nothing goes back to draft.
"""

from __future__ import annotations

import base64
import heapq
import inspect
import json
import re
import secrets
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from lxml import etree
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from igsn_graph import errors
from igsn_graph.errors import InvalidInput, NotFound
from igsn_graph.formats import datacite_rest
from igsn_graph.identifiers import HANDLE_PREFIX, Igsn
from igsn_graph.index import search
from igsn_graph.registry import lifecycle
from igsn_graph.registry.accounts import Principal
from igsn_graph.registry.service import Registry, Submission
from igsn_graph.resolver import datacite_json_of, render_element
from igsn_graph.store import history

from .. import limits
from ..auth import optional_principal, principal
from ..bodies import content_type
from ..deps import get_registry
from ..errors import problem_responses, status_of
from ..mds_wire import parse_doi

__all__ = ["JSONAPI", "install_errors", "router"]

router = APIRouter(tags=["DataCite REST API"])

JSONAPI = "application/vnd.api+json"
_PATH = re.compile(r"/(?:dois|prefixes|clients)(?:/.*)?", re.DOTALL)
_EVENTS = ("publish", "register", "hide")
#: the history event of each transition (``store.history.EVENTS``); a draft's reservation is in no history
_HISTORY = {"publish": "published", "register": "registered", "hide": "hidden"}
#: characters of generated suffixes (Crockford's base 32: no I, L, O, U to misread)
_SUFFIX_CHARS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TITLES = {
    400: "Bad Request",
    401: "Bad credentials",
    403: "You are not authorized to access this resource.",
    404: "The resource you are looking for doesn't exist.",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    412: "Precondition failed",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Unprocessable entity",
    429: "Too many requests",
    503: "Service unavailable",
}


class JsonApiError(Exception):
    """A refusal of this API that no core error expresses (422, 405…), with where in the request it lies."""

    def __init__(self, status: int, title: str, pointer: str | None = None) -> None:
        super().__init__(title)
        self.status, self.title, self.pointer = status, title, pointer


# -- errors --------------------------------------------------------------------------------------
def _errors(
    status: int, items: Sequence[tuple[str, str | None]], headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = {
        "errors": [
            {"status": str(status), "title": title, **({"source": {"pointer": pointer}} if pointer else {})}
            for title, pointer in items
        ]
    }
    all_headers = dict(headers or {})
    if status == 401:
        all_headers["WWW-Authenticate"] = 'Basic realm="igsn-graph"'
    return JSONResponse(body, status_code=status, media_type=JSONAPI, headers=all_headers)


def _pointer(message: str) -> str | None:
    """The JSON pointer a reader's message starts with (``/data/attributes/…: reason``), if any."""
    head = message.split(":", 1)[0]
    return head if head.startswith("/data") else None


def error_response(exc: Exception) -> Response:
    """Any exception raised while serving this API, as JSON:API error objects."""
    if isinstance(exc, JsonApiError):
        return _errors(exc.status, [(exc.title, exc.pointer)])
    if isinstance(exc, errors.IgsnGraphError):
        status = status_of(exc)
        if isinstance(exc, errors.InvalidRecord) and exc.violations:
            items = [
                (
                    f"{getattr(v, 'element', None) or getattr(v, 'path', '')}: {getattr(v, 'message', v)}",
                    "/data/attributes",
                )
                for v in exc.violations
            ]
            return _errors(422, items)
        pointer = _pointer(exc.message) or (
            "/data/attributes/xml" if isinstance(exc, errors.MalformedDocument) else None
        )
        seconds = exc.data.get("retry_after")
        headers = {"Retry-After": str(int(seconds))} if isinstance(seconds, (int, float)) else None
        if status >= 500 and not isinstance(exc, (errors.StoreBusy, errors.ReadOnly)):
            return _errors(status, [("storage failure: the operation was not acknowledged, please try again", None)])
        return _errors(status, [(exc.message, pointer)], headers)
    if isinstance(exc, StarletteHTTPException):
        return _errors(exc.status_code, [(_TITLES.get(exc.status_code, str(exc.detail)), None)], exc.headers)
    if isinstance(exc, RequestValidationError):
        return _errors(400, [(e.get("msg", "malformed request"), None) for e in exc.errors()] or [("malformed", None)])
    return _errors(500, [("an unexpected error occurred", None)])


def install_errors(app: FastAPI) -> None:
    """Answers errors on this API's paths as JSON:API error objects; other paths keep the handlers before."""
    Handler = Callable[[Request, Exception], Awaitable[Response] | Response]

    def wrap(previous: Handler | None) -> Callable[[Request, Exception], Awaitable[Response]]:
        async def handle(request: Request, exc: Exception) -> Response:
            if _PATH.fullmatch(request.scope.get("path", "")) or previous is None:
                if (
                    not isinstance(
                        exc, (errors.IgsnGraphError, JsonApiError, StarletteHTTPException, RequestValidationError)
                    )
                    and previous is not None
                ):
                    return await _call(previous, request, exc)  # logged with a request id as everywhere
                return error_response(exc)
            return await _call(previous, request, exc)

        return handle

    for cls in (errors.IgsnGraphError, StarletteHTTPException, RequestValidationError, Exception):
        app.add_exception_handler(cls, wrap(app.exception_handlers.get(cls)))
    app.add_exception_handler(JsonApiError, wrap(None))


async def _call(
    handler: Callable[[Request, Exception], Awaitable[Response] | Response], request: Request, exc: Exception
) -> Response:
    result = handler(request, exc)
    return await result if inspect.isawaitable(result) else result


# -- request parts -------------------------------------------------------------------------------
async def json_body(request: Request) -> dict[str, Any]:
    """``data.attributes`` of a JSON:API body (``application/vnd.api+json`` or ``application/json``)."""
    media = content_type(request).media_type
    if media and media not in (JSONAPI, "application/json"):
        raise JsonApiError(415, f"Content-Type {media} is not supported: send {JSONAPI}")
    raw = await limits.read_body(request)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise JsonApiError(400, "the body is not valid JSON", "") from None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise JsonApiError(400, "the body must be a JSON:API document with a data object", "/data")
    if data.get("type") not in (None, "dois"):
        raise JsonApiError(409, f"type must be dois, not {data.get('type')!r}", "/data/type")
    attributes = data.get("attributes", {})
    if not isinstance(attributes, dict):
        raise JsonApiError(400, "attributes must be an object", "/data/attributes")
    event = attributes.get("event")
    if event is not None and event not in _EVENTS:
        raise JsonApiError(422, f"event must be one of {', '.join(_EVENTS)}", "/data/attributes/event")
    url = attributes.get("url")
    if url is not None and not isinstance(url, str):
        raise JsonApiError(422, "url must be a string", "/data/attributes/url")
    return attributes


def _holdings(registry: Registry, who: Principal) -> tuple[str, ...]:
    """The namespaces a caller registers in (for generated suffixes)."""
    if who.kind == "client":
        return registry.accounts.client(who.symbol).namespaces
    if who.kind == "agent":
        return registry.accounts.agent(who.symbol).namespaces
    return ()


def _generated(registry: Registry, who: Principal, prefix: str) -> str:
    """A DOI with a random suffix in the caller's first namespace (DataCite generates one when none is given)."""
    namespaces = _holdings(registry, who)
    if not namespaces:
        raise JsonApiError(422, "no namespace to generate a suffix in: give the doi", "/data/attributes/doi")
    for _ in range(20):
        name = namespaces[0] + "".join(secrets.choice(_SUFFIX_CHARS) for _ in range(8))
        if registry.row(name) is None and lifecycle.get(registry.db.read(), name) is None:
            return f"{prefix}/{name}"
    raise JsonApiError(409, "could not generate a free suffix, give the doi", "/data/attributes/doi")


def _target(registry: Registry, who: Principal, attributes: dict[str, Any], path: str | None = None) -> Igsn:
    """The IGSN a write names: the path's, else ``doi``, else ``prefix``/``suffix`` (or a generated suffix)."""
    given = attributes.get("doi")
    if given is not None and not isinstance(given, str):
        raise JsonApiError(422, "doi must be a string", "/data/attributes/doi")
    if path is not None:
        igsn = parse_doi(registry, path)
        if given and parse_doi(registry, given).name != igsn.name:
            raise JsonApiError(422, "the doi attribute does not match the DOI of the path", "/data/attributes/doi")
        return igsn
    if not given:
        prefix, suffix = attributes.get("prefix"), attributes.get("suffix")
        if not isinstance(prefix, str) or not prefix:
            raise JsonApiError(422, "a DOI is required: give doi, or prefix (and suffix)", "/data/attributes/doi")
        given = f"{prefix}/{suffix}" if isinstance(suffix, str) and suffix else _generated(registry, who, prefix)
    return parse_doi(registry, given)


# -- reading back --------------------------------------------------------------------------------
def _written_doi(registry: Registry, name: str, doi: str | None) -> str:
    return doi or f"{HANDLE_PREFIX}/{name}"


def _visible(registry: Registry, who: Principal | None, name: str) -> None:
    """NotFound unless the DOI may be shown: a findable one to anyone, the others to their owner only."""
    row = registry.row(name)
    if row is not None:
        if lifecycle.state_of(row) == lifecycle.FINDABLE or (
            who is not None and who.may_act_for(row.agent, row.client)
        ):
            return
    elif registry.draft_for(name, who) is not None:
        return
    raise NotFound("DOI not found", igsn=name)


def _xml_of(registry: Registry, name: str, record: Any, facts: Any) -> str:
    """base64 of the sample's DataCite XML: the document submitted when it was DataCite, else as written here."""
    version = history.latest_document(registry.db.read(), name)
    if version is not None and version.document is not None and version.format == "datacite":
        document = version.document
    else:
        document = etree.tostring(
            render_element("datacite", record, facts, registry.iris.base), xml_declaration=True, encoding="UTF-8"
        )
    return base64.b64encode(document).decode("ascii")


def resource(registry: Registry, name: str) -> dict[str, Any]:
    """The JSON:API resource object of a DOI (registered, findable or draft)."""
    row = registry.row(name)
    if row is not None:
        facts = registry.facts(name)
        assert facts is not None
        record = registry.record(name) if facts.has_metadata else None
        metadata = datacite_json_of(registry, record, facts) if record is not None else {}
        doi = _written_doi(registry, name, facts.doi)
        extra = {
            "url": facts.landing_url,
            "state": lifecycle.state_of(facts),
            "isActive": facts.active,
            "xml": _xml_of(registry, name, record, facts) if record is not None else None,
            "created": facts.registered,
            "registered": facts.registered,
            "updated": facts.datestamp,
        }
        holder = facts.client or facts.agent
    else:
        draft = lifecycle.get(registry.db.read(), name)
        if draft is None:
            raise NotFound("DOI not found", igsn=name)
        metadata = {k: v for k, v in draft.attributes.items() if k in datacite_rest.METADATA_KEYS}
        doi = _written_doi(registry, name, draft.doi)
        extra = {
            "url": draft.url,
            "state": lifecycle.DRAFT,
            "isActive": False,
            "xml": draft.attributes.get("xml"),
            "created": draft.created,
            "registered": None,
            "updated": draft.updated,
        }
        holder = draft.client or draft.agent
    prefix, _, suffix = doi.partition("/")
    attributes = {
        **metadata,
        "doi": doi.lower(),
        "prefix": prefix,
        "suffix": suffix.lower(),
        "identifiers": [{"identifier": name, "identifierType": "IGSN"}],
        **extra,
    }
    return {
        "id": doi.lower(),
        "type": "dois",
        "attributes": attributes,
        "relationships": {"client": {"data": {"id": holder.lower(), "type": "clients"}}},
    }


def _document(data: object, status: int = 200, **extra: object) -> JSONResponse:
    return JSONResponse({"data": data, **extra}, status_code=status, media_type=JSONAPI)


# -- writes --------------------------------------------------------------------------------------
def _record(registry: Registry, igsn: Igsn, attributes: dict[str, Any]) -> tuple[Any, bytes]:
    """The record the attributes describe: the ``xml`` document when given, else the DataCite properties."""
    if attributes.get("xml"):
        record, document = datacite_rest.read_xml(attributes["xml"], max_bytes=registry.settings.max_body_bytes)
        if record.igsn != igsn.name:
            raise JsonApiError(422, f"the xml document names {record.igsn}, not {igsn.name}", "/data/attributes/xml")
        return record, document
    identifier, kind = (
        (igsn.doi, "DOI") if igsn.doi else (f"{igsn.handle_prefix or HANDLE_PREFIX}/{igsn.name}", "Handle")
    )
    return datacite_rest.read_attributes(attributes, identifier, kind)


def _metadata_only(attributes: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v
        for k, v in attributes.items()
        if k in datacite_rest.METADATA_KEYS or k == "xml" or k not in datacite_rest.API_KEYS
    }


def _register(
    registry: Registry,
    who: Principal,
    igsn: Igsn,
    attributes: dict[str, Any],
    *,
    public: bool,
    url: str | None,
    fmt: str = "datacite",
    event: str | None = None,
) -> None:
    record, document = _record(registry, igsn, attributes)
    record = replace(record, is_public=public)
    registry.register(who, [Submission(record, fmt, document, landing_url=url)], strict=True, event=event)


def _publish_draft(
    registry: Registry,
    who: Principal,
    igsn: Igsn,
    draft: lifecycle.Draft | None,
    attributes: dict[str, Any],
    event: str,
) -> None:
    """draft (or nothing) → registered / findable: a registration of the whole description."""
    merged = {**(draft.attributes if draft else {}), **_metadata_only(attributes)}
    if not datacite_rest.has_metadata(merged):
        raise JsonApiError(
            422, f"a DOI needs its metadata to {event}: give the DataCite properties or xml", "/data/attributes"
        )
    url = attributes.get("url") or (draft.url if draft else None)
    if draft is not None:
        lifecycle.check_owner(draft, who)
    with registry.writing():
        # the draft's place in the quota becomes the sample's: its row goes first, and comes back on a refusal
        if draft is not None:
            lifecycle.delete(registry.db, igsn.name)
        try:
            _register(registry, who, igsn, merged, public=event == "publish", url=url, event=_HISTORY[event])
        except BaseException:
            if draft is not None:
                lifecycle.put(registry.db, draft)
            raise


def _update(registry: Registry, who: Principal, igsn: Igsn, attributes: dict[str, Any]) -> None:
    """A change of a registered or findable DOI: its URL, its description, its state (publish / hide)."""
    name = igsn.name
    registry.existing(name, who)  # NotFound / ForeignSample before anything is read
    facts = registry.facts(name)
    assert facts is not None
    event, url = attributes.get("event"), attributes.get("url")
    public = {"publish": True, "hide": False}.get(event or "", facts.is_public)
    # a change of state is its own event in the history; metadata alone is metadata-updated
    transition = None if public == facts.is_public else _HISTORY["publish" if public else "hide"]
    given = _metadata_only(attributes)
    if not given and public == facts.is_public:
        if url:
            registry.mint(who, igsn.doi or name, url)
        return
    record = registry.record(name) if facts.has_metadata else None
    if given.get("xml"):
        merged: dict[str, Any] = given
    elif record is not None:
        current = datacite_json_of(registry, record, facts)
        merged = {k: v for k, v in current.items() if k in datacite_rest.METADATA_KEYS} | given
    else:
        merged = given
    if not datacite_rest.has_metadata(merged):
        raise JsonApiError(422, "the DOI has no metadata yet: give the DataCite properties or xml", "/data/attributes")
    if not given and record is not None:
        # only the state changes: the description as it is, under the new access
        fmt = history.submitted_format(registry.db.read(), name) or "datacite"
        registry.register(
            who,
            [Submission(replace(record, is_public=public), fmt, None, landing_url=url)],
            strict=True,
            event=transition,
        )
        return
    _register(registry, who, igsn, merged, public=public, url=url, event=transition)


def _check_draft(registry: Registry, igsn: Igsn, metadata: dict[str, Any]) -> None:
    """A draft's partial metadata, read as a registration would read it and validated against the relaxed draft
    shapes: what is given must mean something (dates, coordinates, the resource type), what is missing may come
    later."""
    types = metadata.get("types")
    if isinstance(types, dict) and types.get("resourceTypeGeneral") not in (None, "PhysicalObject"):
        raise JsonApiError(
            422,
            "resourceTypeGeneral must be PhysicalObject (an IGSN names a physical object)",
            "/data/attributes/types/resourceTypeGeneral",
        )
    if metadata.get("xml"):
        record, _ = _record(registry, igsn, metadata)  # a draft's document must be a DataCite record of this IGSN
    elif datacite_rest.has_metadata(metadata):
        given = dict(types) if isinstance(types, dict) else {}
        record, _ = _record(registry, igsn, {**metadata, "types": {**given, "resourceTypeGeneral": "PhysicalObject"}})
    else:
        return
    lifecycle.check(registry, record)  # the relaxed draft shapes (shapes/draft.ttl)


def _write(registry: Registry, who: Principal, igsn: Igsn, attributes: dict[str, Any]) -> None:
    event = attributes.get("event")
    if registry.row(igsn.name) is not None:
        _update(registry, who, igsn, attributes)
        return
    draft = lifecycle.get(registry.db.read(), igsn.name)
    if event == "hide":
        raise JsonApiError(422, "only a findable DOI can be hidden", "/data/attributes/event")
    if event is None:
        metadata = _metadata_only(attributes)
        _check_draft(registry, igsn, {**(draft.attributes if draft else {}), **metadata})
        lifecycle.reserve(registry, who, igsn, url=attributes.get("url"), attributes=metadata)
        return
    _publish_draft(registry, who, igsn, draft, attributes, event)


# -- routes --------------------------------------------------------------------------------------
@router.post("/dois", status_code=201, summary="Create a DOI: a draft, or registered / findable with an event")
def create_doi(
    request: Request, who: Principal = Depends(principal), attributes: dict[str, Any] = Depends(json_body)
) -> JSONResponse:
    registry = get_registry(request)
    igsn = _target(registry, who, attributes)
    if registry.row(igsn.name) is not None or lifecycle.get(registry.db.read(), igsn.name) is not None:
        raise JsonApiError(422, "This DOI has already been taken", "/data/attributes/doi")
    _write(registry, who, igsn, attributes)
    return _document(resource(registry, igsn.name), 201)


@router.put("/dois/{doi:path}", summary="Update a DOI (or create it): metadata, url, event")
def update_doi(
    doi: str, request: Request, who: Principal = Depends(principal), attributes: dict[str, Any] = Depends(json_body)
) -> JSONResponse:
    registry = get_registry(request)
    igsn = _target(registry, who, attributes, doi)
    _write(registry, who, igsn, attributes)
    return _document(resource(registry, igsn.name))


@router.delete("/dois/{doi:path}", status_code=204, summary="Delete a draft DOI")
def delete_doi(doi: str, request: Request, who: Principal = Depends(principal)) -> Response:
    registry = get_registry(request)
    igsn = parse_doi(registry, doi)
    if registry.row(igsn.name) is not None:
        registry.existing(igsn.name, who)  # another party's: 403 before the rule
        raise JsonApiError(405, "Method not allowed: only draft DOIs can be deleted")
    lifecycle.discard(registry, who, igsn.name)
    return Response(status_code=204)


@router.get("/dois/{doi:path}/activities", summary="The changes of a DOI (PROV activities)")
def doi_activities(doi: str, request: Request, who: Principal | None = Depends(optional_principal)) -> JSONResponse:
    registry = get_registry(request)
    igsn = parse_doi(registry, doi)
    _visible(registry, who, igsn.name)
    data = []
    draft = lifecycle.get(registry.db.read(), igsn.name) if registry.row(igsn.name) is None else None
    if draft is not None:  # a reservation, in no history yet: its owner sees when it was made
        data.append(
            {
                "id": registry.iris.activity(f"{igsn.name}/reserved").value,
                "type": "activities",
                "attributes": {
                    "action": "create",
                    "event": "reserved",
                    "version": 0,
                    "prov:generatedAtTime": draft.created,
                    "prov:wasDerivedFrom": registry.iris.sample(igsn.name).value,
                    "prov:wasAttributedTo": draft.client or draft.agent,
                },
            }
        )
    for v in history.versions_of(registry.db.read(), igsn.name):
        activity = registry.iris.activity(f"{igsn.name}/{v.version}").value
        data.append(
            {
                "id": activity,
                "type": "activities",
                "attributes": {
                    "action": "create" if v.version == 1 else "update",
                    "event": v.event,
                    "version": v.version,
                    "prov:wasGeneratedBy": activity,
                    "prov:generatedAtTime": v.datestamp,
                    "prov:wasDerivedFrom": registry.iris.sample(igsn.name).value,
                    "prov:wasAttributedTo": v.principal,
                },
            }
        )
    return _document(data, meta={"total": len(data)})


@router.get("/dois/{doi:path}", summary="One DOI: its attributes, url and state")
def get_doi(doi: str, request: Request, who: Principal | None = Depends(optional_principal)) -> JSONResponse:
    registry = get_registry(request)
    igsn = parse_doi(registry, doi)
    _visible(registry, who, igsn.name)
    return _document(resource(registry, igsn.name))


def _page_size(request: Request) -> int:
    raw = request.query_params.get("page[size]", "25")
    if not raw.isdigit() or not 1 <= int(raw) <= 1000:
        raise JsonApiError(400, "page[size] must be a number from 1 to 1000")
    return int(raw)


def _cursor(request: Request) -> str:
    raw = request.query_params.get("page[cursor]")
    if not raw:
        return ""
    try:
        return base64.urlsafe_b64decode(raw.encode("ascii") + b"==").decode("utf-8")
    except (ValueError, UnicodeError):
        raise JsonApiError(400, "page[cursor] is not a cursor this API gave") from None


def _candidates(registry: Registry, who: Principal | None, request: Request, after: str) -> Iterator[str]:
    """Names the list may show, in order after the cursor: findable ones for anyone, the caller's in any state."""
    q = request.query_params
    state, client_id, query = q.get("state"), q.get("client-id"), q.get("query")
    if state not in (None, "", *(lifecycle.DRAFT, lifecycle.REGISTERED, lifecycle.FINDABLE)):
        raise JsonApiError(400, "state must be draft, registered or findable")
    where, args = ["igsn > ?"], [after]
    own = ("1" if who.is_admin else ("agent = ?" if who.kind == "agent" else "client = ?")) if who else "0"
    if who is not None and not who.is_admin:
        args.append(who.symbol)
    where.append(f"((is_public = 1 AND active = 1 AND has_metadata = 1) OR {own})")
    if client_id:
        where.append("client = ?")
        args.append(client_id.upper())
    if state == lifecycle.FINDABLE:
        where.append("is_public = 1 AND active = 1")
    elif state == lifecycle.REGISTERED:
        where.append("NOT (is_public = 1 AND active = 1)")
    conn = registry.db.read()
    names: Iterator[str] = iter(())
    if state != lifecycle.DRAFT:
        names = (
            r[0] for r in conn.execute(f"SELECT igsn FROM catalogue WHERE {' AND '.join(where)} ORDER BY igsn", args)
        )
    if query:
        found = search.phrase_matches(conn, query)
        names = (n for n in names if n in found)
        state = lifecycle.REGISTERED  # drafts are not searchable
    drafts = [
        d.igsn
        for d in (lifecycle.drafts_of(conn, who) if who is not None else [])
        if d.igsn > after
        and state in (None, "", lifecycle.DRAFT)
        and (not client_id or (d.client or "") == client_id.upper())
    ]
    return heapq.merge(names, drafts)


@router.get("/dois", summary="DOIs: findable ones, and the caller's in every state")
def list_dois(request: Request, who: Principal | None = Depends(optional_principal)) -> JSONResponse:
    registry = get_registry(request)
    size = _page_size(request)
    prefix = request.query_params.get("prefix")
    data: list[dict[str, Any]] = []
    more = False
    for name in _candidates(registry, who, request, _cursor(request)):
        item = resource(registry, name)
        if prefix and item["attributes"]["prefix"] != prefix:
            continue
        if len(data) == size:
            more = True
            break
        data.append(item)
    links: dict[str, str] = {"self": str(request.url)}
    if more:
        cursor = base64.urlsafe_b64encode(data[-1]["attributes"]["identifiers"][0]["identifier"].encode()).decode()
        links["next"] = str(request.url.include_query_params(**{"page[cursor]": cursor.rstrip("=")}))
    return _document(data, meta={"total": None if more else len(data)}, links=links)


@router.get("/prefixes", summary="The DOI prefixes registered here, with their clients and providers")
def list_prefixes(request: Request) -> JSONResponse:
    registry = get_registry(request)
    data = [
        {
            "id": prefix,
            "type": "prefixes",
            "attributes": {"prefix": prefix},
            "relationships": {
                "clients": {"data": [{"id": client.lower(), "type": "clients"}] if client else []},
                "providers": {"data": [{"id": agent.lower(), "type": "providers"}]},
            },
        }
        for prefix, (agent, client) in sorted(registry.accounts.doi_prefix_table().items())
    ]
    return _document(data, meta={"total": len(data)})


@router.get("/clients/{client_id}", summary="One client (DataCite's repository): name, domains, prefixes")
def get_client(client_id: str, request: Request) -> JSONResponse:
    client = get_registry(request).accounts.client(client_id)  # NotFound: 404
    return _document(
        {
            "id": client.symbol.lower(),
            "type": "clients",
            "attributes": {
                "name": client.name,
                "symbol": client.symbol,
                "domains": ",".join(client.domains) or "*",
                "isActive": client.active,
                "rorId": client.ror,
            },
            "relationships": {
                "provider": {"data": {"id": client.agent.lower(), "type": "providers"}},
                "prefixes": {"data": [{"id": p, "type": "prefixes"} for p in client.doi_prefixes]},
            },
        }
    )


# -- reservations (the JSON API's door to drafts) ------------------------------------------------------
class ReserveIn(BaseModel):
    """A count and a namespace pattern, or the names."""

    model_config = ConfigDict(extra="forbid")
    count: int | None = None
    pattern: str | None = None
    names: list[str] | None = None


class ReserveOut(BaseModel):
    reserved: list[str]
    state: str


@router.post(
    "/api/v1/samples/reserve",
    status_code=201,
    tags=["JSON API"],
    response_model=ReserveOut,
    responses=problem_responses(400, 401, 403, 409, 413, 415, 503),
    summary="Reserve names as drafts: a count and a namespace pattern, or the names",
)
def reserve_samples(body: ReserveIn, request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    """``{"count": 3, "pattern": "ZTA-2024-####"}`` (a run of ``#`` numbers the names from the first free one;
    a pattern without ``#`` is a namespace, numbered with five digits) or ``{"names": ["ZTA0001", …]}``. The names
    are drafts (DataCite's reserved state): owned, counted against the quota, nowhere public, deleted through
    ``DELETE /dois/{doi}``, described and published through ``PUT /dois/{doi}``. All or none."""
    registry = get_registry(request)
    if body.names is not None:
        written = body.names
    else:
        if body.count is None or not body.pattern or not body.pattern.strip():
            raise InvalidInput("give count and pattern (a namespace pattern such as ZTA-2024-####), or names")
        pattern = body.pattern if "#" in body.pattern else body.pattern + "#####"
        written = lifecycle.pattern_names(registry, pattern, body.count)
    drafts = lifecycle.reserve_names(registry, who, [registry.parse(n) for n in written])
    return JSONResponse({"reserved": [d.igsn for d in drafts], "state": lifecycle.DRAFT}, status_code=201)
