"""HTML building blocks shared by every page the service renders (samples, registry nodes): one layout.

One stylesheet and one document shell keep the landing pages and the pages of agents, clients,
namespaces and versions alike. The stylesheet is a file of this service (``STYLESHEET_URL``, served by the
home router), not an inline block: the pages' Content-Security-Policy allows styles from 'self' only, so no
injected ``<style>`` or ``style=`` attribute could ever apply. Everything is built with ``E``, lxml's HTML builder whose text and
attribute values first lose the characters XML cannot carry (``formats.xmltext.clean``): every value a user
wrote is escaped by construction, and no stored string (a NUL, U+FFFE) can make a page fail. No page loads
external CSS, fonts or scripts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias

from lxml import etree
from lxml.builder import ElementMaker
from lxml.html import html_parser
from lxml.html import tostring as html_tostring

from .formats.xmltext import clean

if TYPE_CHECKING:
    from .index.search import SampleSummary

__all__ = [
    "E",
    "STYLE",
    "STYLESHEET_PATH",
    "STYLESHEET_URL",
    "dl",
    "joined",
    "link",
    "page",
    "sample_list",
    "site_header",
]


def _add_text(elem: etree._Element, item: str) -> None:
    item = clean(item)
    if len(elem):
        elem[-1].tail = (elem[-1].tail or "") + item
    else:
        elem.text = (elem.text or "") + item


def _add_attributes(elem: etree._Element, item: dict[str, Any]) -> None:
    for key, value in item.items():
        elem.set(key, clean(value if isinstance(value, str) else str(value)))


_MAKER = ElementMaker(makeelement=html_parser.makeelement, typemap={str: _add_text, dict: _add_attributes})


class _HtmlBuilder:
    """``E.DIV(…)``, ``E.A(text, href=…)``: as ``lxml.html.builder``, with every value made XML-safe."""

    def __getattr__(self, tag: str) -> Callable[..., etree._Element]:
        if tag.startswith("_"):
            raise AttributeError(tag)
        maker = partial(_MAKER, tag.lower())
        setattr(self, tag, maker)
        return maker


E = _HtmlBuilder()

#: a small stylesheet so the page reads well on a phone; no external CSS, fonts, tiles or scripts
STYLE = """
body{font-family:system-ui,sans-serif;line-height:1.45;margin:0;color:#1b1b1b;background:#fff}
main{max-width:52rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem;margin:.2rem 0 1rem;overflow-wrap:anywhere}
h2{font-size:1.15rem;margin-top:1.6rem;border-bottom:1px solid #ddd}
dl{display:grid;grid-template-columns:minmax(8rem,max-content) 1fr;gap:.25rem 1rem}
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
.notice{padding:.6rem .8rem;background:#fff3cd;border:1px solid #e0c36b;border-radius:.3rem}
svg.map{width:100%;max-width:36rem;height:auto;border:1px solid #bbb;background:#eef5fb}
table{border-collapse:collapse}td,th{padding:.2rem .6rem;border-bottom:1px solid #eee;text-align:left}
code,pre{font-size:.9em;overflow-wrap:anywhere;white-space:pre-wrap}
header.site{background:#14385c;color:#fff;padding:.4rem 1rem}
header.site nav{max-width:52rem;margin:0 auto;display:flex;flex-wrap:wrap;gap:.6rem;align-items:center}
header.site a.home{color:#fff;font-weight:700;text-decoration:none;margin-right:auto}
header.site form{display:flex;gap:.3rem}header.site input{min-width:10rem}
.meta{color:#555;font-size:.85rem}figure{margin:1rem 0}
form.search{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center}form.search label{display:flex;gap:.4rem}
details.formats ul{columns:2 16rem}
@media (max-width:30rem){dl{grid-template-columns:1fr}dd{margin-bottom:.4rem}}
main.search{max-width:72rem}
main.search form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end}
main.search label{display:flex;flex-direction:column;font-size:.85rem}
main.search .layout{display:grid;grid-template-columns:16rem 1fr;gap:2rem}
main.search aside ul{list-style:none;padding:0;margin:0 0 1rem}main.search .on{font-weight:bold}
ol.samples li{margin-bottom:.5rem}.error{color:#a00}
@media (max-width:40rem){main.search .layout{grid-template-columns:1fr}main.search .layout aside{order:2}}
.applied ul{display:flex;flex-wrap:wrap;gap:.4rem 1rem;list-style:none;padding:0}.pages{display:flex;gap:1.5rem}
"""
#: where every page links the stylesheet; the digest in the URL makes a changed sheet a new URL (cached a day)
STYLESHEET_PATH = "/static/site.css"
STYLESHEET_URL = f"{STYLESHEET_PATH}?v={hashlib.sha256(STYLE.encode()).hexdigest()[:16]}"

Content: TypeAlias = Sequence[etree._Element | str] | etree._Element | str | None


def page(
    title: str,
    resource: str | None,
    body: list[etree._Element],
    head: Sequence[etree._Element] = (),
    *,
    kind: str | None = None,
) -> bytes:
    """A complete HTML document: the shared head (charset, viewport, stylesheet, canonical link) and ``body``;
    ``kind`` names the page's layout rules in the stylesheet (``main.search``)."""
    meta = [
        E.META(charset="utf-8"),
        E.META(name="viewport", content="width=device-width, initial-scale=1"),
        E.TITLE(title),
        E.LINK(rel="stylesheet", href=STYLESHEET_URL),
        E.LINK(rel="icon", href="data:,"),  # the service has no icon: no request for /favicon.ico, no 404 logged
    ]
    if resource:
        meta.append(E.LINK(rel="canonical", href=resource))
    main = E.MAIN(*body, **({"class": kind} if kind else {}))
    document = E.HTML(E.HEAD(*meta, *head), E.BODY(site_header(), main), lang="en")
    html: bytes = html_tostring(document, doctype="<!DOCTYPE html>", encoding="utf-8")  # lxml is untyped here
    return html


def site_header() -> etree._Element:
    """The header every page shares: the way home and a search box, so no page is a dead end."""
    return E.HEADER(
        E.NAV(
            E.A("igsn-graph", href="/", **{"class": "home"}),
            " ",
            E.FORM(
                E.INPUT(type="search", name="q", placeholder="Search samples", **{"aria-label": "Search samples"}),
                E.BUTTON("Search", type="submit"),
                action="/search",
                method="get",
                role="search",
                **{"aria-label": "Site search"},
            ),
            **{"aria-label": "Site"},
        ),
        **{"class": "site"},
    )


def link(text: str, href: str | None) -> etree._Element | str:
    """A link when ``href`` is http(s) or a local path; plain text otherwise (never a ``javascript:`` URL)."""
    return E.A(text, href=href) if href and href.lower().startswith(("http://", "https://", "/")) else text


def dl(rows: Sequence[tuple[str, Content]]) -> etree._Element:
    """A definition list of the rows that have a value (empty values are left out)."""
    items: list[etree._Element] = []
    for label, value in rows:
        if value is None or value == "" or value == []:
            continue
        parts = list(value) if isinstance(value, (list, tuple)) else [value]
        items += [E.DT(label), E.DD(*parts)]
    return E.DL(*items)


def joined(items: Sequence[etree._Element | str], sep: str = "; ") -> list[etree._Element | str]:
    """``items`` with ``sep`` between them, as mixed content for an element."""
    out: list[etree._Element | str] = []
    for i, item in enumerate(items):
        if i:
            out.append(sep)
        out.append(item)
    return out


def sample_list(samples: Sequence[SampleSummary], unverified: Mapping[str, str] | None = None) -> etree._Element:
    """Samples as the search page and the pages of agents, clients and namespaces list them: the name linked
    to the sample's page, then a line of what it is (IGSN, type, holder, when collected, status); ``unverified``:
    the note of each sample whose shown description an unverified harvest source gave."""
    items = []
    for h in samples:
        meta = " · ".join(v for v in (h.igsn, h.kind, h.client or h.agent, h.collected_from, h.status) if v)
        item = E.LI(E.A(h.name or h.igsn, href=f"/{h.igsn}"), E.BR(), E.SPAN(meta, **{"class": "meta"}))
        note = (unverified or {}).get(h.igsn)
        if note:
            item.extend([E.BR(), E.STRONG(note, **{"class": "unverified"})])
        items.append(item)
    return E.OL(*items, **{"class": "samples"})
