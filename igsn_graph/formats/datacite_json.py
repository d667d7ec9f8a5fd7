"""DataCite kernel-4 XML ``resource`` → DataCite JSON (the attribute shape of the DataCite REST API).

Derived from the tree ``formats.datacite.write`` produces, so the XML and the JSON never disagree:
list containers become arrays, element text and attributes become keys (``schemeURI`` → ``schemeUri``,
``creatorName``/``contributorName`` → ``name``), coordinates become numbers. ``identifier`` becomes
``doi`` for a DOI; otherwise (the IGSN URL) it is the ``url``, which a landing URL passed in replaces.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from .datacite import NS

__all__ = ["MEDIA_TYPE", "from_xml"]

MEDIA_TYPE = "application/vnd.datacite.datacite+json"
_SCHEMA_VERSION = "http://datacite.org/schema/kernel-4"
#: container element → its item element (each container becomes an array of item objects)
_LISTS = {
    "creators": "creator",
    "titles": "title",
    "subjects": "subject",
    "contributors": "contributor",
    "dates": "date",
    "alternateIdentifiers": "alternateIdentifier",
    "relatedIdentifiers": "relatedIdentifier",
    "descriptions": "description",
    "geoLocations": "geoLocation",
    "rightsList": "rights",
    "fundingReferences": "fundingReference",
    "sizes": "size",
    "formats": "format",
}
_TEXT_LISTS = frozenset({"sizes", "formats"})
_NUMBERS = frozenset(
    {
        "pointLongitude",
        "pointLatitude",
        "westBoundLongitude",
        "eastBoundLongitude",
        "southBoundLatitude",
        "northBoundLatitude",
    }
)
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _local(el: etree._Element) -> str:
    local: str = etree.QName(el).localname  # lxml is untyped here
    return local


def _key(attribute: str) -> str:
    if attribute == _XML_LANG:
        return "lang"
    return attribute.replace("URI", "Uri")


def _attributes(el: etree._Element) -> dict[str, Any]:
    return {_key(k): v for k, v in el.attrib.items() if not k.startswith("{http://www.w3.org/2001/XMLSchema")}


def _text(el: etree._Element) -> str:
    return (el.text or "").strip()


def _value(el: etree._Element) -> Any:
    name = _local(el)
    if name in _NUMBERS:
        return float(_text(el))
    if len(el) == 0:
        return _text(el)
    return {_local(c): _value(c) for c in el}


def _person(el: etree._Element) -> dict[str, Any]:
    out = _attributes(el)
    for child in el:
        name = _local(child)
        if name in ("creatorName", "contributorName"):
            out["name"] = _text(child)
            out.update(_attributes(child))
        elif name in ("nameIdentifier", "affiliation"):
            item = _attributes(child)
            item["nameIdentifier" if name == "nameIdentifier" else "name"] = _text(child)
            out.setdefault("nameIdentifiers" if name == "nameIdentifier" else "affiliation", []).append(item)
        else:
            out[name] = _text(child)
    return out


def _item(container: str, el: etree._Element) -> Any:
    if container in _TEXT_LISTS:
        return _text(el)
    if container in ("creators", "contributors"):
        return _person(el)
    if container == "geoLocations":
        return {_local(c): _value(c) for c in el}
    out = _attributes(el)
    out[_local(el)] = _text(el)
    return out


def from_xml(resource: etree._Element, *, url: str | None = None) -> dict[str, Any]:
    """The DataCite JSON of a kernel-4 ``resource`` element; ``url`` is the landing page when known."""
    out: dict[str, Any] = {}
    for child in resource:
        if not isinstance(child.tag, str) or etree.QName(child).namespace != NS:
            continue
        name = _local(child)
        if name == "identifier":
            if child.get("identifierType") == "DOI":
                out["doi"] = _text(child)
            else:
                out["url"] = _text(child)
        elif name in _LISTS:
            out[name] = [_item(name, item) for item in child if isinstance(item.tag, str)]
        elif name == "publisher":
            out["publisher"] = {"name": _text(child), **_attributes(child)}
        elif name == "resourceType":
            out["types"] = {"resourceTypeGeneral": child.get("resourceTypeGeneral"), "resourceType": _text(child)}
        else:
            out[name] = _text(child)
    if url:
        out["url"] = url
    out["schemaVersion"] = _SCHEMA_VERSION
    return out
