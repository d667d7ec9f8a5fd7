"""Parses an OAI-PMH request: raw form pairs → the verb and its checked arguments, or the protocol errors.

Frameworks collapse repeated keys, so the request is read from the raw query string or body
(``decode_form``) and every check works on the list of pairs. Checks follow OAI-PMH.md §1.4: a value
whose echo in ``request`` would break its XSD type (prefix or setSpec pattern, date syntax, an unknown
key, a character XML cannot carry) is a badArgument, so that the echo is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from urllib.parse import parse_qsl

from .errors import BadArgument, BadVerb, OaiError, OaiErrors

__all__ = [
    "VerbArguments",
    "VERB_ARGUMENTS",
    "DateArgument",
    "OaiRequest",
    "decode_form",
    "parse_request",
    "parse_datestamp",
    "PREFIX_PATTERN",
    "SET_SPEC_PATTERN",
    "xml_compatible",
    "MAX_ARGUMENTS",
]

#: metadataPrefix (OAI-PMH.xsd ``metadataPrefixType``)
PREFIX_PATTERN = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")
#: setSpec (OAI-PMH.xsd ``setSpecType``)
SET_SPEC_PATTERN = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(?::[A-Za-z0-9\-_.!~*'()]+)*")
# an absolute URI: a scheme, then only characters RFC 3986 allows (percent signs must escape two hex digits)
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+")
_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# ASCII digits only: \d and int() would take any script's digits (from=٢٠٢٦-01-01), which the echo in
# ``request`` (xs:date / xs:dateTime) cannot carry
_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_SECONDS = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z")
#: more pairs than any verb can take, with room for mistakes; beyond it the request is refused
MAX_ARGUMENTS = 32


@dataclass(frozen=True)
class VerbArguments:
    """The argument table of one verb (spec §4): required, optional and the exclusive argument."""

    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()
    exclusive: str | None = None

    @property
    def allowed(self) -> frozenset[str]:
        return self.required | self.optional | ({self.exclusive} if self.exclusive else set())


_LIST = VerbArguments(
    required=frozenset({"metadataPrefix"}), optional=frozenset({"from", "until", "set"}), exclusive="resumptionToken"
)

VERB_ARGUMENTS: dict[str, VerbArguments] = {
    "Identify": VerbArguments(),
    "ListMetadataFormats": VerbArguments(optional=frozenset({"identifier"})),
    "ListSets": VerbArguments(exclusive="resumptionToken"),
    "GetRecord": VerbArguments(required=frozenset({"identifier", "metadataPrefix"})),
    "ListIdentifiers": _LIST,
    "ListRecords": _LIST,
}


def xml_compatible(text: str) -> bool:
    """True when XML 1.0 can carry the text (no C0 controls but TAB/LF/CR, no U+FFFE/U+FFFF, no surrogates)."""
    return _XML_ILLEGAL.search(text) is None


@dataclass(frozen=True)
class DateArgument:
    """A ``from``/``until`` value: day (``YYYY-MM-DD``) or seconds (``YYYY-MM-DDThh:mm:ssZ``) granularity."""

    text: str
    granularity: Literal["day", "seconds"]

    @property
    def lower(self) -> str:
        """The first second the value covers, in datestamp form (``from`` is inclusive)."""
        return self.text + "T00:00:00Z" if self.granularity == "day" else self.text

    @property
    def upper(self) -> str:
        """The last second the value covers: a day-form ``until`` includes the whole day."""
        return self.text + "T23:59:59Z" if self.granularity == "day" else self.text


def parse_datestamp(text: str, name: str = "date") -> DateArgument:
    """A UTC date of the repository's granularities, or ``BadArgument`` (finer or other forms included)."""
    m = _SECONDS.fullmatch(text)
    granularity: Literal["day", "seconds"] = "seconds"
    if m is None:
        m = _DAY.fullmatch(text)
        granularity = "day"
    if m is None:
        raise BadArgument(f"{name} must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ (UTC), not {text!r}")
    try:
        year, month, day, *clock = (int(g) for g in m.groups())
        hour, minute, second = clock or (0, 0, 0)
        datetime(year, month, day, hour, minute, second)
    except ValueError:
        raise BadArgument(f"{name} {text!r} is not a valid date") from None
    return DateArgument(text, granularity)


@dataclass(frozen=True)
class OaiRequest:
    """A syntactically valid request: the verb and its arguments as given (one value each)."""

    verb: str
    arguments: dict[str, str] = field(default_factory=dict)

    @property
    def echo(self) -> dict[str, str]:
        """The attributes of the response's ``request`` element (spec §3.2)."""
        return {"verb": self.verb, **self.arguments}

    def get(self, name: str) -> str | None:
        return self.arguments.get(name)

    @property
    def from_(self) -> DateArgument | None:
        value = self.arguments.get("from")
        return parse_datestamp(value, "from") if value is not None else None

    @property
    def until(self) -> DateArgument | None:
        value = self.arguments.get("until")
        return parse_datestamp(value, "until") if value is not None else None


def decode_form(data: bytes) -> list[tuple[str, str]]:
    """Key/value pairs of a query string or form body (``+`` is a space), repeats kept, in order.

    Bytes that are not UTF-8, or too many pairs, are a badArgument.
    """
    try:
        text = data.decode("utf-8")
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict", max_num_fields=MAX_ARGUMENTS)
    except UnicodeDecodeError:
        raise OaiErrors([BadArgument("the request is not UTF-8 (after %-decoding)")]) from None
    except ValueError:
        raise OaiErrors([BadArgument(f"too many arguments (at most {MAX_ARGUMENTS})")]) from None


def _check_value(name: str, value: str) -> OaiError | None:
    if value == "":
        return BadArgument(f"argument {name} is empty")
    if name == "metadataPrefix" and not PREFIX_PATTERN.fullmatch(value):
        return BadArgument(f"metadataPrefix {value!r} is not a valid prefix ({PREFIX_PATTERN.pattern})")
    if name == "set" and not SET_SPEC_PATTERN.fullmatch(value):
        return BadArgument(f"set {value!r} is not a valid setSpec")
    if name == "identifier" and not _URI.fullmatch(value):
        return BadArgument(f"identifier {value!r} is not a URI")
    if name in ("from", "until"):
        try:
            parse_datestamp(value, name)
        except BadArgument as exc:
            return exc
    return None


def parse_request(pairs: list[tuple[str, str]]) -> OaiRequest:
    """The checked request, or ``OaiErrors`` listing every problem (one element per problem)."""
    verbs = [v for k, v in pairs if k == "verb"]
    if not verbs:
        raise OaiErrors([BadVerb("the verb argument is missing")])
    if len(verbs) > 1:
        raise OaiErrors([BadVerb("the verb argument is repeated")])
    verb = verbs[0]
    table = VERB_ARGUMENTS.get(verb)
    if table is None:
        shown = verb if xml_compatible(verb) else verb.encode("unicode_escape").decode("ascii")
        raise OaiErrors([BadVerb(f"{shown!r} is not an OAI-PMH verb")])

    errors: list[OaiError] = []
    arguments: dict[str, str] = {}
    seen: set[str] = set()
    for key, value in pairs:
        if key == "verb":
            continue
        if not xml_compatible(key) or key not in table.allowed:
            if key not in seen:
                shown = key if xml_compatible(key) else key.encode("unicode_escape").decode("ascii")
                errors.append(BadArgument(f"{shown!r} is not an argument of {verb}"))
            seen.add(key)
            continue
        if key in seen:
            if key in arguments:
                errors.append(BadArgument(f"argument {key} is repeated"))
                del arguments[key]
            continue
        seen.add(key)
        if not xml_compatible(value):
            errors.append(BadArgument(f"argument {key} contains characters XML cannot carry"))
            continue
        arguments[key] = value

    if table.exclusive is not None and table.exclusive in seen:
        others = sorted(k for k in seen if k != table.exclusive)
        if others:
            errors.append(BadArgument(f"{table.exclusive} is exclusive: {', '.join(others)} may not accompany it"))
    else:
        for name in sorted(table.required - seen):
            errors.append(BadArgument(f"{verb} requires the argument {name}"))
    for name, value in arguments.items():
        problem = _check_value(name, value)
        if problem is not None:
            errors.append(problem)
    if not errors and "from" in arguments and "until" in arguments:
        start, end = parse_datestamp(arguments["from"], "from"), parse_datestamp(arguments["until"], "until")
        if start.granularity != end.granularity:
            errors.append(BadArgument("from and until must have the same granularity"))
        elif start.lower > end.upper:
            errors.append(BadArgument("from is later than until"))
    if errors:
        raise OaiErrors(errors)
    return OaiRequest(verb, arguments)
