"""Requests become ``PreparedWrite``s: a registration, a landing URL (mint), a state change, each checked
against the samples as its write sees them (``SampleState``) — ownership, preconditions, DOI prefix,
landing-URL domain, text policy — and given its next facts under the write's provisional datestamp.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .. import identifiers, links, text_policy
from ..errors import Conflict, InvalidInput, NamespaceNotAllowed
from ..formats import graph as graphmap
from ..identifiers import TEST_NAMESPACE, Igsn
from ..record import RegistryFacts
from . import embargo
from .accounts import Principal
from .policy import Owner, names_itself
from .writes import Precondition, PreparedWrite, SampleState, Submission

if TYPE_CHECKING:
    from .service import Registry

__all__ = ["mint", "registration", "state_change"]


def registration(
    registry: Registry, principal: Principal, sub: Submission, state: SampleState, stamp: str
) -> PreparedWrite:
    """A description registered or updated: the record as it will be stored, with its owner's facts."""
    policy = registry.policy
    record = sub.record
    igsn = identifiers.parse_igsn(record.igsn)  # records carry normal-form names already
    if igsn.name != record.igsn:
        raise InvalidInput(f"malformed IGSN {record.igsn!r}")
    if record.handle_prefix == identifiers.TEST_HANDLE_PREFIX and not igsn.name.startswith(TEST_NAMESPACE):
        # written 20.500.11812/NAME in the document: a test identifier, never a real registration of NAME
        raise NamespaceNotAllowed(
            f"{record.igsn}: the test prefix {identifiers.TEST_HANDLE_PREFIX} is for names in the "
            f"{TEST_NAMESPACE} namespace"
        )
    row = state.row(igsn.name)
    owner = Owner(row.agent, row.client, row.namespace) if row else policy.owner_of_name(igsn, principal)
    policy.check_owner(principal, owner, igsn.name, row is not None)
    # every stored string: no noncharacters or C0 controls, NFC, bounded (text_policy; InvalidRecord)
    record = text_policy.check_record(record, max_bytes=registry.settings.max_literal_bytes)
    if record.doi is not None and names_itself(record.doi, igsn.name):
        # a record naming itself by DOI (DataCite) must use a DOI prefix of its owner
        policy.check_doi_prefix(policy.parse(record.doi), principal)
    url = sub.landing_url or record.landing_page
    if url:
        policy.check_url(url, owner)
    record = policy.fill_registrant(record, owner)
    # any written form of another sample's IGSN becomes a link to it; parents and collections per
    # mappings/relation_semantics.csv (before the cycle rule, which reads record.parents)
    record = links.resolve(record, sub.format, doi_prefixes=state.doi_prefixes, iri_base=registry.iris.base)
    if not record.name:
        # the registration kernel carries no sample name; every description needs one (DataCite's
        # mandatory title), so the IGSN stands in for it, as registries commonly display it
        record = replace(record, name=igsn.name)
    # an embargo that has not ended keeps the description private; one that has ended makes it public
    record = embargo.with_embargo(record)
    old = state.facts(igsn.name) if row is not None else None
    facts = RegistryFacts(
        igsn=igsn.name,
        agent=owner.agent,
        client=owner.client,
        namespace=owner.namespace,
        datestamp=stamp,
        landing_url=url or (old.landing_url if old else None),
        active=True,  # posting metadata again reactivates
        lifecycle=record.lifecycle or (old.lifecycle if old else None),
        replaced_by=old.replaced_by if old else None,
        is_public=record.is_public,
        has_metadata=True,
        registered=(old.registered if old else stamp),
        doi=record.doi or (old.doi if old else None),
    )
    return PreparedWrite(
        principal=principal,
        facts=facts,
        record=record,
        previous=row,
        event="metadata-registered" if row is None or not row.has_metadata else "metadata-updated",
        description=graphmap.record_triples(record, registry.iris),
        parents=list(record.parents),
        fmt=sub.format,
        document=sub.document,
    )


def single_registration(
    registry: Registry,
    principal: Principal,
    sub: Submission,
    state: SampleState,
    stamp: str,
    expected: Precondition | None,
    event: str | None = None,
) -> PreparedWrite:
    """A registration on its own, whose precondition is checked first — after ownership, so that another
    party learns nothing of the sample's version (403 first); ``event``: its history event, when not the
    usual metadata-registered/-updated (a DataCite state transition)."""
    name = sub.record.igsn
    if expected is not None:
        current = state.row(name)
        if current is not None:
            registry.policy.check_owner(principal, Owner(current.agent, current.client, current.namespace), name, True)
        expected.check(name, current)
    write = registration(registry, principal, sub, state, stamp)
    return replace(write, event=event) if event else write


def mint(
    registry: Registry, principal: Principal, igsn: Igsn, url: str, state: SampleState, stamp: str
) -> PreparedWrite:
    """Create-or-update of a name with its landing URL (the quota of a new one is counted later, in order)."""
    policy = registry.policy
    row = state.row(igsn.name)
    owner = Owner(row.agent, row.client, row.namespace) if row is not None else policy.owner_of_name(igsn, principal)
    policy.check_owner(principal, owner, igsn.name, row is not None)
    policy.check_doi_prefix(igsn, principal)
    policy.check_url(url, owner)
    if row is None:
        if registry.settings.metadata_required:
            raise Conflict("You have to register metadata first!", igsn=igsn.name)
        policy.check_quota(owner, 1)  # the group's own new samples are counted after validation
        record = None
        facts = RegistryFacts(
            igsn=igsn.name,
            agent=owner.agent,
            client=owner.client,
            namespace=owner.namespace,
            datestamp=stamp,
            landing_url=url,
            registered=stamp,
            doi=igsn.doi,
        )
    else:
        old = state.facts(igsn.name)
        assert old is not None
        record = state.record(igsn.name) if old.has_metadata else None
        facts = replace(old, landing_url=url, datestamp=stamp)
    return PreparedWrite(
        principal=principal,
        facts=facts,
        record=record,
        previous=row,
        event="minted" if row is None else "url-updated",
        description=graphmap.record_triples(record, registry.iris) if record is not None else [],
    )


def state_change(
    registry: Registry,
    principal: Principal,
    name: str,
    event: str,
    state: SampleState,
    stamp: str,
    *,
    expected: Precondition | None,
    test_mode: bool,
    changes: dict[str, Any],
) -> PreparedWrite:
    """A sample's facts changed (deactivated, deprecated…): its description is kept as it is, not validated again."""
    row, facts = registry.reads.existing(name, principal, state)
    if expected is not None:
        expected.check(name, row)
    if test_mode:  # nothing is written: the answer needs the facts only
        return PreparedWrite(principal, replace(facts, **changes), None, row, event, [], validated=False)
    record = state.record(name) if facts.has_metadata else None
    return PreparedWrite(
        principal=principal,
        facts=replace(facts, datestamp=stamp, **changes),
        record=record,
        previous=row,
        event=event,
        description=graphmap.record_triples(record, registry.iris) if record is not None else [],
        validated=False,
    )
