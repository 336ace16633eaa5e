"""Tenant scoping in one place: which workspace (and user) a transaction acts for.

The database enforces isolation with row-level security; this module only tells it who is asking, always
with `set_config(..., true)`: transaction-local, so nothing survives into the next user of a pooled
connection.

Fast path: when a transaction is about to start on an asyncpg connection, `apply_tenant` sends
`BEGIN; SELECT set_config(...)` as ONE simple-query round trip (instead of BEGIN, then the set_config
statement) and hands SQLAlchemy's adapted connection a transaction object that ends it with COMMIT or
ROLLBACK, exactly as asyncpg's own `Transaction` would. Anything else (a transaction already running,
AUTOCOMMIT, a non-default isolation level, another driver) takes the plain path: the set_config statement.

Raw reads (`backend/lib/hotpath/rawread.py`) send the same `BEGIN; set_config` (`begin_sql`) on a plain
asyncpg connection, for the hot read that needs no ORM session.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

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


def begin_sql(ctx: TenantContext | None) -> str:
    """`BEGIN` and the tenant's settings as one simple-query string (values checked to be canonical UUIDs)."""
    return _BEGIN_SET.format(**_params(ctx))


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
    query = _BEGIN_SET.format(**params)  # the same text as begin_sql(ctx)
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
