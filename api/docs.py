"""The OpenAPI docs page at ``/docs``, served with a Swagger UI bundled in the wheel's dependencies.

FastAPI's default page loads Swagger UI from a CDN; a registry's operators often run without internet
access, and the landing pages already promise to work offline, so the docs do too.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

__all__ = ["install_docs", "ASSETS"]

ASSETS = "/docs/assets"


def install_docs(app: FastAPI) -> dict[str, bytes]:
    """Adds ``/docs`` (and its assets); the app must be created with ``docs_url=None``.

    Returns path → page of the pages it serves, rendered once here: their inline scripts are the only ones
    the Content-Security-Policy allows (``api.security.SecurityHeaders``), on those paths only.
    """
    app.mount(ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")
    page = get_swagger_ui_html(
        openapi_url=app.openapi_url or "/openapi.json",
        title=f"{app.title} — API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        oauth2_redirect_url="/docs/oauth2-redirect",
    ).body
    redirect = get_swagger_ui_oauth2_redirect_html().body

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def oauth2_redirect() -> HTMLResponse:
        return HTMLResponse(redirect)

    return {"/docs": bytes(page), "/docs/oauth2-redirect": bytes(redirect)}
