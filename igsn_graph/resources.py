"""Finds ontology/, shapes/ and mappings/ in a checkout or inside an installed wheel."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

__all__ = ["data_dir", "ontology_dir", "shapes_dir", "mappings_dir", "read_text"]


@lru_cache(maxsize=None)
def data_dir(kind: str) -> Path:
    """The folder ``kind`` (``ontology``, ``shapes``, ``mappings``): wheel copy first, then checkout."""
    packaged = resources.files("igsn_graph") / "_data" / kind
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parent.parent / kind
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"data folder {kind!r} is missing from this installation")


def ontology_dir() -> Path:
    return data_dir("ontology")


def shapes_dir() -> Path:
    return data_dir("shapes")


def mappings_dir() -> Path:
    return data_dir("mappings")


def read_text(kind: str, name: str) -> str:
    return (data_dir(kind) / name).read_text(encoding="utf-8")
