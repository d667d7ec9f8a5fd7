"""SPARQLWrapper, a real semantic-web client, against /sparql on a live server: SELECT, ASK, CONSTRUCT."""

from __future__ import annotations

from typing import Iterator

import pytest
from SPARQLWrapper import JSON, TURTLE, XML, SPARQLWrapper

from tests.conftest import demo_settings, live_server


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(demo_settings(tmp_path_factory.mktemp("sparqlwrapper"))) as base:
        yield base + "/sparql"


def test_select_json(endpoint: str) -> None:
    client = SPARQLWrapper(endpoint)
    client.setQuery(
        "PREFIX ig: <https://w3id.org/igsn-graph/ontology#> "
        "SELECT ?s ?i WHERE { ?s ig:igsn ?i ; ig:hasMetadata true } ORDER BY ?i LIMIT 5"
    )
    client.setReturnFormat(JSON)
    rows = client.queryAndConvert()["results"]["bindings"]  # type: ignore[index]
    assert len(rows) == 5 and [r["i"]["value"] for r in rows] == sorted(r["i"]["value"] for r in rows)


def test_ask_xml_and_post(endpoint: str) -> None:
    client = SPARQLWrapper(endpoint)
    client.setMethod("POST")
    client.setQuery("ASK { ?s <https://w3id.org/igsn-graph/ontology#igsn> ?o }")
    client.setReturnFormat(XML)
    doc = client.queryAndConvert()
    assert doc.getElementsByTagName("boolean")[0].firstChild.data == "true"  # type: ignore[union-attr]


def test_construct_turtle(endpoint: str) -> None:
    client = SPARQLWrapper(endpoint)
    # distinct solutions: over the union of graphs one agent IRI is typed in every sample graph naming it
    client.setQuery("CONSTRUCT { ?s a ?t } WHERE { SELECT DISTINCT ?s ?t WHERE { ?s a ?t } LIMIT 10 }")
    client.setReturnFormat(TURTLE)
    data = client.queryAndConvert()
    import rdflib

    assert len(rdflib.Graph().parse(data=data, format="turtle")) == 10


def test_update_is_refused(endpoint: str) -> None:
    from urllib.error import HTTPError

    client = SPARQLWrapper(endpoint, updateEndpoint=endpoint)
    client.setMethod("POST")
    client.setQuery("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    with pytest.raises(HTTPError) as info:
        client.query()
    assert info.value.code == 403
