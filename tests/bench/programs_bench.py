"""Programs figure: due-timer throughput.

100,000 enrolled members (10 workspaces x 10,000; quick: 5,000) on a published start -> wait -> message ->
end program, every one waiting at the wait node with its timer due now. Two workers, each its own OS
process with its own Platform (connection pool) on a fresh `coachtwin_bench_programs` database built by
the migrations (app role, forced RLS), run `run_due` at the same instant; the figure is the wall time
until both have drained every timer. Afterwards SQL checks that each enrollment advanced exactly once:
one wake-up message per member, in its own workspace, every timer fired after a single claim.

Seeding: in each workspace the members are inserted with generate_series; ONE of them is enrolled through
the real runtime (`runtime.enroll`, two hours ago, as the timer tests do), and its enrollment and timer
rows are copied, every column but the ids, for the other members with INSERT ... SELECT (as the superuser;
the copy is the row the runtime wrote, so a new column is copied too).

Set BENCH_PROGRAMS_PROFILE=/tmp/prog to have each worker write cProfile stats to /tmp/prog.<n>.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import queue
import time
import uuid
from pathlib import Path
from typing import Any

from tests.fixtures import database

NAME = "programs"
TITLE = "Programs: due-timer throughput (two workers)"
DB_NAME = "coachtwin_bench_programs"
WORKSPACES = 10
MEMBERS, QUICK_MEMBERS = 100_000, 5_000
WORKERS = 2
TARGET_S = 60.0
GREETING = "Wake up,"  # the message node's text (tests/fixtures/programs.py: wait_graph)

# What the profile said and what was changed, kept with the figures (update when the timer path changes).
PROFILE_NOTES = """**Profile and changes (2026-11-23).** Before: each timer was one tenant transaction of 11 round trips
through the ORM (timer, locked enrollment, fire, member, conversation lookup, conversation insert, messages,
conversation touch, enrollment update, BEGIN/COMMIT), ~11 ms of worker CPU per timer on this machine
(cProfile: SQLAlchemy statement building, ORM flushes and SQLModel construction, hardly the engine), and the
claim function's UPDATE joined its locked ids to program_timers with a hash join over a sequential scan of
the whole table (fired timers included) on every claim. The quick run (5,000 timers) took 46 s, 108
timers/s (100,000 extrapolates to a quarter of an hour; not run). Changes: `fire_timers` fires up to 200
timers of one tenant in one transaction with one statement per kind of effect (lock the enrollments in id
order, fire the timers, one conversation lookup and insert, one messages insert, one enrollment
executemany): the same code the API's single steps use; a failed batch is retried timer by timer;
`run_due` claims 2,000 at a time and runs 4 transactions at once per worker; migration 0005 has the claim
update by primary key (`id = ANY(ARRAY(...))`). After, at 100,000, two runs on 2026-11-23 while another
session's CPU-bound process shared the machine (43 and 53 of the busy CPU-seconds): 59.3 s and 73.5 s, with
0.42-0.52 ms of worker CPU and 0.33-0.41 ms of PostgreSQL backend CPU per timer; those two alone, spread
over 2 cores, come to 38-47 s (an estimate, not a measurement). What is left per timer in a worker (10,000
timers, one worker, phases timed with process_time): ORM load of the locked enrollments 0.13 ms, the
enrollment UPDATE flush 0.10 ms, the engine step 0.10 ms, conversations 0.07 ms, building rows 0.06 ms,
the messages insert 0.04 ms."""


# ---- set-up ------------------------------------------------------------------------------------------


async def _publish(platform: Any, cid: uuid.UUID, graph: dict[str, Any]) -> uuid.UUID:
    """What the publish endpoint writes: the program at version 1 and the frozen version."""
    from backend.lib.tenancy import TenantContext
    from common.models import Program, ProgramVersion

    async with platform.db.session(TenantContext(cid)) as db:
        program = Program(creator_id=cid, name="Bench wake-up", draft=graph, published_version=1)
        db.add(program)
        await db.flush()
        db.add(ProgramVersion(creator_id=cid, program_id=program.id, version=1, graph=graph))
        await db.commit()
    return program.id


async def _columns(admin: Any, table: str) -> list[str]:
    rows = await admin.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1"
        " ORDER BY ordinal_position",
        table,
    )
    return [r["column_name"] for r in rows]


def _copy(columns: list[str], overrides: dict[str, str]) -> tuple[str, str]:
    """The column list and the SELECT list copying row `t` with some columns replaced."""
    return ", ".join(columns), ", ".join(overrides.get(c, f"t.{c}") for c in columns)


async def _seed_workspace(platform: Any, admin: Any, index: int, members: int) -> uuid.UUID:
    from tests.bench.knowledge_bench import _workspace
    from tests.fixtures.programs import enroll_due, wait_graph

    cid = await _workspace(platform, f"programs-bench-{index}")
    pid = await _publish(platform, cid, wait_graph())
    await admin.execute(
        "INSERT INTO members (id, creator_id, external_id, display_name, timezone)"
        " SELECT gen_random_uuid(), $1::uuid, 'bench-' || g, 'Member ' || g, 'UTC' FROM generate_series(1, $2) g",
        cid,
        members,
    )
    model = await admin.fetchval("SELECT id FROM members WHERE creator_id = $1 AND external_id = 'bench-1'", cid)
    await enroll_due(platform, cid, pid, [str(model)])
    enrollment = await admin.fetchval("SELECT id FROM program_enrollments WHERE member_id = $1", model)
    new_id = "gen_random_uuid()"
    e_cols, e_select = _copy(await _columns(admin, "program_enrollments"), {"id": new_id, "member_id": "m.id"})
    t_cols, t_select = _copy(await _columns(admin, "program_timers"), {"id": new_id, "enrollment_id": "e.id"})
    await admin.execute(
        f"WITH m AS (SELECT id FROM members WHERE creator_id = $1 AND id <> $2),"
        f" e AS (INSERT INTO program_enrollments ({e_cols}) SELECT {e_select}"
        f" FROM m, program_enrollments t WHERE t.id = $3 RETURNING id)"
        f" INSERT INTO program_timers ({t_cols}) SELECT {t_select} FROM e, program_timers t WHERE t.enrollment_id = $3",
        cid,
        model,
        enrollment,
    )
    return cid


async def _seed(total: int) -> dict[str, Any]:
    import asyncpg

    from backend.lib.platform import Platform
    from common.settings import get_settings

    started = time.perf_counter()
    platform = Platform.open(get_settings())
    admin = await asyncpg.connect(database.admin_dsn(DB_NAME))
    try:
        workspaces = [await _seed_workspace(platform, admin, i, total // WORKSPACES) for i in range(WORKSPACES)]
        for table in ("members", "program_enrollments", "program_timers"):
            await admin.execute(f"VACUUM ANALYZE {table}")
        due = await admin.fetchval(
            "SELECT count(*) FROM program_timers t JOIN program_enrollments e ON e.id = t.enrollment_id"
            " WHERE t.fired_at IS NULL AND t.due_at <= now() AND e.status = 'active' AND e.current_node = 'w'"
        )
    finally:
        await admin.close()
        await platform.close()
    assert due == total, f"seeded {due} due timers, wanted {total}"
    return {"workspaces": [str(w) for w in workspaces], "due": due, "seed_s": round(time.perf_counter() - started, 1)}


# ---- the workers (each in its own process) ---------------------------------------------------------------


def _worker(index: int, knobs: dict[str, int], barrier: Any, results: Any) -> None:
    asyncio.run(_work(index, knobs, barrier, results))


async def _work(index: int, knobs: dict[str, int], barrier: Any, results: Any) -> None:
    import cProfile

    from backend.lib.platform import Platform
    from backend.programs.jobs import run_due
    from common.settings import get_settings

    platform = Platform.open(get_settings())
    try:
        # The pool's connections open before the race, so neither worker starts late.
        warm = min(knobs["concurrency"] + 1, platform.settings.db_pool_size)
        conns = [await platform.db.engine.connect() for _ in range(warm)]
        for conn in conns:
            await conn.exec_driver_sql("SELECT 1")
            await conn.close()
        profile_to = os.environ.get("BENCH_PROGRAMS_PROFILE")
        profiler = cProfile.Profile() if profile_to else None
        barrier.wait(timeout=300)
        cpu, started = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        stats = await run_due(platform, **knobs)
        if profiler:
            profiler.disable()
            profiler.dump_stats(f"{profile_to}.{index}")
        results.put(
            {
                "worker": index,
                **vars(stats),
                "seconds": round(time.perf_counter() - started, 2),
                "cpu_s": round(time.process_time() - cpu, 2),
            }
        )
        barrier.wait(timeout=300)  # the pool's backends stay until the parent has read their CPU time
    finally:
        await platform.close()


def _busy_cpu_s() -> float:
    """CPU seconds the whole machine has spent busy (every process: workers, PostgreSQL, anything else)."""
    with open("/proc/stat") as f:
        ticks = [int(v) for v in f.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _postgres_cpu_s() -> float:
    """CPU seconds used so far by the PostgreSQL backends serving the bench database (the workers' pools)."""
    total = 0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            command = cmdline.read_bytes()
            if not (command.startswith(b"postgres: ") and DB_NAME.encode() in command):
                continue
            fields = (cmdline.parent / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process has gone
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _race(knobs: dict[str, int]) -> dict[str, Any]:
    """Start the workers, release them together, wait for both: wall seconds, CPU seconds (the whole machine,
    the database's backends) and the workers' own figures."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(WORKERS + 1), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(i, knobs, barrier, results)) for i in range(WORKERS)]
    for p in procs:
        p.start()
    try:
        barrier.wait(timeout=300)
        started, busy, postgres = time.perf_counter(), _busy_cpu_s(), _postgres_cpu_s()
        figures: list[dict[str, Any]] = []
        while len(figures) < WORKERS:
            try:
                figures.append(results.get(timeout=2))
            except queue.Empty:
                dead = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(f"a timer worker exited with {dead}") from None
        wall, busy, postgres = time.perf_counter() - started, _busy_cpu_s() - busy, _postgres_cpu_s() - postgres
        barrier.wait(timeout=60)
    finally:
        for p in procs:
            p.join(30)
            if p.is_alive():
                p.kill()
    return {
        "wall_s": round(wall, 2),
        "machine_busy_cpu_s": round(busy, 1),
        "postgres_cpu_s": round(postgres, 1),
        "per_worker": sorted(figures, key=lambda f: f["worker"]),
    }


# ---- checks -----------------------------------------------------------------------------------------


async def _verify(workspaces: list[str]) -> dict[str, int]:
    """Every enrollment advanced exactly once, in its own workspace; no timer left or taken twice."""
    import asyncpg

    admin = await asyncpg.connect(database.admin_dsn(DB_NAME))
    try:
        timers = await admin.fetchrow(
            "SELECT count(*) AS timers, count(*) FILTER (WHERE fired_at IS NULL) AS unfired,"
            " count(*) FILTER (WHERE outcome = 'fired') AS fired, count(*) FILTER (WHERE claims > 1) AS reclaimed"
            " FROM program_timers WHERE creator_id = ANY($1::uuid[])",
            workspaces,
        )
        enrollments = await admin.fetchrow(
            "SELECT count(*) AS enrollments,"
            " count(*) FILTER (WHERE status = 'completed' AND current_node = 'end' AND steps = 2) AS completed,"
            " count(*) FILTER (WHERE steps > 2) AS advanced_twice"
            " FROM program_enrollments WHERE creator_id = ANY($1::uuid[])",
            workspaces,
        )
        # Wake-up messages per enrollment, looked for in the member's conversations of its own workspace.
        messages = await admin.fetchrow(
            "SELECT count(*) FILTER (WHERE n = 1) AS one_message, count(*) FILTER (WHERE n = 0) AS no_message,"
            " coalesce(sum(n - 1) FILTER (WHERE n > 1), 0) AS duplicate_messages FROM ("
            "  SELECT e.id, count(m.id) AS n FROM program_enrollments e"
            "  LEFT JOIN conversations c ON c.member_id = e.member_id AND c.creator_id = e.creator_id"
            "  LEFT JOIN messages m ON m.conversation_id = c.id AND m.content LIKE $2 || '%'"
            "  WHERE e.creator_id = ANY($1::uuid[]) GROUP BY e.id) per",
            workspaces,
            GREETING,
        )
        crossed = await admin.fetchval(
            "SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id"
            " JOIN members u ON u.id = c.member_id"
            " WHERE (m.creator_id <> c.creator_id OR c.creator_id <> u.creator_id) AND m.content LIKE $1 || '%'",
            GREETING,
        )
        conversations = await admin.fetchval(
            "SELECT count(*) FROM (SELECT member_id FROM conversations WHERE creator_id = ANY($1::uuid[])"
            " GROUP BY member_id HAVING count(*) > 1) x",
            workspaces,
        )
    finally:
        await admin.close()
    found = {
        **dict(timers),
        **dict(enrollments),
        **dict(messages),
        "cross_tenant_messages": crossed,
        "members_with_two_conversations": conversations,
    }
    return {k: int(v) for k, v in found.items()}


def knobs() -> dict[str, int]:
    """What `run_due` is called with: its defaults (what the worker job uses), each overridable from the
    environment for experiments (BENCH_PROGRAMS_BATCH, _CONCURRENCY, _PER_TRANSACTION)."""
    from backend.programs import jobs

    defaults = {"batch": jobs.BATCH, "concurrency": jobs.CONCURRENCY, "per_transaction": jobs.PER_TRANSACTION}
    return {k: int(os.environ.get(f"BENCH_PROGRAMS_{k.upper()}", v)) for k, v in defaults.items()}


def run(options: Any) -> dict[str, Any]:
    total = QUICK_MEMBERS if getattr(options, "quick", False) else MEMBERS
    database.use_for_bench(DB_NAME)
    print(f"  seeding {total:,} due enrollments in {WORKSPACES} workspaces", flush=True)
    seeded = asyncio.run(_seed(total))
    print(f"  racing {WORKERS} workers", flush=True)
    settings = knobs()
    race = _race(settings)
    wall, workers = race["wall_s"], race["per_worker"]
    checks = asyncio.run(_verify(seeded["workspaces"]))
    duplicates = checks["duplicate_messages"] + checks["advanced_twice"] + checks["members_with_two_conversations"]
    exact = (
        checks["one_message"] == checks["completed"] == checks["fired"] == total
        and checks["unfired"] == checks["reclaimed"] == checks["cross_tenant_messages"] == duplicates == 0
        and sum(w["applied"] for w in workers) == total
    )
    return {
        "members": total,
        "workspaces": WORKSPACES,
        "workers": WORKERS,
        "knobs": settings,
        "db_pool_size": int(os.environ.get("DB_POOL_SIZE", "10")),
        "seed_s": seeded["seed_s"],
        **race,
        "timers_per_s": round(total / wall, 1),
        "checks": checks,
        "duplicates": duplicates,
        "exactly_once": exact,
        "target_s": TARGET_S,
        "meets": exact and wall <= TARGET_S,
        "profile": PROFILE_NOTES,
    }


def report(result: dict[str, Any]) -> str:
    c = result["checks"]
    knobs = ", ".join(f"{k}={v}" for k, v in result["knobs"].items())
    lines = [
        f"{result['members']:,} enrolled members in {result['workspaces']} workspaces, each waiting on a timer due "
        f"now (start -> wait -> message -> end, published); {result['workers']} worker processes, each its own "
        f"pool of {result['db_pool_size']}, run `run_due({knobs})` from the same instant on {os.cpu_count()} cores "
        f"shared with PostgreSQL. Seeding took {result['seed_s']} s (not timed).",
        "",
        "| members | wall s | timers/s | duplicates | exactly once | target |",
        "|---:|---:|---:|---:|---|---|",
        f"| {result['members']:,} | {result['wall_s']} | {result['timers_per_s']:,} | {result['duplicates']} | "
        f"{'yes' if result['exactly_once'] else 'NO'} | {result['target_s']:.0f} s: "
        f"{'meets' if result['meets'] else 'MISSES'} |",
        "",
        "| worker | claimed | applied | skipped | failed | seconds | CPU s |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {w['worker']} | {w['claimed']:,} | {w['applied']:,} | {w['skipped']} | {w['failed']} | {w['seconds']} | "
        f"{w['cpu_s']} |"
        for w in result["per_worker"]
    ]
    cores = os.cpu_count() or 1
    workers_cpu = sum(w["cpu_s"] for w in result["per_worker"])
    lines += [
        "",
        f"CPU during the race: the machine was busy {result['machine_busy_cpu_s']} CPU-seconds of the "
        f"{cores * result['wall_s']:.0f} its {cores} cores had: the workers {workers_cpu:.1f}, the bench "
        f"database's PostgreSQL backends {result['postgres_cpu_s']}, everything else (other processes on the "
        f"machine, PostgreSQL's own background processes) "
        f"{result['machine_busy_cpu_s'] - workers_cpu - result['postgres_cpu_s']:.1f}.",
        "",
        "Checks afterwards (SQL as the superuser):",
        "",
        "| check | found |",
        "|---|---:|",
        f"| timers fired (after exactly one claim: re-claimed {c['reclaimed']}) | {c['fired']:,} of {c['timers']:,} |",
        f"| timers left unfired | {c['unfired']} |",
        f"| enrollments completed at `end` in 2 steps | {c['completed']:,} of {c['enrollments']:,} |",
        f"| enrollments advanced more than once | {c['advanced_twice']} |",
        f"| members with exactly one wake-up message / none | {c['one_message']:,} / {c['no_message']} |",
        f"| duplicate wake-up messages | {c['duplicate_messages']} |",
        f"| members with more than one conversation | {c['members_with_two_conversations']} |",
        f"| wake-up messages outside the member's workspace | {c['cross_tenant_messages']} |",
    ]
    if result.get("profile"):
        lines += ["", result["profile"]]
    return "\n".join(lines)
