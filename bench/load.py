"""Import benchmark: synthetic samples loaded end to end, as description-kernel XML or per input format.

End to end = read (XML parse, or RDF/JSON parse) + mapping + SHACL validation + graph write + history +
catalogue index, through the same path as `igsn-graph load` (``loader.read_input``, then
``Registry.load_records`` as the administrator). The default mode prints samples/s, peak memory, and a
per-stage breakdown measured on a separate slice of the same records.

``--per-format N`` writes the demo generator's first N records in every format the readers take, one
document per record (as a folder of files given to `igsn-graph load`), and loads each format into a fresh
registry: a table of records/s read only (the reader, without the registry, so a slow reader shows) and
read + load. Formats with a writer use it (registration and description kernels, DataCite, Dublin Core, Turtle
and JSON-LD from ``formats.graph``); the read-only formats (CSIRO v3, ARDC 1.0, CSIRO v2, IGSN-JSON, AGN JSON)
are synthesised from the same records by the templates below (lxml and json, a crosswalk of the fields each
format has a place for, geometries in JSON as points or bounding boxes).

The default mode (``bench/load_scale.py``) loads N generated records at scale with `igsn-graph load`'s path and
prints samples/s, quads and disk per sample, and peak RSS beside raw pyoxigraph ``bulk_load`` of the same quads.
``--stages N`` times the stages (XML read, record to RDF, SHACL) of N records one at a time.

    python bench/load.py 10000 100000 [--batch 1000] [--docs DIR]
    python bench/load.py --stages 5000
    python bench/load.py --per-format 10000 [--formats igsn,csirov3] [--batch 1000]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lxml import etree
from pyoxigraph import RdfFormat, serialize

from igsn_graph.codelists import codelist
from igsn_graph.demo import DemoSample, generate_samples
from igsn_graph.demo_load import load_demo_accounts
from igsn_graph.errors import IgsnGraphError
from igsn_graph.formats import ardc, csiro, csiro_v2, datacite, description_kernel, igsn_json, registration_kernel
from igsn_graph.formats import graph as graphmap
from igsn_graph.formats._agent_terms import agent_terms
from igsn_graph.formats._descriptive import COLLECTOR_ROLE
from igsn_graph.formats.kernels import XML_FORMATS, read_xml
from igsn_graph.formats.wkt import read_wkt
from igsn_graph.identifiers import HANDLE_PREFIX
from igsn_graph.iris import Iris
from igsn_graph.loader import read_input
from igsn_graph.record import Agent, Geometry, Relation, SampleRecord
from igsn_graph.registry.service import Registry, Submission, init_data_dir
from igsn_graph.settings import Settings

IRIS = Iris()


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- documents per input format ----------------------------------------------------------------------
def _xml(element: etree._Element) -> bytes:
    return etree.tostring(element, encoding="utf-8", xml_declaration=True)


def _described(s: DemoSample) -> SampleRecord:
    """The record with its landing page, for the formats that carry one."""
    return replace(s.record, landing_page=s.landing_url)


def _rdf(s: DemoSample, fmt: RdfFormat) -> bytes:
    return serialize(graphmap.record_triples(_described(s), IRIS), format=fmt) or b""


class _Xml:
    """SubElement in one namespace, leaving out what has no value."""

    def __init__(self, ns: str) -> None:
        self.ns = ns

    def root(self, name: str, **attrib: str) -> etree._Element:
        return etree.Element(f"{{{self.ns}}}{name}", attrib, nsmap={None: self.ns})

    def sub(self, parent: etree._Element, name: str, text: str | None = None, **attrib: str | None) -> etree._Element:
        el = etree.SubElement(parent, f"{{{self.ns}}}{name}", {k: v for k, v in attrib.items() if v is not None})
        if text is not None:
            el.text = text
        return el

    def opt(self, parent: etree._Element, name: str, text: str | None) -> None:
        """An element only when there is text for it."""
        if text:
            self.sub(parent, name, text)

    def many(self, parent: etree._Element, container: str, name: str, values: list[str]) -> None:
        if values:
            holder = self.sub(parent, container)
            for v in values:
                self.sub(holder, name, v)


_KIND_TERM = {"Sample": "PhysicalSample", "Collection": "SampleCollection", "Feature": "SamplingFeature"}
_CI_ROLE = "http://registry.it.csiro.au/def/isotc211/CI_RoleCode/"
_ARDC_CODES = "http://pid.geoscience.gov.au/def/voc/ga/igsncode/"
_CSIRO_CODES = "http://pid.geoscience.gov.au/def/voc/igsn-codelists/"


def _ardc_term(list_name: str, notation: str | None) -> str | None:
    """ARDC's IRI for one of our notations (``mappings/codelists/agent_terms.csv``), else the notation."""
    if notation is None:
        return None
    found = [w for w, n in agent_terms(list_name).items() if n == notation and w.startswith(_ARDC_CODES)]
    return found[0] if len(found) == 1 else notation


#: ISO 19115 CI_RoleCode, the contributor types of the CSIRO schemas
_CI_ROLE_CODES = (
    "resourceProvider",
    "custodian",
    "owner",
    "user",
    "distributor",
    "originator",
    "pointOfContact",
    "principalInvestigator",
    "processor",
    "publisher",
    "author",
    "sponsor",
    "coAuthor",
    "collaborator",
    "editor",
    "mediator",
    "rightsHolder",
    "contributor",
    "funder",
    "stakeholder",
)


def _contributor_role(notation: str) -> str:
    """The CI_RoleCode our contributor type list reads as this type (its first), else the DataCite name."""
    roles = codelist("contributor_type")
    iri = roles.canonical(notation)
    codes = [_CI_ROLE + c for c in _CI_ROLE_CODES if iri is not None and roles.canonical(_CI_ROLE + c) == iri]
    return codes[0] if codes else notation


def _relations(r: SampleRecord) -> list[Relation]:
    return (
        [Relation(f"{HANDLE_PREFIX}/{p}", "IGSN", "IsDerivedFrom") for p in r.parents]
        + [Relation(f"{HANDLE_PREFIX}/{c}", "IGSN", "IsPartOf") for c in r.collections]
        + r.relations
    )


def _descriptive(s: DemoSample, *, ns: str, ardc_form: bool) -> bytes:
    """A CSIRO v3 or ARDC 1.0 ``resources`` document of one ``resource`` (the two schemas differ in the
    namespace, the code-list IRIs, the curator and the related resource)."""
    r, x = s.record, _Xml(ns)
    codes = _ARDC_CODES if ardc_form else _CSIRO_CODES
    root = x.root("resources")
    res = x.sub(root, "resource", registeredObjectType=codes + _KIND_TERM[r.kind])
    x.sub(res, "resourceIdentifier", f"{HANDLE_PREFIX}/{r.igsn}" if ardc_form else r.igsn)
    x.sub(res, "landingPage", s.landing_url)
    x.sub(res, "isPublic", "true" if r.is_public else "false")
    x.sub(res, "resourceTitle", r.name)
    x.many(res, "resourceTypes", "resourceType", r.resource_types)
    x.many(res, "materialTypes", "materialType", r.materials)
    if r.classifications:
        holder = x.sub(res, "classifications")
        for c in r.classifications:
            x.sub(holder, "classification", c.label, classificationURI=c.uri)
    x.opt(res, "purpose", r.purpose)
    if r.sampled_features:
        holder = x.sub(res, "sampledFeatures")
        for f in r.sampled_features:
            x.sub(holder, "sampledFeature", f.name, sampledFeatureURI=f.uri)
    if r.places or r.geometries:
        location = x.sub(res, "location")
        for p in r.places[:1]:
            x.sub(location, "locality", p.name, localityURI=p.identifier)
        for g in r.geometries[:1]:
            x.sub(location, "geometry", g.wkt, srid=f"https://epsg.io/{g.srid}" if g.srid else None)
    if r.collection_time is not None:
        when = x.sub(res, "date")
        if r.collection_time.instant:
            x.sub(when, "timeInstant", r.collection_time.instant)
        else:
            period = x.sub(when, "timePeriod")
            x.opt(period, "start", r.collection_time.start)
            x.opt(period, "end", r.collection_time.end)
    if r.collection_method:
        x.sub(res, "method", r.method_description, methodURI=r.collection_method)
    x.opt(res, "campaign", r.campaign)
    if r.curations:
        holder = x.sub(res, "curationDetails")
        for c in r.curations:
            curation = x.sub(holder, "curation")
            if ardc_form and c.curator:
                x.sub(x.sub(curation, "curator"), "curatorName", c.curator)
            elif c.curator:
                x.sub(curation, "curator", c.curator)
            x.opt(curation, "curationDate", c.date)
            x.opt(curation, "curationLocation", c.location)
            if c.institution is not None:
                x.sub(
                    curation,
                    "curatingInstitution",
                    c.institution.name,
                    institutionURI=c.institution.identifier.value if c.institution.identifier else None,
                )
    people = [(COLLECTOR_ROLE, a) for a in r.collectors] + [
        (_contributor_role(c.role), c.agent) for c in r.contributors
    ]
    if people:
        holder = x.sub(res, "contributors")
        for role, agent in people:
            contributor = x.sub(holder, "contributor", contributorType=role)
            x.sub(contributor, "contributorName", agent.name)
            if agent.identifier is not None:
                kind = agent.identifier.scheme
                x.sub(
                    contributor,
                    "contributorIdentifier",
                    agent.identifier.value,
                    contributorIdentifierType=_ardc_term("identifier_type", kind) if ardc_form else kind,
                )
    relations = _relations(r)
    if relations:
        holder = x.sub(res, "relatedResources")
        for rel in relations:
            relation_type = _ardc_term("relation_type", rel.relation_type) if ardc_form else rel.relation_type
            id_type = _ardc_term("identifier_type", rel.identifier_type) if ardc_form else rel.identifier_type
            if ardc_form:
                related = x.sub(holder, "relatedResource", relationType=relation_type)
                x.opt(related, "relatedResourceTitle", rel.title)
                x.sub(related, "relatedResourceIdentifier", rel.identifier, relatedResourceIdentifierType=id_type)
            else:
                x.sub(
                    holder,
                    "relatedResource",
                    rel.identifier,
                    relatedResourceIdentifierType=id_type,
                    relationType=relation_type,
                )
    x.opt(res, "comments", r.comments)
    for event in r.log[-1:]:
        x.sub(res, "logDate", event.timestamp, eventType=event.event)
    return _xml(root)


def _csiro_v2(s: DemoSample) -> bytes:
    """A CSIRO v2 ``samples`` document of one ``sample`` (the registration kernel 1.0 namespace)."""
    r, x = s.record, _Xml(csiro_v2.NAMESPACES[0])
    root = x.root("samples")
    sample = x.sub(root, "sample")
    x.sub(sample, "sampleNumber", r.igsn, identifierType="igsn")
    x.sub(sample, "sampleName", r.name)
    x.sub(sample, "isPublic", "1" if r.is_public else "0")
    x.sub(sample, "landingPage", s.landing_url)
    # v2 describes samples: a feature's or collection's type has no place in sampleTypes
    x.many(sample, "sampleTypes", "sampleType", [t for t in r.resource_types if t in codelist("sample_type")])
    x.many(sample, "materialTypes", "materialType", r.materials)
    for c in r.classifications[:1]:
        x.sub(sample, "classification", c.label, classificationIdentifier=c.uri)
    x.opt(sample, "purpose", r.purpose)
    if r.places or r.geometries:
        location = x.sub(sample, "samplingLocation")
        for p in r.places[:1]:
            x.sub(location, "locality", p.name)
        for g in r.geometries[:1]:
            x.sub(
                location,
                "wkt",
                g.wkt,
                srs=f"EPSG:{g.srid}" if g.srid else None,
                spatialType=read_wkt(g.wkt, g.srid).kind,
            )
    if r.collection_time is not None:
        when = x.sub(sample, "samplingTime")
        if r.collection_time.instant:
            x.sub(when, "timeInstant", r.collection_time.instant)
        else:
            period = x.sub(when, "timePeriod")
            x.opt(period, "start", r.collection_time.start)
            x.opt(period, "end", r.collection_time.end)
    if r.collectors:
        holder = x.sub(sample, "sampleCollectors")
        for a in r.collectors:
            x.sub(holder, "collector", a.name, collectorIdentifier=a.identifier.value if a.identifier else None)
    x.opt(sample, "samplingCampaign", r.campaign)
    if r.curations:
        holder = x.sub(sample, "sampleCuration")
        for c in r.curations:
            curation = x.sub(holder, "curation")
            x.opt(curation, "curator", c.curator)
            if c.date:
                x.sub(x.sub(curation, "curationTime"), "timeInstant", c.date)
            x.opt(curation, "curationLocation", c.location)
    relations = _relations(r)
    if relations:
        holder = x.sub(sample, "relatedResources")
        for rel in relations:
            x.sub(
                holder,
                "relatedResourceIdentifier",
                rel.identifier,
                relatedIdentifierType=(rel.identifier_type or "").lower(),
                relationType=rel.relation_type,
            )
    x.opt(sample, "comments", r.comments)
    for event in r.log:
        x.sub(sample, "logElement", event=event.event, timeStamp=event.timestamp)
    return _xml(root)


def _geojson(g: Geometry) -> dict[str, Any]:
    """A point as itself; anything else as its bounding box (JSON formats carry GeoJSON or a lat/long)."""
    parsed = read_wkt(g.wkt, g.srid)
    assert parsed.bounds is not None
    west, east, south, north = (float(b) for b in parsed.bounds)
    if parsed.kind == "Point":
        return {"type": "Point", "coordinates": [west, south]}
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


#: DataCite identifier types → AGN identifier types (mappings/agn_json.csv, reversed)
_AGN_KINDS = {"IGSN": "igsn", "ORCID": "orcid", "ROR": "ror", "DOI": "doi", "Handle": "handle", "URL": "uri"}
#: IGSN-JSON's kinds are igsn, orcid, isni, viaf, researcherId and uri: the others are written as their URI
_IGSN_JSON_KINDS = {"IGSN": "igsn", "ORCID": "orcid"}
_RESOLVERS = {"DOI": "https://doi.org/", "Handle": "https://hdl.handle.net/"}


def _agn_identifier(scheme: str | None, value: str) -> dict[str, str]:
    return {"identifier": value, "identifierType": _AGN_KINDS.get(scheme or "", "uri")}


def _igsn_json_identifier(scheme: str | None, value: str) -> dict[str, str]:
    kind = _IGSN_JSON_KINDS.get(scheme or "")
    if kind is None:
        return {"id": _RESOLVERS.get(scheme or "", "") + value, "kind": "uri"}
    return {"id": value, "kind": kind}


#: IGSN-JSON has no IsDerivedFrom: a parent is named as the sample it is part of (the examples' childOf)
_IGSN_JSON_RELATIONS = {"IsDerivedFrom": "isPartOf"}


def _lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _igsn_json(s: DemoSample) -> bytes:
    """An IGSN-JSON registration (context registration v0.1), as the IGSN/igsn-json examples write one."""
    r = s.record
    doc: dict[str, Any] = {"@context": next(iter(sorted(igsn_json.context_urls()))), "igsn": f"10273/{r.igsn}"}
    registrant: Agent | None = r.registrant
    if registrant is not None:
        doc["registrant"] = {"name": registrant.name}
        if registrant.identifier is not None:
            doc["registrant"]["identifiers"] = [
                _igsn_json_identifier(registrant.identifier.scheme, registrant.identifier.value)
            ]
    doc["related"] = [
        {
            "identifier": _igsn_json_identifier(rel.identifier_type, rel.identifier),
            "relationType": _IGSN_JSON_RELATIONS.get(rel.relation_type or "", _lower_camel(rel.relation_type or "")),
        }
        for rel in _relations(r)
    ]
    doc["log"] = [{"type": e.event, "timestamp": e.timestamp} for e in r.log]
    if r.comments:
        doc["comments"] = r.comments
    description: dict[str, Any] = {}
    # a material or a sample type, by its notation in our lists (a feature's type has no place here)
    terms = [codelist("material").notation(t) for t in r.materials] + [
        codelist("sample_type").notation(t) for t in r.resource_types
    ]
    for term in [t for t in terms if t][:1]:
        description["sampleType"] = term
    if r.collectors:
        description["collector"] = [a.name for a in r.collectors]
    for c in r.curations[:1]:
        if c.curator:
            description["curator"] = c.curator
    for g in r.geometries[:1]:
        description["samplingLocation"] = {"geometry": _geojson(g)}
    if description:
        doc["description"] = description
    return json.dumps(doc).encode("utf-8")


def _agn_json(s: DemoSample) -> bytes:
    """An AusGeochem IGSN JSON document of one sample (the ARDC registry's agn-igsn-desc-1.0 shape)."""
    r = s.record
    sample: dict[str, Any] = {"igsn": f"10273/{r.igsn}", "landingPage": s.landing_url}
    for c in r.classifications[:1]:
        sample["lithologyType"] = c.label
    if r.comments:
        sample["lithologyComment"] = r.comments
    for c in r.curations[:1]:
        if c.location:
            sample["lastKnownSampleArchiveLocation"] = c.location
    for g in r.geometries[:1]:
        shape = _geojson(g)
        lon, lat = shape["coordinates"] if shape["type"] == "Point" else shape["coordinates"][0][0]
        sample["location"] = {"latLong": {"latitude": lat, "longitude": lon}}
    if r.places:
        sample["site"] = {"locationName": r.places[0].name}
    researchers = [(a, "Collector") for a in r.collectors] + [(c.agent, c.role) for c in r.contributors]
    sample["researchers"] = [
        {
            "fullName": a.name,
            "researcherRole": [role],
            **({"identifiers": [_agn_identifier(a.identifier.scheme, a.identifier.value)]} if a.identifier else {}),
        }
        for a, role in researchers
    ]
    sample["relatedEntities"] = [
        {
            "relatedEntityTitleName": rel.title or rel.identifier,
            "relation": [rel.relation_type],
            "identifiers": [_agn_identifier(rel.identifier_type, rel.identifier)],
        }
        for rel in _relations(r)
    ]
    return json.dumps([sample]).encode("utf-8")


@dataclass(frozen=True)
class InputFormat:
    """One input format of the readers: how its documents are made from a demo sample, and how they are read."""

    name: str
    #: the RDF media type ``read_input`` is given (JSON is IGSN-JSON, AGN JSON or JSON-LD by content); None: XML
    media_type: str | None
    write: Callable[[DemoSample], bytes]
    #: "writer" (the project's) or "template" (synthesised here)
    made_by: str


def input_formats() -> list[InputFormat]:
    """Every input format a document can be made in, in the table's order."""
    formats = [
        InputFormat(
            "igsn (registration kernel 1.0)", None, lambda s: _xml(registration_kernel.write(_described(s))), "writer"
        ),
        InputFormat(
            "igsn_desc (description kernel 1.1)",
            None,
            lambda s: _xml(description_kernel.write(_described(s))),
            "writer",
        ),
        InputFormat(
            "datacite (kernel-4)", None, lambda s: _xml(datacite.write(_described(s), iri_base=IRIS.base)), "writer"
        ),
    ]
    if "oai_dc" in XML_FORMATS:
        from igsn_graph.formats import oai_dc

        formats.append(
            InputFormat(
                "oai_dc (Dublin Core)", None, lambda s: _xml(oai_dc.write(_described(s), iri_base=IRIS.base)), "writer"
            )
        )
    formats += [
        InputFormat("Turtle (formats.graph)", "text/turtle", lambda s: _rdf(s, RdfFormat.TURTLE), "writer"),
        InputFormat("JSON-LD (formats.graph)", "application/ld+json", lambda s: _rdf(s, RdfFormat.JSON_LD), "writer"),
        InputFormat("csirov3 (CSIRO v3)", None, lambda s: _descriptive(s, ns=csiro.NS, ardc_form=False), "template"),
        InputFormat(
            "ardc (ARDC descriptive 1.0)", None, lambda s: _descriptive(s, ns=ardc.NS, ardc_form=True), "template"
        ),
        InputFormat("csirov2 (CSIRO v2)", None, _csiro_v2, "template"),
        InputFormat("igsn_json (IGSN-JSON v0.1)", "application/ld+json", _igsn_json, "template"),
        InputFormat("agn_json (AusGeochem)", "application/ld+json", _agn_json, "template"),
    ]
    return formats


@dataclass
class FormatResult:
    name: str
    made_by: str
    records: int
    read_rate: float
    load_rate: float
    stored: int
    invalid: int
    warned: int
    #: description triples per record read (what the format carries: the work validation and storage do)
    triples: float
    first_problem: str | None


def _read_all(documents: list[bytes], media_type: str | None) -> Iterator[Submission]:
    """The submissions of every document, as `igsn-graph load` reads a file (one that cannot be read is
    skipped, as the CLI reports and skips it)."""
    for data in documents:
        try:
            yield from read_input(data, media_type).submissions
        except IgsnGraphError:
            continue


def bench_format(fmt: InputFormat, samples: list[DemoSample], batch: int, tmp: Path) -> FormatResult:
    documents = [fmt.write(s) for s in samples]
    problem: str | None = None
    # read only: the reader, without the registry
    start = time.perf_counter()
    read = 0
    for data in documents:
        try:
            read += len(read_input(data, fmt.media_type).submissions)
        except IgsnGraphError as exc:
            problem = problem or f"unreadable: {exc.message}"
    read_rate = read / max(time.perf_counter() - start, 1e-9)
    some = [sub.record for sub in _read_all(documents[:200], fmt.media_type)]
    triples = sum(len(graphmap.record_triples(r, IRIS)) for r in some) / max(len(some), 1)
    # read + load into a fresh registry, as igsn-graph load does
    settings = Settings(data_dir=tmp / "data", batch_size=batch)
    init_data_dir(settings)
    stored = invalid = warned = 0
    with Registry(settings) as registry:
        load_demo_accounts(registry)
        start = time.perf_counter()
        for outcomes in registry.load_records(_read_all(documents, fmt.media_type)):
            for o in outcomes:
                stored += o.ok
                invalid += not o.ok
                warned += bool(o.ok and o.warnings)
                if problem is None and not o.ok:
                    problem = f"{o.igsn}: {'; '.join(o.reasons)[:300]}"
                elif problem is None and o.warnings:
                    problem = f"{o.igsn}: warning: {o.warnings[0][:300]}"
        load_rate = (stored + invalid) / max(time.perf_counter() - start, 1e-9)
    return FormatResult(
        fmt.name, fmt.made_by, len(documents), read_rate, load_rate, stored, invalid, warned, triples, problem
    )


def per_format(n: int, batch: int, only: set[str] | None) -> None:
    samples = list(generate_samples(n, seed=7))
    formats = [f for f in input_formats() if only is None or f.name.split()[0] in only]
    results = []
    for fmt in formats:
        with tempfile.TemporaryDirectory() as tmp:
            result = bench_format(fmt, samples, batch, Path(tmp))
        results.append(result)
        print(
            f"  {result.name}: read {result.read_rate:,.0f}/s, read + load {result.load_rate:,.0f}/s", file=sys.stderr
        )
    print(f"\n{n:,} demo records per format, one document each, batches of {batch}; records/s:\n")
    print(
        "| input format | documents by | triples/record | read only | read + load | stored | invalid | with warnings |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r.name} | {r.made_by} | {r.triples:.0f} | {r.read_rate:,.0f} | {r.load_rate:,.0f} | {r.stored:,} "
            f"| {r.invalid:,} | {r.warned:,} |"
        )
    for r in results:
        if r.first_problem:
            print(f"\n{r.name}, first refusal or warning: {r.first_problem}")
    print(f"\npeak RSS {peak_rss_mib():,.0f} MiB")


# -- the default mode: description kernel, with a stage breakdown -----------------------------------
def description_kernel_load(n: int, batch: int) -> None:
    t0 = time.perf_counter()
    samples = list(generate_samples(n, seed=7))
    documents = [
        etree.tostring(description_kernel.write(s.record), encoding="utf-8", xml_declaration=True) for s in samples
    ]
    urls = [s.landing_url for s in samples]
    del samples
    print(
        f"prepared {len(documents)} description-kernel documents in {time.perf_counter() - t0:.1f} s "
        f"(not measured below)"
    )

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", batch_size=batch)
        init_data_dir(settings)
        with Registry(settings) as registry:
            load_demo_accounts(registry)
            start = time.perf_counter()

            def submissions():  # type: ignore[no-untyped-def]
                for data, url in zip(documents, urls, strict=False):
                    doc = read_xml(data)
                    yield Submission(doc.records[0], doc.format.name, data, url)

            stored = invalid = 0
            for outcomes in registry.load_records(submissions()):
                stored += sum(o.ok for o in outcomes)
                invalid += sum(not o.ok for o in outcomes)
                if stored and stored % (batch * 10) == 0:
                    rate = stored / (time.perf_counter() - start)
                    print(f"  {stored:>9,} stored  {rate:8,.0f}/s", file=sys.stderr)
            elapsed = time.perf_counter() - start
            print(
                f"end to end: {stored:,} samples stored ({invalid} refused) in {elapsed:.1f} s = "
                f"{stored / elapsed:,.0f} samples/s; peak RSS {peak_rss_mib():,.0f} MiB"
            )

            # stage breakdown on a fresh slice (same shapes of work, measured one stage at a time)
            k = min(5000, len(documents))
            t = time.perf_counter()
            docs = [read_xml(d) for d in documents[:k]]
            parse = time.perf_counter() - t
            t = time.perf_counter()
            graphs = {d.records[0].igsn: graphmap.record_triples(d.records[0], registry.iris) for d in docs}
            mapping = time.perf_counter() - t
            t = time.perf_counter()
            names = list(graphs)
            for i in range(0, k, batch):
                chunk = {n: graphs[n] for n in names[i : i + batch]}
                registry.validator.validate_many(chunk)
            validate = time.perf_counter() - t
            per = lambda seconds: seconds / k * 1000  # noqa: E731 - ms per sample
            triples = sum(len(g) for g in graphs.values()) / k
            print(
                f"stages, ms per sample ({triples:.0f} description triples each): XML parse+read "
                f"{per(parse):.2f}, record->RDF {per(mapping):.2f}, SHACL (batches of {batch}) "
                f"{per(validate):.2f}; the rest of end to end "
                f"({elapsed / stored * 1000 - per(parse + mapping + validate):.2f}) is facts, journal, "
                f"graph write, history and index"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", type=int, nargs="*", default=[10_000], help="records per run (default mode)")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--docs", type=Path, help="where the generated records are kept between runs")
    parser.add_argument("--stages", type=int, metavar="N", help="time the stages of N records instead")
    parser.add_argument(
        "--per-format",
        type=int,
        metavar="N",
        help="load N records in every input format instead (the issue 13 table: 10000)",
    )
    parser.add_argument("--formats", help="with --per-format: only these, comma-separated (e.g. igsn,csirov3)")
    args = parser.parse_args()
    if args.per_format:
        only = set(args.formats.split(",")) if args.formats else None
        per_format(args.per_format, args.batch, only)
    elif args.stages:
        description_kernel_load(args.stages, args.batch)
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout
        from bench import load_scale

        load_scale.main(args.sizes, args.batch, args.docs)


if __name__ == "__main__":
    main()
