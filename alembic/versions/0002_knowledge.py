"""Knowledge: documents, their bytes, chunks with a full-text vector; RLS on all three.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from alembic import op
from backend.lib.db import role_of
from backend.lib.rls import tenant_table
from common.settings import get_settings

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tenant() -> sa.Column:
    return sa.Column("creator_id", UUID(), sa.ForeignKey("creators.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    app_role, _ = role_of(get_settings().database_url)
    op.create_table(
        "documents",
        sa.Column("id", UUID(), primary_key=True),
        _tenant(),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("filename", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False, server_default="0"),
        sa.Column("chunk_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("error", sa.Text()),
        sa.Column("tags", ARRAY(sa.String(64)), nullable=False, server_default="{}"),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("status IN ('queued','processing','ready','failed')", name="documents_status_check"),
        sa.CheckConstraint("progress >= 0 AND progress <= 1", name="documents_progress_check"),
    )
    op.create_index("ix_documents_creator_created", "documents", ["creator_id", "created_at"])
    op.create_table(
        "document_files",
        sa.Column("id", UUID(), primary_key=True),
        _tenant(),
        sa.Column(
            "document_id", UUID(), sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False, unique=True
        ),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "chunks",
        sa.Column("id", UUID(), primary_key=True),
        _tenant(),
        sa.Column("document_id", UUID(), sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("location", JSONB(), nullable=False),
        sa.Column("token_count", sa.Integer(), nullable=False, server_default="0"),
        sa.UniqueConstraint("document_id", "ordinal"),
    )
    # The full-text vector is derived by PostgreSQL itself, so it can never disagree with the text.
    op.execute("ALTER TABLE chunks ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED")
    op.create_index("ix_chunks_creator", "chunks", ["creator_id"])
    op.execute("CREATE INDEX ix_chunks_tsv ON chunks USING gin (tsv)")
    for table in ("documents", "document_files", "chunks"):
        for stmt in tenant_table(table, app_role):
            op.execute(stmt)


def downgrade() -> None:
    for table in ("chunks", "document_files", "documents"):
        op.drop_table(table)
