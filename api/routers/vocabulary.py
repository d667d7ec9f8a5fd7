"""/ontology and /context.jsonld: our ontology (Turtle or other RDF by Accept) and the bundled JSON-LD context."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pyoxigraph import RdfFormat, parse, serialize

from igsn_graph import conneg
from igsn_graph.formats.rdf import bundled_context
from igsn_graph.resources import ontology_dir

router = APIRouter(tags=["vocabulary"])

_FORMATS = {
    "text/turtle": RdfFormat.TURTLE,
    "application/rdf+xml": RdfFormat.RDF_XML,
    "application/n-triples": RdfFormat.N_TRIPLES,
    "application/ld+json": RdfFormat.JSON_LD,
}


@router.get("/ontology", summary="The igsn-graph ontology", response_class=Response)
def ontology(request: Request) -> Response:
    chosen = conneg.choose(request.headers.get("accept"), list(_FORMATS))
    if chosen is None:
        return Response("acceptable: " + ", ".join(_FORMATS) + "\n", status_code=406, media_type="text/plain")
    data = (ontology_dir() / "igsn-graph.ttl").read_bytes()
    if chosen != "text/turtle":
        data = serialize([q.triple for q in parse(input=data, format=RdfFormat.TURTLE)], format=_FORMATS[chosen]) or b""
    return Response(data, media_type=chosen, headers={"Vary": "Accept", "Access-Control-Allow-Origin": "*"})


@router.get("/context.jsonld", summary="The JSON-LD context of native input", response_class=Response)
def context() -> Response:
    body = json.dumps({"@context": bundled_context()}, indent=2).encode("utf-8")
    return Response(body, media_type="application/ld+json", headers={"Access-Control-Allow-Origin": "*"})
