"""Tenant scoping in one place: which workspace (and user) a transaction acts for.

The database enforces isolation with row-level security; this module only tells it who is asking, always
with `set_config(..., true)`: transaction-local, so nothing survives into the next user of a pooled
connection.

Fast path: when a transaction is about to start on an asyncpg connection, `apply_tenant` sends
`BEGIN; SELECT set_config(...)` as ONE simple-query round trip (instead of BEGIN, then the set_config
statement) and hands SQLAlchemy's adapted connection a transaction object that ends it with COMMIT or
ROLLBACK, exactly as asyncpg's own `Transaction` would. Anything else (a transaction already running,
AUTOCOMMIT, a non-default isolation level, another driver) takes the plain path: the set_config statement.

Raw reads: `fetch_row` runs one read on a plain asyncpg connection with the same `BEGIN; set_config` and a
COMMIT, for hot read endpoints that need no ORM session (no identity map, no greenlet hops).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

TENANT_KEY = "tenant"

_SET = text("SELECT set_config('app.current_creator_id', :cid, true), set_config('app.current_user_id', :uid, true)")
_BEGIN_SET = (
    "BEGIN; SELECT set_config('app.current_creator_id', '{cid}', true),"
    " set_config('app.current_user_id', '{uid}', true)"
)


@dataclass(frozen=True, slots=True)
class TenantContext:
    creator_id: uuid.UUID | None
    user_id: uuid.UUID | None = None


def _uuid_text(value: uuid.UUID | str | None) -> str:
    # Through uuid.UUID on purpose: the fast path writes the value into SQL text, so only a canonical
    # UUID (hex digits and dashes) may reach it, whatever type a caller passed.
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))) if value else ""


def _params(ctx: TenantContext | None) -> dict[str, str]:
    return {"cid": _uuid_text(ctx.creator_id if ctx else None), "uid": _uuid_text(ctx.user_id if ctx else None)}


class TenantTransaction:
    """What SQLAlchemy's asyncpg adapter keeps for a running transaction (it only awaits commit/rollback)."""

    __slots__ = ("_conn",)

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def commit(self) -> None:
        # PostgreSQL answers COMMIT of an aborted transaction with a ROLLBACK tag and no error: say so.
        status = await self._conn.execute("COMMIT")
        if status != "COMMIT":
            raise RuntimeError(f"COMMIT ended the transaction with {status!r}")

    async def rollback(self) -> None:
        await self._conn.execute("ROLLBACK")


def _begin_with_tenant(connection: Connection, params: dict[str, str]) -> bool:
    """Start the transaction and set the tenant in one round trip, if this connection allows it."""
    adapted: Any = connection.connection.dbapi_connection
    if (
        adapted is None
        or getattr(adapted, "_transaction", False) is not None  # already begun (or not the asyncpg adapter)
        or getattr(adapted, "isolation_level", False) is not None  # AUTOCOMMIT or an explicit isolation level
        or getattr(adapted, "readonly", True)
        or getattr(adapted, "deferrable", True)
        or not hasattr(adapted, "run_async")
    ):
        return False
    query = _BEGIN_SET.format(**params)
    adapted.run_async(lambda conn: conn.execute(query))
    adapted._transaction = TenantTransaction(adapted.driver_connection)
    return True


def apply_tenant(connection: Connection, ctx: TenantContext | None) -> None:
    """Set the tenant for the transaction starting (or running) on `connection`."""
    params = _params(ctx)
    if not _begin_with_tenant(connection, params):
        connection.execute(_SET, params)


async def switch_tenant(session: AsyncSession, ctx: TenantContext) -> None:
    """Point a session at another tenant, now and for its later transactions.

    Used where the tenant is born inside the request (registration, accepting an invitation).
    """
    session.info[TENANT_KEY] = ctx
    if session.in_transaction():
        await session.execute(_SET, _params(ctx))


async def fetch_row(conn: asyncpg.Connection, ctx: TenantContext, query: str, *args: Any) -> asyncpg.Record | None:
    """One read as `ctx`, in a transaction of its own on a raw asyncpg connection (3 round trips).

    The connection must not be in a transaction. On any error the transaction is rolled back (and if even
    that fails, the pool's release rolls back or drops the connection), so the setting never outlives it.
    """
    await conn.execute(_BEGIN_SET.format(**_params(ctx)))
    try:
        row: asyncpg.Record | None = await conn.fetchrow(query, *args)
    except BaseException:
        if not conn.is_closed():
            await conn.execute("ROLLBACK")
        raise
    await TenantTransaction(conn).commit()
    return row
