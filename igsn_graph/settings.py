"""The one Settings object: env ``IGSN_GRAPH_*`` and ``PORT``, an optional TOML file, defaults.

Only this module reads ``os.environ``. Precedence: explicit arguments > environment > TOML file
(``IGSN_GRAPH_CONFIG`` or ``<data>/config.toml``) > defaults.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

__all__ = ["Settings"]

_ENV = {
    "data_dir": "IGSN_GRAPH_DATA",
    "public_url": "IGSN_GRAPH_PUBLIC_URL",
    "admin_user": "IGSN_GRAPH_ADMIN_USER",
    "admin_password": "IGSN_GRAPH_ADMIN_PASSWORD",
    "port": "PORT",
    "host": "IGSN_GRAPH_HOST",
    "store": "IGSN_GRAPH_STORE",
    "store_engine": "IGSN_GRAPH_STORE_ENGINE",
    "store_query_path": "IGSN_GRAPH_STORE_QUERY_PATH",
    "store_update_path": "IGSN_GRAPH_STORE_UPDATE_PATH",
    "store_gsp_path": "IGSN_GRAPH_STORE_GSP_PATH",
    "store_union_param": "IGSN_GRAPH_STORE_UNION_PARAM",
    "max_body_bytes": "IGSN_GRAPH_MAX_BODY_BYTES",
    "max_literal_bytes": "IGSN_GRAPH_MAX_LITERAL_BYTES",
    "max_url_length": "IGSN_GRAPH_MAX_URL_LENGTH",
    "batch_size": "IGSN_GRAPH_BATCH_SIZE",
    "validation_engine": "IGSN_GRAPH_VALIDATION_ENGINE",
    "oai_page_size": "IGSN_GRAPH_OAI_PAGE_SIZE",
    "oai_admin_email": "IGSN_GRAPH_OAI_ADMIN_EMAIL",
    "oai_repository_name": "IGSN_GRAPH_OAI_REPOSITORY_NAME",
    "sparql_timeout_s": "IGSN_GRAPH_SPARQL_TIMEOUT",
    "sparql_workers": "IGSN_GRAPH_SPARQL_WORKERS",
    "sparql_per_client": "IGSN_GRAPH_SPARQL_PER_CLIENT",
    "search_total_bound": "IGSN_GRAPH_SEARCH_TOTAL_BOUND",
    "search_facet_bound": "IGSN_GRAPH_SEARCH_FACET_BOUND",
    "sparql_queue": "IGSN_GRAPH_SPARQL_QUEUE",
    "sparql_queue_wait_s": "IGSN_GRAPH_SPARQL_QUEUE_WAIT",
    "sparql_worker_nice": "IGSN_GRAPH_SPARQL_WORKER_NICE",
    "crash_at": "IGSN_GRAPH_CRASH_AT",
    "metadata_required": "IGSN_GRAPH_METADATA_REQUIRED",
    "auto_restamp": "IGSN_GRAPH_AUTO_RESTAMP",
    "login_failures_burst": "IGSN_GRAPH_LOGIN_FAILURES_BURST",
    "login_failures_refill_s": "IGSN_GRAPH_LOGIN_FAILURES_REFILL",
    "login_address_burst": "IGSN_GRAPH_LOGIN_ADDRESS_BURST",
    "login_address_refill_s": "IGSN_GRAPH_LOGIN_ADDRESS_REFILL",
    "login_global_burst": "IGSN_GRAPH_LOGIN_GLOBAL_BURST",
    "login_global_refill_s": "IGSN_GRAPH_LOGIN_GLOBAL_REFILL",
    "login_hash_threads": "IGSN_GRAPH_LOGIN_HASH_THREADS",
    "trusted_proxy_hops": "IGSN_GRAPH_TRUSTED_PROXY_HOPS",
    "header_timeout_s": "IGSN_GRAPH_HEADER_TIMEOUT",
    "body_timeout_s": "IGSN_GRAPH_BODY_TIMEOUT",
    "keep_alive_s": "IGSN_GRAPH_KEEP_ALIVE",
    "max_connections": "IGSN_GRAPH_MAX_CONNECTIONS",
    "read_only": "IGSN_GRAPH_READ_ONLY",
    "database": "IGSN_GRAPH_DATABASE",
    "database_pool_size": "IGSN_GRAPH_DATABASE_POOL_SIZE",
}


@dataclass(frozen=True)
class Settings:
    #: the data folder: graph store, registry database, markers
    data_dir: Path = Path("var")
    #: where this server answers (base of every link it writes); default http://host:port/
    public_url: str | None = None
    #: credentials of the registry administrator (HTTP admin API); empty password disables the account
    admin_user: str = "admin"
    admin_password: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    #: "embedded" (pyoxigraph in data_dir) or the base URL of a SPARQL 1.1 engine (e.g. http://127.0.0.1:7878)
    store: str = "embedded"
    #: which engine that is: "oxigraph" or "virtuoso" (``store.remote.PROFILES``: its paths and departures from
    #: the protocols); the paths of its endpoints and its union-default-graph switch ("none": not offered),
    #: empty for the engine's own
    store_engine: str = "oxigraph"
    store_query_path: str = ""
    store_update_path: str = ""
    store_gsp_path: str = ""
    store_union_param: str = ""
    #: largest request body accepted (bytes)
    max_body_bytes: int = 10 * 1024 * 1024
    #: largest single stored value (a title, a description, a WKT geometry), in UTF-8 bytes: larger is a 400
    #: (``igsn_graph.text_policy``; the same policy refuses noncharacters and C0 controls in every stored text)
    max_literal_bytes: int = 2 * 1024 * 1024
    #: longest landing URL accepted at any write (characters); it is sent back in ``Location`` headers
    max_url_length: int = 2048
    #: SPARQL endpoint: per-query time limit (seconds; the query's worker process is killed then; results
    #: stream, so their size is bounded by this limit only)
    sparql_timeout_s: float = 30.0
    #: SPARQL fair use: queries evaluated at once (worker processes), queries one client (address, or account
    #: when authenticated) may have running or waiting (then 429), queries waiting for a worker and how long
    #: (then 503); the niceness of worker processes, so the server's own work keeps its latency
    sparql_workers: int = 4
    sparql_per_client: int = 2
    sparql_queue: int = 16
    sparql_queue_wait_s: float = 5.0
    sparql_worker_nice: int = 10
    #: search: matches counted at most (more: "more than" this many), and the matches facet values are counted
    #: over at most (more: over the first this many, and the answer says so); ``index.search_counts``
    search_total_bound: int = 100_000
    search_facet_bound: int = 5_000
    #: OAI-PMH: records per page, the Identify admin e-mail (default: ``init --contact-email``, else
    #: ``contact@<repository id>``, never an account name) and repository name (default from the repository id)
    oai_page_size: int = 250
    oai_admin_email: str = ""
    oai_repository_name: str = ""
    #: records validated and written together by bulk loads
    batch_size: int = 1000
    #: SHACL engine: "compiled" (shapes/ compiled to Python checks; refuses at start a shape it cannot compile)
    #: or "pyshacl" (the reference, any SHACL Core shape, several times slower); tests/test_validation_engines.py
    validation_engine: str = "compiled"
    #: refuse POST /igsn for an IGSN without metadata (MDS ``handle.metadataRequired``)
    metadata_required: bool = False
    #: when writers, crosswalks or the public URL changed, the server restamps the records in the background
    #: at start (otherwise: `igsn-graph restamp`)
    auto_restamp: bool = True
    #: failed logins allowed in a row per account and client address, then one more per ``refill`` seconds
    #: (429 with Retry-After, before any password is checked); 0 turns every failed-login limit off
    login_failures_burst: int = 5
    login_failures_refill_s: float = 10.0
    #: failed logins allowed per client address whatever the account names (random names included), then one
    #: per ``refill``; and in all, from every address together. A client address that logged in to an account
    #: before is not held back by others' failures (only by that account's own limit). 0 turns one off
    login_address_burst: int = 20
    login_address_refill_s: float = 3.0
    login_global_burst: int = 10
    login_global_refill_s: float = 0.25
    #: threads that check passwords (scrypt), apart from the threads that serve reads
    login_hash_threads: int = 1
    #: reverse proxies in front of the server that append the caller to ``X-Forwarded-For``: the client address
    #: is the entry that many hops from the right; 0 (default) trusts no header and uses the socket peer
    trusted_proxy_hops: int = 0
    #: `igsn-graph serve`: seconds a client may take to send a request's head, to pause inside its body, and to
    #: keep an idle connection open; open connections at most (more are answered 503)
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    keep_alive_s: int = 5
    max_connections: int = 1000
    #: serve reads only, writing nothing to the data folder (replicas, snapshots); also chosen by itself when
    #: the data folder is not writable at start. Every write is refused with 503
    read_only: bool = False
    #: the registry database: empty for the SQLite file in the data folder (``registry.sqlite``), or a PostgreSQL
    #: URL (``postgresql://user:password@host:5432/name``) shared by any number of nodes
    database: str = ""
    #: PostgreSQL: connections each process keeps open at most (readers borrow one per statement)
    database_pool_size: int = 8
    #: fault injection for crash tests only: SIGKILL at this point of the write protocol
    crash_at: str | None = None
    config_file: Path | None = field(default=None)

    def __post_init__(self) -> None:
        if not 1 <= self.search_facet_bound <= self.search_total_bound:
            raise ValueError(
                f"settings search_facet_bound ({self.search_facet_bound}) and search_total_bound "
                f"({self.search_total_bound}) must satisfy 1 <= facet bound <= total bound"
            )
        if self.database and not self.database.startswith(("postgresql://", "postgres://")):
            raise ValueError(
                f"setting database must be a postgresql:// URL (empty: the SQLite file in the data folder), "
                f"not {self.database.split('@')[-1]!r}"
            )

    @property
    def graph_dir(self) -> Path:
        return self.data_dir / "graph"

    @property
    def database_path(self) -> Path:
        """The SQLite registry database (also where a backup or snapshot keeps one)."""
        return self.data_dir / "registry.sqlite"

    @property
    def database_target(self) -> Path | str:
        """What ``db.Database`` opens: the PostgreSQL URL when ``database`` is set, else the SQLite file."""
        return self.database or self.database_path

    @property
    def shared_database(self) -> bool:
        """Whether the registry database is a server other processes and machines may share (PostgreSQL)."""
        return bool(self.database)

    @property
    def base_url(self) -> str:
        url = self.public_url or f"http://{self.host}:{self.port}/"
        return url if url.endswith("/") else url + "/"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        config = env.get("IGSN_GRAPH_CONFIG")
        data_dir = overrides.get("data_dir") or env.get("IGSN_GRAPH_DATA") or "var"
        path = Path(config) if config else Path(data_dir) / "config.toml"
        if path.is_file():
            with open(path, "rb") as f:
                values.update(tomllib.load(f))
            values["config_file"] = path
        for name, var in _ENV.items():
            if var in env and env[var] != "":
                values[name] = env[var]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls._typed(values)

    @classmethod
    def _typed(cls, values: Mapping[str, Any]) -> "Settings":
        """Values cast to each setting's type; a value that is not of that type is a clear startup error."""
        known = {f.name: f for f in fields(cls)}
        out: dict[str, Any] = {}
        for key, value in values.items():
            if key not in known:
                raise ValueError(f"unknown setting {key!r}")
            default = getattr(cls, key, None)
            if key in ("data_dir", "config_file"):
                out[key] = Path(value)
            elif isinstance(default, bool):
                out[key] = _boolean(key, value)
            elif isinstance(default, float):
                try:
                    out[key] = float(value)
                except (TypeError, ValueError):
                    raise ValueError(f"setting {key} must be a number, not {value!r}") from None
            elif isinstance(default, int):
                try:
                    out[key] = int(value)
                except (TypeError, ValueError):
                    raise ValueError(f"setting {key} must be an integer, not {value!r}") from None
            else:
                out[key] = value
        return cls(**out)

    def with_(self, **changes: Any) -> "Settings":
        return replace(self, **changes)


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _boolean(key: str, value: Any) -> bool:
    """``true/false``, ``yes/no``, ``on/off``, ``1/0`` in any case; anything else (``ture``) is refused, never
    read as false."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"setting {key} must be true or false (or yes/no, on/off, 1/0), not {value!r}")
