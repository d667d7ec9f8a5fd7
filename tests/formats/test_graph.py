"""SampleRecord/RegistryFacts <-> RDF of one sample: round-trip laws and the shape of the graph."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyoxigraph import BlankNode, Literal, NamedNode, Quad, Store, Triple

from igsn_graph.codelists import codelist, relation_types
from igsn_graph.errors import InvalidInput
from igsn_graph.formats.graph import (
    ACCESS_NON_PUBLIC,
    FIELD_OF_PROPERTY,
    canonical,
    facts_from_triples,
    facts_triples,
    field_of,
    record_from_triples,
    record_triples,
    wkt_summary,
)
from igsn_graph.formats.kernels import detect
from igsn_graph.iris import Iris
from igsn_graph.record import (
    LOG_EVENTS,
    Agent,
    Classification,
    Contributor,
    Curation,
    Geometry,
    Identifier,
    LogEvent,
    Place,
    RegistryFacts,
    Relation,
    SampledFeature,
    SampleRecord,
    TimeSpan,
)
from igsn_graph.validation import Validator
from igsn_graph.vocab import CITO, DCAT, DCTERMS, GEO, IG, IGREL, IGSTATUS, PROV, RDF_TYPE, SCHEMA, SOSA, XSD

GA_AU240 = "GeoscienceAustralia-samples-api/_tests/static_data/static_GetRecord_240_igsn.xml"

IRIS = Iris("https://igsn.example.org/")

# --- strategies -------------------------------------------------------------------------------

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
opt_text = st.none() | text
iri = st.sampled_from(
    [
        "http://vocabulary.odm2.org/medium/rock",
        "https://example.org/a",
        "urn:x-local:1",
        "http://x/é",
    ]
)
dates = st.sampled_from(["2020", "2020-05", "2020-05-17", "2020-05-17T10:00:00Z", "2020-02-30", "May 2020"]) | text
iri_or_text = iri | text
value_list = st.lists(iri_or_text, max_size=3, unique=True).map(sorted)
notations = lambda name: st.sampled_from([t.notation for t in codelist(name).terms])  # noqa: E731
scheme = st.none() | notations("identifier_type") | text
igsn_name = st.from_regex(r"[A-Z0-9][A-Z0-9.\-]{0,10}(/[A-Z0-9.\-]{1,5})?", fullmatch=True)

identifier = st.builds(Identifier, value=text | st.just("0000-0002-1825-0097"), scheme=scheme)
simple_agent = st.builds(
    Agent,
    name=text,
    identifier=st.none() | identifier,
    affiliation=st.none(),
    kind=st.sampled_from([None, "Person", "Organization"]),
)
agent = st.builds(
    Agent,
    name=text,
    identifier=st.none() | identifier,
    affiliation=st.none() | simple_agent,
    kind=st.sampled_from([None, "Person", "Organization"]),
)
geometry = st.builds(
    Geometry,
    wkt=st.sampled_from(
        [
            "POINT(147.3 -42.9)",
            "POLYGON((0 0,1 0,1 1,0 0))",
            "POINT(1 95)",
            "nonsense",
            "SRID=8311;POINTZ(137.6 -34.2 103)",
            "POINT(1 2 434.4 m)",
            "<http://www.opengis.net/def/crs/EPSG/0/4326> POINT(-25.27 28.20)",
        ]
    )
    | text,
    geometry_type=st.none() | iri_or_text,
    srid=st.none() | st.sampled_from(["4326", "EPSG:28355", "4283"]) | text,
    vertical_datum=opt_text,
    uri=st.none() | iri_or_text,
    elevation=st.none() | st.decimals(min_value=-11000, max_value=9000, places=3),
    elevation_unit=st.none() | st.sampled_from(["http://qudt.org/vocab/unit/M", "http://qudt.org/vocab/unit/FT"]),
).map(lambda g: canonical(SampleRecord("X", geometries=[g])).geometries[0])  # a WKT's Z is its elevation
relation = st.builds(
    Relation,
    identifier=st.sampled_from(["10.1234/abc", "https://example.org/x", "ABC123"]) | text,
    identifier_type=st.none() | notations("identifier_type") | text,
    relation_type=st.none() | st.sampled_from(sorted(relation_types().types)) | text,
    title=opt_text,
    source_relation_type=opt_text,
)
time_span = st.builds(TimeSpan, instant=st.none() | dates, start=st.none() | dates, end=st.none() | dates).filter(
    lambda t: (t.instant, t.start, t.end) != (None, None, None)
)
records = st.builds(
    SampleRecord,
    igsn=igsn_name,
    kind=st.sampled_from(["Sample", "Feature", "Collection"]),
    name=opt_text,
    description=opt_text,
    doi=opt_text,
    landing_page=st.none() | iri_or_text,
    alternate_identifiers=st.lists(identifier, max_size=2),
    registrant=st.none() | agent,
    collectors=st.lists(agent, max_size=2),
    contributors=st.lists(st.builds(Contributor, agent=agent, role=notations("contributor_type") | text), max_size=2),
    curations=st.lists(
        st.builds(
            Curation, curator=opt_text, date=st.none() | dates, location=opt_text, institution=st.none() | simple_agent
        ),
        max_size=2,
    ),
    geometries=st.lists(geometry, max_size=2),
    places=st.lists(st.builds(Place, name=opt_text, identifier=st.none() | iri_or_text), max_size=2),
    resource_types=value_list,
    alternate_resource_types=value_list,
    materials=value_list,
    alternate_materials=value_list,
    collection_method=st.none() | iri_or_text,
    alternate_collection_methods=value_list,
    method_description=opt_text,
    collection_time=st.none() | time_span,
    classifications=st.lists(st.builds(Classification, label=text, uri=st.none() | iri_or_text), max_size=2),
    sampled_features=st.lists(
        st.builds(SampledFeature, name=opt_text, uri=st.none() | iri_or_text, feature_type=st.none() | iri_or_text),
        max_size=2,
    ),
    purpose=opt_text,
    campaign=opt_text,
    comments=opt_text,
    parents=st.lists(igsn_name | text, max_size=2, unique=True).map(sorted),
    collections=st.lists(igsn_name, max_size=2, unique=True).map(sorted),
    relations=st.lists(relation, max_size=3),
    is_public=st.booleans(),
    embargo_end=st.none() | dates,
    supplemental_metadata=value_list,
    log=st.lists(
        st.builds(LogEvent, event=st.sampled_from(LOG_EVENTS) | text, timestamp=dates, comment=opt_text, text=opt_text),
        max_size=3,
    ),
)
facts = st.builds(
    RegistryFacts,
    igsn=igsn_name,
    agent=text,
    namespace=st.sampled_from(["TEST", "SSH", "AU.CSIRO"]) | text,
    datestamp=st.sampled_from(["2024-01-02T03:04:05Z"]) | text,
    client=st.none() | text,
    landing_url=st.none() | iri_or_text,
    active=st.booleans(),
    lifecycle=st.none() | st.sampled_from(["deprecated", "destroyed"]),
    replaced_by=st.none() | igsn_name | text,
    is_public=st.booleans(),
    has_metadata=st.booleans(),
    registered=st.none() | dates,
    doi=opt_text,
)

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- laws -------------------------------------------------------------------------------------


@FAST
@given(records)
def test_record_round_trip(record: SampleRecord) -> None:
    triples = record_triples(record, IRIS)
    assert record_from_triples(triples, IRIS, record.igsn) == record


@FAST
@given(facts)
def test_facts_round_trip(f: RegistryFacts) -> None:
    assert facts_from_triples(facts_triples(f, IRIS), IRIS, f.igsn, datestamp=f.datestamp) == f


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records, facts)
def test_record_and_facts_share_a_graph(record: SampleRecord, f: RegistryFacts) -> None:
    """Both read back from the union, as Quads of one named graph; no blank nodes anywhere."""
    f = RegistryFacts(**{**f.__dict__, "igsn": record.igsn})
    g = IRIS.record_graph(record.igsn)
    union = set(record_triples(record, IRIS)) | set(facts_triples(f, IRIS))
    quads = [Quad(t.subject, t.predicate, t.object, g) for t in union]
    assert record_from_triples(quads, IRIS, record.igsn) == record
    assert facts_from_triples(quads, IRIS, record.igsn, datestamp=f.datestamp) == f
    assert not any(isinstance(term, BlankNode) for t in union for term in (t.subject, t.object))


@settings(max_examples=40, deadline=None)
@given(records, st.data())
def test_value_lists_are_sets(record: SampleRecord, data: st.DataObject) -> None:
    """Any order or repetition of value lists comes back as canonical() says."""
    shuffled = data.draw(st.permutations(record.materials + record.materials))
    record.materials = list(shuffled)
    record.collection_time = data.draw(st.none() | st.just(TimeSpan()))
    back = record_from_triples(record_triples(record, IRIS), IRIS, record.igsn)
    assert back == canonical(record)


def test_triples_are_deterministic_sets() -> None:
    r = rich_record()
    assert set(record_triples(r, IRIS)) == set(record_triples(rich_record(), IRIS))
    assert len(set(record_triples(r, IRIS))) == len(record_triples(r, IRIS))


def test_facts_absent_gives_none() -> None:
    assert facts_from_triples(record_triples(rich_record(), IRIS), IRIS, "AU1234", datestamp="") is None


# --- the model --------------------------------------------------------------------------------


def rich_record() -> SampleRecord:
    orcid = Identifier("https://orcid.org/0000-0002-1825-0097", "ORCID")
    ror = Identifier("03qn8fb07", "ROR")
    return SampleRecord(
        igsn="AU1234",
        name="Core 7",
        description="A core",
        doi="10.58052/AU1234",
        landing_page="https://example.org/au1234",
        alternate_identifiers=[Identifier("core-7", "local")],
        registrant=Agent("CSIRO", ror, kind="Organization"),
        collectors=[Agent("Ann Smith", orcid, Agent("CSIRO", ror), "Person")],
        contributors=[Contributor(Agent("GA"), "HostingInstitution")],
        curations=[Curation("J. Doe", "2021-03", "Perth", Agent("WA Museum"))],
        geometries=[Geometry("POINT(147.3 -42.9)", "http://www.opengis.net/ont/sf#Point", "4326", "AHD", None)],
        places=[Place("Tasmania", "https://sws.geonames.org/2147291/")],
        resource_types=["http://vocabulary.odm2.org/specimentype/core/"],
        materials=["http://vocabulary.odm2.org/medium/rock"],
        collection_method="http://pid.geoscience.gov.au/def/voc/ga/igsn/method/Corer",
        method_description="diamond drill",
        collection_time=TimeSpan(start="2020-05-01", end="2020-05-17"),
        classifications=[Classification("basalt", "http://resource.geosciml.org/classifier/cgi/lithology/basalt")],
        sampled_features=[
            SampledFeature(
                "Hole 7", "https://example.org/hole7", "http://vocabulary.odm2.org/samplingfeaturetype/borehole"
            )
        ],
        purpose="research",
        campaign="IN2020",
        comments="none",
        parents=["AU0001"],
        collections=["AUCOLL"],
        relations=[
            Relation("10.1234/paper", "DOI", "IsCitedBy", "A paper"),
            Relation("AU0002", "IGSN", "IsDerivedFrom", igsn="AU0002"),
            Relation("https://example.org/x", "URL", "Other", None, "HasSamplingFeature"),
        ],
        is_public=False,
        embargo_end="2030-01-01",
        supplemental_metadata=["https://example.org/more"],
        log=[LogEvent("submitted", "2020-06-01T00:00:00Z"), LogEvent("registered", "2020-06-02T00:00:00Z", "ok")],
    )


def test_rich_record_model() -> None:
    r = rich_record()
    triples = set(record_triples(r, IRIS))
    s = IRIS.sample("AU1234")
    frag = lambda f: NamedNode(f"{s.value}#{f}")  # noqa: E731
    has = lambda *t: any((x.subject, x.predicate, x.object) == t for x in triples)  # noqa: E731
    assert has(s, RDF_TYPE, IG.Sample) and has(s, RDF_TYPE, SOSA.Sample)
    assert has(s, IG.igsn, Literal("AU1234"))
    assert has(s, IG.material, NamedNode("http://vocabulary.odm2.org/medium/rock"))
    assert has(s, IG.registrant, frag("registrant"))
    assert has(frag("registrant"), SCHEMA.sameAs, NamedNode("https://ror.org/03qn8fb07"))
    assert has(frag("collector-1"), SCHEMA.sameAs, NamedNode("https://orcid.org/0000-0002-1825-0097"))
    assert has(frag("collector-1"), SCHEMA.affiliation, frag("collector-1-affiliation"))
    assert has(
        frag("contributor-1"),
        PROV.hadRole,
        NamedNode("https://w3id.org/igsn-graph/vocab/contributortype/HostingInstitution"),
    )
    assert has(frag("geometry-1"), IG.northBound, Literal("-42.9", datatype=XSD.decimal))
    assert has(frag("geometry-1"), IG.wktType, NamedNode("http://www.opengis.net/ont/sf#Point"))
    assert has(frag("sampling"), IG.startTime, Literal("2020-05-01", datatype=XSD.date))
    # relations: qualified, resolved, and the direct property where mappings/ gives one
    assert has(frag("relation-1"), DCAT.hadRole, IGREL.IsCitedBy)
    assert has(frag("relation-1"), DCTERMS.relation, NamedNode("https://doi.org/10.1234/paper"))
    assert has(s, CITO.isCitedBy, NamedNode("https://doi.org/10.1234/paper"))
    assert has(s, SOSA.isSampleOf, IRIS.sample("AU0002"))
    assert has(s, SOSA.isSampleOf, IRIS.sample("AU0001")) and has(s, IG.parent, IRIS.sample("AU0001"))
    assert has(s, IG.memberOf, IRIS.sample("AUCOLL"))
    assert has(s, NamedNode("http://purl.org/dc/terms/accessRights"), ACCESS_NON_PUBLIC)
    assert has(frag("log-2"), IG.timestamp, Literal("2020-06-02T00:00:00Z", datatype=XSD.dateTime))
    # IsDerivedFrom gives sosa:isSampleOf too, yet parents stay the declared ones
    assert record_from_triples(triples, IRIS, "AU1234").parents == ["AU0001"]
    assert record_from_triples(triples, IRIS, "AU1234") == r


def test_kinds() -> None:
    for kind, cls in [("Feature", IG.SamplingFeature), ("Collection", IG.SampleCollection)]:
        r = SampleRecord("X1", kind=kind)  # type: ignore[arg-type]
        triples = record_triples(r, IRIS)
        assert any(t.predicate == RDF_TYPE and t.object == cls for t in triples)
        assert record_from_triples(triples, IRIS, "X1").kind == kind


def test_facts_model() -> None:
    f = RegistryFacts(
        "AU1",
        "csiro",
        "AU",
        "2024-01-02T03:04:05Z",
        client="csiro.cap",
        landing_url="https://example.org/1",
        lifecycle="deprecated",
        replaced_by="AU2",
    )
    triples = {(t.predicate, t.object) for t in facts_triples(f, IRIS)}
    assert (IG.status, IGSTATUS.deprecated) in triples
    assert (IG.allocatingAgent, IRIS.agent("csiro")) in triples
    assert (IG.registeredBy, IRIS.client("csiro.cap")) in triples
    assert (IG.landingPage, NamedNode("https://example.org/1")) in triples
    # the datestamp is the catalogue's, not the sample's: the graph does not hold it (issue 23)
    assert all(p != IG.datestamp for p, _ in triples)


def test_dates_are_typed_by_form() -> None:
    def typed(value: str) -> str:
        r = SampleRecord("X1", embargo_end=value)
        return next(t.object.datatype.value for t in record_triples(r, IRIS) if t.predicate == IG.embargoEnd)

    assert typed("2020").endswith("#gYear")
    assert typed("2020-05").endswith("#gYearMonth")
    assert typed("2020-05-17").endswith("#date")
    assert typed("2020-05-17T10:00:00+10:00").endswith("#dateTime")
    assert typed("2020-13").endswith("#string")
    assert typed("17/05/2020").endswith("#string")


def test_wkt_summary() -> None:
    assert wkt_summary("POINT (147 -42)") == ("Point", (Decimal(147), Decimal(147), Decimal(-42), Decimal(-42)))
    assert wkt_summary("MULTIPOINT((1 2),(3 4))")[1] == (1, 3, 2, 4)  # type: ignore[index]
    assert wkt_summary("GEOMETRYCOLLECTION(POINT(1 2),LINESTRING(0 0,5 95))")[1][3] == 95  # type: ignore[index]
    assert wkt_summary("POINT Z (1 2 3)")[0] == "Point"  # type: ignore[index]
    assert wkt_summary("POINT(500000 6000000)", "EPSG:28355") == ("Point", None)
    crs84 = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84> POINT(1 2)"
    assert wkt_summary(crs84)[1] is not None  # type: ignore[index]
    assert wkt_summary("POINT EMPTY") == ("Point", None)
    for bad in ["POINT(1)", "POINT(1 2", "POLYGON((0 0,1 0,1 1,0 1))", "CIRCLE(1 2)", "", "POINT(1e999 2)"]:
        assert wkt_summary(bad) is None, bad


# --- geometries (formats/wkt.py decides the forms; here: what the graph holds and gives back) -------

GA_EWKT = Geometry("POINTZ(137.6284422 -34.2186182 103)", "http://www.opengis.net/ont/sf#Point", "8311")


def _geometry_node(record: SampleRecord) -> dict[str, list[object]]:
    node = IRIS.sample(record.igsn).value + "#geometry-1"
    out: dict[str, list[object]] = {}
    for t in record_triples(record, IRIS):
        if t.subject.value == node:
            out.setdefault(t.predicate.value, []).append(t.object)
    return out


def test_geometry_is_written_as_geosparql_and_read_back_as_written() -> None:
    """GA's EWKT (SRID 8311 = GDA94 lon/lat, a glued Z tag): GeoSPARQL literal with its CRS, the written
    text kept beside it, the Z as an elevation, bounds lon/lat."""
    record = SampleRecord("AU240", geometries=[GA_EWKT])
    node = _geometry_node(record)
    assert node[GEO.asWKT.value] == [
        Literal(
            "<http://www.opengis.net/def/crs/EPSG/0/4283> POINT Z (-34.2186182 137.6284422 103)",
            datatype=GEO.wktLiteral,
        )
    ]
    assert node[IG.sourceWkt.value] == [Literal("POINTZ(137.6284422 -34.2186182 103)")]
    assert node[IG.elevation.value] == [Literal("103", datatype=XSD.decimal)]
    assert IG.elevationUnit.value not in node
    assert node[IG.westBound.value] == [Literal("137.6284422", datatype=XSD.decimal)]
    assert node[IG.southBound.value] == [Literal("-34.2186182", datatype=XSD.decimal)]
    back = record_from_triples(record_triples(record, IRIS), IRIS, "AU240")
    assert back.geometries == [Geometry(GA_EWKT.wkt, GA_EWKT.geometry_type, "8311", elevation=Decimal(103))]
    assert back == canonical(record)


def test_geometry_in_geosparql_form_is_kept_verbatim() -> None:
    wkt = "<http://www.opengis.net/def/crs/EPSG/0/4326> POINT(-25.27 28.20)"
    node = _geometry_node(SampleRecord("X1", geometries=[Geometry(wkt)]))
    assert node[GEO.asWKT.value] == [Literal(wkt, datatype=GEO.wktLiteral)]
    assert IG.sourceWkt.value not in node and IG.elevation.value not in node
    assert (node[IG.westBound.value], node[IG.northBound.value]) == (
        [Literal("28.20", datatype=XSD.decimal)],
        [Literal("-25.27", datatype=XSD.decimal)],
    )


def test_elevation_with_its_unit_and_an_elevation_given_apart() -> None:
    unit = "http://qudt.org/vocab/unit/M"
    suffixed = SampleRecord("X1", geometries=[Geometry("POINT(147.3 -42.9 434.4 m)")])
    node = _geometry_node(suffixed)
    assert node[IG.elevation.value] == [Literal("434.4", datatype=XSD.decimal)]
    assert node[IG.elevationUnit.value] == [NamedNode(unit)]
    assert node[GEO.asWKT.value] == [Literal("POINT Z (147.3 -42.9 434.4)", datatype=GEO.wktLiteral)]
    back = record_from_triples(record_triples(suffixed, IRIS), IRIS, "X1")
    assert back.geometries[0] == Geometry("POINT(147.3 -42.9 434.4 m)", elevation=Decimal("434.4"), elevation_unit=unit)
    # an elevation of the record's own wins over the WKT's Z, and round-trips exactly
    apart = SampleRecord("X1", geometries=[Geometry("POINT Z (1 2 3)", elevation=Decimal("7.50"), elevation_unit=unit)])
    assert _geometry_node(apart)[IG.elevation.value] == [Literal("7.50", datatype=XSD.decimal)]
    assert record_from_triples(record_triples(apart, IRIS), IRIS, "X1") == apart


def test_elevation_round_trips_through_the_store() -> None:
    """The store writes decimals in canonical form ("51.0" -> "51"); the elevation is a number, so equal."""
    record = SampleRecord("X1", geometries=[Geometry("POINT(1 2 51.0)", elevation=None)])
    store = Store()
    g = IRIS.record_graph("X1")
    store.extend([Quad(t.subject, t.predicate, t.object, g) for t in record_triples(record, IRIS)])
    back = record_from_triples(list(store.quads_for_pattern(None, None, None, g)), IRIS, "X1")
    assert back == canonical(record) and back.geometries[0].elevation == Decimal(51)


def test_unreadable_wkt_is_kept_as_written_without_a_type() -> None:
    node = _geometry_node(SampleRecord("X1", geometries=[Geometry("token", srid="4326")]))
    assert node[GEO.asWKT.value] == [Literal("token", datatype=GEO.wktLiteral)]
    assert IG.wktType.value not in node and IG.sourceWkt.value not in node and IG.westBound.value not in node


def test_a_non_number_elevation_in_rdf_input_is_refused() -> None:
    triples = record_triples(SampleRecord("X1", geometries=[Geometry("POINT(1 2)")]), IRIS)
    node = NamedNode(IRIS.sample("X1").value + "#geometry-1")
    triples.append(Triple(node, IG.elevation, Literal("high")))
    with pytest.raises(InvalidInput, match="ig:elevation"):
        record_from_triples(triples, IRIS, "X1")


def test_ga_au240_description_payload_passes_the_shapes(example, oai_record) -> None:  # type: ignore[no-untyped-def]
    """Geoscience Australia's AU240 (SRID=8311;POINTZ(...)) was refused as not valid WKT; it now conforms."""
    payload = oai_record(example(GA_AU240))
    [record] = detect(payload).read(payload)
    # accepted, with a warning for each off-form part, naming the element
    assert [w.split(": ", 1)[1].split(":")[0] for w in record.warnings] == ["EWKT prefix SRID=8311", "POINTZ"]
    assert all(w.endswith("/geoLocations/geoLocation/geometry", 0, w.index(": ")) for w in record.warnings)
    facts = RegistryFacts("AU240", "ZGA", "AU", "2026-01-01T00:00:00Z", has_metadata=True)
    triples = record_triples(record, IRIS) + facts_triples(facts, IRIS)
    report = Validator(IRIS).validate("AU240", triples)
    assert report.conforms, report.violations
    [geometry] = canonical(record).geometries
    assert geometry.elevation == Decimal(103)
    assert record_from_triples(triples, IRIS, "AU240") == canonical(record)


def test_field_of() -> None:
    s = IRIS.sample("AU1").value
    assert field_of(s, IG.material.value) == "materials"
    assert field_of(s + "#relation-3", SCHEMA.identifier.value) == "relations"
    assert field_of(s + "#contributor-2-agent", SCHEMA.name.value) == "contributors"
    assert field_of(s + "#registrant-affiliation", SCHEMA.name.value) == "registrant"
    assert field_of(s + "#sampled-feature-1", SCHEMA.name.value) == "sampled_features"
    assert field_of(s + "#sampling", SOSA.usedProcedure.value) == "collection_method"
    assert field_of(s + "#geometry-1", GEO.asWKT.value) == "geometries"
    assert set(FIELD_OF_PROPERTY.values()) <= set(SampleRecord.__dataclass_fields__)


def test_a_doi_written_with_its_scheme_resolves_like_a_bare_one() -> None:
    for written in ("doi:10.1234/Paper", "DOI: 10.1234/Paper", "10.1234/Paper"):
        record = SampleRecord("AU7", name="n", relations=[Relation(written, "DOI", "IsCitedBy")])
        targets = {t.object.value for t in record_triples(record, IRIS) if t.predicate == DCTERMS.relation}
        assert targets == {"https://doi.org/10.1234/Paper"}, written


def test_an_agent_named_again_in_the_same_words_is_described_once() -> None:
    """The client's organisation as registrant, hosting institution, curating institution and every collector's
    affiliation is one node; collectors keep a node each (their order is their fragments'), even when two are
    the same person; what is read back is the record as written."""
    org = Agent("Zinnia Soil Archive", Identifier("https://ror.org/0023dq663", "ROR"), kind="Organization")
    person = Agent("Whitlock, Ines", Identifier("https://orcid.org/0000-0000-8667-5666", "ORCID"), org, "Person")
    other = Agent("Gallo, Jonas", Identifier("https://orcid.org/0000-0000-3010-5293", "ORCID"), org, "Person")
    record = SampleRecord(
        igsn="AU77",
        registrant=org,
        collectors=[person, other, person],
        contributors=[Contributor(org, "HostingInstitution"), Contributor(person, "ContactPerson")],
        curations=[Curation("J. Doe", "2021-03", "Perth", org)],
    )
    triples = record_triples(record, IRIS)
    s = IRIS.sample("AU77")
    described = {t.subject.value for t in triples if t.predicate == SCHEMA.name}
    base = s.value + "#"
    assert described == {base + "registrant", base + "collector-1", base + "collector-2", base + "collector-3"}
    objects = {(t.subject.value, t.predicate): t.object.value for t in triples}
    assert objects[(base + "contributor-1", PROV.agent)] == base + "registrant"
    assert objects[(base + "contributor-2", PROV.agent)] == base + "collector-1"
    assert objects[(base + "curation-1", IG.curatingInstitution)] == base + "registrant"
    assert {objects[(base + f"collector-{n}", SCHEMA.affiliation)] for n in (1, 2, 3)} == {base + "registrant"}
    assert record_from_triples(triples, IRIS, "AU77") == record
    # the same agent in other words is another node
    renamed = dataclasses.replace(record, registrant=dataclasses.replace(org, name="Zinnia Soil Archive (ZSA)"))
    names = {t.subject.value for t in record_triples(renamed, IRIS) if t.predicate == SCHEMA.name}
    assert base + "collector-1-affiliation" in names and base + "registrant" in names
    assert record_from_triples(record_triples(renamed, IRIS), IRIS, "AU77") == renamed
