"""The tenancy helper's one-round-trip path (`BEGIN; set_config(..., true)`): still transaction-local, still
the app role under forced RLS, never leaking into the next transaction or checkout of a pooled connection."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from backend.lib.db import Database, create_database
from backend.lib.tenancy import TenantContext, TenantTransaction, apply_tenant
from common.models import Creator
from tests.conftest import ADMIN_URL, APP_URL

SETTING = text("SELECT current_setting('app.current_creator_id', true), current_setting('app.current_user_id', true)")


@pytest.fixture(scope="module")
async def workspace(migrated_database: str) -> dict[str, Any]:
    admin = await asyncpg.connect(make_url(ADMIN_URL).set(drivername="postgresql").render_as_string(False))
    cid = uuid.uuid4()
    try:
        await admin.execute("INSERT INTO creators (id, name) VALUES ($1, 'tenancy')", cid)
    finally:
        await admin.close()
    return {"creator_id": cid, "user_id": uuid.uuid4()}


@pytest.fixture
async def db() -> AsyncIterator[Database]:
    database = create_database(APP_URL, pool_size=1)  # one physical connection: every checkout reuses it
    yield database
    await database.dispose()


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts what reaches PostgreSQL: simple queries by text, prepared statements as 'prepared'."""
    seen: Counter[str] = Counter()
    execute, bind = asyncpg.Connection.execute, asyncpg.prepared_stmt.PreparedStatement.fetch

    async def counting_execute(self: Any, query: str, *args: Any, **kw: Any) -> Any:
        seen[query.split(";")[0].split()[0].upper() if not args else "prepared"] += 1
        return await execute(self, query, *args, **kw)

    async def counting_fetch(self: Any, *args: Any, **kw: Any) -> Any:
        seen["prepared"] += 1
        return await bind(self, *args, **kw)

    monkeypatch.setattr(asyncpg.Connection, "execute", counting_execute)
    monkeypatch.setattr(asyncpg.prepared_stmt.PreparedStatement, "fetch", counting_fetch)
    return seen


async def test_a_tenant_read_is_three_round_trips(
    db: Database, workspace: dict[str, Any], statements: Counter[str]
) -> None:
    ctx = TenantContext(workspace["creator_id"], workspace["user_id"])
    async with db.session(ctx) as s:  # warm the connection (dialect start-up queries)
        await s.get(Creator, ctx.creator_id)
        await s.commit()
    statements.clear()
    async with db.session(ctx) as s:
        creator = await s.get(Creator, ctx.creator_id)
        assert creator is not None  # RLS let the tenant see its row: the setting was in force
        await s.commit()
    # BEGIN + set_config in one simple query, the SELECT, COMMIT. No separate set_config statement.
    assert statements == {"BEGIN": 1, "prepared": 1, "COMMIT": 1}


async def test_the_setting_is_transaction_local_on_the_fast_path(db: Database, workspace: dict[str, Any]) -> None:
    ctx = TenantContext(workspace["creator_id"], workspace["user_id"])
    async with db.session(ctx) as s:
        assert (await s.execute(SETTING)).one() == (str(ctx.creator_id), str(ctx.user_id))
        await s.commit()
        # the session's next transaction sets it again
        assert (await s.execute(SETTING)).one() == (str(ctx.creator_id), str(ctx.user_id))
    # ... and after commit, rollback, an error, or a session that never ran a query, the next checkout
    # of the same connection (no tenant) sees nothing.
    async with db.session(ctx) as s:
        await s.execute(SETTING)
        await s.rollback()
    await _assert_clean(db)
    with pytest.raises(Exception, match="division by zero"):
        async with db.session(ctx) as s:
            await s.execute(text("SELECT 1/0"))
    await _assert_clean(db)
    async with db.session(ctx) as s:
        pass
    await _assert_clean(db)
    async with db.engine.connect() as conn:  # a plain Core connection: no tenant, no fast path
        assert (await conn.execute(SETTING)).one() in {("", ""), (None, None)}


async def _assert_clean(db: Database) -> None:
    async with db.session() as s:
        assert (await s.execute(SETTING)).one() == ("", "")
        assert (await s.execute(select(Creator))).scalars().all() == []


async def test_commit_of_an_aborted_transaction_is_an_error(db: Database) -> None:
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        await driver.execute("BEGIN")
        with pytest.raises(asyncpg.DivisionByZeroError):
            await driver.execute("SELECT 1/0")
        with pytest.raises(RuntimeError, match="ROLLBACK"):
            await TenantTransaction(driver).commit()


async def test_mid_transaction_and_autocommit_take_the_plain_path(db: Database, workspace: dict[str, Any]) -> None:
    ctx = TenantContext(workspace["creator_id"], workspace["user_id"])
    async with db.engine.connect() as conn:
        async with conn.begin():
            await conn.execute(text("SELECT 1"))  # the transaction is already running
            await conn.run_sync(lambda c: apply_tenant(c, ctx))
            assert (await conn.execute(SETTING)).one()[0] == str(ctx.creator_id)
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await auto.run_sync(lambda c: apply_tenant(c, ctx))  # no BEGIN under AUTOCOMMIT: the setting vanishes
        assert (await auto.execute(SETTING)).one()[0] in ("", None)


def test_only_uuids_reach_the_sql_text() -> None:
    from backend.lib.tenancy import _params

    evil = TenantContext("x', true); DROP TABLE creators; --")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        _params(evil)
    cid = uuid.uuid4()
    assert _params(TenantContext(str(cid).upper())) == {"cid": str(cid), "uid": ""}  # type: ignore[arg-type]
    assert _params(None) == {"cid": "", "uid": ""}


# ---- raw reads (`Database.read_row` -> `hotpath.rawread`): same rules without an ORM session ----------------

RAW_SETTING = "SELECT current_setting('app.current_creator_id', true), current_setting('app.current_user_id', true)"


async def _raw_clean(db: Database) -> None:
    """The pooled connection, checked out with no tenant, sees no setting and no tenant row."""
    pool = await db.raw._open()
    async with pool.acquire() as conn:
        assert not conn.is_in_transaction()
        assert tuple(await conn.fetchrow(RAW_SETTING)) in {("", ""), (None, None)}
        assert await conn.fetch("SELECT id FROM creators") == []


async def test_a_raw_read_sees_its_tenant_only_and_leaves_nothing_behind(
    db: Database, workspace: dict[str, Any]
) -> None:
    ctx = TenantContext(workspace["creator_id"], workspace["user_id"])
    db.raw.pool_size = 1  # one physical connection: the next checkout reuses it
    row = await db.read_row(ctx, "SELECT id, name FROM creators WHERE id = $1", ctx.creator_id)
    assert row is not None and row["name"] == "tenancy"
    setting = await db.read_row(ctx, RAW_SETTING)
    assert setting is not None and tuple(setting) == (str(ctx.creator_id), str(ctx.user_id))
    await _raw_clean(db)
    # another tenant (or none) reads nothing of it: RLS is in force for the app role on this path too
    assert (
        await db.read_row(TenantContext(uuid.uuid4()), "SELECT id FROM creators WHERE id = $1", ctx.creator_id) is None
    )
    assert await db.read_row(TenantContext(None), "SELECT id FROM creators WHERE id = $1", ctx.creator_id) is None
    role = await db.read_row(ctx, "SELECT r.rolsuper, r.rolbypassrls FROM pg_roles r WHERE r.rolname = current_user")
    assert role is not None and tuple(role) == (False, False)


async def test_a_failed_raw_read_rolls_back(db: Database, workspace: dict[str, Any]) -> None:
    ctx = TenantContext(workspace["creator_id"], workspace["user_id"])
    db.raw.pool_size = 1
    with pytest.raises(asyncpg.DivisionByZeroError):
        await db.read_row(ctx, "SELECT 1/0")
    await _raw_clean(db)
