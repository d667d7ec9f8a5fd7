"""The data folder: created and fixed at init (IRI base, repository id), and whether this process may write it."""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..db import Database, migrations
from ..errors import Conflict, InvalidInput
from ..index import rebuild
from ..iris import DEFAULT_IRI_BASE, Iris
from ..settings import Settings
from ..store.base import GraphStore
from . import embargo, graph_datestamps, relink

__all__ = ["NotInitialised", "init_data_dir", "migrate_database", "rebuild_indexes", "unwritable"]


class NotInitialised(InvalidInput):
    """The data folder has not been initialised with ``igsn-graph init``."""


_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+")


def init_data_dir(
    settings: Settings,
    *,
    iri_base: str = DEFAULT_IRI_BASE,
    repository_id: str = "igsn-graph.example.org",
    contact_email: str | None = None,
) -> bool:
    """Creates the data folder; fixes the IRI base and repository id. False if it existed already.

    ``contact_email``: the address OAI-PMH Identify gives as ``adminEmail`` (it may be set again later);
    without it ``contact@<repository id>``, never an account name (``Registry.contact_email``).
    """
    if contact_email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", contact_email):
        raise InvalidInput(f"contact e-mail {contact_email!r} is not an e-mail address")
    if not _DOMAIN.fullmatch(repository_id):
        raise InvalidInput(f"repository id {repository_id!r} must be a dotted domain name")
    if not iri_base.startswith(("http://", "https://")) or not iri_base.endswith("/") or "#" in iri_base:
        raise InvalidInput(f"IRI base {iri_base!r} must be an http(s) URL ending in '/' (sample IRIs are base + name)")
    iri_base = Iris(iri_base).base
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.database_target, pool_size=settings.database_pool_size, migrate=True)
    try:
        existing = db.get_meta("iri_base")
        if existing is not None:
            if existing != iri_base or db.get_meta("repository_id") != repository_id:
                raise Conflict(
                    f"{settings.data_dir} is initialised already with IRI base {existing} and "
                    f"repository id {db.get_meta('repository_id')}; these are fixed at init"
                )
            if contact_email is not None:
                db.set_meta("contact_email", contact_email)
            return False
        with db.write() as conn:
            conn.execute("INSERT INTO meta VALUES ('iri_base', ?)", (iri_base,))
            conn.execute("INSERT INTO meta VALUES ('repository_id', ?)", (repository_id,))
            # a new folder is written under the current link rules from its first record: nothing to relink
            conn.execute("INSERT INTO meta VALUES (?, ?)", (relink.DONE_KEY, relink.fingerprint()))
            # …and without ig:datestamp in its graphs: nothing to drop
            conn.execute("INSERT INTO meta VALUES (?, '1')", (graph_datestamps.DONE_KEY,))
            if contact_email is not None:
                conn.execute("INSERT INTO meta VALUES ('contact_email', ?)", (contact_email,))
        return True
    finally:
        db.close()


def migrate_database(settings: Settings) -> tuple[int, list[migrations.Step]]:
    """Brings the registry database's schema up to date; its version now and the steps applied.

    ``NotInitialised`` when there is no registry database yet (an SQLite file is not created here).
    """
    if not settings.shared_database and not settings.database_path.exists():
        raise NotInitialised(f"{settings.data_dir} holds no registry database; run `igsn-graph init`")
    db = Database(settings.database_target, pool_size=settings.database_pool_size, migrate=True)
    try:
        return migrations.version_of(db), db.migrated
    finally:
        db.close()


def unwritable(settings: Settings) -> Path | None:
    """The first part of the data folder this process may not write (a read-only mount, permissions), or None."""
    parts = [settings.data_dir, settings.database_path]
    if settings.store in ("", "embedded"):
        parts += [settings.graph_dir, settings.graph_dir / "LOCK"]
    for part in parts:
        if part.exists() and not os.access(part, os.W_OK):
            return part
    return None


def rebuild_indexes(db: Database, store: GraphStore, iris: Iris) -> int:
    """Rebuilds every derived table from the graph and history: catalogue, search rows, relation edges
    (``index.rebuild``) and the embargoes of private samples, in one transaction; returns the sample count."""
    return rebuild.rebuild(db, store, iris, derived=[embargo.rebuild])
