"""Members reach the twin: web channel settings, channel identities, who spoke where, feedback, takeover,
and one outbox for everything the platform says first; RLS on all new tables.

- `web_channels`: one row per workspace (its public widget key, allowed origins, identity settings with the
  HMAC secret encrypted at rest, theme, welcome, starters). The public key is looked up before any tenant
  is known through ONE narrow SECURITY DEFINER function, `web_channel_tenant(key)`, owned by a NOLOGIN role
  that may read only the key and tenant columns of this table; it returns the tenant and nothing else.
- `member_identities`: the channel addresses (widget visitor id, later Telegram chat, WhatsApp ids) that
  lead to one member. The creator's own id for a member stays `members.external_id` (now nullable:
  anonymous visitors have none).
- `messages` say who spoke (`sender`), on which channel, the staff author of a creator's reply, and a `meta`
  object (a check-in's answer options).
- `conversations` carry a creator's takeover and a member's handoff request.
- `message_feedback`: a member's thumbs on a twin reply.
- `outbox`: one row per message the platform sends on its own, unique idempotency key per workspace,
  states queued/sent/delivered/read/failed. Rows left queued (a process died after its commit) are found
  across tenants by `due_outbox`, the same narrow pattern as `claim_program_timers`.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from alembic import op
from backend.lib.db import role_of
from backend.lib.rls import create_nologin_role, quote_ident, tenant_table
from common.settings import get_settings

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNELS_ROLE = "coachtwin_channels"
OUTBOX_ROLE = "coachtwin_outbox"
KEY_FUNCTION = "web_channel_tenant(text)"
DUE_FUNCTION = "due_outbox(integer, integer, integer)"
TABLES = ("web_channels", "member_identities", "message_feedback", "outbox")


def _id() -> sa.Column:
    return sa.Column("id", UUID(), primary_key=True)


def _tenant(unique: bool = False) -> sa.Column:
    return sa.Column(
        "creator_id",
        UUID(),
        sa.ForeignKey("creators.id", ondelete="CASCADE"),
        nullable=False,
        index=not unique,
        unique=unique,
    )


def _now(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def _ts(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True))


def _fk(name: str, table: str, nullable: bool = False, ondelete: str = "CASCADE") -> sa.Column:
    return sa.Column(name, UUID(), sa.ForeignKey(f"{table}.id", ondelete=ondelete), nullable=nullable, index=True)


def upgrade() -> None:
    app_role, _ = role_of(get_settings().database_url)
    app = quote_ident(app_role)

    op.create_table(
        "web_channels",
        _id(),
        _tenant(unique=True),
        sa.Column("public_key", sa.String(40), nullable=False, unique=True),
        sa.Column("allowed_origins", ARRAY(sa.String(255)), nullable=False, server_default="{}"),
        sa.Column("require_identity", sa.Boolean(), nullable=False, server_default="false"),
        sa.Column("identity_secret", sa.Text()),  # AES-GCM ciphertext (backend/lib/crypto.py)
        _ts("identity_secret_rotated_at"),
        sa.Column("theme", JSONB(), nullable=False, server_default="{}"),
        sa.Column("welcome_message", sa.Text(), nullable=False, server_default=""),
        sa.Column("starter_prompts", JSONB(), nullable=False, server_default="[]"),
        _now("created_at"),
        _now("updated_at"),
    )

    op.alter_column("members", "external_id", existing_type=sa.String(200), nullable=True)
    op.add_column("members", sa.Column("last_channel", sa.String(16)))
    op.add_column("members", _ts("last_seen_at"))
    op.create_table(
        "member_identities",
        _id(),
        _tenant(),
        _fk("member_id", "members"),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        _now("created_at"),
        _now("last_seen_at"),
        sa.UniqueConstraint("creator_id", "kind", "value"),
    )

    op.add_column("conversations", _fk("taken_over_by", "users", nullable=True, ondelete="SET NULL"))
    op.add_column("conversations", _ts("taken_over_at"))
    op.add_column("conversations", _ts("handoff_requested_at"))
    op.add_column("conversations", sa.Column("handoff_reason", sa.Text()))

    op.add_column("messages", sa.Column("sender", sa.String(16), nullable=False, server_default="twin"))
    op.add_column("messages", sa.Column("channel", sa.String(16), nullable=False, server_default="web"))
    op.add_column("messages", sa.Column("author_id", UUID(), sa.ForeignKey("users.id", ondelete="SET NULL")))
    op.add_column("messages", sa.Column("meta", JSONB(), nullable=False, server_default="{}"))
    # Who spoke in the messages written before this migration.
    op.execute(
        "UPDATE messages SET sender = CASE WHEN role = 'user' THEN 'member' "
        "WHEN mode = 'program' THEN 'program' ELSE 'twin' END"
    )
    op.execute(
        "UPDATE messages m SET channel = 'hub' FROM conversations c "
        "WHERE c.id = m.conversation_id AND c.kind = 'playground'"
    )
    op.create_check_constraint(
        "messages_sender_check", "messages", "sender IN ('member','twin','creator','program','proactive')"
    )

    op.create_table(
        "message_feedback",
        _id(),
        _tenant(),
        _fk("message_id", "messages"),
        _fk("member_id", "members"),
        sa.Column("rating", sa.String(8), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False, server_default=""),
        _now("created_at"),
        _now("updated_at"),
        sa.UniqueConstraint("message_id", "member_id"),
        sa.CheckConstraint("rating IN ('up','down')", name="message_feedback_rating_check"),
    )

    op.create_table(
        "outbox",
        _id(),
        _tenant(),
        _fk("member_id", "members"),
        _fk("message_id", "messages"),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="queued"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("error", sa.Text()),
        sa.Column("provider_message_id", sa.String(200)),
        _now("next_attempt_at"),
        _ts("claimed_at"),
        _now("created_at"),
        _now("updated_at"),
        _ts("sent_at"),
        _ts("delivered_at"),
        _ts("read_at"),
        sa.UniqueConstraint("creator_id", "idempotency_key"),
        sa.CheckConstraint("status IN ('queued','sent','delivered','read','failed')", name="outbox_status_check"),
    )
    # The sweeper looks only at rows still waiting to be sent.
    op.execute("CREATE INDEX ix_outbox_queued ON outbox (next_attempt_at) WHERE status = 'queued'")

    for table in TABLES:
        for stmt in tenant_table(table, app_role):
            op.execute(stmt)

    # The widget key -> tenant lookup, before any tenant is known.
    channels = quote_ident(CHANNELS_ROLE)
    op.execute(create_nologin_role(CHANNELS_ROLE))
    op.execute(f"GRANT USAGE ON SCHEMA public TO {channels}")
    op.execute(f"GRANT SELECT (creator_id, public_key) ON web_channels TO {channels}")
    op.execute(f"CREATE POLICY web_channel_key ON web_channels FOR SELECT TO {channels} USING (true)")
    op.execute(
        """
CREATE FUNCTION web_channel_tenant(p_key text)
RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT creator_id FROM web_channels WHERE public_key = p_key
$$"""
    )

    # Outbox rows left queued (their job was lost), found across tenants by the sweeper; each is then
    # claimed under its tenant (SKIP LOCKED and a lease), so two sweepers never send one twice.
    outbox = quote_ident(OUTBOX_ROLE)
    op.execute(create_nologin_role(OUTBOX_ROLE))
    op.execute(f"GRANT USAGE ON SCHEMA public TO {outbox}")
    op.execute(f"GRANT SELECT (id, creator_id, status, next_attempt_at, claimed_at) ON outbox TO {outbox}")
    op.execute(f"CREATE POLICY outbox_due ON outbox FOR SELECT TO {outbox} USING (true)")
    op.execute(
        """
CREATE FUNCTION due_outbox(p_limit integer, p_grace_seconds integer, p_lease_seconds integer)
RETURNS TABLE(outbox_id uuid, creator_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT o.id, o.creator_id FROM outbox o
  WHERE o.status = 'queued'
    AND o.next_attempt_at <= clock_timestamp() - make_interval(secs => greatest(p_grace_seconds, 0))
    AND (o.claimed_at IS NULL
         OR o.claimed_at < clock_timestamp() - make_interval(secs => greatest(p_lease_seconds, 5)))
  ORDER BY o.next_attempt_at
  LIMIT least(greatest(p_limit, 0), 1000)
$$"""
    )

    for role, signature in ((CHANNELS_ROLE, KEY_FUNCTION), (OUTBOX_ROLE, DUE_FUNCTION)):
        op.execute(
            f"DO $$ BEGIN EXECUTE format('GRANT {role} TO %I', current_user); EXCEPTION WHEN others THEN NULL; END $$"
        )
        op.execute(f"ALTER FUNCTION {signature} OWNER TO {quote_ident(role)}")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {app}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {DUE_FUNCTION}")
    op.execute(f"DROP FUNCTION IF EXISTS {KEY_FUNCTION}")
    for table in reversed(TABLES):
        op.drop_table(table)
    op.drop_constraint("messages_sender_check", "messages")
    for column in ("meta", "author_id", "channel", "sender"):
        op.drop_column("messages", column)
    for column in ("handoff_reason", "handoff_requested_at", "taken_over_at", "taken_over_by"):
        op.drop_column("conversations", column)
    op.drop_column("members", "last_seen_at")
    op.drop_column("members", "last_channel")
    op.execute("DELETE FROM members WHERE external_id IS NULL")
    op.alter_column("members", "external_id", existing_type=sa.String(200), nullable=False)
