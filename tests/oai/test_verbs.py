"""The six verbs over HTTP (TestClient): content, formats, sets, deletions, paging, tokens, POST, gzip.

Every response is checked against the OAI-PMH XSD with every payload schema (``OaiClient``).
"""

from __future__ import annotations

import gzip
from typing import Callable

import pytest
from lxml import etree

from igsn_graph.oai import index
from igsn_graph.registry.service import Registry

from .conftest import NS, OaiClient
from .samples import AGENT_P, ONE, OTHER_P, TWO, at, minimal, register, rich

# the provider behaves the same whichever graph store holds the samples
pytestmark = pytest.mark.both_stores

Start = Callable[..., OaiClient]
REPO = "test.igsn-graph.org"


def oai_id(name: str) -> str:
    return f"oai:{REPO}:{name}"


def headers(root: etree._Element) -> list[etree._Element]:
    return root.findall(".//o:header", NS)


def ids(root: etree._Element) -> list[str]:
    return [h.findtext("o:identifier", namespaces=NS) for h in headers(root)]  # type: ignore[misc]


def token_of(root: etree._Element) -> etree._Element | None:
    return root.find(".//o:resumptionToken", NS)


def harvest(client: OaiClient, verb: str = "ListIdentifiers", **args: str) -> tuple[list[str], list[etree._Element]]:
    """Follows tokens to the end: the identifiers and every resumptionToken element seen."""
    root = client.get(verb=verb, **args)
    found, tokens = ids(root), []
    while (tok := token_of(root)) is not None:
        tokens.append(tok)
        if not tok.text:
            break
        root = client.get(verb=verb, resumptionToken=tok.text)
        found += ids(root)
    return found, tokens


def populate(registry: Registry) -> None:
    register(registry, ONE, rich("ZTA0001"), rich("ZTA0002", doi="10.99990/ZTA0002"), minimal("ZTA0003"))
    register(registry, TWO, rich("ZTB0001"))
    register(registry, AGENT_P, rich("ZT0001"))
    register(registry, OTHER_P, rich("ZO0001"))


# -- Identify -------------------------------------------------------------------------------------
def test_identify(registry: Registry, start_oai: Start) -> None:
    populate(registry)
    client = start_oai()
    root = client.get(verb="Identify")
    ident = root.find("o:Identify", NS)
    assert ident is not None
    text = {child.tag.split("}")[1]: child.text for child in ident}
    assert text["baseURL"] == client.base_url == root.findtext("o:request", namespaces=NS)
    assert text["protocolVersion"] == "2.0" and text["deletedRecord"] == "persistent"
    assert text["granularity"] == "YYYY-MM-DDThh:mm:ssZ"
    assert "@" in text["adminEmail"]  # type: ignore[operator]
    assert [c.text for c in ident.iterfind("o:compression", NS)] == ["gzip"]
    rows = client.registry.db.read().execute("SELECT MIN(datestamp) FROM catalogue").fetchone()
    assert text["earliestDatestamp"] == rows[0]
    oid = ident.find("o:description/{http://www.openarchives.org/OAI/2.0/oai-identifier}oai-identifier", NS)
    assert oid is not None
    assert oid.findtext("{http://www.openarchives.org/OAI/2.0/oai-identifier}repositoryIdentifier") == REPO
    assert len(ident.findall("o:description", NS)) == 1


def test_identify_on_an_empty_repository(start_oai: Start) -> None:
    root = start_oai().get(verb="Identify")
    assert root.find("o:Identify/o:earliestDatestamp", NS) is not None


def test_earliest_datestamp_is_a_lower_bound_including_deletions(registry: Registry, start_oai: Start) -> None:
    populate(registry)
    registry.deactivate(ONE, "ZTA0001")
    client = start_oai()
    earliest = client.get(verb="Identify").findtext("o:Identify/o:earliestDatestamp", namespaces=NS)
    stamps = [
        h.findtext("o:datestamp", namespaces=NS)
        for h in headers(client.get(verb="ListIdentifiers", metadataPrefix="oai_dc"))
    ]
    assert stamps and all(s >= earliest for s in stamps)  # type: ignore[operator]
    # from=earliest returns everything (DOAJ#786)
    everything, _ = harvest(client, metadataPrefix="oai_dc")
    assert harvest(client, metadataPrefix="oai_dc", from_=earliest)[0] == everything  # type: ignore[arg-type]


# -- formats --------------------------------------------------------------------------------------
def test_list_metadata_formats(registry: Registry, start_oai: Start) -> None:
    populate(registry)
    client = start_oai()
    root = client.get(verb="ListMetadataFormats")
    formats = {
        f.findtext("o:metadataPrefix", namespaces=NS): (
            f.findtext("o:schema", namespaces=NS),
            f.findtext("o:metadataNamespace", namespaces=NS),
        )
        for f in root.iterfind(".//o:metadataFormat", NS)
    }
    assert formats == {
        "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", "http://www.openarchives.org/OAI/2.0/oai_dc/"),
        "igsn": (
            "http://doidb.wdc-terra.org/igsn/schemas/igsn.org/schema/1.0/igsn.xsd",
            "http://igsn.org/schema/kernel-v.1.0",
        ),
        "igsn_desc": (
            "https://raw.githubusercontent.com/IGSN/metadata/master/description/resource.xsd",
            "http://schema.igsn.org/description/1.1",
        ),
        "datacite": ("http://schema.datacite.org/meta/kernel-4/metadata.xsd", "http://datacite.org/schema/kernel-4"),
    }
    one = client.get(verb="ListMetadataFormats", identifier=oai_id("ZTA0001"))
    assert len(one.findall(".//o:metadataFormat", NS)) == 4
    assert one.find("o:request", NS).get("identifier") == oai_id("ZTA0001")  # type: ignore[union-attr]


def test_identifier_lookup_normalises_case_and_escapes(registry: Registry, start_oai: Start) -> None:
    populate(registry)
    client = start_oai()
    for written in (oai_id("zta0001"), oai_id("%5A%54A0001"), f"OAI:{REPO.upper()}:ZTA0001"):
        root = client.get(verb="GetRecord", identifier=written, metadataPrefix="oai_dc")
        assert ids(root) == [oai_id("ZTA0001")], written


def test_get_record_every_format_validates(registry: Registry, start_oai: Start) -> None:
    populate(registry)
    client = start_oai()
    for prefix, tag in (
        ("oai_dc", "oai_dc:dc"),
        ("igsn", "reg:sample"),
        ("igsn_desc", "desc:resource"),
        ("datacite", "dcite:resource"),
    ):
        for name in ("ZTA0001", "ZTA0002", "ZTA0003", "ZTB0001"):
            root = client.get(verb="GetRecord", identifier=oai_id(name), metadataPrefix=prefix)
            assert root.find(f"o:GetRecord/o:record/o:metadata/{tag}", NS) is not None, (prefix, name)


def test_oai_dc_follows_the_mapping_table(registry: Registry, start_oai: Start) -> None:
    populate(registry)
    client = start_oai()
    root = client.get(verb="GetRecord", identifier=oai_id("ZTA0002"), metadataPrefix="oai_dc")
    dc = root.find(".//oai_dc:dc", NS)
    assert dc is not None
    got: dict[str, list[str]] = {}
    for el in dc:
        got.setdefault(etree.QName(el).localname, []).append(el.text)  # type: ignore[arg-type]
    base = client.registry.settings.base_url
    iri = client.registry.iris.base
    assert iri != base  # the persistent IGSN URI, never the address the server answers on (issue 23)
    assert got["identifier"] == [iri + "ZTA0002", "https://doi.org/10.99990/ZTA0002"]
    assert got["title"] == ["Core section ZTA0002"]
    assert got["creator"] == ["Doe, Jane"]
    assert got["publisher"] == ["Smith, Ann"]
    assert got["date"] == ["2019-05-01/2019-05-03"]
    assert got["description"] == ["Half-round core section.", "Kept frozen."]
    assert got["format"] == ["http://vocabulary.odm2.org/medium/rock"]
    assert got["type"] == ["http://vocabulary.odm2.org/specimentype/core/"]
    assert got["subject"] == ["basalt"]
    assert got["relation"] == ["https://doi.org/10.5072/PAPER1", "https://example.org/data/1"]
    assert got["coverage"] == ["POINT(10.5 45.25)", "POLYGON((10 40, 12 40, 12 42, 10 42, 10 40))", "Alps"]
    assert not {"contributor", "language", "rights", "source"} & set(got)  # "not used" in the table


def test_datacite_identifier_and_mandatory_properties(registry: Registry, start_oai: Start) -> None:
    populate(registry)
    client = start_oai()
    with_doi = client.get(verb="GetRecord", identifier=oai_id("ZTA0002"), metadataPrefix="datacite")
    ident = with_doi.find(".//dcite:identifier", NS)
    assert ident is not None and ident.get("identifierType") == "DOI" and ident.text == "10.99990/ZTA0002"
    without = client.get(verb="GetRecord", identifier=oai_id("ZTA0003"), metadataPrefix="datacite")
    ident = without.find(".//dcite:identifier", NS)
    assert ident is not None and ident.get("identifierType") == "URL"
    assert ident.text == client.registry.iris.base + "ZTA0003"  # the persistent IRI, not the public URL
    assert without.findtext(".//dcite:creators/dcite:creator/dcite:creatorName", namespaces=NS) == "Client One"
    assert without.find(".//dcite:resourceType", NS).get("resourceTypeGeneral") == "PhysicalObject"  # type: ignore
    assert without.findtext(".//dcite:alternateIdentifier[@alternateIdentifierType='IGSN']", namespaces=NS) == "ZTA0003"
    rich_one = client.get(verb="GetRecord", identifier=oai_id("ZTA0001"), metadataPrefix="datacite")
    assert rich_one.findtext(".//dcite:publicationYear", namespaces=NS) == "2015"
    assert rich_one.find(".//dcite:geoLocationPoint", NS) is not None
    assert rich_one.find(".//dcite:geoLocationBox", NS) is not None


def test_registration_kernel_gets_a_registered_event(registry: Registry, start_oai: Start) -> None:
    register(registry, ONE, minimal("ZTA0009"))
    client = start_oai()
    root = client.get(verb="GetRecord", identifier=oai_id("ZTA0009"), metadataPrefix="igsn")
    event = root.find(".//reg:log/reg:logElement", NS)
    assert event is not None and event.get("event") == "registered"
    assert root.findtext(".//reg:sampleNumber", namespaces=NS) == "10273/ZTA0009"


def test_characters_xml_cannot_carry_never_break_a_response(registry: Registry, start_oai: Start) -> None:
    # the text policy refuses them at every write surface; a registry written before it may hold them
    from dataclasses import replace

    from igsn_graph.record import Agent
    from tests.reliability.raw_text import store_raw

    store_raw(
        registry,
        replace(
            rich("ZTA0010", name="Bad \x01name\x1f", comments="tab\tok \x0b"),
            registrant=Agent("Client One", kind="Organization"),
        ),
    )
    client = start_oai()
    for prefix in ("oai_dc", "igsn", "igsn_desc", "datacite"):
        root = client.get(verb="ListRecords", metadataPrefix=prefix)
        assert ids(root) == [oai_id("ZTA0010")]
    title = client.get(verb="GetRecord", identifier=oai_id("ZTA0010"), metadataPrefix="oai_dc").findtext(
        ".//dc:title", namespaces=NS
    )
    assert title == "Bad name"


def test_an_item_without_metadata_has_no_formats(registry: Registry, start_oai: Start) -> None:
    registry.mint(ONE, "ZTA0100", "https://example.org/s/100")
    register(registry, ONE, rich("ZTA0001"))
    client = start_oai()
    root = client.get(verb="ListMetadataFormats", identifier=oai_id("ZTA0100"))
    assert client.error_codes(root) == ["noMetadataFormats"]
    root = client.get(verb="GetRecord", identifier=oai_id("ZTA0100"), metadataPrefix="oai_dc")
    assert client.error_codes(root) == ["cannotDisseminateFormat"]
    assert harvest(client, metadataPrefix="oai_dc")[0] == [oai_id("ZTA0001")]
    # the metadata arrives: the item enters the lists with that datestamp
    register(client.registry, ONE, rich("ZTA0100"))
    assert sorted(harvest(client, metadataPrefix="oai_dc")[0]) == [oai_id("ZTA0001"), oai_id("ZTA0100")]


def test_test_registrations_are_never_harvested(registry: Registry, start_oai: Start) -> None:
    register(registry, ONE, rich("ZTA0001"), rich("TEST/ZTA1"))
    client = start_oai()
    assert harvest(client, metadataPrefix="oai_dc")[0] == [oai_id("ZTA0001")]
    root = client.get(verb="GetRecord", identifier=oai_id("TEST/ZTA1"), metadataPrefix="oai_dc")
    assert client.error_codes(root) == ["idDoesNotExist"]


# -- sets -----------------------------------------------------------------------------------------
def test_list_sets(registry: Registry, start_oai: Start) -> None:
    client = start_oai(page_size=50)
    root = client.get(verb="ListSets")
    specs = [s.findtext("o:setSpec", namespaces=NS) for s in root.iterfind(".//o:set", NS)]
    assert specs == [
        "ZOTHER",
        "ZTEST",
        "ZTEST:ZTEST.ONE",
        "ZTEST:ZTEST.TWO",
        "ns",
        "ns:ZO",
        "ns:ZT",
        "ns:ZTA",
        "ns:ZTB",
    ]
    names = {
        s.findtext("o:setSpec", namespaces=NS): s.findtext("o:setName", namespaces=NS)
        for s in root.iterfind(".//o:set", NS)
    }
    assert names["ZTEST:ZTEST.ONE"] == "Client One" and names["ZTEST"] == "Test Agent"


def test_list_sets_pages_with_tokens(registry: Registry, start_oai: Start) -> None:
    client = start_oai(page_size=4)
    root = client.get(verb="ListSets")
    specs = [s.findtext("o:setSpec", namespaces=NS) for s in root.iterfind(".//o:set", NS)]
    while (tok := token_of(root)) is not None and tok.text:
        assert tok.get("completeListSize") == "9"
        root = client.get(verb="ListSets", resumptionToken=tok.text)
        specs += [s.findtext("o:setSpec", namespaces=NS) for s in root.iterfind(".//o:set", NS)]
    assert len(specs) == 9 == len(set(specs))
    assert token_of(root) is not None and token_of(root).get("cursor") == "8"  # type: ignore[union-attr]


def test_headers_carry_set_memberships(registry: Registry, start_oai: Start) -> None:
    """The client set (its agent's is its parent) and every namespace set: ns:ZT holds ZTA's samples too."""
    populate(registry)
    client = start_oai()
    root = client.get(verb="GetRecord", identifier=oai_id("ZTA0001"), metadataPrefix="oai_dc")
    assert [s.text for s in root.iterfind(".//o:header/o:setSpec", NS)] == ["ZTEST:ZTEST.ONE", "ns:ZT", "ns:ZTA"]
    root = client.get(verb="GetRecord", identifier=oai_id("ZT0001"), metadataPrefix="oai_dc")
    assert [s.text for s in root.iterfind(".//o:header/o:setSpec", NS)] == ["ZTEST", "ns:ZT"]
    root = client.get(verb="ListIdentifiers", metadataPrefix="oai_dc", set="ns:ZT")
    for header in root.iterfind(".//o:header", NS):
        assert "ns:ZT" in [s.text for s in header.iterfind("o:setSpec", NS)]


def test_a_set_selects_its_descendants(registry: Registry, start_oai: Start) -> None:
    populate(registry)
    client = start_oai()
    agent = sorted(harvest(client, metadataPrefix="oai_dc", set="ZTEST")[0])
    assert agent == [oai_id(n) for n in ("ZT0001", "ZTA0001", "ZTA0002", "ZTA0003", "ZTB0001")]
    assert sorted(harvest(client, metadataPrefix="oai_dc", set="ZTEST:ZTEST.ONE")[0]) == [
        oai_id(n) for n in ("ZTA0001", "ZTA0002", "ZTA0003")
    ]
    assert harvest(client, metadataPrefix="oai_dc", set="ns:ZTB")[0] == [oai_id("ZTB0001")]
    assert len(harvest(client, metadataPrefix="oai_dc", set="ns")[0]) == 6
    # a namespace set holds every sample whose namespace starts with it: the agent's, its clients' too
    assert sorted(harvest(client, metadataPrefix="oai_dc", set="ns:ZT")[0]) == agent
    assert harvest(client, metadataPrefix="oai_dc", set="ns:ZO")[0] == [oai_id("ZO0001")]
    # a namespace nobody registered is no set, even when registered ones start with it
    root = client.get(verb="ListIdentifiers", metadataPrefix="oai_dc", set="ns:Z")
    assert client.error_codes(root) == ["noRecordsMatch"]
    root = client.get(verb="ListIdentifiers", metadataPrefix="oai_dc", set="ZOTHER:ZTEST.ONE")
    assert client.error_codes(root) == ["noRecordsMatch"]


# -- deletions --------------------------------------------------------------------------------------
@pytest.mark.both_databases
def test_deactivation_is_a_persistent_deletion_with_sets(registry: Registry, start_oai: Start) -> None:
    populate(registry)
    at(registry, "2090-01-01T00:00:00Z")
    registry.deactivate(ONE, "ZTA0001")
    client = start_oai()
    root = client.get(verb="GetRecord", identifier=oai_id("ZTA0001"), metadataPrefix="datacite")
    header = root.find(".//o:header", NS)
    assert header is not None and header.get("status") == "deleted"
    assert header.findtext("o:datestamp", namespaces=NS) == "2090-01-01T00:00:00Z"
    assert root.find(".//o:metadata", NS) is None
    # in set-restricted harvests too, in ListRecords and ListIdentifiers, in every format
    for verb in ("ListRecords", "ListIdentifiers"):
        for prefix in ("oai_dc", "igsn"):
            root = client.get(verb=verb, metadataPrefix=prefix, set="ZTEST:ZTEST.ONE", from_="2090-01-01")
            assert [(h.findtext("o:identifier", namespaces=NS), h.get("status")) for h in headers(root)] == [
                (oai_id("ZTA0001"), "deleted")
            ]
    assert (
        len(client.get(verb="ListMetadataFormats", identifier=oai_id("ZTA0001")).findall(".//o:metadataFormat", NS))
        == 4
    )
    # reactivation brings the record back with a new datestamp
    at(client.registry, "2090-01-02T00:00:00Z")
    client.registry.reactivate(ONE, "ZTA0001")
    root = client.get(verb="ListRecords", metadataPrefix="oai_dc", from_="2090-01-02")
    assert ids(root) == [oai_id("ZTA0001")] and headers(root)[0].get("status") is None
    assert root.find(".//o:metadata/oai_dc:dc", NS) is not None


def test_a_private_sample_is_a_deleted_record(registry: Registry, start_oai: Start) -> None:
    register(registry, ONE, rich("ZTA0001", is_public=False), rich("ZTA0002"))
    client = start_oai()
    root = client.get(verb="ListRecords", metadataPrefix="igsn_desc")
    status = {h.findtext("o:identifier", namespaces=NS): h.get("status") for h in headers(root)}
    assert status == {oai_id("ZTA0001"): "deleted", oai_id("ZTA0002"): None}
    assert b"Core section ZTA0001" not in client.responses[-1]


def test_deprecated_and_destroyed_samples_stay_records(registry: Registry, start_oai: Start) -> None:
    populate(registry)
    registry.deprecate(ONE, "ZTA0001")
    registry.destroy(ONE, "ZTA0002")
    client = start_oai()
    root = client.get(verb="ListRecords", metadataPrefix="oai_dc", set="ZTEST:ZTEST.ONE")
    assert all(h.get("status") is None for h in headers(root)) and len(headers(root)) == 3


def test_an_update_bumps_the_datestamp_and_the_content(registry: Registry, start_oai: Start) -> None:
    register(registry, ONE, rich("ZTA0001"))
    client = start_oai()
    before = client.get(verb="GetRecord", identifier=oai_id("ZTA0001"), metadataPrefix="oai_dc")
    at(client.registry, "2090-02-01T00:00:00Z")
    register(client.registry, ONE, rich("ZTA0001", name="Renamed"))
    after = client.get(verb="GetRecord", identifier=oai_id("ZTA0001"), metadataPrefix="oai_dc")
    assert before.findtext(".//dc:title", namespaces=NS) == "Core section ZTA0001"
    assert after.findtext(".//dc:title", namespaces=NS) == "Renamed"
    assert after.findtext(".//o:header/o:datestamp", namespaces=NS) == "2090-02-01T00:00:00Z"


# -- paging and tokens ------------------------------------------------------------------------------
def populate_many(registry: Registry, n: int = 12) -> list[str]:
    names = [f"ZTA{i:04d}" for i in range(n)]
    register(registry, ONE, *(rich(name) for name in names))
    return names


@pytest.mark.both_databases
def test_paging_cursor_size_and_the_empty_final_token(registry: Registry, start_oai: Start) -> None:
    names = populate_many(registry, 12)
    client = start_oai(page_size=5)
    found, tokens = harvest(client, "ListRecords", metadataPrefix="oai_dc")
    assert sorted(found) == [oai_id(n) for n in names] and len(found) == 12
    assert [(t.get("cursor"), t.get("completeListSize")) for t in tokens] == [("0", "12"), ("5", "12"), ("10", "12")]
    assert [bool(t.text) for t in tokens] == [True, True, False]
    assert tokens[0].get("expirationDate") and tokens[-1].get("expirationDate") is None
    # the token is opaque base64url: nothing a form decoder could mangle
    assert set(tokens[0].text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def test_a_complete_first_page_ends_with_an_empty_token(registry: Registry, start_oai: Start) -> None:
    populate_many(registry, 5)
    client = start_oai(page_size=5)
    root = client.get(verb="ListIdentifiers", metadataPrefix="oai_dc")
    tok = token_of(root)
    assert tok is not None and not tok.text and tok.get("completeListSize") == "5" and tok.get("cursor") == "0"


@pytest.mark.both_databases
def test_reissuing_the_latest_and_the_previous_token_gives_the_same_page(registry: Registry, start_oai: Start) -> None:
    populate_many(registry, 12)
    client = start_oai(page_size=5)
    first = client.get(verb="ListRecords", metadataPrefix="igsn")
    t1 = token_of(first).text  # type: ignore[union-attr]
    second = client.get(verb="ListRecords", resumptionToken=t1)
    t2 = token_of(second).text  # type: ignore[union-attr]
    third = client.get(verb="ListRecords", resumptionToken=t2)
    assert ids(client.get(verb="ListRecords", resumptionToken=t2)) == ids(third)
    assert ids(client.get(verb="ListRecords", resumptionToken=t1)) == ids(second)
    assert client.get(verb="ListRecords", resumptionToken=t1).find("o:request", NS).attrib == {  # type: ignore
        "verb": "ListRecords",
        "resumptionToken": t1,
    }


def test_until_is_pinned_to_the_first_response(registry: Registry, start_oai: Start) -> None:
    names = populate_many(registry, 12)
    client = start_oai(page_size=5)
    first = client.get(verb="ListIdentifiers", metadataPrefix="oai_dc")
    seen = ids(first)
    # during the harvest: a new sample, an update of one already seen and of one not yet seen
    at(client.registry, "2090-03-01T00:00:00Z")
    register(client.registry, ONE, rich("ZTA0500"), rich(names[0], name="x"), rich(names[-1], name="y"))
    root = first
    while (tok := token_of(root)) is not None and tok.text:
        root = client.get(verb="ListIdentifiers", resumptionToken=tok.text)
        seen += ids(root)
    unchanged = {oai_id(n) for n in names[1:-1]}
    assert unchanged <= set(seen)  # no unchanged record missed
    assert oai_id("ZTA0500") not in seen  # changes wait for the next incremental harvest
    later = harvest(client, metadataPrefix="oai_dc", from_="2090-03-01T00:00:00Z")[0]
    assert sorted(later) == sorted(oai_id(n) for n in ("ZTA0500", names[0], names[-1]))


def test_from_and_until_are_inclusive_and_a_day_until_covers_the_day(registry: Registry, start_oai: Start) -> None:
    for i, stamp in enumerate(
        ("2090-05-01T00:00:00Z", "2090-05-01T12:00:00Z", "2090-05-01T23:59:59Z", "2090-05-02T00:00:00Z")
    ):
        at(registry, stamp)
        register(registry, ONE, rich(f"ZTA{i:04d}"))
    client = start_oai()

    def names(**kw: str) -> list[str]:
        root = client.get(verb="ListIdentifiers", metadataPrefix="oai_dc", **kw)
        return [i.rsplit(":", 1)[1] for i in ids(root)] if not client.error_codes(root) else []

    assert names(from_="2090-05-01T12:00:00Z", until="2090-05-01T23:59:59Z") == ["ZTA0001", "ZTA0002"]
    assert names(from_="2090-05-01", until="2090-05-01") == ["ZTA0000", "ZTA0001", "ZTA0002"]
    assert names(until="2090-05-01") == ["ZTA0000", "ZTA0001", "ZTA0002"]
    assert names(from_="2090-05-02") == ["ZTA0003"]
    assert names(from_="2090-05-01T12:00:00Z", until="2090-05-01T12:00:00Z") == ["ZTA0001"]  # from = until


@pytest.mark.sqlite_only("reads SQLite's EXPLAIN QUERY PLAN")
def test_page_queries_use_the_ordered_indexes(registry: Registry) -> None:
    """Constant cost per page: every page query is an index range scan, never a sort or a full scan."""
    from igsn_graph.oai.sets import SetFilter

    conn = registry.db.read()
    positions: list[tuple[str | None, str | None, tuple[str, str] | None]] = [
        (None, "2090-01-01T00:00:00Z", ("2020-01-01T00:00:00Z", "X")),  # a resumption token's page
        ("2020-01-01T00:00:00Z", None, None),  # a first page from a date
        ("2020-01-01T00:00:00Z", "2090-01-01T00:00:00Z", None),
    ]
    for flt in (
        SetFilter(),
        SetFilter(agent="ZTEST"),
        SetFilter(agent="ZTEST", client="ZTEST.ONE"),
        SetFilter(namespace="ZTA"),
    ):
        for from_, until, after in positions:
            where, args = index._where(flt, from_, until, after)
            plan = " ".join(
                str(r[3])
                for r in conn.execute(
                    f"EXPLAIN QUERY PLAN SELECT * FROM catalogue{where} ORDER BY datestamp, igsn LIMIT 5", args
                )
            )
            assert "USING INDEX" in plan and "TEMP B-TREE" not in plan and "SCAN" not in plan, plan


# -- HTTP ---------------------------------------------------------------------------------------------
def test_post_equals_get(registry: Registry, start_oai: Start) -> None:
    populate(registry)
    client = start_oai()
    got = client.get(verb="GetRecord", identifier=oai_id("ZTA0001"), metadataPrefix="oai_dc")
    posted = client.post(f"verb=GetRecord&identifier=oai%3A{REPO}%3AZTA0001&metadataPrefix=oai_dc")
    strip = lambda root: etree.tostring(root.find("o:GetRecord", NS))  # noqa: E731
    assert strip(got) == strip(posted)
    assert posted.find("o:request", NS).attrib == {  # type: ignore[union-attr]
        "verb": "GetRecord",
        "identifier": oai_id("ZTA0001"),
        "metadataPrefix": "oai_dc",
    }
    assert client.post("verb=Identify").find("o:Identify", NS) is not None


def test_post_follows_tokens(registry: Registry, start_oai: Start) -> None:
    populate_many(registry, 7)
    client = start_oai(page_size=5)
    root = client.post("verb=ListIdentifiers&metadataPrefix=oai_dc")
    tok = token_of(root)
    assert tok is not None and tok.text
    assert len(ids(client.post("verb=ListIdentifiers&resumptionToken=" + tok.text))) == 2


def test_gzip_only_when_offered(registry: Registry, start_oai: Start) -> None:
    populate(registry)
    client = start_oai()
    zipped = client.http.get("/oai?verb=ListRecords&metadataPrefix=oai_dc", headers={"accept-encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    plain = client.http.get("/oai?verb=ListRecords&metadataPrefix=oai_dc", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    refused = client.http.get("/oai?verb=Identify", headers={"accept-encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers
    with client.http.stream("GET", "/oai?verb=Identify", headers={"accept-encoding": "gzip"}) as raw:
        wire = b"".join(raw.iter_raw())
    assert gzip.decompress(wire).startswith(b'<?xml version="1.0" encoding="UTF-8"?>')


def test_metadata_cache_serves_the_stored_version(registry: Registry, start_oai: Start) -> None:
    register(registry, ONE, rich("ZTA0001"))
    client = start_oai()
    first = client.get(verb="GetRecord", identifier=oai_id("ZTA0001"), metadataPrefix="datacite")
    again = client.get(verb="GetRecord", identifier=oai_id("ZTA0001"), metadataPrefix="datacite")
    strip = lambda root: etree.tostring(root.find("o:GetRecord", NS))  # noqa: E731
    assert strip(first) == strip(again)
    cache = client.registry.settings.data_dir / "oai-cache.sqlite"
    assert cache.exists()


def test_response_date_stays_before_a_write_not_yet_visible(start_oai: Start) -> None:
    """A write under way has reserved its datestamp: harvesters are told a time before it, so that one
    continuing from the responseDate still gets the record once it is visible."""
    client = start_oai()
    journal = client.registry.journal
    stamp = journal.reserve()  # a write between stamping and becoming visible
    try:
        root = client.get(verb="Identify")
        date = root.findtext("o:responseDate", namespaces=NS)
        assert date is not None and date < stamp
    finally:
        journal.release()
    assert journal.inflight() is None
    root = client.get(verb="Identify")
    assert root.findtext("o:responseDate", namespaces=NS) >= stamp[:17]  # type: ignore[operator]
