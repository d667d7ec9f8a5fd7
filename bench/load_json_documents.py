"""Documents of the demo records in the JSON input formats the readers take but no writer makes (IGSN-JSON,
AGN JSON): synthesised from the same records (json; geometries as points or bounding boxes)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from igsn_graph.codelists import codelist
from igsn_graph.demo import DemoSample
from igsn_graph.formats import igsn_json
from igsn_graph.formats.wkt import read_wkt
from igsn_graph.record import Agent, Geometry

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout: ``python bench/load.py``
    sys.path.insert(0, str(ROOT))

from bench.load_documents import sample_relations


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


def igsn_json_document(s: DemoSample) -> bytes:
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
        for rel in sample_relations(r)
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


def agn_json_document(s: DemoSample) -> bytes:
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
        for rel in sample_relations(r)
    ]
    return json.dumps([sample]).encode("utf-8")
