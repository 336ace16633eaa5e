"""Triggers: CRUD with per-kind checks (bad input -> 4xx, nothing stored), preview, isolation, preferences."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from tests.engagement.conftest import add_member, add_trigger

KINDS = [
    ("inactivity", {"days": 3}),
    ("missed_checkin", {"count": 2}),
    ("streak_broken", {"event": "habit_done", "grace_days": 1}),
    ("milestone", {"event": "habit_done", "count": 10}),
    ("milestone", {"goal": "First week"}),
    ("event", {"name": "run_logged", "where": {"km": 5}}),
    ("risk", {}),
]


@pytest.mark.parametrize(("kind", "params"), KINDS)
async def test_every_kind_round_trips(
    client: AsyncTestClient[Any], workspace: dict[str, Any], kind: str, params: dict[str, Any]
) -> None:
    h = workspace["headers"]
    made = await add_trigger(client, workspace, name=kind, kind=kind, params=params, enabled=False)
    assert made["kind"] == kind and made["params"] == params
    url = f"/api/v1/engagement/triggers/{made['id']}"
    assert (await client.get(url, headers=h)).json()["id"] == made["id"]
    body = {"name": "renamed", "kind": kind, "params": params, "action": {"type": "twin_nudge", "topic": "habits"}}
    r = await client.put(url, headers=h, json={**body, "quiet_hours": {"start": "22:00", "end": "07:30"}})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "renamed" and r.json()["quiet_hours"] == {"start": "22:00", "end": "07:30"}
    assert (await client.delete(url, headers=h)).status_code == 204
    assert (await client.get(url, headers=h)).status_code == 404


BAD = [
    {"kind": "sometimes", "params": {}},
    {"kind": "inactivity", "params": {"days": 0}},
    {"kind": "inactivity", "params": {"days": 3, "hours": 2}},
    {"kind": "streak_broken", "params": {"grace_days": 1}},
    {"kind": "inactivity", "params": {"days": 3}, "action": {"type": "shout"}},
    {"kind": "inactivity", "params": {"days": 3}, "action": {"type": "message"}},
    {"kind": "inactivity", "params": {"days": 3}, "action": {"type": "enroll", "program_id": "nope"}},
    {"kind": "inactivity", "params": {"days": 3}, "holdout_percent": 101},
    {"kind": "inactivity", "params": {"days": 3}, "quiet_hours": {"start": "25:00", "end": "07:00"}},
    {"kind": "inactivity", "params": {"days": 3}, "audience": {"channel": "pigeon"}},
]


@pytest.mark.parametrize("bad", BAD)
async def test_bad_triggers_are_refused_and_nothing_is_stored(
    client: AsyncTestClient[Any], workspace: dict[str, Any], admin_conn: asyncpg.Connection, bad: dict[str, Any]
) -> None:
    body = {"name": "bad", "action": {"type": "message", "text": "hi"}, **bad}
    r = await client.post("/api/v1/engagement/triggers", headers=workspace["headers"], json=body)
    assert r.status_code in (400, 422), r.text
    assert set(r.json()) >= {"error", "detail"}
    n = await admin_conn.fetchval(
        "SELECT count(*) FROM engagement_triggers WHERE creator_id = $1::uuid", workspace["workspace_id"]
    )
    assert n == 0


async def test_triggers_and_logs_stay_in_their_workspace(
    client: AsyncTestClient[Any], workspace: dict[str, Any]
) -> None:
    made = await add_trigger(client, workspace, kind="inactivity", params={"days": 3})
    other = workspace["rival"]
    url = f"/api/v1/engagement/triggers/{made['id']}"
    assert (await client.get(url, headers=other["headers"])).status_code == 404
    assert (await client.post(f"{url}/preview", headers=other["headers"])).status_code == 404
    body = {"name": "x", "kind": "risk", "action": {"type": "notify_creator"}}
    assert (await client.put(url, headers=other["headers"], json=body)).status_code == 404
    assert (await client.delete(url, headers=other["headers"])).status_code == 404
    listed = (await client.get("/api/v1/engagement/triggers", headers=other["headers"])).json()
    assert listed == {"triggers": []}
    log = await client.get("/api/v1/engagement/log", headers=other["headers"], params={"trigger_id": made["id"]})
    assert log.json() == {"decisions": []}


async def test_roles(client: AsyncTestClient[Any], workspace: dict[str, Any]) -> None:
    m = await add_member(client, workspace, "gus")
    body = {"name": "x", "kind": "risk", "action": {"type": "notify_creator"}}
    assert (await client.post("/api/v1/engagement/triggers", headers=m["headers"], json=body)).status_code == 403
    assert (await client.post("/api/v1/engagement/evaluate", headers=m["headers"])).status_code == 403


async def test_member_preferences(client: AsyncTestClient[Any], workspace: dict[str, Any]) -> None:
    m = await add_member(client, workspace, "hal")
    empty = (await client.get("/api/v1/me/preferences", headers=m["headers"])).json()
    assert empty == {"quiet_hours": None, "paused_until": None, "opt_out_channels": []}
    body = {"quiet_hours": {"start": "22:00", "end": "06:00"}, "opt_out_channels": ["telegram"]}
    r = await client.put("/api/v1/me/preferences", headers=m["headers"], json=body)
    assert r.status_code == 200, r.text
    assert r.json()["quiet_hours"] == {"start": "22:00", "end": "06:00"}
    assert r.json()["opt_out_channels"] == ["telegram"]
    # A field left out is kept; quiet hours sent as null are cleared.
    kept = await client.put("/api/v1/me/preferences", headers=m["headers"], json={"opt_out_channels": []})
    assert kept.json()["quiet_hours"] == {"start": "22:00", "end": "06:00"} and kept.json()["opt_out_channels"] == []
    cleared = await client.put("/api/v1/me/preferences", headers=m["headers"], json={"quiet_hours": None})
    assert cleared.status_code == 200 and cleared.json()["quiet_hours"] is None
    stored = (await client.get("/api/v1/me/preferences", headers=m["headers"])).json()
    assert stored["quiet_hours"] is None
    bad = await client.put("/api/v1/me/preferences", headers=m["headers"], json={"opt_out_channels": ["pigeon"]})
    assert bad.status_code == 422
    staff = await client.put("/api/v1/me/preferences", headers=workspace["headers"], json=body)
    assert staff.status_code == 403


async def test_staff_read_a_members_preferences_but_not_another_workspaces(
    client: AsyncTestClient[Any], workspace: dict[str, Any]
) -> None:
    m = await add_member(client, workspace, "ida")
    url = f"/api/v1/members/{m['id']}/preferences"
    none_yet = await client.get(url, headers=workspace["headers"])
    assert none_yet.status_code == 200
    assert none_yet.json() == {"quiet_hours": None, "paused_until": None, "opt_out_channels": []}
    body = {"quiet_hours": {"start": "21:00", "end": "07:00"}, "opt_out_channels": ["all"]}
    assert (await client.put("/api/v1/me/preferences", headers=m["headers"], json=body)).status_code == 200
    seen = (await client.get(url, headers=workspace["headers"])).json()
    assert seen["quiet_hours"] == {"start": "21:00", "end": "07:00"} and seen["opt_out_channels"] == ["all"]
    # Read-only for staff; another workspace's staff and the member's own token get nothing of it.
    assert (await client.put(url, headers=workspace["headers"], json=body)).status_code == 405
    other = workspace["rival"]
    assert (await client.get(url, headers=other["headers"])).status_code == 404
    assert (await client.get(url, headers=m["headers"])).status_code == 403
    unknown = await client.get(f"/api/v1/members/{uuid.uuid4()}/preferences", headers=workspace["headers"])
    assert unknown.status_code == 404
