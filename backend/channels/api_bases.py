"""Which provider servers a workspace's channel may call: the official one, or one the operator allows
(`CHANNEL_API_BASES`). A creator's `api_base` is an address the server will call, so it is never free text."""

from __future__ import annotations

from urllib.parse import urlsplit

from backend.lib.errors import InvalidInput
from common.settings import Settings


def _matches(base: str, allowed: str) -> bool:
    if allowed.endswith(":*"):  # any port of that scheme and host
        want, got = urlsplit(allowed[:-2]), urlsplit(base)
        return (got.scheme, got.hostname) == (want.scheme, want.hostname) and got.path in {"", "/"}
    return base == allowed


def api_base(settings: Settings, requested: str | None, official: str) -> str:
    """The server to call: `official` unless `requested` names an allowed one (422 otherwise)."""
    base = (requested or official).rstrip("/")
    if base == official.rstrip("/") or any(_matches(base, a) for a in settings.channel_api_bases):
        return base
    raise InvalidInput(f"api_base: {base} is not a server this platform may call (ask the operator: CHANNEL_API_BASES)")
