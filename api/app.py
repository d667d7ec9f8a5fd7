"""create_app(settings): the FastAPI application; the lifespan opens the registry once."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from starlette.types import ASGIApp

from igsn_graph import __version__
from igsn_graph.resolver import RenderCache
from igsn_graph.resolver.stored import FILE as STORED_FILE
from igsn_graph.resolver.stored import forget, open_stored
from igsn_graph.settings import Settings

from .activity import CountRequests, Requests
from .docs import install_docs
from .errors import install_error_handlers
from .jsonapi import install_errors as install_jsonapi_errors
from .limits import BodyGuard, install_body_errors
from .mds_errors import install_mds_errors
from .routers import (
    admin,
    doi,
    dois,
    entities,
    handles,
    health,
    home,
    mds,
    mds_fast,
    oai,
    operations,
    relations,
    resolver,
    samples,
    search,
    sparql,
    transfers,
    vocabulary,
)
from .security import SecurityHeaders

__all__ = ["create_app"]


class _App(FastAPI):
    """The app with the resolver's, the SPARQL endpoint's and ``POST /metadata``'s fast paths outside every
    middleware (they add the security headers themselves), and outside those the count of requests a background
    restamp yields to."""

    def build_middleware_stack(self) -> ASGIApp:
        inner = resolver.FastPath(sparql.FastPath(mds_fast.FastPath(super().build_middleware_stack())))
        return CountRequests(inner, self.state.requests)


def forget_graph_bodies(settings: Settings, cache: RenderCache, names: list[str]) -> None:
    """The graphs of ``names`` changed without a new version or datestamp (``registry.graph_datestamps``): the
    ``ig`` bodies rendered from them before, kept on disk and in memory, go."""
    forget(settings.data_dir / STORED_FILE, names, "ig")
    cache.clear()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from igsn_graph.harvest import scheduler as harvest_scheduler
        from igsn_graph.registry import embargo, restamp
        from igsn_graph.registry.periodic import RestampCheck
        from igsn_graph.registry.service import Registry

        registry = Registry(settings)
        app.state.registry = registry
        # rendered bodies of this registry (its settings decide URLs in them): owned by the app, never shared;
        # on disk too, for random samples and for every process that reads them
        app.state.render_cache = RenderCache()
        app.state.stored_representations = open_stored(settings.data_dir / STORED_FILE, read_only=registry.read_only)
        restamper = restamp.Restamper(
            registry,
            settings.base_url,
            busy=app.state.requests.busy,
            graphs_changed=partial(forget_graph_bodies, settings, app.state.render_cache),
        )
        restamp_check = None
        if not registry.read_only:  # read-only: datestamps stay as they are until a writable start
            restamp.adopt(registry, settings.base_url)
            if settings.auto_restamp and settings.shared_database:  # one node at a time restamps (its lease)
                restamp_check = RestampCheck(restamper)
                restamp_check.start()
            elif settings.auto_restamp:
                restamper.start()
        # embargoes that end make their samples public on their own: checked now, then every few minutes
        lifter = embargo.Lifter(registry)
        lifter.start()  # not on a read-only registry
        app.state.embargo_lifter = lifter
        app.state.restamper = restamper
        # OAI-PMH sources harvested every --every: due ones now, then checked every minute
        harvester = harvest_scheduler.Harvester(registry)
        harvester.start()  # not on a read-only registry
        app.state.harvester = harvester
        try:
            yield
        finally:
            # each part stops on its own: one that fails must not keep the registry (and the store's lock) open
            def stop(what: str, action: Callable[[], object]) -> None:
                try:
                    action()
                except Exception:  # noqa: BLE001 - logged; shutting down goes on
                    logging.getLogger("igsn_graph.api").exception("stopping %s failed", what)

            stop("the harvester", harvester.stop)
            stop("the restamper", restamp_check.stop if restamp_check is not None else restamper.stop)
            stop("the embargo lifter", lifter.stop)
            # queries past their limit may still run in the SPARQL workers: stop handing them work
            executor = getattr(app.state, "sparql_executor", None)
            if executor is not None:
                stop("the SPARQL workers", lambda: executor.shutdown(wait=False, cancel_futures=True))
            checks = getattr(app.state, "password_checks", None)
            if checks is not None:
                stop("the password checks", checks.close)
                app.state.password_checks = None  # a later start makes a new pool
            reads = getattr(app.state, "login_reads", None)
            if reads is not None:
                stop("the login reads", reads.close)
                app.state.login_reads = None
            stored = app.state.stored_representations
            if stored is not None:
                stored.close()
            oai_repository = getattr(app.state, "oai_repository", None)
            if oai_repository is not None:
                stop("the OAI-PMH repository", oai_repository.close)
            registry.close()

    app = _App(
        title="igsn-graph",
        version=__version__,
        description="The IGSN sample registry as an RDF knowledge graph: registration, OAI-PMH, SPARQL, "
        "content-negotiated resolution and search over one graph.",
        lifespan=lifespan,
        docs_url=None,  # served by install_docs, without a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.requests = Requests()  # counted by the outermost layer (_App); the restamp yields to them
    install_error_handlers(app)
    install_mds_errors(app)  # plain-text errors on /igsn and /metadata (after: it wraps the above)
    install_jsonapi_errors(app)  # JSON:API error objects on /dois, /prefixes, /clients (wraps the above)
    install_body_errors(app)  # 413/408 while a body is read, in each surface's form (after both)
    app.include_router(health.router)
    app.include_router(mds.router)
    app.include_router(doi.router)
    app.include_router(dois.router)
    # relations before samples: /api/v1/samples/{igsn}/ancestors must not be read as a sample path
    app.include_router(relations.router)
    app.include_router(samples.router)
    app.include_router(transfers.router)
    app.include_router(admin.router)
    app.include_router(operations.router)
    app.include_router(search.router)
    app.include_router(handles.router)
    app.include_router(oai.router)
    app.include_router(sparql.router)
    app.include_router(vocabulary.router)
    known_pages = install_docs(app)  # the only pages with inline scripts: their hashes make the CSP
    app.add_middleware(resolver.Shortcut)  # sample paths skip the fixed routes; inside SecurityHeaders
    # Swagger UI and YASGUI style their markup inline; our pages use one stylesheet file (style-src 'self')
    app.add_middleware(SecurityHeaders, known_pages=known_pages, inline_style_paths=("/docs", "/sparql"))
    # every body read anywhere is held to the limit while it streams in, and to the read timeout
    app.add_middleware(BodyGuard, limit=settings.max_body_bytes, timeout_s=settings.body_timeout_s)
    app.include_router(home.router)  # /: before the catch-all, which would read it as an empty IGSN
    app.include_router(entities.router)  # /agent/…, /version/…: the registry's own nodes, before the catch-all
    app.include_router(resolver.router)  # last: /{identifier:path} must not shadow a fixed route
    return app
