"""JSON-LD contexts named by URL: served from the local copies in ``mappings/``, never fetched.

A JSON-LD document may name its ``@context`` by URL (alone, in a list, in a term's scoped context or
through ``@import``). Fetching it would let a submission make the server open connections of the
submitter's choosing and would make reading depend on someone else's server, so no context is ever
fetched. ``mappings/contexts/known.csv`` lists the URLs we hold a copy of (ours, the IGSN-JSON
registration v0.1 context, schema.org) and the file of each; our own context is also known at the
``extra`` URLs a deployment publishes it at (``<public URL>/context.jsonld``, ``<IRI base>context.jsonld``,
see ``own_context_urls``). ``inline`` puts the context object in place of every known URL before the
document reaches the parser (pyoxigraph's JSON-LD parser takes no document loader: without a context
object it refuses any remote context). Any other URL is refused, with a message naming it and saying
how to inline it.
"""

from __future__ import annotations

import csv
import json
from functools import lru_cache
from typing import Any, Iterable

from ..errors import UnsupportedFormat
from ..resources import mappings_dir

__all__ = ["OUR_CONTEXT_URL", "known_urls", "context_of", "inline", "own_context_urls"]

OUR_CONTEXT_URL = "https://w3id.org/igsn-graph/context.jsonld"
_OUR_FILE = "context.jsonld"


@lru_cache(maxsize=1)
def known_urls() -> dict[str, str]:
    """Context URL → its local file, relative to ``mappings/`` (from ``mappings/contexts/known.csv``)."""
    with open(mappings_dir() / "contexts" / "known.csv", encoding="utf-8", newline="") as f:
        return {row["url"]: row["file"] for row in csv.DictReader(f)}


@lru_cache(maxsize=None)
def _load(file: str) -> Any:
    with open(mappings_dir() / file, encoding="utf-8") as f:
        return json.load(f)["@context"]


def context_of(url: str, extra: Iterable[str] = ()) -> Any | None:
    """The local context object for ``url`` (shared: never modify it), or None when we hold no copy.

    ``extra``: further URLs at which our own context is published."""
    file = known_urls().get(url)
    if file is None and url in extra:
        file = _OUR_FILE
    return None if file is None else _load(file)


def own_context_urls(*bases: str | None) -> tuple[str, ...]:
    """Where a deployment publishes our context: ``context.jsonld`` below each base URL given
    (its public URL and its IRI base)."""
    return tuple(f"{b.rstrip('/')}/context.jsonld" for b in bases if b)


def _refuse(url: str) -> UnsupportedFormat:
    return UnsupportedFormat(
        f"JSON-LD @context {url!r} is not a context we hold a copy of, and contexts are never fetched: "
        f'inline it (write the context object itself, {{"@context": {{...}}}}, in place of its URL) '
        f"or name a known one ({OUR_CONTEXT_URL} for our model)",
        context=url,
    )


def _resolve(value: Any, extra: frozenset[str]) -> Any:
    """A ``@context`` value with every URL replaced by its local object (refusing unknown ones)."""
    if isinstance(value, str):
        found = context_of(value, extra)
        if found is None:
            raise _refuse(value)
        return found
    if isinstance(value, list):
        return [_resolve(v, extra) for v in value]
    if isinstance(value, dict):
        out = dict(value)
        imported = out.pop("@import", None)
        if imported is not None:
            if not isinstance(imported, str):
                raise UnsupportedFormat("JSON-LD @import must name a context by its URL")
            base = _resolve(imported, extra)
            if not isinstance(base, dict):
                raise UnsupportedFormat(f"JSON-LD @import {imported!r}: the imported context is not an object")
            out = {**base, **out}
        for term, definition in out.items():
            # scoped contexts: a term definition may carry a @context of its own
            if isinstance(definition, dict) and "@context" in definition:
                out[term] = {**definition, "@context": _resolve(definition["@context"], extra)}
        return out
    return value  # null (resets the context) or something the parser will refuse


def inline(doc: Any, extra: Iterable[str] = ()) -> Any:
    """``doc`` with every ``@context`` URL replaced by the local copy; ``UnsupportedFormat`` for an unknown one.

    The document is changed in place (it is the caller's freshly parsed copy); the local context objects
    are shared between the places that name them and are not walked again."""
    known = frozenset(extra)
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "@context" in node:
                node["@context"] = _resolve(node["@context"], known)
            stack.extend(v for k, v in node.items() if k != "@context")
        elif isinstance(node, list):
            stack.extend(node)
    return doc
