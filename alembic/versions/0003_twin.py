"""Twin: persona versions, members, conversations, messages, member facts; RLS on all.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from alembic import op
from backend.lib.db import role_of
from backend.lib.rls import tenant_table
from common.settings import get_settings

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("personas", "members", "conversations", "messages", "member_facts")


def _id() -> sa.Column:
    return sa.Column("id", UUID(), primary_key=True)


def _tenant() -> sa.Column:
    return sa.Column("creator_id", UUID(), sa.ForeignKey("creators.id", ondelete="CASCADE"), nullable=False, index=True)


def _created() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def upgrade() -> None:
    app_role, _ = role_of(get_settings().database_url)
    op.create_table(
        "personas",
        _id(),
        _tenant(),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("card", sa.Text(), nullable=False),
        sa.Column("principles", JSONB(), nullable=False),
        sa.Column("profile", JSONB(), nullable=False),
        sa.Column("llm_card", sa.Text()),
        sa.Column("created_by", UUID()),
        sa.Column("approved_at", sa.DateTime(timezone=True)),
        _created(),
        sa.UniqueConstraint("creator_id", "version"),
        sa.CheckConstraint("status IN ('draft','approved','archived')", name="personas_status_check"),
    )
    # At most one approved persona per workspace, enforced by the database.
    op.execute("CREATE UNIQUE INDEX ux_personas_approved ON personas (creator_id) WHERE status = 'approved'")
    op.create_table(
        "members",
        _id(),
        _tenant(),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
        _created(),
        sa.UniqueConstraint("creator_id", "external_id"),
    )
    op.create_table(
        "conversations",
        _id(),
        _tenant(),
        sa.Column("member_id", UUID(), sa.ForeignKey("members.id", ondelete="CASCADE"), index=True),
        sa.Column("staff_user_id", UUID(), sa.ForeignKey("users.id", ondelete="CASCADE"), index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False, server_default=""),
        sa.Column("flagged", sa.Boolean(), nullable=False, server_default="false"),
        sa.Column("flag_reason", sa.Text()),
        _created(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(
            "(kind = 'member' AND member_id IS NOT NULL) OR (kind = 'playground' AND staff_user_id IS NOT NULL)",
            name="conversations_owner_check",
        ),
    )
    op.create_table(
        "messages",
        _id(),
        _tenant(),
        sa.Column(
            "conversation_id", UUID(), sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("client_id", sa.String(64)),
        sa.Column("mode", sa.String(16)),
        sa.Column("grounded", sa.Boolean()),
        sa.Column("citations", JSONB(), nullable=False, server_default="[]"),
        sa.Column("consistency", sa.Float()),
        sa.Column("safety", sa.String(32)),
        _created(),
        sa.UniqueConstraint("conversation_id", "client_id"),
    )
    op.create_index("ix_messages_conversation_created", "messages", ["conversation_id", "created_at"])
    op.create_table(
        "member_facts",
        _id(),
        _tenant(),
        sa.Column("member_id", UUID(), sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.String(500), nullable=False),
        sa.Column("source_message_id", UUID()),
        _created(),
        sa.UniqueConstraint("member_id", "kind", "text"),
    )
    for table in TABLES:
        for stmt in tenant_table(table, app_role):
            op.execute(stmt)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
