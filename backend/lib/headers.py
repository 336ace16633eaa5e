"""Security headers on every answer the API gives (routes, 404s, errors, the OpenAPI pages).

JSON answers get the strictest policy (nothing may load, nothing may frame them). The OpenAPI pages under
/schema load Swagger UI from its CDN: their policy allows that origin and exactly the inline scripts of the
page served (their SHA-256 hashes, computed from the body), nothing else. HSTS outside dev.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from litestar import Litestar

from common.settings import Settings

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_ORIGIN = "https://cdn.jsdelivr.net"
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


def docs_csp(body: bytes) -> str:
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode()}'"
        for m in _INLINE_SCRIPT.finditer(body)
    )
    return (
        f"default-src 'none'; script-src {DOCS_ORIGIN} {hashes}; style-src {DOCS_ORIGIN} 'unsafe-inline'; "
        f"img-src 'self' data: {DOCS_ORIGIN}; font-src {DOCS_ORIGIN}; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


def security_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if not settings.is_dev:
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return headers


def install_security_headers(app: Litestar, settings: Settings) -> None:
    """Wrap the whole ASGI app (outermost), so answers that never reach a route get the headers too."""
    inner = app.asgi_handler
    fixed = security_headers(settings)

    async def with_headers(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await inner(scope, receive, send)
            return
        docs = scope["path"].startswith("/schema")
        held: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", ())}
                extra = [(n, v) for n, v in fixed if n not in present]
                message["headers"] = [*message.get("headers", ()), *extra]
                html = any(n.lower() == b"content-type" and v.startswith(b"text/html") for n, v in message["headers"])
                if docs and html and b"content-security-policy" not in present:
                    held["start"] = message  # its policy names the page's inline scripts: wait for the body
                    return
                if b"content-security-policy" not in present:
                    message["headers"].append((b"content-security-policy", API_CSP.encode()))
                await send(message)
                return
            if "start" in held and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                start = held.pop("start")
                body = b"".join(chunks)
                start["headers"] = [
                    *[(n, v) for n, v in start["headers"] if n.lower() != b"content-length"],
                    (b"content-length", str(len(body)).encode()),
                    (b"content-security-policy", docs_csp(body).encode()),
                ]
                await send(start)
                await send({"type": "http.response.body", "body": body, "more_body": False})
                return
            await send(message)

        await inner(scope, receive, send_with_headers)

    with_headers.__wrapped__ = inner  # type: ignore[attr-defined]
    app.asgi_handler = with_headers
