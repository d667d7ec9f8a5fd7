"""Reader processes: resolutions answered on every core while one process writes.

The embedded graph store admits one process, which therefore does every write (the single-writer rule) and
keeps its crash rule (journal, then graph, then index). What a resolution needs once its body was rendered lives
in SQLite — the catalogue row in ``registry.sqlite`` and the body in ``representations.sqlite`` — and SQLite
lets other processes read beside the writer (WAL: they see each commit at once and never block it). A reader
is such a process: ``igsn-graph serve --readers N`` starts N of them, sharing ``--read-port`` (uvicorn
workers over one socket), each answering with the writer's own fast path (``api.routers.resolver.fast_answer``:
the same decisions and headers). A reader never writes and never opens the graph store; whatever it cannot
answer (a page, a body not rendered yet, a query, any other method or path) it sends to the writer with a 307
(same method and body), where the writer renders and stores it for the readers' next time.

Behind a reverse proxy: send ``GET``/``HEAD`` of sample paths to the readers and let the proxy follow their
307 to the writer (nginx: ``proxy_intercept_errors on; error_page 307 = @writer``).
"""

from __future__ import annotations

import sqlite3
import threading
from urllib.parse import quote

from starlette.datastructures import State
from starlette.types import Receive, Scope, Send

from igsn_graph.index import catalogue
from igsn_graph.index.catalogue import CatalogueRow
from igsn_graph.iris import Iris
from igsn_graph.registry.reads import resolvable
from igsn_graph.resolver import RenderCache
from igsn_graph.resolver.stored import FILE, StoredRepresentations, connect_live_reader
from igsn_graph.settings import Settings

from .routers.resolver import fast_answer
from .security import COMMON

__all__ = ["ReadView", "create_reader_app"]


class ReadView:
    """What ``fast_answer`` reads of a registry — settings, IRIs, catalogue rows — from SQLite alone."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._path = settings.database_path
        self._local = threading.local()
        found = self._conn().execute("SELECT value FROM meta WHERE key = 'iri_base'").fetchone()
        if found is None:
            raise RuntimeError(f"{settings.data_dir} is not initialised; run `igsn-graph init`")
        self.iris = Iris(found[0])

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect_live_reader(self._path)
        return conn

    def row(self, name: str) -> CatalogueRow | None:
        return catalogue.get(self._conn(), name)

    def resolvable_row(self, name: str) -> CatalogueRow:
        """As ``Registry.resolvable_row``: the registry's one rule over this view's catalogue row."""
        return resolvable(self.row(name), name)


class ReaderApp:
    """ASGI app of a reader process: ``fast_answer``, else a 307 to the writer."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.state = State()
        self.state.registry = ReadView(settings)
        self.state.render_cache = RenderCache()
        self.state.stored_representations = StoredRepresentations(settings.data_dir / FILE, live=True)
        self._writer = settings.base_url.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    self.state.stored_representations.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        answer = None
        if scope["method"] in ("GET", "HEAD") and not scope["query_string"]:
            try:
                answer = fast_answer(self.state, scope)
            except Exception:  # noqa: BLE001 - the writer answers it, in the app's own form
                answer = None
        if answer is None:
            query = scope["query_string"]
            path = scope.get("raw_path") or quote(scope["path"]).encode("latin-1")
            location = self._writer + path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
            answer = (307, [(b"location", location.encode("latin-1")), (b"content-length", b"0"), *COMMON], b"")
        status, headers, body = answer
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def create_reader_app() -> ReaderApp:
    """The factory ``serve --readers`` runs (``uvicorn api.readers:create_reader_app --factory``)."""
    return ReaderApp(Settings.from_env())
