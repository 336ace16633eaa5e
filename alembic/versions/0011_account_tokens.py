"""Account tokens: pending sign-ups and password resets (one-time, expiring, stored as SHA-256 only).

They exist before any tenant (a sign-up has no workspace yet; a reset is asked for by an email address), so
the app role gets NO rights on the table: it goes through two narrow SECURITY DEFINER functions owned by a
NOLOGIN role whose only rights are on this table. `account_token_issue` records a token (and retires the
email's earlier unused ones of the same purpose: only the newest link works); `account_token_consume` spends
one atomically and says why it cannot (unknown, used, expired). Nobody can list the table through the app.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from alembic import op
from backend.lib.db import role_of
from backend.lib.rls import create_nologin_role, quote_ident
from common.settings import get_settings

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACCOUNTS_ROLE = "coachtwin_accounts"
ISSUE = "account_token_issue(text, text, text, uuid, jsonb, integer)"
CONSUME = "account_token_consume(text, text)"


def upgrade() -> None:
    app = quote_ident(role_of(get_settings().database_url)[0])
    accounts = quote_ident(ACCOUNTS_ROLE)
    op.create_table(
        "account_tokens",
        sa.Column("id", UUID(), primary_key=True),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("email", sa.String(320), nullable=False, index=True),
        sa.Column("user_id", UUID(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
        sa.Column("payload", JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("purpose IN ('signup','password_reset')", name="account_tokens_purpose_check"),
    )
    op.execute("ALTER TABLE account_tokens ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE account_tokens FORCE ROW LEVEL SECURITY")
    op.execute(create_nologin_role(ACCOUNTS_ROLE))
    op.execute(f"GRANT USAGE ON SCHEMA public TO {accounts}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON account_tokens TO {accounts}")
    op.execute(f"CREATE POLICY account_tokens_functions ON account_tokens TO {accounts} USING (true) WITH CHECK (true)")
    op.execute(
        """
CREATE FUNCTION account_token_issue(p_purpose text, p_hash text, p_email text, p_user_id uuid, p_payload jsonb,
                                    p_ttl_seconds integer)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  -- Spent and long-expired rows go; the email's earlier unused links of this purpose stop working.
  DELETE FROM account_tokens WHERE expires_at < now() - interval '7 days';
  UPDATE account_tokens SET used_at = now()
   WHERE email = lower(p_email) AND purpose = p_purpose AND used_at IS NULL;
  INSERT INTO account_tokens (id, purpose, token_hash, email, user_id, payload, expires_at)
  VALUES (gen_random_uuid(), p_purpose, p_hash, lower(p_email), p_user_id, coalesce(p_payload, '{}'::jsonb),
          now() + make_interval(secs => greatest(p_ttl_seconds, 1)));
$$"""
    )
    op.execute(
        """
CREATE FUNCTION account_token_consume(p_purpose text, p_hash text)
RETURNS TABLE(status text, email text, user_id uuid, payload jsonb)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  held account_tokens%ROWTYPE;
BEGIN
  SELECT * INTO held FROM account_tokens t WHERE t.token_hash = p_hash AND t.purpose = p_purpose FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'unknown'::text, NULL::text, NULL::uuid, NULL::jsonb;
  ELSIF held.used_at IS NOT NULL THEN
    RETURN QUERY SELECT 'used'::text, NULL::text, NULL::uuid, NULL::jsonb;
  ELSIF held.expires_at <= now() THEN
    RETURN QUERY SELECT 'expired'::text, NULL::text, NULL::uuid, NULL::jsonb;
  ELSE
    UPDATE account_tokens SET used_at = now() WHERE id = held.id;
    RETURN QUERY SELECT 'ok'::text, held.email::text, held.user_id, held.payload;
  END IF;
END
$$"""
    )
    op.execute(
        f"DO $$ BEGIN EXECUTE format('GRANT {ACCOUNTS_ROLE} TO %I', current_user); "
        "EXCEPTION WHEN others THEN NULL; END $$"
    )
    for signature in (ISSUE, CONSUME):
        op.execute(f"ALTER FUNCTION {signature} OWNER TO {accounts}")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {app}")


def downgrade() -> None:
    for signature in (ISSUE, CONSUME):
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    op.drop_table("account_tokens")
