"""One tenant's due timers fired in one transaction (`fire_timers`, as the worker does): each timer advances
its enrollment once, exactly as if the timers were fired one by one, and a failing timer holds back no other."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext
from backend.programs import runtime
from backend.programs.jobs import run_due
from tests.fixtures.programs import enroll_due, wait_graph
from tests.programs.conftest import member, messages_of, published, stop_app_worker


async def due_members(
    client: AsyncTestClient[Any], platform: Platform, staff: dict[str, Any], names: list[str]
) -> list[str]:
    """Members waiting on the wake-up program, their timers due."""
    await stop_app_worker(client)
    pid = await published(client, staff, wait_graph())
    mids = [await member(client, staff, name) for name in names]
    await enroll_due(platform, staff["workspace_id"], pid, mids)
    return mids


async def pending(admin: asyncpg.Connection, staff: dict[str, Any]) -> list[uuid.UUID]:
    rows = await admin.fetch(
        "SELECT id FROM program_timers WHERE creator_id = $1::uuid AND fired_at IS NULL ORDER BY created_at",
        staff["workspace_id"],
    )
    return [r["id"] for r in rows]


async def fire(platform: Platform, staff: dict[str, Any], timer_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    async with platform.db.session(TenantContext(uuid.UUID(staff["workspace_id"]))) as db:
        results = await runtime.fire_timers(db, timer_ids)
        await db.commit()
    return {t: r.outcome for t, r in results.items()}


async def test_a_batch_advances_each_enrollment_once(
    client: AsyncTestClient[Any], platform: Platform, creator: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    mids = await due_members(client, platform, creator, ["ann", "bo", "cy"])
    timers = await pending(admin_conn, creator)
    assert len(timers) == 3
    assert set((await fire(platform, creator, timers)).values()) == {"applied"}
    for mid, name in zip(mids, ["Ann", "Bo", "Cy"], strict=True):
        assert await messages_of(admin_conn, mid) == [f"Wake up, {name}"]
    # Fired again (a zombie worker), the whole batch does nothing.
    assert set((await fire(platform, creator, timers)).values()) == {"duplicate"}
    assert await messages_of(admin_conn, mids[0]) == ["Wake up, Ann"]


async def test_second_timer_of_an_enrollment_runs_after_the_first(
    client: AsyncTestClient[Any], platform: Platform, creator: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    [mid] = await due_members(client, platform, creator, ["twice"])
    [first] = await pending(admin_conn, creator)
    second = uuid.uuid4()
    await admin_conn.execute(
        "INSERT INTO program_timers (id, creator_id, enrollment_id, node_id, kind, due_at)"
        " SELECT $1, creator_id, enrollment_id, node_id, kind, due_at FROM program_timers WHERE id = $2",
        second,
        first,
    )
    # As one by one: the first advances the enrollment to its end, the second then finds it completed.
    assert await fire(platform, creator, [second, first]) == {first: "applied", second: "inactive"}
    assert await messages_of(admin_conn, mid) == ["Wake up, Twice"]
    outcomes = await admin_conn.fetch("SELECT id, outcome FROM program_timers WHERE id = ANY($1)", [first, second])
    assert {r["id"]: r["outcome"] for r in outcomes} == {first: "fired", second: "stale"}


async def test_one_member_in_two_programs_gets_one_conversation(
    client: AsyncTestClient[Any], platform: Platform, creator: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    [mid] = await due_members(client, platform, creator, ["both"])
    other = await published(client, creator, wait_graph())
    await enroll_due(platform, creator["workspace_id"], other, [mid])
    timers = await pending(admin_conn, creator)
    assert set((await fire(platform, creator, timers)).values()) == {"applied"}
    assert await messages_of(admin_conn, mid) == ["Wake up, Both", "Wake up, Both"]
    assert await admin_conn.fetchval("SELECT count(*) FROM conversations WHERE member_id = $1::uuid", mid) == 1


async def test_a_failing_timer_holds_back_no_other(
    client: AsyncTestClient[Any],
    platform: Platform,
    creator: dict[str, Any],
    admin_conn: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mids = await due_members(client, platform, creator, ["fine", "broken", "well"])
    handle = runtime.Engine.handle

    def flaky(self: runtime.Engine, state: dict[str, Any], event: Any, ctx: runtime.Context) -> Any:
        if ctx.member["display_name"] == "Broken":
            raise RuntimeError("a bug in one program step")
        return handle(self, state, event, ctx)

    monkeypatch.setattr(runtime.Engine, "handle", flaky)
    stats = await run_due(platform)
    assert (stats.claimed, stats.applied, stats.failed) == (3, 2, 1)
    assert [await messages_of(admin_conn, m) for m in mids] == [["Wake up, Fine"], [], ["Wake up, Well"]]
    # The broken one keeps its claim: after the lease another worker retries it.
    left = await admin_conn.fetch(
        "SELECT t.claims, t.fired_at FROM program_timers t JOIN program_enrollments e ON e.id = t.enrollment_id"
        " WHERE e.member_id = $1::uuid",
        mids[1],
    )
    assert [(r["claims"], r["fired_at"]) for r in left] == [(1, None)]
