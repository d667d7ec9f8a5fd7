"""Writes through the DataCite REST API's DOIs: which IGSN a write names (the path's, ``doi``, or ``prefix`` and
``suffix``, a suffix generated when none is given), and the DOI's move between states: a draft reserved or
described again, a draft (or nothing) registered or published as a whole description, a registered or findable
DOI described again, published or hidden; only a draft is deleted. The attributes map to the record through
``formats.datacite_rest`` (JSON → DataCite XML → the DataCite reader)."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..errors import Conflict
from ..formats import datacite_rest
from ..identifiers import HANDLE_PREFIX, Igsn
from ..record import SampleRecord
from ..registry import lifecycle
from ..registry.accounts import Principal
from ..registry.service import Submission
from ..resolver import datacite_json_of
from ..store import history
from .errors import DraftsOnly, Unprocessable
from .names import parse_doi

if TYPE_CHECKING:
    from ..registry.service import Registry

__all__ = ["EVENTS", "create", "delete", "put"]

#: the events a write may carry
EVENTS = ("publish", "register", "hide")
#: the history event of each transition (``store.history.EVENTS``); a draft's reservation is in no history
_HISTORY = {"publish": "published", "register": "registered", "hide": "hidden"}
#: characters of generated suffixes (Crockford's base 32: no I, L, O, U to misread)
_SUFFIX_CHARS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def create(registry: Registry, who: Principal, attributes: dict[str, Any]) -> str:
    """A new DOI (a draft, or registered / findable with an event); its name. Refused if it exists."""
    igsn = _target(registry, who, attributes)
    if registry.row(igsn.name) is not None or lifecycle.get(registry.db.read(), igsn.name) is not None:
        raise Unprocessable("This DOI has already been taken", pointer="/data/attributes/doi")
    _write(registry, who, igsn, attributes)
    return igsn.name


def put(registry: Registry, who: Principal, doi: str, attributes: dict[str, Any]) -> str:
    """The DOI of the path updated (or created): metadata, url, event; its name."""
    igsn = _target(registry, who, attributes, doi)
    _write(registry, who, igsn, attributes)
    return igsn.name


def delete(registry: Registry, who: Principal, doi: str) -> None:
    """Deletes a draft DOI (``DraftsOnly`` for a registered or findable one, after the ownership check)."""
    igsn = parse_doi(registry, doi)
    if registry.row(igsn.name) is not None:
        registry.existing(igsn.name, who)  # another party's: 403 before the rule
        raise DraftsOnly("Method not allowed: only draft DOIs can be deleted")
    lifecycle.discard(registry, who, igsn.name)


# -- the DOI a write names -----------------------------------------------------------------------
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
        raise Unprocessable("no namespace to generate a suffix in: give the doi", pointer="/data/attributes/doi")
    for _ in range(20):
        name = namespaces[0] + "".join(secrets.choice(_SUFFIX_CHARS) for _ in range(8))
        if registry.row(name) is None and lifecycle.get(registry.db.read(), name) is None:
            return f"{prefix}/{name}"
    raise Conflict("could not generate a free suffix, give the doi", pointer="/data/attributes/doi")


def _target(registry: Registry, who: Principal, attributes: dict[str, Any], path: str | None = None) -> Igsn:
    """The IGSN a write names: the path's, else ``doi``, else ``prefix``/``suffix`` (or a generated suffix)."""
    given = attributes.get("doi")
    if given is not None and not isinstance(given, str):
        raise Unprocessable("doi must be a string", pointer="/data/attributes/doi")
    if path is not None:
        igsn = parse_doi(registry, path)
        if given and parse_doi(registry, given).name != igsn.name:
            raise Unprocessable("the doi attribute does not match the DOI of the path", pointer="/data/attributes/doi")
        return igsn
    if not given:
        prefix, suffix = attributes.get("prefix"), attributes.get("suffix")
        if not isinstance(prefix, str) or not prefix:
            raise Unprocessable("a DOI is required: give doi, or prefix (and suffix)", pointer="/data/attributes/doi")
        given = f"{prefix}/{suffix}" if isinstance(suffix, str) and suffix else _generated(registry, who, prefix)
    return parse_doi(registry, given)


# -- states --------------------------------------------------------------------------------------
def _record(registry: Registry, igsn: Igsn, attributes: dict[str, Any]) -> tuple[SampleRecord, bytes]:
    """The record the attributes describe: the ``xml`` document when given, else the DataCite properties."""
    if attributes.get("xml"):
        record, document = datacite_rest.read_xml(attributes["xml"], max_bytes=registry.settings.max_body_bytes)
        if record.igsn != igsn.name:
            raise Unprocessable(
                f"the xml document names {record.igsn}, not {igsn.name}", pointer="/data/attributes/xml"
            )
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
        raise Unprocessable(
            f"a DOI needs its metadata to {event}: give the DataCite properties or xml", pointer="/data/attributes"
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
        raise Unprocessable(
            "the DOI has no metadata yet: give the DataCite properties or xml", pointer="/data/attributes"
        )
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
        raise Unprocessable(
            "resourceTypeGeneral must be PhysicalObject (an IGSN names a physical object)",
            pointer="/data/attributes/types/resourceTypeGeneral",
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
        raise Unprocessable("only a findable DOI can be hidden", pointer="/data/attributes/event")
    if event is None:
        metadata = _metadata_only(attributes)
        _check_draft(registry, igsn, {**(draft.attributes if draft else {}), **metadata})
        lifecycle.reserve(registry, who, igsn, url=attributes.get("url"), attributes=metadata)
        return
    _publish_draft(registry, who, igsn, draft, attributes, event)
