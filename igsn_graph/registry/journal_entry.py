"""A journal entry (``Change``): one sample's new state, and the payload form the journal keeps it in.

Its graph and document are compressed once, as history keeps them, and the payload carries those bytes, so
a write compresses each once for both; payloads of the older form (the whole JSON compressed) are still read.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from pyoxigraph import Triple

from ..formats.rdf import NTriplesText, ntriples
from ..index.catalogue import CatalogueRow
from ..index.search import RecordIndex
from ..once import once
from ..record import SampleRecord
from ..store import history
from .embargo import Known
from .transfer import Moves

__all__ = ["Change"]


@dataclass
class Change:
    """One sample's new state: its whole record graph, the activity that made it, its index row."""

    row: CatalogueRow
    #: the full graph of the sample (kept in history); the public graph is ``public_view`` of it
    graph: Sequence[Triple]
    activity: Sequence[Triple]
    event: str
    principal: str
    format: str | None = None
    document: bytes | None = None
    new: bool = False
    #: account rows that move with this change (a transfer's namespace and drafts), written with the index
    moves: Moves | None = None
    #: the record ``graph`` was made from, when the writer has it: indexed without reading the graph back
    #: (not journaled: a replay reads it from the graph)
    record: SampleRecord | None = None
    #: ``graph_text`` and ``document`` compressed already (``history.compress``), when the writer has them
    graph_z_given: bytes | None = None
    document_z_given: bytes | None = None
    #: what search and relations keep of the description, and its embargo end, when derived with it
    #: (``registry.derivation``): the index step reads neither the record nor the graph
    indexed: RecordIndex | None = None
    embargo_end: Known | None = None

    @property
    def has_document(self) -> bool:
        return self.document is not None or self.document_z_given is not None

    @once
    def graph_text(self) -> str:
        """``graph`` as N-Triples, written once for the journal, the graph store and history."""
        return ntriples(self.graph)

    @once
    def activity_text(self) -> str:
        return ntriples(self.activity)

    @once
    def graph_z(self) -> bytes:
        """``graph_text`` compressed, once for the journal and history (``history.compress``)."""
        if self.graph_z_given is not None:
            return self.graph_z_given
        return history.compress(self.graph_text.encode("utf-8"))

    @once
    def document_z(self) -> bytes | None:
        if self.document_z_given is not None:
            return self.document_z_given
        return history.compress(self.document) if self.document is not None else None

    def to_payload(self) -> bytes:
        """A JSON object whose graph and document are history's compressed bytes (base64): compressed once
        for both. (An older payload, the whole JSON compressed, is still read: ``from_payload``.)"""
        body = {
            "row": {k: getattr(self.row, k) for k in self.row.__dataclass_fields__},
            "graph_z": _b64(self.graph_z),
            "activity": self.activity_text,
            "event": self.event,
            "principal": self.principal,
            "format": self.format,
            "document_z": _b64(self.document_z),
            "new": self.new,
            "moves": self.moves.to_json() if self.moves else None,
        }
        return json.dumps(body).encode("utf-8")

    @classmethod
    def from_payload(cls, payload: bytes) -> "Change":
        payload = bytes(payload)  # whatever bytes-like object the database driver gives
        graph_z = None
        if payload[:1] == b"{":
            body = json.loads(payload)
            graph_z = base64.b64decode(body["graph_z"])
            graph_text = history.decompress(graph_z).decode("utf-8")
            document_z = body["document_z"]
            document = history.decompress(base64.b64decode(document_z)) if document_z is not None else None
        else:  # written before the graph was compressed on its own
            body = json.loads(zlib.decompress(payload))
            graph_text = body["graph"]
            document = base64.b64decode(body["document"]) if body["document"] is not None else None
        return cls(
            row=CatalogueRow(**body["row"]),
            graph=NTriplesText(graph_text),
            activity=NTriplesText(body["activity"]),
            event=body["event"],
            principal=body["principal"],
            format=body["format"],
            document=document,
            new=False,
            moves=Moves.from_json(body.get("moves")),
            graph_z_given=graph_z,
        )  # on replay a graph may exist already: always drop before writing


def _b64(data: bytes | None) -> str | None:
    return base64.b64encode(data).decode("ascii") if data is not None else None
