"""The registry database's one schema definition: every table as data, written out per dialect.

Columns are declared in the subset of SQL both databases share, with SQLite's type names (TEXT, INTEGER, REAL,
BLOB); ``dialect.column_type`` maps them for PostgreSQL. ``key`` is each table's primary key or unique key: the
conflict target PostgreSQL needs where SQLite says ``INSERT OR REPLACE``/``OR IGNORE``. The two search tables that
are SQLite virtual tables (FTS5 text, R*Tree boxes) have one definition per dialect here (``SPECIAL``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["SCHEMA_VERSION", "TABLES", "Table", "table"]

#: the version a new database is created at; ``migrations.STEPS`` bring older ones up to it
SCHEMA_VERSION = 4


@dataclass(frozen=True)
class Table:
    name: str
    #: column definitions and table constraints, SQL shared by both dialects
    body: str
    #: the primary (or unique) key: conflict target of an upsert
    key: tuple[str, ...]
    #: SQLite: a clustered table (``WITHOUT ROWID``)
    clustered: bool = False
    #: ``CREATE INDEX name ON table (columns)``: (name, columns)
    indexes: tuple[tuple[str, str], ...] = ()
    #: PostgreSQL: extra columns SQLite has implicitly (``rowid``), filled by the database and not part of ``columns``
    postgres_extra: str = ""
    #: PostgreSQL: indexes on those extra columns
    postgres_indexes: tuple[tuple[str, str], ...] = ()
    #: SQLite ``INTEGER PRIMARY KEY AUTOINCREMENT`` column (PostgreSQL: an identity column)
    serial: str | None = None
    #: the column names, in order (derived from ``body``)
    columns: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        names = []
        for part in _top_level(self.body):
            word = part.split(None, 1)[0]
            if word.upper() not in ("PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "CONSTRAINT"):
                names.append(word)
        object.__setattr__(self, "columns", tuple(names))


def _top_level(body: str) -> list[str]:
    """``body`` split at the commas outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(body):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(body[start:i].strip())
            start = i + 1
    parts.append(body[start:].strip())
    return [re.sub(r"\s+", " ", p) for p in parts if p]


TABLES: tuple[Table, ...] = (
    Table("meta", "key TEXT PRIMARY KEY, value TEXT NOT NULL", ("key",)),
    Table(
        "agents",
        "symbol TEXT PRIMARY KEY, name TEXT NOT NULL, password_hash TEXT NOT NULL, quota INTEGER NOT NULL DEFAULT -1, "
        "contact_email TEXT, ror TEXT, active INTEGER NOT NULL DEFAULT 1, created TEXT NOT NULL",
        ("symbol",),
    ),
    Table(
        "clients",
        "symbol TEXT PRIMARY KEY, agent TEXT NOT NULL REFERENCES agents(symbol), name TEXT NOT NULL, "
        "password_hash TEXT NOT NULL, quota INTEGER NOT NULL DEFAULT -1, domains TEXT NOT NULL DEFAULT '', "
        "contact_email TEXT, ror TEXT, active INTEGER NOT NULL DEFAULT 1, created TEXT NOT NULL",
        ("symbol",),
    ),
    Table(
        "namespaces",
        "namespace TEXT PRIMARY KEY, agent TEXT NOT NULL REFERENCES agents(symbol), client TEXT, "
        "agent_level INTEGER NOT NULL DEFAULT 0",
        ("namespace",),
    ),
    Table(
        "doi_prefixes",
        "prefix TEXT PRIMARY KEY, agent TEXT NOT NULL REFERENCES agents(symbol), client TEXT",
        ("prefix",),
    ),
    Table("journal", "seq INTEGER PRIMARY KEY, created TEXT NOT NULL, payload BLOB NOT NULL", ("seq",), serial="seq"),
    Table(
        "versions",
        "igsn TEXT NOT NULL, version INTEGER NOT NULL, datestamp TEXT NOT NULL, event TEXT NOT NULL, "
        "principal TEXT NOT NULL, format TEXT, document BLOB, graph BLOB NOT NULL, PRIMARY KEY (igsn, version)",
        ("igsn", "version"),
        # insertion order, which SQLite keeps as rowid (home page's newest samples, page_state's change mark)
        postgres_extra="rowid BIGSERIAL",
        postgres_indexes=(("versions_rowid", "rowid"),),
    ),
    # clustered by IGSN: a restamp walks it in IGSN order, so a batch rewrites neighbouring table pages and, its
    # records sharing one new datestamp, appends to each datestamp index (registry.restamp); every index here
    # serves OAI-PMH lists (all, an agent's, a client's, a namespace's set) in (datestamp, igsn) order
    Table(
        "catalogue",
        "igsn TEXT PRIMARY KEY, datestamp TEXT NOT NULL, status TEXT NOT NULL, active INTEGER NOT NULL, "
        "is_public INTEGER NOT NULL, has_metadata INTEGER NOT NULL, has_url INTEGER NOT NULL, agent TEXT NOT NULL, "
        "client TEXT, namespace TEXT NOT NULL, test INTEGER NOT NULL, deleted INTEGER NOT NULL, version INTEGER NOT NULL",
        ("igsn",),
        clustered=True,
        indexes=(
            ("catalogue_order", "datestamp, igsn"),
            ("catalogue_agent", "agent, datestamp, igsn"),
            ("catalogue_client", "client, datestamp, igsn"),
            ("catalogue_namespace", "namespace, datestamp, igsn"),
        ),
    ),
    # search (index.search): one row per findable sample, its text, its box and its facet values; no datestamp (the
    # catalogue's: a restamp rewrites the clustered catalogue alone, not a row in load order per record)
    Table(
        "search_doc",
        "doc INTEGER PRIMARY KEY, igsn TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, name TEXT, agent TEXT NOT NULL, "
        "client TEXT, namespace TEXT NOT NULL, status TEXT NOT NULL, collected_from TEXT, "
        "collected_to TEXT, collected_sort TEXT NOT NULL",
        ("doc",),
        indexes=(("search_doc_collected", "collected_sort, igsn"),),
    ),
    Table(
        "search_facet",
        "facet TEXT NOT NULL, value TEXT NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (facet, value, doc)",
        ("facet", "value", "doc"),
        clustered=True,
        indexes=(("search_facet_doc", "doc"),),
    ),
    Table(
        "search_facet_total",
        "facet TEXT NOT NULL, value TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (facet, value)",
        ("facet", "value"),
        clustered=True,
    ),
    # relations (relations.py): the links each sample states, both ways; visible: its source is findable
    Table(
        "relation_edge",
        "source TEXT NOT NULL, kind TEXT NOT NULL, relation TEXT NOT NULL, target_type TEXT NOT NULL, "
        "target TEXT NOT NULL, visible INTEGER NOT NULL, PRIMARY KEY (source, kind, relation, target_type, target)",
        ("source", "kind", "relation", "target_type", "target"),
        clustered=True,
        indexes=(("relation_edge_target", "target, kind, visible, source"),),
    ),
    # embargoes (registry.embargo): private samples whose description becomes public at lifts_at (a datestamp)
    Table(
        "embargo",
        "igsn TEXT PRIMARY KEY, ends TEXT NOT NULL, lifts_at TEXT NOT NULL",
        ("igsn",),
        indexes=(("embargo_due", "lifts_at, igsn"),),
    ),
    # reserved names (registry.lifecycle): a draft exists, is owned and counts against quota before it is
    # described; acknowledged like any write, so it is dumped and restored with the accounts and history
    Table(
        "draft",
        "igsn TEXT PRIMARY KEY, doi TEXT, agent TEXT NOT NULL, client TEXT, namespace TEXT NOT NULL, url TEXT, "
        "attributes TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL",
        ("igsn",),
    ),
    # OAI-PMH harvest sources (igsn_graph.harvest.sources): what to ask whom, and where the last run stopped
    Table(
        "harvest_source",
        "name TEXT PRIMARY KEY, url TEXT NOT NULL, prefix TEXT NOT NULL, set_spec TEXT, agent TEXT, every_s INTEGER, "
        "rate REAL NOT NULL DEFAULT 1.0, timeout_s REAL NOT NULL DEFAULT 60, paused INTEGER NOT NULL DEFAULT 0, "
        "created TEXT NOT NULL, token TEXT, position INTEGER NOT NULL DEFAULT 0, run_from TEXT, run_response_date TEXT, "
        "last_response_date TEXT, granularity TEXT, last_run TEXT, last_error TEXT, "
        "failures INTEGER NOT NULL DEFAULT 0, next_due TEXT, stored INTEGER NOT NULL DEFAULT 0, "
        "refused INTEGER NOT NULL DEFAULT 0",
        ("name",),
    ),
    # what each source said about each sample in its runs (stored, refused, deleted; unlisted: a full run missed it)
    Table(
        "harvest_record",
        "source TEXT NOT NULL, igsn TEXT NOT NULL, status TEXT NOT NULL, run TEXT NOT NULL, "
        "response_date TEXT NOT NULL, PRIMARY KEY (source, igsn)",
        ("source", "igsn"),
        clustered=True,
    ),
    # each source's current record of each sample (igsn_graph.harvest.origins): its OAI header, the response it
    # came in, whether its description is the one shown (in_force), and the record's XML as received (zlib)
    Table(
        "harvest_origin",
        "source TEXT NOT NULL, igsn TEXT NOT NULL, oai_identifier TEXT, datestamp TEXT, response_date TEXT NOT NULL, "
        "request TEXT NOT NULL, format TEXT, in_force INTEGER NOT NULL, original BLOB NOT NULL, UNIQUE (source, igsn)",
        ("source", "igsn"),
        indexes=(("harvest_origin_igsn", "igsn"),),
    ),
    # failed logins (registry.login_failures): the token buckets of the login throttle, shared by every node;
    # bucket: "pair ACCOUNT address", "address …" or "global"; at: wall-clock seconds of the last failure
    Table(
        "login_failure",
        "bucket TEXT PRIMARY KEY, tokens REAL NOT NULL, at REAL NOT NULL",
        ("bucket",),
        indexes=(("login_failure_at", "at"),),
    ),
)

#: the search tables SQLite keeps as virtual tables, per dialect (PostgreSQL's search SQL: ``index.search_pg``)
SPECIAL: dict[str, tuple[str, ...]] = {
    "sqlite": (
        "CREATE VIRTUAL TABLE IF NOT EXISTS search_text USING fts5(igsn, name, description, identifiers, people, "
        "terms, places, tokenize='unicode61 remove_diacritics 2')",
        "CREATE VIRTUAL TABLE IF NOT EXISTS search_box USING rtree(doc, west, east, south, north)",
    ),
    "postgresql": (
        # accent folding as FTS5's remove_diacritics: unaccent is STABLE, a generated column needs IMMUTABLE
        "CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public",
        "CREATE OR REPLACE FUNCTION unaccent_text(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
        "AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$",
        # rowid: the search_doc row (SQLite's FTS5 rowid); the weighted vector is what ranking reads
        "CREATE TABLE IF NOT EXISTS search_text (rowid BIGINT PRIMARY KEY, igsn TEXT, name TEXT, description TEXT, "
        "identifiers TEXT, people TEXT, terms TEXT, places TEXT, document tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('simple', unaccent_text(coalesce(igsn, '') || ' ' || coalesce(identifiers, ''))), 'A')"
        " || setweight(to_tsvector('simple', unaccent_text(coalesce(name, ''))), 'A')"
        " || setweight(to_tsvector('simple', unaccent_text(coalesce(people, '') || ' ' || coalesce(terms, '') || ' ' "
        "|| coalesce(places, ''))), 'B')"
        " || setweight(to_tsvector('simple', unaccent_text(coalesce(description, ''))), 'C')) STORED)",
        "CREATE INDEX IF NOT EXISTS search_text_document ON search_text USING GIN (document)",
        "CREATE TABLE IF NOT EXISTS search_box (doc BIGINT PRIMARY KEY, west DOUBLE PRECISION NOT NULL, "
        "east DOUBLE PRECISION NOT NULL, south DOUBLE PRECISION NOT NULL, north DOUBLE PRECISION NOT NULL)",
        "CREATE INDEX IF NOT EXISTS search_box_area ON search_box USING GIST (box(point(west, south), point(east, north)))",
    ),
}


def table(name: str) -> Table:
    for t in TABLES:
        if t.name == name:
            return t
    raise KeyError(name)
