"""Native RDF input: Turtle, N-Triples, JSON-LD (our bundled context) → sample records.

A sample is any subject with ``ig:igsn``. Its IRI and the fragment IRIs of its nested nodes may use
any base; they are mapped to the sample IRIs of the model, as are links to other samples written
under the same base. JSON-LD that names our context URL gets the bundled copy: contexts are never
fetched from the network.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Triple, parse

from ..errors import InvalidInput, MalformedDocument, UnsupportedFormat
from ..identifiers import normalise
from ..iris import Iris
from ..record import SampleRecord
from ..resources import mappings_dir
from ..vocab import IG
from . import graph as graphmap

__all__ = ["CONTEXT_URL", "MEDIA_TYPES", "read_rdf", "bundled_context"]

CONTEXT_URL = "https://w3id.org/igsn-graph/context.jsonld"
MEDIA_TYPES = {
    "text/turtle": RdfFormat.TURTLE, "application/x-turtle": RdfFormat.TURTLE,
    "application/n-triples": RdfFormat.N_TRIPLES, "application/ld+json": RdfFormat.JSON_LD,
    # datasets (bulk input, one named graph per sample): graph names are ignored, samples found by ig:igsn
    "application/n-quads": RdfFormat.N_QUADS, "application/trig": RdfFormat.TRIG,
}
#: C0 control characters other than tab, line feed and carriage return: no XML output could carry them
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MODEL = Iris()  # records are base-independent; any fixed base reads them back


@lru_cache(maxsize=1)
def bundled_context() -> dict[str, Any]:
    with open(mappings_dir() / "context.jsonld", encoding="utf-8") as f:
        return json.load(f)["@context"]  # type: ignore[no-any-return]


def _inline_context(data: bytes) -> bytes:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedDocument(f"malformed JSON-LD: {exc}") from None
    except RecursionError:
        raise MalformedDocument("malformed JSON-LD: nested too deeply") from None

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            ctx = node.get("@context")
            if ctx == CONTEXT_URL:
                node["@context"] = bundled_context()
            elif isinstance(ctx, list):
                node["@context"] = [bundled_context() if c == CONTEXT_URL else c for c in ctx]
            for value in node.values():
                fix(value)
        elif isinstance(node, list):
            for value in node:
                fix(value)
        return node

    try:
        return json.dumps(fix(doc)).encode("utf-8")
    except RecursionError:
        raise MalformedDocument("malformed JSON-LD: nested too deeply") from None


def read_rdf(data: bytes, media_type: str, *, base_iri: str | None = None) -> list[SampleRecord]:
    """The sample records described in an RDF document."""
    fmt = MEDIA_TYPES.get(media_type.split(";")[0].strip().lower())
    if fmt is None:
        raise UnsupportedFormat(f"unsupported RDF media type {media_type!r}; accepted: {', '.join(MEDIA_TYPES)}")
    if fmt == RdfFormat.JSON_LD:
        data = _inline_context(data)
    try:
        # the parser yields quads (default graph for triple syntaxes); graph names are irrelevant here
        triples = [q.triple if isinstance(q, Quad) else q
                   for q in parse(input=data, format=fmt, base_iri=base_iri or _MODEL.base)]
    except SyntaxError as exc:
        raise MalformedDocument(f"malformed {fmt.name}: {exc}") from None
    except (OSError, ValueError) as exc:
        raise MalformedDocument(f"cannot read {fmt.name}: {exc}") from None
    except RecursionError:
        raise MalformedDocument(f"malformed {fmt.name}: nested too deeply") from None
    for t in triples:
        if isinstance(t.object, Literal) and _CONTROL.search(t.object.value):
            raise MalformedDocument("the document holds control characters (C0 other than tab, LF, CR) in a value")
    subjects: dict[str, str] = {}
    for t in triples:
        if t.predicate == IG.igsn and isinstance(t.object, Literal) and isinstance(t.subject, NamedNode):
            subjects[t.subject.value] = normalise(t.object.value)
    if not subjects:
        raise UnsupportedFormat("no sample in the document (a sample is a subject with ig:igsn)")
    bases = {iri[: len(iri) - len(name)] for iri, name in subjects.items() if iri.upper().endswith(name)}

    def rename(term: Any) -> Any:
        if not isinstance(term, NamedNode):
            return term
        iri, _, fragment = term.value.partition("#")
        name = subjects.get(iri)
        if name is None:
            base = next((b for b in bases if iri.startswith(b) and len(iri) > len(b)), None)
            if base is None:
                return term
            try:
                name = normalise(iri[len(base):])
            except Exception:  # noqa: BLE001 - not a sample IRI after all
                return term
        value = _MODEL.sample(name).value + (("#" + fragment) if fragment else "")
        return NamedNode(value)

    mapped = [Triple(rename(t.subject), t.predicate, rename(t.object)) for t in triples]
    # each sample reads only its own triples (its IRI and its fragment nodes) and the shared rest:
    # reading the whole document once per sample made multi-sample documents quadratic
    own: dict[str, list[Triple]] = {name: [] for name in subjects.values()}
    shared: list[Triple] = []
    for t in mapped:
        name = _MODEL.name_of(t.subject.value.partition("#")[0]) if isinstance(t.subject, NamedNode) else None
        if name is not None and name not in own:
            # a submission describes its own samples; what another sample says is that sample's registrant's
            raise InvalidInput(f"the document states triples about {name}, which it does not register "
                               f"(a sample is described only in its own registration)")
        (own[name] if name in own else shared).append(t)
    return [graphmap.record_from_triples(own[name] + shared, _MODEL, name) for name in own]
