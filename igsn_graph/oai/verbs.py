"""The six verbs: checked arguments → headers, records, sets or formats from the catalogue and the registry.

Nothing here writes XML (``oai.xml`` does) or knows HTTP (``api.routers.oai`` does). Every function
takes the ``Repository`` (the provider's configuration and its open resources), the checked request
and the request time, and returns a result or raises ``OaiError``/``OaiErrors``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Callable, Union
from urllib.parse import unquote

from ..errors import InvalidIdentifier
from ..harvest import origins
from ..harvest.about import about_containers
from ..identifiers import validate_name
from ..index.catalogue import format_datestamp
from . import index
from .args import OaiRequest
from .cache import CACHE_FILE, MetadataSource, open_cache
from .errors import (
    BadResumptionToken,
    CannotDisseminateFormat,
    IdDoesNotExist,
    NoMetadataFormats,
    NoRecordsMatch,
    NoSetHierarchy,
    OaiError,
    OaiErrors,
)
from .formats import FORMATS, PREFIXES, MetadataFormat, fingerprint
from .index import Item
from .sets import OaiSet, SetFilter, header_specs, list_sets, parse_spec
from .tokens import DEFAULT_LIFETIME, TokenCodec, TokenState, load_secret

if TYPE_CHECKING:
    from ..registry.service import Registry

__all__ = [
    "settled",
    "Repository",
    "Header",
    "Record",
    "Resumption",
    "IdentifyResult",
    "FormatsResult",
    "SetsResult",
    "HeadersResult",
    "RecordsResult",
    "GetRecordResult",
    "Result",
    "identify",
    "list_metadata_formats",
    "list_sets_verb",
    "get_record",
    "list_identifiers",
    "list_records",
    "VERBS",
    "handle",
    "DEFAULT_PAGE_SIZE",
    "GRANULARITY",
]

log = logging.getLogger("igsn_graph.oai")

#: items per list response (OAI-PMH.md §1.8 and OVAL: 100–500)
DEFAULT_PAGE_SIZE = 250
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
_START = ("", "")  # keyset position before the first item


class Repository:
    """The data provider over one registry: its base URL, identifiers, token codec and metadata source."""

    def __init__(
        self,
        registry: "Registry",
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        token_lifetime: timedelta = DEFAULT_LIFETIME,
        cache: bool = True,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        settings = registry.settings
        self.registry = registry
        #: the OAI-PMH base URL: the configured public URL, identical in ``request`` and ``baseURL``
        self.base_url = settings.base_url + "oai"
        self.repository_id = registry.repository_id
        self.page_size = page_size
        self.codec = TokenCodec(load_secret(registry.db), token_lifetime)
        metadata_cache = None
        if cache:
            # documents never name the public URL: a moved server keeps its cache (and its datestamps)
            metadata_cache = open_cache(settings.data_dir / CACHE_FILE, fingerprint(), read_only=registry.read_only)
        self.source = MetadataSource(registry, metadata_cache)
        self.repository_name: str = settings.oai_repository_name or f"IGSN sample registry {self.repository_id}"
        #: a configured contact address, never one built from an account's login name (``Registry.contact_email``)
        self.admin_emails: list[str] = [registry.contact_email]

    def close(self) -> None:
        if self.source.cache is not None:
            self.source.cache.close()

    # -- identifiers ----------------------------------------------------------------------------
    def identifier(self, name: str) -> str:
        """``oai:<repository-id>:<IGSN>`` (IGSN names need no escaping: A–Z, 0–9, ``-``, ``.``, ``/``)."""
        return f"oai:{self.repository_id}:{name}"

    def name_of(self, identifier: str) -> str | None:
        """The normal-form IGSN an oai-identifier of this repository names, or None."""
        scheme, _, rest = identifier.partition(":")
        repo, sep, local = rest.partition(":")
        if scheme.lower() != "oai" or not sep or repo.lower() != self.repository_id.lower():
            return None
        try:
            return validate_name(unquote(local, errors="strict"))
        except (InvalidIdentifier, UnicodeDecodeError):
            return None

    def header(self, row: Item, namespaces: frozenset[str] | None = None) -> "Header":
        """The header of an item; ``namespaces`` (the registered ones) when a list has read them already."""
        harvested = origins.sources_of(self.registry.db.read(), row.igsn)  # its source:NAME sets
        specs = header_specs(row, self.namespaces() if namespaces is None else namespaces, harvested)
        return Header(self.identifier(row.igsn), row.datestamp, tuple(specs), row.deleted)

    def namespaces(self) -> frozenset[str]:
        return frozenset(self.registry.accounts.namespace_table())

    def set_filter(self, spec: str | None) -> SetFilter:
        return parse_spec(spec, self.namespaces()) if spec is not None else SetFilter()

    def sets(self) -> list[OaiSet]:
        return list_sets(self.registry)


# -- results ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Header:
    identifier: str
    datestamp: str
    set_specs: tuple[str, ...]
    deleted: bool = False


@dataclass(frozen=True)
class Record:
    header: Header
    #: the serialised metadata element; None for a deleted record
    metadata: bytes | None = None
    #: the contents of its about containers (where a harvested description came from: ``harvest.about``)
    about: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class Resumption:
    """The ``resumptionToken`` element: an empty ``token`` completes the list."""

    token: str
    cursor: int
    size: int | None
    expires: datetime | None = None


@dataclass(frozen=True)
class IdentifyResult:
    repository_name: str
    base_url: str
    admin_emails: list[str]
    earliest_datestamp: str
    repository_id: str
    sample_identifier: str
    deleted_record: str = "persistent"
    granularity: str = GRANULARITY
    compression: tuple[str, ...] = ("gzip",)


@dataclass(frozen=True)
class FormatsResult:
    formats: list[MetadataFormat]


@dataclass(frozen=True)
class SetsResult:
    sets: list[OaiSet]
    resumption: Resumption | None = None


@dataclass(frozen=True)
class HeadersResult:
    headers: list[Header]
    resumption: Resumption | None = None


@dataclass(frozen=True)
class RecordsResult:
    records: list[Record] = field(default_factory=list)
    resumption: Resumption | None = None


@dataclass(frozen=True)
class GetRecordResult:
    record: Record


Result = Union[IdentifyResult, FormatsResult, SetsResult, HeadersResult, RecordsResult, GetRecordResult]


# -- verbs ----------------------------------------------------------------------------------------
def identify(repo: Repository, request: OaiRequest, now: datetime) -> IdentifyResult:
    conn = repo.registry.db.read()
    first = index.earliest(conn)
    # with no items yet, the present is a lower bound: datestamps never go back
    earliest = first[0] if first else format_datestamp(now)
    sample = first[1] if first else "SSH000SUA"
    return IdentifyResult(
        repo.repository_name, repo.base_url, repo.admin_emails, earliest, repo.repository_id, repo.identifier(sample)
    )


def _item(repo: Repository, identifier: str) -> Item:
    name = repo.name_of(identifier)
    row = index.item(repo.registry.db.read(), name) if name is not None else None
    if row is None:
        raise IdDoesNotExist(f"{identifier} is not an item of this repository")
    return row


def _available(repo: Repository, row: Item) -> list[str]:
    if not row.has_metadata:
        return []
    if row.deleted:
        # a deleted item answers every format with its deleted header (persistent deletions)
        return list(PREFIXES)
    found = repo.source.get([row])
    return [p for p in PREFIXES if found.get((row.igsn, p))]


def list_metadata_formats(repo: Repository, request: OaiRequest, now: datetime) -> FormatsResult:
    identifier = request.get("identifier")
    if identifier is None:
        return FormatsResult(list(FORMATS.values()))
    row = _item(repo, identifier)
    prefixes = _available(repo, row)
    if not prefixes:
        raise NoMetadataFormats(f"{identifier} has no metadata yet")
    return FormatsResult([FORMATS[p] for p in prefixes])


def get_record(repo: Repository, request: OaiRequest, now: datetime) -> GetRecordResult:
    identifier, prefix = request.get("identifier") or "", request.get("metadataPrefix") or ""
    errors: list[OaiError] = []
    row: Item | None = None
    try:
        row = _item(repo, identifier)
    except IdDoesNotExist as exc:
        errors.append(exc)
    if prefix not in FORMATS:
        errors.append(
            CannotDisseminateFormat(f"{prefix} is not a metadata format of this repository ({', '.join(PREFIXES)})")
        )
    if errors:
        raise OaiErrors(errors)
    assert row is not None
    if not row.has_metadata:
        raise CannotDisseminateFormat(f"{identifier} has no metadata yet")
    header = repo.header(row)
    if row.deleted:
        return GetRecordResult(Record(header))
    xml = repo.source.get([row], [prefix]).get((row.igsn, prefix))
    if not xml:
        raise CannotDisseminateFormat(f"{identifier} cannot be disseminated as {prefix}")
    return GetRecordResult(Record(header, xml, tuple(about_containers(repo.registry, row.igsn))))


def _resumption(
    repo: Repository, state: TokenState, served: int, more: bool, last: tuple[str, str], now: datetime
) -> Resumption:
    size = state.size
    if size is not None and state.cursor + served + (1 if more else 0) > size:
        size = state.cursor + served + (1 if more else 0)  # the list grew: revise the estimate upwards
    if not more:
        return Resumption("", state.cursor, size)
    token, expires = repo.codec.encode(
        TokenState(
            state.verb, state.prefix, state.set_spec, state.from_, state.until, last, state.cursor + served, size
        ),
        now,
    )
    return Resumption(token, state.cursor, size, expires)


def list_sets_verb(repo: Repository, request: OaiRequest, now: datetime) -> SetsResult:
    token = request.get("resumptionToken")
    state = repo.codec.decode(token, "ListSets", now) if token is not None else None
    sets = repo.sets()
    if not sets:
        if state is not None:
            raise BadResumptionToken("the repository has no sets any more")
        raise NoSetHierarchy("this repository has no sets")
    after = state.after[0] if state is not None else ""
    remaining = [s for s in sets if s.spec > after]
    chunk = remaining[: repo.page_size]
    more = len(remaining) > len(chunk)
    if state is None:
        if not more:
            return SetsResult(chunk)  # one complete response: no token needed (GL-repo §2.5)
        state = TokenState("ListSets", None, None, None, None, _START, 0, len(sets))
    if not chunk:
        raise BadResumptionToken("the resumption token points past the end of the set list")
    return SetsResult(chunk, _resumption(repo, state, len(chunk), more, (chunk[-1].spec, ""), now))


def _first_state(repo: Repository, request: OaiRequest, verb: str, now: datetime) -> tuple[TokenState, SetFilter]:
    errors: list[OaiError] = []
    prefix = request.get("metadataPrefix") or ""
    if prefix not in FORMATS:
        errors.append(
            CannotDisseminateFormat(f"{prefix} is not a metadata format of this repository ({', '.join(PREFIXES)})")
        )
    set_spec = request.get("set")
    if set_spec is not None and not repo.sets():
        errors.append(NoSetHierarchy("this repository has no sets"))
    if errors:
        raise OaiErrors(errors)
    from_ = request.from_.lower if request.from_ else None
    # pin the upper bound (GL-repo §5.1): changes made during the harvest get later datestamps and wait for
    # the next incremental harvest. The newest issued datestamp counts when the clock stepped back.
    pinned = max(format_datestamp(now), repo.registry.db.get_meta("last_datestamp") or "")
    until = min(request.until.upper, pinned) if request.until else pinned
    flt = repo.set_filter(set_spec)
    size = (
        0
        if from_ is not None and from_ > until
        else index.count(repo.registry.db.read(), flt, from_=from_, until=until)
    )
    if size == 0:
        raise NoRecordsMatch("no item matches the arguments")
    return TokenState(verb, prefix, set_spec, from_, until, _START, 0, size), flt


def _page(repo: Repository, request: OaiRequest, verb: str, now: datetime) -> tuple[list[Item], TokenState, bool]:
    """One page of a list: its items, the state it started from, and whether more follow."""
    token = request.get("resumptionToken")
    if token is not None:
        state = repo.codec.decode(token, verb, now)
        if state.prefix not in FORMATS:
            raise BadResumptionToken(f"the token's metadata format {state.prefix} is no longer offered")
        flt = repo.set_filter(state.set_spec)
    else:
        state, flt = _first_state(repo, request, verb, now)
    after = None if state.after == _START else state.after
    rows = index.page(
        repo.registry.db.read(), flt, from_=state.from_, until=state.until, after=after, limit=repo.page_size + 1
    )
    more = len(rows) > repo.page_size
    rows = rows[: repo.page_size]
    if not rows:
        # only a resumed list can get here: the items after the position changed since the last page
        raise NoRecordsMatch("no further item matches the arguments")
    return rows, state, more


def list_identifiers(repo: Repository, request: OaiRequest, now: datetime) -> HeadersResult:
    rows, state, more = _page(repo, request, "ListIdentifiers", now)
    last = (rows[-1].datestamp, rows[-1].igsn)
    namespaces = repo.namespaces()
    return HeadersResult(
        [repo.header(r, namespaces) for r in rows], _resumption(repo, state, len(rows), more, last, now)
    )


def list_records(repo: Repository, request: OaiRequest, now: datetime) -> RecordsResult:
    rows, state, more = _page(repo, request, "ListRecords", now)
    prefix = state.prefix or ""
    found = repo.source.get(rows, [prefix])
    records: list[Record] = []
    namespaces = repo.namespaces()
    for row in rows:
        if row.deleted:
            records.append(Record(repo.header(row, namespaces)))
            continue
        xml = found.get((row.igsn, prefix))
        if not xml:
            # the item cannot give this format: it is not part of this list (never a half record)
            log.warning("%s left out of ListRecords: no %s metadata", row.igsn, prefix)
            continue
        records.append(Record(repo.header(row, namespaces), xml, tuple(about_containers(repo.registry, row.igsn))))
    last = (rows[-1].datestamp, rows[-1].igsn)
    resumption = _resumption(repo, state, len(rows), more, last, now)
    if not records:
        raise NoRecordsMatch("no item of this page can be disseminated in the requested format")
    return RecordsResult(records, resumption)


VERBS: dict[str, Callable[[Repository, OaiRequest, datetime], Result]] = {
    "Identify": identify,
    "ListMetadataFormats": list_metadata_formats,
    "ListSets": list_sets_verb,
    "GetRecord": get_record,
    "ListIdentifiers": list_identifiers,
    "ListRecords": list_records,
}


def settled(repo: Repository, now: datetime) -> datetime:
    """The response time to announce: before the datestamp of any write not yet visible.

    Harvesters continue from the responseDate; a write stamped earlier but committed later would
    otherwise fall behind it for good. The registry reserves a write's datestamp before stamping it.
    """
    inflight = repo.registry.journal.inflight()
    if inflight is None:
        return now
    cap = datetime.strptime(inflight, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) - timedelta(seconds=1)
    return min(now, cap)


def handle(repo: Repository, request: OaiRequest, now: datetime | None = None) -> Result:
    """Runs the request's verb; raises ``OaiErrors`` (one or more protocol errors)."""
    now = now or datetime.now(timezone.utc).replace(microsecond=0)
    try:
        return VERBS[request.verb](repo, request, now)
    except OaiError as exc:
        raise OaiErrors([exc]) from None
