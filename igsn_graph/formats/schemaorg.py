"""Sample → schema.org JSON-LD (the ``sdo`` profile and the block embedded in the landing page).

Samples are typed ``Product`` (which has ``material``, ``productionDate``) and ``CreativeWork`` (which
has ``creator``, ``spatialCoverage``, ``isBasedOn``, ``subjectOf``), with the sample-type concept and
``dcmitype:PhysicalObject`` as ``additionalType`` (LINKED-DATA.md §5.4) — never plain ``CreativeWork``.
The context is inline (``@vocab``), so the document parses offline as RDF in the schema.org namespace.

Relations: parents → ``isBasedOn``, collections → ``isPartOf``, children → ``hasPart``; publications and
datasets about the sample (``IsCitedBy``, ``IsReferencedBy``, ``IsDocumentedBy``…) → ``subjectOf``;
what the sample cites or references → ``citation``; ``IsIdenticalTo`` → ``sameAs``.

Each triple once: an organisation with an ``@id`` (its ROR) is often registrant, affiliation and provider
at once, and JSON-LD would state its name and type again at every mention; ``document`` describes a node
in full where it first appears and refers to it by ``@id`` after that (``_once``).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Sequence

from ..codelists import codelist
from ..record import Agent, RegistryFacts, Relation, SampleRecord
from .graph import wkt_summary

__all__ = ["MEDIA_TYPE", "CONTEXT", "document", "relation_url", "agent_link"]

MEDIA_TYPE = "application/vnd.schemaorg.ld+json"
CONTEXT: dict[str, str] = {"@vocab": "https://schema.org/"}
_PHYSICAL_OBJECT = "http://purl.org/dc/dcmitype/PhysicalObject"
_ABOUT = frozenset(
    {
        "IsCitedBy",
        "IsReferencedBy",
        "IsDocumentedBy",
        "IsSupplementTo",
        "IsDescribedBy",
        "IsSourceOf",
        "IsReviewedBy",
        "IsMetadataFor",
    }
)
_CITES = frozenset({"Cites", "References", "Documents", "IsSupplementedBy", "Describes"})
_RESOLVERS = {
    "DOI": "https://doi.org/",
    "Handle": "https://hdl.handle.net/",
    "ARK": "https://n2t.net/",
    "PMID": "https://pubmed.ncbi.nlm.nih.gov/",
    "arXiv": "https://arxiv.org/abs/",
}
_ORCID, _ROR = "https://orcid.org/", "https://ror.org/"


def _label(iri: str, *lists: str) -> str | None:
    for name in lists:
        term = codelist(name).by_iri.get(iri)
        if term is not None:
            return term.label
    return None


def relation_url(relation: Relation, iri_base: str) -> str | None:
    """The URL a related identifier resolves to, or None when its scheme has no resolver we know."""
    value, kind = relation.identifier.strip(), relation.identifier_type or ""
    if relation.igsn is not None:  # another sample, however it was written: its persistent IRI
        return iri_base + relation.igsn
    if value.lower().startswith(("http://", "https://")):
        return value
    if kind == "IGSN":
        return iri_base + value
    if kind in _RESOLVERS:
        return _RESOLVERS[kind] + value
    return None


def agent_link(agent: Agent) -> str | None:
    """The ORCID / ROR (or other http) IRI of an agent, or None."""
    ident = agent.identifier
    if ident is None:
        return None
    value = ident.value.strip()
    if value.lower().startswith(("http://", "https://")):
        return value
    if (ident.scheme or "").upper() == "ORCID":
        return _ORCID + value
    if (ident.scheme or "").upper() == "ROR":
        return _ROR + value
    return None


def _agent(agent: Agent) -> dict[str, Any]:
    # without a kind, "Family, Given" is the way kernels write people
    kind = agent.kind or ("Person" if "," in agent.name else "Organization")
    out: dict[str, Any] = {"@type": kind, "name": agent.name}
    link = agent_link(agent)
    if link:
        out["@id"] = link
        out["identifier"] = link
    if agent.affiliation is not None and agent.affiliation.name.strip():
        out["affiliation"] = _agent(Agent(agent.affiliation.name, agent.affiliation.identifier, kind="Organization"))
    return out


def _number(value: Decimal) -> float:
    return float(value)


def _places(record: SampleRecord) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for geometry in record.geometries:
        summary = wkt_summary(geometry.wkt, geometry.srid)
        if summary is None:
            continue
        kind, bounds = summary
        if bounds is None:
            continue
        west, east, south, north = bounds
        if kind == "Point" or (west == east and south == north):
            out.append(
                {
                    "@type": "Place",
                    "geo": {"@type": "GeoCoordinates", "longitude": _number(west), "latitude": _number(south)},
                }
            )
        else:  # schema.org box: lower corner then upper corner, each "latitude longitude"
            out.append({"@type": "Place", "geo": {"@type": "GeoShape", "box": f"{south} {west} {north} {east}"}})
    for place in record.places:
        if place.name and place.name.strip():
            entry: dict[str, Any] = {"@type": "Place", "name": place.name}
            if place.identifier:
                entry["sameAs"] = place.identifier
            out.append(entry)
    return out


def _time(record: SampleRecord) -> str | None:
    t = record.collection_time
    if t is None:
        return None
    if t.instant:
        return t.instant
    if t.start or t.end:
        return f"{t.start or '..'}/{t.end or '..'}"
    return None


def _key(value: Any) -> str:
    """What a JSON-LD value states as an object: a node with ``@id`` is that IRI; a literal is itself."""
    if isinstance(value, dict) and "@id" in value:
        return "@id " + str(value["@id"])
    return json.dumps(value, sort_keys=True)


def _once(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` without repeated statements: a node with an ``@id`` is described once, where it first appears
    (later mentions keep only what was not said yet, at least the ``@id``), and a value is not repeated
    among the values of one property. Nodes without ``@id`` are blank nodes: each is its own subject."""
    said: dict[str, dict[str, set[str]]] = {}  # @id -> property -> keys of the values stated

    def node(value: dict[str, Any]) -> dict[str, Any]:
        known = said.setdefault(value["@id"], {}) if "@id" in value else None
        out: dict[str, Any] = {}
        for name, item in value.items():
            if name in ("@id", "@context"):
                out[name] = item
                continue
            items = [visit(i) for i in (item if isinstance(item, list) else [item])]
            stated = known.setdefault(name, set()) if known is not None else set()
            kept = []
            for i in items:
                if _key(i) not in stated:
                    stated.add(_key(i))
                    kept.append(i)
            if kept:
                out[name] = kept if isinstance(item, list) else kept[0]
        return out

    def visit(value: Any) -> Any:
        return node(value) if isinstance(value, dict) else value

    return node(doc)


def document(
    facts: RegistryFacts, record: SampleRecord | None, *, iri_base: str, url: str, children: Sequence[str] = ()
) -> dict[str, Any]:
    """The schema.org JSON-LD of a sample; ``url`` is where people read about it (its landing page)."""
    return _once(_document(facts, record, iri_base=iri_base, url=url, children=children))


def _document(
    facts: RegistryFacts, record: SampleRecord | None, *, iri_base: str, url: str, children: Sequence[str]
) -> dict[str, Any]:
    name = facts.igsn
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": iri_base + name,
        "@type": ["Product", "CreativeWork"],
        "additionalType": [_PHYSICAL_OBJECT],
        "identifier": [{"@type": "PropertyValue", "propertyID": "IGSN", "value": name, "url": iri_base + name}],
        "name": name,
        "url": url,
        "dateModified": facts.datestamp,
    }
    doi = (record.doi if record is not None else None) or facts.doi
    if doi:
        doi = doi.split("doi.org/", 1)[-1]
        doc["identifier"].append(
            {"@type": "PropertyValue", "propertyID": "DOI", "value": doi, "url": "https://doi.org/" + doi}
        )
        doc["sameAs"] = ["https://doi.org/" + doi]
    if facts.registered:
        doc["datePublished"] = facts.registered
    if facts.status in ("deprecated", "destroyed"):
        doc["creativeWorkStatus"] = facts.status
    if children:
        doc["hasPart"] = [{"@id": iri_base + c} for c in children]
    if record is None:
        return doc
    if record.name:
        doc["name"] = record.name
    if record.description:
        doc["description"] = record.description
    doc["additionalType"] = [*record.resource_types, _PHYSICAL_OBJECT]
    materials = [_label(m, "material") or m for m in record.materials]
    if materials:
        doc["material"] = materials
    keywords = [c.label for c in record.classifications if c.label.strip()]
    if keywords:
        doc["keywords"] = keywords
    if record.collectors:
        doc["creator"] = [_agent(a) for a in record.collectors if a.name.strip()]
    institution = next((c.institution for c in record.curations if c.institution and c.institution.name.strip()), None)
    if institution is not None:
        doc["provider"] = _agent(Agent(institution.name, institution.identifier, kind="Organization"))
    if record.registrant is not None and record.registrant.name.strip():
        doc["publisher"] = _agent(record.registrant)
    when = _time(record)
    if when:
        doc["temporalCoverage"] = when
        doc["productionDate"] = when.split("/", 1)[0] if "/" in when and not when.startswith("..") else when
    places = _places(record)
    if places:
        doc["spatialCoverage"] = places
    if record.parents:
        doc["isBasedOn"] = [{"@id": iri_base + p} for p in record.parents]
    if record.collections:
        doc["isPartOf"] = [{"@id": iri_base + c} for c in record.collections]
    for relation in record.relations:
        target = relation_url(relation, iri_base)
        if target is None:
            continue
        key = (
            "subjectOf"
            if relation.relation_type in _ABOUT
            else "citation"
            if relation.relation_type in _CITES
            else "sameAs"
            if relation.relation_type == "IsIdenticalTo"
            else "isRelatedTo"
        )
        if key == "sameAs":
            doc.setdefault("sameAs", []).append(target)
        else:
            entry: dict[str, Any] = {"@id": target}
            if relation.title:
                entry["name"] = relation.title
            doc.setdefault(key, []).append(entry)
    return doc
