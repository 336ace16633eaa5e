"""Analytics figures: the dashboard API's latency over one large workspace, and the incremental refresh.

A fresh `coachtwin_bench_analytics` database built by the migrations (app role, forced RLS). One workspace with
one published 14-morning program (a mood check-in marked as a metric, a daily wait) and its members (100,000;
quick: 10,000), each enrolled on a day of the last 60 and somewhere along the program (completed, still running or
unenrolled), with their accepted check-in answers (program events, ~70% of the mornings reached) and 5 behaviour
events each (member events): about 1,000,000 events in all (quick: 100,000). Rows are inserted with INSERT ...
SELECT as the superuser; the row triggers of migration 0013 mark every change, as they do for the API.

1. Build: refreshes (the worker's own `refresh_workspace`) until nothing is left to fold in.
2. Dashboard: the API served by granian (one worker), a staff token; each dashboard route requested in turn
   (program view pooled and by version and period, retention, overview, twin, CSV), after a warm-up; p50/p95/max.
3. Incremental: 10,000 new behaviour events from random members, then one refresh (timed).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fixtures import database

NAME = "analytics"
TITLE = "Analytics: dashboard API latency and the incremental rollup refresh"
DB_NAME = "coachtwin_bench_analytics"
MEMBERS, QUICK_MEMBERS = 100_000, 10_000
EVENTS_PER_MEMBER = 5
NEW_EVENTS = 10_000
ROUNDS, QUICK_ROUNDS = 30, 10
TARGET_P95_MS = 200.0


def _graph() -> dict[str, Any]:
    from tests.fixtures.analytics import metric_graph

    return metric_graph(times=14, window_minutes=720, until="07:00")


async def _seed(platform: Any, admin: Any, members: int) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    from tests.bench.knowledge_bench import _workspace
    from tests.bench.programs_bench import _publish

    cid = await _workspace(platform, "analytics-bench")
    pid = await _publish(platform, cid, _graph())
    version_id = await admin.fetchval("SELECT id FROM program_versions WHERE program_id = $1", pid)
    user_id = uuid.uuid4()
    await admin.execute(
        "INSERT INTO users (id, email, password_hash, full_name) VALUES ($1, $2, 'x', 'Bench owner')",
        user_id,
        f"bench-{user_id.hex[:8]}@example.com",
    )
    await admin.execute(
        "INSERT INTO memberships (id, creator_id, user_id, role) VALUES (gen_random_uuid(), $1, $2, 'owner')",
        cid,
        user_id,
    )
    await admin.execute(
        "INSERT INTO members (id, creator_id, external_id, display_name, timezone, created_at)"
        " SELECT gen_random_uuid(), $1::uuid, 'bench-' || g, 'Member ' || g,"
        " (ARRAY['UTC','Europe/London','America/New_York','Asia/Tokyo'])[1 + g % 4], now() - interval '61 days'"
        " FROM generate_series(1, $2) g",
        cid,
        members,
    )
    # Each member: k mornings reached (1-14); 14 completes; otherwise one in five left, the rest still running.
    await admin.execute(
        "INSERT INTO program_enrollments (id, creator_id, program_id, version_id, member_id, status, current_node,"
        " state, steps, enrolled_at, updated_at, completed_at)"
        " SELECT gen_random_uuid(), $1::uuid, $2::uuid, $3::uuid, m.id, s.status, s.node,"
        " jsonb_build_object('node', s.node, 'waiting', CASE WHEN s.status = 'active' THEN 'answer' END,"
        "  'visits', jsonb_build_object('start', 1, 'mood', s.k, 'enough', s.k, 'next', s.k - 1)"
        "   || CASE WHEN s.k = 14 THEN '{\"end\": 1}'::jsonb ELSE '{}'::jsonb END,"
        "  'waits', jsonb_build_object('start', 0, 'mood', 600 + (random() * 40000)::int, 'enough', 0),"
        "  'answers', '{}'::jsonb, 'streaks', '{}'::jsonb, 'events', '{}'::jsonb, 'goals', '{}'::jsonb,"
        "  'turns', 0, 'path', '[]'::jsonb, 'enrolled_at', s.at),"
        " s.k * 2, s.at, s.at + make_interval(days => s.k), CASE WHEN s.status <> 'active' THEN s.at END"
        " FROM members m CROSS JOIN LATERAL (SELECT k, at,"
        "  CASE WHEN k = 14 THEN 'completed' WHEN r < 0.2 THEN 'unenrolled' ELSE 'active' END AS status,"
        "  CASE WHEN k = 14 THEN 'end' ELSE 'mood' END AS node"
        "  FROM (SELECT 1 + (random() * 13.99)::int AS k, random() AS r,"
        "   now() - make_interval(secs => (random() * 60 * 86400)::int) AS at, m.id AS mid) x) s"
        " WHERE m.creator_id = $1",
        cid,
        pid,
        version_id,
    )
    await admin.execute(
        "INSERT INTO program_events (id, creator_id, enrollment_id, key, type, node_id, payload, outcome, detail,"
        " received_at)"
        " SELECT gen_random_uuid(), e.creator_id, e.id, 'a' || j, 'answer', 'mood',"
        " jsonb_build_object('node_id', 'mood', 'value', 1 + (random() * 4)::int), 'applied', '',"
        " e.enrolled_at + make_interval(days => j - 1, mins => 20)"
        " FROM program_enrollments e, generate_series(1, 14) j"
        " WHERE e.creator_id = $1 AND j <= (e.state->'visits'->>'mood')::int AND random() < 0.7",
        cid,
    )
    await admin.execute(
        "INSERT INTO member_events (id, creator_id, member_id, client_id, name, at, properties, source, received_at)"
        " SELECT gen_random_uuid(), m.creator_id, m.id, m.id || ':' || g, 'habit_done',"
        " now() - make_interval(secs => (random() * 60 * 86400)::int), '{}'::jsonb, 'staff', now()"
        " FROM members m, generate_series(1, $2) g WHERE m.creator_id = $1",
        cid,
        EVENTS_PER_MEMBER,
    )
    for table in ("members", "program_enrollments", "program_events", "member_events", "analytics_activity"):
        await admin.execute(f"VACUUM ANALYZE {table}")
    return cid, pid, user_id


async def _build(platform: Any, cid: uuid.UUID) -> tuple[float, int, int]:
    from backend.analytics.jobs import refresh_workspace

    started, rounds, marks = time.perf_counter(), 0, 0
    while True:
        stats = await refresh_workspace(platform, cid)
        rounds += 1
        marks += stats.marks
        if stats.marks == 0:
            break
    return round(time.perf_counter() - started, 1), rounds, marks


def _latencies(base: str, token: str, pid: uuid.UUID, rounds: int) -> dict[str, dict[str, float]]:
    import httpx

    today = datetime.now(UTC).date()
    period = {"from": (today - timedelta(days=30)).isoformat(), "to": today.isoformat()}
    routes = {
        "program (all versions, all time)": (f"/api/v1/analytics/programs/{pid}", {}),
        "program (version 1, last 30 days)": (f"/api/v1/analytics/programs/{pid}", {"version": 1, **period}),
        "retention": (f"/api/v1/analytics/programs/{pid}/retention", {}),
        "overview": ("/api/v1/analytics/overview", {}),
        "twin": ("/api/v1/analytics/twin", {}),
        "export.csv": (f"/api/v1/analytics/programs/{pid}/export.csv", {}),
    }
    out: dict[str, dict[str, float]] = {}
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        for name, (path, params) in routes.items():
            for _ in range(3):  # warm-up
                r = client.get(path, params=params)
                assert r.status_code == 200, f"{path}: {r.status_code} {r.text[:300]}"
            times = []
            for _ in range(rounds):
                started = time.perf_counter()
                r = client.get(path, params=params)
                times.append((time.perf_counter() - started) * 1000)
                assert r.status_code == 200, r.text
            times.sort()
            out[name] = {
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
                "max_ms": round(times[-1], 1),
            }
    return out


async def _main(quick: bool) -> dict[str, Any]:
    import asyncpg

    from backend.analytics.jobs import refresh_workspace
    from backend.lib.platform import Platform
    from backend.lib.security import Tokens
    from common.settings import get_settings
    from tests.bench import serving
    from tests.bench.api_bench import free_port

    members = QUICK_MEMBERS if quick else MEMBERS
    platform = Platform.open(get_settings())
    admin = await asyncpg.connect(database.admin_dsn(DB_NAME))
    try:
        started = time.perf_counter()
        cid, pid, user_id = await _seed(platform, admin, members)
        seed_s = round(time.perf_counter() - started, 1)
        answers = await admin.fetchval("SELECT count(*) FROM program_events")
        events = await admin.fetchval("SELECT count(*) FROM member_events")
        build_s, build_rounds, build_marks = await _build(platform, cid)
        token, _ = Tokens(get_settings()).issue(typ="access", sub=user_id, cid=cid, ttl=3600, role="owner")
        port = free_port()
        command = serving.granian_command("backend.asgi:app", port)
        with serving.serve(command, port, {**os.environ, "WORKER_IN_PROCESS": "false"}, "/health"):
            latency = await asyncio.to_thread(
                _latencies, f"http://127.0.0.1:{port}", token, pid, QUICK_ROUNDS if quick else ROUNDS
            )
        await admin.execute(
            "INSERT INTO member_events (id, creator_id, member_id, client_id, name, at, properties, source)"
            " SELECT gen_random_uuid(), creator_id, id, 'new:' || id || ':' || g, 'habit_done', now(), '{}', 'member'"
            " FROM (SELECT creator_id, id FROM members WHERE creator_id = $1 ORDER BY random() LIMIT $2) m,"
            " generate_series(1, 1) g",
            cid,
            NEW_EVENTS,
        )
        started = time.perf_counter()
        stats = await refresh_workspace(platform, cid)
        incremental_s = round(time.perf_counter() - started, 2)
    finally:
        await admin.close()
        await platform.close()
    worst = max(v["p95_ms"] for v in latency.values())
    return {
        "members": members,
        "answer_events": answers,
        "member_events": events,
        "events": answers + events,
        "seed_s": seed_s,
        "build_s": build_s,
        "build_rounds": build_rounds,
        "build_marks": build_marks,
        "latency": latency,
        "worst_p95_ms": worst,
        "new_events": NEW_EVENTS,
        "incremental_s": incremental_s,
        "incremental_enrollments": stats.enrollments,
        "incremental_days": stats.days,
        "target_p95_ms": TARGET_P95_MS,
        "meets": worst <= TARGET_P95_MS,
    }


def run(options: Any) -> dict[str, Any]:
    database.use_for_bench(DB_NAME)
    return asyncio.run(_main(bool(getattr(options, "quick", False))))


def report(result: dict[str, Any]) -> str:
    rows = [f"| {name} | {v['p50_ms']} | {v['p95_ms']} | {v['max_ms']} |" for name, v in result["latency"].items()]
    return "\n".join(
        [
            f"One workspace: {result['members']:,} members, {result['events']:,} events "
            f"({result['answer_events']:,} accepted check-in answers, {result['member_events']:,} behaviour events); "
            f"seeded in {result['seed_s']} s (not timed). First build of the rollups: {result['build_s']} s "
            f"({result['build_rounds']} refreshes, {result['build_marks']:,} change marks).",
            "",
            "| dashboard route (granian, 1 worker) | p50 ms | p95 ms | max ms |",
            "|---|---:|---:|---:|",
            *rows,
            "",
            f"Worst p95 {result['worst_p95_ms']} ms (target <= {result['target_p95_ms']:.0f} ms: "
            f"{'meets' if result['meets'] else 'MISSES'}). Incremental refresh after {result['new_events']:,} new "
            f"events: {result['incremental_s']} s ({result['incremental_enrollments']:,} enrollments recomputed, "
            f"{result['incremental_days']} cohort days updated).",
        ]
    )
