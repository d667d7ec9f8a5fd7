"""A folder written whole or not at all (backups, dumps): ``<target>.partial`` until complete, then renamed.

A reader of ``target`` never sees half a folder: it is there, manifest and all, or it is not. A ``.partial`` left
by a crash is removed by the next attempt at the same target.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import Conflict, InvalidInput
from .graph_file import fsync

__all__ = ["new_folder", "write_manifest"]


@contextmanager
def new_folder(target: Path, what: str) -> Iterator[Path]:
    """The empty folder ``<target>.partial`` to write ``what`` (a backup, a dump) into; named ``target`` once the
    block completes, removed when it fails. Conflict when ``target`` exists; InvalidInput when its parent is not
    a folder."""
    target = Path(target)
    if target.exists():
        raise Conflict(f"{target} exists already: a {what} is written into a new folder")
    if not target.parent.is_dir():
        raise InvalidInput(f"{target.parent} is not a folder")
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        partial.mkdir()
        yield partial
        os.replace(partial, target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def write_manifest(folder: Path, name: str, manifest: dict[str, Any]) -> None:
    """Writes the manifest ``name`` into ``folder``, on disk before the folder takes its name (written last: a
    folder without it is not what it claims to be)."""
    path = folder / name
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    fsync(path)
