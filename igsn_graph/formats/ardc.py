"""ARDC IGSN descriptive 1.0 XML (root ``resources``) → ``SampleRecord`` (read only).

The successor of CSIRO v3 (``formats.csiro``), read by the same ``_descriptive.ResourceReader``. What ARDC
adds: ``alternateIdentifier@alternateIdentifierType``; ``curator/curatorName`` (a curator identifier has no
place in ``Curation`` and is reported as not mapped); ``relatedResource`` with ``relatedResourceTitle`` and
``relatedResourceIdentifier@relatedResourceIdentifierType``; identifier types ROR and ``local``; code lists
under Geoscience Australia's ``http://pid.geoscience.gov.au/def/voc/ga/igsncode/`` (translated by
``mappings/codelists/agent_terms.csv``).

``resourceIdentifier`` is written with its handle prefix (``10273/XX0TUIAYLV``, or the test prefix
``20.500.11812/…``); a batch may mix them. Each is parsed on its own; a DOI form sets the record's DOI; a
numeric prefix that is neither a handle prefix of IGSN nor a DOI prefix is refused; a bare name (which the
XSD does not allow, but whose meaning is clear) is read with a warning.
"""

from __future__ import annotations

import re

from lxml import etree

from ..errors import InvalidIdentifier
from ..identifiers import HANDLE_PREFIX, TEST_HANDLE_PREFIX, Igsn
from ..record import Relation, SampleRecord
from ..xmlparser import element_path
from ._descriptive import ResourceReader, read_batch, related

__all__ = ["NS", "NAMESPACES", "ROOT", "SCHEMA_LOCATION", "read"]

NS = "https://identifiers.ardc.edu.au/schemas/ardc-igsn-desc"
NAMESPACES = (NS,)
ROOT = "resources"
SCHEMA_LOCATION = f"{NS} https://identifiers.ardc.edu.au/schemas/ardc-igsn-desc/1.0/resource.xsd"

_PREFIX = re.compile(r"([0-9.]+)/")


class _ArdcReader(ResourceReader):
    def identifier(self) -> Igsn:
        igsn = super().identifier()
        id_el = self.find(self.el, "resourceIdentifier")
        assert id_el is not None  # super() refuses a record without one
        written = (id_el.text or "").strip()
        if igsn.handle_prefix is None and igsn.doi_prefix is None:
            prefix = _PREFIX.match(written)
            if prefix:
                raise InvalidIdentifier(
                    f"{element_path(id_el)}: {prefix.group(1)} is not an IGSN handle prefix "
                    f"({HANDLE_PREFIX}, or {TEST_HANDLE_PREFIX} for tests) nor a DOI prefix",
                    value=written,
                    reason="syntax",
                )
            self.warnings.append(
                f"{element_path(id_el)}: {written!r} has no handle prefix "
                f"(the schema wants {HANDLE_PREFIX}/NAME); read as the IGSN {igsn.name}"
            )
        return igsn

    def curator(self, curation: etree._Element) -> str | None:
        return self.text(self.find(curation, "curator/curatorName"))

    def relation(self, el: etree._Element) -> Relation | None:
        id_el = self.find(el, "relatedResourceIdentifier")
        value = self.text(id_el)
        if id_el is None or value is None:
            return None
        return related(
            value,
            self.attr(id_el, "relatedResourceIdentifierType"),
            self.attr(el, "relationType"),
            title=self.text(self.find(el, "relatedResourceTitle")),
        )


def read(root: etree._Element) -> list[SampleRecord]:
    """One record per ``resource`` of a ``resources`` document, in document order."""
    return read_batch(root, "an ARDC IGSN descriptive 1.0 document", NAMESPACES, _ArdcReader)
