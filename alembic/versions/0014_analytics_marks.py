"""Analytics change marks never make a writer wait: one row per change, no unique key.

With `UNIQUE (creator_id, kind, ref)` and `ON CONFLICT DO NOTHING`, a runtime step (or a member's message or event)
whose mark a running refresh had just taken (deleted, not yet committed) waited for that refresh to commit before
its own insert could know whether it conflicted: up to a refresh's length (seconds on a large workspace). Marks are
now plain inserts (a refresh folds duplicates into one); a new change is never lost, because its row is a new one
the running refresh did not take.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONFLICT = " ON CONFLICT (creator_id, kind, ref) DO NOTHING"


def _previous() -> ModuleType:
    """Migration 0013, whose trigger functions these are (a module name cannot start with a digit)."""
    spec = importlib.util.spec_from_file_location("analytics_0013", Path(__file__).with_name("0013_analytics.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _replace(keep_conflict: bool) -> None:
    previous = _previous()
    for name, _table, function in previous.TRIGGERS:
        body = previous.FUNCTIONS[function]
        if not keep_conflict:
            body = body.replace(CONFLICT, "")
        declare = "DECLARE m uuid;" if name == "analytics_message" else ""
        op.execute(
            f"""
CREATE OR REPLACE FUNCTION {function} RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
{declare}
BEGIN
{body}
  RETURN NULL;
END $$"""
        )


def upgrade() -> None:
    _replace(keep_conflict=False)
    op.drop_constraint("analytics_dirty_creator_id_kind_ref_key", "analytics_dirty", type_="unique")


def downgrade() -> None:
    op.execute(
        "DELETE FROM analytics_dirty a USING analytics_dirty b WHERE a.creator_id = b.creator_id"
        " AND a.kind = b.kind AND a.ref = b.ref AND a.id > b.id"
    )
    op.create_unique_constraint(
        "analytics_dirty_creator_id_kind_ref_key", "analytics_dirty", ["creator_id", "kind", "ref"]
    )
    _replace(keep_conflict=True)
