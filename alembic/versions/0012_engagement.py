"""Proactive engagement: behaviour events, preferences and last activity, triggers, firings and the decision log.

- `member_events` are append-only: the app role may SELECT and INSERT them only; `(creator_id, client_id)`
  is unique (a client's retry stores nothing).
- `member_engagement.last_active_at` follows the member's own messages on every channel through a row
  trigger on `messages` (no write path can forget it) and events through the events service.
- `engagement_firings` is unique per (trigger, member, occurrence): two workers, or a retried job, insert
  one firing and so send at most once.
- `engagement_due_tenants()`: the workspaces with enabled triggers or deferred firings due, across tenants,
  through one narrow SECURITY DEFINER function (the pattern of `claim_program_timers`).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from alembic import op
from backend.lib.db import role_of
from backend.lib.rls import create_nologin_role, quote_ident, tenant_table
from common.settings import get_settings

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "coachtwin_engagement"
FUNCTION = "engagement_due_tenants()"
TABLES = (
    "engagement_event_types",
    "member_events",
    "member_engagement",
    "engagement_triggers",
    "engagement_firings",
    "engagement_decisions",
)


def _id() -> sa.Column:
    return sa.Column("id", UUID(), primary_key=True)


def _tenant() -> sa.Column:
    return sa.Column("creator_id", UUID(), sa.ForeignKey("creators.id", ondelete="CASCADE"), nullable=False, index=True)


def _ts(name: str, nullable: bool = True, now: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, server_default=sa.func.now() if now else None)


def _fk(name: str, table: str, index: bool = False, nullable: bool = False, ondelete: str = "CASCADE") -> sa.Column:
    return sa.Column(name, UUID(), sa.ForeignKey(f"{table}.id", ondelete=ondelete), nullable=nullable, index=index)


def _json(name: str, default: str = "{}") -> sa.Column:
    return sa.Column(name, JSONB(), nullable=False, server_default=default)


def _int(name: str, default: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=False, server_default=default)


def upgrade() -> None:
    app_role, _ = role_of(get_settings().database_url)
    app = quote_ident(app_role)
    op.create_table(
        "engagement_event_types",
        _id(),
        _tenant(),
        sa.Column("name", sa.String(100), nullable=False),
        _json("schema"),
        _ts("created_at", False, True),
        sa.UniqueConstraint("creator_id", "name"),
    )
    op.create_table(
        "member_events",
        _id(),
        _tenant(),
        _fk("member_id", "members"),
        sa.Column("client_id", sa.String(200), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        _ts("at", False),
        _json("properties"),
        sa.Column("source", sa.String(16), nullable=False),
        _ts("received_at", False, True),
        sa.UniqueConstraint("creator_id", "client_id"),
    )
    op.create_index("ix_member_events_member_name_at", "member_events", ["member_id", "name", "at"])
    op.create_index("ix_member_events_name_received", "member_events", ["creator_id", "name", "received_at"])
    op.create_table(
        "member_engagement",
        _id(),
        _tenant(),
        _fk("member_id", "members"),
        _ts("last_active_at"),
        sa.Column("quiet_start", sa.String(5)),
        sa.Column("quiet_end", sa.String(5)),
        _ts("paused_until"),
        sa.Column("opt_out_channels", ARRAY(sa.String(16)), nullable=False, server_default="{}"),
        _ts("updated_at", False, True),
        sa.UniqueConstraint("member_id"),
    )
    op.create_index("ix_member_engagement_active", "member_engagement", ["creator_id", "last_active_at"])
    op.create_table(
        "engagement_triggers",
        _id(),
        _tenant(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        _json("params"),
        _json("action"),
        _json("audience"),
        sa.Column("quiet_hours", JSONB()),
        _int("cooldown_hours", "24"),
        _int("max_per_day", "1"),
        _int("max_per_week", "3"),
        _int("holdout_percent", "0"),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default="false"),
        _ts("created_at", False, True),
        _ts("updated_at", False, True),
        sa.CheckConstraint(
            "kind IN ('inactivity','missed_checkin','streak_broken','milestone','event','risk')",
            name="engagement_triggers_kind_check",
        ),
        sa.CheckConstraint("holdout_percent BETWEEN 0 AND 100", name="engagement_triggers_holdout_check"),
    )
    op.create_table(
        "engagement_firings",
        _id(),
        _tenant(),
        _fk("trigger_id", "engagement_triggers"),
        _fk("member_id", "members", index=True),
        sa.Column("occurrence", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _ts("due_at", False),
        _ts("created_at", False, True),
        sa.UniqueConstraint("trigger_id", "member_id", "occurrence"),
        sa.CheckConstraint("status IN ('pending','done')", name="engagement_firings_status_check"),
    )
    op.execute("CREATE INDEX ix_engagement_firings_pending ON engagement_firings (due_at) WHERE status = 'pending'")
    op.create_table(
        "engagement_decisions",
        _id(),
        _tenant(),
        _fk("trigger_id", "engagement_triggers"),
        _fk("member_id", "members"),
        _fk("firing_id", "engagement_firings", index=True),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("channel", sa.String(16)),
        _fk("message_id", "messages", nullable=True, ondelete="SET NULL"),
        _ts("at", False),
        sa.CheckConstraint(
            "outcome IN ('sent','deferred_quiet_hours','capped','cooldown','opted_out','holdout',"
            "'cancelled_member_active')",
            name="engagement_decisions_outcome_check",
        ),
    )
    op.create_index("ix_engagement_decisions_at", "engagement_decisions", ["creator_id", "at"])
    op.create_index("ix_engagement_decisions_member_at", "engagement_decisions", ["member_id", "at"])
    op.create_index("ix_engagement_decisions_trigger_at", "engagement_decisions", ["trigger_id", "at"])

    for table in TABLES:
        statements = tenant_table(table, app_role)
        if table == "member_events":  # append-only
            statements[-1] = f"GRANT SELECT, INSERT ON {table} TO {app}"
        for stmt in statements:
            op.execute(stmt)

    # A member's own message (any channel) is activity; written by the inserting session, under its tenant.
    op.execute(
        """
CREATE FUNCTION engagement_member_wrote() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO member_engagement (id, creator_id, member_id, last_active_at, updated_at)
  SELECT gen_random_uuid(), c.creator_id, c.member_id, NEW.created_at, now()
  FROM conversations c WHERE c.id = NEW.conversation_id AND c.member_id IS NOT NULL
  ON CONFLICT (member_id) DO UPDATE
    SET last_active_at = greatest(member_engagement.last_active_at, EXCLUDED.last_active_at), updated_at = now();
  RETURN NULL;
END $$"""
    )
    op.execute(
        "CREATE TRIGGER messages_member_activity AFTER INSERT ON messages FOR EACH ROW "
        "WHEN (NEW.sender = 'member') EXECUTE FUNCTION engagement_member_wrote()"
    )

    role = quote_ident(ROLE)
    op.execute(create_nologin_role(ROLE))
    op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    op.execute(f"GRANT SELECT (creator_id, enabled) ON engagement_triggers TO {role}")
    op.execute(f"GRANT SELECT (creator_id, status, due_at) ON engagement_firings TO {role}")
    op.execute(f"CREATE POLICY engagement_due ON engagement_triggers FOR SELECT TO {role} USING (true)")
    op.execute(f"CREATE POLICY engagement_due ON engagement_firings FOR SELECT TO {role} USING (true)")
    op.execute(
        """
CREATE FUNCTION engagement_due_tenants()
RETURNS TABLE(creator_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT t.creator_id FROM engagement_triggers t WHERE t.enabled
  UNION
  SELECT f.creator_id FROM engagement_firings f WHERE f.status = 'pending' AND f.due_at <= clock_timestamp()
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
    op.execute("DROP TRIGGER IF EXISTS messages_member_activity ON messages")
    op.execute("DROP FUNCTION IF EXISTS engagement_member_wrote()")
    for table in reversed(TABLES):
        op.drop_table(table)
