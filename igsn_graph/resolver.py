"""Resolves one sample to a representation: profiles and media types as data, negotiation, rendering.

No HTTP here: the router turns a ``Choice`` or ``NotAcceptable`` into a response. Profiles come from
``mappings/profiles.csv`` (token, URI, aliases, media types, default media type), in the order
negotiation tries them: the first row is the default profile (W3C Content Negotiation by Profile).
Negotiation and ``Link`` values are pure functions of their inputs and are memoised; a ``SampleView``
reads a sample's graph at most once; ``RenderCache`` keeps rendered bodies by catalogue version and datestamp.
Representations name samples by their persistent IRIs (IRI base), never by the public URL: only what is about
this deployment (``Link``, the alternates listing, landing pages) uses it, per request.

>>> negotiate(accept="application/xml", available=list(PROFILES)).profile.token
'igsn'
>>> negotiate(profile_arg="igsn-r1", mediatype_arg="text/xml", available=list(PROFILES)).media_type
'application/xml'
"""

from __future__ import annotations

import csv
import hashlib
import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from lxml import etree
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Triple, parse, serialize

from . import conneg, maps
from .codelists import codelist
from .family import Family, Relative, family
from .formats import citation, datacite_json, schemaorg
from .formats.graph import facts_from_triples, record_from_triples
from .formats.xmltext import json_escaped, xml_safe
from .index.catalogue import CatalogueRow
from .oai.formats import FORMATS, for_oai, write_all
from .pages import E
from .pages import dl as _dl
from .pages import joined as _joined
from .pages import link as _link
from .pages import page as _page
from .rdfterm import term_value
from .record import Agent, RegistryFacts, SampleRecord
from .resources import mappings_dir
from .vocab import PREFIXES, RDF_TYPE

if TYPE_CHECKING:
    from .registry.service import Registry

__all__ = [
    "DEFAULT_PROFILE",
    "MEDIA_ALIASES",
    "PROFILES",
    "RDF_FORMATS",
    "RESERVED",
    "Choice",
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
    "render_cache",
    "render_element",
    "render_rdf",
    "render_xml",
    "resource_url",
    "sample_url",
    "schemaorg_of",
    "tombstone_page",
]


@dataclass(frozen=True)
class Profile:
    token: str
    uri: str
    aliases: tuple[str, ...]
    media_types: tuple[str, ...]
    default_media_type: str
    label: str

    @property
    def offered(self) -> tuple[str, ...]:
        """Media types in negotiation order: the default first, so ``*/*`` gets it."""
        rest = tuple(m for m in self.media_types if m != self.default_media_type)
        return (self.default_media_type, *rest)


@dataclass(frozen=True)
class Choice:
    profile: Profile
    media_type: str
    #: a profile was asked for but none we can serve: the default was served instead (W3C rule)
    fallback: bool = False
    #: parameters of the media type as asked for (``style``, ``locale`` of text/x-bibliography)
    params: tuple[tuple[str, str], ...] = ()


class NotAcceptable(Exception):
    """No representation of the sample fits the request (406)."""


def _load_profiles() -> dict[str, Profile]:
    with open(mappings_dir() / "profiles.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return {
        r["token"]: Profile(
            r["token"],
            r["uri"],
            tuple(r["aliases"].split()),
            tuple(r["media_types"].split()),
            r["default_media_type"],
            r["label"],
        )
        for r in rows
    }


PROFILES: dict[str, Profile] = _load_profiles()
DEFAULT_PROFILE: Profile = next(iter(PROFILES.values()))

#: other names of the media types we serve (LINKED-DATA.md §1.1); the response names the canonical type
MEDIA_ALIASES: dict[str, str] = {
    "application/x-turtle": "text/turtle",
    "text/ttl": "text/turtle",
    "application/rdf": "application/rdf+xml",
    "text/plain": "application/n-triples",
    "application/xhtml+xml": "text/html",
    "text/xml": "application/xml",
    "application/x-datacite+xml": "application/vnd.datacite.datacite+xml",
    "application/citeproc+json": "application/vnd.citationstyles.csl+json",
}
RDF_FORMATS: dict[str, RdfFormat] = {
    "text/turtle": RdfFormat.TURTLE,
    "application/n-triples": RdfFormat.N_TRIPLES,
    "application/n-quads": RdfFormat.N_QUADS,
    "application/trig": RdfFormat.TRIG,
    "application/rdf+xml": RdfFormat.RDF_XML,
    "application/ld+json": RdfFormat.JSON_LD,
}
#: first path segments that are routes of the service, never IGSNs (they can never be namespaces either)
RESERVED: frozenset[str] = frozenset(
    {
        "docs",
        "redoc",
        "health",
        "oai",
        "sparql",
        "igsn",
        "metadata",
        "doi",
        # the DataCite REST API (api.routers.dois)
        "dois",
        "prefixes",
        "clients",
        "api",
        "ontology",
        "context.jsonld",
        "openapi.json",
        "static",
        "favicon.ico",
        "robots.txt",
        "search",
        # IRI paths of the store (igsn_graph.iris.RESERVED_PATHS)
        "agent",
        "client",
        "namespace",
        "activity",
        "version",
        "graph",
        "provenance",
        "accounts",
    }
)
#: profiles written from the description (the OAI metadata formats, and citations derived from DataCite)
_RECORD_PROFILES = frozenset({*FORMATS, "citation"})
_ALTR = "http://www.w3.org/ns/dx/connegp/altr#"
_DCTERMS = "http://purl.org/dc/terms/"


def _profile_names() -> dict[str, Profile]:
    """Every name of a profile (token, URI, alias) → the profile; the first row naming it wins."""
    names: dict[str, Profile] = {}
    for profile in PROFILES.values():
        for name in (profile.token, profile.uri, *profile.aliases):
            names.setdefault(name, profile)
    return names


_NAMES = _profile_names()


def lookup_profile(value: str) -> Profile | None:
    """The profile a token, an alias or a URI (with or without angle brackets) names."""
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1].strip()
    return _NAMES.get(value)


def available_profiles(facts: RegistryFacts | CatalogueRow) -> list[str]:
    """Tokens of the profiles this sample can be given in (the XML kernels need a public description)."""
    with_record = facts.has_metadata and facts.is_public
    return [t for t in PROFILES if with_record or t not in _RECORD_PROFILES]


def _accepted_by(profile: Profile) -> list[tuple[str, str]]:
    """(type as matched, canonical type) pairs a profile offers, aliases after the canonical types."""
    pairs = [(m, m) for m in profile.offered]
    pairs += [(alias, canonical) for alias, canonical in MEDIA_ALIASES.items() if canonical in profile.media_types]
    return pairs


_ACCEPTED: dict[str, list[tuple[str, str]]] = {token: _accepted_by(p) for token, p in PROFILES.items()}


def negotiate(
    *,
    profile_arg: str | None = None,
    mediatype_arg: str | None = None,
    accept_profile: str | None = None,
    accept: str | None = None,
    available: Sequence[str],
) -> Choice:
    """The profile and media type to serve; query arguments beat headers; raises ``NotAcceptable``."""
    args = (profile_arg, mediatype_arg, accept_profile, accept, tuple(available))
    # a pure function of what clients repeat: decided once per distinct request (long oddities are not kept)
    short = sum(len(a) for a in args[:4] if a is not None) <= _MEMO_CHARS
    outcome = _negotiated(*args) if short else _negotiated.__wrapped__(*args)
    if isinstance(outcome, str):
        raise NotAcceptable(outcome)
    return outcome


_MEMO_CHARS = 1024


@lru_cache(maxsize=1024)
def _negotiated(
    profile_arg: str | None,
    mediatype_arg: str | None,
    accept_profile: str | None,
    accept: str | None,
    available: tuple[str, ...],
) -> Choice | str:
    try:
        return _negotiate(profile_arg, mediatype_arg, accept_profile, accept, available)
    except NotAcceptable as exc:
        return str(exc)


def _negotiate(
    profile_arg: str | None,
    mediatype_arg: str | None,
    accept_profile: str | None,
    accept: str | None,
    available: tuple[str, ...],
) -> Choice:
    if profile_arg is not None and profile_arg.strip():
        requested = [p for p in profile_arg.split(",") if p.strip()]
    else:
        requested = conneg.parse_accept_profile(accept_profile)
    known = [p for p in (lookup_profile(r) for r in requested) if p is not None and p.token in available]
    fallback = bool(requested) and not known
    # a profile that was asked for outranks the media type; otherwise every profile may serve the type
    candidates = [known[0]] if known else [PROFILES[t] for t in available]
    if mediatype_arg is not None and mediatype_arg.strip():
        # an unencoded '+' arrives as a space (LINKED-DATA.md §1.2)
        wanted = mediatype_arg.strip().replace(" ", "+").split(";")[0].strip().lower()
        wanted = MEDIA_ALIASES.get(wanted, wanted)
        asked = conneg.parse_accept(mediatype_arg.strip().replace(" ", "+"))
        params = tuple(sorted(asked[0].params.items())) if asked else ()
        for profile in candidates:
            if wanted in profile.media_types:
                return Choice(profile, wanted, fallback, params)
        raise NotAcceptable(
            f"media type {wanted} is not available" + (f" in profile {candidates[0].token}" if known else "")
        )
    best: tuple[float, int] = (0.0, 0)
    chosen: Choice | None = None
    for profile in candidates:
        for matched, canonical in _ACCEPTED[profile.token]:
            q = conneg.quality(accept, matched)
            if q[0] > 0 and q > best:
                params = tuple(sorted(conneg.params_of(accept, matched).items()))
                best, chosen = q, Choice(profile, canonical, fallback, params)
    if chosen is None:
        raise NotAcceptable(
            "none of the media types in Accept is available" + (f" in profile {candidates[0].token}" if known else "")
        )
    return chosen


def resource_url(base_url: str, name: str) -> str:
    return base_url + quote(name, safe="/")


def alternate_url(resource: str, token: str, media_type: str) -> str:
    # '+' written as %2B: an unencoded one would come back as a space
    return f"{resource}?_profile={quote(token, safe='')}&_mediatype={quote(media_type, safe='/')}"


def link_header(resource: str, available: Sequence[str], served: Choice | None) -> str:
    """``Link``: the served profile (none on 406), the canonical default and every alternate."""
    return resource.join(_link_template(tuple(available), None if served is None else served.profile.uri))


#: stands for the resource in a Link template; a URL never holds a NUL (``quote`` would encode it)
_HOLE = "\0"


@lru_cache(maxsize=256)
def _link_template(available: tuple[str, ...], served_uri: str | None) -> tuple[str, ...]:
    # the ~40 entries depend on the resource only through its URL: built once per set of profiles,
    # then the URL is joined in (``alternate_url`` quotes the token and media type, never the resource)
    return tuple(_link_value(_HOLE, available, served_uri).split(_HOLE))


def _link_value(resource: str, available: Sequence[str], served_uri: str | None) -> str:
    links: list[str] = []
    if served_uri is not None:
        links.append(f'<{served_uri}>; rel="profile"')
    for token in available:
        profile = PROFILES[token]
        for media_type in profile.offered:
            if profile is DEFAULT_PROFILE and media_type == profile.default_media_type:
                links.append(f'<{resource}>; rel="canonical"; type="{media_type}"; formats="{profile.uri}"')
            else:
                links.append(
                    f'<{alternate_url(resource, token, media_type)}>; rel="alternate"; '
                    f'type="{media_type}"; formats="{profile.uri}"; profile="{profile.uri}"'
                )
    return ", ".join(links)


def etag(version: int, choice: Choice, extra: str = "") -> str:
    """A strong ETag: the catalogue version of the sample and what was served from it."""
    digest = hashlib.sha1(f"{version}|{choice.profile.token}|{choice.media_type}|{extra}".encode()).hexdigest()
    return f'"{version}-{digest[:16]}"'


#: syntaxes of a dataset: the triples go into their named graph
_DATASET_FORMATS = frozenset({RdfFormat.N_QUADS, RdfFormat.TRIG})


def _prefixes(fmt: RdfFormat) -> dict[str, str] | None:
    """The prefixes written in the syntaxes that abbreviate IRIs with them (Turtle, TriG)."""
    return PREFIXES if fmt in (RdfFormat.TURTLE, RdfFormat.TRIG) else None


def render_rdf(triples: Sequence[Triple], graph: NamedNode, media_type: str) -> bytes:
    """Triples in one RDF syntax; the dataset syntaxes put them in their named graph."""
    fmt = RDF_FORMATS[media_type]
    if fmt == RdfFormat.RDF_XML:
        triples = xml_safe(triples)  # pyoxigraph writes a NUL or U+FFFE into RDF/XML as it is
    if fmt in _DATASET_FORMATS:
        quads = [Quad(t.subject, t.predicate, t.object, graph) for t in triples]
        return serialize(quads, format=fmt, prefixes=_prefixes(fmt)) or b""
    return serialize(triples, format=fmt, prefixes=_prefixes(fmt)) or b""


def render_element(token: str, record: SampleRecord, facts: RegistryFacts, iri_base: str) -> etree._Element:
    """The record in one of the OAI metadata formats (the same writers and table as the data provider);
    ``iri_base`` names samples by their persistent IRIs as the data provider does."""
    record = for_oai(record, facts)
    try:
        return FORMATS[token].write(record, facts, iri_base)
    except ValueError:
        # write_all knows how to clean characters XML cannot carry; it leaves out what still fails
        written = write_all(record, facts, iri_base)
        if token not in written:
            raise NotAcceptable(f"the sample cannot be written as {token}") from None
        return written[token]


def render_xml(token: str, record: SampleRecord, facts: RegistryFacts, iri_base: str) -> bytes:
    data: bytes = etree.tostring(  # lxml is untyped here
        render_element(token, record, facts, iri_base),
        xml_declaration=True,
        encoding="UTF-8",
    )
    return data


def render_alt(resource: str, available: Sequence[str], media_type: str) -> bytes:
    """The alternates listing (W3C ``alt`` profile) as JSON or as RDF in the altr vocabulary."""
    if media_type == "application/json":
        body = {
            "resource": resource,
            "default_profile": DEFAULT_PROFILE.token,
            "profiles": [
                {
                    "token": p.token,
                    "uri": p.uri,
                    "media_types": list(p.offered),
                    "default_media_type": p.default_media_type,
                    "label": p.label,
                }
                for p in (PROFILES[t] for t in available)
            ],
        }
        return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")
    subject = NamedNode(resource)
    conforms, fmt = NamedNode(_DCTERMS + "conformsTo"), NamedNode(_DCTERMS + "format")
    triples: list[Triple] = []
    for token in available:
        profile = PROFILES[token]
        for mt in profile.offered:
            node = NamedNode(alternate_url(resource, token, mt))
            default = profile is DEFAULT_PROFILE and mt == profile.default_media_type
            triples += [
                Triple(
                    subject, NamedNode(_ALTR + ("hasDefaultRepresentation" if default else "hasRepresentation")), node
                ),
                Triple(node, RDF_TYPE, NamedNode(_ALTR + "Representation")),
                Triple(node, conforms, NamedNode(profile.uri)),
                Triple(node, fmt, Literal(mt)),
            ]
    return render_rdf(triples, subject, media_type)


# --- what the pages and projections read besides the record -------------------------------------


@dataclass(frozen=True)
class Related:
    """Samples that name this one: as parent (children) or as collection (members)."""

    children: tuple[str, ...] = ()
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class HistoryEntry:
    time: str
    event: str
    by: str


_IG = "https://w3id.org/igsn-graph/ontology#"
_PROV = "http://www.w3.org/ns/prov#"
_RELATED_LIMIT = 500  # a page lists at most this many children and members (each)


def related(registry: Registry, name: str) -> Related:
    """Children and members of a sample: one SPARQL query over the public graphs (inverse of what
    ``formats.graph`` writes as ``ig:parent`` / ``ig:memberOf``)."""
    sample = registry.iris.sample(name).value
    query = (
        f"SELECT DISTINCT ?s ?p WHERE {{ GRAPH ?g {{ ?s ?p <{sample}> }} "
        f"VALUES ?p {{ <{_IG}parent> <{_IG}memberOf> }} }} ORDER BY ?s LIMIT {2 * _RELATED_LIMIT}"
    )
    children: list[str] = []
    members: list[str] = []
    # ``raw`` is pyoxigraph-like for both stores (the embedded Store, or the remote engine behind the same call)
    for solution in registry.store.raw.query(query, use_default_graph_as_union=True):  # type: ignore[attr-defined]
        child = registry.iris.name_of(solution["s"].value)
        if child is None or child == name:
            continue
        (children if solution["p"].value.endswith("#parent") else members).append(child)
    return Related(tuple(children[:_RELATED_LIMIT]), tuple(members[:_RELATED_LIMIT]))


def history(registry: Registry, name: str) -> list[HistoryEntry]:
    """The registration history (PROV activities of the provenance graph), oldest first."""
    by_subject: dict[str, dict[str, str]] = {}
    for t in registry.store.graph(registry.iris.provenance_graph(name)):
        by_subject.setdefault(term_value(t.subject), {})[t.predicate.value] = term_value(t.object)
    entries = [
        HistoryEntry(
            p.get(_PROV + "endedAtTime", ""),
            p.get(_IG + "changeType", ""),
            _account_symbol(p.get(_PROV + "wasAssociatedWith", ""), registry.iris.base),
        )
        for p in by_subject.values()
        if _IG + "changeType" in p
    ]
    return sorted(entries, key=lambda e: e.time)


def _account_symbol(iri: str, base: str) -> str:
    for kind in ("agent/", "client/"):
        if iri.startswith(base + kind):
            return unquote(iri[len(base + kind) :])
    return iri


# --- projections --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    body: bytes
    content_type: str


def sample_url(registry: Registry, name: str) -> str:
    """The persistent IRI of a sample (IRI base + name): what documents name it by, wherever the server runs."""
    return registry.iris.sample(name).value


def datacite_json_of(registry: Registry, record: SampleRecord, facts: RegistryFacts) -> dict[str, object]:
    element = render_element("datacite", record, facts, registry.iris.base)
    return datacite_json.from_xml(element, url=facts.landing_url)


def csl_of(registry: Registry, record: SampleRecord, facts: RegistryFacts) -> dict[str, object]:
    return citation.csl(
        datacite_json_of(registry, record, facts), igsn=facts.igsn, sample_url=sample_url(registry, facts.igsn)
    )


def schemaorg_of(
    registry: Registry, facts: RegistryFacts, record: SampleRecord | None, children: Sequence[str] = ()
) -> dict[str, object]:
    url = facts.landing_url or sample_url(registry, facts.igsn)
    return schemaorg.document(facts, record, iri_base=registry.iris.base, url=url, children=children)


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1).encode("utf-8")


def _utf8(media_type: str) -> str:
    return media_type + "; charset=utf-8"


class SampleMissing(Exception):
    """The catalogue names the sample but its public graph says nothing of it (a store out of step)."""


class SampleView:
    """One sample as one request sees it: its catalogue row, and its public graph read at most once
    (facts and description both come from that one read)."""

    def __init__(self, registry: Registry, row: CatalogueRow) -> None:
        self.registry = registry
        self.row = row
        self.name = row.igsn

    @cached_property
    def triples(self) -> list[Triple]:
        return self.registry.graph_of(self.name)

    @cached_property
    def facts(self) -> RegistryFacts:
        facts = facts_from_triples(self.triples, self.registry.iris, self.name)
        if facts is None:
            raise SampleMissing(self.name)
        return facts

    def rdf(self, media_type: str) -> bytes:
        """The public graph in one RDF syntax. The graph syntaxes are written by the store itself when
        the triples were not needed otherwise (the same bytes, without a Python object per triple)."""
        graph = self.registry.iris.record_graph(self.name)
        fmt = RDF_FORMATS[media_type]
        if "triples" not in self.__dict__ and fmt not in _DATASET_FORMATS and fmt != RdfFormat.RDF_XML:
            body = self.registry.store.serialize_graph(graph, fmt, _prefixes(fmt))
            if body is None:
                raise SampleMissing(self.name)
            return body
        if not self.triples:
            raise SampleMissing(self.name)
        return render_rdf(self.triples, graph, media_type)

    @cached_property
    def record(self) -> SampleRecord | None:
        """The public description (None without one: a private description is never resolved)."""
        facts = self.facts
        if not (facts.has_metadata and facts.is_public):
            return None
        return record_from_triples(self.triples, self.registry.iris, self.name)


def render(view: SampleView, choice: Choice, resource: str, available: Sequence[str]) -> Rendered:
    """The body of a negotiated representation (not the landing page); raises ``NotAcceptable``."""
    registry, name, token, media_type = view.registry, view.name, choice.profile.token, choice.media_type
    if token == "alt":
        if media_type == "text/html":
            return Rendered(alt_page(view.row, resource, available), _utf8(media_type))
        return Rendered(render_alt(resource, available, media_type), _content_type(media_type))
    if token == "prov":
        graph = registry.iris.provenance_graph(name)
        return Rendered(render_rdf(registry.store.graph(graph), graph, media_type), _content_type(media_type))
    if token == "sdo":
        doc = schemaorg_of(registry, view.facts, view.record, related(registry, name).children)
        if media_type in ("application/ld+json", schemaorg.MEDIA_TYPE):
            return Rendered(_json(doc), media_type)
        triples = list(parse(_json(doc), format=RdfFormat.JSON_LD))
        return Rendered(render_rdf(triples, registry.iris.record_graph(name), media_type), _content_type(media_type))
    if media_type in RDF_FORMATS:
        return Rendered(view.rdf(media_type), _content_type(media_type))
    record, facts = view.record, view.facts
    if record is None:  # available_profiles keeps this out; a race with a write could not
        raise NotAcceptable(f"{name} has no description to write as {token}")
    if token == "citation":
        item = csl_of(registry, record, facts)
        if media_type == "application/x-bibtex":
            return Rendered(citation.bibtex(item).encode("utf-8"), _utf8(media_type))
        if media_type == "application/x-research-info-systems":
            return Rendered(citation.ris(item).encode("utf-8"), _utf8(media_type))
        if media_type == "text/x-bibliography":
            params = dict(choice.params)
            text, style, locale = citation.format_reference(item, params.get("style"), params.get("locale"))
            return Rendered(
                (text + "\n").encode("utf-8"), f"text/x-bibliography; style={style}; locale={locale}; charset=utf-8"
            )
        return Rendered(_json(item), media_type)
    if media_type == datacite_json.MEDIA_TYPE:
        return Rendered(_json(datacite_json_of(registry, record, facts)), media_type)
    return Rendered(render_xml(token, record, facts, registry.iris.base), media_type)


# --- rendered representations, kept by version --------------------------------------------------

CacheKey = tuple[str, int, str, str, str, tuple[tuple[str, str], ...]]


def cacheable(choice: Choice) -> bool:
    """Whether the representation depends on the sample's own version only. The schema.org document and
    the landing page list the children, which change when another sample names this one as parent."""
    return choice.profile.token != "sdo" and (choice.media_type != "text/html" or choice.profile.token == "alt")


class RenderCache:
    """Rendered representations by (IGSN, catalogue version, datestamp, profile, media type, parameters), the
    least recently used dropped first, at most ``max_bytes`` of bodies in all.

    Never stale: every write gives the sample a new catalogue version, and a restamp a new datestamp (the graph
    states it), so the new content has a new key and the old entries are simply no longer asked for.
    Thread-safe (readers run in worker threads).
    """

    def __init__(self, max_bytes: int = 64 * 2**20) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[CacheKey, Rendered] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @staticmethod
    def key(row: CatalogueRow, choice: Choice) -> CacheKey | None:
        """The key of a representation, or None when it must be rendered every time."""
        if not cacheable(choice):
            return None
        return (row.igsn, row.version, row.datestamp, choice.profile.token, choice.media_type, choice.params)

    def get(self, key: CacheKey) -> Rendered | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: CacheKey, rendered: Rendered) -> None:
        size = len(rendered.body)
        if size > self.max_bytes // 16:  # one huge sample must not flush everything else
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._entries[key] = rendered
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.body)

    def __len__(self) -> int:
        return len(self._entries)


_CACHES: weakref.WeakKeyDictionary[Registry, RenderCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def render_cache(registry: Registry) -> RenderCache:
    """The cache of one registry (its settings decide URLs in the bodies, so caches are never shared)."""
    with _CACHES_LOCK:
        cache = _CACHES.get(registry)
        if cache is None:
            cache = _CACHES[registry] = RenderCache()
        return cache


def _content_type(media_type: str) -> str:
    return _utf8(media_type) if media_type.startswith("text/") or media_type == "application/json" else media_type


# --- HTML ---------------------------------------------------------------------------------------

_NOTICES = {"deprecated": "This sample is deprecated.", "destroyed": "This sample has been destroyed."}


def _label(iri: str, *lists: str) -> str:
    for name in lists:
        term = codelist(name).by_iri.get(iri)
        if term is not None:
            return term.label
    return iri


def _concept(iri: str, *lists: str) -> etree._Element | str:
    label = _label(iri, *lists)
    return _link(label, iri) if label != iri else _link(iri, iri)


def _agent(agent: Agent) -> list[etree._Element | str]:
    parts: list[etree._Element | str] = [agent.name]
    link = schemaorg.agent_link(agent)
    if link:
        scheme = "ORCID" if "orcid.org" in link else "ROR" if "ror.org" in link else "link"
        parts += [" (", E.A(scheme, href=link), ")"]
    if agent.affiliation is not None and agent.affiliation.name.strip():
        parts += [", ", *_agent(agent.affiliation)]
    return parts


def _json_ld_block(doc: dict[str, object]) -> etree._Element:
    # "<" never appears raw inside the script: no "</script>" can end it early
    text = json.dumps(doc, ensure_ascii=False, indent=1).replace("<", "\\u003c").replace(">", "\\u003e")
    text = json_escaped(text)  # the same JSON without characters XML cannot carry (U+FFFE, a lone surrogate)
    script = E.SCRIPT(type="application/ld+json")
    script.text = text
    return script


def _relative(r: Relative) -> list[etree._Element | str]:
    """A relative as a family list shows it: its name linked to its page, then its types and IGSN."""
    about = ", ".join(r.types) or r.kind
    return [
        E.A(r.name or r.igsn, href=resource_url("/", r.igsn)),
        " ",
        E.SPAN(f"{about} · {r.igsn}", **{"class": "meta"}),
    ]


def _more(text: str, href: str) -> etree._Element:
    return E.LI(E.A(text, href=href))


def _family_section(fam: Family, name: str, title: str) -> etree._Element:
    """The family as a nested list: the ancestors from the root down, this sample among its siblings, its
    children under it; then the collections it belongs to and, for a collection, its members."""
    api = f"/api/v1/samples/{quote(name, safe='')}"
    me = E.LI(E.STRONG(title, **{"aria-current": "page"}), " ", E.SPAN(f"this sample · {name}", **{"class": "meta"}))
    if fam.children:
        kids = E.UL(*[E.LI(*_relative(c)) for c in fam.children])
        if fam.more_children:
            kids.append(_more(f"More children: all descendants of {name}", f"{api}/descendants?depth=1"))
        me.append(kids)
    level = [me] + [E.LI(*_relative(s)) for s in fam.siblings]
    if fam.more_siblings:
        parent = quote(fam.parents[0].igsn, safe="")
        level.append(_more("More samples from the same parent", f"/api/v1/samples/{parent}/descendants?depth=1"))
    for generation in reversed(fam.lineage):
        head: list[etree._Element | str] = []
        for i, r in enumerate(generation):
            head += ([" · "] if i else []) + _relative(r)
        level = [E.LI(*head, E.UL(*level))]
    section = E.SECTION(E.H2("Family"))
    if fam.lineage or fam.children or fam.siblings:
        section.append(E.UL(*level, **{"class": "family", "aria-label": f"Family tree of {title}"}))
    if fam.collections:
        section.extend([E.H3("Part of the collections"), E.UL(*[E.LI(*_relative(c)) for c in fam.collections])])
    if fam.members:
        members = E.UL(*[E.LI(*_relative(m)) for m in fam.members])
        if fam.more_members:
            members.append(_more(f"More members: every sample related to {name}", f"{api}/related"))
        section.extend([E.H3("Members of this collection"), members])
    return section


def landing_page(view: SampleView, resource: str, available: Sequence[str]) -> bytes:
    """Our landing page: everything public about the sample, its citations and every alternate; no scripts
    beyond the JSON-LD data block, no external resources; lxml escapes every value."""
    registry, facts, record = view.registry, view.facts, view.record
    rel = related(registry, facts.igsn)
    name = facts.igsn
    title = (record.name if record is not None and record.name else None) or name
    body: list[etree._Element] = [E.HEADER(E.P("IGSN sample"), E.H1(title))]
    notice = _NOTICES.get(facts.status)
    if notice:
        parts: list[object] = [notice]
        if facts.replaced_by:
            target = facts.replaced_by
            parts += [" Replaced by ", E.A(target, href=target if "://" in target else resource_url("/", target)), "."]
        body.append(E.P(*parts, role="alert", **{"class": "notice"}))

    doi = (record.doi if record is not None else None) or facts.doi
    identifiers: list[tuple[str, object]] = [
        ("IGSN", E.CODE(f"IGSN: {name}")),
        (
            "Handle",
            [
                E.CODE(f"hdl:10273/{name}"),
                " · ",
                E.A(f"https://hdl.handle.net/10273/{name}", href=f"https://hdl.handle.net/10273/{name}"),
            ],
        ),
        ("IGSN URI", E.A(f"{registry.iris.base}{name}", href=f"{registry.iris.base}{name}")),
        ("Here", E.A(resource, href=resource)),
    ]
    if doi:
        identifiers.append(
            ("DOI", [E.CODE(f"doi:{doi}"), " · ", E.A(f"https://doi.org/{doi}", href=f"https://doi.org/{doi}")])
        )
    if record is not None:
        identifiers += [(i.scheme or "Other identifier", i.value) for i in record.alternate_identifiers]
    body += [E.SECTION(E.H2("Identifiers"), _dl(identifiers))]

    if record is not None and "citation" in available:
        item = csl_of(registry, record, facts)
        text, _, _ = citation.format_reference(item)
        cite_links = [
            E.A(label, href=alternate_url(resource, "citation", mt))
            for label, mt in (
                ("BibTeX", "application/x-bibtex"),
                ("RIS", "application/x-research-info-systems"),
                ("CSL-JSON", "application/vnd.citationstyles.csl+json"),
            )
        ]
        body.append(
            E.SECTION(
                E.H2("Cite as"), E.P(text, **{"class": "citation"}), E.P("Download: ", *_joined(cite_links, " · "))
            )
        )

    facts_rows: list[tuple[str, object]] = []
    if record is not None:
        t = record.collection_time
        when = None if t is None else t.instant or (f"{t.start or '…'} – {t.end or '…'}" if t.start or t.end else None)
        facts_rows = [
            (
                "Type",
                _joined([_concept(x, "sample_type", "feature_type", "collection_type") for x in record.resource_types]),
            ),
            ("Material", _joined([_concept(m, "material") for m in record.materials])),
            ("Classification", _joined([_link(c.label, c.uri) for c in record.classifications])),
            ("Collection method", _concept(record.collection_method, "method") if record.collection_method else None),
            ("Method", record.method_description),
            ("Collected", when),
            ("Description", record.description),
            ("Purpose", record.purpose),
            ("Campaign", record.campaign),
            ("Comments", record.comments),
        ]
    facts_rows += [("Status", facts.status), ("Registered", facts.registered), ("Last changed", facts.datestamp)]
    if facts.landing_url:
        facts_rows.append(("Registrant's page", E.A(facts.landing_url, href=facts.landing_url)))
    body.append(E.SECTION(E.H2("Sample"), _dl(facts_rows)))

    if record is not None and (record.geometries or record.places):
        shapes: list[maps.Shape] = []
        described: list[etree._Element] = []
        for g in record.geometries:
            shapes += maps.shapes_of_wkt(g.wkt, g.srid, title)
            described.append(E.LI(E.CODE(g.wkt), f" ({g.srid})" if g.srid else ""))
        described += [E.LI(_link(p.name or p.identifier or "", p.identifier)) for p in record.places]
        section = E.SECTION(E.H2("Location"))
        if shapes:  # coastlines and borders (Natural Earth), zoomed to the sample's own geometry
            section.append(maps.figure(shapes, f"Map of where {title} was collected", "Longitude/latitude (CRS84)"))
        section.append(E.UL(*described))
        body.append(section)

    if record is not None:
        people: list[tuple[str, object]] = [("Collector", _agent(a)) for a in record.collectors]
        for c in record.curations:
            parts2: list[etree._Element | str] = []
            if c.curator:
                parts2.append(c.curator)
            if c.institution is not None:
                parts2 += ([", "] if parts2 else []) + _agent(c.institution)
            if c.location:
                parts2.append(f" ({c.location})")
            people.append(("Curator", parts2))
        people += [(c.role or "Contributor", _agent(c.agent)) for c in record.contributors]
        if record.registrant is not None:
            people.append(("Registrant", _agent(record.registrant)))
        people.append(("Allocating agent", E.A(facts.agent, href=f"/agent/{quote(facts.agent, safe='')}")))
        if facts.client:
            people.append(("Client", E.A(facts.client, href=f"/client/{quote(facts.client, safe='')}")))
        people.append(("Namespace", E.A(facts.namespace, href=f"/namespace/{quote(facts.namespace, safe='')}")))
        body.append(E.SECTION(E.H2("People and organisations"), _dl(people)))

    relatives = family(registry.db.read(), name)
    if relatives:
        body.append(_family_section(relatives, name, title))

    relation_rows: list[tuple[str, object]] = []
    if record is not None:
        linked = set(record.parents) | set(record.collections)
        for r in record.relations:
            if r.igsn is not None and r.igsn in linked:
                continue  # shown above as its parent or collection, on our own page
            shown = r.title or (f"{r.identifier_type}: {r.identifier}" if r.identifier_type else r.identifier)
            # another sample, in whatever form it was written, links to its page here (links.py)
            target = (
                E.A(shown, href=resource_url("/", r.igsn))
                if r.igsn is not None
                else _link(shown, schemaorg.relation_url(r, registry.iris.base))
            )
            relation_rows.append((r.relation_type or r.source_relation_type or "Related", target))
    if relation_rows:
        body.append(E.SECTION(E.H2("Related samples, datasets and publications"), _dl(relation_rows)))

    events = history(registry, name)
    if events:
        rows = [E.TR(E.TD(e.time), E.TD(e.event), E.TD(e.by)) for e in events]
        body.append(
            E.SECTION(
                E.H2("Registration history"),
                E.TABLE(E.THEAD(E.TR(E.TH("When"), E.TH("Change"), E.TH("By"))), E.TBODY(*rows)),
            )
        )

    items = [
        E.LI(E.A(f"{PROFILES[t].label} — {mt}", href=alternate_url(resource, t, mt)))
        for t in available
        for mt in PROFILES[t].offered
        if (t, mt) != ("landing", "text/html")
    ]
    # one folded block instead of a long list: most readers want the page, the few who want a format find it
    body.append(
        E.SECTION(
            E.H2("Download / formats"),
            E.DETAILS(
                E.SUMMARY(f"This sample in {len(items)} other formats (RDF, XML kernels, DataCite, citations…)"),
                E.UL(*items),
                **{"class": "formats"},
            ),
        )
    )
    head: list[etree._Element] = [
        E.LINK(rel="alternate", type=mt, href=alternate_url(resource, t, mt))
        for t in available
        for mt in PROFILES[t].offered
        if mt != "text/html"
    ]
    head.append(_json_ld_block(schemaorg_of(registry, facts, record, rel.children)))
    return _page(f"{title} – IGSN {name}", resource, body, head)


def alt_page(facts: RegistryFacts | CatalogueRow, resource: str, available: Sequence[str]) -> bytes:
    """The alternates listing as HTML (W3C ``alt`` profile)."""
    rows = [
        E.TR(
            E.TD(E.A(t, href=PROFILES[t].uri)),
            E.TD(E.A(mt, href=alternate_url(resource, t, mt))),
            E.TD(PROFILES[t].label),
        )
        for t in available
        for mt in PROFILES[t].offered
    ]
    return _page(
        f"Representations of IGSN {facts.igsn}",
        resource,
        [
            E.H1(f"Representations of IGSN {facts.igsn}"),
            E.TABLE(E.THEAD(E.TR(E.TH("Profile"), E.TH("Media type"), E.TH("What"))), E.TBODY(*rows)),
        ],
    )


def not_found_page(name: str) -> bytes:
    return _page(
        f"IGSN {name} not found",
        None,
        [
            E.H1("IGSN not found"),
            E.P("No sample is registered here as ", E.CODE(name), "."),
            E.P(
                "Check the spelling, or look it up at ",
                E.A("https://hdl.handle.net/10273/" + name, href="https://hdl.handle.net/10273/" + name),
                ".",
            ),
        ],
    )


def tombstone_page(facts: RegistryFacts | CatalogueRow) -> bytes:
    """410: the IGSN stays reserved, its description is withdrawn."""
    return _page(
        f"IGSN {facts.igsn} withdrawn",
        None,
        [
            E.H1(f"IGSN {facts.igsn} has been withdrawn"),
            E.P(
                "This sample was deactivated by its registrant. The identifier stays reserved and is never reused; "
                "its description is no longer public."
            ),
            _dl(
                [
                    ("IGSN", E.CODE(f"IGSN: {facts.igsn}")),
                    ("Allocating agent", facts.agent),
                    ("Withdrawn", facts.datestamp),
                ]
            ),
        ],
    )
