"""Trainer: gold questions, evaluation runs and their results, corrections; RLS forced on all.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from alembic import op
from backend.lib.db import role_of
from backend.lib.rls import tenant_table
from common.settings import get_settings

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("gold_questions", "evaluations", "evaluation_results", "corrections")


def _id() -> sa.Column:
    return sa.Column("id", UUID(), primary_key=True)


def _tenant() -> sa.Column:
    return sa.Column("creator_id", UUID(), sa.ForeignKey("creators.id", ondelete="CASCADE"), nullable=False, index=True)


def _created() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def upgrade() -> None:
    app_role, _ = role_of(get_settings().database_url)
    op.create_table(
        "gold_questions",
        _id(),
        _tenant(),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("must_cite_document_id", UUID(), sa.ForeignKey("documents.id", ondelete="SET NULL")),
        sa.Column("created_by", UUID()),
        _created(),
    )
    op.create_table(
        "evaluations",
        _id(),
        _tenant(),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False, server_default="0"),
        sa.Column("persona_version", sa.Integer()),
        sa.Column("evaluated_version", sa.Integer()),
        sa.Column("mode", sa.String(16)),
        sa.Column("total", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("summary", JSONB(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("requested_by", UUID()),
        _created(),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status IN ('queued','running','done','failed')", name="evaluations_status_check"),
        sa.CheckConstraint("progress >= 0 AND progress <= 1", name="evaluations_progress_check"),
    )
    op.create_index("ix_evaluations_creator_created", "evaluations", ["creator_id", "created_at"])
    op.create_table(
        "evaluation_results",
        _id(),
        _tenant(),
        sa.Column(
            "evaluation_id", UUID(), sa.ForeignKey("evaluations.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("gold_id", UUID(), sa.ForeignKey("gold_questions.id", ondelete="SET NULL")),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("expected", sa.Text(), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("cited_ok", sa.Boolean(), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("style", sa.Float()),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("citations", JSONB(), nullable=False),
        _created(),
        sa.UniqueConstraint("evaluation_id", "position"),
    )
    op.create_table(
        "corrections",
        _id(),
        _tenant(),
        sa.Column("message_id", UUID(), sa.ForeignKey("messages.id", ondelete="SET NULL")),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False, server_default="false"),
        sa.Column("question_vector", sa.LargeBinary(), nullable=False),
        sa.Column("proposed_by", UUID()),
        sa.Column("approved_by", UUID()),
        sa.Column("approved_at", sa.DateTime(timezone=True)),
        _created(),
    )
    op.create_index("ix_corrections_creator_approved", "corrections", ["creator_id", "approved"])
    for table in TABLES:
        for stmt in tenant_table(table, app_role):
            op.execute(stmt)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
