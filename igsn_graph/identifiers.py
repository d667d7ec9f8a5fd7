"""Parses every written form of an IGSN (bare, CURIE, handle, DOI, resolver URL) to its normal form.

The normal form is the name upper-cased (ASCII a–z only) without any prefix: ``SSH000SUA``,
``TEST/TEST3``. Comparison is by normal form, so ``AbC`` and ``ABC`` are the same sample.
This module knows nothing of RDF or HTTP.

>>> parse_igsn("https://doi.org/10.58052/ssh000sua").name
'SSH000SUA'
>>> parse_igsn("hdl:10273/TEST/TEST3").handle
'10273/TEST/TEST3'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Collection, Iterable

from .errors import InvalidIdentifier

__all__ = [
    "HANDLE_PREFIX",
    "TEST_HANDLE_PREFIX",
    "TEST_NAMESPACE",
    "MAX_LENGTH",
    "Igsn",
    "parse_igsn",
    "normalise",
    "validate_name",
    "normalise_namespace",
    "namespace_of",
    "is_doi_prefix",
]

HANDLE_PREFIX = "10273"
TEST_HANDLE_PREFIX = "20.500.11812"
TEST_NAMESPACE = "TEST"
MAX_LENGTH = 255

_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_NAME_CHARS = re.compile(r"[A-Z0-9.\-/]*")
_DOI = re.compile(r"(10\.[0-9]+(?:\.[0-9]+)*)/(.*)", re.S)
_URL = re.compile(r"(?:https?://)?([A-Za-z0-9.\-]+)(/.*)?", re.S | re.I)  # schemes and hosts ignore case
_RESOLVER_HOSTS = {"hdl.handle.net", "doi.org", "dx.doi.org", "igsn.org", "www.igsn.org", "n2t.net"}
_CURIE = re.compile(r"(igsn|hdl|doi)\s*:\s*(.*)", re.S | re.I)


@dataclass(frozen=True)
class Igsn:
    """A parsed IGSN: the normal-form ``name`` and how it was written.

    ``doi_prefix`` is set when it was written as a DOI (``10.58052/…``); ``handle_prefix`` when it was
    written as a handle (``10273`` or the test prefix ``20.500.11812``).
    """

    name: str
    doi_prefix: str | None = None
    handle_prefix: str | None = None

    @property
    def handle(self) -> str:
        return f"{self.handle_prefix or HANDLE_PREFIX}/{self.name}"

    @property
    def doi(self) -> str | None:
        return f"{self.doi_prefix}/{self.name}" if self.doi_prefix else None

    @property
    def is_test(self) -> bool:
        """Test registrations: the test handle prefix or the ``TEST`` namespace."""
        return self.handle_prefix == TEST_HANDLE_PREFIX or self.name.startswith(TEST_NAMESPACE)

    def __str__(self) -> str:
        return self.name


def _fail(value: str, reason: str, message: str) -> InvalidIdentifier:
    return InvalidIdentifier(message, value=value, reason=reason)


def validate_name(raw: str, *, original: str | None = None) -> str:
    """Returns the normal form of a bare name, or raises ``InvalidIdentifier`` with the reason."""
    shown = original if original is not None else raw
    if raw == "":
        raise _fail(shown, "empty", "IGSN must not be empty")
    for ch in raw:
        if ch.isspace():
            raise _fail(shown, "whitespace", "IGSN must not contain any spaces")
        cat = unicodedata.category(ch)
        if cat == "Cc" or cat == "Cf":
            raise _fail(shown, "control", f"IGSN must not contain control characters (U+{ord(ch):04X})")
    name = raw.translate(_UPPER)
    if not _NAME_CHARS.fullmatch(name):
        bad = next(ch for ch in name if not _NAME_CHARS.fullmatch(ch))
        raise _fail(
            shown,
            "character",
            f"malformed IGSN: character {bad!r} is not allowed "
            "(allowed: A-Z, 0-9, '-', '.', and '/' inside legacy names)",
        )
    if len(name) > MAX_LENGTH:
        raise _fail(shown, "too_long", f"IGSN is longer than {MAX_LENGTH} characters ({len(name)})")
    if name.startswith("/") or name.endswith("/") or "//" in name:
        raise _fail(shown, "syntax", "malformed IGSN: '/' only separates non-empty parts of a legacy name")
    if any(part in (".", "..") for part in name.split("/")):
        # a resolver would normalise /A/../B to /B: another sample's IRI
        raise _fail(shown, "syntax", "malformed IGSN: '.' and '..' are not names")
    head = name.split("/", 1)[0]
    if "/" in name and (
        head in (HANDLE_PREFIX, TEST_HANDLE_PREFIX) or is_doi_prefix(head) or head.lower() in _RESOLVER_HOSTS
    ):
        # its normal form would be read back as a handle, a DOI or a resolver URL of another name
        raise _fail(shown, "syntax", "malformed IGSN: a name must not begin like a handle, DOI or resolver URL")
    return name


def _from_path(path: str, original: str, doi_prefixes: Collection[str] | None) -> Igsn:
    """A handle or DOI path (``10273/X``, ``20.500.11812/X``, ``10.58052/X``) or a bare name."""
    for prefix in (HANDLE_PREFIX, TEST_HANDLE_PREFIX):
        if path.startswith(prefix + "/"):
            return Igsn(validate_name(path[len(prefix) + 1 :], original=original), handle_prefix=prefix)
    m = _DOI.fullmatch(path)
    if m:
        prefix, suffix = m.group(1), m.group(2)
        if doi_prefixes is not None and prefix not in doi_prefixes:
            raise _fail(original, "doi_prefix", f"unknown DOI prefix {prefix}")
        return Igsn(validate_name(suffix, original=original), doi_prefix=prefix)
    return Igsn(validate_name(path, original=original))


def parse_igsn(text: str, *, doi_prefixes: Collection[str] | None = None) -> Igsn:
    """Parses any accepted written form of an IGSN.

    ``doi_prefixes``: when given, a DOI form must use one of them (else reason ``doi_prefix``);
    when None, any ``10.NNNN`` prefix is accepted and left for the registry to check.
    """
    if not isinstance(text, str):
        raise _fail(repr(text), "syntax", "IGSN must be text")
    original = text
    if text == "":
        raise _fail(original, "empty", "IGSN must not be empty")
    lowered = text.lower()
    # without a scheme a resolver host counts only when a path follows: DOI.ORG alone is a valid name
    if lowered.startswith(("http://", "https://")) or ("/" in lowered and lowered.split("/", 1)[0] in _RESOLVER_HOSTS):
        m = _URL.fullmatch(text)
        if not m or m.group(1).lower() not in _RESOLVER_HOSTS or not m.group(2):
            if not m or m.group(1).lower() not in _RESOLVER_HOSTS:
                raise _fail(original, "syntax", "not an IGSN resolver URL (hdl.handle.net, doi.org, igsn.org, n2t.net)")
            raise _fail(original, "empty", "IGSN must not be empty")
        host, path = m.group(1).lower(), m.group(2)[1:]
        if any(c in path for c in "?#%"):
            raise _fail(original, "character", "malformed IGSN: query, fragment or percent-encoding in URL")
        if host in ("hdl.handle.net", "doi.org", "dx.doi.org") and "/" not in path:
            raise _fail(original, "syntax", f"a {host} URL needs a prefix and a name")
        if host == "n2t.net":
            # the Name-to-Thing resolver: https://n2t.net/igsn:NAME (any case of the scheme)
            if not path.lower().startswith("igsn:") or path[5:] == "":
                raise _fail(original, "syntax", "an n2t.net URL of an IGSN is https://n2t.net/igsn:NAME")
            path = path[5:]
        return _from_path(path, original, doi_prefixes)
    m = _CURIE.fullmatch(text)
    if m:
        scheme, rest = m.group(1).lower(), m.group(2)
        if scheme == "doi" and not _DOI.fullmatch(rest):
            raise _fail(original, "syntax", "doi: must be followed by a DOI (10.NNNN/NAME)")
        if scheme == "hdl" and not rest.startswith((HANDLE_PREFIX + "/", TEST_HANDLE_PREFIX + "/")):
            raise _fail(original, "syntax", f"hdl: must be followed by {HANDLE_PREFIX}/NAME")
        return _from_path(rest, original, doi_prefixes)
    return _from_path(text, original, doi_prefixes)


def normalise(text: str) -> str:
    """The normal form of any accepted written form. Idempotent.

    >>> normalise("IGSN: ssh000sua")
    'SSH000SUA'
    """
    return parse_igsn(text).name


def is_doi_prefix(value: str) -> bool:
    return re.fullmatch(r"10\.[0-9]+(?:\.[0-9]+)*", value) is not None


def normalise_namespace(value: str) -> str:
    """``10273/IEXYZ``, ``iexyz`` → ``IEXYZ`` (a namespace is written like the start of a name)."""
    ns = value.strip()
    if ns.startswith(HANDLE_PREFIX + "/"):
        ns = ns[len(HANDLE_PREFIX) + 1 :]
    return validate_name(ns, original=value)


def namespace_of(name: str, namespaces: Iterable[str]) -> str | None:
    """The longest registered namespace ``name`` starts with, or None."""
    best: str | None = None
    for ns in namespaces:
        if name.startswith(ns) and (best is None or len(ns) > len(best)):
            best = ns
    return best
