"""Profiles and media types as data, negotiation, and the headers that follow from a choice (``Link``, ``ETag``).

Profiles come from ``mappings/profiles.csv`` (token, URI, aliases, media types, default media type, label), in the
order negotiation tries them: the first row is the default profile (W3C Content Negotiation by Profile). A format's
profile takes its IRI and media types from the format table (``formats.table``). Negotiation and ``Link`` values
are pure functions of their inputs: decided once per distinct request and set of profiles.

>>> negotiate(accept="application/xml", available=list(PROFILES)).profile.token
'igsn'
>>> negotiate(profile_arg="igsn-r1", mediatype_arg="text/xml", available=list(PROFILES)).media_type
'application/xml'
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote

from .. import conneg
from ..formats.table import XML_FORMATS, profile_iri
from ..oai.formats import FORMATS
from ..resources import mappings_dir

if TYPE_CHECKING:
    from ..index.catalogue import CatalogueRow
    from ..record import RegistryFacts

__all__ = [
    "DEFAULT_PROFILE",
    "MEDIA_ALIASES",
    "PROFILES",
    "RESERVED",
    "Choice",
    "NotAcceptable",
    "Profile",
    "alternate_url",
    "available_profiles",
    "etag",
    "link_header",
    "lookup_profile",
    "negotiate",
    "resource_url",
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
        return {r["token"]: _profile(r) for r in csv.DictReader(f)}


def _profile(row: dict[str, str]) -> Profile:
    """A row of profiles.csv as a profile. A format's profile (its token a written format's name) takes its IRI
    and media types from the format table; the row adds what is the profile's own (another serialisation, such as
    DataCite JSON), served after the format's own media type and before its generic ones (``application/xml``)."""
    token, own = row["token"], tuple(row["media_types"].split())
    fmt = XML_FORMATS.get(token)
    if fmt is None or fmt.write is None:
        return Profile(token, row["uri"], tuple(row["aliases"].split()), own, row["default_media_type"], row["label"])
    media_types = (fmt.media_type, *own, *fmt.media_types[1:])
    return Profile(token, profile_iri(token), tuple(row["aliases"].split()), media_types, fmt.media_type, row["label"])


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
