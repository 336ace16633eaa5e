"""Analytics helpers: a program whose members are driven through the real runtime with a chosen clock (answers,
missed windows, waits until a local time of day, unenrolling), and refreshes run on the app's own platform."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import text

from backend.analytics.jobs import refresh_workspace
from backend.analytics.rollups import RefreshStats
from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext
from backend.programs import runtime
from common.enums import ProgramEventType
from tests.engagement.conftest import add_member, in_app
from tests.fixtures.analytics import metric_graph
from tests.programs.conftest import stop_app_worker

__all__ = ["add_member", "in_app", "metric_graph", "stop_app_worker"]


async def publish(
    client: AsyncTestClient[Any], staff: dict[str, Any], graph: dict[str, Any], pid: str | None = None
) -> str:
    if pid is None:
        r = await client.post("/api/v1/programs", headers=staff["headers"], json={"name": "Moods", "graph": graph})
        assert r.status_code == 201, r.text
        pid = str(r.json()["id"])
    else:
        r = await client.get(f"/api/v1/programs/{pid}", headers=staff["headers"])
        r = await client.put(
            f"/api/v1/programs/{pid}", headers=staff["headers"], json={"graph": graph, "revision": r.json()["revision"]}
        )
        assert r.status_code == 200, r.text
    r = await client.post(f"/api/v1/programs/{pid}/publish", headers=staff["headers"])
    assert r.status_code == 201, r.text
    return pid


@dataclass
class Script:
    """What one member does: the answer to each mood asked (None: the window closes), and optionally unenroll
    when the mood is asked for the `leave_at`-th time (0-based) instead of answering."""

    answers: list[int | None]
    leave_at: int | None = None
    answer_after: timedelta = timedelta(minutes=15)


async def _pending(db: Any, enrollment_id: uuid.UUID) -> tuple[uuid.UUID, datetime]:
    row = (
        await db.execute(
            text("SELECT id, due_at FROM program_timers WHERE enrollment_id = :e AND fired_at IS NULL"),
            {"e": enrollment_id},
        )
    ).one()
    return row[0], row[1]


async def drive(
    client: AsyncTestClient[Any], creator_id: str, program_id: str, member_id: str, start: datetime, script: Script
) -> uuid.UUID:
    """Enroll at `start` and play the script through the runtime, each step in its own transaction and clock."""
    cid = uuid.UUID(creator_id)

    async def play(platform: Platform) -> uuid.UUID:
        async with platform.db.session(TenantContext(cid)) as db:
            step = await runtime.enroll(db, cid, uuid.UUID(program_id), uuid.UUID(member_id), start)
            await db.commit()
        assert step.enrollment is not None
        eid, asked = step.enrollment.id, start
        for i, answer in enumerate(script.answers + [None] * (1 if script.leave_at is not None else 0)):
            async with platform.db.session(TenantContext(cid)) as db:
                if script.leave_at == i:
                    await runtime.unenroll(db, eid, asked + timedelta(minutes=1))
                    await db.commit()
                    return eid
                if answer is not None:
                    at = asked + script.answer_after
                    payload = {"node_id": "mood", "value": answer}
                    r = await runtime.handle_event(db, eid, ProgramEventType.answer, f"a{i}", payload, at)
                    assert r.outcome == "applied", r.detail
                else:
                    timer, due = await _pending(db, eid)
                    await runtime.fire_timer(db, timer, due)
                await db.commit()
            async with platform.db.session(TenantContext(cid)) as db:
                found = (
                    await db.execute(text("SELECT status FROM program_enrollments WHERE id = :e"), {"e": eid})
                ).scalar_one()
                if found != "active":
                    return eid
                timer, asked = await _pending(db, eid)
                await runtime.fire_timer(db, timer, asked)
                await db.commit()
        return eid

    return await in_app(client, play)


async def refresh(client: AsyncTestClient[Any], creator_id: str, now: datetime | None = None) -> RefreshStats:
    """One refresh of the workspace; if the app's own worker holds it, wait for that one and refresh again."""
    for _ in range(100):
        stats = await in_app(client, lambda p: refresh_workspace(p, uuid.UUID(creator_id), now))
        if not stats.busy:
            return stats
        await asyncio.sleep(0.1)
    raise AssertionError("the workspace stayed busy")
