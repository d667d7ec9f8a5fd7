"""The cache validator of the pages that show the registry at large: the home page and the pages of agents,
clients, namespaces and history nodes.

Such a page lists samples, counts and account names that change with writes to *other* resources, so no
one sample's version can stand for it. Its ETag names a registry-wide change counter instead: the newest
history version (every write of a sample adds one, in the journal's transaction), the last datestamp
issued (a restamp changes documents without a version) and the public columns of the account tables (an
agent renamed, a namespace added). Any change anywhere gives every such page a new tag — coarse, but
never stale, and read with two indexed look-ups and a scan of the small account tables, before anything
is rendered. There is no Last-Modified: an account change has no time to give.
"""

from __future__ import annotations

import hashlib
import sqlite3

from . import __version__
from .settings import Settings

__all__ = ["etag", "registry_state"]

#: the account columns a page may show (never a password hash, quota or contact)
_ACCOUNTS = (
    "SELECT symbol, name, ror, active FROM agents ORDER BY symbol",
    "SELECT symbol, agent, name, ror, active FROM clients ORDER BY symbol",
    "SELECT namespace, agent, client, agent_level FROM namespaces ORDER BY namespace",
)


def registry_state(conn: sqlite3.Connection) -> str:
    """A digest that changes with every write the registry makes visible (samples, restamps, accounts)."""
    newest = conn.execute("SELECT MAX(rowid) FROM versions").fetchone()[0]
    stamp = conn.execute("SELECT value FROM meta WHERE key = 'last_datestamp'").fetchone()
    digest = hashlib.sha1(f"{newest}|{stamp[0] if stamp else ''}".encode())
    for sql in _ACCOUNTS:
        for row in conn.execute(sql):
            digest.update(repr(tuple(row)).encode())  # a sqlite3.Row repr names its address
    return digest.hexdigest()[:20]


def etag(state: str, settings: Settings, media_type: str, target: str) -> str:
    """A strong ETag for one representation (``media_type``) of the page at ``target`` (path and query) in
    registry state ``state``; the code's version and the settings a page shows count too."""
    text = "|".join(
        (state, __version__, settings.base_url, settings.oai_repository_name, media_type, target),
    )
    return '"r-' + hashlib.sha1(text.encode()).hexdigest()[:20] + '"'
