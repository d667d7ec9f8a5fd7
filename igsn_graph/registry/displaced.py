"""A description registered here displaces the harvested one shown, in the same write (README: Precedence).

When a write sets a sample's description here (any registration but a harvest's ``harvested`` version), the
source record whose description was shown stops being it at once: its harvest graph's ``ig:inForce true``
becomes ``false`` in the journal's graph write, which also puts the description it gave (the sample's latest
version in the history, as ``harvest.storage`` keeps a record beside) into that graph; its ``harvest_origin`` row
says so in the journal's index transaction. All is read from the registry database before that transaction
commits, so a write redone after a crash edits the same graphs (removing an absent triple, adding a present one,
does nothing).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from pyoxigraph import Literal, Triple

from ..formats.graph import record_from_triples, record_triples
from ..formats.rdf import parse_ntriples
from ..iris import Iris
from ..store import history
from ..store.base import GraphWrite
from ..vocab import IG, XSD

__all__ = ["describing", "mark_displaced", "unmark_in_graphs"]

#: events that set a description without a submitted document (``harvest.precedence.DESCRIPTION_EVENTS``)
_DESCRIBING = ("metadata-registered", "metadata-updated")
_HARVESTED = "harvested"


def describing(changes: Sequence[tuple[str, str, bool]]) -> list[str]:
    """The samples whose description a change sets here: (igsn, event, keeps a document) of each change."""
    return sorted(
        {igsn for igsn, event, document in changes if event != _HARVESTED and (document or event in _DESCRIBING)}
    )


def _shown(conn: sqlite3.Connection, igsns: Sequence[str]) -> list[tuple[str, str]]:
    """(source, igsn) of the harvested records shown for these samples."""
    if not igsns:
        return []
    marks = ",".join("?" * len(igsns))
    try:
        rows = conn.execute(
            f"SELECT source, igsn FROM harvest_origin WHERE in_force = 1 AND igsn IN ({marks})", list(igsns)
        ).fetchall()
    except sqlite3.OperationalError:  # a database from before harvests
        return []
    return [(str(r[0]), str(r[1])) for r in rows]


def unmark_in_graphs(conn: sqlite3.Connection, iris: Iris, igsns: Sequence[str], write: GraphWrite) -> None:
    """Adds to ``write``: each displaced record's harvest graph says it is no longer in force, and holds the
    description it gave (a private one never: it is never in a public graph)."""
    for source, igsn in _shown(conn, igsns):
        g = iris.harvest_graph(source, igsn)
        write.remove.setdefault(g, []).append(Triple(g, IG.inForce, Literal("true", datatype=XSD.boolean)))
        added = [*write.add.get(g, ()), Triple(g, IG.inForce, Literal("false", datatype=XSD.boolean))]
        shown = history.latest_version(conn, igsn)  # the harvested version: this write's is not in it yet
        if shown is not None:
            record = record_from_triples(parse_ntriples(shown.graph_ntriples), iris, igsn)
            if record.is_public:
                added.extend(record_triples(record, iris))
        write.add[g] = added


def mark_displaced(conn: sqlite3.Connection, igsns: Sequence[str]) -> None:
    """In the caller's transaction: the displaced records' rows are no longer in force."""
    for i in range(0, len(igsns), 500):
        chunk = list(igsns[i : i + 500])
        marks = ",".join("?" * len(chunk))
        try:
            conn.execute(f"UPDATE harvest_origin SET in_force = 0 WHERE in_force = 1 AND igsn IN ({marks})", chunk)
        except sqlite3.OperationalError:  # a database from before harvests
            return
