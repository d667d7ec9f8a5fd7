"""Fixtures for the reader and writer tests: the ../shared folder, XSD compilation and XSD assertions, one SHACL
validator, and the check that a record read is one the registry stores as it was read."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable

import pytest
from lxml import etree

from igsn_graph.formats import graph as graphmap
from igsn_graph.iris import Iris
from igsn_graph.record import Agent, RegistryFacts, SampleRecord
from igsn_graph.validation import Validator
from igsn_graph.xmlparser import parse_xml

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
OAI_NS = "http://www.openarchives.org/OAI/2.0/"


@pytest.fixture(scope="session")
def shared() -> Path:
    """The shared folder (official schemas and real examples) beside the repository."""
    path = Path(__file__).resolve().parents[2].parent / "shared"
    if not path.is_dir():
        pytest.skip("../shared is absent: official schemas/examples not available")
    return path


@pytest.fixture(scope="session")
def xsd(shared: Path) -> Callable[[str], etree.XMLSchema]:
    """Compiles (once) an XSD below ``shared/schemas``; its includes are relative, no network."""
    cache: dict[str, etree.XMLSchema] = {}

    def compile_schema(relative: str) -> etree.XMLSchema:
        if relative not in cache:
            cache[relative] = etree.XMLSchema(etree.parse(str(shared / "schemas" / relative)))
        return cache[relative]

    return compile_schema


@pytest.fixture(scope="session")
def assert_valid(xsd: Callable[[str], etree.XMLSchema]) -> Callable[[etree._Element, str], None]:
    """Asserts that an element validates against an XSD below ``shared/schemas``, showing the errors."""

    def check(element: etree._Element, relative: str) -> None:
        schema = xsd(relative)
        # validate a serialised copy: what a client receives, not the in-memory tree
        doc = etree.fromstring(etree.tostring(element))
        assert schema.validate(doc), "\n".join(str(e) for e in schema.error_log)

    return check


@pytest.fixture(scope="session")
def example(shared: Path) -> Callable[[str], etree._Element]:
    """The root element of an example below ``shared/examples``, parsed with the safe parser."""

    def load(relative: str) -> etree._Element:
        return parse_xml((shared / "examples" / relative).read_bytes())

    return load


def oai_payload(root: etree._Element) -> etree._Element:
    """The metadata payload of an OAI-PMH GetRecord response."""
    metadata = root.find(f"{{{OAI_NS}}}GetRecord/{{{OAI_NS}}}record/{{{OAI_NS}}}metadata")
    assert metadata is not None, "not an OAI-PMH GetRecord response"
    payload = [child for child in metadata if isinstance(child.tag, str)]
    assert len(payload) == 1
    return payload[0]


@pytest.fixture(scope="session")
def oai_record() -> Callable[[etree._Element], etree._Element]:
    """Extracts the payload element from an OAI-PMH GetRecord envelope."""
    return oai_payload


@pytest.fixture(scope="session")
def validator() -> Validator:
    """One validator for every reader test over the default IRI base (building one compiles the shapes)."""
    return Validator(Iris())


def conforms(record: SampleRecord, validator: Validator) -> None:
    """The record as the registry stores it (with a registrant) passes SHACL and survives RDF unchanged."""
    iris = validator.iris
    record = replace(record, registrant=record.registrant or Agent("Client One", kind="Organization"))
    facts = RegistryFacts(
        igsn=record.igsn,
        agent="ZTEST",
        namespace="ZT",
        datestamp="2026-01-01T00:00:00Z",
        has_metadata=True,
        is_public=record.is_public,
    )
    triples = graphmap.record_triples(record, iris) + graphmap.facts_triples(facts, iris)
    report = validator.validate(record.igsn, triples)
    assert report.conforms, "; ".join(str(v) for v in report.violations)
    assert graphmap.record_from_triples(triples, iris, record.igsn) == graphmap.canonical(record)
