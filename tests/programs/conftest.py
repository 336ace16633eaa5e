"""Helpers: a published program, a member, an admin connection to move timers into the past, a platform."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import make_url

from backend.lib.platform import Platform
from common.settings import get_settings
from tests.conftest import ADMIN_URL


def dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
async def admin_conn(migrated_database: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(dsn(ADMIN_URL))
    yield conn
    await conn.close()


@pytest.fixture
async def platform(migrated_database: str) -> AsyncIterator[Platform]:
    """A platform of this test's event loop (the app's lives in the test client's)."""
    opened = Platform.open(get_settings())
    yield opened
    await opened.close()


async def stop_app_worker(client: AsyncTestClient[Any]) -> None:
    """Stop the app's in-process job worker, whose timer job would otherwise fire a test's due timers.
    (The app runs on the test client's own event loop: call into it through its portal.)"""
    await asyncio.to_thread(client.blocking_portal.call, client.app.state.platform.services.jobs.stop_worker)


def simple_graph(wait_minutes: int = 60) -> dict[str, Any]:
    """start -> hello -> mood check-in -> wait -> tick -> end."""
    return {
        "nodes": [
            {"id": "start", "type": "start", "position": {"x": 0, "y": 0}, "data": {}},
            {"id": "hello", "type": "message", "position": {"x": 0, "y": 100}, "data": {"text": "Hello {{name}}"}},
            {
                "id": "mood",
                "type": "checkin",
                "position": {"x": 0, "y": 200},
                "data": {"question": "Mood?", "kind": "scale", "min": 1, "max": 5},
            },
            {"id": "pause", "type": "wait", "position": {"x": 0, "y": 300}, "data": {"duration_minutes": wait_minutes}},
            {"id": "tick", "type": "message", "position": {"x": 0, "y": 400}, "data": {"text": "Time is up"}},
            {"id": "end", "type": "end", "position": {"x": 0, "y": 500}, "data": {}},
        ],
        "edges": [
            {"id": "e1", "source": "start", "target": "hello"},
            {"id": "e2", "source": "hello", "target": "mood"},
            {"id": "e3", "source": "mood", "target": "pause"},
            {"id": "e4", "source": "pause", "target": "tick"},
            {"id": "e5", "source": "tick", "target": "end"},
        ],
    }


async def published(client: AsyncTestClient[Any], staff: dict[str, Any], graph: dict[str, Any] | None = None) -> str:
    r = await client.post(
        "/api/v1/programs", headers=staff["headers"], json={"name": "Test", "graph": graph or simple_graph()}
    )
    assert r.status_code == 201, r.text
    pid: str = r.json()["id"]
    r = await client.post(f"/api/v1/programs/{pid}/publish", headers=staff["headers"])
    assert r.status_code == 201, r.text
    return pid


async def member(client: AsyncTestClient[Any], staff: dict[str, Any], external_id: str, tz: str = "UTC") -> str:
    r = await client.post(
        "/api/v1/members",
        headers=staff["headers"],
        json={"external_id": external_id, "display_name": external_id.title(), "timezone": tz},
    )
    assert r.status_code == 201, r.text
    mid: str = r.json()["id"]
    return mid


async def messages_of(admin: asyncpg.Connection, member_id: str) -> list[str]:
    rows = await admin.fetch(
        "SELECT m.content FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE c.member_id = $1::uuid AND c.kind = 'member' ORDER BY m.created_at",
        member_id,
    )
    return [r["content"] for r in rows]
