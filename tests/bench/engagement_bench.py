"""Engagement figures: one evaluation pass over many members and events, an incremental pass, and many members
due at once.

A fresh `coachtwin_bench_engagement` database built by the migrations (app role, forced RLS). 10 workspaces,
each with its members (100,000 in all; quick: 10,000) and 10 behaviour events per member (1,000,000; quick:
100,000) spread over the last 20 days (`habit_done`, a few `run_logged`), each member's last activity set from
their events as the events service does. Each workspace has four enabled triggers (inactivity 3 days with a
message, streak_broken on habit_done, milestone at 10 habit_done, event run_logged with km 42) and no quiet
hours, so every decision is taken now. The members are inserted with generate_series and the events with
INSERT ... SELECT (as the superuser); the passes are the scheduler's own `evaluate_workspace`.

1. Full pass: every workspace evaluated once (what the worker does on its tick); the time includes finding,
   deciding, logging and queueing every message.
2. The same pass again with nothing changed (finding alone), then an incremental pass: 1,000 new events
   (run_logged km 42, so each is a firing), then every workspace again.
3. Burst: a separate workspace where 10,000 members (quick: 2,000) are due at once; two passes started
   together (as two workers would); every decision logged and every message in the outbox, duplicates counted.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fixtures import database

NAME = "engagement"
TITLE = "Engagement: trigger evaluation passes"
DB_NAME = "coachtwin_bench_engagement"
WORKSPACES = 10
MEMBERS, QUICK_MEMBERS = 100_000, 10_000
EVENTS_PER_MEMBER = 10
BURST, QUICK_BURST = 10_000, 2_000
TARGET_FULL_S = 5.0
NO_QUIET = {"start": "00:00", "end": "00:00"}


async def _triggers(platform: Any, cid: uuid.UUID, kinds: list[tuple[str, dict[str, Any]]]) -> None:
    from backend.lib.tenancy import TenantContext
    from common.models import Trigger

    async with platform.db.session(TenantContext(cid)) as db:
        for kind, params in kinds:
            db.add(
                Trigger(
                    creator_id=cid,
                    name=kind,
                    kind=kind,
                    params=params,
                    action={"type": "message", "text": "Hello {{name}}"},
                    quiet_hours=NO_QUIET,
                    max_per_day=5,
                    max_per_week=10,
                    enabled=True,
                    created_at=datetime.now(UTC) - timedelta(days=30),
                )
            )
        await db.commit()


async def _members(admin: Any, cid: uuid.UUID, n: int, days_ago: int) -> None:
    await admin.execute(
        "INSERT INTO members (id, creator_id, external_id, display_name, timezone, created_at)"
        " SELECT gen_random_uuid(), $1::uuid, 'bench-' || g, 'Member ' || g,"
        " (ARRAY['UTC','Europe/Berlin','America/New_York','Asia/Tokyo'])[1 + g % 4], now() - make_interval(days => $3)"
        " FROM generate_series(1, $2) g",
        cid,
        n,
        days_ago,
    )


async def _seed(platform: Any, admin: Any, members: int) -> list[uuid.UUID]:
    from tests.bench.knowledge_bench import _workspace

    workspaces = []
    for i in range(WORKSPACES):
        cid = await _workspace(platform, f"engagement-bench-{i}")
        await _members(admin, cid, members // WORKSPACES, 25)
        await admin.execute(
            "INSERT INTO member_events"
            " (id, creator_id, member_id, client_id, name, at, properties, source, received_at)"
            " SELECT gen_random_uuid(), m.creator_id, m.id, m.id || ':' || g,"
            " CASE WHEN g = 1 THEN 'run_logged' ELSE 'habit_done' END,"
            " now() - make_interval(secs => (random() * 20 * 86400)::int),"
            " CASE WHEN g = 1 THEN '{\"km\": 5}'::jsonb ELSE '{}'::jsonb END, 'staff',"
            " now() - interval '20 days'"
            " FROM members m, generate_series(1, $2) g WHERE m.creator_id = $1",
            cid,
            EVENTS_PER_MEMBER,
        )
        await admin.execute(
            "INSERT INTO member_engagement (id, creator_id, member_id, last_active_at)"
            " SELECT gen_random_uuid(), creator_id, member_id, max(at) FROM member_events WHERE creator_id = $1"
            " GROUP BY creator_id, member_id",
            cid,
        )
        await _triggers(
            platform,
            cid,
            [
                ("inactivity", {"days": 3}),
                ("streak_broken", {"event": "habit_done", "grace_days": 1}),
                ("milestone", {"event": "habit_done", "count": 10}),
                ("event", {"name": "run_logged", "where": {"km": 42}}),
            ],
        )
        workspaces.append(cid)
    for table in ("members", "member_events", "member_engagement"):
        await admin.execute(f"VACUUM ANALYZE {table}")
    return workspaces


async def _pass(platform: Any, workspaces: list[uuid.UUID]) -> tuple[float, dict[str, int]]:
    from backend.engagement.scheduler import evaluate_workspace

    started, totals = time.perf_counter(), {"found": 0}
    for cid in workspaces:
        stats = await evaluate_workspace(platform, cid)
        totals["found"] += stats.found
        for k, v in stats.decided.items():
            totals[k] = totals.get(k, 0) + v
    return round(time.perf_counter() - started, 2), totals


async def _main(quick: bool) -> dict[str, Any]:
    import asyncpg

    from backend.engagement.scheduler import evaluate_workspace
    from backend.lib.platform import Platform
    from common.settings import get_settings
    from tests.bench.knowledge_bench import _workspace

    members, burst = (QUICK_MEMBERS, QUICK_BURST) if quick else (MEMBERS, BURST)
    platform = Platform.open(get_settings())
    admin = await asyncpg.connect(database.admin_dsn(DB_NAME))
    try:
        started = time.perf_counter()
        workspaces = await _seed(platform, admin, members)
        seed_s = round(time.perf_counter() - started, 1)
        events = await admin.fetchval("SELECT count(*) FROM member_events")
        full_s, full = await _pass(platform, workspaces)
        steady_s, steady = await _pass(platform, workspaces)  # nothing changed: what finding costs alone
        await admin.execute(
            "INSERT INTO member_events (id, creator_id, member_id, client_id, name, at, properties, source)"
            " SELECT gen_random_uuid(), creator_id, id, 'new:' || id, 'run_logged', now(), '{\"km\": 42}', 'member'"
            " FROM (SELECT creator_id, id FROM members ORDER BY random() LIMIT 1000) m"
        )
        incremental_s, incremental = await _pass(platform, workspaces)
        cid = await _workspace(platform, "engagement-burst")
        await _members(admin, cid, burst, 10)
        await _triggers(platform, cid, [("inactivity", {"days": 3})])
        await admin.execute("ANALYZE members")
        started = time.perf_counter()
        stats = await asyncio.gather(*(evaluate_workspace(platform, cid) for _ in range(2)))
        burst_s = round(time.perf_counter() - started, 2)
        logged = await admin.fetchval("SELECT count(*) FROM engagement_decisions WHERE creator_id = $1", cid)
        queued = await admin.fetchval("SELECT count(*) FROM outbox WHERE creator_id = $1", cid)
        duplicates = await admin.fetchval(
            "SELECT count(*) - count(DISTINCT member_id) FROM outbox WHERE creator_id = $1", cid
        )
    finally:
        await admin.close()
        await platform.close()
    return {
        "members": members,
        "events": events,
        "workspaces": WORKSPACES,
        "seed_s": seed_s,
        "full_s": full_s,
        "full": full,
        "steady_s": steady_s,
        "steady": steady,
        "incremental_s": incremental_s,
        "incremental": incremental,
        "burst_members": burst,
        "burst_s": burst_s,
        "burst_busy": sum(1 for s in stats if s.busy),
        "burst_logged": logged,
        "burst_queued": queued,
        "burst_duplicates": duplicates,
        "target_full_s": TARGET_FULL_S,
        "meets": full_s <= TARGET_FULL_S,
    }


def run(options: Any) -> dict[str, Any]:
    database.use_for_bench(DB_NAME)
    return asyncio.run(_main(bool(getattr(options, "quick", False))))


def report(result: dict[str, Any]) -> str:
    def outcomes(d: dict[str, int]) -> str:
        return ", ".join(f"{k} {v:,}" for k, v in sorted(d.items()))

    return "\n".join(
        [
            f"{result['members']:,} members and {result['events']:,} events in {result['workspaces']} workspaces, "
            f"4 enabled triggers each (seeded in {result['seed_s']} s, not timed); passes of `evaluate_workspace`.",
            "",
            "| pass | seconds | what it did | target |",
            "|---|---:|---|---|",
            f"| full | {result['full_s']} | {outcomes(result['full'])} | <= {result['target_full_s']:.0f} s: "
            f"{'meets' if result['meets'] else 'MISSES'} |",
            f"| again, nothing changed | {result['steady_s']} | {outcomes(result['steady'])} | - |",
            f"| incremental after 1,000 events | {result['incremental_s']} | {outcomes(result['incremental'])} | - |",
            f"| {result['burst_members']:,} members due at once, two passes together | {result['burst_s']} | "
            f"{result['burst_logged']:,} decisions logged, {result['burst_queued']:,} messages queued, "
            f"{result['burst_duplicates']} duplicates ({result['burst_busy']} pass found the workspace busy) | - |",
        ]
    )
