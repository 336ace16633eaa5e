"""Coaching programs: programs, frozen versions, enrollments, events, timers, achievements; RLS on all.

Timers are claimed across tenants by the job worker, which runs as the app role and sees no rows without
a tenant. Its one narrow path: `claim_program_timers`, a SECURITY DEFINER function owned by a NOLOGIN
role whose only rights are SELECT/UPDATE on program_timers (through a policy for that role alone). It
returns (timer_id, creator_id, enrollment_id) and nothing else; each step then runs tenant-scoped.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from alembic import op
from backend.lib.db import role_of
from backend.lib.rls import create_nologin_role, quote_ident, tenant_table
from common.settings import get_settings

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMER_ROLE = "coachtwin_timers"
TABLES = (
    "programs",
    "program_versions",
    "program_enrollments",
    "program_events",
    "program_timers",
    "program_achievements",
)


def _id() -> sa.Column:
    return sa.Column("id", UUID(), primary_key=True)


def _tenant() -> sa.Column:
    return sa.Column("creator_id", UUID(), sa.ForeignKey("creators.id", ondelete="CASCADE"), nullable=False, index=True)


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _now(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def _fk(name: str, table: str, index: bool = True) -> sa.Column:
    return sa.Column(name, UUID(), sa.ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=False, index=index)


def upgrade() -> None:
    app_role, _ = role_of(get_settings().database_url)
    op.create_table(
        "programs",
        _id(),
        _tenant(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("draft", JSONB(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("published_version", sa.Integer()),
        sa.Column("created_by", UUID()),
        _now("created_at"),
        _now("updated_at"),
    )
    op.create_table(
        "program_versions",
        _id(),
        _tenant(),
        _fk("program_id", "programs"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("graph", JSONB(), nullable=False),
        sa.Column("published_by", UUID()),
        _now("published_at"),
        sa.UniqueConstraint("program_id", "version"),
    )
    op.create_table(
        "program_enrollments",
        _id(),
        _tenant(),
        _fk("program_id", "programs"),
        _fk("version_id", "program_versions"),
        _fk("member_id", "members"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("current_node", sa.String(100)),
        sa.Column("state", JSONB(), nullable=False),
        sa.Column("steps", sa.Integer(), nullable=False, server_default="0"),
        _now("enrolled_at"),
        _now("updated_at"),
        _ts("completed_at"),
        sa.CheckConstraint(
            "status IN ('active','paused','completed','unenrolled')", name="program_enrollments_status_check"
        ),
    )
    # One running (active or paused) enrollment per member and program, enforced by the database.
    op.execute(
        "CREATE UNIQUE INDEX ux_program_enrollments_running ON program_enrollments (program_id, member_id)"
        " WHERE status IN ('active','paused')"
    )
    op.create_table(
        "program_events",
        _id(),
        _tenant(),
        _fk("enrollment_id", "program_enrollments", index=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("node_id", sa.String(100)),
        sa.Column("payload", JSONB(), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False, server_default=""),
        _now("received_at"),
        sa.UniqueConstraint("enrollment_id", "key"),
    )
    op.create_table(
        "program_timers",
        _id(),
        _tenant(),
        _fk("enrollment_id", "program_enrollments"),
        sa.Column("node_id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        _ts("due_at", nullable=False),
        _ts("claimed_at"),
        sa.Column("claims", sa.Integer(), nullable=False, server_default="0"),
        _ts("fired_at"),
        sa.Column("outcome", sa.String(16)),
        _now("created_at"),
    )
    # The claim scans pending timers by due time only.
    op.execute("CREATE INDEX ix_program_timers_pending ON program_timers (due_at) WHERE fired_at IS NULL")
    op.create_table(
        "program_achievements",
        _id(),
        _tenant(),
        _fk("enrollment_id", "program_enrollments"),
        _fk("member_id", "members"),
        sa.Column("node_id", sa.String(100), nullable=False),
        sa.Column("occurrence", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("name", sa.String(200), nullable=False),
        _now("achieved_at"),
        sa.UniqueConstraint("enrollment_id", "node_id", "occurrence"),
    )
    for table in TABLES:
        for stmt in tenant_table(table, app_role):
            op.execute(stmt)

    # The cross-tenant claim: a NOLOGIN owner with rights on program_timers only, a policy for it alone.
    timers = quote_ident(TIMER_ROLE)
    op.execute(create_nologin_role(TIMER_ROLE))
    op.execute(f"GRANT USAGE ON SCHEMA public TO {timers}")
    op.execute(f"GRANT SELECT, UPDATE ON program_timers TO {timers}")
    op.execute(f"CREATE POLICY timer_claim ON program_timers FOR ALL TO {timers} USING (true) WITH CHECK (true)")
    op.execute(
        """
CREATE FUNCTION claim_program_timers(p_limit integer, p_lease_seconds integer)
RETURNS TABLE(timer_id uuid, creator_id uuid, enrollment_id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  UPDATE program_timers t
  SET claimed_at = clock_timestamp(), claims = t.claims + 1
  FROM (
    SELECT p.id FROM program_timers p
    WHERE p.fired_at IS NULL AND p.due_at <= clock_timestamp()
      AND (p.claimed_at IS NULL
           OR p.claimed_at < clock_timestamp() - make_interval(secs => greatest(p_lease_seconds, 5)))
    ORDER BY p.due_at
    LIMIT least(greatest(p_limit, 0), 5000)
    FOR UPDATE SKIP LOCKED
  ) due
  WHERE t.id = due.id
  RETURNING t.id, t.creator_id, t.enrollment_id
$$"""
    )
    op.execute(
        """
CREATE FUNCTION next_program_timer_due()
RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT min(due_at) FROM program_timers WHERE fired_at IS NULL
$$"""
    )
    op.execute(
        f"DO $$ BEGIN EXECUTE format('GRANT {TIMER_ROLE} TO %I', current_user); EXCEPTION WHEN others THEN NULL; END $$"
    )
    app = quote_ident(app_role)
    for signature in ("claim_program_timers(integer, integer)", "next_program_timer_due()"):
        op.execute(f"ALTER FUNCTION {signature} OWNER TO {timers}")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {app}")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS claim_program_timers(integer, integer)")
    op.execute("DROP FUNCTION IF EXISTS next_program_timer_due()")
    for table in reversed(TABLES):
        op.drop_table(table)
