"""Passages keep their sentence vectors for re-ranking (backend/knowledge/spans.py).

Nullable: passages indexed before this have none, and search falls back to the passage vector for them
until their document is indexed again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("chunks", sa.Column("spans", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.drop_column("chunks", "spans")
