"""The full-text leg ranks in one narrow SECURITY DEFINER function, so its match can use an index.

Under forced RLS the planner may not evaluate `tsv @@ query` before the tenant policy (`ts_match_vq` is not
leakproof), so the GIN index on `tsv` was never used as an index condition: every search read all of the
tenant's passages and filtered them (~25 ms for 4,000 passages). `knowledge_lexical(query, limit)` is owned
by a NOLOGIN role whose only rights are to read three columns of `chunks` and the per-tenant BM25 figures
in `knowledge_stats` (new here), through policies for that role alone. It takes the tenant ONLY from the
transaction's `app.current_creator_id` (no argument names a tenant) and filters on it explicitly, so no
tenant set means no rows. Its index holds the tenant and the lexemes together (btree_gin): the scan reads
only the tenant's passages that share a lexeme with the question (~0.2 ms instead of ~6 ms through the
tsv-only index, whose posting lists span every tenant).

It returns the `limit` best passages by BM25 (id, score), computed over all the matching passages; ranking
them all costs less than the cover-density pool of 150 it replaces (ts_rank_cd was most of that query).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from alembic import op
from backend.lib.db import role_of
from backend.lib.rls import TENANT_EXPR, create_nologin_role, quote_ident, tenant_table
from common.settings import get_settings

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_ROLE = "coachtwin_search"
SIGNATURE = "knowledge_lexical(text, integer)"
K1, B = 1.2, 0.75  # BM25's; backend/knowledge/lexical.py keeps a reference implementation
MAX_LIMIT = 500


def upgrade() -> None:
    app_role = role_of(get_settings().database_url)[0]
    app = quote_ident(app_role)
    search = quote_ident(SEARCH_ROLE)
    # BM25's corpus figures per tenant, kept by backend/knowledge/lexical.py:refresh_stats after each
    # document is indexed or deleted (they were in Redis: reading them there cost a round trip per search).
    op.create_table(
        "knowledge_stats",
        sa.Column("creator_id", UUID(), sa.ForeignKey("creators.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("passages", sa.Integer(), nullable=False),
        sa.Column("avg_length", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    for stmt in tenant_table("knowledge_stats", app_role):
        op.execute(stmt)
    op.execute(
        "INSERT INTO knowledge_stats (creator_id, passages, avg_length) "
        "SELECT creator_id, count(*), avg(length(tsv)) FROM chunks GROUP BY creator_id"
    )
    # btree_gin is contrib (trusted since PostgreSQL 13): the embedded server (pgserver) ships without it.
    # There the lexemes-only GIN index stays, which the function can still use (its role's policy is `true`).
    available = "SELECT 1 FROM pg_available_extensions WHERE name = 'btree_gin'"
    if op.get_bind().execute(sa.text(available)).first() is not None:
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
        op.execute("CREATE INDEX ix_chunks_creator_tsv ON chunks USING gin (creator_id, tsv)")
        op.execute("DROP INDEX IF EXISTS ix_chunks_tsv")  # every reader filters by tenant: the pair replaces it

    op.execute(create_nologin_role(SEARCH_ROLE))
    op.execute(f"GRANT USAGE ON SCHEMA public TO {search}")
    op.execute(f"GRANT SELECT (id, creator_id, tsv) ON chunks TO {search}")
    op.execute(f"GRANT SELECT ON knowledge_stats TO {search}")
    op.execute(f"CREATE POLICY knowledge_lexical ON chunks FOR SELECT TO {search} USING (true)")
    op.execute(f"CREATE POLICY knowledge_lexical ON knowledge_stats FOR SELECT TO {search} USING (true)")
    # The lexemes are quoted for tsquery input as they are (to_tsquery would stem the stems again).
    # BM25 over every passage of the tenant that holds one of the question's lexemes. A lexeme's document
    # frequency in the tenant is its count among those passages (a passage that holds it is one of them),
    # so it is exact; the tenant's passage count and mean length come from knowledge_stats (without a row
    # there yet: the matching passages stand in for the corpus).
    op.execute(
        f"""
CREATE FUNCTION knowledge_lexical(p_query text, p_limit integer)
RETURNS TABLE(chunk_id uuid, score double precision)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp ROWS 40 AS $$
  WITH q AS (
    SELECT array_agg(t) AS terms,
           CAST(string_agg('''' || replace(replace(t, '\\', '\\\\'), '''', '''''') || '''', ' | ') AS tsquery)
             AS query
    FROM unnest(tsvector_to_array(to_tsvector('english', p_query))) AS t
  ), held AS (  -- each matching passage: its length, and each question lexeme it holds with its count
    SELECT c.id, length(c.tsv)::float8 AS len, u.lexeme, coalesce(array_length(u.positions, 1), 1)::float8 AS tf
    FROM q, chunks c, unnest(ts_filter(setweight(c.tsv, 'A', q.terms), '{{a}}')) AS u
    WHERE c.creator_id = {TENANT_EXPR}
      AND q.query IS NOT NULL AND c.tsv @@ q.query
  ), df AS (
    SELECT lexeme, count(*) AS n FROM held GROUP BY lexeme
  ), corpus AS (
    SELECT greatest(coalesce(s.passages, 0), (SELECT count(DISTINCT id) FROM held))::float8 AS n,
           greatest(coalesce(s.avg_length, (SELECT avg(len) FROM held), 1.0), 1.0) AS avgdl
    FROM (SELECT 1) one LEFT JOIN knowledge_stats s ON s.creator_id = {TENANT_EXPR}
  )
  SELECT h.id,
         sum(ln((corpus.n + 1) / (df.n + 0.5))  -- idf: ln(1 + (N - n + 0.5) / (n + 0.5))
             * h.tf * {K1 + 1} / (h.tf + {K1} * (1 - {B} + {B} * h.len / corpus.avgdl)))
  FROM held h JOIN df USING (lexeme), corpus
  GROUP BY h.id
  ORDER BY 2 DESC, h.id
  LIMIT least(greatest(p_limit, 0), {MAX_LIMIT})
$$"""
    )
    op.execute(
        f"DO $$ BEGIN EXECUTE format('GRANT {SEARCH_ROLE} TO %I', current_user); "
        "EXCEPTION WHEN others THEN NULL; END $$"
    )
    op.execute(f"ALTER FUNCTION {SIGNATURE} OWNER TO {search}")
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO {app}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
    op.execute("DROP POLICY IF EXISTS knowledge_lexical ON chunks")
    op.execute(f"REVOKE ALL ON chunks FROM {quote_ident(SEARCH_ROLE)}")
    op.drop_table("knowledge_stats")
    op.execute("CREATE INDEX IF NOT EXISTS ix_chunks_tsv ON chunks USING gin (tsv)")
    op.execute("DROP INDEX IF EXISTS ix_chunks_creator_tsv")
