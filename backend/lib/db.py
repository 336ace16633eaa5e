"""Database engine and sessions. Every session sets its tenant at the start of each transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import structlog
from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, SessionTransaction

from backend.lib.tenancy import TENANT_KEY, TenantContext, apply_tenant, fetch_row

log = structlog.get_logger()
LISTENERS = "commit_listeners"
# Process-wide: called with every session after each of its commits (e.g. delivery looks for staged rows).
CommitListener = Callable[[AsyncSession], Awaitable[None]]


def async_url(url: str) -> URL:
    """Accept `postgresql://` URLs (as libpq and pgserver write them) and use asyncpg."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg")


def role_of(url: str) -> tuple[str, str]:
    """The user name and password a database URL connects with."""
    parts = urlsplit(url)
    return parts.username or "", parts.password or ""


class TenantSession(Session):
    """Sync half of our AsyncSession; the `after_begin` hook below applies the tenant."""


@event.listens_for(TenantSession, "after_begin")
def _set_tenant(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    # set_config(..., true) is transaction-local, so nothing leaks to the next user of a pooled
    # connection; it runs on every transaction, so a session without a tenant sees no tenant rows.
    apply_tenant(connection, session.info.get(TENANT_KEY))


AfterCommit = Callable[[], Awaitable[object]]
_AFTER_COMMIT = "after_commit"


def after_commit(db: AsyncSession, callback: AfterCommit) -> None:
    """Run `callback()` once the session's transaction has committed (dropped if it rolls back instead).

    For work that must only happen once the change is visible to others: clearing a cache that a
    concurrent reader could refill with the old row, revoking tokens minted against the old row, queueing
    a job that reads the row. Services register it and flush; whoever owns the transaction commits (the
    request's `db` dependency, a job that opened its own session).
    """
    db.info.setdefault(_AFTER_COMMIT, []).append(callback)


class AppSession(AsyncSession):
    """Our AsyncSession: runs the callbacks `after_commit` registered, after each successful commit."""

    async def commit(self) -> None:
        await super().commit()
        callbacks: list[AfterCommit] = self.info.pop(_AFTER_COMMIT, [])
        failure: BaseException | None = None
        for callback in callbacks:  # each one runs, even when an earlier one failed
            try:
                await callback()
            except Exception as exc:
                failure = failure or exc
        for listener in self.info.get(LISTENERS, ()):
            try:
                await listener(self)
            except Exception:  # a listener's work has its own safety net (delivery: the outbox sweeper)
                log.exception("commit_listener_failed", listener=getattr(listener, "__qualname__", repr(listener)))
        if failure is not None:
            raise failure

    async def rollback(self) -> None:
        self.info.pop(_AFTER_COMMIT, None)
        await super().rollback()

    async def close(self) -> None:
        self.info.pop(_AFTER_COMMIT, None)
        await super().close()


async def _keep(_: asyncpg.Connection) -> None:
    """Release without asyncpg's RESET ALL round trip: raw reads only set transaction-local settings, and
    asyncpg still rolls back a connection released inside a transaction (a cancelled read)."""


@dataclass
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AppSession]
    dsn: str = ""
    pool_size: int = 10
    pool_timeout: float = 30.0
    _reads: asyncpg.Pool | None = field(default=None, repr=False)
    _opening: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)
    # Called after every commit of every session of this database (see AppSession).
    commit_listeners: list[CommitListener] = field(default_factory=list, repr=False)

    def session(self, tenant: TenantContext | None = None) -> AsyncSession:
        return self.sessionmaker(info={TENANT_KEY: tenant, LISTENERS: self.commit_listeners})

    async def _read_pool(self) -> asyncpg.Pool:
        async with self._opening:
            if self._reads is None:
                self._reads = await asyncpg.create_pool(self.dsn, min_size=0, max_size=self.pool_size, reset=_keep)
        return self._reads

    async def read_row(self, tenant: TenantContext, query: str, *args: Any) -> asyncpg.Record | None:
        """One tenant-scoped read without an ORM session, on a pool of plain asyncpg connections (same role).

        For hot read endpoints: the SQLAlchemy session's identity map, greenlet hops and its pool checkout
        (one `asyncio.wait_for` task per request) cost more than the read itself. `asyncio.timeout` keeps
        the checkout bounded without a task.
        """
        pool = self._reads or await self._read_pool()
        async with asyncio.timeout(self.pool_timeout):
            conn = await pool.acquire()
        try:
            return await fetch_row(conn, tenant, query, *args)
        finally:
            await pool.release(conn)

    async def dispose(self) -> None:
        if self._reads is not None:
            await self._reads.close()
            self._reads = None
        await self.engine.dispose()


def create_database(url: str, pool_size: int = 10, **engine_kw: Any) -> Database:
    # No overflow: an overflow connection is closed when it is returned to a full pool, so under a burst
    # wider than the pool every request paid a fresh PostgreSQL connection (fork, SCRAM, TLS probe) and
    # throughput fell to a few hundred req/s. Requests past the pool wait for a connection instead.
    options: dict[str, Any] = {"pool_size": pool_size, "max_overflow": 0, "pool_pre_ping": False, "pool_recycle": 1800}
    engine = create_async_engine(async_url(url), **{**options, **engine_kw})
    maker = async_sessionmaker(engine, class_=AppSession, sync_session_class=TenantSession, expire_on_commit=False)
    dsn = async_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    return Database(engine=engine, sessionmaker=maker, dsn=dsn, pool_size=pool_size)


async def ping(db: Database) -> dict[str, Any]:
    async with db.engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT current_user, r.rolsuper, r.rolbypassrls FROM pg_roles r WHERE r.rolname = current_user")
            )
        ).one()
    return {"role": row[0], "superuser": row[1], "bypassrls": row[2]}
