"""One SPARQL worker process (``sparql_worker``) and this process's ends of its pipes, read and written without
blocking the event loop; killed with SIGKILL (it only reads, nothing needs closing)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..sparql_worker import FRAME

__all__ = ["Worker", "WorkerGone"]


class WorkerGone(Exception):
    """The worker process ended (killed, or crashed)."""


#: the folder the igsn_graph package is imported from: the worker imports the same code, whatever the working folder
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_BOOT = "import sys; sys.path.insert(0, sys.argv.pop(1)); from igsn_graph.sparql_worker import run; run(sys.argv[1:])"


class Worker:
    """One worker process and this process's ends of its pipes (requests, answers, lifeline)."""

    def __init__(self) -> None:
        req_r, req_w = os.pipe()
        ans_r, ans_w = os.pipe()
        life_r, life_w = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _BOOT, _PACKAGE_ROOT, str(req_r), str(ans_w), str(life_r), "0"],
                pass_fds=(req_r, ans_w, life_r),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                # a session of its own: where Linux shares the processor between sessions (autogroup), a
                # runaway's work is then not charged to the server's session (priority.renice)
                start_new_session=True,
            )
        except BaseException:
            for fd in (req_r, req_w, ans_r, ans_w, life_r, life_w):
                os.close(fd)
            raise
        for fd in (req_r, ans_w, life_r):
            os.close(fd)
        os.set_blocking(req_w, False)
        os.set_blocking(ans_r, False)
        self.req, self.ans, self.life = req_w, ans_r, life_w
        self.buffer = bytearray()
        self.spec: dict[str, Any] | None = None
        self.eof = False
        self.closed = False
        #: reniced (a long query): set back to 0, or replaced, when the query ends
        self.reniced = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def send_now(self, data: bytes) -> bytes:
        """Writes what the pipe takes at once; returns the rest."""
        try:
            n = os.write(self.req, data)
        except BlockingIOError:
            return data
        except OSError:
            raise WorkerGone() from None
        return data[n:]

    async def send(self, data: bytes) -> None:
        rest = self.send_now(data)
        if not rest:
            return
        loop = asyncio.get_running_loop()
        while rest:
            ready = loop.create_future()
            loop.add_writer(self.req, _set_ready, ready)
            try:
                await ready
            finally:
                loop.remove_writer(self.req)
            rest = self.send_now(rest)

    def _parse(self) -> tuple[bytes, bytes] | None:
        if len(self.buffer) < FRAME.size:
            return None
        kind, length = FRAME.unpack_from(self.buffer)
        if len(self.buffer) < FRAME.size + length:
            return None
        payload = bytes(self.buffer[FRAME.size : FRAME.size + length])
        del self.buffer[: FRAME.size + length]
        return kind, payload

    def _fill(self) -> bool:
        """Reads what is there; False when nothing was."""
        try:
            data = os.read(self.ans, 1 << 20)
        except BlockingIOError:
            return False
        except OSError:
            data = b""
        if not data:
            self.eof = True
            return True
        self.buffer += data
        return True

    async def frame(self) -> tuple[bytes, bytes]:
        """The next answer frame (``R``eady frames skipped); ``_Dead`` at the end of the pipe."""
        loop: asyncio.AbstractEventLoop | None = None
        while True:
            got = self._parse()
            if got is not None:
                if got[0] == b"R":
                    continue
                return got
            if self.eof:
                raise WorkerGone()
            if self._fill():
                continue
            loop = loop or asyncio.get_running_loop()
            readable = loop.create_future()
            loop.add_reader(self.ans, _set_ready, readable)
            try:
                await readable
            finally:
                loop.remove_reader(self.ans)

    def kill(self) -> None:
        """SIGKILL (a worker holds nothing that needs closing: it only reads) and close our ends."""
        try:
            self.proc.kill()
        except OSError:
            pass
        self.close_pipes()

    def close_pipes(self) -> None:
        if not self.closed:
            self.closed = True
            for fd in (self.req, self.ans, self.life):
                try:
                    os.close(fd)
                except OSError:
                    pass


def _set_ready(future: asyncio.Future[None]) -> None:
    """Resolves ``future`` (an event loop's reader or writer callback: the pipe is ready)."""
    if not future.done():
        future.set_result(None)
