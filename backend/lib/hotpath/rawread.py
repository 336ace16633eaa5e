"""The hot read on a plain asyncpg pool: `BEGIN; set_config` + one SELECT + COMMIT, no ORM session.

For a hot read endpoint the SQLAlchemy session's identity map, greenlet hops and its pool checkout (one
`asyncio.wait_for` task per request) cost more than the read itself: moving the workspace read here took it
from 795 to ~2,000 req/s under wrk with the read cache off. Same app role, same RLS: the tenant is set by the
tenancy helper's `begin_sql`, transaction-local, in the same round trip as BEGIN.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from backend.lib.tenancy import TenantContext, TenantTransaction, begin_sql


async def _keep(_: asyncpg.Connection) -> None:
    """Release without asyncpg's RESET ALL round trip: raw reads only set transaction-local settings, and
    asyncpg still rolls back a connection released inside a transaction (a cancelled read)."""


async def fetch_row(conn: asyncpg.Connection, ctx: TenantContext, query: str, *args: Any) -> asyncpg.Record | None:
    """One read as `ctx`, in a transaction of its own on a raw asyncpg connection (3 round trips).

    The connection must not be in a transaction. On any error the transaction is rolled back (and if even
    that fails, the pool's release rolls back or drops the connection), so the setting never outlives it.
    """
    await conn.execute(begin_sql(ctx))
    try:
        row: asyncpg.Record | None = await conn.fetchrow(query, *args)
    except BaseException:
        if not conn.is_closed():
            await conn.execute("ROLLBACK")
        raise
    await TenantTransaction(conn).commit()
    return row


class RawReads:
    """A pool of plain asyncpg connections (the app role), opened on first use."""

    def __init__(self, dsn: str, pool_size: int = 10, pool_timeout: float = 30.0) -> None:
        self.dsn, self.pool_size, self.pool_timeout = dsn, pool_size, pool_timeout
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def _open(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(self.dsn, min_size=0, max_size=self.pool_size, reset=_keep)
        return self._pool

    async def read_row(self, tenant: TenantContext, query: str, *args: Any) -> asyncpg.Record | None:
        """`asyncio.timeout` keeps the checkout bounded without a task per request."""
        pool = self._pool or await self._open()
        async with asyncio.timeout(self.pool_timeout):
            conn = await pool.acquire()
        try:
            return await fetch_row(conn, tenant, query, *args)
        finally:
            await pool.release(conn)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
