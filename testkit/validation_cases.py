"""Validation cases shared by the tests (``tests/test_validation*.py``) and the corpus benchmark (``bench/validate.py``):
a record with every field SHACL checks, and one defect per rule, each with the focus node and path it is named by."""

from __future__ import annotations

import dataclasses

import rdflib

from igsn_graph.iris import Iris
from igsn_graph.record import (
    Agent,
    Contributor,
    Geometry,
    Identifier,
    LogEvent,
    RegistryFacts,
    Relation,
    SampleRecord,
    TimeSpan,
)
from igsn_graph.vocab import DCAT, DCTERMS, IG, SOSA

__all__ = ["DEFECTS", "IRIS", "facts", "good"]

IRIS = Iris("https://igsn.example.org/")


def good(igsn: str = "AU1234", **changes: object) -> SampleRecord:
    record = SampleRecord(
        igsn=igsn,
        name="Core 7",
        description="A drill core",
        registrant=Agent("CSIRO", Identifier("03qn8fb07", "ROR"), kind="Organization"),
        collectors=[Agent("Ann Smith", Identifier("0000-0002-1825-0097", "ORCID"), kind="Person")],
        contributors=[Contributor(Agent("Geoscience Australia"), "HostingInstitution")],
        geometries=[Geometry("POINT (147.3 -42.9)", "http://www.opengis.net/ont/sf#Point")],
        materials=["http://vocabulary.odm2.org/medium/rock"],
        resource_types=["http://vocabulary.odm2.org/specimentype/core/"],
        collection_method="http://pid.geoscience.gov.au/def/voc/ga/igsn/method/Corer",
        collection_time=TimeSpan(start="2020-05-01", end="2020-05-17T10:00:00Z"),
        parents=["AU0001"],
        collections=["AUCOLL"],
        relations=[Relation("10.1234/paper", "DOI", "IsCitedBy"), Relation("AU0002", "IGSN", "IsDerivedFrom")],
        embargo_end="2030",
        log=[LogEvent("registered", "2020-06-01T00:00:00Z")],
    )
    return dataclasses.replace(record, **changes)  # type: ignore[arg-type]


#: defect → (changes to ``good()``, focus fragment, path of the one violation it causes)
DEFECTS = {
    "unknown material": (dict(materials=["http://vocabulary.odm2.org/medium/unobtainium"]), "", IG.material),
    "material as text": (dict(materials=["rock"]), "", IG.material),
    "bad WKT": (dict(geometries=[Geometry("POINT (147.3)")]), "#geometry-1", IG.wktType),
    "latitude 95": (dict(geometries=[Geometry("POINT (147.3 95)")]), "#geometry-1", IG.northBound),
    "longitude 200": (dict(geometries=[Geometry("POINT (200 -42)")]), "#geometry-1", IG.eastBound),
    "bad date": (dict(collection_time=TimeSpan(instant="2021-02-29")), "#sampling", DCTERMS.date),
    "date as words": (dict(embargo_end="May 2030"), "", IG.embargoEnd),
    "untyped related identifier": (
        dict(relations=[Relation("10.1234/x", None, "IsCitedBy")]),
        "#relation-1",
        IG.identifierScheme,
    ),
    "unknown identifier type": (
        dict(relations=[Relation("x", "Shelfmark", "IsCitedBy")]),
        "#relation-1",
        IG.identifierScheme,
    ),
    "unknown relation type": (dict(relations=[Relation("x", "URL", "IsFriendOf")]), "#relation-1", DCAT.hadRole),
    "missing registrant": (dict(registrant=None), "", IG.registrant),
    "nameless registrant": (dict(registrant=Agent("")), "#registrant", rdflib.URIRef("https://schema.org/name")),
    "lower-case igsn": (dict(igsn="au1234"), "", IG.igsn),
    "unknown method": (dict(collection_method="http://example.org/by-hand"), "#sampling", SOSA.usedProcedure),
    "unknown role": (
        dict(contributors=[Contributor(Agent("X"), "Boss")]),
        "#contributor-1",
        rdflib.URIRef("http://www.w3.org/ns/prov#hadRole"),
    ),
    "unknown sample type": (dict(resource_types=["http://example.org/lump"]), "", DCTERMS.type),
    "no name": (dict(name=None), "", DCTERMS["title"]),
    "unknown log event": (dict(log=[LogEvent("born", "2020")]), "#log-1", IG.event),
    "landing page not http": (dict(landing_page="ftp://example.org/x"), "", DCAT.landingPage),
}


def facts(igsn: str = "AU9", **changes: object) -> RegistryFacts:
    f = RegistryFacts(
        igsn, "csiro", "AU", "2024-01-02T03:04:05Z", client="csiro.cap", landing_url="https://example.org/au9"
    )
    return dataclasses.replace(f, **changes)  # type: ignore[arg-type]
