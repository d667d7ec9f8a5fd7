"""Rendered representations kept by catalogue version and datestamp; one cache per app (``app.state``)."""

from __future__ import annotations

import threading
from collections import OrderedDict

from ..index.catalogue import CatalogueRow
from .profiles import Choice
from .rendering import Rendered

__all__ = ["DATESTAMP_FREE", "CacheKey", "RenderCache", "cacheable"]

CacheKey = tuple[str, int, str, str, str, tuple[tuple[str, str], ...]]

#: profiles whose bodies never contain the record's datestamp: kept across a restamp (the others name it: schema.org
#: ``dateModified``, the landing page; the registration kernel, DataCite and the citation fall back to it for a
#: record without a registration date). The graph (``ig``) holds none: the datestamp is the catalogue's. Graphs of a
#: data folder from before held ``ig:datestamp`` until ``registry.graph_datestamps`` drops it, and ``stored.forget``
#: then drops their kept ``ig`` bodies. tests/registry/test_restamp_stored.py renders every representation before and
#: after a restamp and holds this set to it.
DATESTAMP_FREE = frozenset({"ig", "igsn_desc", "oai_dc", "prov", "alt"})


def cacheable(choice: Choice) -> bool:
    """Whether the representation depends on the sample's own version only. The schema.org document and
    the landing page list the children, which change when another sample names this one as parent."""
    return choice.profile.token != "sdo" and (choice.media_type != "text/html" or choice.profile.token == "alt")


class RenderCache:
    """Rendered representations by (IGSN, catalogue version, datestamp, profile, media type, parameters), the
    least recently used dropped first, at most ``max_bytes`` of bodies in all. The datestamp is "" for the
    profiles whose bodies do not contain it (``DATESTAMP_FREE``): a restamp keeps them.

    Never stale: every write gives the sample a new catalogue version, and a restamp a new datestamp (some
    representations name it), so the new content has a new key and the old entries are simply no longer asked
    for. Dropping the ``ig:datestamp`` of graphs from before changes them without either: ``clear`` then.
    Thread-safe (readers run in worker threads).
    """

    def __init__(self, max_bytes: int = 64 * 2**20) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[CacheKey, Rendered] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @staticmethod
    def key(row: CatalogueRow, choice: Choice) -> CacheKey | None:
        """The key of a representation, or None when it must be rendered every time."""
        if not cacheable(choice):
            return None
        token = choice.profile.token
        stamp = "" if token in DATESTAMP_FREE else row.datestamp
        return (row.igsn, row.version, stamp, token, choice.media_type, choice.params)

    def get(self, key: CacheKey) -> Rendered | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: CacheKey, rendered: Rendered) -> None:
        size = len(rendered.body)
        if size > self.max_bytes // 16:  # one huge sample must not flush everything else
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._entries[key] = rendered
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.body)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)
