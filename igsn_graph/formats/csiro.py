"""CSIRO IGSN descriptive schema v3.0 XML (root ``resources``) → ``SampleRecord`` (read only).

One record per ``resource``, read by ``_descriptive.ResourceReader`` (shared with its successor ARDC 1.0,
``formats.ardc``): the curator is the text of ``curator``, a related resource's identifier the text of
``relatedResource``. Code-list IRIs are Geoscience Australia's ``…/igsn-codelists/`` and ISO CI_RoleCode.
"""

from __future__ import annotations

from lxml import etree

from ..record import SampleRecord
from ._descriptive import COLLECTOR_ROLE, ResourceReader, read_batch

__all__ = ["NS", "NAMESPACES", "ROOT", "SCHEMA_LOCATION", "COLLECTOR_ROLE", "read"]

NS = "https://igsn.csiro.au/schemas/3.0"
NAMESPACES = (NS,)
ROOT = "resources"
SCHEMA_LOCATION = f"{NS} https://igsn.csiro.au/schemas/3.0/igsn-csiro-v3.0.xsd"


def read(root: etree._Element) -> list[SampleRecord]:
    """One record per ``resource`` of a ``resources`` document, in document order."""
    return read_batch(root, "a CSIRO v3 document", NAMESPACES, ResourceReader)
