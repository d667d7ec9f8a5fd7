"""formats.agn_json: an AusGeochem IGSN JSON document valid against the ARDC registry's JSON Schema is read into
records (every field with a place in the record mapped, every other one reported), in any Unicode encoding."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from igsn_graph.errors import InvalidIdentifier, InvalidRecord
from igsn_graph.formats import agn_json
from igsn_graph.formats import graph as graphmap
from igsn_graph.formats.json_input import read_json
from igsn_graph.iris import Iris
from igsn_graph.record import (
    Agent,
    Classification,
    Contributor,
    Curation,
    Geometry,
    Identifier,
    Place,
    Relation,
    SampledFeature,
)

SCHEMA = "schemas/ardc/agn-igsn-desc-1.0.json"

#: two samples as AusGeochem would describe them (names and numbers invented, terms from the schema's enums)
DOCUMENT: list[dict[str, Any]] = [
    {
        "igsn": "10273/AU1234567",
        "landingPage": "https://ausgeochem.auscope.org.au/samples/AU1234567",
        "localSampleID": "NT-19-042",
        "sampleType": "Drill core",
        "analyte": "Mineral separate",
        "lithologyType": "granite",
        "lithologyComment": "Coarse-grained, weakly foliated",
        "locationCaptureType": "GPS",
        "lastKnownSampleArchiveLocation": "University of Adelaide, Mawson Building store",
        "location": {
            "latLong": {"latitude": -23.7, "longitude": 133.88, "latLongPrecision_m": 5},
            "elevation": 612.5,
            "verticalDatum": "Mean Sea Level ",
            "depthMin": 10.2,
            "depthMax": 11.0,
        },
        "site": {
            "locationName": "Stuart Highway road cut",
            "locationKind": "outcrop location",
            "stratigraphicUnitName": "Boothby Orthogneiss",
            "unitAge": "Paleoproterozoic",
        },
        "researchers": [
            {
                "fullName": "Nixon, Angus",
                "nameType": "Personal",
                "givenName": "Angus",
                "researcherRole": ["Collector", "Principal Investigator"],
                "identifiers": [{"identifier": "0000-0002-1825-0097", "identifierType": "orcid"}],
            },
            {
                "fullName": "University of Adelaide",
                "nameType": "Organizational",
                "researcherRole": ["Custodian"],
                "identifiers": [
                    {"identifier": "https://ror.org/00892tw58", "identifierType": "ror"},
                    {"identifier": "61 249 878 937", "identifierType": "abn"},
                ],
            },
        ],
        # the schema requires "identifier" in a publication but allows only "identifiers": no item validates
        "relatedPublications": [],
        "relatedEntities": [
            {
                "relatedEntityTitleName": "Core NT-19",
                "relation": ["IsDerivedFrom"],
                "entityType": "sample",
                "identifiers": [{"identifier": "10273/AU1234500", "identifierType": "igsn"}],
            },
            {
                "relatedEntityTitleName": "Zircon U-Pb ages",
                "relation": ["IsSupplementedBy"],
                "entityType": "dataset",
                "identifiers": [{"identifier": "10.25909/12345678", "identifierType": "doi"}],
            },
        ],
        "funding": {
            "fundingBody": "AuScope",
            "fundcomment": "NCRIS",
            "grantId": {"identifier": "AGN-2019-01", "identifierType": "local"},
        },
    },
    {
        "igsn": "10273/AU1234568",
        "landingPage": "https://ausgeochem.auscope.org.au/samples/AU1234568",
        "localSampleID": "NT-19-043",
        "sampleType": "Hand sample",
        "analyte": "Thin section",
        "lithologyType": "amphibolite",
        "location": {"latLong": {"latitude": -23.71, "longitude": 133.9}},
        "researchers": [{"fullName": "Nixon, Angus", "researcherRole": ["Collector"]}],
    },
]


def test_the_test_document_is_valid_against_the_schema(shared: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed")
    schema = json.loads((shared / SCHEMA).read_text(encoding="utf-8"))
    errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(DOCUMENT)]
    assert errors == []


def test_a_valid_document_is_read() -> None:
    got = read_json(json.dumps(DOCUMENT).encode("utf-8"))
    assert got.format == "agn_json"
    first, second = got.records
    assert (first.igsn, second.igsn) == ("AU1234567", "AU1234568")
    assert first.landing_page == "https://ausgeochem.auscope.org.au/samples/AU1234567"
    assert first.alternate_identifiers == [Identifier("NT-19-042", "local")]
    assert first.resource_types == ["http://vocabulary.odm2.org/specimentype/core/"]
    assert first.alternate_resource_types == ["Drill core", "Mineral separate"]
    assert second.resource_types == [
        "http://vocabulary.odm2.org/specimentype/individualSample/",
        "http://vocabulary.odm2.org/specimentype/thinSection/",
    ]
    assert first.classifications == [Classification("granite")]
    assert first.comments == "Coarse-grained, weakly foliated"
    assert first.curations == [Curation(location="University of Adelaide, Mawson Building store")]
    assert first.geometries == [
        Geometry("POINT (133.88 -23.7)", vertical_datum="Mean Sea Level", elevation=Decimal("612.5"))
    ]
    assert first.places == [Place("Stuart Highway road cut")]
    assert first.sampled_features == [SampledFeature("Boothby Orthogneiss")]
    nixon = Agent("Nixon, Angus", Identifier("0000-0002-1825-0097", "ORCID"), kind="Person")
    adelaide = Agent("University of Adelaide", Identifier("https://ror.org/00892tw58", "ROR"), kind="Organization")
    assert first.collectors == [nixon]
    assert first.contributors == [
        Contributor(nixon, "ProjectLeader"),
        Contributor(adelaide, "DataCurator"),
        Contributor(Agent("AuScope", kind="Organization"), "Sponsor"),
    ]
    assert first.relations == [
        Relation("10273/AU1234500", "IGSN", "IsDerivedFrom", "Core NT-19"),
        Relation("10.25909/12345678", "DOI", "IsSupplementedBy", "Zircon U-Pb ages"),
    ]
    assert sorted(first.warnings) == sorted(
        [
            "not mapped: /0/location/latLong/latLongPrecision_m",
            "not mapped: /0/location/depthMin",
            "not mapped: /0/location/depthMax",
            "not mapped: /0/site/locationKind",
            "not mapped: /0/site/unitAge",
            "not mapped: /0/researchers/*/givenName",
            "not mapped: /0/researchers/1/identifiers/1 (the record keeps one identifier here: the first)",
            "not mapped: /0/relatedEntities/*/entityType",
            "not mapped: /0/funding/fundcomment",
            "not mapped: /0/funding/grantId",
            "not mapped: /0/locationCaptureType",
        ]
    )
    assert second.warnings == []
    # each record of the batch keeps its own array item as its submitted document
    assert [json.loads(d) for d in got.documents] == [[item] for item in DOCUMENT]  # type: ignore[arg-type]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32-le"])
def test_any_unicode_encoding(encoding: str) -> None:
    got = read_json(json.dumps(DOCUMENT, ensure_ascii=False).encode(encoding))
    assert [r.igsn for r in got.records] == ["AU1234567", "AU1234568"]


def test_the_records_survive_the_graph() -> None:
    iris = Iris()
    for r in agn_json.read(copy.deepcopy(DOCUMENT)):
        assert graphmap.record_from_triples(graphmap.record_triples(r, iris), iris, r.igsn) == graphmap.canonical(r)


def test_terms_outside_the_tables_are_kept_with_a_warning() -> None:
    doc = copy.deepcopy(DOCUMENT[1:])
    doc[0]["researchers"][0]["researcherRole"] = ["Field assistant"]
    doc[0]["relatedEntities"] = [
        {
            "relatedEntityTitleName": "Mother rock",
            "relation": ["childOf", "cousinOf"],
            "entityType": "sample",
            "identifiers": [{"identifier": "10273/AU1", "identifierType": "nhmrc"}],
        }
    ]
    [r] = agn_json.read(doc)
    assert r.contributors == [Contributor(Agent("Nixon, Angus"), "Other")]
    assert r.relations == [
        Relation("10273/AU1", "local", "IsPartOf", "Mother rock", "childOf"),
        Relation("10273/AU1", "local", "Other", "Mother rock", "cousinOf"),
    ]
    assert set(r.warnings) == {
        "/0/researchers/0/researcherRole/0: researcher role 'Field assistant' is not a contributor type we know; "
        "read as Other",
        "/0/relatedEntities/0/identifiers/0/identifierType: 'nhmrc' has no DataCite identifier type; read as local",
        "/0/relatedEntities/0/relation/1: relation 'cousinOf' is not a DataCite relation type; read as Other",
        "not mapped: /0/relatedEntities/*/entityType",
    }


@pytest.mark.parametrize(
    "change,error,where",
    [
        (lambda s: s.update(igsn=""), InvalidRecord, "/0/igsn: missing"),
        (lambda s: s.update(igsn="10273/"), InvalidIdentifier, "/0/igsn: "),
        (lambda s: s["location"]["latLong"].update(latitude=123), InvalidRecord, "/0/location/latLong/latitude: "),
        (lambda s: s["location"]["latLong"].update(longitude="east"), InvalidRecord, "/0/location/latLong/longitude: "),
    ],
)
def test_what_breaks_meaning_is_refused_naming_the_place(change: Any, error: type[Exception], where: str) -> None:
    doc = copy.deepcopy(DOCUMENT[1:])
    change(doc[0])
    with pytest.raises(error) as info:
        agn_json.read(doc)
    assert str(info.value).startswith(where)


def test_recognised_by_shape_and_one_sample_object_accepted_with_a_warning() -> None:
    assert agn_json.is_agn_json(DOCUMENT)
    assert not agn_json.is_agn_json([{"@context": {}, "igsn": "X", "researchers": []}])
    assert not agn_json.is_agn_json([])
    got = read_json(json.dumps(DOCUMENT[1]).encode())
    assert got.format == "agn_json" and [r.igsn for r in got.records] == ["AU1234568"]
    assert got.records[0].warnings == [
        "/: one sample object where the AGN schema wants an array of them; read as an array of one"
    ]
