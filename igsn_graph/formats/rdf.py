"""Native RDF input: Turtle, N-Triples, N-Quads, TriG, JSON-LD → sample records, nothing dropped silently.

A sample is any subject with ``ig:igsn``. Its IRI and the fragment IRIs of its nested nodes may use
any base; they are mapped to the sample IRIs of the model, as are links to other samples written
under the same base. JSON-LD may come in any Unicode encoding (``formats.jsontext``); a context named
by URL is one of our local copies or a refusal, never a fetch (``formats.contexts``).

Blank nodes: a nested node (a geometry, an agent, a relation…) may be written as a blank node. One that a
sample reaches (directly or through other nested nodes) is read as a fragment of that sample,
``#bnode-N``, numbered in the order the document names them, so a list keeps its order; a blank node
no sample reaches stays what it is and is reported below.

What the record does not carry is reported, so the owner knows what the graph does not say. The
record is what the registry keeps (``graph.record_triples``); every submitted triple it does not say
again becomes a warning ``not mapped: <s> <p> <o>`` (the first 20, then a count), the submitted document
itself being stored verbatim. Nested nodes are compared by their place, not their IRI: the k-th node
under a property is the writer's k-th (graph.py numbers them in the order its reader takes them), so a
geometry written as ``<#g>`` or ``[ … ]`` is the record's ``#geometry-1``. Values compare by their text
after the model's own normalisation (IGSNs in normal form, code-list IRIs as their notation, a sample
IRI as its name): a datatype or language tag the model does not keep is not reported. Not reported
either, because the server computes them itself: the derived triples graph.py documents that a
submitter may copy from our output (a geometry's type and bounding box, a qualified relation's resolved
target, the status fact). A WKT literal the writer puts in its GeoSPARQL form is carried as written
(``ig:sourceWkt``). ``sosa:isSampleOf``, ``dcterms:isPartOf``, a direct relation property or an agent's
``schema:sameAs`` are derived only when the record holds what they are derived from; written alone they
carry a link the record does not keep, and are reported.

Refused rather than reported: a second value of a property the record holds once (two titles, two
descriptions, two WKT literals on one geometry…). Keeping the first and mentioning the second would
publish a description the submitter did not write, so nothing is stored and the message names both
values. Two IGSNs for one subject likewise.
"""

from __future__ import annotations

import bisect
import json
import os
import re
from collections import defaultdict, deque
from collections.abc import Iterator, Sequence
from typing import Any, Callable, Collection, Iterable, overload

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, RdfFormat, Triple, parse

from ..codelists import codelist
from ..errors import InvalidInput, InvalidRecord, MalformedDocument, UnsupportedFormat
from ..identifiers import normalise
from ..iris import Iris
from ..record import SampleRecord
from ..vocab import DCAT, DCTERMS, GEO, IG, IGREL, PROV, RDF, RDFS, SCHEMA, SKOS, SOSA
from . import contexts, igsn_o, jsontext
from . import graph as graphmap
from ._unmapped import not_mapped
from .table import RDF_MEDIA_TYPES

__all__ = [
    "CONTEXT_URL",
    "MEDIA_TYPES",
    "MAX_LISTED",
    "read_rdf",
    "read_json_ld",
    "bundled_context",
    "own_context_urls",
    "ntriples",
    "parse_ntriples",
    "NTriplesText",
]

CONTEXT_URL = contexts.OUR_CONTEXT_URL
own_context_urls = contexts.own_context_urls
#: every RDF media type read (``formats.table``) → its pyoxigraph format
MEDIA_TYPES = {media_type: syntax.rdf_format for media_type, syntax in RDF_MEDIA_TYPES.items()}
#: how many "not mapped" triples a record's warnings list before a count of the rest
MAX_LISTED = 20
#: C0 control characters other than tab, line feed and carriage return: no XML output could carry them
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MODEL = Iris()  # records are base-independent; any fixed base reads them back
_IGSN = IG.igsn


def ntriples(triples: Iterable[Triple]) -> str:
    """Triples as N-Triples text (how history versions and journal entries keep graphs)."""
    if isinstance(triples, NTriplesText):
        return triples.text
    return "".join(f"{t} .\n" for t in triples)


def parse_ntriples(text: str) -> list[Triple]:
    """The triples of N-Triples text we wrote (``ntriples``); empty text is no triples."""
    if not text:
        return []
    return [q.triple for q in parse(input=text.encode("utf-8"), format=RdfFormat.N_TRIPLES)]


class NTriplesText(Sequence[Triple]):
    """Triples kept as the N-Triples text we wrote (``ntriples``), parsed only when a triple is asked for: a
    writer that needs the text (journal, graph store, history) makes no Python object per triple."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._parsed: list[Triple] | None = None

    def _triples(self) -> list[Triple]:
        if self._parsed is None:
            self._parsed = parse_ntriples(self.text)
        return self._parsed

    def __len__(self) -> int:
        return self.text.count("\n")  # one triple a line; a line break inside a literal is escaped

    @overload
    def __getitem__(self, index: int) -> Triple: ...
    @overload
    def __getitem__(self, index: slice) -> list[Triple]: ...
    def __getitem__(self, index: int | slice) -> Triple | list[Triple]:
        return self._triples()[index]

    def __iter__(self) -> Iterator[Triple]:
        return iter(self._triples())

    def __add__(self, other: Sequence[Triple]) -> list[Triple]:
        return self._triples() + list(other)


#: derived triples (graph.py's docstring) the server computes itself: never reported
_DERIVED = frozenset(p.value for p in (IG.wktType, IG.westBound, IG.eastBound, IG.southBound, IG.northBound, IG.status))
#: a qualified relation's resolved target (graph.py derives it from the identifier and its type)
_TARGET = DCTERMS.relation.value
_RELATIONSHIP = DCAT.hadRole.value
#: where the writer keeps a submitted value as written when it writes the property in a normal form
_ALSO: dict[str, tuple[str, ...]] = {GEO.asWKT.value: (IG.sourceWkt.value,)}
#: properties record_from_triples reads one value of (graph.py): a second value would be lost
_SINGLE: dict[str, str] = {
    p.value: label
    for p, label in [
        (DCTERMS.term("title"), "title"),
        (DCTERMS.description, "description"),
        (IG.doi, "DOI"),
        (DCAT.landingPage, "landing page"),
        (IG.registrant, "registrant"),
        (SOSA.isResultOf, "sampling"),
        (DCTERMS.accessRights, "access rights"),
        (IG.embargoEnd, "embargo end"),
        (IG.purpose, "purpose"),
        (IG.campaign, "campaign"),
        (RDFS.comment, "comment"),
        (SOSA.usedProcedure, "method"),
        (IG.methodDescription, "method description"),
        (SOSA.resultTime, "collection time"),
        (IG.startTime, "start time"),
        (IG.endTime, "end time"),
        (SCHEMA.name, "name"),
        (SCHEMA.identifier, "identifier"),
        (IG.identifierScheme, "identifier type"),
        (SCHEMA.affiliation, "affiliation"),
        (SCHEMA.value, "value"),
        (PROV.agent, "agent"),
        (PROV.hadRole, "role"),
        (IG.curator, "curator"),
        (IG.curationDate, "curation date"),
        (IG.curationLocation, "curation location"),
        (IG.curatingInstitution, "curating institution"),
        (GEO.asWKT, "WKT geometry"),
        (IG.geometryType, "geometry type"),
        (IG.srid, "SRID"),
        (IG.verticalDatum, "vertical datum"),
        (SKOS.prefLabel, "label"),
        (IG.featureType, "feature type"),
        (DCAT.hadRole, "relation type"),
        (IG.sourceRelationType, "source relation type"),
        (IG.event, "event"),
        (IG.timestamp, "timestamp"),
        (RDF.value, "text"),
    ]
}


def bundled_context() -> dict[str, Any]:
    """Our JSON-LD context (``mappings/context.jsonld``): what ``/context.jsonld`` serves."""
    context: dict[str, Any] | None = contexts.context_of(CONTEXT_URL)
    assert context is not None, "mappings/contexts/known.csv lists our own context"
    return context


def read_rdf(
    data: bytes, media_type: str, *, base_iri: str | None = None, context_urls: Collection[str] = ()
) -> list[SampleRecord]:
    """The sample records described in an RDF document, each with the warnings of what it does not carry.

    ``context_urls``: further URLs at which our JSON-LD context is published (``own_context_urls``)."""
    fmt = MEDIA_TYPES.get(media_type.split(";")[0].strip().lower())
    if fmt is None:
        raise UnsupportedFormat(f"unsupported RDF media type {media_type!r}; accepted: {', '.join(MEDIA_TYPES)}")
    if fmt == RdfFormat.JSON_LD:
        return read_json_ld(jsontext.loads(data), base_iri=base_iri, context_urls=context_urls)
    return _records(_parse(data, fmt, base_iri))


def read_json_ld(doc: Any, *, base_iri: str | None = None, context_urls: Collection[str] = ()) -> list[SampleRecord]:
    """``read_rdf`` of a parsed JSON-LD document (``jsontext.loads``); it is changed in place (contexts inlined)."""
    try:
        data = json.dumps(contexts.inline(doc, context_urls)).encode("utf-8")
    except RecursionError:
        raise MalformedDocument("malformed JSON-LD: nested too deeply") from None
    return _records(_parse(data, RdfFormat.JSON_LD, base_iri))


def _parse(data: bytes, fmt: RdfFormat, base_iri: str | None) -> list[Triple]:
    try:
        # the parser yields quads (default graph for triple syntaxes); graph names are irrelevant here
        return [
            q.triple if isinstance(q, Quad) else q
            for q in parse(input=data, format=fmt, base_iri=base_iri or _MODEL.base)
        ]
    except SyntaxError as exc:
        raise MalformedDocument(f"malformed {fmt.name}: {exc}") from None
    except (OSError, ValueError) as exc:
        raise MalformedDocument(f"cannot read {fmt.name}: {exc}") from None
    except RecursionError:
        raise MalformedDocument(f"malformed {fmt.name}: nested too deeply") from None
    except MemoryError:  # pyoxigraph's bound on one token (a literal of several MB): not our memory running out
        raise MalformedDocument(f"cannot read {fmt.name}: a value in it is larger than the parser takes") from None


def _records(triples: list[Triple]) -> list[SampleRecord]:
    for t in triples:
        if isinstance(t.object, Literal) and _CONTROL.search(t.object.value):
            raise MalformedDocument("the document holds control characters (C0 other than tab, LF, CR) in a value")
    subjects: dict[str, str] = {}
    for t in triples:
        if t.predicate == _IGSN and isinstance(t.object, Literal) and isinstance(t.subject, NamedNode):
            name = normalise(t.object.value)
            if subjects.setdefault(t.subject.value, name) != name:
                raise InvalidRecord(
                    f"<{t.subject.value}> has two IGSNs ({subjects[t.subject.value]} and {name}); "
                    f"a sample has one: send one",
                    igsn=name,
                )
    if not subjects:  # none in our model: samples in Geoscience Australia's IGSN-O, else none at all
        found = igsn_o.read(triples)
        if not found:
            raise UnsupportedFormat(
                "no sample in the document (a sample is a subject with ig:igsn, or a "
                "sam:Specimen of Geoscience Australia's IGSN-O)"
            )
        for record, lost in found:
            record.warnings.extend(_not_mapped(lost))
        return [record for record, _ in found]
    bases = sorted({iri[: len(iri) - len(name)] for iri, name in subjects.items() if iri.upper().endswith(name)})

    def rename(term: Any) -> Any:
        if not isinstance(term, NamedNode):
            return term
        iri, _, fragment = term.value.partition("#")
        name = subjects.get(iri)
        if name is None:
            base = _longest_prefix(bases, iri)
            if base is None:
                return term
            try:
                name = normalise(iri[len(base) :])
            except Exception:  # noqa: BLE001 - not a sample IRI after all
                return term
        value = _MODEL.sample(name).value + (("#" + fragment) if fragment else "")
        return NamedNode(value)

    names = list(dict.fromkeys(subjects.values()))  # in document order: records come back in that order
    mapped = _skolemise([Triple(rename(t.subject), t.predicate, rename(t.object)) for t in triples], set(names))
    # each sample reads only its own triples (its IRI and its fragment nodes) and the shared rest:
    # reading the whole document once per sample made multi-sample documents quadratic
    own: dict[str, list[int]] = {name: [] for name in names}
    shared: list[int] = []
    for i, t in enumerate(mapped):
        owner = _owner(t.subject)
        if owner is not None and owner not in own:
            # a submission describes its own samples; what another sample says is that sample's registrant's
            raise InvalidInput(
                f"the document states triples about {owner}, which it does not register "
                f"(a sample is described only in its own registration)"
            )
        (own[owner] if owner is not None else shared).append(i)
    shared_index = _Index(mapped[i] for i in shared)
    shared_reach = _SharedReach(mapped, shared)
    sample_iris = frozenset(_MODEL.sample(name).value for name in names)
    records: list[SampleRecord] = []
    carried_shared: set[int] = set()
    for name, mine in own.items():
        # of the shared rest, only what the sample links to (directly or through other shared nodes) can be
        # in its record: giving each sample all of it made stray blank nodes cost samples × triples
        reach = shared_reach.of(mine)
        record = graphmap.record_from_triples([mapped[i] for i in mine] + [mapped[i] for i in reach], _MODEL, name)
        check = _Carried(record, [mapped[i] for i in mine], shared_index, sample_iris)
        not_carried = [i for i in mine if not check.carries(mapped[i])]
        carried_shared.update(i for i in reach if i not in carried_shared and check.carries(mapped[i]))
        check.refuse_second_values([(mapped[i], triples[i]) for i in not_carried], name)
        record.warnings.extend(_not_mapped(triples[i] for i in not_carried))
        records.append(record)
    stray = _not_mapped(triples[i] for i in shared if i not in carried_shared)
    for record in records:
        record.warnings.extend(stray)
    return records


class _SharedReach:
    """The shared triples (about no sample of the document) each sample reaches, found from its own triples.

    What each sample reaches is read once per sample, so a node many samples link to costs its triples once
    for each of them: allowed up to ``4 × triples + 10,000`` in all (an agent described once and named by every
    sample is far below), then the document is refused, so reading any document stays linear in its size.
    """

    def __init__(self, mapped: list[Triple], shared: list[int]) -> None:
        self.mapped = mapped
        self.by_subject: dict[str, list[int]] = defaultdict(list)
        for i in shared:
            self.by_subject[_subject_key(mapped[i].subject)].append(i)
        self.limit = self.budget = 4 * len(mapped) + 10_000

    def of(self, mine: list[int]) -> list[int]:
        """Indexes of the shared triples reachable from the triples ``mine``, in document order."""
        stack = [(k, k) for i in mine if (k := _key(self.mapped[i].object)) is not None and k in self.by_subject]
        seen: set[str] = set()
        found: list[int] = []
        while stack:
            key, root = stack.pop()
            if key in seen:
                continue
            seen.add(key)
            below = self.by_subject[key]
            self.budget -= len(below)
            if self.budget < 0:
                where = _show(root if root.startswith("_:") else f"<{root}>")
                raise InvalidInput(
                    f"{where} and the nodes below it are linked from many samples, each of which would "
                    f"read them again: more than the {self.limit} triples one document may make the "
                    f"registry read; describe what each sample needs within it, or send fewer samples "
                    f"in one document"
                )
            found.extend(below)
            stack.extend(
                (k, root)
                for i in below
                if (k := _key(self.mapped[i].object)) is not None and k in self.by_subject and k not in seen
            )
        found.sort()
        return found


def _longest_prefix(bases: list[str], iri: str) -> str | None:
    """The longest of the sorted ``bases`` that is a proper prefix of ``iri``, by bisection: trying each base
    for each IRI cost samples × terms when every sample has a base of its own."""
    probe = iri
    while probe:
        at = bisect.bisect_right(bases, probe) - 1
        if at < 0:
            return None
        candidate = bases[at]
        if iri.startswith(candidate) and len(iri) > len(candidate):
            return candidate
        # the bases between the candidate and the IRI share at most this much of it
        common = len(os.path.commonprefix([candidate, probe]))
        probe = probe[:common] if common < len(probe) else probe[:-1]
    return None


def _owner(term: Any) -> str | None:
    """The sample a subject belongs to (its IRI or a fragment of it), or None."""
    return _MODEL.name_of(term.value.partition("#")[0]) if isinstance(term, NamedNode) else None


def _skolemise(triples: list[Triple], names: Collection[str]) -> list[Triple]:
    """``triples`` with every blank node a sample reaches renamed to a fragment of that sample."""
    if not any(isinstance(t.object, BlankNode) for t in triples):
        return triples
    outgoing: dict[BlankNode, list[Triple]] = defaultdict(list)
    for t in triples:
        if isinstance(t.subject, BlankNode):
            outgoing[t.subject].append(t)
    taken = {t.subject.value for t in triples if isinstance(t.subject, NamedNode)}
    counters: dict[str, int] = defaultdict(int)
    named: dict[BlankNode, tuple[str, NamedNode]] = {}
    queue: deque[BlankNode] = deque()

    def name(node: BlankNode, owner: str) -> None:
        while True:
            counters[owner] += 1
            iri = f"{_MODEL.sample(owner).value}#bnode-{counters[owner]}"
            if iri not in taken:
                break
        named[node] = (owner, NamedNode(iri))
        queue.append(node)

    for t in triples:
        if isinstance(t.object, BlankNode) and t.object not in named:
            owner = _owner(t.subject)
            if owner is not None and owner in names:
                name(t.object, owner)
    while queue:  # breadth first below the nodes named so far; siblings keep their document order
        node = queue.popleft()
        for t in outgoing.get(node, ()):
            if isinstance(t.object, BlankNode) and t.object not in named:
                name(t.object, named[node][0])

    def term(x: Any) -> Any:
        return named[x][1] if isinstance(x, BlankNode) and x in named else x

    return [Triple(term(t.subject), t.predicate, term(t.object)) for t in triples]


# --- what the record carries ------------------------------------------------------------------


def _key(term: Any) -> str | None:
    """A node's key (IRI, or ``_:id``); None for a literal."""
    if isinstance(term, NamedNode):
        return term.value
    if isinstance(term, BlankNode):
        return "_:" + term.value
    return None


def _subject_key(term: NamedNode | BlankNode | Triple) -> str:
    """A subject's key: subjects are IRIs or blank nodes (RDF 1.2 has no triple terms as subjects)."""
    key = _key(term)
    assert key is not None, "a triple term as a subject"
    return key


class _Index:
    """Triples by subject key and predicate IRI."""

    def __init__(self, triples: Iterable[Triple]) -> None:
        self.props: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for t in triples:
            self.props[_subject_key(t.subject)][t.predicate.value].append(t.object)

    def get(self, key: str) -> dict[str, list[Any]] | None:
        return self.props.get(key)


_ORDER = re.compile(r"-(\d+)$")


def _order(key: str) -> tuple[int, str]:
    """The order record_from_triples reads the nodes of a list in (the number ending the fragment)."""
    m = _ORDER.search(key)
    return (int(m.group(1)) if m else 0, key)


def _value(predicate: str, term: Any) -> str:
    """A value's text in the form the model writes it back."""
    value: str = term.value if not isinstance(term, BlankNode) else "_:" + term.value
    try:
        if predicate in _IGSN_PROPS and isinstance(term, Literal):
            return normalise(value)
        if predicate in _SAMPLE_LINKS:
            return (_MODEL.name_of(value) or value) if isinstance(term, NamedNode) else value
        coded = _CODED.get(predicate)
        if coded is not None and isinstance(term, NamedNode):
            return coded(value)
    except Exception:  # noqa: BLE001 - an odd value is compared as written
        return value
    return value


def _notation(name: str) -> Callable[[str], str]:
    return lambda iri: codelist(name).notation(iri) or iri


_IGSN_PROPS = frozenset({IG.igsn.value, DCTERMS.identifier.value})
_SAMPLE_LINKS = frozenset({IG.parent.value, IG.memberOf.value})
_CODED: dict[str, Callable[[str], str]] = {
    IG.identifierScheme.value: _notation("identifier_type"),
    PROV.hadRole.value: _notation("contributor_type"),
    DCAT.hadRole.value: lambda iri: iri[len(IGREL) :] if iri.startswith(str(IGREL)) else iri,
}


class _Carried:
    """Which submitted triples of one sample its record says again (``graph.record_triples``).

    Submitted nodes are paired with the record's nodes by place: from the sample down, the k-th node
    object of a property (in the reader's order) with the writer's k-th. A node reached twice (one agent
    as registrant and collector) pairs with each of the record's nodes for it.
    """

    def __init__(self, record: SampleRecord, own: list[Triple], shared: _Index, samples: frozenset[str]) -> None:
        self.record = record
        self.triples = graphmap.record_triples(record, _MODEL)
        # most submissions write what the model writes: a triple found as it is needs no pairing
        self.exact = set(self.triples)
        self.own_triples, self.shared = own, shared
        self.samples = samples  # the IRIs of the document's samples: links to them are values, not nodes
        self.ready = False

    def _prepare(self) -> None:
        if self.ready:
            return
        self.ready = True
        self.out = _Index(self.triples)
        self.values = {(_key(t.subject), t.predicate.value, _value(t.predicate.value, t.object)) for t in self.triples}
        self.own = _Index(self.own_triples)
        self.pairs: dict[str, set[str]] = defaultdict(set)
        root = _MODEL.sample(self.record.igsn).value
        self._pair(root, root)

    def submitted(self, key: str) -> dict[str, list[Any]] | None:
        return self.own.get(key) or self.shared.get(key)

    def _pair(self, mine: str, theirs: str) -> None:
        stack = [(mine, theirs)]
        while stack:
            a, b = stack.pop()
            if b in self.pairs[a]:
                continue
            self.pairs[a].add(b)
            target = self.out.get(b) or {}
            for p, objects in (self.submitted(a) or {}).items():
                outs = target.get(p)
                if not outs:
                    continue
                mine_nodes = sorted(
                    {
                        k
                        for o in objects
                        if (k := _key(o)) is not None and k not in self.samples and self.submitted(k) is not None
                    },
                    key=_order,
                )
                their_nodes = sorted(
                    {k for o in outs if (k := _key(o)) is not None and self.out.get(k) is not None}, key=_order
                )
                stack.extend(zip(mine_nodes, their_nodes, strict=False))

    def carries(self, t: Triple) -> bool:
        if t in self.exact:
            return True
        p = t.predicate.value
        if p in _DERIVED:
            return True
        self._prepare()
        subjects = self.pairs.get(_key(t.subject) or "", ())
        if not subjects:
            return False
        if p == _TARGET and any(_RELATIONSHIP in (self.out.get(s) or {}) for s in subjects):
            return True
        obj = _key(t.object)
        for o in self.pairs.get(obj, ()) if obj is not None else ():
            if any(NamedNode(o) in (self.out.get(s) or {}).get(p, ()) for s in subjects):
                return True
        value = _value(p, t.object)
        return any((s, q, value) in self.values for s in subjects for q in (p, *_ALSO.get(p, ())))

    def refuse_second_values(self, lost: list[tuple[Triple, Triple]], igsn: str) -> None:
        """``InvalidRecord`` when a lost triple is one of two values the submission gives a property the record
        holds once (the writer's own normal form of a single value is not a second value)."""
        if lost:
            self._prepare()
        for t, original in lost:
            p = t.predicate.value
            label = _SINGLE.get(p)
            if label is None:
                continue
            written = (self.submitted(_key(t.subject) or "") or {}).get(p, [])
            distinct = list({_value(p, o): o for o in written}.values())
            if len(distinct) > 1:
                raise InvalidRecord(
                    f"{original.subject} has more than one {label} ({_show(distinct[0])} and {_show(distinct[1])}) "
                    f"where the record holds one: keeping one would drop the other, so nothing was stored; "
                    f"send one {label}",
                    igsn=igsn,
                )


def _show(term: Any, limit: int = 80) -> str:
    text = str(term)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _not_mapped(triples: Iterable[Triple]) -> list[str]:
    """One warning per triple (``MAX_LISTED`` of them), then the count of the rest."""
    out: list[str] = []
    rest = 0
    for t in triples:
        if t.predicate.value in _DERIVED:
            continue
        if len(out) < MAX_LISTED:
            out.append(not_mapped(f"{_show(t.subject)} {_show(t.predicate)} {_show(t.object)}"))
        else:
            rest += 1
    if rest:
        out.append(not_mapped(f"and {rest} more triples"))
    return out
