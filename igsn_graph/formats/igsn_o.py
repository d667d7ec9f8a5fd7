"""Geoscience Australia's IGSN-O RDF → SampleRecord: samples described in GA's vocabulary, not ours.

GA's samples-api published each sample as "IGSN-O": a SAM-lite ``sam:Specimen`` (also a ``prov:Entity``) with
its IGSN in an ``igsn:AlternateIdentifier`` node (later a literal typed ``igsn:IGSN``), a GeoSPARQL geometry,
a ``sam:Elevation`` node, the site it was taken from (``om:featureOfInterest``) and GA as publisher
(``prov:qualifiedAttribution``); see ``shared/examples/GeoscienceAustralia-samples-api/test/sample_eg1.ttl``.
``formats.rdf.read_rdf`` hands a document here when no subject carries ``ig:igsn``.

The vocabulary is data, ``mappings/igsn_o.csv``: the classes that make a sample, which record field each
sample property fills, and the translations of GA's terms (access rights, attribution roles, site and
geometry types, agent classes). The nodes below a property (identifier, geometry, elevation, attribution)
are read by their fixed structure, here.

- The IGSN comes from an identifier of type IGSN; without one, from a sample IRI under a GA sample base
  (``http://pid.geoscience.gov.au/sample/AU2648696``). Two different IGSNs, or an IRI naming another sample
  than its identifier, are refused; so is a sample without either.
- A geometry is its ``geo:asWKT`` (read by ``wkt.read_wkt``: its notes are warnings, a text it cannot read is
  refused); a ``geo:asGML`` holding the same text (GA wrote its WKT there) is read once, with a warning.
- The elevation node gives the first geometry its elevation and vertical datum, as written.
- A Publisher or Custodian is a curating institution (with ``sam:currentLocation`` as the curation location),
  an Originator a collector, other roles contributors; an agent's name is its label, else its IRI (warned).
- The site becomes a sampled feature (IRI, label, type); what else the document says about the site (its own
  location) is the feature's, not the sample's, and is reported.

Every triple about a sample (its own and those of the nodes it reaches) that the record does not take is
returned for ``read_rdf`` to report as ``not mapped: <s> <p> <o>``; triples no sample reaches are returned with
every sample.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Callable

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from ..codelists import codelist
from ..errors import InvalidIdentifier, InvalidRecord
from ..identifiers import parse_igsn
from ..links import igsn_named
from ..record import (
    Agent,
    AgentKind,
    Contributor,
    Curation,
    Geometry,
    Identifier,
    SampledFeature,
    SampleRecord,
    TimeSpan,
    agent_kind,
)
from ..resources import mappings_dir
from ..vocab import GEO, PROV, RDF, RDF_TYPE
from ._dates import read_date
from .dc_reader import identifier_type_of
from .wkt import WktError, read_wkt

__all__ = ["SAM", "IGSN_O", "terms", "read"]

SAM = "http://def.seegrid.csiro.au/ontology/om/sam-lite#"
IGSN_O = "http://pid.geoscience.gov.au/def/ont/igsn#"
_ALTERNATE_IDENTIFIER = NamedNode(IGSN_O + "AlternateIdentifier")
_IDENTIFIER_TYPE = NamedNode(IGSN_O + "identifierType")
_FEATURE_TYPE = NamedNode(IGSN_O + "featureType")
_VALUES = (PROV.value, RDF.value)
_ELEVATION_CLASS, _ELEVATION, _DATUM = (NamedNode(SAM + n) for n in ("Elevation", "elevation", "verticalDatum"))
_SAMPLED_FEATURE = NamedNode(SAM + "sampledFeature")
_ATTRIBUTION = PROV.Attribution

Node = Any  # a NamedNode or BlankNode
#: prefixes for the property names in messages
_SHOWN = {
    "geo:": str(GEO),
    "sam:": SAM,
    "igsn:": IGSN_O,
    "om:": "http://def.seegrid.csiro.au/ontology/om/om-lite#",
    "prov:": str(PROV),
    "dct:": "http://purl.org/dc/terms/",
    "rdf:": str(RDF),
}


def _short(iri: NamedNode) -> str:
    """A property as messages name it: ``geo:asWKT`` for the vocabularies of IGSN-O, else ``<iri>``."""
    return next((p + iri.value[len(ns) :] for p, ns in _SHOWN.items() if iri.value.startswith(ns)), str(iri))


@lru_cache(maxsize=1)
def terms() -> dict[str, dict[str, str]]:
    """``mappings/igsn_o.csv`` as applies_to → term IRI → maps_to."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    with open(mappings_dir() / "igsn_o.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            out[row["applies_to"]][row["term"]] = row["maps_to"]
    unknown = set(out["sample property"].values()) - set(_HANDLERS)
    if unknown:
        raise ValueError(f"mappings/igsn_o.csv: no reader for sample properties mapped to {sorted(unknown)}")
    return dict(out)


def _term(applies_to: str, iri: str) -> str | None:
    """The table's translation of a term (exact, then ignoring case: GA writes Borehole and borehole)."""
    rows = terms().get(applies_to, {})
    if iri in rows:
        return rows[iri]
    return next((v for k, v in rows.items() if k.lower() == iri.lower()), None)


def read(triples: list[Triple]) -> list[tuple[SampleRecord, list[Triple]]]:
    """Each IGSN-O sample of the document, with the triples its record does not carry (those about it that the
    reader did not take, and those about no sample); empty when the document describes none."""
    graph = _Graph(triples)
    classes = {iri for iri, kind in terms().get("sample class", {}).items() if kind == "Sample"}
    samples = list(
        dict.fromkeys(
            t.subject
            for t in triples
            if t.predicate == RDF_TYPE and isinstance(t.object, NamedNode) and t.object.value in classes
        )
    )
    readers = [_SampleReader(graph, s, set(samples)) for s in samples]
    records = [r.read() for r in readers]
    reached = set().union(*(r.reached for r in readers)) if readers else set()
    stray = [i for i in range(len(triples)) if i not in reached]
    return [
        (record, [triples[i] for i in sorted((r.reached - r.used) | set(stray))])
        for record, r in zip(records, readers, strict=False)
    ]


class _Graph:
    """The document's triples by subject."""

    def __init__(self, triples: list[Triple]) -> None:
        self.triples = triples
        self.by_subject: dict[Node, list[int]] = defaultdict(list)
        for i, t in enumerate(triples):
            self.by_subject[t.subject].append(i)

    def objects(self, node: Node, predicate: NamedNode) -> list[tuple[int, Any]]:
        """(triple index, object) of each ``node predicate ?o``, in document order."""
        return [
            (i, self.triples[i].object) for i in self.by_subject.get(node, ()) if self.triples[i].predicate == predicate
        ]

    def first(self, node: Node, *predicates: NamedNode) -> tuple[int, Any] | tuple[None, None]:
        return next((pair for p in predicates for pair in self.objects(node, p)), (None, None))


class _SampleReader:
    """Reads one sample; ``used`` are the indices of the triples its record carries, ``reached`` those about it."""

    def __init__(self, graph: _Graph, subject: Node, samples: set[Node]) -> None:
        self.g, self.s = graph, subject
        self.used: set[int] = set()
        self.reached = self._reach(samples)
        self.warnings: list[str] = []
        self.record = SampleRecord(igsn="")
        self.igsns: list[tuple[str, str]] = []  # (name, where it was read)
        self.elevations: list[tuple[list[int], Decimal, str | None]] = []
        self.institutions: list[Agent] = []
        self.location: str | None = None

    def _reach(self, samples: set[Node]) -> set[int]:
        """The triples about the sample and the nodes it reaches (other samples are theirs)."""
        seen, stack, out = {self.s}, [self.s], set()
        while stack:
            for i in self.g.by_subject.get(stack.pop(), ()):
                out.add(i)
                o = self.g.triples[i].object
                if (
                    o not in seen
                    and o not in samples
                    and isinstance(o, (BlankNode, NamedNode))
                    and o in self.g.by_subject
                ):
                    seen.add(o)
                    stack.append(o)
        return out

    def where(self, i: int) -> str:
        t = self.g.triples[i]
        return f"{t.subject} {_short(t.predicate)}"

    def refuse(self, i: int, reason: str) -> InvalidRecord:
        return InvalidRecord(f"{self.where(i)}: {reason}", igsn=self.record.igsn or None)

    def take(self, *indices: int | None) -> None:
        self.used.update(i for i in indices if i is not None)

    def read(self) -> SampleRecord:
        for i in list(self.g.by_subject.get(self.s, ())):
            t = self.g.triples[i]
            if t.predicate == RDF_TYPE:
                if isinstance(t.object, NamedNode) and _term("sample class", t.object.value) is not None:
                    self.take(i)
                continue
            field = _term("sample property", t.predicate.value)
            if field is not None:
                _HANDLERS[field](self, i, t.object)
        self.record.igsn = self._igsn()
        self._finish()
        self.record.warnings.extend(self.warnings)
        return self.record

    def _igsn(self) -> str:
        names = list(dict.fromkeys(name for name, _ in self.igsns))
        if len(names) > 1:
            raise InvalidRecord(f"{self.s} has two IGSNs ({names[0]} and {names[1]}); a sample has one", igsn=names[0])
        from_iri = self._iri_name()
        if names and from_iri is not None and from_iri != names[0]:
            raise InvalidRecord(
                f"{self.s} names {from_iri} but its identifier is {names[0]}; one sample has one IGSN", igsn=names[0]
            )
        name = names[0] if names else from_iri
        if name is None:
            raise InvalidRecord(
                f"{self.s}: a sample without an IGSN (an identifier of type IGSN, or an IRI under "
                f"{' or '.join(terms().get('sample IRI base', {}))})"
            )
        return name

    def _iri_name(self) -> str | None:
        if not isinstance(self.s, NamedNode):
            return None
        for base in terms().get("sample IRI base", {}):
            if self.s.value.startswith(base) and len(self.s.value) > len(base):
                try:
                    return parse_igsn(self.s.value[len(base) :]).name
                except InvalidIdentifier:
                    return None
        return None

    def _finish(self) -> None:
        """What needs the whole sample: the elevation on its geometry, curation from location and institutions."""
        r = self.record
        if r.geometries and self.elevations:
            indices, elevation, datum = self.elevations[0]
            r.geometries[0] = replace(r.geometries[0], elevation=elevation, vertical_datum=datum)
            self.take(*indices)
        if self.institutions:
            r.curations.extend(
                Curation(location=self.location if n == 0 else None, institution=agent)
                for n, agent in enumerate(self.institutions)
            )
        elif self.location is not None:
            r.curations.append(Curation(location=self.location))

    # --- the nodes ------------------------------------------------------------------------------
    def label(self, node: Node) -> str | None:
        for iri in terms().get("label", {}):
            i, o = self.g.first(node, NamedNode(iri))
            if isinstance(o, Literal) and o.value.strip():
                self.take(i)
                return o.value.strip()
        return None

    def coded(self, value: Any, code: str) -> str | None:
        return codelist(code).canonical(value.value) if isinstance(value, (Literal, NamedNode)) else None


# --- the sample properties (mappings/igsn_o.csv, "sample property") -----------------------------------


def _identifier(r: _SampleReader, i: int, o: Any) -> None:
    if isinstance(o, Literal):
        value, kind = o.value.strip(), None
        if _term("identifier datatype", o.datatype.value) == "IGSN":
            kind = "IGSN"
        r.take(i)
    else:
        _, value_term = r.g.first(o, *_VALUES)
        if not isinstance(value_term, Literal):
            return  # an identifier without a value: its triples are reported
        value = value_term.value.strip()
        type_i, type_o = r.g.first(o, _IDENTIFIER_TYPE)
        iri = r.coded(type_o, "identifier_type")
        kind = codelist("identifier_type").notation(iri) if iri else None
        r.take(
            i,
            *(j for j, c in r.g.objects(o, RDF_TYPE) if c == _ALTERNATE_IDENTIFIER),
            *(j for p in _VALUES for j, _ in r.g.objects(o, p)),
            type_i if kind else None,
        )
    kind = kind or identifier_type_of(value)
    try:
        name = parse_igsn(value).name if kind == "IGSN" else igsn_named(value, kind)
    except InvalidIdentifier as exc:
        raise r.refuse(i, f"{value!r} is not an IGSN: {exc.message}") from None
    if name is not None:
        r.igsns.append((name, r.where(i)))
        return
    if kind is None:
        r.warnings.append(
            f"{r.where(i)}: the form of {value!r} does not say what identifier it is; kept as a local identifier"
        )
    r.record.alternate_identifiers.append(Identifier(value, kind or "local"))


def _geometry(r: _SampleReader, i: int, o: Any) -> None:
    wkts = [(j, w) for j, w in r.g.objects(o, GEO.asWKT) if isinstance(w, Literal)]
    if not wkts:
        return  # no WKT (GML alone is not read): reported
    if len({w.value for _, w in wkts}) > 1:
        raise r.refuse(i, f"a geometry with two WKT literals ({wkts[0][1]} and {wkts[1][1]}); send one")
    wkt = wkts[0][1]
    where = f"{r.where(i)}/geo:asWKT"
    try:
        notes = read_wkt(wkt.value).notes
    except WktError as exc:
        raise r.refuse(i, f"not a geometry we can read: {exc}") from None
    r.warnings.extend(f"{where}: {note}" for note in notes)
    r.take(i, *(k for k, _ in wkts))
    for k, gml in r.g.objects(o, GEO.asGML):
        if isinstance(gml, Literal) and gml.value.strip() == wkt.value.strip():
            r.take(k)
            r.warnings.append(f"{r.where(i)}/geo:asGML: holds the WKT text, not GML; read once, as WKT")
    geometry_type = None
    for k, c in r.g.objects(o, RDF_TYPE):
        if c == GEO.Geometry:
            r.take(k)
        elif isinstance(c, NamedNode) and geometry_type is None:
            geometry_type = codelist("geometry_type").canonical(_term("geometry type", c.value) or c.value)
            if geometry_type is not None:
                r.take(k)
    r.record.geometries.append(Geometry(wkt=wkt.value, geometry_type=geometry_type))


def _elevation(r: _SampleReader, i: int, o: Any) -> None:
    k, value = r.g.first(o, _ELEVATION)
    if not isinstance(value, Literal):
        return
    try:
        elevation = Decimal(value.value.strip())
    except InvalidOperation:
        raise r.refuse(i, f"the elevation {value.value!r} is not a number") from None
    d, datum = r.g.first(o, _DATUM)
    indices = [i, *(j for j, c in r.g.objects(o, RDF_TYPE) if c == _ELEVATION_CLASS)]
    indices += [j for j in (k, d if isinstance(datum, (Literal, NamedNode)) else None) if j is not None]
    # applied to the first geometry once every property is read (an elevation without a location is reported)
    r.elevations.append((indices, elevation, datum.value if isinstance(datum, (Literal, NamedNode)) else None))


def _curation_location(r: _SampleReader, i: int, o: Any) -> None:
    if isinstance(o, Literal) and r.location is None:
        r.location = o.value.strip() or None
        r.take(i)


def _access(r: _SampleReader, i: int, o: Any) -> None:
    access = _term("access", o.value) if isinstance(o, NamedNode) else None
    if access in ("public", "private"):
        r.record.is_public = access == "public"
        r.take(i)


def _sampled_feature(r: _SampleReader, i: int, o: Any) -> None:
    feature_type = None
    k, written = r.g.first(o, _FEATURE_TYPE)
    candidates = ([(k, written)] if written is not None else []) + r.g.objects(o, RDF_TYPE)
    for j, c in candidates:
        if not isinstance(c, NamedNode):
            continue
        iri = codelist("feature_type").canonical(_term("feature type", c.value) or c.value)
        if iri is not None or j == k:  # igsn:featureType is kept as written; a class only when it is a type
            feature_type = iri or c.value
            r.take(j)
            break
    r.take(i, *(j for j, s in r.g.objects(o, _SAMPLED_FEATURE) if s == r.s))
    r.record.sampled_features.append(
        SampledFeature(name=r.label(o), uri=o.value if isinstance(o, NamedNode) else None, feature_type=feature_type)
    )


def _attribution(r: _SampleReader, i: int, o: Any) -> None:
    a, agent_node = r.g.first(o, PROV.agent)
    h, role = r.g.first(o, PROV.hadRole)
    target = _term("role", role.value) if isinstance(role, NamedNode) else None
    if target is None or agent_node is None or isinstance(agent_node, Literal):
        return  # an attribution the record has no place for: reported
    name = r.label(agent_node)
    if name is None and isinstance(agent_node, BlankNode):
        return
    if name is None:
        name = agent_node.value
        r.warnings.append(f"{agent_node}: an agent without a name (rdfs:label, foaf:name…); named by its IRI")
    kind: AgentKind | None = None
    for j, c in r.g.objects(agent_node, RDF_TYPE):
        found = _term("agent class", c.value) if isinstance(c, NamedNode) else None
        if found is not None:
            kind = kind or agent_kind(found)
            r.take(j)
    agent = Agent(
        name=name,
        identifier=Identifier(agent_node.value, "URL") if isinstance(agent_node, NamedNode) else None,
        kind=kind,
    )
    r.take(i, a, h, *(j for j, c in r.g.objects(o, RDF_TYPE) if c == _ATTRIBUTION))
    if target == "curation":
        r.institutions.append(agent)
    elif target == "collector":
        r.record.collectors.append(agent)
    else:
        r.record.contributors.append(Contributor(agent, target.removeprefix("contributor:")))


def _coded(code: str, main: str, alternates: str) -> Callable[[_SampleReader, int, Any], None]:
    """A value of a code list → ``main`` (a list, or a single field while empty), else ``alternates`` as written."""

    def handle(r: _SampleReader, i: int, o: Any) -> None:
        if not isinstance(o, (Literal, NamedNode)) or not o.value.strip():
            return
        iri = r.coded(o, code)
        current = getattr(r.record, main)
        if iri is not None and isinstance(current, list):
            current.append(iri)
        elif iri is not None and current is None:
            setattr(r.record, main, iri)
        else:
            getattr(r.record, alternates).append(o.value.strip())
        r.take(i)

    return handle


def _collection_time(r: _SampleReader, i: int, o: Any) -> None:
    if isinstance(o, Literal) and r.record.collection_time is None:
        r.record.collection_time = TimeSpan(instant=read_date(o.value, r.where(i), r.warnings))
        r.take(i)


def _text(field: str) -> Callable[[_SampleReader, int, Any], None]:
    def handle(r: _SampleReader, i: int, o: Any) -> None:
        if isinstance(o, Literal) and getattr(r.record, field) is None and o.value.strip():
            setattr(r.record, field, o.value.strip())
            r.take(i)

    return handle


#: the reader of each ``maps_to`` of a "sample property" row
_HANDLERS: dict[str, Callable[[_SampleReader, int, Any], None]] = {
    "identifier": _identifier,
    "geometry": _geometry,
    "elevation": _elevation,
    "curation location": _curation_location,
    "access": _access,
    "sampled feature": _sampled_feature,
    "attribution": _attribution,
    "material": _coded("material", "materials", "alternate_materials"),
    "method": _coded("method", "collection_method", "alternate_collection_methods"),
    "sample type": _coded("sample_type", "resource_types", "alternate_resource_types"),
    "collection time": _collection_time,
    "name": _text("name"),
    "description": _text("description"),
}
