"""A dump folder as one tar stream (``GET /api/v1/admin/dump``, ``igsn-graph dump --url``) and back.

The stream is a plain POSIX (pax) tar of the dump's files, manifest last, so ``tar x`` unpacks it and a
reader that stops early has no manifest. Unpacking takes only the names a dump has, as regular files.
"""

from __future__ import annotations

import shutil
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .tables import DumpBroken

__all__ = ["tar_stream", "extract"]

_BLOCK = 512
_READ = 1 << 20


def tar_stream(folder: Path, names: tuple[str, ...]) -> Iterator[bytes]:
    """The files ``names`` of ``folder`` as a tar, in chunks of about 1 MiB."""
    for name in names:
        path = folder / name
        st = path.stat()
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = st.st_size, int(st.st_mtime), 0o644
        yield info.tobuf(format=tarfile.PAX_FORMAT)
        with open(path, "rb") as f:
            while block := f.read(_READ):
                yield block
        if st.st_size % _BLOCK:
            yield b"\0" * (_BLOCK - st.st_size % _BLOCK)
    yield b"\0" * (2 * _BLOCK)


def extract(stream: IO[bytes], folder: Path, allowed: set[str]) -> list[str]:
    """Unpacks a tar stream of a dump into the new (or empty) folder ``folder``; the names unpacked. ``DumpBroken``
    for anything but regular files with the names in ``allowed``, or a stream cut short (one of them missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    names: list[str] = []
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                if member.name not in allowed or not member.isreg() or member.name in names:
                    raise DumpBroken(f"the tar holds {member.name!r}, which is no part of a dump")
                source = tar.extractfile(member)
                if source is None:
                    raise DumpBroken(f"the tar's {member.name} cannot be read")
                with open(folder / member.name, "wb") as out:
                    shutil.copyfileobj(source, out, _READ)
                    written = out.tell()
                if written != member.size:
                    raise EOFError(f"{member.name}: {written} of {member.size} bytes")
                names.append(member.name)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DumpBroken(f"the dump's tar stream is damaged or cut short: {exc}") from None
    if set(names) != allowed:
        raise DumpBroken(f"the dump's tar stream is cut short: {', '.join(sorted(allowed - set(names)))} missing")
    return names
