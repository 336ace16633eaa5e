"""CORS: Litestar's middleware answers browsers; requests without an Origin header skip it."""

from __future__ import annotations

import dataclasses
from typing import Any

from litestar.testing import AsyncTestClient

from backend.app import create_app
from common.settings import get_settings


def test_requests_without_origin_skip_the_cors_middleware(app: Any) -> None:
    # Fails if a Litestar upgrade changes what skip_cors_without_origin relies on: the gate is not installed.
    outer = app.asgi_handler  # the security headers wrap everything; the CORS gate is right inside
    assert outer.__qualname__ == "install_security_headers.<locals>.with_headers"
    assert outer.__wrapped__.__qualname__ == "skip_cors_without_origin.<locals>.gate"  # type: ignore[attr-defined]


async def test_cross_origin_requests_and_preflights_get_cors_headers(
    client: AsyncTestClient[Any], creator: dict[str, Any]
) -> None:
    origin = {"Origin": "https://coach.example"}
    simple = await client.get("/api/v1/workspace", headers={**creator["headers"], **origin})
    assert simple.status_code == 200 and simple.headers["access-control-allow-origin"] == "*"
    assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()
    preflight = await client.options(
        "/api/v1/workspace",
        headers={**origin, "Access-Control-Request-Method": "PATCH", "Access-Control-Request-Headers": "authorization"},
    )
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "*"
    assert "PATCH" in preflight.headers["access-control-allow-methods"]
    plain = await client.get("/api/v1/workspace", headers=creator["headers"])
    assert plain.status_code == 200 and not any(k.startswith("access-control-") for k in plain.headers)


async def test_only_configured_origins_are_allowed(migrated_database: str) -> None:
    settings = dataclasses.replace(get_settings(), cors_origins=("https://hub.example",))
    async with AsyncTestClient(app=create_app(settings)) as client:
        ask = {"Access-Control-Request-Method": "GET"}
        allowed = await client.options("/api/v1/workspace", headers={"Origin": "https://hub.example", **ask})
        assert allowed.status_code == 204
        assert allowed.headers["access-control-allow-origin"] == "https://hub.example"
        refused = await client.options("/api/v1/workspace", headers={"Origin": "https://evil.example", **ask})
        assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
        simple = await client.get("/health", headers={"Origin": "https://evil.example"})
        assert simple.status_code == 200 and "access-control-allow-origin" not in simple.headers
