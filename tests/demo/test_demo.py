"""`coachtwin demo`: the simulated cohort goes through the real runtime and lands with its simulated times."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from backend.analytics import service as analytics
from backend.demo import seed, workspace
from backend.lib.tenancy import TenantContext

END = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # the cohort's weeks cross Europe's and America's clock change


async def scalar(platform: Any, creator_id: uuid.UUID, sql: str, **params: Any) -> Any:
    async with platform.db.session(TenantContext(creator_id)) as db:
        value = (await db.execute(text(sql), params)).scalar()
        await db.commit()
    return value


async def test_fresh_workspace_holds_weeks_of_real_history(platform: Any) -> None:
    email = f"demo-{uuid.uuid4().hex[:8]}@example.com"
    lines: list[str] = []
    options = seed.Options(members=60, days=30, seed=5, email=email, password="Demo-Pass-4242", end=END)
    report = await seed.fill(platform, options, lines.append)
    ws, c = report.creator_id, report.counts
    assert any("day" in line for line in lines), lines  # progress was printed

    # Every member enrolled through the runtime, inside the simulated weeks.
    assert c.enrolled == 60
    assert await scalar(platform, ws, "SELECT count(*) FROM program_enrollments") == 60
    first, last = await scalar(
        platform, ws, "SELECT array[min(enrolled_at), max(enrolled_at)] FROM program_enrollments"
    )
    assert END - timedelta(days=30) <= first and last <= END - timedelta(days=2)

    # Answers are the runtime's events, each at its simulated time; some members answered, some never did.
    answers = await scalar(
        platform, ws, "SELECT count(*) FROM program_events WHERE type = 'answer' AND outcome = 'applied'"
    )
    assert answers == c.answers and 0 < c.answers < c.questions
    assert await scalar(platform, ws, "SELECT max(received_at) FROM program_events") <= END
    silent = await scalar(
        platform, ws,
        "SELECT count(*) FROM program_enrollments e WHERE NOT EXISTS "
        "(SELECT 1 FROM program_events v WHERE v.enrollment_id = e.id AND v.type = 'answer')",
    )  # fmt: skip
    assert silent > 0
    # Members finished, left, or are still on their mornings.
    statuses = await scalar(
        platform,
        ws,
        "SELECT jsonb_object_agg(status, n) FROM "
        "(SELECT status, count(*) n FROM program_enrollments GROUP BY status) s",
    )
    assert statuses.get("completed", 0) > 0 and statuses.get("unenrolled", 0) == c.left > 0, statuses
    assert statuses.get("active", 0) > 0, statuses
    # Nothing written carries the moment the command ran: the whole history is before END.
    assert await scalar(platform, ws, "SELECT max(created_at) FROM messages") <= END
    assert await scalar(platform, ws, "SELECT count(*) FROM outbox WHERE status = 'queued'") == 0

    # The self-reported metric (marked on the published check-in) improves for the committed members.
    assert await scalar(
        platform,
        ws,
        "SELECT graph @? '$.nodes[*] ? (@.id == \"intention\" && @.data.metric == true)' FROM program_versions",
    )
    change = await scalar(
        platform, ws,
        """SELECT avg(last - first) FROM (
             SELECT enrollment_id,
                    (array_agg((payload->>'value')::int ORDER BY received_at))[1] AS first,
                    (array_agg((payload->>'value')::int ORDER BY received_at DESC))[1] AS last, count(*) n
             FROM program_events WHERE type = 'answer' AND outcome = 'applied' GROUP BY enrollment_id) s
           WHERE n >= 5""",
    )  # fmt: skip
    assert change > 0.3

    # The trigger nudged members who missed two mornings and held a share out.
    decided = await scalar(
        platform,
        ws,
        "SELECT jsonb_object_agg(outcome, n) FROM "
        "(SELECT outcome, count(*) n FROM engagement_decisions GROUP BY outcome) s",
    )
    assert decided.get("sent", 0) == c.nudged > 0 and decided.get("holdout", 0) == c.held_out > 0, decided

    # Members' questions went through the twin's chat turn, some rated, all at their simulated times.
    replies = await scalar(platform, ws, "SELECT count(*) FROM messages WHERE sender = 'twin' AND mode <> 'handoff'")
    assert replies == report.twin["replies"] > 0
    # The creator's notebook was indexed like an upload, so replies are grounded in it and cite it.
    cited = await scalar(
        platform,
        ws,
        "SELECT count(*) FROM messages WHERE sender = 'twin' AND grounded AND jsonb_array_length(citations) > 0",
    )
    assert cited > 0
    votes = await scalar(platform, ws, "SELECT count(*) FROM message_feedback WHERE updated_at <= :end", end=END)
    assert votes == report.twin["up"] + report.twin["down"]

    # An A/B of two versions ran from the first day (members on both), and the dashboards read the weeks at once.
    assert await scalar(platform, ws, "SELECT count(DISTINCT version_id) FROM program_enrollments") == 2
    async with platform.db.session(TenantContext(ws)) as db:
        view = await analytics.program_view(db, report.program_id, None, None, None)
        await db.commit()
    assert view.enrolled == 60 and view.versions == [1, 2]
    assert [s.title for s in view.funnel][:3] == ["Start", "Welcome", "First morning"]
    metric = next(m for m in view.metrics if m.node_id == "intention")
    assert metric.mean_change is not None and metric.mean_change > 0

    # From now on the workers take over: future timers are theirs, the trigger is on.
    assert await scalar(platform, ws, "SELECT count(*) FROM program_timers WHERE claimed_at = 'infinity'") == 0
    assert await scalar(platform, ws, "SELECT count(*) FROM program_timers WHERE fired_at IS NULL") > 0
    assert await scalar(platform, ws, "SELECT bool_and(enabled) FROM engagement_triggers")

    # A second run refuses and changes nothing; another workspace sees none of it.
    with pytest.raises(workspace.Refused):
        await seed.fill(platform, options, lines.append)
    with pytest.raises(workspace.Refused):
        await seed.fill(platform, seed.Options(members=5, days=5, workspace=ws, end=END), lines.append)
    assert await scalar(platform, ws, "SELECT count(*) FROM members") == 60
    assert await scalar(platform, uuid.uuid4(), "SELECT count(*) FROM program_events") == 0
    assert any(email in line for line in seed.summary(report))


async def test_named_workspace_is_filled_and_kept_apart(platform: Any, creator: dict[str, Any]) -> None:
    ws = uuid.UUID(creator["workspace_id"])
    options = seed.Options(members=12, days=10, seed=3, workspace=ws, twin=False, end=END)
    report = await seed.fill(platform, options, lambda line: None)
    assert report.creator_id == ws and report.email is None
    assert await scalar(platform, ws, "SELECT count(*) FROM members WHERE external_id LIKE 'demo-%'") == 12
    other = await seed.fill(
        platform, seed.Options(members=8, days=10, email=f"o-{uuid.uuid4().hex[:6]}@example.com", twin=False, end=END),
        lambda line: None,
    )  # fmt: skip
    # Each workspace counts only its own members and events.
    assert await scalar(platform, ws, "SELECT count(*) FROM members") == 12
    assert await scalar(platform, other.creator_id, "SELECT count(*) FROM members") == 8
    ours = await scalar(platform, ws, "SELECT count(*) FROM program_events")
    theirs = await scalar(platform, other.creator_id, "SELECT count(*) FROM program_events")
    assert ours > 0 and theirs > 0
    assert (
        await scalar(
            platform, ws, "SELECT count(*) FROM program_enrollments WHERE creator_id = :other", other=other.creator_id
        )
        == 0
    )
