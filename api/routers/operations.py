"""Operations of the admin API (/api/v1/admin): online backup, dump and verify while the server serves.

Each works on a snapshot (``registry.snapshot``): writes wait only while it is taken. ``POST /backup`` writes
a backup folder on the server; ``GET /dump`` writes a dump into the data folder, then streams it as a tar
(the folder is removed once sent); ``POST /verify`` checks graph, history and index as they were at one
point of the journal. The same calls as ``igsn-graph backup``, ``dump`` and ``verify``, which use these
with ``--url``.
"""

from __future__ import annotations

import itertools
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, cast

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from igsn_graph.db import Database
from igsn_graph.errors import InvalidInput
from igsn_graph.index.rebuild import verify
from igsn_graph.registry.backup import backup
from igsn_graph.registry.dump import PARTS, dump
from igsn_graph.registry.dump_stream import tar_stream
from igsn_graph.registry.snapshot import SCRATCH_PREFIX, remove_stale, snapshot

from ..auth import admin
from ..deps import get_registry
from ..errors import problem_responses
from .admin import PREFIX

__all__ = ["router"]

router = APIRouter(
    prefix=PREFIX, tags=["admin"], dependencies=[Depends(admin)], responses=problem_responses(401, 403, 503)
)
_serial = itertools.count(1)


class BackupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    directory: str = Field(description="an absolute path on the server, outside the data folder, that does not exist")


class VerifyOut(BaseModel):
    ok: bool
    samples: int
    problems: list[str]
    journal: dict[str, Any]


@router.post(
    "/backup",
    status_code=201,
    summary="Write a consistent backup of the running registry to a new folder on the server",
    responses=problem_responses(400, 409),
)
def post_backup(body: BackupIn, request: Request) -> JSONResponse:
    registry = get_registry(request)
    target = Path(body.directory)
    if not target.is_absolute():
        raise InvalidInput(f"{body.directory!r} is not an absolute path")
    data = registry.settings.data_dir.resolve()
    if target.resolve() == data or data in target.resolve().parents:
        raise InvalidInput("a backup is written outside the data folder")
    return JSONResponse(backup(registry, target), status_code=201)


@router.get(
    "/dump",
    summary="The whole registry as a dump (N-Quads and JSON lines files), streamed as a tar",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-tar": {}}}},
)
def get_dump(request: Request) -> StreamingResponse:
    registry = get_registry(request)
    data: Path = registry.settings.data_dir
    remove_stale(data)
    # named like a snapshot's folder, so that one left by a killed server is removed by the next
    spool = data / f"{SCRATCH_PREFIX}{os.getpid()}-dump-{next(_serial)}"
    shutil.rmtree(spool, ignore_errors=True)
    spool.mkdir()
    try:
        dump(registry, spool / "dump")  # written and read back before the first byte is sent
    except BaseException:
        shutil.rmtree(spool, ignore_errors=True)
        raise

    def stream() -> Iterator[bytes]:
        try:
            yield from tar_stream(spool / "dump", PARTS)
        finally:
            shutil.rmtree(spool, ignore_errors=True)

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        stream(),
        media_type="application/x-tar",
        headers={"Content-Disposition": f'attachment; filename="igsn-graph-dump-{stamp}.tar"'},
    )


class _Pinned:
    """The snapshot's pinned connection where ``verify`` reads a registry database (``read()`` only)."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def read(self) -> Any:
        return self._conn


@router.post("/verify", response_model=VerifyOut, summary="Check that graph, history and index agree (a snapshot)")
def post_verify(request: Request) -> dict[str, Any]:
    registry = get_registry(request)
    with snapshot(registry) as snap:
        report = verify(cast(Database, _Pinned(snap.db)), snap.store, registry.iris)
        return {"ok": report.ok, "samples": report.samples, "problems": report.problems, "journal": snap.position}
