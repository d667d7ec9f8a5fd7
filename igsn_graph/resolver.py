"""Resolves one sample to a representation: profiles and media types as data, negotiation, rendering.

No HTTP here: the router turns a ``Choice`` or ``NotAcceptable`` into a response. Profiles come from
``mappings/profiles.csv`` (token, URI, aliases, media types, default media type), in the order
negotiation tries them: the first row is the default profile (W3C Content Negotiation by Profile).

>>> negotiate(accept="application/xml", available=list(PROFILES)).profile.token
'igsn'
>>> negotiate(profile_arg="igsn-r1", mediatype_arg="text/xml", available=list(PROFILES)).media_type
'application/xml'
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from typing import Sequence
from urllib.parse import quote

from lxml import etree
from lxml.html import builder as E
from lxml.html import tostring as html_tostring
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Triple, serialize

from . import conneg
from .oai.formats import FORMATS, for_oai, write_all
from .record import RegistryFacts, SampleRecord
from .resources import mappings_dir
from .vocab import PREFIXES, RDF_TYPE

__all__ = [
    "Profile", "Choice", "NotAcceptable", "PROFILES", "DEFAULT_PROFILE", "MEDIA_ALIASES", "RDF_FORMATS",
    "RESERVED", "lookup_profile", "available_profiles", "negotiate", "resource_url", "alternate_url",
    "link_header", "etag", "render_rdf", "render_xml", "render_alt", "landing_page",
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


class NotAcceptable(Exception):
    """No representation of the sample fits the request (406)."""


def _load_profiles() -> dict[str, Profile]:
    with open(mappings_dir() / "profiles.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return {r["token"]: Profile(r["token"], r["uri"], tuple(r["aliases"].split()), tuple(r["media_types"].split()),
                                r["default_media_type"], r["label"]) for r in rows}


PROFILES: dict[str, Profile] = _load_profiles()
DEFAULT_PROFILE: Profile = next(iter(PROFILES.values()))

#: other names of the media types we serve (LINKED-DATA.md §1.1); the response names the canonical type
MEDIA_ALIASES: dict[str, str] = {
    "application/x-turtle": "text/turtle", "text/ttl": "text/turtle", "application/rdf": "application/rdf+xml",
    "text/plain": "application/n-triples", "application/xhtml+xml": "text/html", "text/xml": "application/xml",
    "application/x-datacite+xml": "application/vnd.datacite.datacite+xml",
}
RDF_FORMATS: dict[str, RdfFormat] = {
    "text/turtle": RdfFormat.TURTLE, "application/n-triples": RdfFormat.N_TRIPLES,
    "application/n-quads": RdfFormat.N_QUADS, "application/trig": RdfFormat.TRIG,
    "application/rdf+xml": RdfFormat.RDF_XML, "application/ld+json": RdfFormat.JSON_LD,
}
#: first path segments that are routes of the service, never IGSNs (they can never be namespaces either)
RESERVED: frozenset[str] = frozenset({
    "docs", "redoc", "health", "oai", "sparql", "igsn", "metadata", "doi", "api", "ontology", "context.jsonld",
    "openapi.json", "static", "favicon.ico", "robots.txt", "search",
    # IRI paths of the store (igsn_graph.iris.RESERVED_PATHS)
    "agent", "client", "namespace", "activity", "version", "graph", "provenance", "accounts",
})
_XML_PROFILES = frozenset(FORMATS)  # the OAI metadata formats: they need the description
_ALTR = "http://www.w3.org/ns/dx/connegp/altr#"
_DCTERMS = "http://purl.org/dc/terms/"


def lookup_profile(value: str) -> Profile | None:
    """The profile a token, an alias or a URI (with or without angle brackets) names."""
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1].strip()
    for profile in PROFILES.values():
        if value == profile.token or value == profile.uri or value in profile.aliases:
            return profile
    return None


def available_profiles(facts: RegistryFacts) -> list[str]:
    """Tokens of the profiles this sample can be given in (the XML kernels need a public description)."""
    with_record = facts.has_metadata and facts.is_public
    return [t for t in PROFILES if with_record or t not in _XML_PROFILES]


def _accepted_by(profile: Profile) -> list[tuple[str, str]]:
    """(type as matched, canonical type) pairs a profile offers, aliases after the canonical types."""
    pairs = [(m, m) for m in profile.offered]
    pairs += [(alias, canonical) for alias, canonical in MEDIA_ALIASES.items() if canonical in profile.media_types]
    return pairs


def negotiate(*, profile_arg: str | None = None, mediatype_arg: str | None = None,
              accept_profile: str | None = None, accept: str | None = None,
              available: Sequence[str]) -> Choice:
    """The profile and media type to serve; query arguments beat headers; raises ``NotAcceptable``."""
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
        for profile in candidates:
            if wanted in profile.media_types:
                return Choice(profile, wanted, fallback)
        raise NotAcceptable(f"media type {wanted} is not available" +
                            (f" in profile {candidates[0].token}" if known else ""))
    best: tuple[float, int] = (0.0, 0)
    chosen: Choice | None = None
    for profile in candidates:
        for matched, canonical in _accepted_by(profile):
            q = conneg.quality(accept, matched)
            if q[0] > 0 and q > best:
                best, chosen = q, Choice(profile, canonical, fallback)
    if chosen is None:
        raise NotAcceptable("none of the media types in Accept is available" +
                            (f" in profile {candidates[0].token}" if known else ""))
    return chosen


def resource_url(base_url: str, name: str) -> str:
    return base_url + quote(name, safe="/")


def alternate_url(resource: str, token: str, media_type: str) -> str:
    # '+' written as %2B: an unencoded one would come back as a space
    return f"{resource}?_profile={quote(token, safe='')}&_mediatype={quote(media_type, safe='/')}"


def link_header(resource: str, available: Sequence[str], served: Choice | None) -> str:
    """``Link``: the served profile (none on 406), the canonical default and every alternate."""
    links: list[str] = []
    if served is not None:
        links.append(f'<{served.profile.uri}>; rel="profile"')
    for token in available:
        profile = PROFILES[token]
        for media_type in profile.offered:
            if profile is DEFAULT_PROFILE and media_type == profile.default_media_type:
                links.append(f'<{resource}>; rel="canonical"; type="{media_type}"; formats="{profile.uri}"')
            else:
                links.append(f'<{alternate_url(resource, token, media_type)}>; rel="alternate"; '
                             f'type="{media_type}"; formats="{profile.uri}"; profile="{profile.uri}"')
    return ", ".join(links)


def etag(version: int, choice: Choice, extra: str = "") -> str:
    """A strong ETag: the catalogue version of the sample and what was served from it."""
    digest = hashlib.sha1(f"{version}|{choice.profile.token}|{choice.media_type}|{extra}".encode()).hexdigest()
    return f'"{version}-{digest[:16]}"'


def render_rdf(triples: Sequence[Triple], graph: NamedNode, media_type: str) -> bytes:
    """Triples in one RDF syntax; the dataset syntaxes put them in their named graph."""
    fmt = RDF_FORMATS[media_type]
    if fmt in (RdfFormat.N_QUADS, RdfFormat.TRIG):
        quads = [Quad(t.subject, t.predicate, t.object, graph) for t in triples]
        return serialize(quads, format=fmt, prefixes=PREFIXES if fmt is RdfFormat.TRIG else None) or b""
    if fmt is RdfFormat.TURTLE:
        return serialize(triples, format=fmt, prefixes=PREFIXES) or b""
    return serialize(triples, format=fmt) or b""


def render_xml(token: str, record: SampleRecord, facts: RegistryFacts, base_url: str) -> bytes:
    """The record in one of the OAI metadata formats (the same writers and table as the data provider)."""
    record = for_oai(record, facts)
    try:
        element = FORMATS[token].write(record, facts, base_url)
    except ValueError:
        # write_all knows how to clean characters XML cannot carry; it leaves out what still fails
        written = write_all(record, facts, base_url)
        if token not in written:
            raise NotAcceptable(f"the sample cannot be written as {token}") from None
        element = written[token]
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8")  # type: ignore[no-any-return]


def render_alt(resource: str, available: Sequence[str], media_type: str) -> bytes:
    """The alternates listing (W3C ``alt`` profile) as JSON or as RDF in the altr vocabulary."""
    if media_type == "application/json":
        body = {"resource": resource, "default_profile": DEFAULT_PROFILE.token, "profiles": [
            {"token": p.token, "uri": p.uri, "media_types": list(p.offered), "default_media_type":
             p.default_media_type, "label": p.label} for p in (PROFILES[t] for t in available)]}
        return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")
    subject = NamedNode(resource)
    conforms, fmt = NamedNode(_DCTERMS + "conformsTo"), NamedNode(_DCTERMS + "format")
    triples: list[Triple] = []
    for token in available:
        profile = PROFILES[token]
        for mt in profile.offered:
            node = NamedNode(alternate_url(resource, token, mt))
            default = profile is DEFAULT_PROFILE and mt == profile.default_media_type
            triples += [Triple(subject, NamedNode(_ALTR + ("hasDefaultRepresentation" if default
                                                           else "hasRepresentation")), node),
                        Triple(node, RDF_TYPE, NamedNode(_ALTR + "Representation")),
                        Triple(node, conforms, NamedNode(profile.uri)), Triple(node, fmt, Literal(mt))]
    return render_rdf(triples, subject, media_type)


_NOTICES = {"deprecated": "This sample is deprecated.", "destroyed": "This sample has been destroyed."}


def landing_page(facts: RegistryFacts, record: SampleRecord | None, resource: str,
                 available: Sequence[str]) -> bytes:
    """Our own minimal landing page (no scripts, no CDN); lxml escapes every value."""
    title = (record.name if record is not None and record.name else None) or facts.igsn
    rows = [("IGSN", facts.igsn), ("Handle", f"hdl:10273/{facts.igsn}"), ("Status", facts.status),
            ("Allocating agent", facts.agent)]
    if facts.doi:
        rows.append(("DOI", f"doi:{facts.doi}"))
    if record is not None and record.description:
        rows.append(("Description", record.description))
    if facts.registered:
        rows.append(("Registered", facts.registered))
    rows.append(("Last changed", facts.datestamp))
    details = E.DL(*[part for label, value in rows for part in (E.DT(label), E.DD(value))])
    body: list[etree._Element] = [E.H1(title)]
    notice = _NOTICES.get(facts.status)
    if notice:
        parts: list[object] = [notice]
        if facts.replaced_by:
            parts += [" Replaced by ", E.A(facts.replaced_by, href=resource_url("", facts.replaced_by)
                                           if "://" not in facts.replaced_by else facts.replaced_by), "."]
        body.append(E.P(*parts, role="alert", **{"class": "notice"}))
    body.append(details)
    if facts.landing_url:
        body.append(E.P("Landing page of the registrant: ", E.A(facts.landing_url, href=facts.landing_url)))
    items = [E.LI(E.A(f"{PROFILES[t].label} ({mt})", href=alternate_url(resource, t, mt)))
             for t in available for mt in PROFILES[t].offered if mt != "text/html"]
    body += [E.H2("Other representations"), E.UL(*items)]
    page = E.HTML(E.HEAD(E.META(charset="utf-8"),
                         E.META(name="viewport", content="width=device-width, initial-scale=1"),
                         E.TITLE(f"{title} – IGSN {facts.igsn}"),
                         E.LINK(rel="canonical", href=resource)),
                  E.BODY(E.MAIN(*body)), lang="en")
    return html_tostring(page, doctype="<!DOCTYPE html>", encoding="utf-8")  # type: ignore[no-any-return]
