"""Relinking: descriptions stored before ``links`` existed get their links without being registered again.

A record registered before a relation's target was recognised as an IGSN (a registration-kernel parent written
``10273/NAME``, a CSIRO ``IsDerivedFrom`` IGSN…) holds the relation as a string-like resolver IRI. ``relink``
reads every stored description, applies ``links.resolve`` with the format it was submitted in, and writes a new
version (event ``relinked``) only for the samples whose description changes — their datestamp moves, every
other sample is left exactly as it is; earlier versions stay in the history. It runs in keyset batches that
hold the write lock briefly, is resumable (the last finished IGSN is kept in ``meta``), and idempotent.
``igsn-graph reindex`` and ``igsn-graph restamp`` run it first; ``verify`` reports samples it has not reached.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from .. import links
from ..formats import graph as graphmap
from ..index import catalogue
from ..record import SampleRecord
from ..resources import mappings_dir
from ..store import history
from .accounts import ADMIN
from .writes import PreparedWrite

if TYPE_CHECKING:
    from .service import Registry

__all__ = ["DONE_KEY", "EVENT", "fingerprint", "pending", "relink", "relinked"]

log = logging.getLogger("igsn_graph.relink")

#: the history event of a relink (a PROV activity like any other change)
EVENT = "relinked"
#: bump when ``links.resolve`` changes what it makes of a stored record
LINKS_REVISION = "1"
DONE_KEY = _DONE = "links_fingerprint"  # the link rules every stored description has been relinked under
_AFTER = "relink_after"  # a relink under way: done up to this IGSN (in IGSN order)


def fingerprint() -> str:
    """The link rules: the code revision and the two tables it reads."""
    h = hashlib.sha256(LINKS_REVISION.encode())
    for name in ("relation_semantics.csv", "igsn_doi_prefixes.csv"):
        h.update((mappings_dir() / name).read_bytes())
    return h.hexdigest()[:16]


def pending(registry: "Registry") -> bool:
    """Stored descriptions may predate the current link rules (or a relink was interrupted)."""
    return registry.db.get_meta(_DONE) != fingerprint() or registry.db.get_meta(_AFTER) is not None


def relinked(registry: "Registry", record: SampleRecord, fmt: str | None, prefixes: Collection[str]) -> SampleRecord:
    """``record`` as the current link rules read it, with this registry's DOI ``prefixes`` and IRI base."""
    return links.resolve(record, fmt, doi_prefixes=prefixes, iri_base=registry.iris.base)


def relink(registry: "Registry", *, batch: int = 500, stop: Callable[[], bool] | None = None) -> int:
    """Brings every stored description up to the current link rules; returns how many samples changed."""
    db = registry.db
    current = fingerprint()
    if not pending(registry):
        return 0
    after = db.get_meta(_AFTER) or ""
    changed = 0
    prefixes = registry.accounts.doi_prefix_table().keys()  # read once per run, not per sample
    while True:
        if stop is not None and stop():
            return changed
        conn = db.read()
        # only a sample that states related identifiers can gain a link (resolve reads nothing else): the edge
        # table names them, so a registry of millions is not read whole
        names = [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT c.igsn FROM catalogue c JOIN relation_edge e ON e.source = c.igsn AND e.kind = 'related'"
                " WHERE c.igsn > ? AND c.has_metadata = 1 ORDER BY c.igsn LIMIT ?",
                (after, batch),
            )
        ]
        if not names:
            break
        rows = catalogue.get_many(conn, names)
        prepared = []
        for name in names:  # read outside the write lock
            row = rows[name]
            # a hidden sample's description lives in its history only: relink what is public
            triples = registry.graph_of(name)
            facts = graphmap.facts_from_triples(triples, registry.iris, name, datestamp=row.datestamp)
            if facts is None or row.deleted:
                continue
            record = graphmap.record_from_triples(triples, registry.iris, name)
            fixed = relinked(registry, record, history.submitted_format(conn, name), prefixes)
            if fixed != record:
                prepared.append((row, facts, fixed))
        if prepared:
            with registry.writing():
                now = catalogue.get_many(db.read(), [row.igsn for row, _, _ in prepared])
                # a sample written since it was read was resolved by that write already
                fresh = [(row, facts, rec) for row, facts, rec in prepared if now.get(row.igsn) == row]
                if fresh:
                    registry.commit(
                        [
                            PreparedWrite(ADMIN, facts, rec, row, EVENT, graphmap.record_triples(rec, registry.iris))
                            for row, facts, rec in fresh
                        ]
                    )
                    changed += len(fresh)
        after = names[-1]
        db.set_meta(_AFTER, after)  # after the commit: a crash in between redoes the batch, which is idempotent
    with db.write() as conn:
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_DONE, current))
        conn.execute("DELETE FROM meta WHERE key = ?", (_AFTER,))
    if changed:
        log.warning("relinked %d stored descriptions to the current link rules", changed)
    return changed
