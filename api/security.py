"""Security headers on every response: a Content-Security-Policy on HTML pages that allows no inline script
but the known ones of that path, by hash; ``Cache-Control: no-store`` on answers to authenticated requests.

Our pages (landing, search, tombstones) carry no executable script and no inline style (one stylesheet
file); the API docs pages carry inline bootstrap scripts, and they and the SPARQL editor style their markup
inline (Swagger UI, YASGUI: ``inline_style_paths``). Their hashes are taken once, when the app is built, from the pages as the docs module
renders them (``api.docs.install_docs``), never from a page as it is served: a script injected into a
page is not allowed by a hash of itself. JSON-LD data blocks (``<script type="application/ld+json">``)
are not executed and need no hash.

An answer to a request with credentials (MDS, admin API, an owner's read) may hold what only that caller
may see: unless the endpoint set its own ``Cache-Control``, no cache keeps it.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SecurityHeaders", "content_security_policy", "inline_script_hashes"]

#: on answers to requests with credentials whose endpoint set no Cache-Control of its own
NO_STORE = (b"cache-control", b"no-store")

#: headers on every response
COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]
#: headers on HTML pages, besides the policy
HTML_ONLY = [(b"x-frame-options", b"DENY")]

_SCRIPT = re.compile(rb"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_TYPE = re.compile(rb"""\btype\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
_SRC = re.compile(rb"\bsrc\s*=", re.IGNORECASE)
_EXECUTABLE = {b"", b"text/javascript", b"application/javascript", b"module", b"text/ecmascript"}


def inline_script_hashes(html: bytes) -> list[str]:
    """CSP source expressions (``'sha256-…'``) for each inline executable script of the page."""
    out = []
    for attrs, body in _SCRIPT.findall(html):
        if _SRC.search(attrs):
            continue
        m = _TYPE.search(attrs)
        if (m.group(1).lower() if m else b"") not in _EXECUTABLE:
            continue  # a data block (JSON-LD…): never executed
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")
        out.append(f"'sha256-{digest}'")
    return out


def content_security_policy(script_hashes: list[str], *, inline_styles: bool = False) -> str:
    """The policy of an HTML page: scripts and styles from this service only (and the given inline scripts);
    ``inline_styles`` for a vendored UI that styles its markup inline (YASGUI's results, Swagger UI)."""
    scripts = " ".join(["'self'", *script_hashes])
    styles = "'self' 'unsafe-inline'" if inline_styles else "'self'"
    return (
        f"default-src 'none'; img-src 'self' data:; style-src {styles}; "
        f"script-src {scripts}; connect-src 'self'; font-src 'self'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


class SecurityHeaders:
    """Pure ASGI middleware; no body is buffered.

    ``known_pages``: path → the HTML of the page served there whose inline scripts are ours (rendered when the
    app is built); the policy of that path allows exactly those scripts, every other page none.
    ``inline_style_paths``: the pages of vendored UIs that set inline styles; every other page (ours: one
    stylesheet file, ``igsn_graph.pages``) may use no inline style either.
    """

    def __init__(
        self, app: ASGIApp, known_pages: dict[str, bytes] | None = None, inline_style_paths: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        pages = {path: b"" for path in inline_style_paths} | dict(known_pages or {})
        self._policies = {
            path: content_security_policy(inline_script_hashes(page), inline_styles=path in inline_style_paths).encode(
                "ascii"
            )
            for path, page in pages.items()
        }
        self._default = content_security_policy([]).encode("ascii")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self._policies.get(scope.get("path", ""), self._default)
        credentials = any(k.lower() == b"authorization" for k, _ in scope.get("headers", ()))

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in COMMON if k not in present]
                if credentials and b"cache-control" not in present:
                    headers.append(NO_STORE)
                ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if ctype.split(b";")[0].strip().lower() == b"text/html" and b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", policy))
                    headers += [(k, v) for k, v in HTML_ONLY if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, wrapped)
