"""formats.dc_reader: Dublin Core (oai_dc) records are read through the crosswalk of mappings/oai_dc.csv backwards —
Geoscience Australia's real GetRecord, our own writer's output, and the edge cases of identifiers, coverages and
dates; what breaks meaning is refused naming the element, what is off-form is a warning, nothing dropped silently."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from igsn_graph import links
from igsn_graph.errors import InvalidIdentifier, InvalidRecord
from igsn_graph.formats import dc_reader, kernels, oai_dc
from igsn_graph.formats import graph as graphmap
from igsn_graph.formats.kernels import detect, read_xml
from igsn_graph.iris import Iris
from igsn_graph.loader import read_input
from igsn_graph.record import (
    Agent,
    Classification,
    Curation,
    Geometry,
    Identifier,
    Place,
    RegistryFacts,
    Relation,
    SampleRecord,
    TimeSpan,
)
from igsn_graph.validation import Validator
from igsn_graph.xmlparser import parse_xml
from tests.oai.conftest import CatalogResolver

GA = "GeoscienceAustralia-samples-api"
GA_DC = [f"{GA}/_tests/static_data/static_GetRecord_240_dc.xml", f"{GA}/test/static_data/static_GetRecord_240.xml"]
CSIRO_V3 = "au-research-igsn-metadata-registry/src/main/resources/static/examples/sample_csiro_v3.xml"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
IRI = "https://igsn.org/"
IRIS = Iris(IRI)
PATH = "/dc"


def _dc(*elements: str, extra_ns: str = "") -> bytes:
    return (
        f'<oai_dc:dc xmlns:oai_dc="{oai_dc.NS_OAI_DC}" xmlns:dc="{oai_dc.NS_DC}"{extra_ns}>'
        + "".join(elements)
        + "</oai_dc:dc>"
    ).encode()


def _read(*elements: str, extra_ns: str = "") -> SampleRecord:
    [record] = dc_reader.read(parse_xml(_dc(*elements, extra_ns=extra_ns)))
    return record


def _el(name: str, text: str, **attrs: str) -> str:
    shown = "".join(f' {k.replace("__", ":")}="{v}"' for k, v in attrs.items())
    return f"<dc:{name}{shown}>{text}</dc:{name}>"


ID = _el("identifier", "igsn:AU1")


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator(IRIS)


@pytest.fixture(scope="module")
def xsd(shared: Path) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(CatalogResolver(shared / "schemas" / "catalog.xml"))
    return etree.XMLSchema(etree.parse(str(shared / "schemas" / "oai" / "oai_dc.xsd"), parser))


def _conforms(record: SampleRecord, validator: Validator) -> None:
    """SHACL, as the registry validates: with the registrant and name the registry adds when the input has none."""
    record = replace(
        record, registrant=record.registrant or Agent("Example", kind="Organization"), name=record.name or record.igsn
    )
    record = links.resolve(record, "oai_dc", iri_base=IRI)  # as the registry does after every reader
    facts = RegistryFacts(
        igsn=record.igsn,
        agent="ZEX",
        namespace=record.igsn[:2],
        datestamp="2026-01-01T00:00:00Z",
        has_metadata=True,
        is_public=record.is_public,
    )
    triples = graphmap.record_triples(record, IRIS) + graphmap.facts_triples(facts, IRIS)
    report = validator.validate(record.igsn, triples)
    assert report.conforms, [str(v) for v in report.violations]
    assert graphmap.record_from_triples(triples, IRIS, record.igsn) == graphmap.canonical(record)


# --- the real record ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", GA_DC)
def test_geoscience_australia_get_record(shared: Path, path: str, validator: Validator) -> None:
    data = (shared / "examples" / path).read_bytes()
    doc = read_xml(data)
    assert doc.format is kernels.OAI_DC and doc.envelope == "OAI-PMH"
    [r] = doc.records
    # dc:identifier says AU239 (as the request did); the header's AU240 is reported, the record's own wins
    assert r.igsn == "AU239" and r.kind == "Sample"
    assert r.resource_types == ["http://vocabulary.odm2.org/specimentype/core/"]
    assert r.geometries == [Geometry("<https://epsg.io/8311> POINTZ(137.8563726 -33.7108293 51)")]
    assert r.collectors == []  # <dc:creator></dc:creator> says nothing
    where = "/OAI-PMH/GetRecord/record"
    assert r.warnings == [
        f"{where}/metadata/dc/identifier: 'AU239' is read as the IGSN, the one identifier that can be a bare name "
        "(igsn:AU239 or an IGSN URI says so)",
        f"{where}/metadata/dc/coverage: POINTZ: the Z tag is written apart in WKT (POINT Z)",
        f"not mapped: {where}/metadata/dc/language",
        f"{where}/header/identifier: 'AU240' names AU240, the record AU239; the record's own identifier is used",
    ]
    assert r.source_elements["igsn"] == f"{where}/metadata/dc/identifier"
    _conforms(r, validator)
    # the payload, what the registry keeps, reads back alone to the same record
    [alone] = doc.documents()
    assert read_xml(alone).records == [r]
    [submission] = read_input(data).submissions
    assert submission.format == "oai_dc" and submission.record == r


def test_detect_and_format_table() -> None:
    root = parse_xml(_dc(ID))
    assert detect(root) is kernels.OAI_DC is kernels.format_named("oai_dc")
    assert kernels.OAI_DC.write is not None and kernels.OAI_DC.oai_prefix == "oai_dc"
    assert kernels.OAI_DC.namespace == "http://www.openarchives.org/OAI/2.0/oai_dc/"


# --- our own writer's output read back ----------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        f"shared:{CSIRO_V3}",
        "fixture:description-1.1/sample-core-half.xml",
        "fixture:description-1.1/collection-bh12.xml",
    ],
)
def test_our_dublin_core_reads_back(source: str, shared: Path, xsd: etree.XMLSchema, validator: Validator) -> None:
    kind, rel = source.split(":", 1)
    path = shared / "examples" / rel if kind == "shared" else FIXTURES / rel
    [original] = read_xml(path.read_bytes()).records
    original = links.resolve(original, "csirov3", iri_base=IRI)
    element = oai_dc.write(original, iri_base=IRI)
    assert xsd.validate(etree.fromstring(etree.tostring(element))), xsd.error_log
    [back] = dc_reader.read(parse_xml(etree.tostring(element)))
    assert back.igsn == original.igsn and back.name == original.name
    # one element for both: the texts come back in order, the first as the description
    texts = [t for t in (original.description, original.comments) if t]
    assert [t for t in (back.description, back.comments) if t] == list(dict.fromkeys(texts))
    assert [g.wkt for g in back.geometries] == [g.wkt for g in original.geometries]
    assert [p.name for p in back.places] == [p.name for p in original.places if p.name]
    assert [a.name for a in back.collectors] == [a.name for a in original.collectors]
    assert back.materials == list(dict.fromkeys(original.materials))
    # the writer writes every type in dc:type: coded ones come back as resource types, the others as alternates
    types = list(dict.fromkeys(original.resource_types + original.alternate_resource_types))
    assert back.resource_types[:1] == original.resource_types[:1]
    assert back.resource_types + back.alternate_resource_types == types
    assert back.kind == original.kind
    assert [c.label for c in back.classifications] == [c.label for c in original.classifications if c.label]
    assert [x.identifier for x in back.relations] == [e.text for e in element.iter(f"{{{oai_dc.NS_DC}}}relation")]
    assert all(r.relation_type == "Other" and r.source_relation_type == "dc:relation" for r in back.relations)
    assert not [w for w in back.warnings if w.startswith("not mapped")]
    _conforms(back, validator)


# --- identifiers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "igsn:au1",
        "IGSN: AU1",
        "10273/AU1",
        "hdl:10273/AU1",
        "https://hdl.handle.net/10273/AU1",
        "https://igsn.org/AU1",
        "http://n2t.net/igsn:AU1",
        "https://doi.org/10.58052/AU1",
    ],
)
def test_an_identifier_naming_an_igsn_in_any_written_form(written: str) -> None:
    r = _read(_el("identifier", written))
    assert r.igsn == "AU1" and r.warnings == [] and r.alternate_identifiers == []


def test_the_sample_doi_and_other_identifiers_typed_by_their_form() -> None:
    r = _read(
        _el("identifier", "https://igsn.org/AU1"),
        _el("identifier", "http://localhost:8000/AU1"),
        _el("identifier", "https://doi.org/10.1234/AU1"),
        _el("identifier", "10.5880/GFZ.1.2"),
        _el("identifier", "urn:uuid:0b5c1e0a-1c9e-4b9a-8d1a-0c8b6b9e2f11"),
        _el("identifier", "core box 7"),
    )
    assert r.igsn == "AU1" and r.doi == "10.1234/AU1"
    assert r.alternate_identifiers == [
        Identifier("http://localhost:8000/AU1", "URL"),
        Identifier("10.5880/GFZ.1.2", "DOI"),
        Identifier("urn:uuid:0b5c1e0a-1c9e-4b9a-8d1a-0c8b6b9e2f11", "URN"),
        Identifier("core box 7", "local"),
    ]
    assert r.warnings == [
        f"{PATH}/identifier[6]: the form of 'core box 7' does not say what identifier it is; kept as a local identifier"
    ]


def test_an_igsn_doi_prefix_gives_the_doi_too() -> None:
    r = _read(_el("identifier", "doi:10.58052/AU1"))
    assert (r.igsn, r.doi) == ("AU1", "10.58052/AU1")


def test_identifier_refusals_name_the_element() -> None:
    with pytest.raises(InvalidRecord, match=r"^/dc/identifier\[2\]: a second IGSN \(AU1 and AU2\)"):
        _read(_el("identifier", "igsn:AU1"), _el("identifier", "10273/AU2"))
    with pytest.raises(InvalidRecord, match=r"^/dc: no dc:identifier names an IGSN"):
        _read(_el("identifier", "https://example.org/sample/1"), _el("title", "a rock"))
    with pytest.raises(InvalidRecord, match=r"^/dc/identifier\[2\]: 'AU1' and 'AU2' could each be the IGSN"):
        _read(_el("identifier", "AU1"), _el("identifier", "AU2"))
    with pytest.raises(InvalidIdentifier, match=r"^/dc/identifier: .*not allowed"):
        _read(_el("identifier", "igsn:AU_1"))
    with pytest.raises(InvalidRecord, match="no dc:identifier"):
        _read()


# --- the other elements -------------------------------------------------------------------------


def test_every_element_of_the_crosswalk() -> None:
    r = _read(
        ID,
        _el("title", "Core half AU1"),
        _el("description", "split core"),
        _el("description", "dry"),
        _el("creator", "Smith, Ann"),
        _el("publisher", "GA Core Library"),
        _el("subject", "basalt"),
        _el("format", "http://vocabulary.odm2.org/medium/rock/"),
        _el("type", "coreHalfRound"),
        _el("type", "PhysicalObject"),
        _el("date", "2019-05-01"),
        _el("coverage", "POINT (137.8 -33.7)"),
        _el("coverage", "Eyre Peninsula"),
        _el("relation", "10273/AU0"),
    )
    assert (r.name, r.description, r.comments) == ("Core half AU1", "split core", "dry")
    assert r.collectors == [Agent("Smith, Ann")]
    assert r.curations == [Curation(institution=Agent("GA Core Library", kind="Organization"))]
    assert r.classifications == [Classification("basalt")]
    assert r.materials == ["http://vocabulary.odm2.org/medium/rock"]
    assert r.resource_types == ["http://vocabulary.odm2.org/specimentype/coreHalfRound/"]
    assert r.alternate_resource_types == ["PhysicalObject"]
    assert r.collection_time == TimeSpan(instant="2019-05-01")
    assert r.geometries == [Geometry("POINT (137.8 -33.7)")] and r.places == [Place("Eyre Peninsula")]
    assert r.relations == [Relation("10273/AU0", "Handle", "Other", source_relation_type="dc:relation")]
    assert r.warnings == []
    # links (applied after every reader) finds the IGSN; Dublin Core's untyped relation links a related sample
    linked = links.resolve(r, "oai_dc")
    assert linked.relations[0].igsn == "AU0" and linked.parents == [] and linked.collections == []


def test_what_is_not_mapped_is_reported_once_per_path() -> None:
    r = _read(
        ID,
        _el("title", "one", xml__lang="en"),
        _el("title", "two"),
        _el("rights", "CC-BY 4.0"),
        _el("language", "eng"),
        _el("source", "field book 3"),
        _el("contributor", "Jones, B"),
        _el("format", "text/xml"),
        _el("date", "2019"),
        _el("date", "2020"),
        _el("coverage", "2019-05-01/2019-05-03"),
        '<x:note xmlns:x="urn:x">kept</x:note>',
    )
    assert r.name == "one" and r.collection_time == TimeSpan(instant="2019")
    assert r.warnings == [
        f"not mapped: {PATH}/{p}"
        for p in (
            "title[1]/@lang",
            "title[2]",
            "rights",
            "language",
            "source",
            "contributor",
            "format",
            "date[2]",
            "coverage",
            "note",
        )
    ]


def test_types_decide_the_kind() -> None:
    r = _read(
        ID,
        _el("type", "http://vocabulary.odm2.org/samplingfeaturetype/borehole"),
        _el("type", "core"),
        _el("type", "http://vocabulary.odm2.org/medium/sediment"),
    )
    assert r.kind == "Feature"
    assert r.resource_types == ["http://vocabulary.odm2.org/samplingfeaturetype/borehole"]
    assert r.alternate_resource_types == ["core"] and r.materials == ["http://vocabulary.odm2.org/medium/sediment"]
    assert r.warnings == [
        f"{PATH}/type[2]: 'core' is a sample type but the record is a feature; kept as an alternate type"
    ]
    assert _read(ID, _el("type", "Collection")).kind == "Collection"


@pytest.mark.parametrize(
    "written,span",
    [
        ("2019-05-01T10:30Z", TimeSpan(instant="2019-05-01T10:30:00Z")),
        ("2019-05-01/2019-05-03", TimeSpan(start="2019-05-01", end="2019-05-03")),
        ("../2019-05", TimeSpan(end="2019-05")),
        ("2019/", TimeSpan(start="2019")),
        ("start=2019-05-01; end=2019-06-01; scheme=W3C-DTF", TimeSpan(start="2019-05-01", end="2019-06-01")),
    ],
)
def test_dates_and_periods(written: str, span: TimeSpan) -> None:
    assert _read(ID, _el("date", written)).collection_time == span


@pytest.mark.parametrize(
    "written", ["sometime in May", "2019-02-30", "../..", "start=May; end=June", "name=field season"]
)
def test_a_date_that_is_not_a_date_is_refused(written: str) -> None:
    with pytest.raises(InvalidRecord, match=r"^/dc/date: .*not a date") as exc:
        _read(ID, _el("date", written))
    assert exc.value.data.get("igsn") in (None, "AU1")


def test_coverages() -> None:
    r = _read(
        ID,
        _el("coverage", "SRID=8311;POINTZ(137.6 -34.2 103)"),
        _el("coverage", "name=Perth; east=115.857; north=-31.953; elevation=12"),
        _el("coverage", "northlimit=-30; southlimit=-32; westlimit=115; eastlimit=117; uplimit=5"),
        _el("coverage", "Point Reyes"),
    )
    assert r.geometries == [
        Geometry("SRID=8311;POINTZ(137.6 -34.2 103)"),
        Geometry("POINT Z (115.857 -31.953 12)"),
        Geometry("POLYGON ((115 -32, 117 -32, 117 -30, 115 -30, 115 -32))"),
    ]
    assert r.places == [Place("Perth"), Place("Point Reyes")]
    assert r.warnings == [
        f"{PATH}/coverage[1]: EWKT prefix SRID=8311: read as the CRS, longitude first",
        f"{PATH}/coverage[1]: POINTZ: the Z tag is written apart in WKT (POINT Z)",
        f"{PATH}/coverage[3]: uplimit=5 is not mapped",
    ]
    assert graphmap.canonical(r).geometries[1].elevation == Decimal("12")


@pytest.mark.parametrize(
    "written",
    ["POINT (137.8)", "&lt;http://www.opengis.net/def/crs/EPSG/0/4326&gt; POINT(1 2", "east=115.8E; north=-31.9"],
)
def test_a_geometry_that_cannot_be_read_is_refused(written: str) -> None:
    with pytest.raises(InvalidRecord, match=r"^/dc/coverage: "):
        _read(ID, _el("coverage", written))


def test_relations_are_typed_by_their_form() -> None:
    r = _read(
        ID,
        _el("relation", "https://doi.org/10.1594/PANGAEA.1"),
        _el("relation", "doi:10.1594/PANGAEA.2"),
        _el("relation", "igsn:AU0"),
        _el("relation", "ark:/13030/tf5p30086k"),
        _el("relation", "see notes"),
    )
    assert [(x.identifier, x.identifier_type) for x in r.relations] == [
        ("https://doi.org/10.1594/PANGAEA.1", "URL"),
        ("doi:10.1594/PANGAEA.2", "DOI"),
        ("igsn:AU0", "IGSN"),
        ("ark:/13030/tf5p30086k", "ARK"),
        ("see notes", "local"),
    ]
    assert r.warnings == [
        f"{PATH}/relation[5]: the form of 'see notes' does not say what identifier it is; kept as a local identifier"
    ]


def test_identifier_type_of_reads_the_table() -> None:
    assert dc_reader.identifier_type_of(" 20.500.11812/X ") == "Handle"
    assert dc_reader.identifier_type_of("10.58052/X") == "DOI"
    assert dc_reader.identifier_type_of("mailto:a@b") is None
