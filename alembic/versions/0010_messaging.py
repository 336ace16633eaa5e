"""Telegram and WhatsApp: a workspace's messaging channels, their inbound events, opt-outs.

- `messaging_channels`: one row per workspace and channel (`telegram`, `whatsapp`): settings anyone on the
  team may read (bot name, phone number id, API base, template), the secrets (bot token, access token, app
  secret, verify token, webhook secret) sealed in one AES-GCM blob (backend/lib/crypto.py), and its status
  (webhook set, last update received, last error).
- `channel_events`: each inbound webhook event (a Telegram update, a WhatsApp message) once, by the
  provider's id: a duplicate inserts nothing and is dropped. The webhook stores it and answers; a job
  handles it (`processed_at`).
- `member_identities.opted_out_at`: the member said /stop, blocked the bot: nothing more goes there.
- `outbox.template_only`: WhatsApp refused free text (131047, outside the 24-hour window): send the template.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from alembic import op
from backend.lib.db import role_of
from backend.lib.rls import tenant_table
from common.settings import get_settings

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("messaging_channels", "channel_events")


def _tenant() -> sa.Column:
    return sa.Column("creator_id", UUID(), sa.ForeignKey("creators.id", ondelete="CASCADE"), nullable=False, index=True)


def _now(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def upgrade() -> None:
    app_role, _ = role_of(get_settings().database_url)
    op.create_table(
        "messaging_channels",
        sa.Column("id", UUID(), primary_key=True),
        _tenant(),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("settings", JSONB(), nullable=False, server_default="{}"),
        sa.Column("secrets", sa.Text(), nullable=False),
        sa.Column("webhook_set", sa.Boolean(), nullable=False, server_default="false"),
        sa.Column("last_update_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text()),
        _now("created_at"),
        _now("updated_at"),
        sa.UniqueConstraint("creator_id", "channel"),
        sa.CheckConstraint("channel IN ('telegram','whatsapp')", name="messaging_channels_channel_check"),
    )
    op.create_table(
        "channel_events",
        sa.Column("id", UUID(), primary_key=True),
        _tenant(),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("payload", JSONB(), nullable=False, server_default="{}"),
        _now("received_at"),
        sa.Column("processed_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("creator_id", "channel", "event_id"),
    )
    for table in TABLES:
        for stmt in tenant_table(table, app_role):
            op.execute(stmt)
    op.add_column("member_identities", sa.Column("opted_out_at", sa.DateTime(timezone=True)))
    op.add_column("outbox", sa.Column("template_only", sa.Boolean(), nullable=False, server_default="false"))


def downgrade() -> None:
    op.drop_column("outbox", "template_only")
    op.drop_column("member_identities", "opted_out_at")
    for table in reversed(TABLES):
        op.drop_table(table)
