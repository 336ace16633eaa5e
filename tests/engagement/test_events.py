"""Behaviour events: idempotent by the client's id, backfill limit, custom schemas, activity, isolation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from tests.engagement.conftest import add_member


async def stored(admin: asyncpg.Connection, member_id: str) -> int:
    n: int = await admin.fetchval("SELECT count(*) FROM member_events WHERE member_id = $1", uuid.UUID(member_id))
    return n


async def test_member_event_is_stored_once_per_id(
    client: AsyncTestClient[Any], workspace: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    m = await add_member(client, workspace, "ann")
    body = {"id": "habit-2026-12-01", "name": "habit_done", "properties": {"habit": "walk"}}
    first = await client.post("/api/v1/events", headers=m["headers"], json=body)
    again = await client.post("/api/v1/events", headers=m["headers"], json=body)
    assert (first.status_code, again.status_code) == (202, 202), first.text
    assert (first.json()["stored"], again.json()["stored"]) == (True, False)
    assert await stored(admin_conn, m["id"]) == 1
    active = await admin_conn.fetchval(
        "SELECT last_active_at FROM member_engagement WHERE member_id = $1", uuid.UUID(m["id"])
    )
    assert active is not None
    # A member reports for itself only.
    other = await add_member(client, workspace, "bob")
    r = await client.post("/api/v1/events", headers=m["headers"], json={"name": "x", "member_id": other["id"]})
    assert r.status_code == 403


async def test_staff_reports_for_a_member_and_bad_input_stores_nothing(
    client: AsyncTestClient[Any], workspace: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    m = await add_member(client, workspace, "cy")
    h = workspace["headers"]
    assert (await client.post("/api/v1/events", headers=h, json={"name": "app_opened"})).status_code == 422
    now = datetime.now(UTC)
    for at in (now - timedelta(days=40), now + timedelta(days=1)):
        r = await client.post(
            "/api/v1/events", headers=h, json={"name": "app_opened", "member_id": m["id"], "at": at.isoformat()}
        )
        assert r.status_code == 422, r.text
        assert r.json()["error"] == "invalid_input" and "at" in r.json()["detail"]
    bad = await client.post("/api/v1/events", headers=h, json={"name": "bad name!", "member_id": m["id"]})
    assert bad.status_code == 422
    assert await stored(admin_conn, m["id"]) == 0
    back = (now - timedelta(days=3)).isoformat()
    r = await client.post("/api/v1/events", headers=h, json={"name": "app_opened", "member_id": m["id"], "at": back})
    assert r.status_code == 202, r.text
    assert await stored(admin_conn, m["id"]) == 1


async def test_custom_event_properties_must_match_the_declared_schema(
    client: AsyncTestClient[Any], workspace: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    h = workspace["headers"]
    schema = {
        "type": "object",
        "properties": {"km": {"type": "number", "minimum": 0}},
        "required": ["km"],
        "additionalProperties": False,
    }
    r = await client.put("/api/v1/engagement/event-types", headers=h, json={"name": "run_logged", "schema": schema})
    assert r.status_code == 200, r.text
    broken = await client.put(
        "/api/v1/engagement/event-types", headers=h, json={"name": "x", "schema": {"type": "nonsense"}}
    )
    assert broken.status_code == 422
    remote = {"name": "y", "schema": {"$ref": "http://127.0.0.1:9/schema.json"}}
    assert (await client.put("/api/v1/engagement/event-types", headers=h, json=remote)).status_code == 422
    m = await add_member(client, workspace, "di")
    r = await client.post("/api/v1/events", headers=m["headers"], json={"name": "run_logged", "properties": {"km": -2}})
    assert r.status_code == 422 and "km" in r.json()["detail"], r.text
    r = await client.post("/api/v1/events", headers=m["headers"], json={"name": "run_logged", "properties": {}})
    assert r.status_code == 422 and "km" in r.json()["detail"]
    assert await stored(admin_conn, m["id"]) == 0
    r = await client.post("/api/v1/events", headers=m["headers"], json={"name": "run_logged", "properties": {"km": 5}})
    assert r.status_code == 202
    assert await stored(admin_conn, m["id"]) == 1
    listed = (await client.get("/api/v1/engagement/event-types", headers=h)).json()
    assert [t["name"] for t in listed] == ["run_logged"]


async def test_a_members_own_message_counts_as_activity(
    client: AsyncTestClient[Any], workspace: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    m = await add_member(client, workspace, "eve")
    r = await client.post("/api/v1/chat", headers=m["headers"], json={"message": "hello"})
    assert r.status_code in (200, 201), r.text
    active = await admin_conn.fetchval(
        "SELECT last_active_at FROM member_engagement WHERE member_id = $1", uuid.UUID(m["id"])
    )
    assert active is not None and active > datetime.now(UTC) - timedelta(minutes=1)


async def test_events_and_event_types_stay_in_their_workspace(
    client: AsyncTestClient[Any], workspace: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    m = await add_member(client, workspace, "fay")
    other = workspace["rival"]
    r = await client.post("/api/v1/events", headers=other["headers"], json={"name": "app_opened", "member_id": m["id"]})
    assert r.status_code == 404
    await client.put("/api/v1/engagement/event-types", headers=workspace["headers"], json={"name": "mine"})
    assert (await client.get("/api/v1/engagement/event-types", headers=other["headers"])).json() == []
    assert await stored(admin_conn, m["id"]) == 0
    # Under the other workspace's tenant, the app role sees none of this workspace's events.
    await client.post("/api/v1/events", headers=m["headers"], json={"name": "app_opened"})
    app = await asyncpg.connect(admin_conn_dsn_app())
    try:
        async with app.transaction():
            await app.execute("SELECT set_config('app.current_creator_id', $1, true)", other["workspace_id"])
            assert await app.fetchval("SELECT count(*) FROM member_events") == 0
            await app.execute("SELECT set_config('app.current_creator_id', $1, true)", workspace["workspace_id"])
            assert await app.fetchval("SELECT count(*) FROM member_events") == 1
    finally:
        await app.close()


def admin_conn_dsn_app() -> str:
    from tests.conftest import APP_URL
    from tests.programs.conftest import dsn

    return dsn(APP_URL)
