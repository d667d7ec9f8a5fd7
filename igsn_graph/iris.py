"""IRIs minted by the registry: samples under the IRI base, everything else under reserved lower-case paths.

The IRI base is fixed at ``igsn-graph init`` (default ``https://igsn.org/``) and stored with the data.
Normal-form IGSNs are upper case, so the lower-case paths below can never be taken by a sample.
"""

from __future__ import annotations

from urllib.parse import quote

from pyoxigraph import NamedNode

__all__ = ["DEFAULT_IRI_BASE", "RESERVED_PATHS", "Iris"]

DEFAULT_IRI_BASE = "https://igsn.org/"
RESERVED_PATHS = ("agent", "client", "namespace", "activity", "version", "graph", "provenance", "accounts")


class Iris:
    """Mints and reads back the IRIs of one store."""

    def __init__(self, base: str = DEFAULT_IRI_BASE) -> None:
        if not base.endswith(("/", "#")):
            base += "/"
        self.base = base

    def sample(self, name: str) -> NamedNode:
        return NamedNode(self.base + name)

    def name_of(self, iri: str | NamedNode) -> str | None:
        """The IGSN name of a sample IRI of this store, or None."""
        value = iri.value if isinstance(iri, NamedNode) else iri
        if not value.startswith(self.base):
            return None
        rest = value[len(self.base) :]
        if not rest or "#" in rest or rest != rest.upper() or rest.split("/", 1)[0] in RESERVED_PATHS:
            return None
        return rest

    def record_graph(self, name: str) -> NamedNode:
        """The named graph holding a sample's current description and public registry facts."""
        return NamedNode(self.base + "graph/" + name)

    def provenance_graph(self, name: str) -> NamedNode:
        """The named graph holding a sample's PROV activities (its change history)."""
        return NamedNode(self.base + "provenance/" + name)

    def harvest_graph(self, source: str, name: str) -> NamedNode:
        """The named graph of one harvest source's record of a sample (``harvest.origins``)."""
        return NamedNode(f"{self.base}harvest/{quote(source, safe='')}/{name}")

    def accounts_graph(self) -> NamedNode:
        """The named graph of public agent, client and namespace nodes."""
        return NamedNode(self.base + "accounts")

    def agent(self, symbol: str) -> NamedNode:
        return NamedNode(self.base + "agent/" + quote(symbol, safe=""))

    def client(self, symbol: str) -> NamedNode:
        return NamedNode(self.base + "client/" + quote(symbol, safe="."))

    def namespace(self, ns: str) -> NamedNode:
        return NamedNode(self.base + "namespace/" + ns)

    def activity(self, activity_id: str) -> NamedNode:
        return NamedNode(self.base + "activity/" + activity_id)

    def version(self, name: str, number: int) -> NamedNode:
        return NamedNode(f"{self.base}version/{name}/{number}")
