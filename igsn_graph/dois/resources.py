"""DOIs and what the DataCite REST API says around them as JSON:API resource objects: a DOI (registered, findable
or draft) with its DataCite attributes, its activities (PROV), the DOI prefixes and a client; which DOIs a caller
may see, one by one and as a list. The attributes come from the resolver's DataCite JSON, so this door and every
other describe a sample the same way."""

from __future__ import annotations

import base64
import heapq
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from lxml import etree

from ..errors import InvalidInput, NotFound
from ..formats import datacite_rest
from ..index import search
from ..registry import lifecycle
from ..registry.accounts import Principal
from ..resolver import datacite_json_of, render_element
from ..store import history
from .names import parse_doi, written_doi

if TYPE_CHECKING:
    from ..registry.service import Registry

__all__ = ["activities", "client_resource", "listed", "prefix_resources", "resource", "shown"]


def visible(registry: Registry, who: Principal | None, name: str) -> None:
    """NotFound unless the DOI may be shown: a findable one to anyone, the others to their owner only."""
    row = registry.row(name)
    if row is not None:
        if lifecycle.state_of(row) == lifecycle.FINDABLE or (
            who is not None and who.may_act_for(row.agent, row.client)
        ):
            return
    elif registry.draft_for(name, who) is not None:
        return
    raise NotFound("DOI not found", igsn=name)


def _xml_of(registry: Registry, name: str, record: Any, facts: Any) -> str:
    """base64 of the sample's DataCite XML: the document submitted when it was DataCite, else as written here."""
    version = history.latest_document(registry.db.read(), name)
    if version is not None and version.document is not None and version.format == "datacite":
        document = version.document
    else:
        document = etree.tostring(
            render_element("datacite", record, facts, registry.iris.base), xml_declaration=True, encoding="UTF-8"
        )
    return base64.b64encode(document).decode("ascii")


def resource(registry: Registry, name: str) -> dict[str, Any]:
    """The JSON:API resource object of a DOI (registered, findable or draft)."""
    row = registry.row(name)
    if row is not None:
        facts = registry.facts(name)
        assert facts is not None
        record = registry.record(name) if facts.has_metadata else None
        metadata = datacite_json_of(registry, record, facts) if record is not None else {}
        doi = written_doi(name, facts.doi)
        extra = {
            "url": facts.landing_url,
            "state": lifecycle.state_of(facts),
            "isActive": facts.active,
            "xml": _xml_of(registry, name, record, facts) if record is not None else None,
            "created": facts.registered,
            "registered": facts.registered,
            "updated": facts.datestamp,
        }
        holder = facts.client or facts.agent
    else:
        draft = lifecycle.get(registry.db.read(), name)
        if draft is None:
            raise NotFound("DOI not found", igsn=name)
        metadata = {k: v for k, v in draft.attributes.items() if k in datacite_rest.METADATA_KEYS}
        doi = written_doi(name, draft.doi)
        extra = {
            "url": draft.url,
            "state": lifecycle.DRAFT,
            "isActive": False,
            "xml": draft.attributes.get("xml"),
            "created": draft.created,
            "registered": None,
            "updated": draft.updated,
        }
        holder = draft.client or draft.agent
    prefix, _, suffix = doi.partition("/")
    attributes = {
        **metadata,
        "doi": doi.lower(),
        "prefix": prefix,
        "suffix": suffix.lower(),
        "identifiers": [{"identifier": name, "identifierType": "IGSN"}],
        **extra,
    }
    return {
        "id": doi.lower(),
        "type": "dois",
        "attributes": attributes,
        "relationships": {"client": {"data": {"id": holder.lower(), "type": "clients"}}},
    }


def shown(registry: Registry, who: Principal | None, doi: str) -> dict[str, Any]:
    """The resource object of ``doi`` if ``who`` may see it (NotFound otherwise)."""
    igsn = parse_doi(registry, doi)
    visible(registry, who, igsn.name)
    return resource(registry, igsn.name)


def activities(registry: Registry, who: Principal | None, doi: str) -> list[dict[str, Any]]:
    """The changes of a DOI ``who`` may see, as activity resource objects: a draft's reservation, then each
    version of its history."""
    igsn = parse_doi(registry, doi)
    visible(registry, who, igsn.name)
    data = []
    draft = lifecycle.get(registry.db.read(), igsn.name) if registry.row(igsn.name) is None else None
    if draft is not None:  # a reservation, in no history yet: its owner sees when it was made
        data.append(
            {
                "id": registry.iris.activity(f"{igsn.name}/reserved").value,
                "type": "activities",
                "attributes": {
                    "action": "create",
                    "event": "reserved",
                    "version": 0,
                    "prov:generatedAtTime": draft.created,
                    "prov:wasDerivedFrom": registry.iris.sample(igsn.name).value,
                    "prov:wasAttributedTo": draft.client or draft.agent,
                },
            }
        )
    for v in history.versions_of(registry.db.read(), igsn.name):
        activity = registry.iris.activity(f"{igsn.name}/{v.version}").value
        data.append(
            {
                "id": activity,
                "type": "activities",
                "attributes": {
                    "action": "create" if v.version == 1 else "update",
                    "event": v.event,
                    "version": v.version,
                    "prov:wasGeneratedBy": activity,
                    "prov:generatedAtTime": v.datestamp,
                    "prov:wasDerivedFrom": registry.iris.sample(igsn.name).value,
                    "prov:wasAttributedTo": v.principal,
                },
            }
        )
    return data


def _candidates(
    registry: Registry,
    who: Principal | None,
    after: str,
    state: str | None,
    client_id: str | None,
    query: str | None,
) -> Iterator[str]:
    """Names the list may show, in order after the cursor: findable ones for anyone, the caller's in any state."""
    if state not in (None, "", *(lifecycle.DRAFT, lifecycle.REGISTERED, lifecycle.FINDABLE)):
        raise InvalidInput("state must be draft, registered or findable")
    where, args = ["igsn > ?"], [after]
    own = ("1" if who.is_admin else ("agent = ?" if who.kind == "agent" else "client = ?")) if who else "0"
    if who is not None and not who.is_admin:
        args.append(who.symbol)
    where.append(f"((is_public = 1 AND active = 1 AND has_metadata = 1) OR {own})")
    if client_id:
        where.append("client = ?")
        args.append(client_id.upper())
    if state == lifecycle.FINDABLE:
        where.append("is_public = 1 AND active = 1")
    elif state == lifecycle.REGISTERED:
        where.append("NOT (is_public = 1 AND active = 1)")
    conn = registry.db.read()
    names: Iterator[str] = iter(())
    if state != lifecycle.DRAFT:
        names = (
            r[0] for r in conn.execute(f"SELECT igsn FROM catalogue WHERE {' AND '.join(where)} ORDER BY igsn", args)
        )
    if query:
        found = search.phrase_matches(conn, query)
        names = (n for n in names if n in found)
        state = lifecycle.REGISTERED  # drafts are not searchable
    drafts = [
        d.igsn
        for d in (lifecycle.drafts_of(conn, who) if who is not None else [])
        if d.igsn > after
        and state in (None, "", lifecycle.DRAFT)
        and (not client_id or (d.client or "") == client_id.upper())
    ]
    return heapq.merge(names, drafts)


def listed(
    registry: Registry,
    who: Principal | None,
    *,
    after: str,
    size: int,
    prefix: str | None = None,
    state: str | None = None,
    client_id: str | None = None,
    query: str | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """A page of the DOIs ``who`` may see, by name after ``after`` (findable ones for anyone, the caller's in any
    state), filtered by DOI prefix, state, client and a search phrase; and whether more follow."""
    data: list[dict[str, Any]] = []
    for name in _candidates(registry, who, after, state, client_id, query):
        item = resource(registry, name)
        if prefix and item["attributes"]["prefix"] != prefix:
            continue
        if len(data) == size:
            return data, True
        data.append(item)
    return data, False


def prefix_resources(registry: Registry) -> list[dict[str, Any]]:
    """The DOI prefixes registered here, with their clients and providers."""
    return [
        {
            "id": prefix,
            "type": "prefixes",
            "attributes": {"prefix": prefix},
            "relationships": {
                "clients": {"data": [{"id": client.lower(), "type": "clients"}] if client else []},
                "providers": {"data": [{"id": agent.lower(), "type": "providers"}]},
            },
        }
        for prefix, (agent, client) in sorted(registry.accounts.doi_prefix_table().items())
    ]


def client_resource(registry: Registry, client_id: str) -> dict[str, Any]:
    """One client (DataCite's repository): name, domains, prefixes; NotFound for an unknown one."""
    client = registry.accounts.client(client_id)
    return {
        "id": client.symbol.lower(),
        "type": "clients",
        "attributes": {
            "name": client.name,
            "symbol": client.symbol,
            "domains": ",".join(client.domains) or "*",
            "isActive": client.active,
            "rorId": client.ror,
        },
        "relationships": {
            "provider": {"data": {"id": client.agent.lower(), "type": "providers"}},
            "prefixes": {"data": [{"id": p, "type": "prefixes"} for p in client.doi_prefixes]},
        },
    }
