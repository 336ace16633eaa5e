"""The API's readiness report (public: no token)."""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

from frontend.api.transport import client, error_from, send, unreachable


async def ready() -> dict[str, Any]:
    """`/health/ready` answers 503 with the same body when degraded: the body either way."""
    try:
        response = await client().get("/health/ready", timeout=8.0)
    except httpx.HTTPError as exc:
        raise unreachable(exc) from exc
    try:
        return msgspec.json.decode(response.content, type=dict[str, Any])
    except msgspec.DecodeError as exc:
        raise error_from(response) from exc


async def diagnostics(token: str) -> dict[str, Any]:
    """Every part's check with its details (admins only)."""
    return await send("GET", "/api/v1/diagnostics/", token, into=dict[str, Any])
