"""Twin quality and proactive uplift against hand-counted fixtures: replies written in members' conversations (and
a playground one that must not count), thumbs and a handoff through the member API, a trigger's contacted and
held-out members of which some come back within 48 h (through the real scheduler and events API)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from tests.analytics.conftest import add_member, refresh
from tests.conftest import register_and_login
from tests.engagement.conftest import add_trigger, decisions, run_pass
from tests.programs.conftest import admin_conn, stop_app_worker

__all__ = ["admin_conn"]
DAY = datetime(2026, 3, 29, 12, tzinfo=UTC)


@pytest.fixture
async def workspace(client: AsyncTestClient[Any]) -> dict[str, Any]:
    staff = await register_and_login(client, "quality")
    staff["rival"] = await register_and_login(client, "rival")
    await stop_app_worker(client)
    return staff


async def conversation(
    admin: asyncpg.Connection, creator_id: str, member_id: str | None, staff_id: str | None = None
) -> uuid.UUID:
    """A member's conversation, or a staff member's playground one (`staff_id`)."""
    cid = uuid.uuid4()
    await admin.execute(
        "INSERT INTO conversations (id, creator_id, member_id, staff_user_id, kind, title, flagged, created_at,"
        " updated_at) VALUES ($1, $2, $3, $4, $5, '', false, now(), now())",
        cid, uuid.UUID(creator_id), uuid.UUID(member_id) if member_id else None,
        uuid.UUID(staff_id) if staff_id else None, "playground" if staff_id else "member",
    )  # fmt: skip
    return cid


async def reply(
    admin: asyncpg.Connection, creator_id: str, conv: uuid.UUID, mode: str, grounded: bool, safety: str | None = None
) -> uuid.UUID:
    mid = uuid.uuid4()
    await admin.execute(
        "INSERT INTO messages (id, creator_id, conversation_id, role, sender, channel, content, mode, grounded,"
        " safety, consistency, created_at, citations) VALUES ($1, $2, $3, 'assistant', 'twin', 'web', 'reply', $4, $5,"
        " $6, 0.5, $7, '[]')",
        mid, uuid.UUID(creator_id), conv, mode, grounded, safety, DAY,
    )  # fmt: skip
    return mid


async def test_twin_quality_by_hand(
    client: AsyncTestClient[Any], workspace: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    cid = workspace["workspace_id"]
    members = [await add_member(client, workspace, f"q{i}") for i in range(6)]
    convs = [await conversation(admin_conn, cid, m["id"]) for m in members]
    # llm: 3 grounded + 1 refused; extractive: 2 grounded + 4 refused (5 with a safety flag, one per member).
    plan = [("llm", True)] * 3 + [("llm", False)] + [("extractive", True)] * 2 + [("extractive", False)] * 4
    ids = []
    for i, (mode, grounded) in enumerate(plan):
        ids.append(
            await reply(admin_conn, cid, convs[i % 6], mode, grounded, "self_harm" if i in (5, 6, 7, 8, 9) else None)
        )
    # Not counted: a playground reply, another workspace's replies.
    await reply(admin_conn, cid, await conversation(admin_conn, cid, None, workspace["user_id"]), "llm", True)
    rival = workspace["rival"]
    stranger = await add_member(client, rival, "s")
    await reply(
        admin_conn,
        rival["workspace_id"],
        await conversation(admin_conn, rival["workspace_id"], stranger["id"]),
        "llm",
        False,
    )
    # Thumbs: six up (one per member), one down; one handoff (a single member: hidden).
    for i, m in enumerate(members):
        r = await client.post(
            "/api/v1/me/feedback", headers=m["headers"], json={"message_id": str(ids[i]), "rating": "up"}
        )
        assert r.status_code == 200, r.text
    r = await client.post(
        "/api/v1/me/feedback", headers=members[0]["headers"], json={"message_id": str(ids[6]), "rating": "down"}
    )
    assert r.status_code == 200, r.text
    r = await client.post("/api/v1/me/handoff", headers=members[1]["headers"], json={"reason": "a person please"})
    assert r.status_code == 200, r.text
    await refresh(client, cid)
    r = await client.get("/api/v1/analytics/twin", headers=workspace["headers"])
    assert r.status_code == 200, r.text
    t = r.json()
    assert t["replies"] == 10 and t["grounded_rate"] == 0.5 and t["refused_rate"] == 0.5
    assert t["by_mode"]["llm"] == {"replies": 4, "grounded_rate": 0.75, "refused_rate": 0.25}
    assert t["by_mode"]["extractive"] == {"replies": 6, "grounded_rate": 2 / 6, "refused_rate": 4 / 6}
    assert t["feedback"] == {"up": 6, "down": None} and "feedback.down" in t["suppressed"]
    assert t["handoffs"] is None and "handoffs" in t["suppressed"]
    assert t["flagged"] == 5
    assert t["consistency"] == [{"day": "2026-03-29", "mean": 0.5}]
    r = await client.get("/api/v1/analytics/twin", headers=workspace["headers"], params={"from": "2026-03-30"})
    assert r.json()["replies"] == 0 and r.json()["grounded_rate"] is None
    await refresh(client, rival["workspace_id"])
    r = await client.get("/api/v1/analytics/twin", headers=rival["headers"])
    assert r.json()["replies"] == 1 and r.json()["refused_rate"] == 1.0


async def active(admin: asyncpg.Connection, creator_id: str, member_id: str, at: datetime) -> None:
    """The member writes at `at` (their own message: the database counts it as activity)."""
    conv = await conversation(admin, creator_id, member_id)
    await admin.execute(
        "INSERT INTO messages (id, creator_id, conversation_id, role, sender, channel, content, created_at, citations)"
        " VALUES (gen_random_uuid(), $1, $2, 'user', 'member', 'web', 'back', $3, '[]')",
        uuid.UUID(creator_id), conv, at,
    )  # fmt: skip


async def test_uplift_of_a_trigger_against_its_holdout(
    client: AsyncTestClient[Any], workspace: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    cid = workspace["workspace_id"]
    members = [await add_member(client, workspace, f"u{i}") for i in range(24)]
    t = await add_trigger(
        client, workspace, kind="inactivity", params={"days": 1}, holdout_percent=50, max_per_day=9,
        quiet_hours={"start": "00:00", "end": "00:00"},
    )  # fmt: skip
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    stats = await run_pass(client, cid, at)
    assert sum(stats.decided.values()) == 24, stats.decided
    outcome = {d["member_id"]: d["outcome"] for d in await decisions(client, workspace, trigger_id=t["id"])}
    contacted = [m for m in members if outcome[m["id"]] == "sent"]
    held = [m for m in members if outcome[m["id"]] == "holdout"]
    assert len(contacted) >= 5 and len(held) >= 5, (len(contacted), len(held))
    # Back within 48 h: all but one contacted member and half the held-out ones; the last held-out member comes
    # back only after 49 h (too late), the first contacted one was active an hour before the decision only.
    back_c, back_h = contacted[1:], held[: len(held) // 2]
    for i, m in enumerate(back_c + back_h):
        await active(admin_conn, cid, m["id"], at + timedelta(hours=1 + i % 47))
    await active(admin_conn, cid, held[-1]["id"], at + timedelta(hours=49))
    await active(admin_conn, cid, contacted[0]["id"], at - timedelta(hours=1))
    await refresh(client, cid, at + timedelta(hours=47))  # the 48 h are not over: nothing judged yet
    r = await client.get(f"/api/v1/analytics/engagement/{t['id']}", headers=workspace["headers"])
    assert r.status_code == 200 and r.json()["contacted"] == 0 and r.json()["uplift"] is None
    await refresh(client, cid, at + timedelta(hours=48))
    u = (await client.get(f"/api/v1/analytics/engagement/{t['id']}", headers=workspace["headers"])).json()
    p1, p2 = len(back_c) / len(contacted), len(back_h) / len(held)
    assert u["contacted"] == len(contacted) and u["holdout"] == len(held)
    assert u["reactivated_rate"] == pytest.approx(p1) and u["holdout_reactivated_rate"] == pytest.approx(p2)
    assert u["uplift"] == pytest.approx(p1 - p2) and u["ci95"][0] < p1 - p2 < u["ci95"][1]
    assert u["small_sample"] is True and u["suppressed"] == []
    # Another workspace's trigger is not found.
    r = await client.get(f"/api/v1/analytics/engagement/{t['id']}", headers=workspace["rival"]["headers"])
    assert r.status_code == 404 and r.json()["error"] == "not_found"
