"""The `datacite` package's DataCiteRESTClient, unchanged, against a live server: its whole method set (draft_doi,
public_doi, private_doi, update_doi, update_url, hide_doi, show_doi, get_doi, get_metadata, delete_doi,
check_doi) through the lifecycle draft → registered ↔ findable; our refusals surface as its exceptions."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from datacite import DataCiteRESTClient, schema45
from datacite.errors import (
    DataCiteBadRequestError,
    DataCiteForbiddenError,
    DataCiteNotFoundError,
    DataCiteUnauthorizedError,
)

from igsn_graph.xmlparser import parse_xml
from tests.conftest import AGENT, CLIENT_ONE, OTHER, fresh_settings, live_server

PREFIX = "10.99990"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(fresh_settings(tmp_path_factory.mktemp("datacite-rest"))) as base:
        yield base


def rest(base_url: str, who: tuple[str, str] = CLIENT_ONE, prefix: str = PREFIX) -> DataCiteRESTClient:
    return DataCiteRESTClient(username=who[0], password=who[1], prefix=prefix, url=base_url, timeout=30)


def metadata(title: str = "Bohrkern 7, Hälfte", general: str = "PhysicalObject") -> dict[str, Any]:
    """DataCite JSON as InvenioRDM sends it (and as the client's schema45 module validates it)."""
    data: dict[str, Any] = {
        "creators": [
            {
                "name": "Doe, Jane",
                "nameType": "Personal",
                "givenName": "Jane",
                "familyName": "Doe",
                "nameIdentifiers": [
                    {
                        "nameIdentifier": "https://orcid.org/0000-0002-1825-0097",
                        "nameIdentifierScheme": "ORCID",
                        "schemeUri": "https://orcid.org",
                    }
                ],
                "affiliation": [{"name": "Example University"}],
            }
        ],
        "titles": [{"title": title}],
        "publisher": {"name": "Core Repository"},
        "publicationYear": "2024",
        "types": {"resourceTypeGeneral": general, "resourceType": "Core"},
        "subjects": [
            {"subject": "Rock", "subjectScheme": "material", "valueUri": "http://vocabulary.odm2.org/medium/rock"}
        ],
        "relatedIdentifiers": [
            {"relatedIdentifier": "10.1234/paper", "relatedIdentifierType": "DOI", "relationType": "IsCitedBy"}
        ],
        "geoLocations": [
            {"geoLocationPlace": "Tasmania", "geoLocationPoint": {"pointLongitude": 147.32, "pointLatitude": -42.88}}
        ],
        "schemaVersion": "http://datacite.org/schema/kernel-4",
    }
    assert schema45.validate({**data, "doi": f"{PREFIX}/X"})
    return data


def test_check_doi_is_the_clients_own(base_url: str) -> None:
    client = rest(base_url)
    assert client.check_doi("ZTA0001") == f"{PREFIX}/ZTA0001"
    with pytest.raises(ValueError, match="Wrong DOI 10.5072 prefix"):
        client.check_doi("10.5072/ZTA0001")


def test_draft_then_publish_hide_show(base_url: str) -> None:
    client = rest(base_url)
    doi = client.draft_doi(doi=f"{PREFIX}/ZTA0101")
    assert doi == f"{PREFIX}/zta0101"  # DataCite's ids are lower-cased DOIs
    meta = client.get_metadata(doi)
    assert meta["state"] == "draft" and meta["url"] is None
    # a draft resolves nowhere and is not for other parties
    assert httpx.get(f"{base_url}/ZTA0101").status_code == 404
    with pytest.raises(DataCiteNotFoundError):
        rest(base_url, OTHER).get_metadata(doi)
    assert client.update_url(doi, "https://example.org/101") == "https://example.org/101"
    assert client.get_doi(doi) == "https://example.org/101"
    # publish: the draft's url and the metadata given now make a findable sample
    attributes = client.update_doi(doi, {**metadata(), "event": "publish"})
    assert attributes["state"] == "findable" and attributes["url"] == "https://example.org/101"
    assert httpx.get(f"{base_url}/ZTA0101", headers={"Accept": "application/json"}).status_code == 200
    assert client.hide_doi(doi)["state"] == "registered"
    assert client.show_doi(doi)["state"] == "findable"
    meta = client.get_metadata(doi)
    assert meta["titles"][0]["title"] == "Bohrkern 7, Hälfte"
    assert meta["types"]["resourceTypeGeneral"] == "PhysicalObject"
    # the writer gives the place and the point a geoLocation each
    assert {"geoLocationPoint": {"pointLongitude": 147.32, "pointLatitude": -42.88}} in meta["geoLocations"]
    assert {"geoLocationPlace": "Tasmania"} in meta["geoLocations"]
    assert {"relatedIdentifier": "10.1234/paper", "relatedIdentifierType": "DOI", "relationType": "IsCitedBy"} in meta[
        "relatedIdentifiers"
    ]
    root = parse_xml(base64.b64decode(meta["xml"]))
    assert root.findtext("{http://datacite.org/schema/kernel-4}identifier") == f"{PREFIX}/ZTA0101"
    # a registered DOI is not deleted
    with pytest.raises(Exception) as caught:
        client.delete_doi(doi)
    assert "only draft DOIs can be deleted" in str(caught.value)


def test_public_and_private_doi(base_url: str) -> None:
    client = rest(base_url)
    doi = client.public_doi(metadata("Public core"), "https://example.org/201", doi="ZTA0201")
    assert doi == f"{PREFIX}/zta0201"
    assert client.get_metadata(doi)["state"] == "findable"
    private = client.private_doi(metadata("Private core"), "https://example.org/202", doi=f"{PREFIX}/ZTA0202")
    assert client.get_metadata(private)["state"] == "registered"
    assert client.get_doi(private) == "https://example.org/202"
    # registered: resolves for its owner's API, not in the public DOI list, not shown to others
    with pytest.raises(DataCiteNotFoundError):
        rest(base_url, OTHER).get_doi(private)
    listed = httpx.get(f"{base_url}/dois", params={"page[size]": 1000}).json()["data"]
    ids = {d["id"] for d in listed}
    assert doi in ids and private not in ids
    # the agent's credentials cover its client's DOIs
    assert rest(base_url, AGENT).update_url(private, "https://example.org/202b") == "https://example.org/202b"
    assert (
        client.update_doi(private, metadata("Private core, renamed"))["titles"][0]["title"] == "Private core, renamed"
    )
    assert client.get_metadata(private)["state"] == "registered"  # an update keeps the state


def test_generated_suffix_and_delete_draft(base_url: str) -> None:
    client = rest(base_url)
    doi = client.draft_doi(metadata("Draft core"))
    assert doi.startswith(f"{PREFIX}/zta") and len(doi) == len(f"{PREFIX}/zta") + 8
    assert client.get_metadata(doi)["titles"] == [{"title": "Draft core"}]
    client.delete_doi(doi)
    with pytest.raises(DataCiteNotFoundError):
        client.get_metadata(doi)


def test_errors_are_the_clients_exceptions(base_url: str) -> None:
    client = rest(base_url)
    with pytest.raises(DataCiteUnauthorizedError):
        rest(base_url, (CLIENT_ONE[0], "wrong")).draft_doi(doi=f"{PREFIX}/ZTA0301")
    with pytest.raises(DataCiteNotFoundError):
        client.get_doi(f"{PREFIX}/ZTA0404")
    with pytest.raises(DataCiteNotFoundError):
        client.delete_doi(f"{PREFIX}/ZTA0404")
    with pytest.raises(DataCiteBadRequestError, match="resourceTypeGeneral must be PhysicalObject"):
        client.public_doi(metadata(general="Dataset"), "https://example.org/302", doi=f"{PREFIX}/ZTA0302")
    with pytest.raises(DataCiteForbiddenError, match="domain of URL is not allowed"):
        client.public_doi(metadata(), "https://evil.net/303", doi=f"{PREFIX}/ZTA0303")
    with pytest.raises(DataCiteForbiddenError, match="namespace ZTA"):
        rest(base_url, OTHER).draft_doi(doi=f"{PREFIX}/ZTA0304")
    client.draft_doi(doi=f"{PREFIX}/ZTA0305")
    with pytest.raises(DataCiteForbiddenError, match="belongs to another party"):
        rest(base_url, OTHER).delete_doi(f"{PREFIX}/ZTA0305")
    with pytest.raises(Exception, match="already been taken"):
        client.draft_doi(doi=f"{PREFIX}/ZTA0305")
