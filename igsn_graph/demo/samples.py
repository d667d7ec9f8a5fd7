"""The demo generator: field campaigns of realistic synthetic samples (a feature, its sample tree, sometimes a
collection) spread over the demo clients, deterministic for a seed (``generate_samples``, ``small_demo``)."""

from __future__ import annotations

import calendar
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from random import Random
from typing import Any, NamedTuple

from ..identifiers import HANDLE_PREFIX
from ..record import (
    Agent,
    Classification,
    Contributor,
    Curation,
    Geometry,
    Identifier,
    LogEvent,
    Place,
    Relation,
    ResourceKind,
    SampledFeature,
    SampleRecord,
    TimeSpan,
)
from .accounts import AGENTS, CLIENT_RORS, CLIENTS, DemoClient, orcid_check_digit
from .vocabulary import BIO, FIRST_NAMES, GEO, LAST_NAMES, PROFILES, SEA, Plan, Profile, term_iri

__all__ = ["RELATED_DOI_PREFIX", "DemoSample", "generate_samples", "small_demo"]

#: DOI prefix of the fictional datasets and publications samples relate to
RELATED_DOI_PREFIX = "10.99999"


class DemoSample(NamedTuple):
    """One registration to make: the owning client's symbol, the description and the landing page."""

    # a NamedTuple, not a frozen dataclass: it is built 100,000s of times and is 4x cheaper
    client: str
    record: SampleRecord
    #: the registrant's page; None in the small demo, whose samples' only pages are ours: a browser that
    #: follows a link ``make serve`` prints must not end on a DNS error at example.org (issue 17)
    landing_url: str | None
    #: the format it is registered as: ``igsn`` for the samples that name their parent the way the IGSN MDS
    #: documentation does (``IsPartOf`` a handle ``10273/NAME``), read by mappings/relation_semantics.csv
    format: str = "demo"


#: sample-name code alphabet: digits and letters without the look-alikes I and O (IGSN syntax advice)
_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_CODE_SPACE = len(_CODE_ALPHABET) ** 6
#: odd and not a multiple of 17, so ``k * _STRIDE`` is a bijection of the code space (unique names)
#: that scatters consecutive samples over it, as real codes are not sequential
_STRIDE = 987_654_323
_TRIPLES = [a + b + c for a in _CODE_ALPHABET for b in _CODE_ALPHABET for c in _CODE_ALPHABET]

_COLLECTED_FROM = calendar.timegm((1960, 1, 1, 0, 0, 0))
_COLLECTED_TO = calendar.timegm((2025, 12, 1, 0, 0, 0))
_REGISTERED_FROM = calendar.timegm((2012, 1, 1, 0, 0, 0))
_REGISTERED_TO = calendar.timegm((2026, 11, 1, 0, 0, 0))
_DAY = 86_400
_YEAR = 365 * _DAY

_POINT = "http://www.opengis.net/ont/sf#Point"
_POLYGON = "http://www.opengis.net/ont/sf#Polygon"


#: "YYYY-MM-DDT" per epoch day; bounded (about 5,500 days between 2012 and 2026)
_DAYS: dict[int, str] = {}


def _stamp(t: int) -> str:
    """``YYYY-MM-DDThh:mm:ssZ`` of epoch seconds ``t``; the date part is cached (strftime is slow)."""
    day, sec = divmod(t, _DAY)
    prefix = _DAYS.get(day)
    if prefix is None:
        prefix = _DAYS[day] = time.strftime("%Y-%m-%dT", time.gmtime(day * _DAY))
    minute, s = divmod(sec, 60)
    return f"{prefix}{minute // 60:02d}:{minute % 60:02d}:{s:02d}Z"


def _date(t: int, precision: int) -> str:
    """W3CDTF of ``t`` at precision 0 year, 1 year-month, 2 date, 3 date-time."""
    return time.strftime(("%Y", "%Y-%m", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%SZ")[precision], time.gmtime(t))


@dataclass
class _Client:
    """Per-client generation state: who registers, where landing pages live, the name counter."""

    client: DemoClient
    profile: Profile
    namespace: str
    url_base: str  # "" in the small demo: no external landing pages
    org: Agent
    persons: list[Agent]
    offset: int
    count: int = 0

    def next_name(self) -> str:
        code = (self.count * _STRIDE + self.offset) % _CODE_SPACE
        self.count += 1
        high, low = divmod(code, 39_304)  # 34 ** 3: two table look-ups instead of six divisions
        return self.namespace + _TRIPLES[high] + _TRIPLES[low]


class _Generator:
    """Produces one field campaign at a time (a feature, its sample tree, maybe a collection)."""

    def __init__(self, rng: Random, clients: Sequence[DemoClient], small: bool) -> None:
        if not clients:
            raise ValueError("at least one client is needed")
        self.rng = rng
        self.small = small
        self.lifecycle_counter = 0
        self.campaigns = 0
        agents = {a.symbol: a for a in AGENTS}
        profiles = (GEO, SEA, BIO)
        self.clients: list[_Client] = []
        for i, c in enumerate(clients):
            agent_symbol = c.symbol.split(".", 1)[0]
            agent = agents.get(agent_symbol)
            affiliation = (
                Agent(agent.name, Identifier(agent.ror, "ROR") if agent.ror else None, kind="Organization")
                if agent
                else None
            )
            ror = CLIENT_RORS.get(c.symbol)
            org = Agent(c.name, Identifier(ror, "ROR") if ror else None, affiliation, "Organization")
            domain = next((d for d in c.domains if "*" not in d), "samples.example.org")
            persons = []
            for _ in range(12 if small else 40):
                name = f"{rng.choice(LAST_NAMES)}, {rng.choice(FIRST_NAMES)}"
                if rng.random() < 0.8:
                    base = "00000000" + f"{rng.randrange(10_000_000):07d}"
                    orcid = (
                        f"https://orcid.org/{base[0:4]}-{base[4:8]}-{base[8:12]}-{base[12:15]}{orcid_check_digit(base)}"
                    )
                    persons.append(Agent(name, Identifier(orcid, "ORCID"), affiliation or org, "Person"))
                else:
                    persons.append(Agent(name, None, affiliation or org, "Person"))
            self.clients.append(
                _Client(
                    c,
                    PROFILES.get(agent_symbol, profiles[i % 3]),
                    c.namespaces[0],
                    "" if small else f"https://{domain}/sample/",
                    org,
                    persons,
                    rng.randrange(_CODE_SPACE),
                )
            )

    # one campaign -------------------------------------------------------------------------------

    def campaign(self, cs: _Client, plan: Plan) -> list[DemoSample]:
        rng = self.rng
        rnd = rng.random
        small = self.small
        c = self.campaigns  # numbers campaigns, features and related DOIs uniquely across clients
        self.campaigns += 1
        region, lon0, lon1, lat0, lat1 = cs.profile.regions[int(rnd() * len(cs.profile.regions))]
        lon = lon0 + rnd() * (lon1 - lon0)
        lat = lat0 + rnd() * (lat1 - lat0)
        collected = rng.randrange(_COLLECTED_FROM, _COLLECTED_TO)
        year = time.gmtime(collected).tm_year
        # older material is more often dated to the year or month only
        p = rnd()
        precision = (
            (0 if p < 0.25 else 1 if p < 0.45 else 2 if p < 0.85 else 3)
            if year < 1985
            else (0 if p < 0.05 else 1 if p < 0.12 else 2 if p < 0.75 else 3)
        )
        when = TimeSpan(instant=_date(collected, precision))
        reg_from = max(_REGISTERED_FROM, collected + 30 * _DAY)
        registered = rng.randrange(reg_from, max(reg_from + _DAY, _REGISTERED_TO - 3 * _DAY))

        agent_code = cs.client.symbol.split(".", 1)[0].lower()
        campaign = f"{plan.feature_code}-{year}-{c + 1:04d}"
        collectors = rng.sample(cs.persons, 1 + int(rnd() * 2.5))
        contributors = [Contributor(cs.org, "HostingInstitution"), Contributor(collectors[0], "ContactPerson")]
        curation = Curation(
            curator=rng.choice(cs.persons).name,
            date=_date(registered, 2),
            location=f"{cs.profile.depot} {1 + int(rnd() * 9)}, bay {1 + int(rnd() * 40)}",
            institution=cs.org,
        )
        places = [Place(region)]
        relations: list[Relation] = []
        if rnd() < 0.5:
            relations.append(
                Relation(
                    f"{RELATED_DOI_PREFIX}/{agent_code}.ds.{year}.{c:04d}",
                    "DOI",
                    "IsReferencedBy",
                    f"Analytical data, {campaign}",
                )
            )
        if rnd() < 0.35:
            # a paper cites samples of a few neighbouring campaigns
            relations.append(Relation(f"{RELATED_DOI_PREFIX}/pub.{agent_code}.{c // 4:05d}", "DOI", "IsCitedBy"))
        if rnd() < 0.15:
            relations.append(
                Relation(
                    f"{RELATED_DOI_PREFIX}/report.{agent_code}.{year}-{c:04d}",
                    "DOI",
                    "IsDocumentedBy",
                    f"Field report {campaign}",
                )
            )
        if rnd() < 0.15:
            relations.append(
                Relation(f"{RELATED_DOI_PREFIX}/method.{agent_code}.{c % 7}", "DOI", "References", "Sampling protocol")
            )
        if rnd() < 0.2:
            relations.append(
                Relation(f"https://data.{agent_code}.example.org/campaigns/{campaign}", "URL", "IsDocumentedBy")
            )
        private = (c == 3) if small else rnd() < 0.04
        # embargoes end by themselves (registry/embargo.py): the demo's run past any date this code will see,
        # so a demo registry keeps its private campaigns private whenever it is loaded
        embargo = None
        if private and (small or rnd() < 0.6):
            embargo = _date(_REGISTERED_TO + int((100 + rnd() * 3) * _YEAR), 2)
        supplemental = []
        if rnd() < 0.1:
            supplemental.append(f"https://data.{agent_code}.example.org/metadata/{campaign}.xml")
        words = plan.words
        out: list[DemoSample] = []
        # a campaign is submitted as one batch and registered a few records per second; records
        # registered in the same second share their (immutable) event, which keeps generation fast
        submitted = LogEvent("submitted", _stamp(registered))
        batch: list[LogEvent] = []
        classes: dict[str, Classification] = {}

        def emit(kind: ResourceKind, name: str, description: str, resource_type: str, **extra: Any) -> str:
            igsn = cs.next_name()
            t = registered + 1 + len(out) // 4
            if len(out) % 4 == 0:
                batch[:] = [LogEvent("registered", _stamp(t))]
            log = [submitted, batch[0]]
            self.lifecycle(log, t)
            record = SampleRecord(
                igsn=igsn,
                kind=kind,
                name=name,
                description=description,
                registrant=cs.org,
                resource_types=[resource_type],
                places=list(places),
                campaign=campaign,
                relations=extra.pop("relations", list(relations)),
                is_public=not private,
                embargo_end=embargo,
                supplemental_metadata=list(supplemental),
                log=log,
                **extra,
            )
            mds_style = any(r.identifier_type == "Handle" and r.relation_type == "IsPartOf" for r in record.relations)
            url = cs.url_base + igsn if cs.url_base else None
            out.append(DemoSample(cs.client.symbol, record, url, "igsn" if mds_style else "demo"))
            return igsn

        # a suite collection of the campaign's first-level samples, registered first
        collection = None
        if (c % 3 == 0) if small else rnd() < 0.15:
            d = 0.5 + rnd()
            x0, y0, x1, y1 = f"{lon - d:.4f}", f"{lat - d:.4f}", f"{lon + d:.4f}", f"{lat + d:.4f}"
            # exterior ring counter-clockwise, as simple features asks
            ring = f"POLYGON(({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))"
            collection = emit(
                "Collection",
                f"{campaign} suite",
                f"Sample suite of {plan.feature_label} campaign {campaign}, {region}: {', '.join(words[:3])}.",
                term_iri("collection_type", "Collection"),
                geometries=[Geometry(ring, _POLYGON, "4326")],
                collectors=list(collectors),
            )
        # the sampling feature
        feature_type = term_iri("feature_type", plan.feature_type)
        feature_name = f"{plan.feature_code}{year % 100:02d}-{c + 1:04d}"
        if plan.polygon:
            d = 0.002 + rnd() * 0.02
            wkt = (
                f"POLYGON(({lon:.5f} {lat:.5f}, {lon + d:.5f} {lat:.5f}, {lon + d:.5f} {lat + d:.5f}, "
                f"{lon:.5f} {lat + d:.5f}, {lon:.5f} {lat:.5f}))"
            )
            feature_geometry = Geometry(wkt, _POLYGON, "4326")
        else:
            feature_geometry = Geometry(f"POINT({lon:.5f} {lat:.5f})", _POINT, "4326")
        feature_time = when
        if precision >= 2:
            end = collected + int(1 + rnd() * 20) * _DAY
            feature_time = TimeSpan(start=_date(collected, 2), end=_date(end, 2))
        feature = emit(
            "Feature",
            feature_name,
            f"{plan.feature_label.capitalize()} {feature_name}, {region}; campaign {campaign} "
            f"targeting {words[int(rnd() * len(words))]}.",
            feature_type,
            geometries=[feature_geometry],
            collectors=list(collectors),
            collection_time=feature_time,
            contributors=list(contributors),
        )
        sampled = [SampledFeature(feature_name, None, feature_type)]
        # the sample tree, breadth first so parents always come before their children
        generation: list[tuple[str, str, Geometry]] = [(feature, feature_name, feature_geometry)]
        levels: list[list[tuple[str, str, Geometry]]] = []
        materials: dict[str, str] = {}
        for depth, level in enumerate(plan.levels):
            lo, hi = level.fanout
            if small:
                lo, hi = min(lo, 1), min(hi, 2 if depth == 0 else 1)
            method = term_iri("method", level.methods[int(rnd() * len(level.methods))])
            material = materials.setdefault(level.material, term_iri("material", level.material))
            sample_type = term_iri("sample_type", level.sample_type)
            tail = f" {level.label} from {plan.feature_label} {feature_name}, {region}."
            nxt: list[tuple[str, str, Geometry]] = []
            for parent, parent_name, geometry in generation:
                for i in range(lo + int(rnd() * (hi - lo + 1))):
                    name = f"{parent_name}-{level.suffix}{i + 1}"
                    if depth == 0 and not plan.polygon and plan.feature_type != "borehole":
                        geometry = Geometry(
                            f"POINT({lon + (rnd() - 0.5) * 0.002:.5f} {lat + (rnd() - 0.5) * 0.002:.5f})",
                            _POINT,
                            "4326",
                        )
                    elif depth == 0 and plan.polygon:
                        d = 0.002
                        geometry = Geometry(f"POINT({lon + rnd() * d:.5f} {lat + rnd() * d:.5f})", _POINT, "4326")
                    word = words[int(rnd() * len(words))]
                    # every third sub-sample names its parent as MDS registration-kernel records do: a handle
                    # the registry links to the parent sample (links.py), as the other two's parents are
                    mds_style = depth >= 1 and len(out) % 3 == 0
                    igsn = emit(
                        "Sample",
                        name,
                        word.capitalize() + tail,
                        sample_type,
                        materials=[material],
                        collection_method=method,
                        parents=[] if mds_style else [parent],
                        relations=[*relations, Relation(f"{HANDLE_PREFIX}/{parent}", "Handle", "IsPartOf")]
                        if mds_style
                        else list(relations),
                        collections=[collection] if collection and depth == 0 else [],
                        geometries=[geometry],
                        collectors=list(collectors),
                        contributors=list(contributors),
                        curations=[curation],
                        collection_time=when if depth < 2 else None,
                        sampled_features=list(sampled),
                        classifications=[classes.get(word) or classes.setdefault(word, Classification(word))]
                        if depth == 0
                        else [],
                    )
                    nxt.append((igsn, name, geometry))
            levels.append(nxt)
            generation = nxt
            if not generation:
                break
        # a composite of two samples of one level: the two-parent case
        if plan.composite and len(levels) > plan.composite_of:
            pool = levels[plan.composite_of]
            if len(pool) >= 2 and (small or rnd() < 0.35):
                a, b = rng.sample(pool, 2)
                level = plan.composite
                emit(
                    "Sample",
                    f"{feature_name}-{level.suffix}1",
                    f"{level.label.capitalize()} of {a[1]} and {b[1]} ({words[0]}), {region}.",
                    term_iri("sample_type", level.sample_type),
                    materials=[term_iri("material", level.material)],
                    collection_method=term_iri("method", level.methods[0]),
                    parents=[a[0], b[0]],
                    geometries=[a[2]],
                    collectors=list(collectors),
                    contributors=list(contributors),
                    curations=[curation],
                    sampled_features=list(sampled),
                )
        return out

    def lifecycle(self, log: list[LogEvent], t: int) -> None:
        """Adds an update to some records and deprecation or destruction to a few percent."""
        r = self.rng.random()
        if self.small:
            # deterministic in the small demo so every seed shows both events
            self.lifecycle_counter += 1
            k = self.lifecycle_counter % 12
            r = 0.005 if k == 5 else 0.025 if k == 9 else max(r, 0.05)
        if r < 0.02:
            log.append(
                LogEvent(
                    "deprecated",
                    _stamp(min(t + int(r * 1e9) + _DAY, _REGISTERED_TO)),
                    "superseded by a corrected registration",
                )
            )
        elif r < 0.035:
            log.append(
                LogEvent(
                    "destroyed",
                    _stamp(min(t + int(r * 1e9) + _DAY, _REGISTERED_TO)),
                    "consumed in destructive analysis",
                )
            )
        elif r < 0.12:
            log.append(LogEvent("updated", _stamp(min(t + int(r * 1e8) + _DAY, _REGISTERED_TO))))


def generate_samples(n: int, *, seed: int = 42, clients: Sequence[DemoClient] | None = None) -> Iterator[DemoSample]:
    """``n`` synthetic samples, features and collections spread over the clients, parents first.

    Deterministic for a seed. ``clients`` defaults to the demo clients; other clients get a profile
    by their agent symbol (``ZGEO``/``ZSEA``/``ZBIO``) or by position, and names in their first namespace.
    """
    rng = Random(seed)
    gen = _Generator(rng, list(clients) if clients is not None else list(CLIENTS), small=False)
    emitted = 0
    while emitted < n:
        cs = gen.clients[int(rng.random() * len(gen.clients))]
        plan = cs.profile.plans[int(rng.random() * len(cs.profile.plans))]
        for sample in gen.campaign(cs, plan):
            if emitted >= n:
                return
            yield sample
            emitted += 1


def small_demo(seed: int = 42) -> list[DemoSample]:
    """About 60 samples for ``make serve``: every client, every campaign kind, every case once or more."""
    rng = Random(seed)
    gen = _Generator(rng, list(CLIENTS), small=True)
    out: list[DemoSample] = []
    # two campaigns per client: the agent's two clients between them run all three campaign kinds
    for first in (True, False):
        for k, cs in enumerate(gen.clients):
            plan = (0, 1) if k % 2 == 0 else (2, 0)
            out.extend(gen.campaign(cs, cs.profile.plans[plan[0 if first else 1]]))
    return out
