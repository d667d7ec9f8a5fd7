"""formats.igsn_o: Geoscience Australia's IGSN-O RDF (SAM-lite, PROV, GeoSPARQL) is read through mappings/igsn_o.csv
by read_rdf — the real sample AU2648696 and the later samples-api form; what breaks meaning is refused, every triple
the record does not carry is reported."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from igsn_graph import links
from igsn_graph.errors import InvalidRecord, UnsupportedFormat
from igsn_graph.formats import graph as graphmap
from igsn_graph.formats import igsn_o
from igsn_graph.formats.rdf import read_rdf
from igsn_graph.iris import Iris
from igsn_graph.loader import read_input
from igsn_graph.record import (
    Agent,
    Curation,
    Geometry,
    Identifier,
    RegistryFacts,
    SampledFeature,
    SampleRecord,
    TimeSpan,
)
from igsn_graph.validation import Validator

EXAMPLE = "GeoscienceAustralia-samples-api/test/sample_eg1.ttl"
IRIS = Iris()
GA = "http://pid.geoscience.gov.au/"
SAMPLE = f"<{GA}sample/AU2648696>"
PREFIXES = """
@prefix sam: <http://def.seegrid.csiro.au/ontology/om/sam-lite#> .
@prefix igsn: <http://pid.geoscience.gov.au/def/ont/igsn#> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ga: <http://pid.geoscience.gov.au/> .
@prefix codes: <http://pid.geoscience.gov.au/def/voc/igsn-codelists/> .
@prefix role: <http://communications.data.gov.au/def/role/> .
"""
#: the later samples-api form: a typed literal identifier, sam:samplingLocation, the site by class, private
LATER = (
    PREFIXES
    + """
ga:sample\\/AU1000001 a sam:Specimen ;
    igsn:alternateIdentifier "AU1000001"^^igsn:IGSN ;
    sam:samplingLocation [ a sam:Point ;
        geo:asWKT "<http://www.opengis.net/def/crs/EPSG/0/8311> POINT(137.6 -34.2)"^^geo:wktLiteral ] ;
    sam:samplingElevation [ a sam:Elevation ; sam:elevation "12.5"^^xsd:float ;
        sam:verticalDatum "http://spatialreference.org/ref/epsg/4283/"^^xsd:anyURI ] ;
    sam:currentLocation "GA Services building" ;
    sam:materialClass <http://vocabulary.odm2.org/medium/rock/> ;
    sam:samplingMethod <http://pid.geoscience.gov.au/def/voc/ga/igsn/method/Drill> ;
    sam:specimenType <http://vocabulary.odm2.org/specimentype/core/> ;
    sam:samplingTime "2010-03-04T00:00:00"^^xsd:dateTime ;
    dct:accessRights codes:Private ;
    sam:relatedSamplingFeature ga:site\\/9 ;
    prov:pingback <http://pid.geoscience.gov.au/sample/AU1000001/pingback> ;
    prov:qualifiedAttribution
        [ a prov:Attribution ; prov:agent ga:org\\/ga ; prov:hadRole role:Publisher ],
        [ a prov:Attribution ; prov:agent [ a prov:Person ; rdfs:label "Ann Smith" ] ;
          prov:hadRole role:Originator ] .
ga:org\\/ga a prov:Org ; rdfs:label "Geoscience Australia" .
ga:site\\/9 a <http://pid.geoscience.gov.au/def/voc/featureofinteresttype/borehole> ; rdfs:label "BH 9" ;
    sam:sampledFeature ga:sample\\/AU1000001 .
"""
)


def _read(turtle: str) -> list[SampleRecord]:
    return read_rdf(turtle.encode(), "text/turtle")


def _conforms(record: SampleRecord, validator: Validator) -> None:
    """SHACL as the registry validates: links resolved, a registrant and a name when the input has none."""
    record = links.resolve(
        replace(
            record,
            registrant=record.registrant or Agent("Example", kind="Organization"),
            name=record.name or record.igsn,
        ),
        "rdf",
    )
    facts = RegistryFacts(
        igsn=record.igsn,
        agent="ZEX",
        namespace="AU",
        datestamp="2026-01-01T00:00:00Z",
        has_metadata=True,
        is_public=record.is_public,
    )
    triples = graphmap.record_triples(record, IRIS) + graphmap.facts_triples(facts, IRIS)
    report = validator.validate(record.igsn, triples)
    assert report.conforms, [str(v) for v in report.violations]
    assert graphmap.record_from_triples(triples, IRIS, record.igsn) == graphmap.canonical(record)


def test_the_real_sample(shared: Path, validator: Validator) -> None:
    data = (shared / "examples" / EXAMPLE).read_bytes()
    [r] = read_rdf(data, "text/turtle")
    wkt = "<http://www.opengis.net/def/crs/EPSG/0/8311> POINTZ(143.43508333 -26.94486389 219.453)"
    assert r.igsn == "AU2648696" and r.kind == "Sample" and r.is_public
    assert r.geometries == [
        Geometry(wkt, "http://www.opengis.net/ont/sf#Point", vertical_datum="GDA94", elevation=Decimal("219.453"))
    ]
    ga = f"{GA}org/ga"
    assert r.curations == [
        Curation(location="GA Services building", institution=Agent(ga, Identifier(ga, "URL"), kind="Organization"))
    ]
    borehole = "http://vocabulary.odm2.org/samplingfeaturetype/borehole"
    assert r.sampled_features == [SampledFeature(uri=f"{GA}site/15846", feature_type=borehole)]
    assert r.warnings[:3] == [
        f"{SAMPLE} geo:hasGeometry/geo:asWKT: POINTZ: the Z tag is written apart in WKT (POINT Z)",
        f"{SAMPLE} geo:hasGeometry/geo:asGML: holds the WKT text, not GML; read once, as WKT",
        f"<{ga}>: an agent without a name (rdfs:label, foaf:name…); named by its IRI",
    ]
    # the site's own elevation and location are the feature's, not the sample's: reported, triple by triple
    unmapped = r.warnings[3:]
    assert len(unmapped) == 8 and all(w.startswith("not mapped: ") for w in unmapped)
    assert sum(f"<{GA}site/15846> " in w for w in unmapped) == 2
    _conforms(r, validator)
    [submission] = read_input(data, "text/turtle").submissions
    assert submission.format == "rdf" and submission.document == data and submission.record == r


def test_the_later_samples_api_form(validator: Validator) -> None:
    [r] = _read(LATER)
    assert r.igsn == "AU1000001" and not r.is_public
    assert r.geometries == [
        Geometry(
            "<http://www.opengis.net/def/crs/EPSG/0/8311> POINT(137.6 -34.2)",
            "http://www.opengis.net/ont/sf#Point",
            vertical_datum="http://spatialreference.org/ref/epsg/4283/",
            elevation=Decimal("12.5"),
        )
    ]
    ga = Agent("Geoscience Australia", Identifier(f"{GA}org/ga", "URL"), kind="Organization")
    assert r.curations == [Curation(location="GA Services building", institution=ga)]
    assert r.collectors == [Agent("Ann Smith", kind="Person")]
    assert r.materials == ["http://vocabulary.odm2.org/medium/rock"]
    assert r.collection_method == "http://pid.geoscience.gov.au/def/voc/ga/igsn/method/Drill"
    assert r.resource_types == ["http://vocabulary.odm2.org/specimentype/core/"]
    assert r.collection_time == TimeSpan(instant="2010-03-04T00:00:00")
    assert r.sampled_features == [
        SampledFeature("BH 9", f"{GA}site/9", "http://vocabulary.odm2.org/samplingfeaturetype/borehole")
    ]
    assert r.warnings == [
        f"not mapped: <{GA}sample/AU1000001> <http://www.w3.org/ns/prov#pingback> <{GA}sample/AU1000001/pingback>"
    ]
    _conforms(r, validator)


def test_the_igsn_from_the_iri_and_other_identifiers() -> None:
    [r] = _read(
        PREFIXES
        + """ga:sample\\/au7 a sam:Specimen ;
        dct:identifier [ a igsn:AlternateIdentifier ; igsn:identifierType codes:DOI ; prov:value "10.1234/x7" ],
                       "core box 7" ."""
    )
    assert r.igsn == "AU7"
    assert r.alternate_identifiers == [Identifier("10.1234/x7", "DOI"), Identifier("core box 7", "local")]
    assert r.warnings == [
        f"<{GA}sample/au7> dct:identifier: the form of 'core box 7' does "
        "not say what identifier it is; kept as a local identifier"
    ]


@pytest.mark.parametrize(
    "body,message",
    [
        (
            'ga:sample\\/AU7 a sam:Specimen ; igsn:alternateIdentifier "AU8"^^igsn:IGSN .',
            "names AU7 but its identifier is AU8",
        ),
        (
            '[] a sam:Specimen ; igsn:alternateIdentifier "AU8"^^igsn:IGSN, "igsn:AU9" .',
            r"has two IGSNs \(AU8 and AU9\)",
        ),
        ('[] a sam:Specimen ; rdfs:label "no identifier" .', "a sample without an IGSN"),
        (
            'ga:sample\\/AU7 a sam:Specimen ; geo:hasGeometry [ geo:asWKT "POINT(1)" ] .',
            "geo:hasGeometry: not a geometry we can read",
        ),
        (
            'ga:sample\\/AU7 a sam:Specimen ; geo:hasGeometry [ geo:asWKT "POINT(1 2)", "POINT(3 4)" ] .',
            "a geometry with two WKT literals",
        ),
        (
            'ga:sample\\/AU7 a sam:Specimen ; sam:samplingTime "last spring" .',
            "sam:samplingTime: 'last spring' is not a date",
        ),
        ('ga:sample\\/AU7 a sam:Specimen ; sam:samplingElevation [ sam:elevation "high" ] .', "is not a number"),
    ],
)
def test_what_breaks_meaning_is_refused(body: str, message: str) -> None:
    with pytest.raises(InvalidRecord, match=message):
        _read(PREFIXES + body)


def test_what_the_record_does_not_carry_is_reported() -> None:
    [r] = _read(
        PREFIXES
        + """ga:sample\\/AU7 a sam:Specimen, <http://example.org/Thing> ;
        sam:samplingElevation [ sam:elevation 3 ] ;
        prov:qualifiedAttribution [ prov:agent ga:org\\/ga ; prov:hadRole role:User ] .
        ga:other <http://example.org/p> "about nothing" ."""
    )
    assert r.igsn == "AU7" and r.geometries == [] and r.contributors == []
    lost = [w for w in r.warnings if w.startswith("not mapped: ")]
    assert any("<http://example.org/Thing>" in w for w in lost)  # a class the table does not know
    assert any("#elevation>" in w for w in lost)  # an elevation without a location to carry it
    assert any("role/User>" in w for w in lost)  # a role the table does not map
    assert any('"about nothing"' in w for w in lost)  # a triple about no sample
    assert len(lost) == 7


def test_two_samples_in_one_document() -> None:
    records = _read(
        PREFIXES
        + """ga:sample\\/AU1 a sam:Specimen ; sam:currentLocation "shed 1" .
        ga:sample\\/AU2 a sam:Specimen ; sam:currentLocation "shed 2" ."""
    )
    assert [(r.igsn, r.curations[0].location, r.warnings) for r in records] == [
        ("AU1", "shed 1", []),
        ("AU2", "shed 2", []),
    ]


def test_a_document_with_neither_model() -> None:
    with pytest.raises(UnsupportedFormat, match=r"ig:igsn, or a sam:Specimen of Geoscience Australia's IGSN-O"):
        _read(PREFIXES + 'ga:x rdfs:label "a thing" .')


def test_every_sample_property_has_a_reader() -> None:
    table = igsn_o.terms()
    assert set(table["sample property"].values()) <= set(igsn_o._HANDLERS)
    assert {"sample class", "access", "role", "feature type"} <= set(table)
