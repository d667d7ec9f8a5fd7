"""DataCite JSON (the ``attributes`` of the DataCite REST API) → DataCite kernel-4 XML → ``SampleRecord``.

The inverse of ``formats.datacite_json.from_xml``: the JSON is turned into the kernel-4 ``resource`` tree that
``formats.datacite.write`` produces and read by ``formats.datacite.read``, so the REST API, the MDS and every
other DataCite door share one mapping to the record. Keys that are no metadata (``doi``, ``event``, ``url``,
``xml``…) are the API's; any other key this module does not know is reported ``not mapped``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from lxml import etree

from ..errors import InvalidInput
from ..record import SampleRecord
from ..xmlparser import parse_xml
from . import datacite
from ._unmapped import not_mapped
from .datacite import NS
from .datacite_json import _LISTS, _TEXT_LISTS

__all__ = ["API_KEYS", "METADATA_KEYS", "has_metadata", "read_attributes", "read_xml", "to_xml"]

#: attributes of the REST API that are not DataCite metadata (what the API itself reads or writes)
API_KEYS = frozenset(
    {
        "doi",
        "prefix",
        "suffix",
        "event",
        "url",
        "xml",
        "state",
        "schemaVersion",
        "created",
        "registered",
        "published",
        "updated",
        "isActive",
        "contentUrl",
        "metadataVersion",
        "source",
        "reason",
        "landingPage",
        "viewCount",
        "downloadCount",
        "citationCount",
        "identifiers",
        "mode",
    }
)
#: kernel-4 properties in schema order (the XSD's sequence), each mapped to its element
_ORDER = (
    "creators",
    "titles",
    "publisher",
    "publicationYear",
    "types",
    "subjects",
    "contributors",
    "dates",
    "language",
    "alternateIdentifiers",
    "relatedIdentifiers",
    "sizes",
    "formats",
    "version",
    "rightsList",
    "descriptions",
    "geoLocations",
    "fundingReferences",
)
METADATA_KEYS = frozenset(_ORDER)
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_POINT = ("pointLongitude", "pointLatitude")
_BOX = ("westBoundLongitude", "eastBoundLongitude", "southBoundLatitude", "northBoundLatitude")


def has_metadata(attributes: dict[str, Any]) -> bool:
    """Whether the attributes describe the sample (any DataCite property, or the ``xml`` document)."""
    return bool(attributes.get("xml")) or any(k in METADATA_KEYS for k in attributes)


def _attribute_name(key: str) -> str:
    return _XML_LANG if key == "lang" else key.replace("Uri", "URI")


def _sub(parent: etree._Element, name: str, text: object = None, **attrs: object) -> etree._Element:
    el = etree.SubElement(parent, f"{{{NS}}}{name}")
    if text is not None and text != "":
        el.text = str(text)
    for key, value in attrs.items():
        if value is not None and value != "" and not isinstance(value, (dict, list)):
            el.set(_attribute_name(key), str(value))
    return el


def _text_of(value: object, pointer: str) -> str:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise InvalidInput(f"{pointer}: expected a string, found {type(value).__name__}")


def _objects(value: object, pointer: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise InvalidInput(f"{pointer}: expected an array")
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise InvalidInput(f"{pointer}/{i}: expected an object")
    return value


def _person(parent: etree._Element, element: str, item: dict[str, Any], pointer: str) -> None:
    person = _sub(
        parent, element, **({"contributorType": item.get("contributorType")} if element == "contributor" else {})
    )
    name = item.get("name") or ", ".join(str(item[k]) for k in ("familyName", "givenName") if item.get(k))
    _sub(
        person,
        f"{element}Name",
        _text_of(name, f"{pointer}/name"),
        nameType=item.get("nameType"),
        lang=item.get("lang"),
    )
    for key in ("givenName", "familyName"):
        if item.get(key):
            _sub(person, key, _text_of(item[key], f"{pointer}/{key}"))
    for i, ident in enumerate(_objects(item.get("nameIdentifiers") or [], f"{pointer}/nameIdentifiers")):
        _sub(
            person,
            "nameIdentifier",
            _text_of(ident.get("nameIdentifier", ""), f"{pointer}/nameIdentifiers/{i}"),
            **{k: v for k, v in ident.items() if k != "nameIdentifier"},
        )
    for affiliation in item.get("affiliation") or []:
        if isinstance(affiliation, str):
            _sub(person, "affiliation", affiliation)
        elif isinstance(affiliation, dict):
            _sub(
                person, "affiliation", affiliation.get("name"), **{k: v for k, v in affiliation.items() if k != "name"}
            )


def _coordinates(parent: etree._Element, element: str, value: object, keys: tuple[str, ...], pointer: str) -> None:
    if not isinstance(value, dict):
        raise InvalidInput(f"{pointer}: expected an object with {', '.join(keys)}")
    el = _sub(parent, element)
    for key in keys:
        if value.get(key) is None:
            raise InvalidInput(f"{pointer}/{key}: missing")
        _sub(el, key, _text_of(value[key], f"{pointer}/{key}"))


def _geo_location(parent: etree._Element, item: dict[str, Any], pointer: str) -> None:
    geo = _sub(parent, "geoLocation")
    if item.get("geoLocationPlace"):
        _sub(geo, "geoLocationPlace", _text_of(item["geoLocationPlace"], f"{pointer}/geoLocationPlace"))
    if item.get("geoLocationPoint"):
        _coordinates(geo, "geoLocationPoint", item["geoLocationPoint"], _POINT, f"{pointer}/geoLocationPoint")
    if item.get("geoLocationBox"):
        _coordinates(geo, "geoLocationBox", item["geoLocationBox"], _BOX, f"{pointer}/geoLocationBox")
    polygons = item.get("geoLocationPolygon")
    if polygons:
        # DataCite writes one polygon as an array of {polygonPoint} / {inPolygonPoint} objects
        several = isinstance(polygons, list) and bool(polygons) and isinstance(polygons[0], list)
        for polygon in polygons if several else [polygons]:
            el = _sub(geo, "geoLocationPolygon")
            for k, part in enumerate(polygon if isinstance(polygon, list) else [polygon]):
                if not isinstance(part, dict):
                    raise InvalidInput(f"{pointer}/geoLocationPolygon/{k}: expected an object")
                for key in ("polygonPoint", "inPolygonPoint"):
                    if key in part:
                        _coordinates(el, key, part[key], _POINT, f"{pointer}/geoLocationPolygon/{k}/{key}")


def _funding(parent: etree._Element, item: dict[str, Any]) -> None:
    el = _sub(parent, "fundingReference")
    _sub(el, "funderName", item.get("funderName"))
    if item.get("funderIdentifier"):
        _sub(el, "funderIdentifier", item["funderIdentifier"], funderIdentifierType=item.get("funderIdentifierType"))
    if item.get("awardNumber"):
        _sub(el, "awardNumber", item["awardNumber"], awardURI=item.get("awardUri"))
    if item.get("awardTitle"):
        _sub(el, "awardTitle", item["awardTitle"])


def _list(root: etree._Element, key: str, value: object, pointer: str) -> None:
    item_name = _LISTS[key]
    container = _sub(root, key)
    if key in _TEXT_LISTS:
        if not isinstance(value, list):
            raise InvalidInput(f"{pointer}: expected an array")
        for i, text in enumerate(value):
            _sub(container, item_name, _text_of(text, f"{pointer}/{i}"))
        return
    for i, item in enumerate(_objects(value, pointer)):
        where = f"{pointer}/{i}"
        if key in ("creators", "contributors"):
            _person(container, item_name, item, where)
        elif key == "geoLocations":
            _geo_location(container, item, where)
        elif key == "fundingReferences":
            _funding(container, item)
        else:
            text = item.get(item_name)
            _sub(
                container,
                item_name,
                _text_of(text, f"{where}/{item_name}") if text is not None else None,
                **{k: v for k, v in item.items() if k != item_name},
            )


def to_xml(
    attributes: dict[str, Any], identifier: str, identifier_type: str = "DOI"
) -> tuple[etree._Element, list[str]]:
    """The kernel-4 ``resource`` of the attributes, named by ``identifier``; with ``not mapped`` warnings."""
    root = etree.Element(f"{{{NS}}}resource", nsmap={None: NS})
    _sub(root, "identifier", identifier, identifierType=identifier_type)
    warnings = [not_mapped(f"/data/attributes/{k}") for k in attributes if k not in METADATA_KEYS | API_KEYS]
    for key in _ORDER:
        value = attributes.get(key)
        if value is None or value == [] or value == "":
            continue
        pointer = f"/data/attributes/{key}"
        if key in _LISTS:
            _list(root, key, value, pointer)
        elif key == "publisher":
            if isinstance(value, dict):
                _sub(
                    root,
                    "publisher",
                    _text_of(value.get("name", ""), f"{pointer}/name"),
                    **{k: v for k, v in value.items() if k != "name"},
                )
            else:
                _sub(root, "publisher", _text_of(value, pointer))
        elif key == "types":
            if not isinstance(value, dict):
                raise InvalidInput(f"{pointer}: expected an object with resourceTypeGeneral")
            _sub(root, "resourceType", value.get("resourceType"), resourceTypeGeneral=value.get("resourceTypeGeneral"))
        else:
            _sub(root, key, _text_of(value, pointer))
    return root, warnings


def read_attributes(
    attributes: dict[str, Any], identifier: str, identifier_type: str = "DOI"
) -> tuple[SampleRecord, bytes]:
    """The record the attributes describe, and the DataCite XML document kept as what was submitted."""
    root, warnings = to_xml(attributes, identifier, identifier_type)
    [record] = datacite.read(root)
    record.warnings.extend(warnings)
    return record, etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def read_xml(value: object, *, max_bytes: int) -> tuple[SampleRecord, bytes]:
    """The record of the ``xml`` attribute (base64 of a DataCite XML document), and the decoded document."""
    if not isinstance(value, str):
        raise InvalidInput("/data/attributes/xml: expected base64 text of a DataCite XML document")
    try:
        document = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("/data/attributes/xml: not valid base64") from None
    root = parse_xml(document, max_bytes=max_bytes)
    [record] = datacite.read(root)
    return record, document
