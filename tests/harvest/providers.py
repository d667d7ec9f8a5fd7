"""An OAI-PMH provider built on pyoai's server side (``oaipmh.server.BatchingServer``) serving recorded real
catalogues: Geoscience Australia's description kernel records, CSIRO v3 and ARDC records from ../shared/examples,
each prefix one catalogue, two records a page.

Faults on demand: the first ``busy`` requests get 503 with ``Retry-After: 1``; ``refuse_token_at`` (the n-th
request carrying a resumption token) answers pyoai's own ``badResumptionToken`` once; a record can be listed
with a payload that is malformed (the CSIRO example without its identifier), deleted, or changed.
"""

from __future__ import annotations

import threading
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from lxml import etree
from oaipmh import common, error
from oaipmh.metadata import MetadataRegistry
from oaipmh.server import BatchingServer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from igsn_graph.xmlparser import parse_xml
from tests.conftest import SHARED

OAI = "http://www.openarchives.org/OAI/2.0/"
EXAMPLES = SHARED / "examples"
GA = EXAMPLES / "GeoscienceAustralia-samples-api"
ARDC = EXAMPLES / "au-research-igsn-metadata-registry"
CSIRO = EXAMPLES / "kitchenprinzessin3880-csiro-igsn-schema"

#: prefix → the recorded records it serves: (file, is it an OAI-PMH response)
CATALOGUES: dict[str, list[tuple[Path, bool]]] = {
    "igsn_desc": [
        (GA / "_tests/static_data/static_GetRecord_240_igsn.xml", True),
        (GA / "_tests/xml-validation/eg_GetRecord_AU239_igsn-dev.xml", True),
    ],
    "csirov3": [
        (ARDC / "src/main/resources/static/examples/sample_csiro_v3.xml", False),
        (ARDC / "src/test/resources/xml/sample_xml_prefix_cs_igsn.xml", False),
        (CSIRO / "3.0/example-xml-soilarchive.xml", False),
    ],
    "ardc": [(ARDC / "src/main/resources/static/examples/sample_ardc_v1.xml", False)],
}
#: the IGSNs each catalogue describes, in the order served
NAMES = {
    "igsn_desc": ["AU240", "AU239"],
    "csirov3": ["CSTSTDOCO1", "XXAA45CJ1N", "CSAZSXXXXX-"],
    "ardc": ["XX0TUIAYLV"],
}
#: a real CSIRO v3 record without its identifier (the registry's example of an invalid one)
MALFORMED = ARDC / "src/test/resources/xml/invalid_sample_igsn_csiro_v3.xml"


def available() -> bool:
    return all(p.is_file() for files in CATALOGUES.values() for p, _ in files) and MALFORMED.is_file()


@dataclass
class Entry:
    """One record a catalogue lists: its identifier, datestamp, payload (None: deleted)."""

    identifier: str
    datestamp: datetime
    payload: etree._Element | None


def _payload(path: Path, in_oai: bool) -> etree._Element:
    root = parse_xml(path.read_bytes())
    if in_oai:
        found = root.find(f".//{{{OAI}}}metadata")
        assert found is not None
        return next(el for el in found if isinstance(el.tag, str))
    return root


@dataclass
class Catalogue:
    """The records of every prefix (mutable: a test deletes or changes one between runs)."""

    entries: dict[str, list[Entry]] = field(default_factory=dict)

    @classmethod
    def recorded(cls, stamp: datetime = datetime(2024, 1, 1)) -> Catalogue:
        out = cls()
        for prefix, files in CATALOGUES.items():
            out.entries[prefix] = [
                Entry(f"oai:recorded:{name}", stamp, _payload(path, in_oai))
                for name, (path, in_oai) in zip(NAMES[prefix], files, strict=True)
            ]
        return out

    def entry(self, prefix: str, name: str) -> Entry:
        return next(e for e in self.entries[prefix] if e.identifier.endswith(":" + name))


class _Oai:
    """pyoai's IBatchingOAI over a Catalogue."""

    def __init__(self, catalogue: Catalogue, base_url: Callable[[], str]) -> None:
        self.catalogue = catalogue
        self.base_url = base_url

    def identify(self) -> common.Identify:
        return common.Identify(
            repositoryName="Recorded IGSN catalogues",
            baseURL=self.base_url(),
            protocolVersion="2.0",
            adminEmails=["oai@example.org"],
            earliestDatestamp=datetime(2000, 1, 1),
            deletedRecord="persistent",
            granularity="YYYY-MM-DDThh:mm:ssZ",
            compression=["identity"],
        )

    def listMetadataFormats(self, identifier: str | None = None) -> list[tuple[str, str, str]]:  # noqa: N802
        return [(p, "", "") for p in self.catalogue.entries]

    def listSets(self, cursor: int = 0, batch_size: int = 10) -> list[Any]:  # noqa: N802
        raise error.NoSetHierarchyError("no sets")

    def _entries(self, prefix: str, from_: datetime | None, until: datetime | None) -> list[Entry]:
        if prefix not in self.catalogue.entries:
            raise error.CannotDisseminateFormatError(prefix)
        return [
            e
            for e in self.catalogue.entries[prefix]
            if (from_ is None or e.datestamp >= from_) and (until is None or e.datestamp <= until)
        ]

    def _record(self, e: Entry) -> tuple[common.Header, Any, None]:
        return common.Header(None, e.identifier, e.datestamp, [], e.payload is None), e.payload, None

    def listRecords(  # noqa: N802
        self,
        metadataPrefix: str,  # noqa: N803
        set: str | None = None,  # noqa: A002
        from_: datetime | None = None,
        until: datetime | None = None,
        cursor: int = 0,
        batch_size: int = 10,
    ) -> list[tuple[common.Header, Any, None]]:
        found = self._entries(metadataPrefix, from_, until)
        return [self._record(e) for e in found[int(cursor) : int(cursor) + int(batch_size)]]

    def listIdentifiers(self, **kw: Any) -> list[common.Header]:  # noqa: N802
        return [h for h, _, _ in self.listRecords(**kw)]

    def getRecord(self, metadataPrefix: str, identifier: str) -> tuple[common.Header, Any, None]:  # noqa: N802, N803
        for e in self._entries(metadataPrefix, None, None):
            if e.identifier == identifier:
                return self._record(e)
        raise error.IdDoesNotExistError(identifier)


def _write_payload(element: etree._Element, payload: etree._Element) -> None:
    element.append(deepcopy(payload))


class Provider:
    """The HTTP side: pyoai answers, the faults are injected before it; every request is recorded."""

    def __init__(self, catalogue: Catalogue, *, busy: int = 0, refuse_token_at: int | None = None) -> None:
        self.catalogue = catalogue
        self.busy = busy
        self.refuse_token_at = refuse_token_at
        self.requests: list[dict[str, str]] = []
        self.url = ""
        self._tokens = 0
        self._lock = threading.Lock()
        registry = MetadataRegistry()
        for prefix in CATALOGUES:
            registry.registerWriter(prefix, _write_payload)
        self.server = BatchingServer(_Oai(catalogue, lambda: self.url), registry, resumption_batch_size=2)

    async def oai(self, request: Request) -> Response:
        args = dict(request.query_params)
        with self._lock:
            self.requests.append(args)
            if len(self.requests) <= self.busy:
                return Response("busy", status_code=503, headers={"Retry-After": "1"})
            if "resumptionToken" in args:
                self._tokens += 1
                if self._tokens == self.refuse_token_at:
                    args["resumptionToken"] = "expired"  # pyoai answers badResumptionToken itself
        body = self.server.handleRequest(args)
        return Response(body, media_type="text/xml")

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/oai", self.oai)])

    def malformed(self, prefix: str, name: str) -> None:
        """The record of ``name`` is listed with a real but malformed payload (no identifier)."""
        self.catalogue.entry(prefix, name).payload = parse_xml(MALFORMED.read_bytes())
