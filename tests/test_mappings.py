"""mappings/: the Dublin Core table of IGSN.md §7 as data, and the code lists against the kernel XSDs."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from igsn_graph.codelists import CODELISTS, codelist, relation_types
from igsn_graph.record import SampleRecord
from igsn_graph.resources import mappings_dir

DC = {
    "contributor",
    "coverage",
    "creator",
    "date",
    "description",
    "format",
    "identifier",
    "language",
    "publisher",
    "relation",
    "rights",
    "source",
    "subject",
    "title",
    "type",
}


def _dc_rows() -> list[dict[str, str]]:
    with open(mappings_dir() / "oai_dc.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_dublin_core_table_covers_every_element_once() -> None:
    rows = _dc_rows()
    assert sorted(r["dc_element"] for r in rows) == sorted(DC)
    unused = {r["dc_element"] for r in rows if r["note"] == "not used"}
    assert unused == {"contributor", "language", "rights", "source"}  # as IGSN.md's table says


def test_dublin_core_sources_are_record_fields() -> None:
    fields = set(SampleRecord.__dataclass_fields__)
    for row in _dc_rows():
        for name in filter(None, row["record_field"].split("|")):
            assert name in fields, (row["dc_element"], name)


def _xsd_values(shared: Path, rel: str) -> set[str]:
    return set(re.findall(r'value="([^"]*)"', (shared / "schemas" / rel).read_text()))


@pytest.mark.parametrize(
    "name,xsd",
    [
        ("material", "igsn/description/1.1/include/materialType.xsd"),
        ("sample_type", "igsn/description/1.1/include/sampleType.xsd"),
        ("feature_type", "igsn/description/1.1/include/featureType.xsd"),
        ("method", "igsn/description/1.1/include/methodType.xsd"),
        ("contributor_type", "igsn/description/1.1/include/contributorType.xsd"),
        ("identifier_type", "igsn/description/1.1/include/identifierType.xsd"),
    ],
)
def test_every_kernel_value_has_a_canonical_term(shared: Path, name: str, xsd: str) -> None:
    values = _xsd_values(shared, xsd)
    missing = sorted(v for v in values if codelist(name).canonical(v) is None)
    assert missing == []


def test_every_relation_type_of_every_kernel_maps(shared: Path) -> None:
    for xsd in (
        "igsn/registration/1.0/include/igsn-relationType-v1.0.xsd",
        "igsn/description/1.1/include/relationType.xsd",
        "csiro/3.0/include/relationType-v3.0.xsd",
        "datacite/kernel-4.7/include/datacite-relationType-v4.xsd",
    ):
        missing = sorted(v for v in _xsd_values(shared, xsd) if relation_types().canonical(v) is None)
        assert missing == [], xsd


def test_inverse_relations_are_symmetric() -> None:
    rt = relation_types()
    for name, t in rt.types.items():
        if t.inverse:
            assert rt.inverse(t.inverse) == name, name


def test_skos_method_list_differs_from_the_xsd(shared: Path) -> None:
    """The SKOS method vocabulary has no Other/Unknown, which the XSD allows: those get our own IRIs."""
    skos = (shared / "vocab" / "method.ttl").read_text()
    for notation in ("Other", "Unknown"):
        iri = codelist("method").canonical(notation)
        assert iri is not None and iri.startswith("https://w3id.org/igsn-graph/vocab/method/")
        assert f":{notation} a skos:Concept" not in skos


def test_code_lists_load_and_have_unique_iris() -> None:
    for name in CODELISTS:
        cl = codelist(name)
        assert cl.terms and len(cl.iris) == len(cl.terms)
