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
    """Wrap the whole ASGI app (outermost), so answers that never reach a route get the headers too.

    The API's own routes never set these headers: they are appended as they are (one list concatenation on
    the hot path); only the OpenAPI pages take the slower path that reads the body."""
    inner = app.asgi_handler
    fixed = security_headers(settings)
    api_headers = [*fixed, (b"content-security-policy", API_CSP.encode())]

    async def with_headers(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await inner(scope, receive, send)
            return
        if not scope["path"].startswith("/schema"):

            async def send_api(message: Any) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = _with_policy(list(message.get("headers", ())), api_headers, fixed)
                await send(message)

            await inner(scope, receive, send_api)
            return
        await inner(scope, receive, _docs_sender(send, fixed))

    with_headers.__wrapped__ = inner  # type: ignore[attr-defined]
    app.asgi_handler = with_headers


def _with_policy(
    headers: list[tuple[bytes, bytes]], api_headers: list[tuple[bytes, bytes]], fixed: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    """The strict policy, unless the route wrote its own: the widget's pages are framed by the creator's sites
    (their `frame-ancestors` says which) and load their own scripts, so they keep their policy, get no
    `X-Frame-Options` and no second copy of a header they set themselves."""
    own = {n.lower() for n, _ in headers}
    if b"content-security-policy" not in own:
        return [*headers, *api_headers]
    return [*headers, *[(n, v) for n, v in fixed if n not in own and n != b"x-frame-options"]]


def _docs_sender(send: Any, fixed: list[tuple[bytes, bytes]]) -> Any:
    """The OpenAPI pages: an HTML page's policy names its inline scripts, so its start waits for its body."""
    held: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def send_docs(message: Any) -> None:
        if message["type"] == "http.response.start":
            headers = [*message.get("headers", ()), *fixed]
            message["headers"] = headers
            if any(n.lower() == b"content-type" and v.startswith(b"text/html") for n, v in headers):
                held["start"] = message
                return
            headers.append((b"content-security-policy", API_CSP.encode()))
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

    return send_docs
