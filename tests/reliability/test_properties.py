"""Property-based tests (hypothesis) of what parses hostile input: IGSNs, Accept / Accept-Profile, OAI-PMH
arguments and resumption tokens, search parameters — in the core, and over HTTP against the real server.

In the core: any input either gives a value or the one documented error, never another exception. Over
HTTP: any input gives an answer in the protocol's own form, never a 5xx. For valid search filters the
result is exactly the samples the filter describes (computed here from ``sample_set``).
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from igsn_graph import conneg
from igsn_graph.errors import InvalidIdentifier
from igsn_graph.identifiers import MAX_LENGTH, TEST_HANDLE_PREFIX, parse_igsn, validate_name
from igsn_graph.oai.args import VERB_ARGUMENTS, OaiRequest, decode_form, parse_request, xml_compatible
from igsn_graph.oai.errors import BadResumptionToken, OaiErrors
from igsn_graph.oai.tokens import TokenCodec, TokenState, _b64, _unb64
from igsn_graph.resolver import DEFAULT_PROFILE, PROFILES, NotAcceptable, negotiate
from igsn_graph.settings import Settings
from tests.conftest import CLIENT_ONE, live_server

from .sample_set import FINDABLE, GONE, PRIVATE, ROOT, populate

FAST = settings(max_examples=150, deadline=None, derandomize=True, database=None)
#: each example is one HTTP request to the live server
OVER_HTTP = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
OAI_NS = "http://www.openarchives.org/OAI/2.0/"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # pages of two, so that every list of the sample set is resumed
    settings_ = Settings(data_dir=tmp_path_factory.mktemp("properties") / "data", oai_page_size=2)
    populate(settings_)
    with live_server(settings_) as url:
        yield url


@pytest.fixture(scope="module")
def client(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=30) as c:
        yield c


# --- IGSN parser ---------------------------------------------------------------------------------

_REASONS = {"empty", "whitespace", "control", "character", "too_long", "syntax", "doi_prefix"}
#: pieces of names that look like other written forms (handle and DOI prefixes, resolver hosts)
_TRICKY = ["10273", TEST_HANDLE_PREFIX, "10.58052", "10.1", "HDL.HANDLE.NET", "DOI.ORG", "IGSN.ORG", "igsn", "hdl"]
_segments = st.one_of(
    st.text(string.ascii_letters + string.digits + "-.", min_size=1, max_size=10), st.sampled_from(_TRICKY)
).filter(lambda s: s not in (".", ".."))
#: accepted bare names, legacy names with slashes included
names = st.lists(_segments, min_size=1, max_size=3).map("/".join).filter(lambda n: len(n) <= MAX_LENGTH)
_PREFIXES = [
    "",
    "igsn:",
    "IGSN: ",
    "hdl:",
    "doi:",
    "10273/",
    "10.58052/",
    "igsn.org/",
    "https://igsn.org/",
    "http://hdl.handle.net/",
    "https://doi.org/",
    "HTTPS://DOI.ORG/10.58052/",
    "https://dx.doi.org/10273/",
]
#: any text, also behind every prefix a written form may start with
any_text = st.one_of(
    st.text(max_size=40),
    st.builds(lambda p, t: p + t, st.sampled_from(_PREFIXES), st.text(max_size=30)),
    st.builds(lambda p, n: p + n, st.sampled_from(_PREFIXES), names),
)


@FAST
@given(any_text, st.booleans())
def test_any_text_is_an_igsn_or_the_documented_error(text: str, known_prefixes: bool) -> None:
    try:
        igsn = parse_igsn(text, doi_prefixes={"10.58052"} if known_prefixes else None)
    except InvalidIdentifier as exc:
        assert exc.reason in _REASONS and exc.message
        return
    assert validate_name(igsn.name) == igsn.name  # what was accepted is a valid name in normal form


@FAST
@given(any_text)
@example("10273/10273/X").via("a handle whose name starts like a handle")
@example("10273/10.58052/X").via("a handle whose name starts like a DOI")
@example("10273/IGSN.ORG/X").via("a handle whose name starts like a resolver URL")
def test_the_normal_form_parses_to_itself(text: str) -> None:
    try:
        name = parse_igsn(text).name
    except InvalidIdentifier:
        return
    assert parse_igsn(name).name == name
    assert parse_igsn(parse_igsn(name).handle).name == name


@FAST
@given(names, st.randoms(use_true_random=False))
def test_every_written_form_of_a_name_gives_the_name(name: str, rnd: object) -> None:
    try:
        expected = validate_name(name)
    except InvalidIdentifier:
        return  # not a name: perhaps a written form of another (test_the_normal_form_parses_to_itself)

    def mixed(text: str) -> str:  # scheme, host, prefix and name are compared without regard to case
        return "".join(c.upper() if rnd.random() < 0.5 else c.lower() for c in text)  # type: ignore[attr-defined]

    forms = [
        name,
        mixed(name),
        f"IGSN: {name}",
        f"igsn:{name}",
        f"{mixed('igsn')} :  {name}",
        f"10273/{name}",
        f"hdl:10273/{name}",
        f"{mixed('https://hdl.handle.net')}/10273/{name}",
        f"{mixed('http://dx.doi.org')}/10273/{name}",
        f"{mixed('https://igsn.org')}/{name}",
        f"igsn.org/10273/{name}",
        f"{mixed('https://doi.org')}/10.58052/{name}",
        f"doi:10.58052/{name}",
        f"DOI:10.58052/{mixed(name)}",
        f"igsn:10.58052/{name}",
        f"{TEST_HANDLE_PREFIX}/{name}",
    ]
    for form in forms:
        assert parse_igsn(form).name == expected, form


# --- Accept and Accept-Profile -------------------------------------------------------------------

_token = st.text(string.ascii_lowercase + string.digits + "+-.", min_size=1, max_size=6)
media_types = st.builds(lambda t, s: f"{t}/{s}", _token, _token)
qvalues = st.integers(min_value=0, max_value=1000).map(lambda n: n / 1000)
_header_chars = st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")
#: header-like text: ranges, parameters, q-values, junk
headers = st.one_of(
    st.text(_header_chars, max_size=60),
    st.lists(
        st.tuples(
            st.one_of(media_types, st.sampled_from(["*/*", "text/*", "*", "/", "a/", ";", ""])),
            st.lists(
                st.sampled_from(
                    [
                        "q=0",
                        "q=1",
                        "q=0.5",
                        "q=x",
                        "q=",
                        "q=-1",
                        "q=2",
                        "q=nan",
                        "q=inf",
                        "charset=latin-1",
                        "charset=utf-8",
                        "profile=x",
                        "=",
                    ]
                ),
                max_size=3,
            ),
        ),
        max_size=6,
    ).map(lambda parts: ", ".join(";".join([m, *ps]) for m, ps in parts)),
)


def _q(q: float) -> str:
    return f"{q:.3f}".rstrip("0").rstrip(".") if q else "0"


@FAST
@given(st.one_of(headers, st.text(max_size=60), st.none()))
def test_accept_parses_anything(header: str | None) -> None:
    ranges = conneg.parse_accept(header)
    if header is None or not header.strip():
        assert ranges == [conneg.MediaRange("*", "*")]
    for r in ranges:
        assert r.type and r.subtype and 0.0 <= r.q <= 1.0
        assert r.type == r.type.lower() and r.subtype == r.subtype.lower()
    profiles = conneg.parse_accept_profile(header)
    assert all(p and isinstance(p, str) for p in profiles)


@FAST
@given(
    st.lists(
        st.tuples(
            st.text(string.ascii_letters + string.digits + ":/.#-_", min_size=1, max_size=20), qvalues, st.booleans()
        ),
        max_size=8,
    )
)
def test_accept_profile_is_ordered_by_q_then_position(entries: list[tuple[str, float, bool]]) -> None:
    header = ", ".join((f"<{uri}>" if bracketed else uri) + f";q={_q(q)}" for uri, q, bracketed in entries)
    expected = [uri for _, _, uri in sorted((-q, i, uri) for i, (uri, q, _) in enumerate(entries) if q > 0)]
    assert conneg.parse_accept_profile(header) == expected


@FAST
@given(
    st.lists(st.tuples(media_types, qvalues), min_size=1, max_size=6, unique_by=lambda e: e[0]),
    st.randoms(use_true_random=False),
)
def test_choose_takes_the_highest_q_and_the_server_order_on_ties(entries: list[tuple[str, float]], rnd: object) -> None:
    offered = [m for m, _ in entries]
    rnd.shuffle(offered)  # type: ignore[attr-defined]
    header = ", ".join(f"{m};q={_q(q)}" for m, q in entries)
    quality = dict(entries)
    best = max((quality[m] for m in offered), default=0)
    chosen = conneg.choose(header, offered)
    if best == 0:
        assert chosen is None
    else:
        assert chosen == next(m for m in offered if quality[m] == best)


@FAST
@given(
    st.lists(media_types, min_size=1, max_size=6, unique=True),
    st.lists(media_types, max_size=3),
    st.sampled_from(["*/*", "*/*;q=0.1", "", " ", None]),
)
def test_a_wildcard_gets_the_default(offered: list[str], unoffered: list[str], wildcard: str | None) -> None:
    # types the server does not offer, however preferred, do not stop the wildcard from giving the default
    assume(not set(unoffered) & set(offered))
    header = ", ".join([*unoffered, wildcard]) if wildcard and wildcard.strip() else wildcard
    assert conneg.choose(header, offered) == offered[0]


_profile_tokens = list(PROFILES)
_profile_names = st.one_of(
    st.sampled_from(_profile_tokens),
    st.sampled_from([p.uri for p in PROFILES.values()]),
    st.text(_header_chars, max_size=20),
)


@FAST
@given(
    accept=st.one_of(headers, st.none()),
    accept_profile=st.one_of(
        st.none(),
        st.lists(st.tuples(_profile_names, qvalues), max_size=3).map(
            lambda ps: ", ".join(f"<{p}>;q={_q(q)}" for p, q in ps)
        ),
        st.text(_header_chars, max_size=30),
    ),
    available=st.lists(st.sampled_from(_profile_tokens), min_size=1, unique=True),
)
def test_negotiate_gives_what_the_profile_offers_or_not_acceptable(
    accept: str | None, accept_profile: str | None, available: list[str]
) -> None:
    try:
        choice = negotiate(accept=accept, accept_profile=accept_profile, available=available)
    except NotAcceptable:
        return
    assert choice.profile.token in available
    assert choice.media_type in choice.profile.media_types


@FAST
@given(st.sampled_from(_profile_tokens), st.sampled_from(["*/*", None, "", "*/*;q=0.3"]))
def test_negotiate_wildcard_gives_the_default_representation(token: str, accept: str | None) -> None:
    everything = list(PROFILES)
    choice = negotiate(accept=accept, available=everything)
    assert (choice.profile, choice.media_type) == (DEFAULT_PROFILE, DEFAULT_PROFILE.default_media_type)
    asked = negotiate(accept=accept, accept_profile=f"<{PROFILES[token].uri}>", available=everything)
    assert (asked.profile.token, asked.media_type) == (token, PROFILES[token].default_media_type)


_latin1_headers = st.one_of(headers, st.text(_header_chars, max_size=80))


@OVER_HTTP
@given(
    accept=_latin1_headers,
    accept_profile=st.one_of(st.none(), _latin1_headers),
    name=st.sampled_from([ROOT, "10273/ZTA-K3", GONE, PRIVATE, "ZTA-NONE"]),
)
def test_resolver_never_fails_on_any_accept(
    client: httpx.Client, accept: str, accept_profile: str | None, name: str
) -> None:
    sent = {"Accept": accept, **({"Accept-Profile": accept_profile} if accept_profile is not None else {})}
    r = client.get("/" + name, headers={k: v.encode("latin-1") for k, v in sent.items()})  # type: ignore[misc]
    assert r.status_code < 500, (sent, r.status_code, r.text[:300])
    assert r.status_code in (200, 301, 303, 404, 406, 410), (sent, r.status_code)


# --- OAI-PMH arguments and tokens ------------------------------------------------------------------

_ARGUMENT_NAMES = ["verb", "metadataPrefix", "from", "until", "set", "identifier", "resumptionToken"]
_VERBS = list(VERB_ARGUMENTS)
_values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            *_VERBS,
            "oai_dc",
            "igsn",
            "2020-01-01",
            "2020-01-01T00:00:00Z",
            "2020-13-45",
            "ZTEST",
            "ZTEST:ZTEST.ONE",
            "oai:test.igsn-graph.org:ZTA-ROOT",
            "",
            "a.b",
            "\x00",
            "\ud800",
        ]
    ),
)
pairs = st.lists(st.tuples(st.one_of(st.sampled_from(_ARGUMENT_NAMES), st.text(max_size=10)), _values), max_size=8)


@FAST
@given(pairs)
def test_any_arguments_are_a_request_or_oai_errors(arguments: list[tuple[str, str]]) -> None:
    try:
        request = parse_request(arguments)
    except OaiErrors as exc:
        assert exc.errors and all(e.code and xml_compatible(e.message) for e in exc.errors)
        return
    assert isinstance(request, OaiRequest)
    table = VERB_ARGUMENTS[request.verb]
    assert set(request.arguments) <= table.allowed
    assert all(xml_compatible(k) and xml_compatible(v) and v for k, v in request.arguments.items())


@FAST
@given(st.binary(max_size=200))
def test_any_form_body_decodes_or_is_a_bad_argument(data: bytes) -> None:
    try:
        decoded = decode_form(data)
    except OaiErrors as exc:
        assert [e.code for e in exc.errors] == ["badArgument"]
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in decoded)


NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
STATE = TokenState(
    "ListRecords",
    "oai_dc",
    "ZTEST",
    "2020-01-01T00:00:00Z",
    "2026-01-01T12:00:00Z",
    ("2025-12-31T23:59:59Z", "ZTA0001"),
    250,
    1000,
)
CODEC = TokenCodec(b"k" * 32, timedelta(days=1))
TOKEN, _ = CODEC.encode(STATE, NOW)


@FAST
@given(st.integers(min_value=0, max_value=len(TOKEN) - 1), st.booleans())
def test_a_truncated_token_is_refused(cut: int, from_the_end: bool) -> None:
    part = TOKEN[:cut] if from_the_end else TOKEN[len(TOKEN) - cut :]
    with pytest.raises(BadResumptionToken):
        CODEC.decode(part, "ListRecords", NOW)


@FAST
@given(st.integers(min_value=1, max_value=30 * 86400), st.integers(min_value=0, max_value=60 * 86400))
def test_a_token_is_valid_until_it_expires_and_never_after(lifetime: int, delay: int) -> None:
    codec = TokenCodec(b"k" * 32, timedelta(seconds=lifetime))
    token, expires = codec.encode(STATE, NOW)
    later = NOW + timedelta(seconds=delay)
    if later > expires:
        with pytest.raises(BadResumptionToken, match="expired"):
            codec.decode(token, "ListRecords", later)
    else:  # a replay within the lifetime answers the same position (tokens are idempotent)
        assert codec.decode(token, "ListRecords", later).after == STATE.after


@FAST
@given(st.sampled_from(["ListRecords", "ListIdentifiers", "ListSets"]), st.sampled_from(_VERBS))
def test_a_token_of_one_verb_is_refused_by_another(issued_for: str, used_for: str) -> None:
    token, _ = CODEC.encode(
        TokenState(issued_for, None if issued_for == "ListSets" else "oai_dc", None, None, None, ("", ""), 0, None), NOW
    )
    if issued_for == used_for:
        assert CODEC.decode(token, used_for, NOW).verb == issued_for
    else:
        with pytest.raises(BadResumptionToken):
            CODEC.decode(token, used_for, NOW)


@FAST
@given(
    field=st.integers(min_value=1, max_value=9),
    value=st.one_of(
        st.sampled_from(["datacite", "igsn", "oai_dc", "ListIdentifiers", None, 0, 10**9]), st.text(max_size=10)
    ),
)
def test_a_token_with_any_field_changed_is_refused(field: int, value: object) -> None:
    """Cross-metadataPrefix (field 2), cross-set, moved position, longer expiry…: the signature no longer fits."""
    head, _, signature = TOKEN.partition(".")
    fields = json.loads(_unb64(head))
    assume(fields[field] != value)
    fields[field] = value
    forged = _b64(json.dumps(fields, separators=(",", ":")).encode()) + "." + signature
    with pytest.raises(BadResumptionToken):
        CODEC.decode(forged, "ListRecords", NOW)


def _oai(client: httpx.Client, query: str, *, post: bool = False) -> etree._Element:
    r = (
        client.post(
            "/oai",
            content=query.encode("utf-8", "surrogatepass"),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if post
        else client.get("/oai?" + query)
    )
    assert r.status_code < 500, (query, r.status_code, r.text[:300])
    root = etree.fromstring(r.content)  # well-formed, whatever was asked
    assert root.tag == f"{{{OAI_NS}}}OAI-PMH", query
    return root


def _errors(root: etree._Element) -> list[str]:
    return [e.get("code") for e in root.iter(f"{{{OAI_NS}}}error")]


_query_text = st.one_of(
    st.lists(st.tuples(st.one_of(st.sampled_from(_ARGUMENT_NAMES), st.text(max_size=8)), _values), max_size=6).map(
        lambda ps: urlencode([(k.encode("utf-8", "surrogatepass"), v.encode("utf-8", "surrogatepass")) for k, v in ps])
    ),
    st.text(string.printable, max_size=60).map(lambda t: quote(t, safe="=&%+")),
    # raw text after a verb, percent-encoded only where a URL cannot carry it (broken escapes stay broken)
    st.text(max_size=40).map(lambda t: "verb=ListRecords&" + quote(t.encode("utf-8", "surrogatepass"), safe="=&%+;/")),
)


@OVER_HTTP
@given(_query_text, st.booleans())
def test_oai_answers_any_arguments_with_well_formed_xml(client: httpx.Client, query: str, post: bool) -> None:
    _oai(client, query, post=post)


def _token(root: etree._Element) -> str:
    token = root.find(f".//{{{OAI_NS}}}resumptionToken")
    assert token is not None and token.text, etree.tostring(root)[:500]
    return token.text


@OVER_HTTP
@given(
    cut=st.integers(min_value=1, max_value=200),
    verb=st.sampled_from(["ListIdentifiers", "ListRecords"]),
    mutation=st.sampled_from(["truncate", "other verb", "with metadataPrefix", "flip"]),
)
def test_oai_refuses_every_mutated_token(client: httpx.Client, cut: int, verb: str, mutation: str) -> None:
    token = _token(_oai(client, f"verb={verb}&metadataPrefix=oai_dc"))
    other = "ListRecords" if verb == "ListIdentifiers" else "ListIdentifiers"
    cut %= len(token)
    flipped = token[:cut] + ("A" if token[cut] != "A" else "B") + token[cut + 1 :]
    query = {
        "truncate": f"verb={verb}&resumptionToken={quote(token[:cut])}",
        "other verb": f"verb={other}&resumptionToken={quote(token)}",
        # a token is exclusive: it cannot be resumed in another format (nor the same one named again)
        "with metadataPrefix": f"verb={verb}&resumptionToken={quote(token)}&metadataPrefix=datacite",
        "flip": f"verb={verb}&resumptionToken={quote(flipped)}",
    }[mutation]
    errors = _errors(_oai(client, query))
    if mutation == "flip" and not errors:
        return  # base64 padding bits can absorb a change of the last character: the same token
    assert errors == (["badArgument"] if mutation == "with metadataPrefix" else ["badResumptionToken"]), (query, errors)


# --- search parameters -----------------------------------------------------------------------------

_no_surrogates = st.characters(exclude_categories=["Cs"])  # text a URL can carry (as UTF-8)
_param_text = st.one_of(
    st.text(_no_surrogates, max_size=30),
    st.sampled_from(
        [
            "1,2,3",
            "1,2,3,4",
            "-180,-90,180,90",
            "nan,0,0,0",
            "inf,0,1,1",
            "0,91,1,1",
            "0,5,1,1",
            "1e309,0,0,0",
            "2020",
            "2020-02-30",
            "0000",
            "9999-12-31",
            "-1",
            "0",
            "201",
            "1e3",
            "٣",
            "relevance",
            "date",
            "true",
        ]
    ),
)


@OVER_HTTP
@given(
    st.dictionaries(
        st.sampled_from(["bbox", "from", "until", "limit", "cursor", "sort", "facets", "q", "agent", "year"]),
        _param_text,
        max_size=4,
    )
)
def test_search_answers_any_parameters_with_results_or_a_problem(client: httpx.Client, params: dict[str, str]) -> None:
    r = client.get("/api/v1/search", params=params)
    assert r.status_code in (200, 400), (params, r.status_code, r.text[:300])
    if r.status_code == 400:
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["status"] == 400 and r.json()["detail"]
    else:
        assert r.headers["content-type"] == "application/json" and "items" in r.json()


def _found(client: httpx.Client, **params: str) -> set[str]:
    r = client.get("/api/v1/search", params={**params, "limit": "200", "facets": "false"})
    assert r.status_code == 200, r.text
    return {item["igsn"] for item in r.json()["items"]}


_lon = st.integers(min_value=-1800, max_value=1800).map(lambda n: n / 10)
_lat = st.integers(min_value=-900, max_value=900).map(lambda n: n / 10)


@OVER_HTTP
@given(_lon, _lat, _lon, _lat)
@example(170.0, -70.0, -170.0, -50.0).via("across the antimeridian")
@example(-180.0, -90.0, 180.0, 90.0).via("the world")
def test_a_box_finds_exactly_the_samples_it_meets(
    client: httpx.Client, west: float, south: float, east: float, north: float
) -> None:
    south, north = min(south, north), max(south, north)
    spans = [(west, east)] if west <= east else [(west, 180.0), (-180.0, east)]
    expected = {
        f.igsn
        for f in FINDABLE.values()
        if f.box is not None
        and f.box[2] <= north
        and f.box[3] >= south
        and any(f.box[0] <= hi and f.box[1] >= lo for lo, hi in spans)
    }
    assert _found(client, bbox=f"{west},{south},{east},{north}") == expected


_dates = st.builds(
    lambda y, m, d, precision: (
        f"{y:04d}" + (f"-{m:02d}" if precision > 0 else "") + (f"-{d:02d}" if precision > 1 else "")
    ),
    st.integers(min_value=1980, max_value=2025),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=1, max_value=28),
    st.integers(min_value=0, max_value=2),
)


def _first(date: str) -> str:
    return date + "-01-01"[len(date) - 4 :]


def _last(date: str) -> str:
    return date + "-12-31"[len(date) - 4 :]


@OVER_HTTP
@given(st.one_of(st.none(), _dates), st.one_of(st.none(), _dates))
@example("2019", "2019").via("one year: instants, ranges ending and starting in it")
@example("2020-07-15", None).via("the last day of a range")
def test_a_time_range_finds_exactly_the_samples_collected_in_it(
    client: httpx.Client, start: str | None, end: str | None
) -> None:
    params = {k: v for k, v in (("from", start), ("until", end)) if v is not None}
    if start and end and _first(start) > _last(end):
        r = client.get("/api/v1/search", params=params)
        assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
        return
    expected = {
        f.igsn
        for f in FINDABLE.values()
        if (start is None or (f.last_day is not None and f.last_day >= _first(start)))
        and (end is None or (f.first_day is not None and f.first_day <= _last(end)))
    }
    assert _found(client, **params) == expected


@OVER_HTTP
@given(
    st.integers(min_value=1, max_value=4),
    st.sampled_from([{}, {"sort": "date"}, {"q": "basalt"}, {"q": "sample", "sort": "igsn"}]),
)
def test_cursor_pages_give_every_match_once(client: httpx.Client, limit: int, query: dict[str, str]) -> None:
    everything = _found(client, **query)
    seen: list[str] = []
    url: str | None = "/api/v1/search?" + urlencode({**query, "limit": limit, "facets": "false"})
    while url:
        page = client.get(url).json()
        assert len(page["items"]) <= limit
        seen += [item["igsn"] for item in page["items"]]
        url = page["links"].get("next")
    assert sorted(seen) == sorted(everything) and len(seen) == len(set(seen))


# --- test mode -------------------------------------------------------------------------------------

_TRUE, _FALSE = ("true", "1"), ("", "false", "0")


@OVER_HTTP
@given(
    st.one_of(
        st.text(_no_surrogates, max_size=8), st.sampled_from(["TRUE", "True", "1", "yes", "on", "2", "true ", "null"])
    )
)
def test_a_test_mode_that_is_not_true_or_false_is_refused_and_stores_nothing(client: httpx.Client, flag: str) -> None:
    assume(flag.lower() not in _FALSE)
    body = (
        "@prefix ig: <https://w3id.org/igsn-graph/ontology#> .\n@prefix dcterms: <http://purl.org/dc/terms/> .\n"
        '<https://igsn.org/ZTA-MODE> ig:igsn "ZTA-MODE" ; dcterms:title "test mode" .\n'
    )
    r = client.post(
        "/api/v1/samples",
        params={"testMode": flag},
        content=body,
        headers={"Content-Type": "text/turtle"},
        auth=CLIENT_ONE,
    )
    if flag.lower() in _TRUE:
        assert r.status_code == 200 and r.json()["testMode"] is True and not r.json()["stored"], (flag, r.text)
    else:
        assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json", (flag, r.text)
    assert client.get("/api/v1/samples/ZTA-MODE", auth=CLIENT_ONE).status_code == 404
