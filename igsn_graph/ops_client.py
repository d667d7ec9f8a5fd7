"""``igsn-graph backup|dump|verify --url URL``: the same operations asked of a running server's admin API.

The administrator's credentials are the settings' (``IGSN_GRAPH_ADMIN_USER``/``IGSN_GRAPH_ADMIN_PASSWORD``).
A dump arrives as a tar stream, is unpacked into ``<target>.partial``, read back and checked like a local
dump, and only then takes its name.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from .errors import Conflict, IgsnGraphError, InvalidInput, NotAllowed, NotAuthenticated, StorageFailure
from .registry.dump import PARTS, check
from .registry.dump_stream import extract
from .registry.new_folder import new_folder
from .settings import Settings

__all__ = ["backup", "dump", "verify"]

PREFIX = "/api/v1/admin"
_ERRORS: dict[int, type[IgsnGraphError]] = {400: InvalidInput, 401: NotAuthenticated, 403: NotAllowed, 409: Conflict}


def _client(url: str, settings: Settings) -> httpx.Client:
    if not url.startswith(("http://", "https://")):
        raise InvalidInput(f"--url {url!r} is not an http(s) URL of a running igsn-graph server")
    return httpx.Client(
        base_url=url.rstrip("/") + PREFIX,
        auth=(settings.admin_user, settings.admin_password),
        # a dump or backup is written before the answer starts: no read deadline
        timeout=httpx.Timeout(30.0, read=None),
    )


def _checked(response: httpx.Response) -> httpx.Response:
    if response.status_code < 300:
        return response
    response.read()
    try:
        problem = response.json()
        detail = problem.get("detail") or problem.get("title") or response.text
    except ValueError:
        detail = response.text[:500]
    raise _ERRORS.get(response.status_code, StorageFailure)(f"the server answered {response.status_code}: {detail}")


def _call(url: str, settings: Settings, method: str, path: str, **kwargs: Any) -> Any:
    try:
        with _client(url, settings) as client:
            return _checked(client.request(method, path, **kwargs)).json()
    except httpx.HTTPError as exc:
        raise StorageFailure(f"no answer from {url}: {exc}") from None


def backup(url: str, settings: Settings, directory: str) -> dict[str, Any]:
    """Asks the server to write a backup into ``directory`` (a path on the server); the backup's manifest."""
    return dict(_call(url, settings, "POST", "/backup", json={"directory": directory}))


def verify(url: str, settings: Settings) -> dict[str, Any]:
    """The server's verify of a snapshot: ``ok``, ``samples``, ``problems``, ``journal``."""
    return dict(_call(url, settings, "POST", "/verify"))


class _Chunks(io.RawIOBase):
    """A readable file over an iterator of byte chunks (the response body)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._rest = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._rest:
            try:
                self._rest = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._rest))
        buffer[:n] = self._rest[:n]
        self._rest = self._rest[n:]
        return n


def dump(url: str, settings: Settings, target: Path) -> dict[str, int]:
    """Streams the server's dump into the new folder ``target`` and checks it; counts per part."""
    try:
        with new_folder(target, "dump") as partial:
            with _client(url, settings) as client, client.stream("GET", "/dump") as response:
                _checked(response)
                extract(io.BufferedReader(_Chunks(response.iter_bytes()), 1 << 20), partial, set(PARTS))
            counts = check(partial)
    except httpx.HTTPError as exc:
        raise StorageFailure(f"the dump from {url} broke off: {exc}") from None
    return counts
