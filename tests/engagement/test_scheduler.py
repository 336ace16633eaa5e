"""The scheduler with a chosen clock: every trigger kind, quiet hours in members' zones (deferred, then sent),
members who write first, caps across triggers, holdout, two workers at once, and workspaces kept apart."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from litestar.testing import AsyncTestClient

from backend.engagement.scheduler import evaluate_workspace
from tests.engagement.conftest import add_member, add_trigger, decisions, in_app, run_pass
from tests.programs.conftest import published


def local_noon(days: int, tz: str = "UTC") -> datetime:
    zone = ZoneInfo(tz)
    day = datetime.now(zone).date() + timedelta(days=days)
    return datetime.combine(day, time(12, 0), tzinfo=zone).astimezone(UTC)


async def sent_messages(admin: asyncpg.Connection, member_id: str) -> list[asyncpg.Record]:
    return await admin.fetch(
        "SELECT m.content, m.citations, m.mode, o.status, o.idempotency_key FROM outbox o "
        "JOIN messages m ON m.id = o.message_id WHERE o.member_id = $1 AND m.sender = 'proactive'",
        uuid.UUID(member_id),
    )


async def test_inactivity_sends_at_a_decent_hour_in_each_zone(
    client: AsyncTestClient[Any], workspace: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    ann = await add_member(client, workspace, "Ann")
    kei = await add_member(client, workspace, "Kei", "Asia/Tokyo")
    t = await add_trigger(client, workspace, kind="inactivity", params={"days": 3})
    noon = local_noon(4)  # 12:00 UTC is 21:00 in Tokyo: quiet there
    assert (await run_pass(client, workspace["workspace_id"], noon - timedelta(days=2))).found == 0  # not quiet yet
    first = await run_pass(client, workspace["workspace_id"], noon)
    assert first.found == 2 and first.decided == {"sent": 1, "deferred_quiet_hours": 1}
    [m] = await sent_messages(admin_conn, ann["id"])
    assert m["content"] == "Hi Ann" and m["idempotency_key"].startswith("engage:")
    assert await sent_messages(admin_conn, kei["id"]) == []
    [deferred] = await decisions(client, workspace, member_id=kei["id"])
    assert deferred["outcome"] == "deferred_quiet_hours" and "08:00" in deferred["reason"]
    # Not before 08:00 in Tokyo (23:00 UTC); then once, and Ann never twice.
    assert (await run_pass(client, workspace["workspace_id"], noon + timedelta(hours=10, minutes=59))).decided == {}
    later = await run_pass(client, workspace["workspace_id"], noon + timedelta(hours=11, minutes=1))
    assert later.decided == {"sent": 1}
    assert len(await sent_messages(admin_conn, kei["id"])) == 1
    assert len(await sent_messages(admin_conn, ann["id"])) == 1
    log = await decisions(client, workspace, trigger_id=t["id"])
    assert sorted(d["outcome"] for d in log) == ["deferred_quiet_hours", "sent", "sent"]
    assert all(d["message_id"] for d in log if d["outcome"] == "sent")


async def test_a_member_who_writes_first_is_not_nudged(
    client: AsyncTestClient[Any], workspace: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    kei = await add_member(client, workspace, "Kei", "Asia/Tokyo")
    await add_trigger(client, workspace, kind="inactivity", params={"days": 3})
    noon = local_noon(4)
    assert (await run_pass(client, workspace["workspace_id"], noon)).decided == {"deferred_quiet_hours": 1}
    # Kei writes at 22:00 Tokyo time (a member message: the database counts it as activity).
    r = await client.post("/api/v1/chat", headers=kei["headers"], json={"message": "hello"})
    assert r.status_code == 200, r.text
    await admin_conn.execute(
        "INSERT INTO messages (id, creator_id, conversation_id, role, sender, channel, content, created_at, citations)"
        " VALUES (gen_random_uuid(), $1, $2, 'user', 'member', 'web', 'still here', $3, '[]')",
        uuid.UUID(workspace["workspace_id"]),
        uuid.UUID(r.json()["conversation_id"]),
        noon + timedelta(hours=1),
    )
    later = await run_pass(client, workspace["workspace_id"], noon + timedelta(hours=12))
    assert later.decided == {"cancelled_member_active": 1}
    assert await sent_messages(admin_conn, kei["id"]) == []


async def test_caps_hold_across_two_triggers_and_holdout_is_never_contacted(
    client: AsyncTestClient[Any], workspace: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    members = [await add_member(client, workspace, f"m{i}") for i in range(3)]
    await add_trigger(client, workspace, name="quiet 2", kind="inactivity", params={"days": 2}, max_per_day=1)
    await add_trigger(client, workspace, name="quiet 3", kind="inactivity", params={"days": 3}, max_per_day=1)
    held = await add_trigger(
        client, workspace, name="held", kind="inactivity", params={"days": 1}, holdout_percent=100, max_per_day=9
    )
    stats = await run_pass(client, workspace["workspace_id"], local_noon(4))
    assert stats.decided == {"sent": 3, "capped": 3, "holdout": 3}
    for m in members:
        outcomes = sorted(d["outcome"] for d in await decisions(client, workspace, member_id=m["id"]))
        assert outcomes == ["capped", "holdout", "sent"]
        assert len(await sent_messages(admin_conn, m["id"])) == 1
    assert all(d["message_id"] is None for d in await decisions(client, workspace, trigger_id=held["id"]))
    # The next day the cap allows one more; the cool-down keeps the trigger that sent from sending again.
    nxt = await run_pass(client, workspace["workspace_id"], local_noon(5))
    assert nxt.decided == {}  # occurrences unchanged: nothing new is due


async def test_two_workers_at_once_send_once_each(
    client: AsyncTestClient[Any], workspace: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    members = [await add_member(client, workspace, f"w{i}") for i in range(20)]
    await add_trigger(client, workspace, kind="inactivity", params={"days": 3})
    noon = local_noon(4)
    cid = uuid.UUID(workspace["workspace_id"])

    async def both(platform: Any) -> list[Any]:
        return list(await asyncio.gather(*(evaluate_workspace(platform, cid, noon) for _ in range(4))))

    await in_app(client, both)
    await run_pass(client, workspace["workspace_id"], noon + timedelta(minutes=1))
    rows = await admin_conn.fetch(
        "SELECT member_id, count(*) AS n FROM outbox WHERE creator_id = $1 GROUP BY member_id", cid
    )
    assert len(rows) == len(members) and all(r["n"] == 1 for r in rows)
    assert len(await decisions(client, workspace)) == len(members)


async def test_paused_members_are_opted_out(client: AsyncTestClient[Any], workspace: dict[str, Any]) -> None:
    m = await add_member(client, workspace, "pat")
    until = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    r = await client.put("/api/v1/me/preferences", headers=m["headers"], json={"paused_until": until})
    assert r.status_code == 200
    await add_trigger(client, workspace, kind="inactivity", params={"days": 3})
    assert (await run_pass(client, workspace["workspace_id"], local_noon(4))).decided == {"opted_out": 1}


async def test_streak_broken_after_the_grace_day_in_the_members_zone(
    client: AsyncTestClient[Any], workspace: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    tz = "America/Los_Angeles"
    m = await add_member(client, workspace, "sam", tz)
    last_noon = local_noon(-4, tz)
    for d in (2, 1, 0):  # done three days in a row, the last 4 days ago
        at = (last_noon - timedelta(days=d)).isoformat()
        r = await client.post("/api/v1/events", headers=m["headers"], json={"name": "habit_done", "at": at})
        assert r.status_code == 202, r.text
    await add_trigger(client, workspace, kind="streak_broken", params={"event": "habit_done", "grace_days": 1})
    cid = workspace["workspace_id"]
    assert (await run_pass(client, cid, last_noon + timedelta(days=2))).found == 0  # one missed day is forgiven
    assert (await run_pass(client, cid, last_noon + timedelta(days=3))).decided == {"sent": 1}
    assert (await run_pass(client, cid, last_noon + timedelta(days=4))).found == 0
    assert len(await sent_messages(admin_conn, m["id"])) == 1


async def test_milestone_event_and_custom_event_triggers(
    client: AsyncTestClient[Any], workspace: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    m = await add_member(client, workspace, "max")
    await add_trigger(
        client, workspace, name="tenth", kind="milestone", params={"event": "habit_done", "count": 3}, max_per_day=5
    )
    await add_trigger(
        client, workspace, name="5k", kind="event", params={"name": "run_logged", "where": {"km": 5}}, max_per_day=5
    )
    cid, noon = workspace["workspace_id"], local_noon(0)
    for i in range(2):
        await client.post("/api/v1/events", headers=m["headers"], json={"name": "habit_done", "id": f"h{i}"})
    await client.post("/api/v1/events", headers=m["headers"], json={"name": "run_logged", "properties": {"km": 3}})
    assert (await run_pass(client, cid, noon)).found == 0
    await client.post("/api/v1/events", headers=m["headers"], json={"name": "habit_done", "id": "h2"})
    await client.post("/api/v1/events", headers=m["headers"], json={"name": "run_logged", "properties": {"km": 5}})
    assert (await run_pass(client, cid, noon + timedelta(minutes=1))).decided == {"sent": 2}
    await client.post("/api/v1/events", headers=m["headers"], json={"name": "habit_done", "id": "h3"})
    assert (await run_pass(client, cid, noon + timedelta(minutes=2))).found == 0
    assert len(await sent_messages(admin_conn, m["id"])) == 2


async def test_missed_checkins_in_a_row(
    client: AsyncTestClient[Any], workspace: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    m = await add_member(client, workspace, "kit")
    program = await published(client, workspace)
    r = await client.post(
        f"/api/v1/programs/{program}/enrollments", headers=workspace["headers"], json={"member_id": m["id"]}
    )
    assert r.status_code == 201, r.text
    enrollment = uuid.UUID(r.json()["id"])
    cid = uuid.UUID(workspace["workspace_id"])
    await add_trigger(client, workspace, kind="missed_checkin", params={"count": 2, "program_id": program})
    noon = local_noon(1)

    async def window(hours: int, outcome: str) -> None:
        await admin_conn.execute(
            "INSERT INTO program_timers (id, creator_id, enrollment_id, node_id, kind, due_at, fired_at, outcome) "
            "VALUES (gen_random_uuid(), $1, $2, 'mood', 'window', $3, $3, $4)",
            cid,
            enrollment,
            noon - timedelta(hours=hours),
            outcome,
        )

    await window(30, "fired")
    await window(20, "cancelled")  # answered
    await window(10, "fired")
    assert (await run_pass(client, str(cid), noon)).found == 0
    await window(5, "fired")
    assert (await run_pass(client, str(cid), noon + timedelta(minutes=1))).decided == {"sent": 1}


async def test_risk_tells_the_creator_at_once(
    client: AsyncTestClient[Any], workspace: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    m = await add_member(client, workspace, "ray", "Asia/Tokyo")
    await add_trigger(client, workspace, kind="risk", action={"type": "notify_creator"})
    r = await client.post("/api/v1/chat", headers=m["headers"], json={"message": "hello"})
    conv = uuid.UUID(r.json()["conversation_id"])
    await admin_conn.execute("UPDATE conversations SET flagged = true, updated_at = now() WHERE id = $1", conv)
    stats = await run_pass(client, workspace["workspace_id"], local_noon(1))  # 21:00 in Tokyo: still at once
    assert stats.decided == {"sent": 1}
    assert await admin_conn.fetchval("SELECT handoff_requested_at FROM conversations WHERE id = $1", conv)
    assert await sent_messages(admin_conn, m["id"]) == []


async def test_preview_and_evaluation_stay_in_their_workspace(
    client: AsyncTestClient[Any], workspace: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    a, b = await add_member(client, workspace, "a"), await add_member(client, workspace, "b")
    await client.put("/api/v1/me/preferences", headers=b["headers"], json={"opt_out_channels": ["all"]})
    await admin_conn.execute(
        "UPDATE members SET created_at = now() - interval '5 days' WHERE creator_id = $1::uuid",
        workspace["workspace_id"],
    )
    no_quiet = {"start": "00:00", "end": "00:00"}
    t = await add_trigger(client, workspace, kind="inactivity", params={"days": 3}, quiet_hours=no_quiet)
    r = await client.post(f"/api/v1/engagement/triggers/{t['id']}/preview", headers=workspace["headers"])
    assert r.status_code == 200, r.text
    assert r.json() == {"would_send": [a["id"]], "suppressed": {"opted_out": [b["id"]]}}
    other = workspace["rival"]
    await add_trigger(client, other, kind="inactivity", params={"days": 3}, quiet_hours=no_quiet)
    assert (await client.post("/api/v1/engagement/evaluate", headers=other["headers"])).json() == {
        "found": 0,
        "decided": {},
    }
    ran = await client.post("/api/v1/engagement/evaluate", headers=workspace["headers"])
    assert ran.status_code == 200 and ran.json() == {"found": 2, "decided": {"sent": 1, "opted_out": 1}}
    assert await decisions(client, other) == []


async def test_stop_on_telegram_opts_out(
    client: AsyncTestClient[Any], workspace: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    m = await add_member(client, workspace, "tg")
    mid, cid = uuid.UUID(m["id"]), uuid.UUID(workspace["workspace_id"])
    await admin_conn.execute("UPDATE members SET last_channel = 'telegram' WHERE id = $1", mid)
    await admin_conn.execute(
        "INSERT INTO member_identities (id, creator_id, member_id, kind, value, opted_out_at)"
        " VALUES (gen_random_uuid(), $1, $2, 'telegram_chat', '4242', now())",
        cid,
        mid,
    )
    await add_trigger(client, workspace, kind="inactivity", params={"days": 3})
    assert (await run_pass(client, workspace["workspace_id"], local_noon(4))).decided == {"opted_out": 1}
    [d] = await decisions(client, workspace, member_id=m["id"])
    assert "telegram" in d["reason"]


async def test_a_pass_killed_midway_loses_nothing_and_doubles_nothing(
    client: AsyncTestClient[Any], workspace: dict[str, Any], admin_conn: asyncpg.Connection, monkeypatch: Any
) -> None:
    from backend.engagement.actions import Actions

    members = [await add_member(client, workspace, f"k{i}") for i in range(5)]
    await add_trigger(client, workspace, kind="inactivity", params={"days": 3})
    cid = uuid.UUID(workspace["workspace_id"])
    real_say = Actions.say

    async def dies(self: Actions, sends: Any) -> Any:
        await real_say(self, sends)  # the messages are written, then the worker dies before its commit
        raise RuntimeError("worker killed")

    monkeypatch.setattr(Actions, "say", dies)
    try:
        await run_pass(client, str(cid), local_noon(4))
    except RuntimeError:
        pass
    else:
        raise AssertionError("the pass should have died")
    for table in ("engagement_firings", "engagement_decisions", "outbox"):
        assert await admin_conn.fetchval(f"SELECT count(*) FROM {table} WHERE creator_id = $1", cid) == 0, table
    monkeypatch.setattr(Actions, "say", real_say)
    assert (await run_pass(client, str(cid), local_noon(4))).decided == {"sent": len(members)}
    assert (await run_pass(client, str(cid), local_noon(4) + timedelta(minutes=5))).decided == {}
    n = await admin_conn.fetchval("SELECT count(*) FROM outbox WHERE creator_id = $1", cid)
    assert n == len(members)
