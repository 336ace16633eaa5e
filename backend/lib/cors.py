"""CORS stays Litestar's; requests without an `Origin` header skip its middleware."""

from __future__ import annotations

from litestar import Litestar
from litestar.types import ASGIApp, Receive, Scope, Send


def skip_cors_without_origin(app: Litestar) -> None:
    """Send requests that carry no `Origin` (servers, the hub's backend, monitoring) past the CORS middleware.

    Litestar's CORS middleware wraps the whole app and builds a `Headers` object from every request's
    headers to look for `Origin` (~3 us of an authenticated read); with no `Origin` it only passes the
    request on. A browser's cross-origin request and its preflight still go through it, unchanged.
    `tests/lib/test_cors.py` fails if a Litestar upgrade changes the shape this relies on.
    """
    cors = app.asgi_handler
    inner: ASGIApp | None = getattr(cors, "app", None)
    if inner is None or type(cors).__name__ != "CORSMiddleware":  # no cors_config, or Litestar changed
        return

    async def gate(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, _ in scope["headers"]:
                if name == b"origin":
                    await cors(scope, receive, send)
                    return
        await inner(scope, receive, send)

    app.asgi_handler = gate
