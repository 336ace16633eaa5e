"""Engagement helpers: a workspace with members in chosen time zones, triggers, and passes run on the app's own
platform with a chosen clock (the app's job worker is stopped, so no pass runs at the real time)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import pytest
from litestar.testing import AsyncTestClient

from backend.engagement.scheduler import PassStats, evaluate_workspace
from tests.conftest import register_and_login
from tests.programs.conftest import admin_conn, stop_app_worker

__all__ = ["admin_conn"]
T = TypeVar("T")


async def in_app(client: AsyncTestClient[Any], make: Callable[[Any], Awaitable[T]]) -> T:
    """Run `make(platform)` on the app's event loop (its platform's pools live there)."""
    platform = client.app.state.platform

    async def call() -> T:
        return await make(platform)

    return await asyncio.to_thread(client.blocking_portal.call, call)


async def run_pass(client: AsyncTestClient[Any], creator_id: str, now: datetime) -> PassStats:
    return await in_app(client, lambda p: evaluate_workspace(p, uuid.UUID(creator_id), now))


async def add_member(
    client: AsyncTestClient[Any], staff: dict[str, Any], name: str, timezone: str = "UTC"
) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/members",
        headers=staff["headers"],
        json={"external_id": f"{name}-{uuid.uuid4().hex[:6]}", "display_name": name, "timezone": timezone},
    )
    assert r.status_code == 201, r.text
    member: dict[str, Any] = r.json()
    r = await client.post(f"/api/v1/members/{member['id']}/token", headers=staff["headers"])
    assert r.status_code == 201, r.text
    member["headers"] = {"Authorization": f"Bearer {r.json()['token']}"}
    return member


async def add_trigger(client: AsyncTestClient[Any], staff: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"name": "t", "enabled": True, "action": {"type": "message", "text": "Hi {{name}}"}, **fields}
    r = await client.post("/api/v1/engagement/triggers", headers=staff["headers"], json=body)
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


async def decisions(client: AsyncTestClient[Any], staff: dict[str, Any], **query: str) -> list[dict[str, Any]]:
    r = await client.get("/api/v1/engagement/log", headers=staff["headers"], params=query)
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["decisions"]
    return found


@pytest.fixture
async def workspace(client: AsyncTestClient[Any]) -> dict[str, Any]:
    """A workspace and a rival one, registered while the app's worker still runs (it sends the sign-up email)."""
    staff = await register_and_login(client, "engage")
    staff["rival"] = await register_and_login(client, "rival")
    await stop_app_worker(client)
    return staff
