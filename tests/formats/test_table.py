"""The format table (``formats.table``): one row per format, and every other place reads it."""

from __future__ import annotations

import csv
from pathlib import Path

from igsn_graph import loader, resolver
from igsn_graph.errors import IgsnGraphError
from igsn_graph.formats import rdf, table
from igsn_graph.formats.kernels import read_xml
from igsn_graph.oai import formats as oai_formats
from igsn_graph.resources import mappings_dir
from igsn_graph.xmlparser import parse_xml


def test_each_document_root_names_one_format() -> None:
    roots = [(ns, f.root) for f in table.XML_FORMATS.values() for ns in f.namespaces]
    assert len(roots) == len(set(roots))


def test_written_formats_are_the_oai_formats_with_their_facts() -> None:
    assert oai_formats.PREFIXES == tuple(f.oai_prefix for f in table.WRITTEN)
    for fmt in table.WRITTEN:
        announced = oai_formats.FORMATS[fmt.oai_prefix or ""]
        assert (announced.schema, announced.namespace, announced.write) == (fmt.oai_schema, fmt.namespace, fmt.write)
        assert fmt.oai_schema is not None and fmt.oai_schema in fmt.schema_location.split()
        assert fmt.revision is not None and fmt.mappings


def test_the_resolver_profiles_of_formats_carry_the_table_iri() -> None:
    for fmt in table.WRITTEN:
        assert resolver.PROFILES[fmt.name].uri == fmt.profile_iri == table.profile_iri(fmt.name)
        assert resolver.lookup_profile(fmt.profile_iri or "") is resolver.PROFILES[fmt.name]


def test_the_resolver_profiles_of_formats_take_their_media_types_from_the_table() -> None:
    with open(mappings_dir() / "profiles.csv", encoding="utf-8", newline="") as f:
        rows = {r["token"]: r for r in csv.DictReader(f)}
    for fmt in table.WRITTEN:
        # profiles.csv names none of them: only what the profile serves besides the format (DataCite JSON)
        assert not set(rows[fmt.name]["media_types"].split()) & set(fmt.media_types), fmt.name
        assert not rows[fmt.name]["default_media_type"] and not rows[fmt.name]["uri"], fmt.name
        profile = resolver.PROFILES[fmt.name]
        assert profile.default_media_type == fmt.media_type and set(fmt.media_types) <= set(profile.media_types)
    assert resolver.PROFILES["datacite"].offered == (
        "application/vnd.datacite.datacite+xml",
        "application/vnd.datacite.datacite+json",
        "application/xml",
    )


def test_rdf_media_types_and_file_suffixes_come_from_the_table() -> None:
    assert set(rdf.MEDIA_TYPES) == set(table.RDF_MEDIA_TYPES)
    for syntax in table.RDF_SYNTAXES:
        for suffix in syntax.suffixes:
            assert loader.RDF_SUFFIXES[suffix] == syntax.media_type
    media_types = [m for s in table.RDF_SYNTAXES for m in s.media_types]
    assert len(media_types) == len(set(media_types))


def test_the_rdf_syntaxes_written_come_from_the_table_turtle_first() -> None:
    """The resolver writes what the table lists, in its order (the first is the default); RDF/XML is written, never
    read (XML is read as a record format); each row's canonical media type and first suffix are pyoxigraph's."""
    assert list(resolver.RDF_FORMATS.items()) == [(s.media_type, s.rdf_format) for s in table.RDF_WRITTEN]
    assert next(iter(resolver.RDF_FORMATS)) == "text/turtle"
    assert "application/rdf+xml" in resolver.RDF_FORMATS and "application/rdf+xml" not in table.RDF_MEDIA_TYPES
    assert set(table.RDF_SYNTAXES) <= set(table.RDF_WRITTEN)
    for syntax in table.RDF_WRITTEN:
        assert (syntax.media_type, syntax.suffixes[0]) == (
            syntax.rdf_format.media_type,
            "." + syntax.rdf_format.file_extension,
        )


def test_the_identifier_element_of_each_format_names_its_first_record(shared: Path) -> None:
    checked = set()
    for path in sorted((shared / "examples").rglob("*.xml")):
        data = path.read_bytes()
        root = parse_xml(data)
        try:
            doc = read_xml(data)
        except IgsnGraphError:
            continue  # examples we refuse (test_kernels checks which)
        fmt = doc.format
        if fmt is None or doc.envelope is not None or fmt.identifier is None or not doc.records:
            continue
        element = fmt.identifier(root)
        assert element is not None, path
        assert element.text is not None and doc.records[0].igsn in element.text.upper().replace(" ", ""), path
        checked.add(fmt.name)
    assert checked >= {"igsn", "csirov3", "datacite", "ardc"}  # the description kernel examples come in OAI-PMH
