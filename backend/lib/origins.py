"""Which web origins may call the API from a browser (CORS) and open its sockets.

`CORS_ORIGINS` (comma separated) is the list; by default the hub's own origin outside dev, any origin in
dev. `*` and `null` are refused outside dev. These rules are staff's; a member's socket is decided by its
workspace's widget sites instead (backend/channels/origins.py, checked in backend/twin/ws.py)."""

from __future__ import annotations

from urllib.parse import urlsplit

from common.settings import Settings


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, as browsers send it in `Origin`."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def allowed_origins(settings: Settings) -> tuple[str, ...]:
    return tuple(o.rstrip("/").lower() if o != "*" else o for o in settings.cors_origins)


def origin_allowed(settings: Settings, origin: str) -> bool:
    allowed = allowed_origins(settings)
    origin = origin.rstrip("/").lower()
    if "*" in allowed and settings.is_dev:
        return True
    return origin != "null" and origin in allowed


def socket_origin_allowed(settings: Settings, origin: str | None) -> bool:
    """A browser always sends `Origin` on a WebSocket handshake; other clients (servers, apps) send none and
    carry their token like any API client."""
    if origin is None:
        return True
    return origin_allowed(settings, origin)
