"""Relations between samples and to the outside: parents, collections, features, related identifiers, agents.

Every link a sample states is kept as a row of ``relation_edge`` in the registry database (written in
the same SQLite transaction as the catalogue, see ``registry.journal``), indexed from both ends, so a
traversal never scans the graph. Inverse links (``HasPart`` for another sample's ``IsPartOf``, the
children of a parent…) are computed here at read time from the other sample's edges; they are never
written into the other sample's record, which may belong to another agent and whose datestamp must
not change.

Edges of samples the public may not see (private, inactive, test, without metadata) are kept with
``visible = 0``: registration rules (no cycles of parent links) see them, public reads do not.

Public API (used by the API routers and the landing page):

* ``related(source, name)`` → every typed link of a sample, stated and inferred (``Link.inferred``)
* ``parents(source, name)``, ``children(source, name)``, ``ancestors(…, depth)``, ``descendants(…, depth)``
* ``samples_related_to(source, identifier, descendants=False)`` → samples linked to a DOI / URL / IGSN
* ``agent_samples(source, agent_id)`` → samples naming an ORCID / ROR agent, with the role
* ``parent_cycles(source, proposed)`` → the registration rule: parent links that would form a cycle

``source`` is a ``Registry``, a ``Database`` or an open ``sqlite3.Connection``.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol, Union

from . import identifiers, links
from .agent_ids import agent_iri, any_agent_iri
from .codelists import relation_types
from .errors import InvalidIdentifier, InvalidInput
from .record import SampleRecord

__all__ = [
    "KINDS",
    "MAX_DEPTH",
    "AgentSample",
    "Edge",
    "Link",
    "Node",
    "agent_samples",
    "ancestors",
    "children",
    "delete_edges",
    "descendants",
    "edges_of",
    "inbound_state",
    "inverse_of",
    "normal_agent",
    "normal_identifier",
    "parent_cycles",
    "parents",
    "related",
    "samples_related_to",
    "write_edges",
]

#: a traversal never goes deeper than this (cycles cannot be registered, but the bound makes that moot)
MAX_DEPTH = 1000

#: edge kinds: ``parent`` (derived from a parent sample), ``collection`` (member of a collection),
#: ``feature`` (a sampled feature), ``related`` (a DataCite related identifier), ``agent`` (a party)
KINDS = ("parent", "collection", "feature", "related", "agent")

#: the DataCite relation type a structural kind stands for (stated side); the inverse comes from the table
_KIND_RELATION = {"parent": "IsDerivedFrom", "collection": "IsPartOf"}
#: the link kind an inferred (inverse) edge is shown as
_INVERSE_KIND = {"parent": "child", "collection": "member", "feature": "sample", "related": "related"}


class _HasDb(Protocol):
    db: object


Source = Union[sqlite3.Connection, "_HasDb", object]


def _conn(source: Source) -> sqlite3.Connection:
    if isinstance(source, sqlite3.Connection) or hasattr(source, "execute"):  # SQLite's, or PostgreSQL's (db)
        return source  # type: ignore[return-value]
    db = getattr(source, "db", source)  # a Registry has .db, a Database has .read()
    return db.read()  # type: ignore[no-any-return,attr-defined]  # Source is duck-typed: anything with .read()


@dataclass(frozen=True)
class Edge:
    """One link a sample states: ``kind``, DataCite ``relation`` (or agent role), the target and its type."""

    source: str
    kind: str
    relation: str
    target_type: str
    target: str


@dataclass(frozen=True)
class Link:
    """A link as a reader sees it from one sample; ``inferred``: stated by the other side only."""

    kind: str  # parent, child, collection, member, feature, sample, related
    relation_type: str | None
    identifier: str
    identifier_type: str
    inferred: bool

    @property
    def igsn(self) -> str | None:
        return self.identifier if self.identifier_type == "IGSN" else None


@dataclass(frozen=True)
class Node:
    igsn: str
    depth: int


@dataclass(frozen=True)
class AgentSample:
    igsn: str
    role: str


# --- identifiers --------------------------------------------------------------------------------

_DOI = re.compile(r"(?i)^(?:doi:|https?://(?:dx\.)?doi\.org/)?\s*(10\.\d{4,9}/\S+)$")


def normal_identifier(value: str, identifier_type: str | None = None) -> tuple[str, str]:
    """(type, value) in the form edges are kept and looked up: DOIs lower-case ``10.x/…``, IGSNs by name."""
    value = value.strip()
    kind = (identifier_type or "").upper()
    name = links.igsn_named(value, identifier_type)
    if name is not None:  # any written form of an IGSN (handle, DOI under an IGSN prefix, resolver URL)
        return "IGSN", name
    if kind == "IGSN":
        try:
            return "IGSN", identifiers.parse_igsn(value).name
        except InvalidIdentifier:
            return "IGSN", value.upper()
    m = _DOI.match(value)
    if m and kind in ("", "DOI", "URL"):
        return "DOI", m.group(1).lower()  # DOIs are case-insensitive
    if kind in ("", "URL", "PURL", "W3ID") and value.lower().startswith(("http://", "https://")):
        return "URL", value
    return (kind or "OTHER"), value


def normal_agent(value: str) -> str:
    """The IRI an agent id (bare or as IRI: ORCID, ROR, ISNI, Wikidata) stands for; InvalidInput otherwise."""
    iri = any_agent_iri(value)
    if iri is None:
        raise InvalidInput(f"{value!r} is not an ORCID iD, ROR id, ISNI or Wikidata item")
    return iri


def _sample_target(name: str) -> str:
    try:
        return identifiers.parse_igsn(name).name
    except InvalidIdentifier:
        return name


# --- edges of a record ---------------------------------------------------------------------------


def edges_of(record: SampleRecord) -> list[Edge]:
    """Every link the record states, in its normal form (sorted, distinct)."""
    s = record.igsn
    out: set[Edge] = set()
    for p in record.parents:
        out.add(Edge(s, "parent", "IsDerivedFrom", "IGSN", _sample_target(p)))
    for c in record.collections:
        out.add(Edge(s, "collection", "IsPartOf", "IGSN", _sample_target(c)))
    for f in record.sampled_features:
        if f.uri:
            kind, value = normal_identifier(f.uri)
        elif f.name:
            kind, value = "Name", f.name
        else:
            continue
        out.add(Edge(s, "feature", "", kind, value))
    linked = set(record.parents) | set(record.collections)
    for rel in record.relations:
        if not rel.identifier.strip():
            continue
        if rel.igsn is not None and rel.igsn in linked:
            continue  # the relation made the sample a parent or collection (links.py): one edge, not two
        kind, value = ("IGSN", rel.igsn) if rel.igsn else normal_identifier(rel.identifier, rel.identifier_type)
        out.add(
            Edge(s, "related", relation_types().canonical(rel.relation_type) or rel.relation_type or "", kind, value)
        )
    parties = (
        [("Collector", a) for a in record.collectors]
        + [("Registrant", record.registrant)]
        + [(c.role, c.agent) for c in record.contributors]
        + [("Curator", cur.institution) for cur in record.curations]
    )
    for role, agent in parties:
        while agent is not None:
            link = agent_iri(agent.identifier.value, agent.identifier.scheme) if agent.identifier else None
            if link is not None:
                out.add(Edge(s, "agent", role or "Other", "Agent", link))
            # an affiliation is a party of the sample too, in the role "Affiliation"
            agent, role = agent.affiliation, "Affiliation"
    return sorted(out, key=lambda e: (e.kind, e.relation, e.target_type, e.target))


def write_edges(conn: sqlite3.Connection, name: str, edges: Iterable[Edge], *, visible: bool) -> None:
    """Replaces the edges sample ``name`` states (inside the caller's transaction)."""
    delete_edges(conn, name)
    conn.executemany(
        "INSERT OR IGNORE INTO relation_edge VALUES (?, ?, ?, ?, ?, ?)",
        [(e.source, e.kind, e.relation, e.target_type, e.target, int(visible)) for e in edges],
    )


def delete_edges(conn: sqlite3.Connection, name: str) -> None:
    conn.execute("DELETE FROM relation_edge WHERE source = ?", (name,))


def inverse_of(relation_type: str | None) -> str | None:
    """The DataCite inverse of a relation type (``IsPartOf`` → ``HasPart``), from mappings/relation_types.csv."""
    return relation_types().inverse(relation_type) if relation_type else None


# --- reads ---------------------------------------------------------------------------------------


def related(source: Source, name: str) -> list[Link]:
    """Every public link of sample ``name``: those it states, then those other samples state about it.

    An inferred link repeats nothing the sample states itself (a link stated on both sides is shown once,
    as stated), and each inverse (relation type, sample) appears once.
    """
    conn = _conn(source)
    links: list[Link] = []
    for r in conn.execute(
        "SELECT kind, relation, target_type, target FROM relation_edge WHERE source = ? "
        "AND visible = 1 AND kind != 'agent' ORDER BY kind, relation, target",
        (name,),
    ):
        relation = _KIND_RELATION.get(r["kind"], r["relation"] or None)
        links.append(Link(r["kind"], relation, r["target"], r["target_type"], False))
    stated = {(link.relation_type, link.identifier) for link in links}
    for r in conn.execute(
        "SELECT source, kind, relation FROM relation_edge WHERE target = ? AND target_type = 'IGSN' "
        "AND visible = 1 AND kind != 'agent' ORDER BY kind, relation, source",
        (name,),
    ):
        relation = inverse_of(_KIND_RELATION.get(r["kind"], r["relation"] or None))
        if (relation, r["source"]) in stated or r["source"] == name:
            continue
        stated.add((relation, r["source"]))  # said twice by the other side (as parent and as relation): once
        links.append(Link(_INVERSE_KIND[r["kind"]], relation, r["source"], "IGSN", True))
    return links


def parents(source: Source, name: str) -> list[str]:
    return [
        r[0]
        for r in _conn(source).execute(
            "SELECT target FROM relation_edge WHERE source = ? AND kind = 'parent' AND visible = 1 ORDER BY target",
            (name,),
        )
    ]


def children(source: Source, name: str, *, limit: int | None = None) -> list[str]:
    """The findable samples that name ``name`` as their parent, in name order: the one read of a sample's
    children (landing page family, schema.org ``hasPart``, the resolver's projections)."""
    return _inbound(source, name, "parent", limit)


def members(source: Source, name: str, *, limit: int | None = None) -> list[str]:
    """The findable samples that name ``name`` as their collection, in name order."""
    return _inbound(source, name, "collection", limit)


def _inbound(source: Source, name: str, kind: str, limit: int | None) -> list[str]:
    rows = _conn(source).execute(
        "SELECT DISTINCT source FROM relation_edge WHERE target = ? AND kind = ? AND target_type = 'IGSN' "
        "AND visible = 1 AND source != ? ORDER BY source" + (" LIMIT ?" if limit is not None else ""),
        (name, kind, name, *([limit] if limit is not None else [])),
    )
    return [r[0] for r in rows]


def inbound_state(source: Source, name: str) -> tuple[str, str | None]:
    """(digest, latest datestamp) of the samples whose visible links name ``name``, with their versions.

    A page that lists them (the landing page's children and members) changes when one of them does,
    while ``name``'s own version stays: this is the rest of such a page's validator (ETag, Last-Modified).
    """
    rows = (
        _conn(source)
        .execute(
            "SELECT e.source, c.version, c.datestamp FROM relation_edge e JOIN catalogue c ON c.igsn = e.source "
            "WHERE e.target = ? AND e.target_type = 'IGSN' AND e.visible = 1 ORDER BY e.source, e.kind, e.relation",
            (name,),
        )
        .fetchall()
    )
    digest = hashlib.sha1("".join(f"{r[0]}:{r[1]};" for r in rows).encode()).hexdigest()[:12]
    return digest, max((r[2] for r in rows), default=None)


def _check_depth(depth: int | None) -> int:
    if depth is None:
        return MAX_DEPTH
    if depth < 1:
        raise InvalidInput("depth must be at least 1")
    return min(depth, MAX_DEPTH)


_WALK = """
WITH RECURSIVE walk(node, depth) AS (
    SELECT ?, 0
    UNION
    SELECT {next}, walk.depth + 1 FROM walk JOIN relation_edge e ON {join}
    WHERE e.kind = 'parent' AND e.target_type = 'IGSN' AND e.visible = 1 AND walk.depth < ?)
SELECT node AS igsn, MIN(depth) AS depth FROM walk WHERE node != ? GROUP BY node
"""
# UNION (not UNION ALL) keeps each (node, depth) once: a diamond's shared node is walked once per depth,
# and the depth bound ends any cycle; the nearest depth of each node is reported


def ancestors(source: Source, name: str, depth: int | None = None) -> list[Node]:
    """Parents, their parents… up to ``depth`` generations, nearest first (each sample once)."""
    sql = _WALK.format(next="e.target", join="e.source = walk.node")
    rows = _conn(source).execute(
        f"SELECT * FROM ({sql}) AS found ORDER BY depth, igsn", (name, _check_depth(depth), name)
    )
    return [Node(r[0], r[1]) for r in rows]


def descendants(
    source: Source,
    name: str,
    depth: int | None = None,
    *,
    limit: int | None = None,
    after: tuple[int, str] | None = None,
) -> list[Node]:
    """Children, their children… up to ``depth`` generations, ordered by (depth, IGSN); keyset ``after``."""
    sql = _WALK.format(next="e.source", join="e.target = walk.node")
    where, args = "", [name, _check_depth(depth), name]
    if after is not None:
        where = "WHERE (depth, igsn) > (?, ?)"
        args += list(after)
    tail = ""
    if limit is not None:
        tail = " LIMIT ?"
        args.append(limit)
    rows = _conn(source).execute(f"SELECT * FROM ({sql}) AS found {where} ORDER BY depth, igsn{tail}", args)
    return [Node(r[0], r[1]) for r in rows]


def samples_related_to(
    source: Source, identifier: str, *, descendants_too: bool = False, depth: int | None = None
) -> list[tuple[str, str, bool]]:
    """(IGSN, relation type, via_parent) of every public sample linked to a DOI, URL or IGSN.

    ``descendants_too``: also every descendant of those samples, with the relation of its ancestor and
    ``via_parent`` True.
    """
    kind, value = normal_identifier(identifier)
    conn = _conn(source)
    direct = conn.execute(
        "SELECT source, relation FROM relation_edge WHERE target = ? AND target_type = ? AND kind = 'related' "
        "AND visible = 1 ORDER BY source, relation",
        (value, kind),
    ).fetchall()
    out = [(r[0], r[1], False) for r in direct]
    if descendants_too:
        seen = {r[0] for r in direct}
        for igsn, relation, _ in list(out):
            for node in descendants(conn, igsn, depth):
                if node.igsn not in seen:
                    seen.add(node.igsn)
                    out.append((node.igsn, relation, True))
    return out


def agent_samples(source: Source, agent_id: str, *, limit: int = 1000, after: str | None = None) -> list[AgentSample]:
    """Public samples naming the agent (ORCID / ROR) as collector, registrant, curator, contributor…"""
    iri = normal_agent(agent_id)
    args: list[object] = [iri]
    cond = ""
    if after is not None:
        cond = " AND source > ?"
        args.append(after)
    args.append(limit)
    rows = _conn(source).execute(
        "SELECT source, group_concat(relation, ' ') FROM relation_edge WHERE target = ? AND kind = 'agent' "
        f"AND visible = 1{cond} GROUP BY source ORDER BY source LIMIT ?",
        args,
    )
    return [AgentSample(r[0], r[1]) for r in rows]


# --- the registration rule --------------------------------------------------------------------


def _visible(conn: sqlite3.Connection, cycle: list[str], proposed: dict[str, list[str]]) -> list[str]:
    """The cycle's names as anyone may see them: the batch's own and public, active samples; ``…`` for the rest."""
    others = sorted(set(cycle) - proposed.keys())
    public = (
        {
            r[0]
            for r in conn.execute(
                f"SELECT igsn FROM catalogue WHERE deleted = 0 AND igsn IN ({','.join('?' * len(others))})", others
            )
        }
        if others
        else set()
    )
    shown: list[str] = []
    for name in cycle:
        label = name if name in proposed or name in public else "…"
        if not (label == "…" and shown and shown[-1] == "…"):
            shown.append(label)
    return shown


def parent_cycles(source: Source, proposed: dict[str, list[str]]) -> dict[str, str]:
    """Samples of a batch whose parent links would close a cycle → a message naming the cycle.

    ``proposed``: the batch's samples and their new parents (replacing what they state now). Registered
    parent links are read from the edge table, private and inactive samples' too, so no cycle can pass
    through a sample the public does not see. Only the ancestors of the batch are read. The message names
    the batch's samples and public, active ones; a stretch through others (another party's private parent
    link) is written ``…``, so a refusal tells nobody what they could not see.
    """
    conn = _conn(source)
    graph: dict[str, list[str]] = {name: sorted({_sample_target(p) for p in ps}) for name, ps in proposed.items()}
    frontier = {p for ps in graph.values() for p in ps} - graph.keys()
    while frontier:
        batch = sorted(frontier)
        frontier = set()
        for i in range(0, len(batch), 500):
            chunk = batch[i : i + 500]
            found: dict[str, list[str]] = {n: [] for n in chunk}
            for r in conn.execute(
                f"SELECT source, target FROM relation_edge WHERE kind = 'parent' AND target_type = 'IGSN' "
                f"AND source IN ({','.join('?' * len(chunk))})",
                chunk,
            ):
                found[r[0]].append(r[1])
            graph.update(found)
            frontier |= {p for ps in found.values() for p in ps if p not in graph}
    # depth-first search with colours over the (small) graph of the batch's ancestry
    state: dict[str, int] = {}
    problems: dict[str, str] = {}
    for start in sorted(proposed):
        if state.get(start):
            continue
        path: list[str] = []
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(graph.get(start, ())))]
        state[start] = 1
        path.append(start)
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            if state.get(nxt) == 1:  # back edge: the path from nxt to node, then nxt again, is a cycle
                cycle = path[path.index(nxt) :] + [nxt]
                message = "parent links would form a cycle: " + " → ".join(_visible(conn, cycle, proposed))
                for member in cycle:
                    if member in proposed:
                        problems.setdefault(member, message)
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, iter(graph.get(nxt, ()))))
    return problems
