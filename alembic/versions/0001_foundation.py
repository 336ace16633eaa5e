"""Foundation: roles, workspaces, staff accounts, memberships, tokens, invitations, all under RLS.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from alembic import op
from backend.lib.db import role_of
from backend.lib.rls import (
    AUTH_ROLE,
    TENANT_EXPR,
    USER_EXPR,
    create_login_role,
    create_nologin_role,
    quote_ident,
    tenant_table,
)
from common.settings import get_settings

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _created() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def _tenant() -> sa.Column:
    return sa.Column("creator_id", UUID(), sa.ForeignKey("creators.id", ondelete="CASCADE"), nullable=False, index=True)


def upgrade() -> None:
    app_role, app_password = role_of(get_settings().database_url)
    if not app_role:
        raise RuntimeError("DATABASE_URL must name the app role (user and password)")
    app = quote_ident(app_role)
    op.execute(create_login_role(app_role, app_password))
    op.execute(create_nologin_role(AUTH_ROLE))
    op.execute(f"GRANT USAGE ON SCHEMA public TO {app}")
    op.execute(
        "DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO "
        + app_role.replace("'", "''")
        + "', current_database()); END $$"
    )

    op.create_table(
        "creators",
        sa.Column("id", UUID(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        _created(),
    )
    op.create_table(
        "users",
        sa.Column("id", UUID(), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        _created(),
    )
    op.create_table(
        "memberships",
        sa.Column("id", UUID(), primary_key=True),
        _tenant(),
        sa.Column("user_id", UUID(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("role", sa.String(16), nullable=False),
        _created(),
        sa.UniqueConstraint("creator_id", "user_id"),
        sa.CheckConstraint("role IN ('owner','admin','editor','viewer')", name="memberships_role_check"),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("id", UUID(), primary_key=True),
        _tenant(),
        sa.Column("user_id", UUID(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("family_id", UUID(), nullable=False, index=True),
        _ts("expires_at"),
        _ts("used_at", True),
        _ts("revoked_at", True),
        _created(),
    )
    op.create_table(
        "invitations",
        sa.Column("id", UUID(), primary_key=True),
        _tenant(),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("invited_by", UUID(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        _ts("expires_at"),
        _ts("accepted_at", True),
        _created(),
    )

    # creators: a workspace sees only itself.
    for stmt in tenant_table("creators", app_role, column="id"):
        op.execute(stmt)
    for table in ("memberships", "refresh_tokens", "invitations"):
        for stmt in tenant_table(table, app_role):
            op.execute(stmt)

    # users hold no tenant column: a user row is visible to itself and to workspaces it belongs to.
    op.execute("ALTER TABLE users ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE users FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY users_self ON users USING (id = {USER_EXPR}) WITH CHECK (id = {USER_EXPR})")
    op.execute(
        "CREATE POLICY users_colleagues ON users FOR SELECT USING (EXISTS ("
        f"SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.creator_id = {TENANT_EXPR}))"
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON users TO {app}")

    # Sign-in happens before any tenant is known. The one narrow path: a SECURITY DEFINER function
    # owned by a NOLOGIN role whose only right is to read these two tables by email.
    auth = quote_ident(AUTH_ROLE)
    op.execute(f"GRANT SELECT ON users, memberships TO {auth}")
    op.execute(f"CREATE POLICY auth_lookup ON users FOR SELECT TO {auth} USING (true)")
    op.execute(f"CREATE POLICY auth_lookup ON memberships FOR SELECT TO {auth} USING (true)")
    op.execute(
        """
CREATE FUNCTION auth_lookup(p_email text)
RETURNS TABLE(user_id uuid, password_hash text, full_name text, creator_id uuid, role text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT u.id, u.password_hash, u.full_name, m.creator_id, m.role
  FROM users u LEFT JOIN memberships m ON m.user_id = u.id
  WHERE u.email = lower(p_email)
  ORDER BY m.created_at NULLS LAST
$$"""
    )
    op.execute(
        f"DO $$ BEGIN EXECUTE format('GRANT {AUTH_ROLE} TO %I', current_user); EXCEPTION WHEN others THEN NULL; END $$"
    )
    op.execute(f"ALTER FUNCTION auth_lookup(text) OWNER TO {auth}")
    op.execute("REVOKE ALL ON FUNCTION auth_lookup(text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION auth_lookup(text) TO {app}")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS auth_lookup(text)")
    for table in ("invitations", "refresh_tokens", "memberships", "users", "creators"):
        op.drop_table(table)
