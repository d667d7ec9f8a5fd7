"""Who may write what: namespace ownership, DOI prefixes, landing-URL domains and quotas.

Every rule raises the refusal of ``igsn_graph.errors`` a caller gets; nothing here writes. The write
pipeline (``registry.writes``), reservations (``registry.lifecycle``) and reads of owned samples use them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .. import identifiers, text_policy
from ..db import Database
from ..errors import (
    DomainNotAllowed,
    ForeignSample,
    InvalidInput,
    NamespaceNotAllowed,
    NotAllowed,
    QuotaExceeded,
    UnknownNamespace,
)
from ..identifiers import TEST_NAMESPACE, Igsn
from ..index import catalogue
from ..record import Agent as PersonOrOrg
from ..record import Identifier, SampleRecord
from ..settings import Settings
from . import lifecycle
from .accounts import Accounts, Client, Principal, domain_allowed
from .reads import Reads

__all__ = ["REFUSALS", "Owner", "Policy", "holder", "names_itself", "organisation"]

#: refusals of a record the caller may not register (as opposed to an invalid one)
REFUSALS = (NotAllowed, NamespaceNotAllowed, UnknownNamespace)


@dataclass(frozen=True)
class Owner:
    """Who a sample belongs to: an agent, maybe one of its clients, through a namespace."""

    agent: str
    client: str | None
    namespace: str


def holder(owner: Owner) -> str:
    """Who a new IGSN counts against: the owning client, or the agent for its own namespaces."""
    return owner.client or owner.agent


def names_itself(doi: str, name: str) -> bool:
    """Whether ``doi`` is a DOI form of ``name`` (a malformed one is SHACL's to report)."""
    try:
        return identifiers.parse_igsn(doi).name == name
    except InvalidInput:
        return False


class Policy:
    """The rules over one registry's accounts and catalogue."""

    def __init__(self, accounts: Accounts, db: Database, settings: Settings, reads: Reads) -> None:
        self.accounts = accounts
        self.db = db
        self.settings = settings
        self.reads = reads

    def parse(self, text: str) -> Igsn:
        """Parses a written IGSN; a DOI form must use a DOI prefix registered here."""
        return identifiers.parse_igsn(text, doi_prefixes=self.accounts.doi_prefix_table().keys())

    def owner_of_name(self, igsn: Igsn, principal: Principal | None = None) -> Owner:
        """The owner of a (new) name: the owner of its longest registered namespace."""
        if igsn.handle_prefix == identifiers.TEST_HANDLE_PREFIX and not igsn.name.startswith(TEST_NAMESPACE):
            raise NamespaceNotAllowed(
                f"IGSN prefix is not allowed: the test prefix {identifiers.TEST_HANDLE_PREFIX} "
                f"is for names in the {TEST_NAMESPACE} namespace"
            )
        if igsn.name.startswith(TEST_NAMESPACE):
            # the test namespace is open to every client; test samples belong to whoever registers them
            if principal is None or principal.kind == "admin":
                raise NamespaceNotAllowed("test registrations need a client or agent account")
            if principal.kind == "client":
                return Owner(principal.agent or "", principal.symbol, TEST_NAMESPACE)
            return Owner(principal.symbol, None, TEST_NAMESPACE)
        table = self.accounts.namespace_table()
        ns = identifiers.namespace_of(igsn.name, table)
        if ns is None:
            raise UnknownNamespace(f"IGSN prefix is not allowed: {igsn.name} lies in no registered namespace")
        agent, client = table[ns]
        owner = Owner(agent, client, ns)
        if igsn.doi_prefix is not None:
            prefixes = self.accounts.doi_prefix_table()
            p_agent, p_client = prefixes[igsn.doi_prefix]
            if p_agent != agent or (p_client is not None and client is not None and p_client != client):
                raise NamespaceNotAllowed(f"DOI prefix {igsn.doi_prefix} does not belong to the owner of {igsn.name}")
        return owner

    def check_doi_prefix(self, igsn: Igsn, principal: Principal | None = None) -> None:
        """A DOI form must use a DOI prefix of the owner of the name's namespace (``owner_of_name``'s rule),
        for existing samples too, unless it is the DOI the sample was registered with: a DOI is persistent, so a
        sample transferred to another agent keeps its own (``registry.transfer``). NamespaceNotAllowed otherwise."""
        if igsn.doi_prefix is None or igsn.name.startswith(TEST_NAMESPACE) or igsn.doi is None:
            return
        facts = self.reads.facts(igsn.name) if self.reads.row(igsn.name) is not None else None
        if facts is not None and facts.doi is not None and facts.doi.upper() == igsn.doi.upper():
            return
        self.owner_of_name(igsn, principal)

    def check_owner(self, principal: Principal, owner: Owner, igsn: str, exists: bool) -> None:
        """ForeignSample for another party's sample; NamespaceNotAllowed for a new name in another's namespace."""
        if principal.may_act_for(owner.agent, owner.client):
            return
        if exists:
            raise ForeignSample("cannot access dataset which belongs to another party", igsn=igsn)
        raise NamespaceNotAllowed(
            f"IGSN prefix is not allowed: {igsn} is in namespace {owner.namespace} of {owner.client or owner.agent}"
        )

    def client_of(self, owner: Owner) -> Client | None:
        return self.accounts.client(owner.client) if owner.client else None

    def check_url(self, url: str, owner: Owner) -> None:
        """A landing URL: well-formed and bounded, and in one of the owning client's domains."""
        text_policy.check_url(url, max_length=self.settings.max_url_length)  # InvalidInput, never a ValueError
        client = self.client_of(owner)
        if client is not None and not domain_allowed(url, client.domains):
            raise DomainNotAllowed("domain of URL is not allowed", url=url)

    def check_quota(self, owner: Owner, new_count: int) -> None:
        """QuotaExceeded when ``new_count`` more samples would pass the holder's quota (reserved names count)."""
        if new_count <= 0 or owner.namespace == TEST_NAMESPACE:
            return
        symbol = holder(owner)
        quota = (self.accounts.client(symbol) if owner.client is not None else self.accounts.agent(symbol)).quota
        if quota < 0:  # no quota: nothing to count (counting reads every sample of the holder)
            return
        conn = self.db.read()
        if owner.client is not None:
            used = catalogue.count_owned(conn, client=symbol) + lifecycle.count(conn, client=symbol)
        else:  # reserved names (DataCite drafts) count as the samples they will become
            used = catalogue.count_owned(conn, agent=symbol) + lifecycle.count(conn, agent=symbol)
        if used + new_count > quota:
            raise QuotaExceeded(f"datacentre quota exceeded: {symbol}", symbol=symbol)

    def fill_registrant(self, record: SampleRecord, owner: Owner) -> SampleRecord:
        """A record that names no registrant gets its owner (the client, or the agent) as one."""
        if record.registrant is not None:
            return record
        return replace(record, registrant=self.registrant_of(owner))

    def registrant_of(self, owner: Owner) -> PersonOrOrg:
        """The registrant a record of ``owner`` naming none is given: the client's organisation, or the agent's."""
        if owner.client:
            c = self.accounts.client(owner.client)
            return organisation(c.name, c.ror)
        a = self.accounts.agent(owner.agent)
        return organisation(a.name, a.ror)


def organisation(name: str, ror: str | None) -> PersonOrOrg:
    """An owner's organisation as a registrant node: its name, and its ROR when it has one."""
    return PersonOrOrg(name=name, identifier=Identifier(ror, "ROR") if ror else None, kind="Organization")
