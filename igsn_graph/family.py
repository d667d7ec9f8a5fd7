"""A sample's family as its landing page shows it: ancestors up to the root, children, siblings, collections.

The links come from ``relations`` (the ``relation_edge`` rows, public links only); names and types of the
relatives come from the search rows (``search_doc``, ``search_facet``) in one query, so a page with many
relatives costs a few SQLite look-ups and no graph read. Only *findable* samples have search rows, so a
relative that is private, inactive or a test registration is left out here even when a public sample
still names it. Long lists stop at ``PAGE`` entries and say so (``more_*``): the page links to the full,
paged list (the descendants API or the search page).

``state`` is the rest of such a page's cache validator: the page shows other samples, whose changes leave this
sample's own version as it is, so its ETag and Last-Modified name theirs too (read from the same rows).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from . import relations
from .index.search import label_of

__all__ = ["PAGE", "Family", "Relative", "family", "state"]

#: a landing page lists at most this many children, siblings and members (each), then links to the rest
PAGE = 20


@dataclass(frozen=True)
class Relative:
    """A findable sample as a family list names it: its IGSN, name and resource types (labels)."""

    igsn: str
    name: str | None
    kind: str
    types: tuple[str, ...] = ()


@dataclass(frozen=True)
class Family:
    """The relatives of one sample; ``lineage`` holds its ancestors by generation, the root's first."""

    lineage: tuple[tuple[Relative, ...], ...] = ()
    children: tuple[Relative, ...] = ()
    more_children: bool = False
    siblings: tuple[Relative, ...] = ()
    more_siblings: bool = False
    collections: tuple[Relative, ...] = ()
    members: tuple[Relative, ...] = ()
    more_members: bool = False

    @property
    def parents(self) -> tuple[Relative, ...]:
        return self.lineage[-1] if self.lineage else ()

    def __bool__(self) -> bool:
        return bool(self.lineage or self.children or self.siblings or self.collections or self.members)


def _relatives(conn: sqlite3.Connection, names: Iterable[str]) -> dict[str, Relative]:
    """Name, kind and type labels of the findable samples among ``names`` (one query; others are absent)."""
    wanted = list(dict.fromkeys(names))
    found: dict[str, tuple[str | None, str, list[str]]] = {}
    for start in range(0, len(wanted), 500):  # within SQLite's bound on parameters
        chunk = wanted[start : start + 500]
        rows = conn.execute(
            "SELECT d.igsn, d.name, d.kind, f.value FROM search_doc d "
            "LEFT JOIN search_facet f ON f.doc = d.doc AND f.facet = 'type' "
            f"WHERE d.igsn IN ({','.join('?' * len(chunk))}) ORDER BY d.igsn, f.value",
            chunk,
        )
        for igsn, name, kind, value in rows:
            entry = found.setdefault(igsn, (name, kind, []))
            if value:
                entry[2].append(label_of(value) or value.rsplit("/", 1)[-1])
    return {igsn: Relative(igsn, name, kind, tuple(types)) for igsn, (name, kind, types) in found.items()}


def _page(names: list[str]) -> tuple[list[str], bool]:
    return names[:PAGE], len(names) > PAGE


def _siblings(conn: sqlite3.Connection, name: str, parents: list[str]) -> list[str]:
    if not parents:
        return []
    rows = conn.execute(
        "SELECT DISTINCT source FROM relation_edge WHERE kind = 'parent' AND target_type = 'IGSN' AND visible = 1 "
        f"AND target IN ({','.join('?' * len(parents))}) AND source != ? ORDER BY source LIMIT ?",
        [*parents, name, 4 * PAGE],  # a few spare: some may be left out as not findable
    )
    return [r[0] for r in rows]


@dataclass(frozen=True)
class _Candidates:
    """The samples a family section may name, by role, before the findable ones are picked (a few spare)."""

    ancestors: tuple[relations.Node, ...]
    collections: tuple[str, ...]
    children: tuple[str, ...]
    siblings: tuple[str, ...]
    members: tuple[str, ...]

    def names(self) -> list[str]:
        return list(
            dict.fromkeys(
                [n.igsn for n in self.ancestors] + [*self.collections, *self.children, *self.siblings, *self.members]
            )
        )


def _candidates(conn: sqlite3.Connection, name: str) -> _Candidates:
    ancestors = relations.ancestors(conn, name)
    # the collections this sample states it belongs to (its own public links; read directly, not through
    # relations.related, which also reads every link naming it)
    collections = [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT target FROM relation_edge WHERE source = ? AND kind = 'collection' "
            "AND target_type = 'IGSN' AND visible = 1 ORDER BY target",
            (name,),
        )
    ]
    children = relations.children(conn, name, limit=4 * PAGE)
    parents = [n.igsn for n in ancestors if n.depth == 1]
    return _Candidates(
        tuple(ancestors),
        tuple(collections),
        tuple(children),
        tuple(_siblings(conn, name, parents)),
        tuple(relations.members(conn, name, limit=4 * PAGE)),
    )


def state(conn: sqlite3.Connection, name: str) -> tuple[str, str | None]:
    """(digest, latest datestamp) of what the family of ``name`` shows: which samples stand in which place
    (ancestors by generation, collections, children, siblings, members) and each one's catalogue version,
    status and visibility — a relative renamed, added, made private or registered at last changes the digest.

    A few indexed SQLite reads, no graph and no search rows: cheap enough to answer a conditional request.
    """
    found = _candidates(conn, name)
    names = found.names()
    rows: dict[str, tuple[object, ...]] = {}
    for start in range(0, len(names), 500):  # within SQLite's bound on parameters
        chunk = names[start : start + 500]
        for row in conn.execute(
            "SELECT igsn, version, datestamp, status, active, is_public, has_metadata FROM catalogue "
            f"WHERE igsn IN ({','.join('?' * len(chunk))})",
            chunk,
        ):
            rows[row[0]] = tuple(row[1:])
    places = [
        ("a", [f"{n.igsn}@{n.depth}" for n in found.ancestors]),
        ("l", list(found.collections)),
        ("c", list(found.children)),
        ("s", list(found.siblings)),
        ("m", list(found.members)),
    ]
    text = "|".join(f"{role}:{','.join(items)}" for role, items in places)
    text += "|" + ";".join(f"{n}={rows.get(n, '-')}" for n in names)
    latest = max((str(r[1]) for r in rows.values()), default=None)
    return hashlib.sha1(text.encode()).hexdigest()[:16], latest


def family(conn: sqlite3.Connection, name: str) -> Family:
    """The findable relatives of sample ``name``, read from the registry database (``Database.read()``)."""
    found = _candidates(conn, name)
    ancestors, collections = found.ancestors, list(found.collections)
    children, siblings, members = list(found.children), list(found.siblings), list(found.members)
    known = _relatives(conn, found.names())
    # a parent or collection this sample names that is not registered here (yet) is shown as named: the link
    # is what this public record states (links.py), and its page says it is not registered; a registered one
    # that is not findable (private, inactive) stays out
    stated = [n.igsn for n in ancestors if n.depth == 1] + collections
    unknown = [n for n in dict.fromkeys(stated) if n not in known]
    if unknown:
        registered = {
            r[0]
            for r in conn.execute(f"SELECT igsn FROM catalogue WHERE igsn IN ({','.join('?' * len(unknown))})", unknown)
        }
        known.update({n: Relative(n, None, "not registered here") for n in unknown if n not in registered})

    def shown(names: Iterable[str]) -> list[str]:
        return [n for n in names if n in known]

    depth = max((n.depth for n in ancestors if n.igsn in known), default=0)
    lineage = [tuple(known[n.igsn] for n in ancestors if n.depth == d and n.igsn in known) for d in range(depth, 0, -1)]
    kids, more_kids = _page(shown(children))
    sibs, more_sibs = _page(shown(siblings))
    mems, more_mems = _page(shown(members))
    return Family(
        lineage=tuple(g for g in lineage if g),
        children=tuple(known[n] for n in kids),
        more_children=more_kids,
        siblings=tuple(known[n] for n in sibs),
        more_siblings=more_sibs,
        collections=tuple(known[n] for n in dict.fromkeys(shown(collections))),
        members=tuple(known[n] for n in mems),
        more_members=more_mems,
    )
