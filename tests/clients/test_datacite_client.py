"""The `datacite` package's DataCiteMDSClient, unchanged, against a live server: IGSN IDs registered the
DataCite way (metadata first, then the DOI), read back, deactivated; our errors surface as its exceptions."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from datacite import DataCiteMDSClient, schema45
from datacite.errors import (
    DataCiteBadRequestError,
    DataCiteForbiddenError,
    DataCiteGoneError,
    DataCiteNoContentError,
    DataCiteNotFoundError,
    DataCiteUnauthorizedError,
)

from tests.conftest import AGENT, CLIENT_ONE, CLIENT_TWO, OTHER, fresh_settings, live_server

PREFIX = "10.99990"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(fresh_settings(tmp_path_factory.mktemp("datacite"))) as base:
        yield base


def mds(base_url: str, who: tuple[str, str] = CLIENT_ONE, prefix: str = PREFIX) -> DataCiteMDSClient:
    return DataCiteMDSClient(username=who[0], password=who[1], prefix=prefix, url=base_url, timeout=30)


def metadata(doi: str, general: str = "PhysicalObject") -> str:
    """DataCite XML as the client's own schema45 module builds it from DataCite JSON."""
    data: dict[str, Any] = {
        "doi": doi,
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
                "affiliation": [
                    {
                        "name": "Example University",
                        "affiliationIdentifier": "https://ror.org/04wxnsj81",
                        "affiliationIdentifierScheme": "ROR",
                    }
                ],
            }
        ],
        "titles": [{"title": "Bohrkern 7, Hälfte"}],
        "publisher": {"name": "Core Repository"},
        "publicationYear": "2024",
        "types": {"resourceTypeGeneral": general, "resourceType": "Core"},
        "subjects": [
            {"subject": "Rock", "subjectScheme": "material", "valueUri": "http://vocabulary.odm2.org/medium/rock"}
        ],
        "dates": [{"date": "2023-05-01/2023-05-03", "dateType": "Collected"}],
        "relatedIdentifiers": [
            {"relatedIdentifier": "10.1234/paper", "relatedIdentifierType": "DOI", "relationType": "IsCitedBy"}
        ],
        "geoLocations": [
            {"geoLocationPlace": "Tasmania", "geoLocationPoint": {"pointLongitude": 147.32, "pointLatitude": -42.88}}
        ],
        "schemaVersion": "http://datacite.org/schema/kernel-4",
    }
    # DataCite's JSON schema knows DOIs only: a handle-form IGSN is not one, the XML is built all the same
    assert schema45.validate(data) == doi.startswith("10.")
    return schema45.tostring(data)


def test_register_read_and_deactivate_the_datacite_way(base_url: str) -> None:
    client = mds(base_url)
    doi, url = f"{PREFIX}/ZTA0001", "https://example.org/samples/1"
    document = metadata(doi)
    assert client.metadata_post(document) == f"OK ({doi})"
    with pytest.raises(DataCiteNoContentError):  # known, not resolvable until the DOI is minted
        client.doi_get(doi)
    assert client.doi_post(doi, url) == "OK"
    assert client.doi_get(doi) == url
    assert client.doi_get(doi.lower()) == url
    assert client.metadata_get(doi) == document  # as submitted
    # the agent's credentials cover its client's DOIs
    agent = mds(base_url, AGENT)
    assert agent.doi_get(doi) == url
    assert agent.doi_post(doi, "https://example.org/samples/1b") == "OK"
    assert client.doi_get(doi) == "https://example.org/samples/1b"
    assert client.metadata_delete(doi) == "OK"
    with pytest.raises(DataCiteGoneError):
        client.doi_get(doi)
    with pytest.raises(DataCiteGoneError):
        client.metadata_get(doi)
    # posting metadata again reactivates
    assert client.metadata_post(document) == f"OK ({doi})"
    assert client.doi_get(doi) == "https://example.org/samples/1b"


def test_handle_form_igsn(base_url: str) -> None:
    client = mds(base_url, CLIENT_TWO, prefix="10273")
    assert client.doi_post("10273/ZTB0001", "https://anywhere.net/1") == "OK"
    assert client.doi_get("10273/ZTB0001") == "https://anywhere.net/1"
    assert client.metadata_post(metadata("10273/ZTB0001")) == "OK (10273/ZTB0001)"


def test_errors_are_the_clients_exceptions(base_url: str) -> None:
    client = mds(base_url)
    with pytest.raises(DataCiteUnauthorizedError, match="not logged in"):
        mds(base_url, (CLIENT_ONE[0], "wrong")).doi_get(f"{PREFIX}/ZTA0001")
    with pytest.raises(DataCiteNotFoundError, match="DOI not found"):
        client.doi_get(f"{PREFIX}/ZTA0404")
    with pytest.raises(DataCiteNotFoundError, match="IGSN is unknown to MDS"):
        client.metadata_get(f"{PREFIX}/ZTA0404")
    with pytest.raises(DataCiteNotFoundError, match="IGSN doesn't exist"):
        client.metadata_delete(f"{PREFIX}/ZTA0404")
    with pytest.raises(DataCiteBadRequestError, match="resourceTypeGeneral must be PhysicalObject"):
        client.metadata_post(metadata(f"{PREFIX}/ZTA0002", general="Dataset"))
    with pytest.raises(DataCiteBadRequestError, match="IGSN prefix is not allowed: unknown DOI prefix 10.5072"):
        client.metadata_post(metadata("10.5072/ZTA0002"))
    with pytest.raises(DataCiteBadRequestError, match="domain of URL is not allowed"):
        client.doi_post(f"{PREFIX}/ZTA0002", "https://evil.net/2")
    with pytest.raises(DataCiteBadRequestError, match="DOI prefix 10.99990 does not belong to the owner of ZO0002"):
        mds(base_url, OTHER).doi_post(f"{PREFIX}/ZO0002", "https://other.net/2")
    # another party's sample
    assert client.doi_post(f"{PREFIX}/ZTA0003", "https://example.org/3") == "OK"
    other = mds(base_url, OTHER)
    with pytest.raises(DataCiteForbiddenError, match="belongs to another party"):
        other.doi_get(f"{PREFIX}/ZTA0003")
    with pytest.raises(DataCiteForbiddenError, match="belongs to another party"):
        other.metadata_delete(f"{PREFIX}/ZTA0003")
    assert client.doi_get(f"{PREFIX}/ZTA0003") == "https://example.org/3"


def test_quota_is_forbidden(base_url: str) -> None:
    client = mds(base_url, CLIENT_TWO, prefix="10273")
    for n in (1, 2):  # create-or-update: ZTEST.TWO holds two IGSNs afterwards, whatever ran before
        assert client.doi_post(f"10273/ZTB000{n}", f"https://anywhere.net/{n}") == "OK"
    with pytest.raises(DataCiteForbiddenError, match="datacentre quota exceeded: ZTEST.TWO"):
        client.doi_post("10273/ZTB0003", "https://anywhere.net/3")
    with pytest.raises(DataCiteForbiddenError, match="datacentre quota exceeded: ZTEST.TWO"):
        client.metadata_post(metadata("10273/ZTB0003"))
