"""Citations of a sample: CSL-JSON, and from it BibTeX, RIS and a formatted reference (APA 7, en-US).

CSL-JSON is computed from the DataCite JSON of the sample (``formats.datacite_json``), so a citation
names the same creators, title, publisher and year as the DataCite record, as DataCite's own content
negotiation does. Samples have no CSL, BibTeX or RIS type of their own: they are a ``document`` with
genre "Physical sample" in CSL, ``@misc`` in BibTeX and ``GEN`` in RIS. Only APA in en-US is
formatted; ``format_reference`` reports which style and locale it used, so a caller can say so.
"""

from __future__ import annotations

import re
from typing import Any

from pylatexenc.latexencode import unicode_to_latex

__all__ = ["GENRE", "STYLES", "LOCALES", "csl", "bibtex", "ris", "apa", "format_reference"]

GENRE = "Physical sample"
#: the styles and locales ``text/x-bibliography`` can give; anything else falls back to the first
STYLES = ("apa",)
LOCALES = ("en-US",)

CSL = dict[str, Any]


def _name(creator: dict[str, Any]) -> dict[str, str]:
    family, given = creator.get("familyName"), creator.get("givenName")
    if family and given:
        return {"family": family, "given": given}
    return {"literal": creator.get("name", "")}


def _sample_url(doc: dict[str, Any], sample_url: str) -> str:
    return "https://doi.org/" + doc["doi"] if doc.get("doi") else sample_url


def csl(datacite: dict[str, Any], *, igsn: str, sample_url: str) -> CSL:
    """The CSL-JSON item of a sample from its DataCite JSON; ``sample_url`` is its persistent IGSN URI (IRI base
    + name), never the address this server answers on: a citation must outlive the deployment."""
    item: CSL = {"id": sample_url, "type": "document", "genre": GENRE}
    title = next((t["title"] for t in datacite.get("titles", []) if t.get("title")), igsn)
    item["title"] = title
    authors = [_name(c) for c in datacite.get("creators", []) if c.get("name") and c["name"] != ":unav"]
    if authors:
        item["author"] = authors
    year = datacite.get("publicationYear", "")
    if year.isdigit() and year != "0000":
        item["issued"] = {"date-parts": [[int(year)]]}
    publisher = datacite.get("publisher", {}).get("name")
    if publisher and publisher != ":unav":
        item["publisher"] = publisher
    if datacite.get("doi"):
        item["DOI"] = datacite["doi"]
    item["URL"] = _sample_url(datacite, sample_url)
    abstract = next(
        (d["description"] for d in datacite.get("descriptions", []) if d.get("descriptionType") == "Abstract"), None
    )
    if abstract:
        item["abstract"] = abstract
    keywords = [s["subject"] for s in datacite.get("subjects", []) if s.get("subject")]
    if keywords:
        item["keyword"] = ", ".join(keywords)
    item["note"] = f"IGSN: {igsn}"
    return item


def _display_name(name: dict[str, str]) -> str:
    return f"{name['family']}, {name['given']}" if "family" in name else name["literal"]


# --- BibTeX -----------------------------------------------------------------------------------


def _tex(value: str) -> str:
    """Text as a BibTeX field value: LaTeX specials escaped, non-ASCII as LaTeX macros, one line."""
    text: str = unicode_to_latex(" ".join(value.split()), non_ascii_only=False, unknown_char_policy="keep")
    return text  # pylatexenc is untyped


def _bib_name(name: dict[str, str]) -> str:
    # a corporate name in braces, so BibTeX does not split it into first and last names
    return f"{_tex(name['family'])}, {_tex(name['given'])}" if "family" in name else "{" + _tex(name["literal"]) + "}"


def bibtex(item: CSL) -> str:
    """One ``@misc`` entry; the key is the IGSN (from the note) with characters BibTeX keys lack dropped."""
    igsn = item["note"].removeprefix("IGSN: ")
    key = "igsn_" + re.sub(r"[^A-Za-z0-9_.-]", "_", igsn)
    fields: list[tuple[str, str]] = []
    if item.get("author"):
        fields.append(("author", " and ".join(_bib_name(n) for n in item["author"])))
    fields.append(("title", "{" + _tex(item["title"]) + "}"))  # inner braces keep its capitals
    if "issued" in item:
        fields.append(("year", str(item["issued"]["date-parts"][0][0])))
    if item.get("publisher"):
        fields.append(("publisher", _tex(item["publisher"])))
    fields.append(("howpublished", _tex(item["genre"])))
    if item.get("DOI"):
        fields.append(("doi", _tex(item["DOI"])))
    fields.append(("url", item["URL"]))  # the url package takes URLs verbatim
    if item.get("keyword"):
        fields.append(("keywords", _tex(item["keyword"])))
    fields.append(("note", _tex(item["note"])))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}\n"


# --- RIS --------------------------------------------------------------------------------------


def ris(item: CSL) -> str:
    """One RIS reference (type ``GEN``); values are single lines."""
    lines: list[tuple[str, str]] = [("TY", "GEN"), ("TI", item["title"])]
    lines += [("AU", _display_name(n)) for n in item.get("author", [])]
    if "issued" in item:
        lines.append(("PY", str(item["issued"]["date-parts"][0][0])))
    if item.get("publisher"):
        lines.append(("PB", item["publisher"]))
    if item.get("DOI"):
        lines.append(("DO", item["DOI"]))
    lines.append(("UR", item["URL"]))
    if item.get("abstract"):
        lines.append(("AB", item["abstract"]))
    lines.append(("M3", item["genre"]))
    lines.append(("N1", item["note"]))
    lines.append(("ER", ""))
    return "".join(f"{tag}  - {' '.join(value.split())}\r\n".replace("  - \r\n", "  -\r\n") for tag, value in lines)


# --- APA 7 ------------------------------------------------------------------------------------


def _initials(given: str) -> str:
    """'Jane Mary' → 'J. M.'; 'Jean-Paul' → 'J.-P.'."""
    parts = []
    for word in given.split():
        parts.append("-".join(p[0] + "." for p in word.split("-") if p))
    return " ".join(parts)


def _apa_author(name: dict[str, str]) -> str:
    if "family" in name:
        initials = _initials(name["given"])
        return f"{name['family']}, {initials}" if initials else name["family"]
    return name["literal"]


def _apa_authors(names: list[dict[str, str]]) -> str:
    shown = [_apa_author(n) for n in names]
    if len(shown) == 1:
        return shown[0]
    if len(shown) <= 20:
        return ", ".join(shown[:-1]) + ", & " + shown[-1]
    return ", ".join(shown[:19]) + ", . . . " + shown[-1]  # APA 7: first 19, ellipsis, last


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "?", "!")) else text + "."


def apa(item: CSL) -> str:
    """The APA 7 reference of a sample, as plain text (no italics markup)."""
    year = f"({item['issued']['date-parts'][0][0]})." if "issued" in item else "(n.d.)."
    title = f"{' '.join(item['title'].split())} [{item['genre']}]."
    parts: list[str]
    if item.get("author"):
        parts = [_sentence(_apa_authors(item["author"])), year, title]
    else:
        parts = [title, year]
    publisher = item.get("publisher")
    authors = {_display_name(n) for n in item.get("author", [])}
    if publisher and publisher not in authors:  # APA 7 leaves out a publisher that is also the author
        parts.append(_sentence(publisher))
    parts.append(item["URL"])
    return " ".join(parts)


def format_reference(item: CSL, style: str | None = None, locale: str | None = None) -> tuple[str, str, str]:
    """(text, style used, locale used): unknown styles and locales fall back to APA / en-US."""
    used_style = (style or "").lower() if (style or "").lower() in STYLES else STYLES[0]
    used_locale = next((lc for lc in LOCALES if lc.lower() == (locale or "").lower()), LOCALES[0])
    return apa(item), used_style, used_locale
