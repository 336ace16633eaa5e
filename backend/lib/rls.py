"""SQL the migrations use to create roles and row-level-security policies (kept in one place)."""

from __future__ import annotations

AUTH_ROLE = "coachtwin_auth"
TENANT_EXPR = "NULLIF(current_setting('app.current_creator_id', true), '')::uuid"
USER_EXPR = "NULLIF(current_setting('app.current_user_id', true), '')::uuid"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def create_login_role(name: str, password: str) -> str:
    """The app role: can log in, cannot bypass RLS, owns nothing."""
    ident, pw = quote_ident(name), quote_literal(password)
    return f"""
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {quote_literal(name)}) THEN
    CREATE ROLE {ident} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD {pw};
  ELSE
    ALTER ROLE {ident} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD {pw};
  END IF;
END $$;
"""


def create_nologin_role(name: str) -> str:
    return f"""
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {quote_literal(name)}) THEN
    CREATE ROLE {quote_ident(name)} NOLOGIN NOSUPERUSER NOBYPASSRLS;
  END IF;
END $$;
"""


def tenant_table(table: str, app_role: str, column: str = "creator_id") -> list[str]:
    """Forced RLS: even the table owner is filtered; rows belong to the session's tenant only."""
    role = quote_ident(app_role)
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} USING ({column} = {TENANT_EXPR}) "
        f"WITH CHECK ({column} = {TENANT_EXPR})",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {role}",
    ]
