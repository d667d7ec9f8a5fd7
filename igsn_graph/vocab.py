"""Namespace and term constants: our ontology, SOSA, PROV, DCTERMS, GeoSPARQL, schema.org."""

from __future__ import annotations

from pyoxigraph import NamedNode

__all__ = [
    "Namespace",
    "IG",
    "IGREL",
    "IGSTATUS",
    "SOSA",
    "PROV",
    "DCTERMS",
    "DCMITYPE",
    "GEO",
    "SCHEMA",
    "RDF",
    "RDFS",
    "XSD",
    "OWL",
    "SKOS",
    "DCAT",
    "CITO",
    "FOAF",
    "PREFIXES",
    "ONTOLOGY_IRI",
    "RDF_TYPE",
]


class Namespace(str):
    """An IRI prefix; attribute or item access gives the NamedNode of a term."""

    def __getattr__(self, name: str) -> NamedNode:
        if name.startswith("__"):
            raise AttributeError(name)
        # kept on the namespace: the next access finds it without this call (record -> RDF asks thousands of times)
        node = self.__dict__[name] = NamedNode(self + name)
        return node

    # str's item access is indexing; a Namespace's gives a term (NamedNode), on purpose
    def __getitem__(self, name: str) -> NamedNode:  # type: ignore[override]
        return NamedNode(self + name)

    def term(self, name: str) -> NamedNode:
        return NamedNode(self + name)


ONTOLOGY_IRI = "https://w3id.org/igsn-graph/ontology"
#: our ontology: classes and properties of samples, registry facts and accounts
IG = Namespace(ONTOLOGY_IRI + "#")
#: canonical relation types (the DataCite list), one concept each
IGREL = Namespace("https://w3id.org/igsn-graph/relation/")
#: registry statuses of a sample
IGSTATUS = Namespace("https://w3id.org/igsn-graph/status/")

SOSA = Namespace("http://www.w3.org/ns/sosa/")
PROV = Namespace("http://www.w3.org/ns/prov#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
DCMITYPE = Namespace("http://purl.org/dc/dcmitype/")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
SCHEMA = Namespace("https://schema.org/")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
CITO = Namespace("http://purl.org/spar/cito/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")

RDF_TYPE = RDF.type

PREFIXES: dict[str, str] = {
    "ig": str(IG),
    "igrel": str(IGREL),
    "igstatus": str(IGSTATUS),
    "sosa": str(SOSA),
    "prov": str(PROV),
    "dcterms": str(DCTERMS),
    "dcmitype": str(DCMITYPE),
    "geo": str(GEO),
    "schema": str(SCHEMA),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "owl": str(OWL),
    "skos": str(SKOS),
    "dcat": str(DCAT),
    "cito": str(CITO),
    "foaf": str(FOAF),
}
