"""Timer claims find their rows by primary key.

`claim_program_timers` updated the timers it had locked through a join that PostgreSQL planned as a hash
join over a sequential scan of program_timers: every claim read every timer ever created (fired ones
stay), so a claim's cost grew with the table's history (100,000 timers fired in batches of 2,000: about
half the drain's database time). The claimed ids now go through `id = ANY(ARRAY(...))`, one primary-key
lookup each. Same signature, owner, grants and results.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # CREATE OR REPLACE keeps the function's owner (the NOLOGIN timer role) and its EXECUTE grants.
    op.execute(
        """
CREATE OR REPLACE FUNCTION claim_program_timers(p_limit integer, p_lease_seconds integer)
RETURNS TABLE(timer_id uuid, creator_id uuid, enrollment_id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  UPDATE program_timers t
  SET claimed_at = clock_timestamp(), claims = t.claims + 1
  WHERE t.id = ANY(ARRAY(
    SELECT p.id FROM program_timers p
    WHERE p.fired_at IS NULL AND p.due_at <= clock_timestamp()
      AND (p.claimed_at IS NULL
           OR p.claimed_at < clock_timestamp() - make_interval(secs => greatest(p_lease_seconds, 5)))
    ORDER BY p.due_at
    LIMIT least(greatest(p_limit, 0), 5000)
    FOR UPDATE SKIP LOCKED
  ))
  RETURNING t.id, t.creator_id, t.enrollment_id
$$"""
    )


def downgrade() -> None:
    # Nothing to undo: the function keeps 0004's signature and results (0004's downgrade drops it).
    pass
