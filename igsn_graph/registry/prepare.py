"""Requests become ``PreparedWrite``s: a registration, a landing URL (mint), a state change, each checked
against the samples as its write sees them (``SampleState``) — ownership, preconditions, DOI prefix,
landing-URL domain, text policy — and given its next facts under the write's provisional datestamp. What a
registration makes of its record alone is ``registry.derivation``'s (here, or already in a reading process).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .. import identifiers
from ..errors import Conflict, InvalidInput, NamespaceNotAllowed
from ..formats import graph as graphmap
from ..formats.rdf import NTriplesText
from ..identifiers import TEST_NAMESPACE, Igsn
from ..record import RegistryFacts, SampleRecord
from . import derivation
from .accounts import Principal
from .derivation import Derived, Description
from .policy import Owner, names_itself
from .writes import Precondition, PreparedWrite, SampleState, Submission

if TYPE_CHECKING:
    from .service import Registry

__all__ = ["mint", "registration", "state_change"]


def registration(
    registry: Registry, principal: Principal, sub: Submission | Derived, state: SampleState, stamp: str
) -> PreparedWrite:
    """A description registered or updated: the record as it will be stored, with its owner's facts.

    ``sub`` derived in a reading process (``derivation.Derived``) is taken as it is where the derivation's
    assumptions hold here; otherwise (and for a ``Submission``) the record is derived here, by the same functions.
    """
    policy = registry.policy
    name = sub.igsn if isinstance(sub, Derived) else sub.record.igsn
    igsn = identifiers.parse_igsn(name)  # records carry normal-form names already
    if igsn.name != name:
        raise InvalidInput(f"malformed IGSN {name!r}")
    derived = sub if isinstance(sub, Derived) and sub.record is not None else None
    handle_prefix = derived.record.handle_prefix if derived is not None and derived.record is not None else None
    source: SampleRecord | None = None
    if derived is None:
        source = sub.source_record() if isinstance(sub, Derived) else sub.record
        handle_prefix = source.handle_prefix
    if handle_prefix == identifiers.TEST_HANDLE_PREFIX and not igsn.name.startswith(TEST_NAMESPACE):
        # written 20.500.11812/NAME in the document: a test identifier, never a real registration of NAME
        raise NamespaceNotAllowed(
            f"{name}: the test prefix {identifiers.TEST_HANDLE_PREFIX} is for names in the {TEST_NAMESPACE} namespace"
        )
    row = state.row(igsn.name)
    owner = Owner(row.agent, row.client, row.namespace) if row else policy.owner_of_name(igsn, principal)
    policy.check_owner(principal, owner, igsn.name, row is not None)
    fmt = sub.format
    landing_url = sub.landing_url
    if derived is not None and derived.record is not None:
        record = derived.record  # the text policy's checks made; DOI and landing page as they left them
    else:
        assert source is not None
        # every stored string: no noncharacters or C0 controls, NFC, bounded (text_policy; InvalidRecord)
        record = derivation.checked(source, max_literal_bytes=registry.settings.max_literal_bytes)
    if record.doi is not None and names_itself(record.doi, igsn.name):
        # a record naming itself by DOI (DataCite) must use a DOI prefix of its owner
        policy.check_doi_prefix(policy.parse(record.doi), principal)
    url = landing_url or record.landing_page
    if url:
        policy.check_url(url, owner)
    # the owner's organisation, for a record that names no registrant
    needs_registrant = derived.registrant is not None if derived is not None else record.registrant is None
    registrant = policy.registrant_of(owner) if needs_registrant else None
    now = datetime.now(timezone.utc)
    description: Description | None = None
    if derived is not None and derived.usable(registrant, state.links_tag, now):
        description = derived.description
    else:
        if derived is not None:  # an assumption of the reading process does not hold here: derived again
            record = derivation.checked(derived.source_record(), max_literal_bytes=registry.settings.max_literal_bytes)
            derived = None
            if registrant is None and record.registrant is None:
                registrant = policy.registrant_of(owner)
        record = derivation.completed(
            record,
            fmt,
            registrant=registrant,
            doi_prefixes=state.doi_prefixes,
            iri_base=registry.iris.base,
            now=now,
        )
    old = state.facts(igsn.name) if row is not None else None
    facts = derivation.facts_of(record, owner, url, stamp, old)
    report = None
    if derived is not None and derived.facts is not None and derivation.same_for_validation(derived.facts, facts):
        report = derived.report
    return PreparedWrite(
        principal=principal,
        facts=facts,
        record=record,
        previous=row,
        event="metadata-registered" if row is None or not row.has_metadata else "metadata-updated",
        description=NTriplesText(description.text)
        if description is not None
        else graphmap.record_triples(record, registry.iris),
        parents=list(record.parents),
        fmt=fmt,
        document=sub.document if isinstance(sub, Submission) else None,
        document_z=sub.document_z if isinstance(sub, Derived) else None,
        stored=description,
        report=report,
    )


def single_registration(
    registry: Registry,
    principal: Principal,
    sub: Submission | Derived,
    state: SampleState,
    stamp: str,
    expected: Precondition | None,
    event: str | None = None,
) -> PreparedWrite:
    """A registration on its own, whose precondition is checked first — after ownership, so that another
    party learns nothing of the sample's version (403 first); ``event``: its history event, when not the
    usual metadata-registered/-updated (a DataCite state transition)."""
    name = sub.igsn if isinstance(sub, Derived) else sub.record.igsn
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
