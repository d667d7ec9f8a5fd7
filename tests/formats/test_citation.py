"""Citations from the DataCite JSON: CSL-JSON, BibTeX and RIS read back by real parsers, APA by rule."""

from __future__ import annotations

import bibtexparser
import pytest
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware

from igsn_graph.formats import citation, datacite, datacite_json
from igsn_graph.record import Agent, SampleRecord
from tests.oai.samples import rich

URL = "https://igsn.org/ZTA001"


def _item(record: SampleRecord) -> citation.CSL:
    doc = datacite_json.from_xml(datacite.write(record, iri_base="https://igsn.org/", publication_year="2020"))
    return citation.csl(doc, igsn=record.igsn, sample_url=URL)


# (no "^": it is written as \textasciicircum, which pylatexenc decodes to U+02C6, not back to "^")
AWKWARD = "Core {x} & 50% $5 #1 a_b ~ \\ Müller–Ödön «é»"


@pytest.mark.parametrize("title", ["Plain title", AWKWARD])
def test_bibtex_round_trip(title: str) -> None:
    item = _item(rich("ZTA001", name=title))
    library = bibtexparser.parse_string(citation.bibtex(item), append_middleware=[LatexDecodingMiddleware()])
    assert not library.failed_blocks
    [entry] = library.entries
    assert entry.key == "igsn_ZTA001" and entry["title"] == title and entry["author"] == "Doe, Jane"
    assert entry["year"] == "2015" and entry["url"] == URL and entry["publisher"] == "Core Store"


@pytest.mark.parametrize("title", ["Plain title", AWKWARD, "two\nlines"])
def test_ris_round_trip(title: str) -> None:
    item = _item(rich("ZTA001", name=title))
    [entry] = rispy.loads(citation.ris(item))
    assert entry["title"] == " ".join(title.split()) and entry["authors"] == ["Doe, Jane"]
    assert entry["urls"] == [URL] and entry["year"] == "2015" and entry["notes"] == ["IGSN: ZTA001"]


def test_csl_uses_doi_when_there_is_one() -> None:
    item = _item(rich("ZTA001", doi="10.99990/ZTA001"))
    assert item["DOI"] == "10.99990/ZTA001" and item["URL"] == "https://doi.org/10.99990/ZTA001"


@pytest.mark.parametrize(
    "collectors,expected",
    [
        ([Agent("Doe, Jane Mary", kind="Person")], "Doe, J. M. (2015). T [Physical sample]. Core Store. " + URL),
        (
            [Agent("Doe, Jean-Paul", kind="Person"), Agent("Roe, Ann", kind="Person")],
            "Doe, J.-P., & Roe, A. (2015). T [Physical sample]. Core Store. " + URL,
        ),
        ([Agent("Core Store", kind="Organization")], "Core Store. (2015). T [Physical sample]. " + URL),
    ],
)
def test_apa(collectors: list[Agent], expected: str) -> None:
    assert citation.apa(_item(rich("ZTA001", name="T", collectors=collectors))) == expected


def test_apa_without_authors_or_year() -> None:
    record = SampleRecord(igsn="ZTA001", name="Lone core")
    doc = datacite_json.from_xml(datacite.write(record, iri_base="https://igsn.org/"))
    assert (
        citation.apa(citation.csl(doc, igsn="ZTA001", sample_url=URL)) == f"Lone core [Physical sample]. (n.d.). {URL}"
    )


def test_unknown_style_falls_back_and_says_so() -> None:
    item = _item(rich("ZTA001"))
    assert citation.format_reference(item, "chicago", "de-DE")[1:] == ("apa", "en-US")
    assert citation.format_reference(item, "APA", "en-us")[1:] == ("apa", "en-US")
