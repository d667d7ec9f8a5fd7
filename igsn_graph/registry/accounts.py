"""Agents → clients → namespaces: accounts, password hashes, quotas, DOI prefixes and domain allow-lists.

Accounts live only in the private registry database; their public face (symbol, name, identifiers)
is written to the graph's accounts graph by the registry service.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .. import text_policy
from ..db import Database
from ..errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from ..identifiers import is_doi_prefix, normalise_namespace

T = TypeVar("T")

__all__ = [
    "ACCOUNTS_VERSION",
    "accounts_version",
    "changed_accounts",
    "Agent",
    "Client",
    "Principal",
    "Accounts",
    "hash_password",
    "verify_password",
    "AGENT_SYMBOL",
    "domain_allowed",
]

AGENT_SYMBOL = re.compile(r"[A-Z][A-Z0-9\-]{0,6}[A-Z0-9]")
ROR = re.compile(r"https://ror\.org/0[a-z0-9]{6}[0-9]{2}")
_SCRYPT = dict(n=2**14, r=8, p=1, dklen=32)


def hash_password(password: str) -> str:
    """A salted scrypt hash (slow on purpose), self-describing: ``scrypt$n$r$p$salt$hash``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **_SCRYPT)

    def enc(b: bytes) -> str:
        return base64.b64encode(b).decode("ascii")

    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${enc(salt)}${enc(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expected = base64.b64decode(digest)
    got = hashlib.scrypt(
        password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
    )
    return hmac.compare_digest(got, expected)


def domain_allowed(url: str, domains: tuple[str, ...]) -> bool:
    """True when the URL's host is a listed domain or a sub-domain of one (``*`` allows any).

    An empty list means no restriction has been configured.
    """
    if not domains or "*" in domains:
        return True
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in (d.lower().lstrip("*.").rstrip(".") for d in domains))


@dataclass(frozen=True)
class Agent:
    symbol: str
    name: str
    quota: int
    namespaces: tuple[str, ...]
    doi_prefixes: tuple[str, ...]
    ror: str | None = None
    active: bool = True


@dataclass(frozen=True)
class Client:
    symbol: str
    agent: str
    name: str
    quota: int
    domains: tuple[str, ...]
    namespaces: tuple[str, ...]
    doi_prefixes: tuple[str, ...]
    ror: str | None = None
    active: bool = True


@dataclass(frozen=True)
class Principal:
    """Who is acting: the admin, an allocating agent (for all its clients) or one client."""

    kind: str  # "admin" | "agent" | "client"
    symbol: str
    agent: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.kind == "admin"

    def may_act_for(self, agent: str, client: str | None) -> bool:
        """Ownership rule: the owning client, its agent, or the admin."""
        if self.kind == "admin":
            return True
        if self.kind == "agent":
            return agent == self.symbol
        return client is not None and client == self.symbol


ADMIN = Principal("admin", "admin")
_DUMMY_HASH = hash_password("no account has this password")


#: the ``meta`` key whose value every account, password, active flag or namespace change replaces
ACCOUNTS_VERSION = "accounts_version"


def accounts_version(db: Database) -> str | None:
    """The accounts version now (None: never changed since the database was made): one read by key."""
    return db.get_meta(ACCOUNTS_VERSION)


def changed_accounts(conn: sqlite3.Connection) -> None:
    """Changes the accounts version in the caller's write transaction (an account, password, active flag or
    namespace written)."""
    conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (ACCOUNTS_VERSION, secrets.token_hex(8)))


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Accounts:
    """CRUD over the account tables."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._local = threading.local()

    @contextmanager
    def remembered(self) -> Iterator[None]:
        """Within it, this thread reads each agent, client and the namespace and DOI-prefix tables once: a write
        group or batch checks every record against the same accounts (ownership, domains, quota, registrant)
        without reading them again per record. Nested uses share the outer one."""
        if getattr(self._local, "memo", None) is not None:
            yield
            return
        self._local.memo = {}
        try:
            yield
        finally:
            self._local.memo = None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction of the account tables that also changes the accounts version (``accounts_version``),
        so that every node's credential cache sees the change."""
        with self.db.write() as conn:
            yield conn
            changed_accounts(conn)

    def _remembered(self, key: tuple[str, str], read: Callable[[], T]) -> T:
        memo: dict[tuple[str, str], Any] | None = getattr(self._local, "memo", None)
        if memo is None:
            return read()
        if key not in memo:
            memo[key] = read()  # a NotFound is raised, not remembered
        value: T = memo[key]
        return value

    # -- agents and clients ------------------------------------------------------------------
    def add_agent(
        self,
        symbol: str,
        *,
        name: str,
        password: str,
        namespaces: list[str],
        doi_prefixes: list[str] | tuple[str, ...] = (),
        quota: int = -1,
        ror: str | None = None,
    ) -> Agent:
        symbol = symbol.strip().upper()
        if not AGENT_SYMBOL.fullmatch(symbol):
            raise InvalidInput(f"agent symbol {symbol!r} must match {AGENT_SYMBOL.pattern}")
        if not password:
            raise InvalidInput("a password is required")
        name = self._name(name)
        nss = [normalise_namespace(ns) for ns in namespaces]
        prefixes = [self._prefix(p) for p in doi_prefixes]
        ror = self._ror(ror)
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM agents WHERE symbol = ?", (symbol,)).fetchone():
                raise Conflict(f"agent {symbol} exists already")
            conn.execute(
                "INSERT INTO agents (symbol, name, password_hash, quota, ror, created) VALUES (?,?,?,?,?,?)",
                (symbol, name, hash_password(password), quota, ror, _now()),
            )
            for ns in nss:
                self._claim_namespace(conn, ns, symbol, None, agent_level=True)
            for p in prefixes:
                self._claim_prefix(conn, p, symbol, None)
        return self.agent(symbol)

    def add_client(
        self,
        symbol: str,
        *,
        password: str,
        namespaces: list[str],
        name: str | None = None,
        doi_prefixes: list[str] | tuple[str, ...] = (),
        domains: list[str] | tuple[str, ...] = (),
        quota: int = -1,
        ror: str | None = None,
    ) -> Client:
        symbol = symbol.strip().upper()
        agent_symbol, _, own = symbol.partition(".")
        if not own or not AGENT_SYMBOL.fullmatch(agent_symbol) or not AGENT_SYMBOL.fullmatch(own) or "--" in own:
            raise InvalidInput(
                f"client symbol {symbol!r} must be AGENT.CLIENT, each part matching {AGENT_SYMBOL.pattern}"
            )
        if not password:
            raise InvalidInput("a password is required")
        agent = self.agent(agent_symbol)
        name = self._name(name) if name else None
        nss = [normalise_namespace(ns) for ns in namespaces]
        for ns in nss:
            if not any(ns.startswith(a) for a in agent.namespaces):
                raise InvalidInput(
                    f"namespace {ns} does not lie within agent {agent.symbol}'s namespaces "
                    f"({', '.join(agent.namespaces) or 'none'})"
                )
        prefixes = [self._prefix(p) for p in doi_prefixes]
        for p in prefixes:
            if p not in agent.doi_prefixes:
                raise InvalidInput(f"DOI prefix {p} does not belong to agent {agent.symbol}")
        doms = self._domains(domains)
        ror = self._ror(ror)
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM clients WHERE symbol = ?", (symbol,)).fetchone():
                raise Conflict(f"client {symbol} exists already")
            conn.execute(
                "INSERT INTO clients (symbol, agent, name, password_hash, quota, domains, ror, created) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (symbol, agent.symbol, name or symbol, hash_password(password), quota, ",".join(doms), ror, _now()),
            )
            for ns in nss:
                row = conn.execute("SELECT agent, client FROM namespaces WHERE namespace = ?", (ns,)).fetchone()
                if row and row["client"] is None and row["agent"] == agent.symbol:
                    # the agent hands one of its own namespaces to the client
                    conn.execute("UPDATE namespaces SET client = ? WHERE namespace = ?", (symbol, ns))
                else:
                    self._claim_namespace(conn, ns, agent.symbol, symbol)
            for p in prefixes:
                conn.execute("UPDATE doi_prefixes SET client = ? WHERE prefix = ?", (symbol, p))
        return self.client(symbol)

    @staticmethod
    def _name(value: str) -> str:
        """A name as every stored string must be (``text_policy``: no controls or noncharacters, NFC), not empty."""
        name = text_policy.checked(str(value).strip(), "name", max_bytes=text_policy.DEFAULT_MAX_LITERAL_BYTES)
        if not name:
            raise InvalidInput("a name must not be empty")
        return name

    @staticmethod
    def _ror(value: str | None) -> str | None:
        """A ROR IRI (https://ror.org/0xxxxxxNN) or None; anything else is refused before it is stored."""
        if value is None or value == "":
            return None
        if not ROR.fullmatch(value.strip()):
            raise InvalidInput(f"{value!r} is not a ROR identifier IRI (https://ror.org/0 followed by 8 characters)")
        return value.strip()

    @staticmethod
    def _prefix(p: str) -> str:
        p = p.strip()
        if not is_doi_prefix(p):
            raise InvalidInput(f"{p!r} is not a DOI prefix (10.NNNN)")
        return p

    @staticmethod
    def _claim_namespace(
        conn: sqlite3.Connection, ns: str, agent: str, client: str | None, *, agent_level: bool = False
    ) -> None:
        row = conn.execute("SELECT agent, client FROM namespaces WHERE namespace = ?", (ns,)).fetchone()
        if row:
            raise Conflict(f"namespace {ns} belongs to {row['client'] or row['agent']} already")
        conn.execute("INSERT INTO namespaces VALUES (?, ?, ?, ?)", (ns, agent, client, int(agent_level)))

    @staticmethod
    def _claim_prefix(conn: sqlite3.Connection, prefix: str, agent: str, client: str | None) -> None:
        row = conn.execute("SELECT agent FROM doi_prefixes WHERE prefix = ?", (prefix,)).fetchone()
        if row:
            raise Conflict(f"DOI prefix {prefix} belongs to {row['agent']} already")
        conn.execute("INSERT INTO doi_prefixes VALUES (?, ?, ?)", (prefix, agent, client))

    def agent(self, symbol: str) -> Agent:
        return self._remembered(("agent", symbol.upper()), lambda: self._agent(symbol))

    def _agent(self, symbol: str) -> Agent:
        conn = self.db.read()
        r = conn.execute("SELECT * FROM agents WHERE symbol = ?", (symbol.upper(),)).fetchone()
        if r is None:
            raise NotFound(f"agent {symbol} not found")
        # the agent's own (top-level) namespaces, also those it has handed to one of its clients
        nss = tuple(
            x[0]
            for x in conn.execute(
                "SELECT namespace FROM namespaces WHERE agent = ? AND agent_level = 1 ORDER BY namespace",
                (r["symbol"],),
            )
        )
        pfx = tuple(
            x[0]
            for x in conn.execute("SELECT prefix FROM doi_prefixes WHERE agent = ? ORDER BY prefix", (r["symbol"],))
        )
        return Agent(r["symbol"], r["name"], r["quota"], nss, pfx, r["ror"], bool(r["active"]))

    def client(self, symbol: str) -> Client:
        return self._remembered(("client", symbol.upper()), lambda: self._client(symbol))

    def _client(self, symbol: str) -> Client:
        conn = self.db.read()
        r = conn.execute("SELECT * FROM clients WHERE symbol = ?", (symbol.upper(),)).fetchone()
        if r is None:
            raise NotFound(f"client {symbol} not found")
        nss = tuple(
            x[0]
            for x in conn.execute(
                "SELECT namespace FROM namespaces WHERE client = ? ORDER BY namespace", (r["symbol"],)
            )
        )
        pfx = tuple(
            x[0]
            for x in conn.execute("SELECT prefix FROM doi_prefixes WHERE client = ? ORDER BY prefix", (r["symbol"],))
        )
        domains = tuple(d for d in r["domains"].split(",") if d)
        return Client(r["symbol"], r["agent"], r["name"], r["quota"], domains, nss, pfx, r["ror"], bool(r["active"]))

    def agents(self) -> list[Agent]:
        return [self.agent(r[0]) for r in self.db.read().execute("SELECT symbol FROM agents ORDER BY symbol")]

    def clients(self, agent: str | None = None) -> list[Client]:
        if agent is None:
            rows = self.db.read().execute("SELECT symbol FROM clients ORDER BY symbol")
        else:
            rows = self.db.read().execute("SELECT symbol FROM clients WHERE agent = ? ORDER BY symbol", (agent,))
        return [self.client(r[0]) for r in rows]

    def update_agent(
        self,
        symbol: str,
        *,
        name: str | None = None,
        password: str | None = None,
        quota: int | None = None,
        ror: str | None = None,
        active: bool | None = None,
    ) -> Agent:
        """Changes the given fields of an agent (``ror=""`` removes it); disabling refuses its logins and its clients'."""
        agent = self.agent(symbol)
        self._update("agents", agent.symbol, name=name, password=password, quota=quota, ror=ror, active=active)
        return self.agent(agent.symbol)

    def update_client(
        self,
        symbol: str,
        *,
        name: str | None = None,
        password: str | None = None,
        quota: int | None = None,
        ror: str | None = None,
        domains: list[str] | None = None,
        active: bool | None = None,
    ) -> Client:
        """Changes the given fields of a client; ``domains`` replaces the allow-list (empty: any domain)."""
        client = self.client(symbol)
        self._update(
            "clients",
            client.symbol,
            name=name,
            password=password,
            quota=quota,
            ror=ror,
            active=active,
            domains=None if domains is None else ",".join(self._domains(domains)),
        )
        return self.client(client.symbol)

    def _update(self, table: str, symbol: str, **fields: object) -> None:
        columns: dict[str, object] = {}
        for key, value in fields.items():
            if value is None:
                continue
            if key == "name":
                columns["name"] = self._name(str(value))
            elif key == "password":
                if not value:
                    raise InvalidInput("a password is required")
                columns["password_hash"] = hash_password(str(value))
            elif key == "quota":
                if not isinstance(value, int) or value < -1:
                    raise InvalidInput("a quota is a number of distinct IGSNs, or -1 for unlimited")
                columns["quota"] = value
            elif key == "ror":
                columns["ror"] = self._ror(str(value))
            elif key == "active":
                columns["active"] = int(bool(value))
            else:
                columns[key] = value
        if not columns:
            return
        assignments = ", ".join(f"{c} = ?" for c in columns)
        with self._write() as conn:
            conn.execute(f"UPDATE {table} SET {assignments} WHERE symbol = ?", (*columns.values(), symbol))

    @staticmethod
    def _domains(domains: list[str] | tuple[str, ...]) -> tuple[str, ...]:
        out = tuple(text_policy.checked(d.strip().lower(), "domains") for d in domains if d.strip())
        for d in out:
            if d != "*" and (any(c.isspace() or c in "/:@,?#" for c in d) or not d.lstrip("*.")):
                raise InvalidInput(f"{d!r} is not a domain name")
        return out

    # -- namespaces -----------------------------------------------------------------------------
    def namespace_table(self) -> dict[str, tuple[str, str | None]]:
        """namespace → (agent, client or None)."""
        return self._remembered(
            ("table", "namespaces"), lambda: self._table("SELECT namespace, agent, client FROM namespaces")
        )

    def doi_prefix_table(self) -> dict[str, tuple[str, str | None]]:
        return self._remembered(
            ("table", "doi_prefixes"), lambda: self._table("SELECT prefix, agent, client FROM doi_prefixes")
        )

    def _table(self, sql: str) -> dict[str, tuple[str, str | None]]:
        return {r[0]: (r[1], r[2]) for r in self.db.read().execute(sql)}

    def _owner(self, symbol: str) -> tuple[Agent, Client | None]:
        """An agent or a client (``AGENT.CLIENT``) by symbol, with its agent."""
        if "." in symbol:
            client = self.client(symbol)
            return self.agent(client.agent), client
        return self.agent(symbol), None

    def add_namespace(self, namespace: str, owner: str) -> str:
        """Gives a namespace to an agent, or to a client (within its agent's namespaces); returns its normal form."""
        ns = normalise_namespace(namespace)
        agent, client = self._owner(owner)
        with self._write() as conn:
            if client is None:
                self._claim_namespace(conn, ns, agent.symbol, None, agent_level=True)
                return ns
            if not any(ns.startswith(a) for a in agent.namespaces):
                raise InvalidInput(
                    f"namespace {ns} does not lie within agent {agent.symbol}'s namespaces "
                    f"({', '.join(agent.namespaces) or 'none'})"
                )
            row = conn.execute("SELECT agent, client FROM namespaces WHERE namespace = ?", (ns,)).fetchone()
            if row and row["client"] is None and row["agent"] == agent.symbol:
                conn.execute("UPDATE namespaces SET client = ? WHERE namespace = ?", (client.symbol, ns))
            else:
                self._claim_namespace(conn, ns, agent.symbol, client.symbol)
        return ns

    def remove_namespace(self, namespace: str) -> str:
        """Takes a namespace away (the caller checks that no sample lies in it); a client's namespace that is one of
        its agent's own goes back to the agent."""
        ns = normalise_namespace(namespace)
        with self._write() as conn:
            row = conn.execute("SELECT agent_level, client FROM namespaces WHERE namespace = ?", (ns,)).fetchone()
            if row is None:
                raise NotFound(f"namespace {ns} not found")
            if row["agent_level"] and row["client"] is not None:
                conn.execute("UPDATE namespaces SET client = NULL WHERE namespace = ?", (ns,))
            else:
                conn.execute("DELETE FROM namespaces WHERE namespace = ?", (ns,))
        return ns

    def add_doi_prefix(self, prefix: str, owner: str) -> str:
        """Gives a DOI prefix to an agent, or to a client (one of its agent's prefixes, or a new one)."""
        p = self._prefix(prefix)
        agent, client = self._owner(owner)
        with self._write() as conn:
            row = conn.execute("SELECT agent, client FROM doi_prefixes WHERE prefix = ?", (p,)).fetchone()
            if client is not None and row and row["agent"] == agent.symbol and row["client"] is None:
                conn.execute("UPDATE doi_prefixes SET client = ? WHERE prefix = ?", (client.symbol, p))
            else:
                self._claim_prefix(conn, p, agent.symbol, client.symbol if client else None)
        return p

    def remove_doi_prefix(self, prefix: str) -> str:
        p = self._prefix(prefix)
        with self._write() as conn:
            if conn.execute("DELETE FROM doi_prefixes WHERE prefix = ?", (p,)).rowcount == 0:
                raise NotFound(f"DOI prefix {p} not found")
        return p

    # -- authentication -----------------------------------------------------------------------
    def authenticate(self, symbol: str, password: str, *, admin: tuple[str, str] | None = None) -> Principal:
        """The principal for these credentials, or ``NotAuthenticated``."""
        if (
            admin is not None
            and symbol == admin[0]
            and admin[1]
            and hmac.compare_digest(password.encode("utf-8"), admin[1].encode("utf-8"))
        ):
            return ADMIN
        sym = symbol.strip().upper()
        conn = self.db.read()
        table = "clients" if "." in sym else "agents"
        r = conn.execute(f"SELECT * FROM {table} WHERE symbol = ?", (sym,)).fetchone()
        if r is not None and table == "clients" and r["active"]:
            agent_row = conn.execute("SELECT active FROM agents WHERE symbol = ?", (r["agent"],)).fetchone()
            r = r if agent_row is not None and agent_row["active"] else None  # a disabled agent's clients too
        # every failed login pays two hashes, what a client's wrong password pays (its own hash, then its
        # agent's for the master login), so response times do not reveal which account names exist
        if r is None or not r["active"]:
            verify_password(password, _DUMMY_HASH)
            verify_password(password, _DUMMY_HASH)
            raise NotAuthenticated("not logged in: unknown account")
        if verify_password(password, r["password_hash"]):
            return Principal("client", sym, r["agent"]) if table == "clients" else Principal("agent", sym, sym)
        if table == "clients":
            # master login: an agent's password authenticates as any of its clients
            a = conn.execute("SELECT password_hash FROM agents WHERE symbol = ?", (r["agent"],)).fetchone()
            if verify_password(password, a["password_hash"] if a is not None else _DUMMY_HASH) and a is not None:
                return Principal("client", sym, r["agent"])
        else:
            verify_password(password, _DUMMY_HASH)
        raise NotAuthenticated("not logged in: wrong password")
