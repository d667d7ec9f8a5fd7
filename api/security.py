"""Security headers on every response, and a Content-Security-Policy on HTML pages that allows no script
but the inline scripts of that very page, by hash.

Our pages (landing, search, tombstones) carry no executable script; the API docs page carries one inline
bootstrap script. Hashing what a page contains keeps the policy strict without a list to maintain.
JSON-LD data blocks (``<script type="application/ld+json">``) are not executed and need no hash.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SecurityHeaders", "content_security_policy", "inline_script_hashes"]

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


def content_security_policy(script_hashes: list[str]) -> str:
    scripts = " ".join(["'self'", *script_hashes])
    return ("default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            f"script-src {scripts}; connect-src 'self'; font-src 'self'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'")


class SecurityHeaders:
    """Pure ASGI middleware (no body buffering except for HTML, which is small and must be hashed)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def wrapped(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in COMMON if k not in present]
                message = {**message, "headers": headers}
                ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if ctype.split(b";")[0].strip().lower() == b"text/html" and b"content-security-policy" not in present:
                    start = message  # held until the page is complete, to hash its scripts
                    return
                await send(message)
                return
            if message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks)
                policy = content_security_policy(inline_script_hashes(body)).encode("ascii")
                headers = [*start["headers"], (b"content-security-policy", policy)]
                headers += [(k, v) for k, v in HTML_ONLY if k not in {h.lower() for h, _ in start["headers"]}]
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body, "more_body": False})
                return
            await send(message)

        await self.app(scope, receive, wrapped)
