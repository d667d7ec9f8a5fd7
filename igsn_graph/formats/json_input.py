"""A JSON body → its records, read by the reader its content calls for: IGSN-JSON, AGN JSON or JSON-LD.

JSON arrives under one media type (``application/json`` or ``application/ld+json``) and one file suffix
(``.json``) whatever it holds, so the format is decided by content, in this order: an ``@context`` naming
the IGSN-JSON registration v0.1 context → IGSN-JSON (read as JSON, not expanded: its context maps too
little to recover the registration); an array of objects shaped like AusGeochem samples → AGN JSON;
anything else → JSON-LD (``formats.rdf``). The document is decoded once, in any Unicode encoding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Collection

from ..record import SampleRecord
from . import jsontext
from .rdf import read_json_ld
from .table import JSON_FORMATS

__all__ = ["JSON_LD_FORMAT", "JsonDocument", "read_json"]

#: the format name JSON-LD submissions are stored under (as every native RDF input)
JSON_LD_FORMAT = "rdf"


@dataclass
class JsonDocument:
    """The records of a JSON document, the format they were read as, and each record's own document.

    ``documents[i]`` is what is kept as record i's submitted document: the whole document when it holds one
    record, the record's own array item (as an AGN array of one) in an AGN batch, None for a JSON-LD document
    of several samples (the history keeps each sample's graph)."""

    format: str
    records: list[SampleRecord]
    documents: list[bytes | None]


def read_json(data: bytes, *, context_urls: Collection[str] = ()) -> JsonDocument:
    """Reads a JSON document in any Unicode encoding with the reader its content calls for.

    ``context_urls``: further URLs at which our JSON-LD context is published (``rdf.own_context_urls``)."""
    doc = jsontext.loads(data)
    fmt = next((f for f in JSON_FORMATS if f.marker(doc)), None)
    if fmt is not None:
        records = fmt.read(doc)
        if len(records) == 1 or not isinstance(doc, list):
            return JsonDocument(fmt.name, records, [data])
        # a batch (an AGN array): each record's own document is its item, as an array of one
        return JsonDocument(fmt.name, records, [json.dumps([item]).encode("utf-8") for item in doc])
    records = read_json_ld(doc, context_urls=context_urls)
    return JsonDocument(JSON_LD_FORMAT, records, [data if len(records) == 1 else None] * len(records))
