"""Database engine and sessions. Every session sets its tenant at the start of each transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, SessionTransaction

from backend.lib.tenancy import TENANT_KEY, TenantContext, apply_tenant


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


@dataclass
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    def session(self, tenant: TenantContext | None = None) -> AsyncSession:
        return self.sessionmaker(info={TENANT_KEY: tenant})

    async def dispose(self) -> None:
        await self.engine.dispose()


def create_database(url: str, pool_size: int = 10, **engine_kw: Any) -> Database:
    # No overflow: an overflow connection is closed when it is returned to a full pool, so under a burst
    # wider than the pool every request paid a fresh PostgreSQL connection (fork, SCRAM, TLS probe) and
    # throughput fell to a few hundred req/s. Requests past the pool wait for a connection instead.
    options: dict[str, Any] = {"pool_size": pool_size, "max_overflow": 0, "pool_pre_ping": False, "pool_recycle": 1800}
    engine = create_async_engine(async_url(url), **{**options, **engine_kw})
    maker = async_sessionmaker(engine, sync_session_class=TenantSession, expire_on_commit=False)
    return Database(engine=engine, sessionmaker=maker)


async def ping(db: Database) -> dict[str, Any]:
    async with db.engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT current_user, r.rolsuper, r.rolbypassrls FROM pg_roles r WHERE r.rolname = current_user")
            )
        ).one()
    return {"role": row[0], "superuser": row[1], "bypassrls": row[2]}
