"""Outcome analytics: change tracking, members' active hours, per-enrollment facts, daily rollups, contacts
judged 48 h after a proactive decision, and program experiments. RLS (forced) on every table.

- Row triggers write what changed into `analytics_dirty` (an enrollment stepped, a member was active, a twin
  reply or feedback or handoff of a day, a decision to judge 48 h later), under the writer's own tenant, so no
  write path can forget it; the analytics job (backend/analytics/jobs.py) recomputes only those.
- `analytics_activity` keeps one row per member and hour with the first and last instant, written by the same
  triggers from `member_events` and members' own `messages`.
- `analytics_due_tenants()`: the workspaces with something to refresh, across tenants, through one narrow
  SECURITY DEFINER function (the pattern of `engagement_due_tenants`).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from alembic import op
from backend.lib.db import role_of
from backend.lib.rls import create_nologin_role, quote_ident, tenant_table
from common.settings import get_settings

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "coachtwin_analytics"
FUNCTION = "analytics_due_tenants()"
TABLES = (
    "analytics_dirty",
    "analytics_activity",
    "analytics_enrollments",
    "analytics_program_days",
    "analytics_twin_days",
    "analytics_contacts",
    "program_experiments",
)
TRIGGERS = (  # (trigger, table, function)
    ("analytics_enrollment_changed", "program_enrollments", "analytics_enrollment_changed()"),
    ("analytics_member_event", "member_events", "analytics_member_event()"),
    ("analytics_message", "messages", "analytics_message()"),
    ("analytics_feedback", "message_feedback", "analytics_feedback()"),
    ("analytics_handoff", "conversations", "analytics_handoff()"),
    ("analytics_decision", "engagement_decisions", "analytics_decision()"),
)


def _id() -> sa.Column:
    return sa.Column("id", UUID(), primary_key=True)


def _tenant() -> sa.Column:
    return sa.Column("creator_id", UUID(), sa.ForeignKey("creators.id", ondelete="CASCADE"), nullable=False, index=True)


def _ts(name: str, nullable: bool = True, now: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, server_default=sa.func.now() if now else None)


def _fk(name: str, table: str, index: bool = False, unique: bool = False) -> sa.Column:
    return sa.Column(
        name, UUID(), sa.ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=False, index=index, unique=unique
    )


def _int(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=False, server_default="0")


def _tables() -> None:
    op.create_table(
        "analytics_dirty",
        _id(),
        _tenant(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        _ts("due_at", False, True),
        sa.UniqueConstraint("creator_id", "kind", "ref"),
    )
    op.create_index("ix_analytics_dirty_due", "analytics_dirty", ["due_at"])
    op.create_table(
        "analytics_activity",
        _id(),
        _tenant(),
        _fk("member_id", "members"),
        _ts("hour", False),
        _ts("first_at", False),
        _ts("last_at", False),
        sa.UniqueConstraint("member_id", "hour"),
    )
    op.create_table(
        "analytics_enrollments",
        _id(),
        _tenant(),
        _fk("enrollment_id", "program_enrollments", unique=True),
        _fk("program_id", "programs"),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("member_id", "members", index=True),
        sa.Column("enrolled_day", sa.Date(), nullable=False),
        sa.Column("completed", sa.Boolean(), nullable=False, server_default="false"),
        _int("sent"),
        _int("answered"),
        sa.Column("reached", ARRAY(sa.String(100)), nullable=False, server_default="{}"),
        sa.Column("dropped_at", sa.String(100)),
        sa.Column("waits", JSONB(), nullable=False, server_default="{}"),
        sa.Column("goals", JSONB(), nullable=False, server_default="{}"),
        sa.Column("metrics", JSONB(), nullable=False, server_default="{}"),
        _int("streak_current"),
        _int("streak_longest"),
        sa.Column("active_weeks", ARRAY(sa.Integer()), nullable=False, server_default="{}"),
        _ts("refreshed_at", False, True),
    )
    op.create_index(
        "ix_analytics_enrollments_cohort", "analytics_enrollments", ["program_id", "version", "enrolled_day"]
    )
    op.create_table(
        "analytics_program_days",
        _id(),
        _tenant(),
        _fk("program_id", "programs"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        _int("enrolled"),
        sa.Column("data", JSONB(), nullable=False, server_default="{}"),
        sa.UniqueConstraint("program_id", "version", "day"),
    )
    op.create_table(
        "analytics_twin_days",
        _id(),
        _tenant(),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        *[_int(n) for n in ("replies", "grounded", "refused", "flagged", "up", "down", "handoffs")],
        sa.Column("consistency_sum", sa.Float(), nullable=False, server_default="0"),
        _int("consistency_n"),
        sa.UniqueConstraint("creator_id", "day", "mode"),
    )
    op.create_table(
        "analytics_contacts",
        _id(),
        _tenant(),
        _fk("decision_id", "engagement_decisions", unique=True),
        _fk("trigger_id", "engagement_triggers", index=True),
        _fk("member_id", "members"),
        sa.Column("holdout", sa.Boolean(), nullable=False),
        _ts("at", False),
        sa.Column("reactivated", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "program_experiments",
        _id(),
        _tenant(),
        _fk("program_id", "programs", index=True),
        sa.Column("version_a", sa.Integer(), nullable=False),
        sa.Column("version_b", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("metric_node", sa.String(100)),
        sa.Column("status", sa.String(16), nullable=False),
        _ts("started_at", False, True),
        _ts("stopped_at"),
        sa.Column("created_by", UUID()),
        sa.CheckConstraint("outcome IN ('completion','adherence','metric')", name="program_experiments_outcome_check"),
        sa.CheckConstraint("status IN ('running','stopped')", name="program_experiments_status_check"),
    )
    op.execute(
        "CREATE UNIQUE INDEX ux_program_experiments_running ON program_experiments (program_id) "
        "WHERE status = 'running'"
    )
    # The twin's replies by day, for the twin quality rollup.
    op.execute("CREATE INDEX ix_messages_twin_created ON messages (creator_id, created_at) WHERE sender = 'twin'")


# Each function runs in the writing session (its tenant): a dirty mark, once per thing until refreshed.
_MARK = (
    "INSERT INTO analytics_dirty (id, creator_id, kind, ref, due_at) VALUES (gen_random_uuid(), {cid}, {kind}, "
    "{ref}, {due}) ON CONFLICT (creator_id, kind, ref) DO NOTHING;"
)
_ACTIVE = """
  INSERT INTO analytics_activity (id, creator_id, member_id, hour, first_at, last_at)
  VALUES (gen_random_uuid(), {cid}, {mid}, date_trunc('hour', {at}), {at}, {at})
  ON CONFLICT (member_id, hour) DO UPDATE
    SET first_at = least(analytics_activity.first_at, EXCLUDED.first_at),
        last_at = greatest(analytics_activity.last_at, EXCLUDED.last_at);
"""


def _day(ts: str) -> str:
    return f"to_char({ts} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


FUNCTIONS = {
    "analytics_enrollment_changed()": _MARK.format(
        cid="NEW.creator_id", kind="'enrollment'", ref="NEW.id::text", due="now()"
    ),
    "analytics_member_event()": _ACTIVE.format(cid="NEW.creator_id", mid="NEW.member_id", at="NEW.at")
    + _MARK.format(cid="NEW.creator_id", kind="'member'", ref="NEW.member_id::text", due="now()"),
    "analytics_message()": """
  SELECT c.member_id INTO m FROM conversations c WHERE c.id = NEW.conversation_id AND c.kind = 'member';
  IF m IS NULL THEN RETURN NULL; END IF;
  IF NEW.sender = 'member' THEN"""
    + _ACTIVE.format(cid="NEW.creator_id", mid="m", at="NEW.created_at")
    + _MARK.format(cid="NEW.creator_id", kind="'member'", ref="m::text", due="now()")
    + "\n  ELSE "
    + _MARK.format(cid="NEW.creator_id", kind="'twin_day'", ref=_day("NEW.created_at"), due="now()")
    + "\n  END IF;",
    "analytics_feedback()": _MARK.format(
        cid="NEW.creator_id", kind="'twin_day'", ref=_day("NEW.created_at"), due="now()"
    ),
    "analytics_handoff()": _MARK.format(
        cid="NEW.creator_id", kind="'twin_day'", ref=_day("NEW.handoff_requested_at"), due="now()"
    ),
    "analytics_decision()": _MARK.format(
        cid="NEW.creator_id", kind="'decision'", ref="NEW.id::text", due="NEW.at + interval '48 hours'"
    ),
}
WHEN = {
    "analytics_enrollment_changed": "AFTER INSERT OR UPDATE",
    "analytics_member_event": "AFTER INSERT",
    "analytics_message": "AFTER INSERT OR UPDATE OF consistency",
    "analytics_feedback": "AFTER INSERT OR UPDATE",
    "analytics_handoff": "AFTER UPDATE OF handoff_requested_at",
    "analytics_decision": "AFTER INSERT",
}
CONDITION = {
    "analytics_message": "WHEN (NEW.sender IN ('member', 'twin'))",
    "analytics_handoff": "WHEN (NEW.handoff_requested_at IS NOT NULL AND NEW.member_id IS NOT NULL "
    "AND NEW.handoff_requested_at IS DISTINCT FROM OLD.handoff_requested_at)",
    "analytics_decision": "WHEN (NEW.outcome IN ('sent', 'holdout'))",
}


def _triggers() -> None:
    for name, table, function in TRIGGERS:
        declare = "DECLARE m uuid;" if name == "analytics_message" else ""
        op.execute(
            f"""
CREATE FUNCTION {function} RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
{declare}
BEGIN
{FUNCTIONS[function]}
  RETURN NULL;
END $$"""
        )
        op.execute(
            f"CREATE TRIGGER {name} {WHEN[name]} ON {table} FOR EACH ROW {CONDITION.get(name, '')} "
            f"EXECUTE FUNCTION {function}"
        )


def upgrade() -> None:
    app_role, _ = role_of(get_settings().database_url)
    app = quote_ident(app_role)
    _tables()
    for table in TABLES:
        for stmt in tenant_table(table, app_role):
            op.execute(stmt)
    _triggers()

    role = quote_ident(ROLE)
    op.execute(create_nologin_role(ROLE))
    op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    op.execute(f"GRANT SELECT (creator_id, kind, due_at) ON analytics_dirty TO {role}")
    op.execute(f"CREATE POLICY analytics_due ON analytics_dirty FOR SELECT TO {role} USING (true)")
    op.execute(
        """
CREATE FUNCTION analytics_due_tenants()
RETURNS TABLE(creator_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT DISTINCT d.creator_id FROM analytics_dirty d
  WHERE d.kind <> 'decision' OR d.due_at <= clock_timestamp()
$$"""
    )
    op.execute(
        f"DO $$ BEGIN EXECUTE format('GRANT {ROLE} TO %I', current_user); EXCEPTION WHEN others THEN NULL; END $$"
    )
    op.execute(f"ALTER FUNCTION {FUNCTION} OWNER TO {role}")
    op.execute(f"REVOKE ALL ON FUNCTION {FUNCTION} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {FUNCTION} TO {app}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}")
    for name, table, function in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.execute("DROP INDEX IF EXISTS ix_messages_twin_created")
    for table in reversed(TABLES):
        op.drop_table(table)
