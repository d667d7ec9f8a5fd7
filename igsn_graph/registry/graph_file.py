"""Graphs as gzip-compressed N-Quads files: written from a store, read back in statement-aligned chunks.

N-Quads statements end at a line feed (or carriage return), and serializers escape both inside literals;
every other character — U+2028, U+0085, form feed… which ``str.splitlines()`` would also take for line
ends — is literal text. So files are split into statements at ``\\r``/``\\n`` bytes only.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, cast

from pyoxigraph import RdfFormat, parse

from ..errors import InvalidInput
from ..store.base import GraphStore
from ..store.oxigraph import OxigraphStore

__all__ = ["GraphFileBroken", "write_graph", "statement_chunks", "count_quads", "load_graph", "fsync"]

#: bytes of N-Quads read, parsed or sent at a time (memory stays bounded whatever the graph's size)
CHUNK_BYTES = 8 << 20


class GraphFileBroken(InvalidInput):
    """An N-Quads file that does not parse, or is cut short."""


def fsync(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def write_graph(chunks: Iterable[bytes], path: Path) -> int:
    """Writes N-Quads chunks (as a store dumps them: split anywhere) to a gzip file; the statements written."""
    n = 0
    last = b"\n"
    with gzip.open(path, "wb", compresslevel=3) as out:  # 3: most of 6's gain at about half the time
        for chunk in chunks:
            if chunk:
                out.write(chunk)
                n += chunk.count(b"\n")
                last = chunk[-1:]
        if last != b"\n":  # a last statement without its line end
            out.write(b"\n")
            n += 1
    fsync(path)
    return n


def statement_chunks(path: Path) -> Iterator[bytes]:
    """The file's N-Quads in chunks of about ``CHUNK_BYTES`` that end at a statement's end."""
    try:
        with gzip.open(path, "rb") as f:
            rest = b""
            while True:
                block = f.read(CHUNK_BYTES)
                if not block:
                    break
                block = rest + block
                cut = max(block.rfind(b"\n"), block.rfind(b"\r")) + 1
                if cut:
                    yield block[:cut]
                rest = block[cut:]
            if rest.strip():
                yield rest + b"\n"
    except (OSError, EOFError) as exc:  # gzip: CRC or length wrong, stream cut short
        raise GraphFileBroken(f"{path} is damaged: {exc}") from None


def count_quads(path: Path) -> int:
    """How many statements the file holds, every one parsed; ``GraphFileBroken`` when one does not parse."""
    n = 0
    for chunk in statement_chunks(path):
        try:
            n += sum(1 for _ in parse(input=chunk, format=RdfFormat.N_QUADS))
        except SyntaxError as exc:
            raise GraphFileBroken(f"{path}: the graph does not parse: {exc}") from None
    return n


def load_graph(store: GraphStore, path: Path) -> None:
    """Loads the file into a store: the embedded one by its bulk loader, a remote engine chunk by chunk.

    ``GraphFileBroken`` when a statement does not parse (the embedded store then holds part of the file).
    """
    if isinstance(store, OxigraphStore):
        try:
            with gzip.open(path, "rb") as f:
                store.raw.bulk_load(input=cast(IO[bytes], f), format=RdfFormat.N_QUADS)
        except SyntaxError as exc:
            raise GraphFileBroken(f"{path}: the graph does not parse: {exc}") from None
        except (OSError, EOFError) as exc:
            raise GraphFileBroken(f"{path} is damaged: {exc}") from None
        return
    store.load_nquads(statement_chunks(path))
