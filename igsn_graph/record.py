"""The sample record: the format-neutral description every kernel reads into and writes from.

XML kernels map to and from a ``SampleRecord``; ``formats.graph`` maps a record to and from the RDF
of one sample. Values are canonical: vocabulary terms are the IRIs of ``mappings/`` code lists,
relation types are DataCite relation type names, identifier types DataCite identifier type names,
IGSNs are in normal form (upper-cased name, no prefix).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

__all__ = [
    "Identifier",
    "Agent",
    "Contributor",
    "Relation",
    "Geometry",
    "Place",
    "TimeSpan",
    "LogEvent",
    "Curation",
    "Classification",
    "SampledFeature",
    "SampleRecord",
    "RegistryFacts",
    "ResourceKind",
    "AgentKind",
    "agent_kind",
    "LOG_EVENTS",
]

ResourceKind = Literal["Sample", "Feature", "Collection"]
AgentKind = Literal["Person", "Organization"]
_AGENT_KINDS: dict[str, AgentKind] = {"Person": "Person", "Organization": "Organization"}


def agent_kind(value: str | None) -> AgentKind | None:
    """``value`` when it names an Agent kind, else None: mapping tables give plain strings (an empty
    translation says nothing about the kind)."""
    return _AGENT_KINDS.get(value or "")


#: the log events of the IGSN kernels, in life-cycle order
LOG_EVENTS = ("submitted", "registered", "updated", "deprecated", "destroyed")


@dataclass(frozen=True)
class Identifier:
    """An identifier with its scheme (DataCite identifier type name, e.g. ``DOI``, ``ORCID``, ``URL``)."""

    value: str
    scheme: str | None = None


@dataclass(frozen=True)
class Agent:
    """A person or organisation; ``identifier`` with scheme ORCID / ROR / ISNI / URL when known."""

    name: str
    identifier: Identifier | None = None
    affiliation: "Agent | None" = None
    kind: AgentKind | None = None


@dataclass(frozen=True)
class Contributor:
    """An agent in a role; ``role`` is a DataCite contributorType name (e.g. ``HostingInstitution``)."""

    agent: Agent
    role: str


@dataclass(frozen=True)
class Relation:
    """A typed link to another resource (dataset, publication, URL, another IGSN).

    ``relation_type`` is a DataCite relation type (``IsCitedBy``, ``IsDerivedFrom``…);
    ``identifier_type`` a DataCite relatedIdentifierType (``DOI``, ``Handle``, ``IGSN``, ``URL``…).
    For ``IGSN`` the identifier is the normal-form name.
    """

    identifier: str
    identifier_type: str | None = None
    relation_type: str | None = None
    title: str | None = None
    #: the input format's own relation term when it is not a DataCite one (e.g. CSIRO ``HasSamplingFeature``)
    source_relation_type: str | None = None
    #: the sample the identifier names when it is an IGSN in any written form (normal form; set by
    #: ``links.resolve``): the link goes to that sample's IRI, ``identifier`` keeps what was written
    igsn: str | None = None


@dataclass(frozen=True)
class Geometry:
    """A geometry as WKT, exactly as written (axis order and CRS rules: ``formats/wkt.py``).

    ``srid`` is the CRS given beside the WKT (a kernel's srid attribute); ``elevation`` the height of the
    location (the WKT's Z ordinate unless given apart), in ``elevation_unit`` (a QUDT unit IRI from
    ``mappings/length_units.csv``), metres when None, relative to ``vertical_datum``.
    """

    wkt: str
    geometry_type: str | None = None
    srid: str | None = None
    vertical_datum: str | None = None
    uri: str | None = None
    elevation: Decimal | None = None
    elevation_unit: str | None = None


@dataclass(frozen=True)
class Place:
    """A named place (toponym / locality), optionally with an identifier IRI."""

    name: str | None = None
    identifier: str | None = None


@dataclass(frozen=True)
class TimeSpan:
    """An instant or a period; values are W3CDTF strings (year, year-month, date or date-time)."""

    instant: str | None = None
    start: str | None = None
    end: str | None = None


@dataclass(frozen=True)
class LogEvent:
    """One entry of a kernel's log: ``event`` is one of ``LOG_EVENTS``."""

    event: str
    timestamp: str
    comment: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Curation:
    curator: str | None = None
    date: str | None = None
    location: str | None = None
    institution: Agent | None = None


@dataclass(frozen=True)
class Classification:
    label: str
    uri: str | None = None


@dataclass(frozen=True)
class SampledFeature:
    name: str | None = None
    uri: str | None = None
    feature_type: str | None = None


@dataclass
class SampleRecord:
    """Everything a registration can say about one sample, feature or collection."""

    igsn: str
    kind: ResourceKind = "Sample"
    name: str | None = None
    description: str | None = None
    doi: str | None = None
    landing_page: str | None = None
    alternate_identifiers: list[Identifier] = field(default_factory=list)
    registrant: Agent | None = None
    collectors: list[Agent] = field(default_factory=list)
    contributors: list[Contributor] = field(default_factory=list)
    curations: list[Curation] = field(default_factory=list)
    geometries: list[Geometry] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    resource_types: list[str] = field(default_factory=list)
    alternate_resource_types: list[str] = field(default_factory=list)
    materials: list[str] = field(default_factory=list)
    alternate_materials: list[str] = field(default_factory=list)
    collection_method: str | None = None
    alternate_collection_methods: list[str] = field(default_factory=list)
    method_description: str | None = None
    collection_time: TimeSpan | None = None
    classifications: list[Classification] = field(default_factory=list)
    sampled_features: list[SampledFeature] = field(default_factory=list)
    purpose: str | None = None
    campaign: str | None = None
    comments: str | None = None
    parents: list[str] = field(default_factory=list)
    collections: list[str] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    is_public: bool = True
    embargo_end: str | None = None
    supplemental_metadata: list[str] = field(default_factory=list)
    log: list[LogEvent] = field(default_factory=list)
    #: record field name -> XML element path it was read from (for error messages); not compared
    source_elements: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    #: what the reader accepted although it is off-form, and "not mapped: …" for what it kept only in the
    #: submitted document; each names the element or JSON path. Reported with the answer, kept with the version.
    warnings: list[str] = field(default_factory=list, compare=False, repr=False)
    #: the handle prefix the document wrote the IGSN with (``10273`` or the test prefix ``20.500.11812``), when
    #: it wrote one: the registry's rule that the test prefix is for TEST names reads it; not compared
    handle_prefix: str | None = field(default=None, compare=False, repr=False)

    @property
    def lifecycle(self) -> str | None:
        """``destroyed`` or ``deprecated`` when the log says so (destroyed wins), else None."""
        events = {e.event for e in self.log}
        if "destroyed" in events:
            return "destroyed"
        if "deprecated" in events:
            return "deprecated"
        return None


@dataclass
class RegistryFacts:
    """The public registry facts of one sample, kept in its named graph beside the description.

    ``active`` False means deactivated (hidden, 410). ``lifecycle`` is ``deprecated`` or
    ``destroyed`` (set by an operation or by the record's log) and keeps the sample public.
    ``datestamp`` is UTC whole seconds, ISO form ``YYYY-MM-DDThh:mm:ssZ``.
    """

    igsn: str
    agent: str
    namespace: str
    datestamp: str
    client: str | None = None
    landing_url: str | None = None
    active: bool = True
    lifecycle: str | None = None
    replaced_by: str | None = None
    is_public: bool = True
    has_metadata: bool = False
    registered: str | None = None
    doi: str | None = None

    @property
    def status(self) -> str:
        """``inactive``, ``destroyed``, ``deprecated`` or ``active``."""
        if not self.active:
            return "inactive"
        return self.lifecycle or "active"

    @property
    def owner(self) -> str:
        return self.client or self.agent
