"""Due timers: two concurrent workers advance each timer exactly once; tenants never cross; the claim
function is the only cross-tenant path and returns ids only."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext
from backend.programs import repository, runtime
from backend.programs.jobs import run_due
from common.settings import get_settings
from tests.conftest import APP_URL
from tests.fixtures.programs import enroll_due, wait_graph
from tests.programs.conftest import dsn, member, published


async def bulk_members(admin: asyncpg.Connection, workspace_id: str, n: int) -> list[str]:
    ids = [uuid.uuid4() for _ in range(n)]
    await admin.executemany(
        "INSERT INTO members (id, creator_id, external_id, display_name) VALUES ($1, $2::uuid, $3, $4)",
        [(i, workspace_id, f"bulk-{i.hex[:12]}", "Bulk") for i in ids],
    )
    return [str(i) for i in ids]


async def test_two_workers_advance_each_timer_exactly_once(
    platform: Platform,
    client: AsyncTestClient[Any],
    creator: dict[str, Any],
    other_creator: dict[str, Any],
    admin_conn: Any,
) -> None:
    per_tenant = 150
    for staff in (creator, other_creator):
        pid = await published(client, staff, wait_graph())
        members = await bulk_members(admin_conn, staff["workspace_id"], per_tenant)
        await enroll_due(platform, staff["workspace_id"], pid, members)
    workspaces = [creator["workspace_id"], other_creator["workspace_id"]]

    # The app's in-process job worker also advances due timers (its timer job re-arms itself): stop it,
    # so the two workers below are the only ones racing and their counts add up to the total.
    # (The app runs on the test client's own event loop: call into it through its portal.)
    await asyncio.to_thread(client.blocking_portal.call, client.app.state.platform.services.jobs.stop_worker)
    # Two workers with their own connection pools, racing over the same due timers in small batches.
    workers = [Platform.open(get_settings()) for _ in range(2)]
    for w in workers:  # connections open before the race, so neither worker starts late
        async with w.db.engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")
    try:
        stats = await asyncio.gather(*(run_due(w, batch=10, concurrency=4) for w in workers))
    finally:
        for w in workers:
            await w.close()
    applied = sum(s.applied for s in stats)
    assert all(s.failed == 0 for s in stats)
    assert all(s.claimed > 0 for s in stats), "both workers should have claimed some timers"
    assert applied == 2 * per_tenant, [vars(s) for s in stats]

    rows = await admin_conn.fetch(
        "SELECT t.creator_id, t.claims, t.outcome, e.status, e.creator_id AS ecid FROM program_timers t"
        " JOIN program_enrollments e ON e.id = t.enrollment_id WHERE t.creator_id = ANY($1::uuid[])",
        workspaces,
    )
    assert len(rows) == 2 * per_tenant
    assert {(r["claims"], r["outcome"], r["status"]) for r in rows} == {(1, "fired", "completed")}
    assert all(r["creator_id"] == r["ecid"] for r in rows)
    # Exactly one wake-up message per member, in the member's own workspace.
    counts = await admin_conn.fetch(
        "SELECT c.member_id, c.creator_id, count(*) AS n FROM messages m"
        " JOIN conversations c ON c.id = m.conversation_id"
        " WHERE c.creator_id = ANY($1::uuid[]) AND m.content LIKE 'Wake up,%' GROUP BY 1, 2",
        workspaces,
    )
    assert len(counts) == 2 * per_tenant and {r["n"] for r in counts} == {1}
    # A second pass finds nothing left.
    again = await run_due(platform)
    assert again.applied == 0


async def test_expired_claim_is_retaken_without_double_advance(
    platform: Platform, client: AsyncTestClient[Any], creator: dict[str, Any], admin_conn: Any
) -> None:
    pid = await published(client, creator, wait_graph())
    mid = await member(client, creator, "lost-lease")
    await enroll_due(platform, creator["workspace_id"], pid, [mid])
    # A worker claims and "dies" before the step; after the lease another worker retakes the timer.
    async with platform.db.session(None) as db:
        claimed = await repository.claim_due(db, 1000, 60)
        await db.commit()
    assert any(c == uuid.UUID(creator["workspace_id"]) for _, c in claimed)
    assert (await run_due(platform, lease_seconds=60)).applied == 0  # still leased
    await admin_conn.execute(
        "UPDATE program_timers SET claimed_at = now() - interval '10 minutes' WHERE creator_id = $1::uuid",
        creator["workspace_id"],
    )
    first = await run_due(platform, lease_seconds=60)
    assert first.applied >= 1
    # Firing the same timer again (a zombie worker waking up) does nothing.
    timer_id = await admin_conn.fetchval(
        "SELECT id FROM program_timers WHERE creator_id = $1::uuid", creator["workspace_id"]
    )
    async with platform.db.session(TenantContext(uuid.UUID(creator["workspace_id"]))) as db:
        result = await runtime.fire_timer(db, timer_id)
        await db.commit()
    assert result.outcome == "duplicate"
    rows = await admin_conn.fetch(
        "SELECT m.content FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE c.member_id = $1::uuid",
        mid,
    )
    assert [r["content"] for r in rows] == ["Wake up, Lost-Lease"]


async def test_claim_function_is_narrow(migrated_database: str, admin_conn: Any) -> None:
    app = await asyncpg.connect(dsn(APP_URL))
    try:
        stmt = await app.prepare("SELECT * FROM claim_program_timers(1, 300)")
        assert [a.name for a in stmt.get_attributes()] == ["timer_id", "creator_id", "enrollment_id"]
        # Direct reads stay filtered by RLS: without a tenant the app role sees no timers.
        assert await admin_conn.fetchval("SELECT count(*) FROM program_timers") > 0
        assert await app.fetchval("SELECT count(*) FROM program_timers") == 0
        assert await app.fetchval("SELECT count(*) FROM program_enrollments") == 0
        # Nor can it become the function's owner role or replace the function.
        for sql in (
            "SET ROLE coachtwin_timers",
            "CREATE OR REPLACE FUNCTION claim_program_timers(p_limit integer, p_lease_seconds integer)"
            " RETURNS TABLE(timer_id uuid, creator_id uuid, enrollment_id uuid) LANGUAGE sql AS $$ SELECT NULL::uuid,"
            " NULL::uuid, NULL::uuid $$",
        ):
            try:
                await app.execute(sql)
            except asyncpg.PostgresError as exc:
                assert isinstance(exc, asyncpg.InsufficientPrivilegeError | asyncpg.UndefinedFunctionError), exc
            else:
                raise AssertionError(f"app role could run: {sql}")
    finally:
        await app.close()
    grants = await admin_conn.fetch(
        "SELECT table_name, privilege_type FROM information_schema.role_table_grants WHERE grantee = 'coachtwin_timers'"
    )
    assert {(r["table_name"], r["privilege_type"]) for r in grants} == {
        ("program_timers", "SELECT"),
        ("program_timers", "UPDATE"),
    }
    role = await admin_conn.fetchrow(
        "SELECT rolcanlogin, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'coachtwin_timers'"
    )
    assert dict(role) == {"rolcanlogin": False, "rolsuper": False, "rolbypassrls": False}
