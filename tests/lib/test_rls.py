"""Row-level security at the SQL level, connected AS THE APP ROLE (the role the API runs as).

Seed rows are written through the admin (owner/superuser) connection, then every check reads or
writes as the app role, so these tests fail if a policy, a grant or a role attribute regresses.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from backend.lib.db import create_database
from backend.lib.rls import AUTH_ROLE
from backend.lib.tenancy import TenantContext, apply_tenant
from common.models import Creator, Membership
from tests.conftest import ADMIN_URL, APP_URL
from tests.fixtures.database import APP_ROLE

TENANT_TABLES = ("creators", "memberships", "refresh_tokens", "invitations", "users")
SET_TENANT = "SELECT set_config('app.current_creator_id', $1, true), set_config('app.current_user_id', $2, true)"


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _seed(admin: asyncpg.Connection, tag: str) -> dict[str, Any]:
    """A workspace with its owner, a refresh token and an invitation (written as the owner role)."""
    cid, uid = uuid.uuid4(), uuid.uuid4()
    email = f"rls-{tag}-{uid.hex[:8]}@example.com"
    later = datetime.now(UTC) + timedelta(days=1)
    await admin.execute("INSERT INTO creators (id, name) VALUES ($1, $2)", cid, f"ws {tag}")
    await admin.execute(
        "INSERT INTO users (id, email, password_hash, full_name) VALUES ($1, $2, $3, $4)",
        uid,
        email,
        f"hash-{tag}",
        f"user {tag}",
    )
    await admin.execute(
        "INSERT INTO memberships (id, creator_id, user_id, role) VALUES ($1, $2, $3, 'owner')", uuid.uuid4(), cid, uid
    )
    await admin.execute(
        "INSERT INTO refresh_tokens (id, creator_id, user_id, family_id, expires_at) VALUES ($1, $2, $3, $4, $5)",
        uuid.uuid4(),
        cid,
        uid,
        uuid.uuid4(),
        later,
    )
    await admin.execute(
        "INSERT INTO invitations (id, creator_id, email, role, token_hash, invited_by, expires_at)"
        " VALUES ($1, $2, $3, 'viewer', $4, $5, $6)",
        uuid.uuid4(),
        cid,
        f"invitee-{tag}-{uid.hex[:8]}@example.com",
        uuid.uuid4().hex + uuid.uuid4().hex,
        uid,
        later,
    )
    return {"creator_id": cid, "user_id": uid, "email": email}


@pytest.fixture(scope="module")
async def admin(migrated_database: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(_dsn(ADMIN_URL))
    yield conn
    await conn.close()


@pytest.fixture(scope="module")
async def tenants(admin: asyncpg.Connection) -> dict[str, dict[str, Any]]:
    return {"a": await _seed(admin, "a"), "b": await _seed(admin, "b")}


@pytest.fixture
async def app_conn(migrated_database: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(_dsn(APP_URL))
    yield conn
    await conn.close()


async def _ids(conn: asyncpg.Connection, table: str) -> set[uuid.UUID]:
    column = "id" if table in ("creators", "users") else "creator_id"
    return {r[0] for r in await conn.fetch(f"SELECT {column} FROM {table}")}


async def test_connected_as_app_role(app_conn: asyncpg.Connection) -> None:
    assert await app_conn.fetchval("SELECT current_user") == APP_ROLE


async def test_app_role_is_not_superuser_and_cannot_bypass_rls(app_conn: asyncpg.Connection) -> None:
    row = await app_conn.fetchrow(
        "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user"
    )
    assert row is not None
    assert dict(row) == {"rolsuper": False, "rolbypassrls": False, "rolcreaterole": False, "rolcreatedb": False}
    # Not a member of any role that bypasses RLS or of the sign-in role (whose policies are USING (true)).
    escalations = await app_conn.fetch(
        "SELECT r.rolname FROM pg_roles r WHERE pg_has_role(current_user, r.oid, 'USAGE')"
        " AND r.rolname <> current_user AND (r.rolsuper OR r.rolbypassrls OR r.rolname = $1)",
        AUTH_ROLE,
    )
    assert escalations == []
    # And it owns no table: owners could switch RLS off.
    owned = await app_conn.fetch(
        "SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner"
        " WHERE r.rolname = current_user AND c.relkind IN ('r', 'p')"
    )
    assert owned == []


async def test_no_tenant_sees_no_rows(
    app_conn: asyncpg.Connection, admin: asyncpg.Connection, tenants: dict[str, Any]
) -> None:
    for table in TENANT_TABLES:
        assert await admin.fetchval(f"SELECT count(*) FROM {table}") >= 2, table  # the rows exist
        assert await app_conn.fetchval(f"SELECT count(*) FROM {table}") == 0, table
        async with app_conn.transaction():
            # After a local setting ends the value reads '' rather than NULL: still no rows.
            await app_conn.execute(SET_TENANT, "", "")
            assert await app_conn.fetchval(f"SELECT count(*) FROM {table}") == 0, table


async def test_tenant_sees_only_its_rows(app_conn: asyncpg.Connection, tenants: dict[str, Any]) -> None:
    a, b = tenants["a"], tenants["b"]
    async with app_conn.transaction():
        await app_conn.execute(SET_TENANT, str(a["creator_id"]), str(a["user_id"]))
        for table in ("creators", "memberships", "refresh_tokens", "invitations"):
            assert await _ids(app_conn, table) == {a["creator_id"]}, table
        assert await _ids(app_conn, "users") == {a["user_id"]}
        # Asking for B's rows by id finds nothing.
        assert await app_conn.fetchval("SELECT count(*) FROM creators WHERE id = $1", b["creator_id"]) == 0
        assert await app_conn.fetchval("SELECT count(*) FROM users WHERE id = $1", b["user_id"]) == 0
        # Updates and deletes aimed at B touch nothing.
        assert await app_conn.execute("UPDATE creators SET name = 'pwned' WHERE id = $1", b["creator_id"]) == "UPDATE 0"
        assert await app_conn.execute("DELETE FROM memberships WHERE creator_id = $1", b["creator_id"]) == "DELETE 0"
        assert await app_conn.execute("UPDATE users SET full_name = 'pwned' WHERE id = $1", b["user_id"]) == "UPDATE 0"


async def test_tenant_only_set_still_hides_other_users(app_conn: asyncpg.Connection, tenants: dict[str, Any]) -> None:
    """A tenant without a user id sees its colleagues (through memberships), never other users."""
    a = tenants["a"]
    async with app_conn.transaction():
        await app_conn.execute(SET_TENANT, str(a["creator_id"]), "")
        assert await _ids(app_conn, "users") == {a["user_id"]}


async def test_insert_for_another_tenant_is_refused(app_conn: asyncpg.Connection, tenants: dict[str, Any]) -> None:
    a, b = tenants["a"], tenants["b"]
    later = datetime.now(UTC) + timedelta(days=1)
    attempts = [
        ("INSERT INTO creators (id, name) VALUES ($1, 'x')", (uuid.uuid4(),)),
        (
            "INSERT INTO memberships (id, creator_id, user_id, role) VALUES ($1, $2, $3, 'owner')",
            (uuid.uuid4(), b["creator_id"], a["user_id"]),
        ),
        (
            "INSERT INTO refresh_tokens (id, creator_id, user_id, family_id, expires_at) VALUES ($1, $2, $3, $4, $5)",
            (uuid.uuid4(), b["creator_id"], a["user_id"], uuid.uuid4(), later),
        ),
        (
            "INSERT INTO invitations (id, creator_id, email, role, token_hash, expires_at)"
            " VALUES ($1, $2, 'x@example.com', 'owner', $3, $4)",
            (uuid.uuid4(), b["creator_id"], uuid.uuid4().hex * 2, later),
        ),
        (
            "INSERT INTO users (id, email, password_hash, full_name) VALUES ($1, $2, 'h', 'x')",
            (uuid.uuid4(), f"intruder-{uuid.uuid4().hex[:8]}@example.com"),
        ),
    ]
    for sql, args in attempts:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            async with app_conn.transaction():
                await app_conn.execute(SET_TENANT, str(a["creator_id"]), str(a["user_id"]))
                await app_conn.execute(sql, *args)
    # Moving one of A's rows into B (UPDATE ... SET creator_id) is refused the same way.
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        async with app_conn.transaction():
            await app_conn.execute(SET_TENANT, str(a["creator_id"]), str(a["user_id"]))
            await app_conn.execute("UPDATE invitations SET creator_id = $1", b["creator_id"])
    # Without any tenant, no insert passes either.
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app_conn.execute("INSERT INTO creators (id, name) VALUES ($1, 'x')", uuid.uuid4())


async def test_own_tenant_insert_is_allowed(app_conn: asyncpg.Connection, tenants: dict[str, Any]) -> None:
    """The control for the refusals above: the same insert for one's own tenant works."""
    a = tenants["a"]
    tx = app_conn.transaction()
    await tx.start()
    try:
        await app_conn.execute(SET_TENANT, str(a["creator_id"]), str(a["user_id"]))
        await app_conn.execute(
            "INSERT INTO invitations (id, creator_id, email, role, token_hash, expires_at)"
            " VALUES ($1, $2, 'ok@example.com', 'viewer', $3, now() + interval '1 day')",
            uuid.uuid4(),
            a["creator_id"],
            uuid.uuid4().hex * 2,
        )
    finally:
        await tx.rollback()


async def test_setting_does_not_survive_the_transaction_on_a_pooled_connection(
    tenants: dict[str, Any],
) -> None:
    a = tenants["a"]
    db = create_database(APP_URL, pool_size=1)
    try:
        pids = set()
        async with db.engine.connect() as conn:
            async with conn.begin():
                pids.add((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())
                await conn.run_sync(lambda c: apply_tenant(c, TenantContext(a["creator_id"], a["user_id"])))
                assert (await conn.execute(text("SELECT count(*) FROM creators"))).scalar_one() == 1
            async with conn.begin():  # txn 2, same connection
                assert (await conn.execute(text("SELECT count(*) FROM creators"))).scalar_one() == 0
                setting = (await conn.execute(text("SELECT current_setting('app.current_creator_id', true)"))).scalar()
                assert setting in ("", None)
        # Back through the pool (size 1: the same physical connection), as a new checkout.
        async with db.engine.connect() as conn:
            pids.add((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())
            for table in TENANT_TABLES:
                assert (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one() == 0, table
        assert len(pids) == 1, "the pool must have handed back the same connection"

        # The ORM path: a tenant session, then a session without tenant, on the one pooled connection.
        async with db.session(TenantContext(a["creator_id"], a["user_id"])) as s:
            assert [c.id for c in (await s.execute(select(Creator))).scalars()] == [a["creator_id"]]
            await s.commit()
            # The next transaction of the same session re-applies its tenant.
            assert len((await s.execute(select(Membership))).scalars().all()) == 1
        async with db.session() as s:
            assert (await s.execute(select(Creator))).scalars().all() == []
            assert (await s.execute(select(Membership))).scalars().all() == []
    finally:
        await db.dispose()


async def _rls_tables(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
          AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'creator_id'
                      AND NOT a.attisdropped)
        ORDER BY c.relname
        """
    )


async def test_every_tenant_table_has_forced_rls_and_a_tenant_policy(admin: asyncpg.Connection) -> None:
    """Fails when a future migration adds a table with creator_id and forgets its RLS."""
    tables = await _rls_tables(admin)
    names = {t["relname"] for t in tables}
    assert {"memberships", "refresh_tokens", "invitations"} <= names
    problems: list[str] = []
    for t in [*tables, {"relname": "creators"}, {"relname": "users"}]:
        name = t["relname"]
        flags = await admin.fetchrow(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = $1::regclass", name
        )
        if not (flags["relrowsecurity"] and flags["relforcerowsecurity"]):
            problems.append(f"{name}: RLS not enabled and forced")
        policies = await admin.fetch(
            "SELECT policyname, permissive, roles::text[] AS roles, cmd, qual, with_check"
            " FROM pg_policies WHERE schemaname = 'public' AND tablename = $1",
            name,
        )
        app_policies = [p for p in policies if {"public", APP_ROLE} & set(p["roles"])]
        if not app_policies:
            problems.append(f"{name}: no policy for the app role")
        column = "creator_id" if name not in ("creators", "users") else None
        for p in app_policies:
            if column is None:
                continue
            # Every policy the app role gets must compare the tenant column with the session setting.
            for clause in ("qual", "with_check"):
                expr = p[clause]
                if expr is None and (clause == "qual" or p["cmd"] == "SELECT"):
                    continue
                if expr is None or "app.current_creator_id" not in expr or column not in expr:
                    problems.append(f"{name}.{p['policyname']}: {clause} does not scope by {column}: {expr}")
    assert problems == []


async def test_app_role_can_only_reach_tables_through_rls(app_conn: asyncpg.Connection) -> None:
    """Any public table the app role may read either has forced RLS or holds no tenant column."""
    rows = await app_conn.fetch(
        """
        SELECT c.relname, c.relforcerowsecurity,
               EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'creator_id') AS tenant
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
          AND has_table_privilege(current_user, c.oid, 'SELECT')
        """
    )
    leaks = [r["relname"] for r in rows if r["tenant"] and not r["relforcerowsecurity"]]
    assert leaks == []


async def test_auth_lookup_is_narrow(app_conn: asyncpg.Connection, tenants: dict[str, Any]) -> None:
    a, b = tenants["a"], tenants["b"]
    stmt = await app_conn.prepare("SELECT * FROM auth_lookup($1)")
    assert [attr.name for attr in stmt.get_attributes()] == [
        "user_id",
        "password_hash",
        "full_name",
        "creator_id",
        "role",
    ]
    rows = await stmt.fetch(a["email"].upper())  # case-insensitive
    assert [(r["user_id"], r["creator_id"], r["role"]) for r in rows] == [(a["user_id"], a["creator_id"], "owner")]
    assert rows[0]["password_hash"] == "hash-a"
    # One email exactly: no patterns, no empty match, nothing for unknown emails.
    for probe in ("%", "%@example.com", "", "rls-%", f"{b['email']}' OR '1'='1"):
        assert await stmt.fetch(probe) == [], probe
    # The function's rights do not leak to the caller: direct reads stay filtered, with or without a tenant.
    assert await app_conn.fetchval("SELECT count(*) FROM users") == 0
    assert await app_conn.fetchval("SELECT count(*) FROM users WHERE email = $1", b["email"]) == 0
    async with app_conn.transaction():
        await app_conn.execute(SET_TENANT, str(a["creator_id"]), str(a["user_id"]))
        assert await app_conn.fetchval("SELECT count(*) FROM users WHERE email = $1", b["email"]) == 0
        assert await app_conn.fetchval("SELECT count(*) FROM memberships WHERE user_id = $1", b["user_id"]) == 0
    # The app role cannot become the lookup role, nor change the function.
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app_conn.execute(f"SET ROLE {AUTH_ROLE}")
    with pytest.raises((asyncpg.InsufficientPrivilegeError, asyncpg.UndefinedFunctionError)):
        await app_conn.execute(
            "CREATE OR REPLACE FUNCTION auth_lookup(p_email text) RETURNS TABLE(user_id uuid, password_hash text,"
            " full_name text, creator_id uuid, role text) LANGUAGE sql AS $$ SELECT NULL::uuid, NULL, NULL,"
            " NULL::uuid, NULL $$"
        )


async def test_lookup_role_has_no_write_or_other_table_rights(admin: asyncpg.Connection) -> None:
    rows = await admin.fetch(
        "SELECT table_name, privilege_type FROM information_schema.role_table_grants WHERE grantee = $1", AUTH_ROLE
    )
    assert {(r["table_name"], r["privilege_type"]) for r in rows} == {("users", "SELECT"), ("memberships", "SELECT")}
    role = await admin.fetchrow(
        "SELECT rolcanlogin, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1", AUTH_ROLE
    )
    assert dict(role) == {"rolcanlogin": False, "rolsuper": False, "rolbypassrls": False}
