"""A sample's representations other than the landing page: RDF syntaxes, the XML kernels, DataCite JSON,
citations, schema.org, the alternates listing. No HTTP here: the router turns a ``Rendered`` or a
``NotAcceptable`` into a response. A ``SampleView`` reads a sample's graph at most once. Representations name
samples by their persistent IRIs (IRI base), never by the public URL: only what is about this deployment
(``Link``, the alternates listing, landing pages) uses it, per request.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from copy import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Triple, parse, serialize

from ..formats import citation, datacite_json, schemaorg
from ..formats.graph import facts_from_triples, record_from_triples
from ..formats.table import RDF_WRITTEN
from ..formats.xmltext import xml_safe
from ..harvest import origins
from ..harvest.view import unverified_notes
from ..index.catalogue import CatalogueRow
from ..oai.formats import FORMATS, for_oai, write_all
from ..once import once
from ..pages import E
from ..pages import page as _page
from ..record import RegistryFacts, SampleRecord
from ..vocab import PREFIXES, RDF_TYPE
from .profiles import DEFAULT_PROFILE, PROFILES, Choice, NotAcceptable, alternate_url
from .reads import related

if TYPE_CHECKING:
    from ..registry.service import Registry

__all__ = [
    "RDF_FORMATS",
    "alt_page",
    "Rendered",
    "SampleMissing",
    "SampleView",
    "csl_of",
    "datacite_json_of",
    "render",
    "render_alt",
    "render_element",
    "render_rdf",
    "render_xml",
    "sample_url",
    "schemaorg_of",
]

#: the RDF media types a sample is written in (the default, Turtle, first) → their syntax, from the format table
RDF_FORMATS: dict[str, RdfFormat] = {syntax.media_type: syntax.rdf_format for syntax in RDF_WRITTEN}
_ALTR = "http://www.w3.org/ns/dx/connegp/altr#"
_DCTERMS = "http://purl.org/dc/terms/"


#: syntaxes of a dataset: the triples go into their named graph
_DATASET_FORMATS = frozenset(syntax.rdf_format for syntax in RDF_WRITTEN if syntax.dataset)
_PREFIXED_FORMATS = frozenset(syntax.rdf_format for syntax in RDF_WRITTEN if syntax.prefixed)


def _prefixes(fmt: RdfFormat) -> dict[str, str] | None:
    """The prefixes written in the syntaxes that abbreviate IRIs with them (Turtle, TriG)."""
    return PREFIXES if fmt in _PREFIXED_FORMATS else None


def render_rdf(
    triples: Sequence[Triple],
    graph: NamedNode,
    media_type: str,
    beside: tuple[NamedNode, Sequence[Triple]] | None = None,
) -> bytes:
    """Triples in one RDF syntax; the dataset syntaxes put them in their named graph (and ``beside``'s triples
    in theirs; the graph syntaxes write both together)."""
    fmt = RDF_FORMATS[media_type]
    if beside is not None and fmt not in _DATASET_FORMATS:
        triples = [*triples, *beside[1]]
    if fmt == RdfFormat.RDF_XML:
        triples = xml_safe(triples)  # pyoxigraph writes a NUL or U+FFFE into RDF/XML as it is
    if fmt in _DATASET_FORMATS:
        quads = [Quad(t.subject, t.predicate, t.object, graph) for t in triples]
        if beside is not None:
            quads += [Quad(t.subject, t.predicate, t.object, beside[0]) for t in beside[1]]
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


#: the record field that carries the unverified note in a profile's output: ``comments`` (DataCite's "Other"
#: description, oai_dc's second description) unless the format has no element for comments
_NOTE_FIELD = {"igsn_desc": "description", "sdo": "description"}


class SampleMissing(Exception):
    """The catalogue names the sample but its public graph says nothing of it (a store out of step)."""


class SampleView:
    """One sample as one request sees it: its catalogue row, and its public graph read at most once
    (facts and description both come from that one read)."""

    def __init__(self, registry: Registry, row: CatalogueRow) -> None:
        self.registry = registry
        self.row = row
        self.name = row.igsn

    @classmethod
    def with_source(cls, registry: Registry, row: CatalogueRow, unverified_source: str | None) -> SampleView:
        """A view whose unverified source a caller has already looked up (for many samples in one query)."""
        view = cls(registry, row)
        view.__dict__["unverified_source"] = unverified_source  # what the property would have read
        return view

    @once
    def triples(self) -> list[Triple]:
        return self.registry.graph_of(self.name)

    @once
    def facts(self) -> RegistryFacts:
        facts = facts_from_triples(self.triples, self.registry.iris, self.name, datestamp=self.row.datestamp)
        if facts is None:
            raise SampleMissing(self.name)
        return facts

    @once
    def unverified_source(self) -> str | None:
        """The harvest source no allocating agent speaks for that gave the description shown, if one did."""
        return origins.unverified_shown(self.registry.db.read(), [self.name]).get(self.name)

    @once
    def unverified_note(self) -> str | None:
        """What the outputs say when an unverified source gave the description shown (README: Harvesting)."""
        if self.unverified_source is None:
            return None
        return unverified_notes(self.registry, [self.name]).get(self.name)

    def shown_record(self, token: str) -> SampleRecord | None:
        """The description as the profile ``token`` writes it: an unverified source's carries the note in the
        field that profile writes as free text (``_NOTE_FIELD``)."""
        record, note = self.record, self.unverified_note
        if record is None or note is None:
            return record
        field = _NOTE_FIELD.get(token, "comments")
        before = getattr(record, field)
        marked = copy(record)
        setattr(marked, field, f"{before}\n\n{note}" if before else note)
        return marked

    def rdf(self, media_type: str) -> bytes:
        """The public graph in one RDF syntax. The graph syntaxes are written by the store itself when
        the triples were not needed otherwise (the same bytes, without a Python object per triple). An
        unverified source's description comes with its harvest graph (its source, ``ig:unverified true``)."""
        graph = self.registry.iris.record_graph(self.name)
        fmt = RDF_FORMATS[media_type]
        if self.unverified_source is not None:
            harvest = origins.record_graph(self.registry.iris, self.unverified_source, self.name)
            if not self.triples:
                raise SampleMissing(self.name)
            return render_rdf(self.triples, graph, media_type, (harvest, self.registry.store.graph(harvest)))
        if "triples" not in self.__dict__ and fmt not in _DATASET_FORMATS and fmt != RdfFormat.RDF_XML:
            body = self.registry.store.serialize_graph(graph, fmt, _prefixes(fmt))
            if body is None:
                raise SampleMissing(self.name)
            return body
        if not self.triples:
            raise SampleMissing(self.name)
        return render_rdf(self.triples, graph, media_type)

    @once
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
        doc = schemaorg_of(registry, view.facts, view.shown_record(token), related(registry, name).children)
        if media_type in ("application/ld+json", schemaorg.MEDIA_TYPE):
            return Rendered(_json(doc), media_type)
        triples = list(parse(_json(doc), format=RdfFormat.JSON_LD))
        return Rendered(render_rdf(triples, registry.iris.record_graph(name), media_type), _content_type(media_type))
    if media_type in RDF_FORMATS:
        return Rendered(view.rdf(media_type), _content_type(media_type))
    record, facts = view.shown_record(token), view.facts
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


def _content_type(media_type: str) -> str:
    return _utf8(media_type) if media_type.startswith("text/") or media_type == "application/json" else media_type
